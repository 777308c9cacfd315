"""The bicycle street graph: real extracts, formats, one-way rules, speeds and bad files."""

from __future__ import annotations

import bz2
import collections
import functools
import math
from pathlib import Path
from typing import Any

import osmnx as ox
import pytest

from patrolplan.errors import MalformedOSMError
from patrolplan.streets import (
    DEFAULT_SPEEDS_KMH,
    WALKING_SPEED_KMH,
    StreetOptions,
    edge_speed_check,
    graph_from_file,
    scan_osm,
)

DATA = Path(__file__).resolve().parent / "data"
#: Every real OpenStreetMap extract in tests/data (copies of ../shared/data/external).
OSM_EXTRACTS = (
    "West-Oakland.osm.bz2",
    "germany_tiny.osm",
    "aguascalientes.osm.bz2",
    "aguascalientes.osm.pbf",
    "taipei_xinyi.osm",
    "beijing_haidian_cau.osm",
    "hochiminh_levantam_park.osm",
)

# What a bicycle may not use, written out here independently of streets.py.
NO_BICYCLES = {
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "construction",
    "proposed",
    "platform",
    "raceway",
    "bus_guideway",
    "corridor",
    "elevator",
    "bridleway",
}

# Raw osmnx 2.1.1 figures, unsimplified, retain_all=True, from ../shared/data/external/*/README.md.
README_RAW_COUNTS = {
    "West-Oakland.osm.bz2": (446, 872),
    "germany_tiny.osm": (281, 612),
    "aguascalientes.osm.bz2": (3083, 4774),
    "taipei_xinyi.osm": (659, 1422),
    "beijing_haidian_cau.osm": (4347, 8209),
    "hochiminh_levantam_park.osm": (1440, 2531),
}


