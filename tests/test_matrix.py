"""The travel matrix: read-only integer arrays, shortest-path properties and the paths themselves."""

from __future__ import annotations

import itertools
import random
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import patrolplan.matrix as matrix_module
from patrolplan.errors import DuplicateIdError, InvalidInputError
from patrolplan.matrix import UNREACHABLE, TravelMatrix


@pytest.fixture(scope="module")
def beijing_graph(street_graph: Any) -> Any:
    graph, _ = street_graph("beijing_haidian_cau.osm")
    return graph


@pytest.fixture(scope="module")
def sampled(beijing_graph: Any) -> TravelMatrix:
    """80 random Beijing nodes (some in small disconnected pieces, so some pairs are unreachable)."""
    nodes = sorted(beijing_graph.nodes)
    sites = random.Random(7).sample(nodes, 80)
    return TravelMatrix.build(beijing_graph, sites)


def best_edge(graph: Any, u: int, v: int) -> dict[str, Any]:
    """The parallel edge a bicycle takes: quickest, then shortest."""
    return min(graph[u][v].values(), key=lambda d: (d["travel_time"], d["length"]))


# --------------------------------------------------------------------------- array properties


def test_arrays_are_integer_and_read_only(sampled: TravelMatrix) -> None:
    """Seconds and metres are int64 arrays; writing to them raises ValueError."""
    for array in (sampled.seconds, sampled.metres):
        assert array.dtype == np.int64
        assert array.shape == (80, 80)
        with pytest.raises(ValueError, match="read-only"):
            array[0, 1] = 5
    with pytest.raises(ValueError, match="read-only"):
        sampled.seconds[:] = 0


def test_diagonal_is_zero(sampled: TravelMatrix) -> None:
    """Every site is 0 s and 0 m from itself."""
    assert not np.diagonal(sampled.seconds).any()
    assert not np.diagonal(sampled.metres).any()


def test_sample_has_reachable_and_unreachable_pairs(sampled: TravelMatrix) -> None:
    """The sample covers both cases, so the properties below test something."""
    reachable = sampled.seconds < UNREACHABLE
    assert reachable.sum() > 2_500
    assert (~reachable).any()
    assert ((sampled.metres < UNREACHABLE) == reachable).all()


def test_triangle_inequality_on_seconds(sampled: TravelMatrix) -> None:
    """seconds[i, k] <= seconds[i, j] + seconds[j, k] (+1 s for rounding) for every triple."""
    s = sampled.seconds
    via = s[:, :, None] + s[None, :, :]  # via[i, j, k] = s[i, j] + s[j, k]
    assert (s[:, None, :] <= via + 1).all()


def test_each_path_realises_its_matrix_value(sampled: TravelMatrix, beijing_graph: Any) -> None:
    """Along matrix.path(a, b) edge lengths sum to metres[a, b] and travel times to seconds[a, b]."""
    checked = 0
    for i, a in enumerate(sampled.sites):
        for j, b in enumerate(sampled.sites):
            if not sampled.reachable(a, b):
                with pytest.raises(InvalidInputError, match=rf"no bicycle path from node {a} to node {b}"):
                    sampled.path(a, b)
                continue
            path = sampled.path(a, b)
            assert path[0] == a
            assert path[-1] == b
            edges = [best_edge(beijing_graph, u, v) for u, v in itertools.pairwise(path)]
            length = sum(e["length"] for e in edges)
            seconds = sum(e["travel_time"] for e in edges)
            assert abs(length - sampled.metres[i, j]) <= 1 + 0.05 * len(edges)
            assert abs(seconds - sampled.seconds[i, j]) <= 1
            checked += 1
    assert checked > 2_500


def test_matches_networkx_dijkstra(sampled: TravelMatrix, beijing_graph: Any) -> None:
    """Seconds agree with networkx's own Dijkstra on travel_time for a few sources (independent check)."""
    for a in sampled.sites[:6]:
        times = nx.single_source_dijkstra_path_length(beijing_graph, a, weight="travel_time")
        i = sampled.index(a)
        for j, b in enumerate(sampled.sites):
            if b in times:
                assert abs(sampled.seconds[i, j] - times[b]) <= 1
            else:
                assert sampled.seconds[i, j] == UNREACHABLE


