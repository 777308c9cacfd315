"""Courtyards: derived from OSM residential areas, read from GeoJSON, and snapped to the streets."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from patrolplan.courtyards import (
    Courtyard,
    courtyards_from_geojson,
    courtyards_from_scan,
    local_metres,
    snap_gates,
)
from patrolplan.errors import InvalidInputError
from patrolplan.streets import scan_osm

DATA = Path(__file__).resolve().parent / "data"
BEIJING = DATA / "beijing_haidian_cau.osm"

# lon/lat of the hand-made grid (oneway_bicycle.osm): 100 m cells near Taiyuan
LON0, LAT0, DX, DY = 112.56, 37.87, 0.00114, 0.0009


def square(x: float, y: float, size: float = 0.4) -> list[list[float]]:
    """A closed GeoJSON ring of a square in grid units of the hand-made file."""
    pts = [(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]
    return [[LON0 + a * DX, LAT0 + b * DY] for a, b in pts]


def feature(props: dict[str, Any], ring: list[list[float]] | None = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring or square(0.3, 0.3)]},
        "properties": props,
    }


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@functools.lru_cache(maxsize=1)
def beijing_residential() -> dict[tuple[str, int], dict[str, str]]:
    """The ``landuse=residential`` elements of the Beijing file, read with ElementTree (independently)."""
    found: dict[tuple[str, int], dict[str, str]] = {}
    for element in ET.parse(BEIJING).getroot():
        tags = {t.get("k", ""): t.get("v", "") for t in element.findall("tag")}
        if tags.get("landuse") == "residential":
            found[(element.tag, int(element.get("id", "0")))] = tags
    return found


# --------------------------------------------------------------------------- derived from OSM


def test_beijing_has_twelve_residential_elements() -> None:
    """The Beijing extract has 12 landuse=residential elements: 10 ways, 1 relation, 1 node."""
    kinds = [kind for kind, _id in beijing_residential()]
    assert len(kinds) == 12
    assert kinds.count("way") == 10
    assert ("relation", 14400092) in beijing_residential()
    assert ("node", 2943228133) in beijing_residential()


def test_beijing_courtyards_come_from_all_twelve_areas(beijing: Any) -> None:
    """One courtyard per element, incomplete relation and node included, with ids by OSM type (N/W/R + id)."""
    ids = {y.id for y in beijing.courtyards}
    assert ids == {f"{kind[0].upper()}{osm_id}" for kind, osm_id in beijing_residential()}
    assert {"R14400092", "N2943228133", "W860342589"} <= ids


def test_beijing_courtyards_have_their_chinese_names(beijing: Any) -> None:
    """Tagged areas keep their Chinese ``name``; the untagged one is named after its OSM id."""
    by_id = {y.id: y for y in beijing.courtyards}
    for (kind, osm_id), tags in beijing_residential().items():
        yard = by_id[f"{kind[0].upper()}{osm_id}"]
        if "name" in tags:
            assert yard.name == tags["name"]
            assert yard.label == tags["name"]
            assert yard.name_en == ""  # none of them is tagged name:en
        else:
            assert yard.name == f"OSM {osm_id}"
            assert yard.name_en == f"OSM area {osm_id}"
    assert by_id["W860342589"].name == "静淑苑"
    assert by_id["R14400092"].name == "双泉堡甲2号院"
    assert sum(1 for y in beijing.courtyards if any("\u4e00" <= ch <= "\u9fff" for ch in y.name)) == 11


def test_incomplete_multipolygon_becomes_the_hull_of_its_present_members(beijing: Any) -> None:
    """Relation 14400092 lacks members in the export; its courtyard covers the members that are there."""
    root = ET.parse(BEIJING).getroot()
    rel = next(e for e in root.iter("relation") if e.get("id") == "14400092")
    member_ways = {m.get("ref") for m in rel.findall("member") if m.get("type") == "way"}
    refs = {nd.get("ref") for w in root.iter("way") if w.get("id") in member_ways for nd in w.findall("nd")}
    coords = [(float(n.get("lon", 0)), float(n.get("lat", 0))) for n in root.iter("node") if n.get("id") in refs]
    assert len(coords) >= 3
    yard = beijing.courtyard("R14400092")
    assert yard.polygon.is_valid
    grown = yard.polygon.buffer(1e-7)
    assert all(grown.contains(Point(c)) for c in coords)
    assert 1_000 < yard.area_m2 < 100_000


def test_courtyard_mapped_as_a_node_is_a_small_disc(beijing: Any) -> None:
    """Node 2943228133 (a named residential point) becomes a 25 m disc around it."""
    yard = beijing.courtyard("N2943228133")
    assert math.pi * 25**2 * 0.97 < yard.area_m2 < math.pi * 25**2
    assert yard.gates


def test_every_beijing_courtyard_has_gates_on_the_graph(beijing: Any) -> None:
    """Each derived courtyard has 1 to 3 gates, all street graph nodes."""
    for yard in beijing.courtyards:
        assert 1 <= len(yard.gates) <= 3
        assert all(g in beijing.graph for g in yard.gates)


def test_node_and_way_with_one_number_get_distinct_ids(tmp_path: Path) -> None:
    """OSM ids are unique per element type only: residential node 5 and way 5 become N5 and W5."""
    nodes = "".join(
        f'<node id="{i}" version="1" lat="{LAT0 + y * DY:.6f}" lon="{LON0 + x * DX:.6f}"/>'
        for i, (x, y) in enumerate([(0, 0), (1, 0), (1, 1), (0, 1)], start=1)
    )
    path = tmp_path / "clash.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">'
        f"{nodes}"
        f'<node id="5" version="1" lat="{LAT0 + 0.5 * DY:.6f}" lon="{LON0 + 0.5 * DX:.6f}">'
        '<tag k="landuse" v="residential"/><tag k="name" v="點院"/></node>'
        '<way id="5" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>'
        '<tag k="landuse" v="residential"/><tag k="name" v="線院"/></way>'
        '<way id="6" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>'
        "</osm>",
        encoding="utf-8",
    )
    yards = {y.id: y.name for y in courtyards_from_scan(scan_osm(path))}
    assert yards == {"N5": "點院", "W5": "線院"}


def test_entrance_node_becomes_a_gate_snapped_to_the_street() -> None:
    """The hand-made Chunhui area holds entrance node 12 (off the street); East Yard has none."""
    yards = {y.id: y for y in courtyards_from_scan(scan_osm(DATA / "oneway_bicycle.osm"))}
    assert yards["W200"].gates == (12,)
    assert yards["W201"].gates == ()
    assert yards["W200"].name == "春暉小區"
    assert yards["W200"].name_en == "Chunhui Courtyard"


def test_loaded_gates_are_snapped_to_nearest_reachable_nodes(oneway_district: Any) -> None:
    """Entrance 12 snaps to street node 1 (52 m away); East Yard's outline is nearest node 3."""
    assert oneway_district.courtyard("W200").gates == (1,)
    assert oneway_district.courtyard("W201").gates == (3,)