@functools.lru_cache(maxsize=8)
def raw_osmnx(name: str) -> Any:
    """osmnx's own unsimplified graph of a file, keeping the tags the bicycle rules read."""
    extra = ["bicycle", "oneway:bicycle", "cycleway"]
    saved = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = [*saved, *(t for t in extra if t not in saved)]
    try:
        return ox.graph_from_xml(DATA / name, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = saved


def bicycle_edges_by_osmnx(name: str) -> collections.Counter[tuple[int, int]]:
    """The directed segments a bicycle may ride, derived from osmnx's raw graph."""
    expected: collections.Counter[tuple[int, int]] = collections.Counter()
    for u, v, data in raw_osmnx(name).edges(data=True):
        highway = data.get("highway")
        if highway is None or highway in NO_BICYCLES or data.get("area") == "yes":
            continue
        if data.get("bicycle") in ("no", "private"):
            continue
        if data.get("access") in ("no", "private") and data.get("bicycle") not in ("yes", "designated"):
            continue
        expected[(u, v)] += 1
        if data.get("oneway:bicycle") == "no" or data.get("cycleway") in ("opposite", "opposite_lane"):
            expected[(v, u)] += 1
    return expected


def edges_of(graph: Any) -> collections.Counter[tuple[int, int]]:
    return collections.Counter((u, v) for u, v, _k in graph.edges(keys=True))


def write_osm(path: Path, ways: list[tuple[list[int], dict[str, str]]], extra_nodes: str = "") -> Path:
    """A tiny OSM file: nodes 1..4 on a line 100 m apart, then the given ways."""
    nodes = "\n".join(
        f'  <node id="{i}" version="1" lat="37.87" lon="{112.56 + 0.00114 * (i - 1):.5f}"/>' for i in range(1, 5)
    )
    body = []
    for n, (refs, tags) in enumerate(ways, start=1):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        body.append(f'  <way id="{n}" version="1">{nds}{tag_xml}</way>')
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n{nodes}\n{extra_nodes}\n'
        + "\n".join(body)
        + "\n</osm>\n",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- real extracts


@pytest.mark.parametrize("name", sorted(README_RAW_COUNTS))
def test_extract_is_intact_raw_osmnx_counts_match_readme(name: str) -> None:
    """osmnx's raw unsimplified load of each copied extract gives its README's node/edge counts."""
    raw = raw_osmnx(name)
    assert (raw.number_of_nodes(), raw.number_of_edges()) == README_RAW_COUNTS[name]


@pytest.mark.parametrize(
    ("name", "nodes", "ways"),
    [
        ("West-Oakland.osm.bz2", 446, 66),
        ("aguascalientes.osm.bz2", 3083, 733),
        ("aguascalientes.osm.pbf", 3083, 733),
        ("taipei_xinyi.osm", 659, 102),
        ("beijing_haidian_cau.osm", 4347, 684),
        ("hochiminh_levantam_park.osm", 1440, 315),
    ],
)
def test_scan_reads_every_node_and_way_of_the_readme(street_graph: Any, name: str, nodes: int, ways: int) -> None:
    """pyosmium's pass over each file sees the node and way counts its README gives (PBF included)."""
    _graph, scan = street_graph(name)
    assert (scan.n_nodes, scan.n_ways) == (nodes, ways)


@pytest.mark.parametrize("name", OSM_EXTRACTS)
def test_every_extract_loads_as_a_bicycle_graph(street_graph: Any, name: str) -> None:
    """Every OSM extract (XML, bz2, PBF) loads into a non-empty graph with usable edge attributes."""
    graph, _scan = street_graph(name)
    assert graph.number_of_nodes() > 20
    assert graph.number_of_edges() > 40
    assert edge_speed_check(graph)
    for _u, _v, data in graph.edges(data=True):
        assert data["length"] >= 0
        assert data["highway"] not in NO_BICYCLES
        assert {"travel_time", "name_en", "contraflow", "walked"} <= set(data)
    for _n, data in graph.nodes(data=True):
        assert -180 <= data["x"] <= 180
        assert -90 <= data["y"] <= 90


@pytest.mark.parametrize("name", sorted(README_RAW_COUNTS))
def test_bicycle_graph_equals_osmnx_restricted_to_rideable_highways(street_graph: Any, name: str) -> None:
    """Our graph has exactly osmnx's highway segments a bicycle may use (plus contraflow), and their nodes."""
    graph, _scan = street_graph(name)
    expected = bicycle_edges_by_osmnx(name)
    assert edges_of(graph) == expected
    assert set(graph.nodes) == {n for edge in expected for n in edge}
    raw = raw_osmnx(name)
    for u, v, k, data in graph.edges(keys=True, data=True):
        if raw.has_edge(u, v, k):
            assert data["length"] == pytest.approx(raw.edges[u, v, k]["length"], abs=1e-6)


def test_bicycle_counts_are_smaller_than_raw_counts(street_graph: Any) -> None:
    """Buildings, land use and motorways are gone: Beijing's 4347/8209 raw becomes 1409/2653 for bicycles."""
    graph, _scan = street_graph("beijing_haidian_cau.osm")
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (1409, 2653)
    raw_highways = {d.get("highway") for _u, _v, d in raw_osmnx("beijing_haidian_cau.osm").edges(data=True)}
    assert {"motorway", "motorway_link"} <= raw_highways
    assert not {"motorway", "motorway_link"} & {d["highway"] for _u, _v, d in graph.edges(data=True)}


def test_pbf_and_xml_give_the_same_graph(street_graph: Any) -> None:
    """Aguascalientes from .osm.pbf and .osm.bz2: same nodes and coordinates, edges, lengths and gates."""
    xml, xml_scan = street_graph("aguascalientes.osm.bz2")
    pbf, pbf_scan = street_graph("aguascalientes.osm.pbf")
    assert sorted(g[0] for g in xml_scan.gates) == sorted(g[0] for g in pbf_scan.gates)
    assert len(xml_scan.gates) == 26
    assert set(xml.nodes) == set(pbf.nodes)
    for node, data in xml.nodes(data=True):
        assert (pbf.nodes[node]["x"], pbf.nodes[node]["y"]) == pytest.approx((data["x"], data["y"]), abs=1e-7)
    assert set(xml.edges(keys=True)) == set(pbf.edges(keys=True))
    for u, v, k, data in xml.edges(keys=True, data=True):
        other = pbf.edges[u, v, k]
        assert other["length"] == pytest.approx(data["length"], abs=1e-6)
        assert other["travel_time"] == pytest.approx(data["travel_time"], abs=1e-6)
        assert other["highway"] == data["highway"]
        assert other["osmid"] == data["osmid"]


def test_chinese_street_names_keep_english_variants(street_graph: Any) -> None:
    """Beijing edges carry the Chinese ``name`` and, where tagged, ``name:en`` as ``name_en``."""
    graph, _scan = street_graph("beijing_haidian_cau.osm")
    names = {(d["name"], d["name_en"]) for _u, _v, d in graph.edges(data=True) if isinstance(d.get("name"), str)}
    assert any(zh == "学清路" for zh, _en in names)
    assert any(zh != en and en.isascii() and en for zh, en in names)


# --------------------------------------------------------------------------- one-way rules


def test_oneway_bicycle_no_is_two_way_for_bicycles(street_graph: Any) -> None:
    """Way 101 (oneway=yes, oneway:bicycle=no) is ridden both ways and marked as contraflow."""
    graph, scan = street_graph("oneway_bicycle.osm")
    assert graph.has_edge(5, 6)
    assert graph.has_edge(6, 5)
    assert graph.edges[6, 5, 0]["contraflow"]
    assert scan.contraflow_ways == {101}


def test_plain_oneway_is_one_way(street_graph: Any) -> None:
    """Way 102 (oneway=yes) only goes 6 -> 7; the one-way dead ends only go their way."""
    graph, scan = street_graph("oneway_bicycle.osm")
    assert graph.has_edge(6, 7)
    assert not graph.has_edge(7, 6)
    assert graph.has_edge(7, 9)
    assert not graph.has_edge(9, 7)
    assert graph.has_edge(10, 8)
    assert not graph.has_edge(8, 10)
    assert scan.oneway_ways == {102, 107, 108}


def test_motorway_is_not_in_the_bicycle_graph(street_graph: Any) -> None:
    """Way 106 (motorway 1 -> 5) is dropped; its end nodes stay because other streets use them."""
    graph, _scan = street_graph("oneway_bicycle.osm")
    assert not graph.has_edge(1, 5)
    assert not graph.has_edge(5, 1)
    assert 1 in graph
    assert 5 in graph
    assert all(d["highway"] != "motorway" for _u, _v, d in graph.edges(data=True))


def test_footway_is_pushed_at_walking_speed(street_graph: Any) -> None:
    """The footway 4-8 is usable both ways, at the footway speed (pushing the bicycle)."""
    graph, _scan = street_graph("oneway_bicycle.osm")
    for u, v in [(4, 8), (8, 4)]:
        data = graph.edges[u, v, 0]
        assert data["highway"] == "footway"
        assert data["travel_time"] == pytest.approx(data["length"] / (DEFAULT_SPEEDS_KMH["footway"] / 3.6))


def test_walk_against_oneway_adds_walked_reverse_edges(street_graph: Any) -> None:
    """With ``walk_against_oneway`` every one-way segment gets a walked reverse at walking speed."""
    plain, _ = street_graph("oneway_bicycle.osm")
    graph, _ = street_graph("oneway_bicycle.osm", walk_against_oneway=True)
    walked = {(u, v): d for u, v, d in graph.edges(data=True) if d["walked"]}
    assert set(walked) == {(7, 6), (9, 7), (8, 10)}
    for (u, v), data in walked.items():
        assert data["travel_time"] == pytest.approx(data["length"] / (WALKING_SPEED_KMH / 3.6))
        assert data["length"] == pytest.approx(plain.edges[v, u, 0]["length"])
    assert graph.number_of_edges() == plain.number_of_edges() + 3
    assert not any(d["walked"] for _u, _v, d in plain.edges(data=True))


@pytest.mark.parametrize(
    ("tags", "forward", "backward"),
    [
        ({"highway": "residential"}, True, True),
        ({"highway": "residential", "oneway": "yes"}, True, False),
        ({"highway": "residential", "oneway": "-1"}, False, True),
        ({"highway": "residential", "junction": "roundabout"}, True, False),
        ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, True, True),
        ({"highway": "residential", "oneway": "yes", "cycleway": "opposite"}, True, True),
        ({"highway": "residential", "bicycle": "no"}, False, False),
        ({"highway": "service", "access": "private"}, False, False),
        ({"highway": "service", "access": "private", "bicycle": "yes"}, True, True),
        ({"highway": "pedestrian", "area": "yes"}, False, False),
        ({"highway": "trunk"}, False, False),
        ({"highway": "cycleway"}, True, True),
    ],
)
def test_bicycle_access_and_direction_rules(
    tmp_path: Path, tags: dict[str, str], forward: bool, backward: bool
) -> None:
    """Each tag combination gives the segment 2 -> 3 in the directions a bicycle may ride it."""
    path = write_osm(tmp_path / "rules.osm", [([1, 2], {"highway": "residential"}), ([2, 3], tags)])
    graph, _scan = graph_from_file(path)
    assert graph.has_edge(2, 3) == forward
    assert graph.has_edge(3, 2) == backward


