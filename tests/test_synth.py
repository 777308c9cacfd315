"""Tests of the synthetic-community generator and the embedded Tiexi district folder."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import math
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from shapely.geometry import Polygon

from patrolplan import synth
from patrolplan.errors import InvalidInputError
from patrolplan.windows import Window

ROOT = Path(__file__).resolve().parents[1]
TIEXI = ROOT / "data" / "tiexi"
TIEXI_FILES = ("tiexi.osm", "courtyards.geojson", "district.toml", "README.md")


@pytest.fixture(scope="module")
def make_tiexi() -> ModuleType:
    """The ``scripts/make_tiexi.py`` script, imported as a module."""
    spec = importlib.util.spec_from_file_location("make_tiexi", ROOT / "scripts" / "make_tiexi.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def osm() -> ET.Element:
    """The parsed Tiexi street file."""
    return ET.parse(TIEXI / "tiexi.osm").getroot()


@pytest.fixture(scope="module")
def nodes(osm: ET.Element) -> dict[int, tuple[float, float, dict[str, str]]]:
    """Tiexi nodes: id -> (x m, y m, tags)."""
    origin = (112.55, 37.87)
    out = {}
    for n in osm.iter("node"):
        x, y = synth.to_local(float(n.get("lon", "nan")), float(n.get("lat", "nan")), origin)
        out[int(n.get("id", "0"))] = (x, y, {t.get("k", ""): t.get("v", "") for t in n.iter("tag")})
    return out


@pytest.fixture(scope="module")
def ways(osm: ET.Element) -> dict[int, tuple[list[int], dict[str, str]]]:
    """Tiexi ways: id -> (node ids, tags)."""
    return {
        int(w.get("id", "0")): (
            [int(nd.get("ref", "0")) for nd in w.iter("nd")],
            {t.get("k", ""): t.get("v", "") for t in w.iter("tag")},
        )
        for w in osm.iter("way")
    }


@pytest.fixture(scope="module")
def features() -> list[dict[str, object]]:
    """Tiexi courtyard features."""
    data = json.loads((TIEXI / "courtyards.geojson").read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    return list(data["features"])


def _small(seed: int = 5) -> synth.Community:
    return synth.generate_community(
        seed=seed,
        name="示例社區",
        name_en="Example Community",
        width_m=700,
        height_m=260,
        n_courtyards=12,
        n_officers=2,
        n_specialists=3,
    )


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    """Two generations with one seed write byte-identical district folders."""
    a = synth.write_district_folder(_small(), tmp_path / "a")
    b = synth.write_district_folder(_small(), tmp_path / "b")
    names = sorted(p.name for p in a.iterdir())
    assert names == ["courtyards.geojson", "district.toml", "staff.csv", "streets.osm"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_other_seed_gives_other_community(tmp_path: Path) -> None:
    """A different seed gives a different street file."""
    a = synth.write_district_folder(_small(5), tmp_path / "a")
    b = synth.write_district_folder(_small(6), tmp_path / "b")
    assert (a / "streets.osm").read_bytes() != (b / "streets.osm").read_bytes()


def test_committed_tiexi_folder_is_what_the_script_makes(make_tiexi: ModuleType, tmp_path: Path) -> None:
    """data/tiexi/ equals a fresh run of scripts/make_tiexi.py (and it writes no staff.csv)."""
    make_tiexi.build(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(TIEXI_FILES)
    for name in TIEXI_FILES:
        assert (tmp_path / name).read_bytes() == (TIEXI / name).read_bytes(), name


def test_osm_header_ids_and_references(osm: ET.Element) -> None:
    """The OSM file has the header, bounds, sorted positive ids and no dangling node refs."""
    text = (TIEXI / "tiexi.osm").read_text(encoding="utf-8")
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\"")
    assert osm.get("generator") == "patrolplan synth"
    assert osm.find("bounds") is not None
    assert len(text.encode("utf-8")) < 300_000
    kinds = [child.tag for child in osm if child.tag != "bounds"]
    assert kinds == sorted(kinds, key=lambda k: k != "node")  # nodes first, then ways
    node_ids = [int(n.get("id", "0")) for n in osm.iter("node")]
    way_ids = [int(w.get("id", "0")) for w in osm.iter("way")]
    assert node_ids == list(range(1, len(node_ids) + 1))
    assert way_ids == list(range(1, len(way_ids) + 1))
    known = set(node_ids)
    for w in osm.iter("way"):
        assert w.get("version") == "1"
        refs = [int(nd.get("ref", "0")) for nd in w.iter("nd")]
        assert len(refs) >= 2
        assert set(refs) <= known, w.get("id")


def test_extent_is_about_1800_by_360(
    nodes: dict[int, tuple[float, float, dict[str, str]]],
) -> None:
    """All nodes span about 1,800 m east–west and 360 m north–south."""
    xs = [n[0] for n in nodes.values()]
    ys = [n[1] for n in nodes.values()]
    assert max(xs) - min(xs) == pytest.approx(1800, abs=20)
    assert max(ys) - min(ys) == pytest.approx(360, abs=15)


def test_courtyards_cover_350000_m2_without_overlap(
    ways: dict[int, tuple[list[int], dict[str, str]]],
    nodes: dict[int, tuple[float, float, dict[str, str]]],
) -> None:
    """About 40 closed residential ways, areas summing to 350,000 m² ± 10 %, no overlaps."""
    polys = []
    for refs, tags in ways.values():
        if tags.get("landuse") != "residential":
            continue
        assert refs[0] == refs[-1]
        assert {"name", "name:zh", "name:en", "ref"} <= tags.keys()
        polys.append(Polygon([nodes[i][:2] for i in refs]))
    assert 36 <= len(polys) <= 44
    assert all(p.is_valid for p in polys)
    assert sum(p.area for p in polys) == pytest.approx(350_000, rel=0.10)
    for i, p in enumerate(polys):
        for q in polys[i + 1 :]:
            assert p.intersection(q).area < 1e-3


def test_gates_are_on_the_boundary_and_in_the_street_graph(
    ways: dict[int, tuple[list[int], dict[str, str]]],
    nodes: dict[int, tuple[float, float, dict[str, str]]],
    features: list[dict[str, object]],
) -> None:
    """Each courtyard has 1–3 gates, vertices of its outline and nodes of some highway way."""
    highway_nodes = {i for refs, tags in ways.values() if "highway" in tags for i in refs}
    for feature in features:
        props = feature["properties"]
        assert isinstance(props, dict)
        gates = props["gates"]
        assert 1 <= len(gates) <= 3, props["id"]
        outline = ways[props["osm_way"]][0]
        for g in gates:
            assert g in outline
            assert g in highway_nodes
            assert nodes[g][2]["barrier"] == "gate"
            assert nodes[g][2]["entrance"] in ("main", "yes")
    driveways = [refs for refs, tags in ways.values() if tags.get("service") == "driveway"]
    assert all(len(refs) == 2 for refs in driveways)
    street_nodes = {
        i for refs, tags in ways.values() if "highway" in tags and tags.get("service") != "driveway" for i in refs
    }
    assert all(refs[1] in street_nodes for refs in driveways)


def test_street_tags(ways: dict[int, tuple[list[int], dict[str, str]]]) -> None:
    """Streets are named in Chinese and English; ≥3 one-way, exactly one open to bikes both ways."""
    streets = [t for _, t in ways.values() if "highway" in t and t.get("service") != "driveway"]
    assert all({"name", "name:zh", "name:en"} <= t.keys() for t in streets)
    assert all(t["name"] == t["name:zh"] for t in streets)
    kinds = Counter(t["highway"] for t in streets)
    assert kinds["secondary"] + kinds["tertiary"] == 3
    assert kinds["residential"] >= 8
    assert sum(t.get("service") == "alley" for t in streets) >= 2
    oneway = [t for t in streets if t.get("oneway") == "yes"]
    assert len(oneway) >= 3
    assert sum(t.get("oneway:bicycle") == "no" for t in streets) == 1
    assert all(t.get("oneway:bicycle") != "no" or t.get("oneway") == "yes" for t in streets)


def test_street_nodes_at_most_60_m_apart(
    ways: dict[int, tuple[list[int], dict[str, str]]],
    nodes: dict[int, tuple[float, float, dict[str, str]]],
) -> None:
    """Consecutive nodes of named streets are at most about 60 m apart."""
    for refs, tags in ways.values():
        if "highway" in tags:
            for a, b in itertools.pairwise(refs):
                assert math.dist(nodes[a][:2], nodes[b][:2]) <= 60.0


def test_office_is_on_the_middle_road(
    ways: dict[int, tuple[list[int], dict[str, str]]],
    nodes: dict[int, tuple[float, float, dict[str, str]]],
) -> None:
    """district.toml names the office node: tagged, a vertex of the middle road, near x = 900 m."""
    toml = tomllib.loads((TIEXI / "district.toml").read_text(encoding="utf-8"))
    assert toml["name"] == "鐵西村社區"
    assert toml["street_file"] == "tiexi.osm"
    assert toml["week"]["duty_days"] == ["Tue", "Wed", "Thu"]
    assert [s["name"] for s in toml["week"]["shifts"]] == ["morning", "afternoon"]
    office = toml["office_node"]
    x, y, tags = nodes[office]
    assert tags["amenity"] == "community_centre"
    assert tags["office"] == "government"
    assert tags["name"] == "鐵西村社區居委會"
    assert tags["name:en"] == "Tiexi Village Community Office"
    assert x == pytest.approx(900, abs=60)
    assert 150 < y < 210
    middle = [refs for refs, t in ways.values() if t.get("name") == "興華街"]
    assert len(middle) == 1
    assert office in middle[0]


def test_every_gate_is_reachable_from_the_office_and_back(make_tiexi: ModuleType) -> None:
    """The street graph (one-ways respected) is strongly connected around the office."""
    community = make_tiexi.build_community()
    synth.check_connectivity(community)


def test_chunhui_is_a_hot_spot(features: list[dict[str, object]]) -> None:
    """春暉小區 is present, named in English, and one of about four hot spots."""
    props = [f["properties"] for f in features]
    assert all(isinstance(p, dict) for p in props)
    chunhui = [p for p in props if isinstance(p, dict) and p["name"] == "春暉小區"]
    assert len(chunhui) == 1
    assert chunhui[0]["name_en"] == "Chunhui Courtyard"
    assert chunhui[0]["hot_spot"] is True
    assert 3 <= sum(bool(p["hot_spot"]) for p in props if isinstance(p, dict)) <= 5


def test_courtyard_properties(features: list[dict[str, object]]) -> None:
    """Properties come in a fixed order with plausible values; ids run C01… west→east."""
    keys = [
        "id",
        "name",
        "name_en",
        "osm_way",
        "gates",
        "area_m2",
        "households",
        "elderly",
        "unemployed",
        "consultations",
        "demand",
        "incidents",
        "hot_spot",
        "can_host_desk",
        "dwell_min",
    ]
    windows = {w.value for w in Window}
    ids = []
    for feature in features:
        props = feature["properties"]
        assert isinstance(props, dict)
        assert list(props) == keys
        ids.append(props["id"])
        assert 150 <= props["households"] <= 900
        assert 0 <= props["unemployed"] <= 15
        assert 0 <= props["consultations"] <= 80
        assert 0 <= props["incidents"] <= 12
        assert set(props["demand"]) <= windows
        assert props["dwell_min"] is None
    assert ids == [f"C{i:02d}" for i in range(1, len(ids) + 1)]
    assert 25 <= sum(bool(f["properties"]["can_host_desk"]) for f in features) <= 35  # type: ignore[index]


def test_staff_csv_covers_every_window_twice(tmp_path: Path) -> None:
    """A generated staff.csv has the documented header and two specialists per window."""
    community = synth.generate_community(
        seed=1, name="甲社區", name_en="Jia Community", width_m=900, height_m=300, n_courtyards=16
    )
    folder = synth.write_district_folder(community, tmp_path)
    with (folder / "staff.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "id",
        "name",
        "name_zh",
        "roles",
        "skills",
        "leave",
        "max_days_per_week",
        "preferences",
    ]
    assert sum(r["roles"] == "patrol" for r in rows) == 4
    specialists = [r for r in rows if r["roles"] == "specialist"]
    assert len(specialists) == 6
    cover = Counter(k for r in specialists for k in r["skills"].split(";"))
    assert all(cover[w.value] >= 2 for w in Window)
    assert all(r["max_days_per_week"] == "3" and r["leave"] == "" for r in rows)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_courtyards": 1}, "n_courtyards"),  # too few courtyards
        ({"width_m": 100}, "width_m"),  # too narrow
        ({"n_specialists": 1}, "n_specialists"),  # windows need two specialists
        ({"n_courtyards": 200}, "do not fit"),  # too many for the width
        ({"area_m2": 600_000}, "cannot cover"),  # more area than the blocks hold
    ],
)
def test_generate_rejects_bad_arguments(kwargs: dict[str, float], match: str) -> None:
    """Impossible arguments raise InvalidInputError naming the problem."""
    with pytest.raises(InvalidInputError, match=match):
        synth.generate_community(seed=0, name="乙", name_en="Yi", **kwargs)  # type: ignore[arg-type]


def test_rename_checks_lengths_and_keeps_geometry() -> None:
    """rename() rejects wrong-length lists and leaves geometry untouched."""
    community = _small()
    with pytest.raises(InvalidInputError, match="courtyard_names has 1 names"):
        synth.rename(community, courtyard_names=[("甲", "Jia")])
    names = [(f"院{i}", f"Yard {i}") for i in range(len(community.courtyards))]
    renamed = synth.rename(community, courtyard_names=names)
    assert renamed.nodes == community.nodes
    assert [c.name for c in renamed.courtyards] == [n for n, _ in names]
    assert community.courtyards[0].name != "院0"  # the input is not modified


def test_generated_names_are_distinct() -> None:
    """Generated street and courtyard names do not repeat."""
    kinds: list[synth.StreetKind] = ["road"] * 3 + ["lane"] * 40 + ["alley"] * 10
    streets = synth.street_names(kinds, seed=3)
    yards = synth.courtyard_names(80, seed=3)
    assert len({zh for zh, _ in streets}) == len(streets)
    assert len({zh for zh, _ in yards}) == len(yards)