# --------------------------------------------------------------------------- GeoJSON


def test_geojson_reads_every_attribute(tmp_path: Path) -> None:
    """Names, gates, need, demand (by key or Chinese label), days, windows and dwell are read."""
    props = {
        "id": "C07",
        "name": "春暉小區",
        "name_en": "Chunhui Courtyard",
        "gates": [1, 2],
        "households": 300,
        "elderly": 90,
        "unemployed": 4,
        "consultations": 12,
        "demand": {"employment": 3, "醫保服務": 2},
        "incidents": 5,
        "hot_spot": True,
        "can_host_desk": False,
        "frequency": 2,
        "dwell_min": 7.5,
        "min_gap_days": 1,
        "allowed_days": ["Tue", "Thu"],
        "time_windows": [["07:30", "08:00"]],
    }
    (yard,) = courtyards_from_geojson(write_geojson(tmp_path / "c.geojson", [feature(props)]))
    assert (yard.id, yard.name, yard.name_en, yard.gates) == ("C07", "春暉小區", "Chunhui Courtyard", (1, 2))
    assert (yard.households, yard.elderly, yard.unemployed, yard.consultations) == (300, 90, 4, 12)
    assert dict(yard.demand) == {"employment": 3, "medical_insurance": 2}
    assert yard.hot_spot
    assert not yard.can_host_desk
    assert (yard.frequency, yard.dwell_s, yard.min_gap_days) == (2, 450, 1)
    assert yard.allowed_days == (1, 3)
    assert yard.time_windows == ((dt.time(7, 30), dt.time(8, 0)),)
    assert yard.need == 3 * 4 + 90 // 10 + 12


def test_geojson_defaults_and_multipolygon(tmp_path: Path) -> None:
    """Missing properties take defaults; a MultiPolygon keeps its largest part."""
    multi = {
        "type": "Feature",
        "geometry": {"type": "MultiPolygon", "coordinates": [[square(0, 0, 0.1)], [square(1, 1, 0.5)]]},
        "properties": {},
    }
    (yard,) = courtyards_from_geojson(write_geojson(tmp_path / "m.geojson", [multi]))
    assert yard.id == "F001"
    assert yard.name == "F001"
    assert yard.gates == ()
    assert yard.can_host_desk
    assert yard.frequency is None
    assert yard.polygon.bounds[0] == pytest.approx(LON0 + DX)