# --------------------------------------------------------------------------- speeds


def test_speeds_per_road_type_are_configurable(street_graph: Any) -> None:
    """Doubling the residential speed halves residential travel times; other types are unchanged."""
    base, _ = street_graph("oneway_bicycle.osm")
    speeds = {**DEFAULT_SPEEDS_KMH, "residential": 2 * DEFAULT_SPEEDS_KMH["residential"]}
    fast, _ = graph_from_file(DATA / "oneway_bicycle.osm", options=StreetOptions(speeds_kmh=speeds))
    for u, v, k, data in base.edges(keys=True, data=True):
        ratio = 0.5 if data["highway"] == "residential" else 1.0
        assert fast.edges[u, v, k]["travel_time"] == pytest.approx(ratio * data["travel_time"])


def test_speed_for_lists_and_unknown_types() -> None:
    """A merged edge rides at its slowest type; an unknown type at the default speed."""
    opts = StreetOptions(default_speed_kmh=11.0)
    assert opts.speed_for(["residential", "footway"]) == DEFAULT_SPEEDS_KMH["footway"]
    assert opts.speed_for("bus_stop_lane") == 11.0
    assert opts.speed_for([]) == 11.0


def test_travel_time_is_length_over_speed(street_graph: Any) -> None:
    """Every edge's travel time is its length at its road type's speed (Taipei)."""
    graph, _ = street_graph("taipei_xinyi.osm")
    opts = StreetOptions()
    for _u, _v, data in graph.edges(data=True):
        expected = data["length"] / (opts.speed_for(data["highway"]) / 3.6)
        assert math.isclose(data["travel_time"], expected, rel_tol=1e-9, abs_tol=1e-9)


