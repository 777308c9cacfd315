"""Shared fixtures: paths to the test data and districts loaded once per session.

Loaded graphs and districts are shared between tests: treat them as read-only
(copy a graph with ``graph.copy()`` before changing it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
TIEXI = ROOT / "data" / "tiexi"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``tests/data``: real OSM extracts, TSPLIB instances and hand-made files."""
    return DATA


@pytest.fixture(scope="session")
def tsplib_dir() -> Path:
    """``tests/data/tsplib``: eil51, berlin52, st70, eil76, kroA100 and ``solutions.txt``."""
    return DATA / "tsplib"


@functools.lru_cache(maxsize=32)
def _street_graph(name: str, walk_against_oneway: bool) -> tuple[Any, Any]:
    from patrolplan.streets import StreetOptions, graph_from_file

    return graph_from_file(DATA / name, options=StreetOptions(walk_against_oneway=walk_against_oneway))


@pytest.fixture(scope="session")
def street_graph() -> Callable[..., tuple[Any, Any]]:
    """``street_graph(name, walk_against_oneway=False)`` -> ``(graph, scan)`` of a file in tests/data, cached."""

    def load(name: str, walk_against_oneway: bool = False) -> tuple[Any, Any]:
        return _street_graph(name, walk_against_oneway)

    return load


@pytest.fixture(scope="session")
def oneway_district() -> Any:
    """The hand-made ``oneway_bicycle.osm`` district (2 courtyards, office node 2)."""
    from patrolplan.district import district_from_file

    return district_from_file(DATA / "oneway_bicycle.osm")


@pytest.fixture(scope="session")
def beijing() -> Any:
    """Beijing Haidian with its 12 courtyards derived from ``landuse=residential``."""
    from patrolplan.district import district_from_file

    return district_from_file(DATA / "beijing_haidian_cau.osm")


@pytest.fixture(scope="session")
def tiexi() -> Any:
    """The embedded default district (skipped while ``data/tiexi`` does not exist)."""
    if not (TIEXI / "tiexi.osm").exists():
        pytest.skip("data/tiexi is not generated yet")
    from patrolplan.district import load_district

    return load_district()