def test_geojson_yes_no_written_as_text(tmp_path: Path) -> None:
    """``"false"`` as text is false (not a truthy string); an unclear value is a problem."""
    features = [
        feature({"id": "A", "hot_spot": "false", "can_host_desk": "no"}),
        feature({"id": "B", "hot_spot": "true", "can_host_desk": 1}),
    ]
    a, b = courtyards_from_geojson(write_geojson(tmp_path / "c.geojson", features))
    assert (a.hot_spot, a.can_host_desk, b.hot_spot, b.can_host_desk) == (False, False, True, True)
    bad = write_geojson(tmp_path / "bad.geojson", [feature({"id": "C", "hot_spot": "sometimes"})])
    with pytest.raises(
        InvalidInputError, match=r"bad.geojson.: courtyard C: hot_spot: .sometimes. is not true or false$"
    ):
        courtyards_from_geojson(bad)


def test_geojson_missing_file(tmp_path: Path) -> None:
    """A missing courtyards file is named."""
    with pytest.raises(InvalidInputError, match=r"courtyards file .*nope\.geojson.* does not exist"):
        courtyards_from_geojson(tmp_path / "nope.geojson")


def test_geojson_not_json(tmp_path: Path) -> None:
    """A file that is not JSON says it is not valid GeoJSON."""
    path = tmp_path / "bad.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"bad\.geojson.* is not valid GeoJSON"):
        courtyards_from_geojson(path)


@pytest.mark.parametrize("content", ['{"type": "FeatureCollection", "features": []}', "[1, 2]", '{"type": "Point"}'])
def test_geojson_without_features(tmp_path: Path, content: str) -> None:
    """No features (or not a FeatureCollection) is refused."""
    path = tmp_path / "empty.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"has no features; it must be a GeoJSON FeatureCollection"):
        courtyards_from_geojson(path)


def test_geojson_bad_coordinates(tmp_path: Path) -> None:
    """A polygon at latitude 200 is refused, with a hint about lon/lat order."""
    ring = [[112.5, 200.0], [112.6, 200.0], [112.6, 200.1], [112.5, 200.0]]
    path = write_geojson(tmp_path / "c.geojson", [feature({"id": "C01"}, ring)])
    with pytest.raises(InvalidInputError, match=r"courtyard C01: bad coordinates .*lat within ±90.*EPSG:4326"):
        courtyards_from_geojson(path)


def test_geojson_collects_every_problem_in_one_message(tmp_path: Path) -> None:
    """Bad geometry, bad coordinates, an unknown window, a bad time and a bad day: one error lists all five."""
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [112.5, 37.8]}, "properties": {"id": "P"}}
    far = [[500.0, 37.0], [501.0, 37.0], [501.0, 38.0], [500.0, 37.0]]
    features = [
        point,
        feature({"id": "LAT"}, far),
        feature({"id": "WIN", "demand": {"karaoke": 1}}),
        feature({"id": "TIME", "time_windows": [["7.30", "08:00"]]}),
        feature({"id": "DAY", "allowed_days": ["Someday"]}),
        feature({"id": "GOOD"}),
    ]
    with pytest.raises(InvalidInputError, match=r"\(5 problems\)") as info:
        courtyards_from_geojson(write_geojson(tmp_path / "c.geojson", features))
    message = str(info.value)
    assert "courtyard P: geometry must be a Polygon" in message
    assert "courtyard LAT: bad coordinates" in message
    assert "unknown service window 'karaoke'" in message
    assert "courtyard TIME: bad time '7.30'" in message
    assert "unknown weekday 'Someday'" in message
    assert "GOOD" not in message
    assert len(info.value.items) == 5


# --------------------------------------------------------------------------- snapping


def test_snap_far_courtyard_is_outside_the_graph(street_graph: Any) -> None:
    """A courtyard 10 km away is reported as outside the street graph, with its distance."""
    graph, _ = street_graph("oneway_bicycle.osm")
    far = Courtyard("FAR", "遠院", Polygon(square(100, 0)), name_en="Far Yard")
    _yards, problems = snap_gates(graph, [far])
    assert len(problems) == 1
    assert problems[0].startswith("courtyard FAR (遠院 Far Yard) is ")
    assert "m from the nearest street node: it lies outside the street graph" in problems[0]


def test_snap_unknown_gate_id_is_reported(street_graph: Any) -> None:
    """A gate id that is neither a graph node nor a known entrance is named."""
    graph, _ = street_graph("oneway_bicycle.osm")
    yard = Courtyard("C1", "院", Polygon(square(0.3, 0.3)), gates=(424242,))
    _yards, problems = snap_gates(graph, [yard])
    assert problems[0].startswith("courtyard C1 (院): gate node 424242 is not in the street file")
    assert "has no gate on the street graph" not in " ".join(problems)