# --------------------------------------------------------------------------- scan


def test_scan_finds_office_gates_and_courtyard_areas() -> None:
    """One pass finds the office node, the entrance node and both residential areas."""
    scan = scan_osm(DATA / "oneway_bicycle.osm")
    assert scan.office is not None
    assert scan.office[0] == 11
    assert [g[0] for g in scan.gates] == [12]
    assert sorted(r[0] for r in scan.residential) == [200, 201]
    assert scan.n_ways == 11


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("malformed.osm", r"cannot read street file .*malformed\.osm.*XML parsing error.*complete OSM export"),
        ("not_osm.osm", r"not_osm\.osm.* is not OpenStreetMap XML .*DOCTYPE html"),
        ("empty.osm", r"empty\.osm.* is empty; export the area again"),
        ("missing.osm", r"missing\.osm.* does not exist; give the path of an \.osm"),
        ("missing.osm.pbf", r"missing\.osm\.pbf.* does not exist"),
        ("missing.graphml", r"GraphML file .*missing\.graphml.* is missing or empty"),
    ],
)
def test_bad_street_files_are_refused_by_name(name: str, match: str) -> None:
    """Malformed, non-OSM, empty and missing files raise MalformedOSMError naming the file."""
    with pytest.raises(MalformedOSMError, match=match) as info:
        graph_from_file(DATA / name)
    assert str(DATA / name) in info.value.items


def test_folder_instead_of_file_is_refused(tmp_path: Path) -> None:
    """A folder given as the street file is named in the error."""
    with pytest.raises(MalformedOSMError, match=r"is a folder; give a file"):
        scan_osm(tmp_path)