def test_directed_graph_is_asymmetric(oneway_district: Any) -> None:
    """On the hand-made file, one-way streets make some trips longer one way than back."""
    graph = oneway_district.graph
    m = TravelMatrix.build(graph, [2, 5, 7, 9, 10])
    assert m.reachable(2, 9)
    assert not m.reachable(9, 2)
    assert not m.reachable(2, 10)
    assert m.reachable(10, 2)
    assert m.path(5, 7) == [5, 6, 7]
    assert m.path(7, 5) == [7, 3, 2, 6, 5]  # 6 -> 7 is one-way, 5 <-> 6 is contraflow
    assert m.metres[m.index(7), m.index(5)] > m.metres[m.index(5), m.index(7)]


# --------------------------------------------------------------------------- how it is computed


def test_equally_quick_paths_prefer_the_shorter() -> None:
    """Two routes of equal time: the matrix takes the shorter one, and its length."""
    graph = nx.MultiDiGraph()
    for node in range(4):
        graph.add_node(node, x=0.0, y=0.0)
    graph.add_edge(0, 1, length=300.0, travel_time=60.0)  # long and fast
    graph.add_edge(1, 3, length=300.0, travel_time=60.0)
    graph.add_edge(0, 2, length=100.0, travel_time=60.0)  # short and slow
    graph.add_edge(2, 3, length=100.0, travel_time=60.0)
    m = TravelMatrix.build(graph, [0, 3])
    assert m.seconds[0, 1] == 120
    assert m.metres[0, 1] == 200
    assert m.path(0, 3) == [0, 2, 3]


def test_parallel_edges_use_the_quickest() -> None:
    """Of two parallel edges the quicker one counts."""
    graph = nx.MultiDiGraph()
    graph.add_node("a", x=0.0, y=0.0)
    graph.add_node("b", x=0.0, y=0.0)
    graph.add_edge("a", "b", length=100.0, travel_time=50.0)
    graph.add_edge("a", "b", length=180.0, travel_time=20.0)
    m = TravelMatrix.build(graph, ["a", "b"])  # type: ignore[list-item]
    assert (m.seconds[0, 1], m.metres[0, 1]) == (20, 180)
    assert m.seconds[1, 0] == UNREACHABLE