def test_snap_keeps_graph_gates_and_respects_candidates(street_graph: Any) -> None:
    """Graph-node gates stay; derived gates only go to candidate nodes; at most ``max_gates`` gates."""
    graph, _ = street_graph("oneway_bicycle.osm")
    keep = Courtyard("K", "K", Polygon(square(0.3, 0.3)), gates=(9, 10, 1, 2))
    derive = Courtyard("D", "D", Polygon(square(2.1, 1.2, 0.3)))
    (k, d), problems = snap_gates(graph, [keep, derive], candidates=[1, 2, 3, 4], max_gates=3)
    assert problems == []
    assert k.gates == (9, 10, 1)
    assert d.gates == (3,)


def test_snap_empty_candidates_is_a_problem(street_graph: Any) -> None:
    """Without candidate nodes nothing can be snapped, and the problem says so."""
    graph, _ = street_graph("oneway_bicycle.osm")
    _yards, problems = snap_gates(graph, [Courtyard("C", "C", Polygon(square(0, 0)))], candidates=[])
    assert problems == ["the street graph has no nodes to snap gates to"]


def test_snap_is_one_vectorised_query(street_graph: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """All gates of all courtyards go to the KD-tree in a single query call."""
    import patrolplan.courtyards as mod

    calls: list[int] = []
    real = mod.cKDTree

    class CountingTree(real):  # type: ignore[misc, valid-type]
        def query(self, x: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(len(x))
            return super().query(x, *args, **kwargs)

    monkeypatch.setattr(mod, "cKDTree", CountingTree)
    graph, _ = street_graph("beijing_haidian_cau.osm")
    yards = courtyards_from_scan(scan_osm(BEIJING))
    snap_gates(graph, yards, gate_coords={})
    assert len(calls) == 1
    assert calls[0] > len(yards)


# --------------------------------------------------------------------------- the Courtyard type


def test_courtyard_matches_id_and_both_names() -> None:
    """A courtyard is found by id, Chinese name, English name or its first English word, any case."""
    yard = Courtyard("C28", "春暉小區", Polygon(square(0, 0)), name_en="Chunhui Courtyard")
    for key in ["C28", "c28", "春暉小區", "chunhui courtyard", "Chunhui", " CHUNHUI "]:
        assert yard.matches(key)
    assert not yard.matches("Courtyard")
    assert not yard.matches("C2")
    assert yard.label == "春暉小區 Chunhui Courtyard"


def test_visits_per_week() -> None:
    """One visit a week, a hot spot every duty day, or an explicit frequency."""
    poly = Polygon(square(0, 0))
    assert Courtyard("A", "A", poly).visits_per_week(3) == 1
    assert Courtyard("A", "A", poly, hot_spot=True).visits_per_week(3) == 3
    assert Courtyard("A", "A", poly, hot_spot=True, frequency=2).visits_per_week(3) == 2


@settings(max_examples=40, deadline=None)
@given(
    width=st.floats(10, 2_000),
    height=st.floats(10, 2_000),
    lat=st.floats(-70, 70),
    lon=st.floats(-179, 179),
)
def test_area_of_a_rectangle_in_metres(width: float, height: float, lat: float, lon: float) -> None:
    """A width × height m rectangle laid out in lon/lat measures width × height m² (within 0.5%)."""
    dlat = height / 111_320.0
    dlon = width / (111_320.0 * math.cos(math.radians(lat + dlat / 2)))
    poly = Polygon([(lon, lat), (lon + dlon, lat), (lon + dlon, lat + dlat), (lon, lat + dlat)])
    yard = Courtyard("R", "R", poly)
    assert yard.area_m2 == pytest.approx(width * height, rel=5e-3)


def test_local_metres_origin_and_scale() -> None:
    """The projection puts the origin at 0 and one degree of latitude at 111.32 km."""
    xs, ys = local_metres(np.array([[112.0, 38.0], [112.0, 39.0], [113.0, 38.0]]), 112.0, 38.0)
    assert (xs[0], ys[0]) == (0.0, 0.0)
    assert ys[1] == pytest.approx(111_320.0)
    assert xs[2] == pytest.approx(111_320.0 * math.cos(math.radians(38.0)))


def test_gates_of_geojson_may_be_graph_nodes(tmp_path: Path, street_graph: Any) -> None:
    """GeoJSON gate ids that are graph nodes are kept as they are by snapping."""
    graph, _ = street_graph("oneway_bicycle.osm")
    (yard,) = courtyards_from_geojson(write_geojson(tmp_path / "g.geojson", [feature({"id": "G", "gates": [5]})]))
    (snapped,), problems = snap_gates(graph, [yard])
    assert problems == []
    assert snapped.gates == (5,)
    assert nx.has_path(graph, 2, 5)