def test_bad_bzip2_is_refused(tmp_path: Path) -> None:
    """An ``.osm.bz2`` that is not bzip2 data says so."""
    path = tmp_path / "area.osm.bz2"
    path.write_bytes(b"<osm>not compressed</osm>")
    with pytest.raises(MalformedOSMError, match=r"area\.osm\.bz2.* is not valid bzip2"):
        graph_from_file(path)


def test_bzip2_of_html_is_refused(tmp_path: Path) -> None:
    """Compressed HTML is as bad as plain HTML."""
    path = tmp_path / "page.osm.bz2"
    path.write_bytes(bz2.compress(b"<html><body>error</body></html>"))
    with pytest.raises(MalformedOSMError, match=r"is not OpenStreetMap XML"):
        graph_from_file(path)


def test_corrupt_pbf_is_refused(tmp_path: Path) -> None:
    """A ``.pbf`` holding garbage cannot be read."""
    path = tmp_path / "area.osm.pbf"
    path.write_bytes(b"\x00\x00\x00\x0dthis is not a protobuf block at all")
    with pytest.raises(MalformedOSMError, match=r"cannot read street file .*area\.osm\.pbf"):
        graph_from_file(path)


def test_corrupt_graphml_is_refused(tmp_path: Path) -> None:
    """A ``.graphml`` that osmnx cannot read says to save it again."""
    path = tmp_path / "streets.graphml"
    path.write_text("<graphml><broken", encoding="utf-8")
    with pytest.raises(MalformedOSMError, match=r"cannot read GraphML file .*streets\.graphml.*save_graphml"):
        graph_from_file(path)


def test_osm_without_streets_is_refused(tmp_path: Path) -> None:
    """An OSM file with only a building has no streets a bicycle may use."""
    path = write_osm(tmp_path / "building.osm", [([1, 2, 3, 1], {"building": "yes"})])
    with pytest.raises(MalformedOSMError, match=r"has no streets a bicycle may use \(4 nodes, 1 ways\)"):
        graph_from_file(path)


def test_osm_with_only_a_motorway_is_refused(tmp_path: Path) -> None:
    """A motorway alone gives no bicycle streets."""
    path = write_osm(tmp_path / "motorway.osm", [([1, 2, 3, 4], {"highway": "motorway"})])
    with pytest.raises(MalformedOSMError, match=r"no streets a bicycle may use"):
        graph_from_file(path)


def test_xml_that_is_not_osm_is_refused(tmp_path: Path) -> None:
    """An XML file of another kind (a GPX track) saved as .osm is refused, naming the element."""
    path = tmp_path / "track.osm"
    path.write_text('<?xml version="1.0"?>\n<gpx version="1.1"><trk><name>ride</name></trk></gpx>\n', encoding="utf-8")
    with pytest.raises(
        MalformedOSMError, match=r"cannot read street file .*track\.osm.*Unknown top-level element: gpx"
    ):
        graph_from_file(path)


def test_unreadable_coordinate_is_refused(tmp_path: Path) -> None:
    """A coordinate that is not a number is a malformed file, not an osmium crash."""
    path = tmp_path / "text.osm"
    path.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="abc" lon="1"/></osm>\n', encoding="utf-8"
    )
    with pytest.raises(MalformedOSMError, match=r"text\.osm.*wrong format for coordinate: 'abc'"):
        graph_from_file(path)


def test_bad_coordinates_are_named(tmp_path: Path) -> None:
    """Nodes at latitude 200 and -95 are listed by id, with the valid ranges."""
    path = write_osm(
        tmp_path / "far.osm",
        [([1, 2, 3, 4], {"highway": "residential"}), ([7, 8], {"highway": "residential"})],
        extra_nodes='<node id="7" version="1" lat="200" lon="112.56"/>\n<node id="8" version="1" lat="-95" lon="1"/>',
    )
    with pytest.raises(
        MalformedOSMError, match=r"far\.osm.*: 2 nodes have bad coordinates \(lon must be within ±180, lat within ±90\)"
    ) as info:
        graph_from_file(path)
    assert info.value.items == (7, 8)