def test_one_dijkstra_call_for_all_sites(beijing_graph: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole matrix comes from one scipy Dijkstra over all sites, not pairwise searches."""
    calls: list[int] = []
    real = matrix_module.dijkstra

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(kwargs["indices"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(matrix_module, "dijkstra", counting)
    monkeypatch.setattr(nx, "shortest_path", None)
    monkeypatch.setattr(nx, "dijkstra_path_length", None)
    TravelMatrix.build(beijing_graph, sorted(beijing_graph.nodes)[:50])
    assert calls == [50]


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 9),
    edges=st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 8), st.floats(1, 500), st.floats(0.5, 120)),
        max_size=30,
    ),
)
def test_random_graphs_agree_with_networkx(n: int, edges: list[tuple[int, int, float, float]]) -> None:
    """On random small directed graphs, seconds equal networkx's shortest travel times (rounded)."""
    graph = nx.MultiDiGraph()
    for node in range(n):
        graph.add_node(node, x=0.0, y=0.0)
    for u, v, length, time_s in edges:
        if u < n and v < n:
            graph.add_edge(u, v, length=length, travel_time=time_s)
    m = TravelMatrix.build(graph, list(range(n)))
    for a in range(n):
        times = nx.single_source_dijkstra_path_length(graph, a, weight="travel_time")
        for b in range(n):
            if b in times:
                assert abs(m.seconds[a, b] - times[b]) <= 1
                assert m.path(a, b)[0] == a
            else:
                assert m.seconds[a, b] == UNREACHABLE


# --------------------------------------------------------------------------- errors and helpers


def test_site_not_on_the_graph(beijing_graph: Any) -> None:
    """Sites that are not graph nodes are named."""
    with pytest.raises(InvalidInputError, match=r"sites \[1, 2\] are not nodes of the street graph; snap them"):
        TravelMatrix.build(beijing_graph, [1, 2])


def test_duplicate_sites(beijing_graph: Any) -> None:
    """A site given twice raises DuplicateIdError naming it."""
    node = next(iter(beijing_graph.nodes))
    with pytest.raises(DuplicateIdError, match=rf"duplicate sites \[{node}\]; each site node may appear once"):
        TravelMatrix.build(beijing_graph, [node, node])


def test_index_of_a_non_site(sampled: TravelMatrix) -> None:
    """Asking for a node that is not a site says so."""
    with pytest.raises(InvalidInputError, match=r"node 42 is not a site of this travel matrix"):
        sampled.index(42)


def test_route_path_joins_legs_without_repeats(oneway_district: Any) -> None:
    """The path through several stops repeats no joint node."""
    m = TravelMatrix.build(oneway_district.graph, [2, 5, 7])
    full = m.route_path([2, 5, 7, 2])
    assert full == [2, 6, 5, 6, 7, 3, 2]
    assert m.path(5, 5) == [5]
    assert m.route_path([2]) == []


def test_from_arrays_direct_hops() -> None:
    """A given matrix: rounded, read-only, metres default to seconds, paths are direct hops."""
    m = TravelMatrix.from_arrays([10, 20, 30], [[0, 5.4, 9.6], [5, 0, 3], [9, 3, 0]])
    assert m.seconds.tolist() == [[0, 5, 10], [5, 0, 3], [9, 3, 0]]
    assert m.metres.tolist() == m.seconds.tolist()
    assert m.path(10, 30) == [10, 30]
    assert len(m) == 3
    with pytest.raises(ValueError, match="read-only"):
        m.metres[0, 0] = 1


def test_from_arrays_errors() -> None:
    """Wrong shapes, negative entries and duplicate sites are refused."""
    with pytest.raises(InvalidInputError, match=r"matrix shape \(2, 2\) does not match 3 sites; give an 3x3 matrix"):
        TravelMatrix.from_arrays([1, 2, 3], np.zeros((2, 2)))
    with pytest.raises(InvalidInputError, match=r"matrix has negative entries"):
        TravelMatrix.from_arrays([1, 2], [[0, -1], [1, 0]])
    with pytest.raises(DuplicateIdError, match=r"duplicate sites \[1\]"):
        TravelMatrix.from_arrays([1, 1], np.zeros((2, 2)))


def test_from_arrays_infinity_means_no_path() -> None:
    """inf (or anything >= UNREACHABLE) in a given matrix is unreachable, never a negative number."""
    m = TravelMatrix.from_arrays([0, 1, 2], [[0, np.inf, 4], [3, 0, 2e12], [1, 1, 0]])
    assert m.seconds.tolist() == [[0, UNREACHABLE, 4], [3, 0, UNREACHABLE], [1, 1, 0]]
    assert not m.reachable(0, 1)
    assert m.reachable(1, 0)
    with pytest.raises(InvalidInputError, match=r"no bicycle path from node 0 to node 1"):
        m.path(0, 1)


def test_from_arrays_nan_is_refused() -> None:
    """NaN is not a travel time: the error says to use inf for no path."""
    with pytest.raises(
        InvalidInputError, match=r"matrix has NaN entries; give a number, or inf where there is no path"
    ):
        TravelMatrix.from_arrays([0, 1], [[0, np.nan], [1, 0]])


def test_district_matrix_is_computed_once(oneway_district: Any) -> None:
    """District.matrix is cached and covers the office and every gate."""
    assert oneway_district.matrix is oneway_district.matrix
    assert oneway_district.matrix.sites == oneway_district.sites
