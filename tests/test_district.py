"""Loading and validating districts: files, folders, GraphML, online, the default, and every error."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import osmnx as ox
import pytest
from shapely.geometry import Polygon, mapping

from patrolplan.courtyards import Courtyard
from patrolplan.district import District, district_from_file, district_from_place, load_district
from patrolplan.errors import (
    DuplicateIdError,
    InvalidInputError,
    MalformedOSMError,
    NetworkUnavailableError,
    NotFoundError,
    UnreachableCourtyardError,
)
from patrolplan.matrix import UNREACHABLE
from patrolplan.streets import StreetOptions

DATA = Path(__file__).resolve().parent / "data"
ONEWAY = DATA / "oneway_bicycle.osm"
LON0, LAT0, DX, DY = 112.56, 37.87, 0.00114, 0.0009


def box(x: float, y: float, size: float = 0.3) -> Polygon:
    """A square courtyard outline in grid units of the hand-made file (1 unit = about 100 m)."""
    pts = [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]
    return Polygon([(LON0 + a * DX, LAT0 + b * DY) for a, b in pts])


def yard(cid: str, *gates: int, x: float = 0.3, y: float = 0.3) -> Courtyard:
    return Courtyard(cid, f"院{cid}", box(x, y), gates=tuple(gates), name_en=f"Yard {cid}")


# --------------------------------------------------------------------------- loading


def test_hand_made_district_loads_with_office_and_courtyards(oneway_district: District) -> None:
    """The office tag (off the street) snaps to node 2; both residential areas become courtyards."""
    assert oneway_district.office == 2
    assert [y.id for y in oneway_district.courtyards] == ["W200", "W201"]
    assert oneway_district.sites == (2, 1, 3)
    assert oneway_district.name == "oneway_bicycle"
    assert oneway_district.source == str(ONEWAY)


def test_street_length_counts_two_way_streets_once(oneway_district: District) -> None:
    """Ten 100 m street segments (two-way ones counted once) make 1.0 km of network."""
    assert oneway_district.street_length_m == pytest.approx(10 * 100.07, rel=1e-3)
    assert "Main Street" not in oneway_district.street_names  # names are the Chinese ``name``
    assert "主街" in oneway_district.street_names


def test_summary_mentions_courtyards_streets_office_and_reachability(oneway_district: District) -> None:
    """The summary names the counts, the network length, the office and reachability."""
    text = oneway_district.summary()
    assert "courtyards: 2" in text
    assert "1.00 km of network" in text
    assert "office: node 2" in text
    assert "every courtyard reachable by bicycle and back: yes" in text


@pytest.mark.parametrize(
    ("name", "courtyards"),
    [
        ("West-Oakland.osm.bz2", 1),
        ("germany_tiny.osm", 1),
        ("beijing_haidian_cau.osm", 12),
        ("hochiminh_levantam_park.osm", 1),
    ],
)
def test_extracts_with_residential_areas_load_as_districts(name: str, courtyards: int) -> None:
    """Real extracts with landuse=residential load as districts whose courtyards are all reachable."""
    district = district_from_file(DATA / name)
    assert len(district) == courtyards
    district.validate()
    assert "reachable by bicycle and back: yes" in district.summary()


@pytest.mark.parametrize("name", ["aguascalientes.osm.bz2", "aguascalientes.osm.pbf", "taipei_xinyi.osm"])
def test_extracts_without_residential_areas_load_with_given_courtyards(street_graph: Any, name: str) -> None:
    """Extracts with no residential areas load once courtyards are given (derived gates, office by lon/lat)."""
    graph, _ = street_graph(name)
    xs = np.array([d["x"] for _n, d in graph.nodes(data=True)])
    ys = np.array([d["y"] for _n, d in graph.nodes(data=True)])
    cx, cy = float(np.median(xs)), float(np.median(ys))
    d = 0.0003
    outline = Polygon([(cx - d, cy - d), (cx + d, cy - d), (cx + d, cy + d), (cx - d, cy + d)])
    district = district_from_file(DATA / name, courtyards=[Courtyard("C1", "中院", outline)], office=(cx, cy))
    assert district.courtyards[0].gates
    assert district.matrix.reachable(district.office, district.courtyards[0].gates[0])


def test_extract_without_residential_areas_needs_courtyards() -> None:
    """Without courtyards, Aguascalientes says to give a courtyards GeoJSON."""
    with pytest.raises(InvalidInputError, match=r"has no courtyards; give a courtyards GeoJSON"):
        district_from_file(DATA / "aguascalientes.osm.pbf")


def test_walk_against_oneway_makes_dead_ends_reachable() -> None:
    """Gates at the one-way dead ends fail by bicycle but pass when walking against one-ways is allowed."""
    yards = [yard("IN", 9, x=2.0, y=1.5), yard("OUT", 10, x=3.0, y=1.5)]
    with pytest.raises(UnreachableCourtyardError):
        district_from_file(ONEWAY, courtyards=yards)
    district = district_from_file(ONEWAY, courtyards=yards, street_options=StreetOptions(walk_against_oneway=True))
    office = district.matrix.index(district.office)
    assert (district.matrix.seconds[office] < UNREACHABLE).all()
    assert (district.matrix.seconds[:, office] < UNREACHABLE).all()


# --------------------------------------------------------------------------- validation errors


def test_courtyard_unreachable_from_the_office() -> None:
    """A courtyard whose only gate is at the end of an outbound one-way (node 10) cannot be reached."""
    with pytest.raises(
        UnreachableCourtyardError,
        match=r"courtyard OUT \(院OUT Yard OUT\): no gate can be reached from the office by bicycle \(gates \[10\]\)",
    ) as info:
        district_from_file(ONEWAY, courtyards=[yard("OK", 1), yard("OUT", 10, x=3.0, y=1.5)])
    assert info.value.items == ("OUT",)


def test_courtyard_that_cannot_get_back_to_the_office() -> None:
    """A courtyard at the end of an inbound one-way dead end (node 9) has no way back."""
    with pytest.raises(
        UnreachableCourtyardError,
        match=r"courtyard IN .*: no gate can get back to the office by bicycle \(gates \[9\]\); check one-way streets",
    ):
        district_from_file(ONEWAY, courtyards=[yard("OK", 1), yard("IN", 9, x=2.0, y=1.5)])


def test_courtyard_with_one_good_gate_is_fine() -> None:
    """One gate that works in both directions is enough, even if another gate is a dead end."""
    district = district_from_file(ONEWAY, courtyards=[yard("MIX", 9, 10, 3)])
    assert district.courtyards[0].gates == (9, 10, 3)


def test_courtyard_outside_the_graph() -> None:
    """A courtyard 10 km away is named as outside the street graph."""
    far = Courtyard("FAR", "遠院", box(100, 0))
    with pytest.raises(InvalidInputError, match=r"courtyard FAR \(遠院\) is \d+ m from the nearest street node"):
        district_from_file(ONEWAY, courtyards=[yard("OK", 1), far])


def test_gate_id_not_in_the_file() -> None:
    """A gate id that is not a node of the file is named."""
    with pytest.raises(InvalidInputError, match=r"courtyard BAD .*: gate node 777 is not in the street file"):
        district_from_file(ONEWAY, courtyards=[yard("BAD", 777)])


def test_duplicate_courtyard_ids() -> None:
    """Two courtyards with one id raise DuplicateIdError naming the id."""
    with pytest.raises(DuplicateIdError, match=r"duplicate courtyard ids \['C1'\]; give each courtyard its own id"):
        district_from_file(ONEWAY, courtyards=[yard("C1", 1), yard("C1", 3), yard("C2", 4)])


def test_duplicate_ids_in_geojson(tmp_path: Path) -> None:
    """Duplicate ids in a courtyards GeoJSON are caught the same way."""
    feats = [
        {
            "type": "Feature",
            "geometry": mapping(box(0.3, 0.3)),
            "properties": {"id": i},
        }
        for i in ["A", "B", "A", "B"]
    ]
    path = tmp_path / "c.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    with pytest.raises(DuplicateIdError, match=r"duplicate courtyard ids \['A', 'B'\]"):
        district_from_file(ONEWAY, courtyards=path)


def test_validation_collects_every_problem_in_one_message() -> None:
    """Duplicate ids and courtyards unreachable both ways come in one message with a count."""
    yards = [yard("A", 1), yard("A", 3), yard("IN", 9), yard("OUT", 10)]
    with pytest.raises(InvalidInputError, match=r"district oneway_bicycle \(3 problems\):") as info:
        district_from_file(ONEWAY, courtyards=yards)
    message = str(info.value)
    assert "duplicate courtyard ids ['A']" in message
    assert "courtyard IN (院IN Yard IN): no gate can get back to the office" in message
    assert "courtyard OUT (院OUT Yard OUT): no gate can be reached from the office" in message
    assert info.value.items == ("A", "IN", "OUT")
    assert not isinstance(info.value, DuplicateIdError)


def test_snapping_problems_are_collected_too() -> None:
    """Two courtyards outside the graph and one unknown gate: three problems, one message."""
    yards = [Courtyard("F1", "F1", box(100, 0)), Courtyard("F2", "F2", box(0, 100)), yard("G", 999)]
    with pytest.raises(InvalidInputError, match=r"\(3 problems\)") as info:
        district_from_file(ONEWAY, courtyards=yards)
    assert all(key in str(info.value) for key in ["courtyard F1", "courtyard F2", "gate node 999"])


def test_bad_office_coordinates() -> None:
    """An office at latitude 200 is refused as not a valid lon/lat."""
    with pytest.raises(InvalidInputError, match=r"office coordinates \(112\.56, 200\.0\) are not a valid lon/lat"):
        district_from_file(ONEWAY, office=(112.56, 200.0))


def test_office_coordinates_outside_the_graph() -> None:
    """Office coordinates 10 km from any street (e.g. a typo) are refused with the distance."""
    with pytest.raises(
        InvalidInputError, match=r"the office at \(112\.66, 37\.87\) is [\d,]+ m from the nearest street"
    ):
        district_from_file(ONEWAY, office=(112.66, 37.87))


def test_office_node_not_on_the_graph() -> None:
    """An office node id that is not a street node is named."""
    with pytest.raises(InvalidInputError, match=r"office node 11 is not on the street graph"):
        district_from_file(ONEWAY, office=11)  # the office tag node itself is off the street


def test_office_by_node_and_by_lonlat() -> None:
    """The office may be given as a node id or as (lon, lat), snapped to the nearest core node."""
    assert district_from_file(ONEWAY, office=3).office == 3
    assert district_from_file(ONEWAY, office=(LON0 + 2.9 * DX, LAT0 + 0.1 * DY)).office == 4
    # node 9 is nearest to this point but cannot return: the office goes to the strongly connected core
    assert district_from_file(ONEWAY, office=(LON0 + 2.0 * DX, LAT0 + 2.1 * DY)).office == 7


def test_unknown_courtyard_lookup(oneway_district: District) -> None:
    """Looking up a courtyard that does not exist lists known ids."""
    assert oneway_district.courtyard("Chunhui").id == "W200"
    with pytest.raises(NotFoundError, match=r"no courtyard 'Nowhere' in oneway_bicycle; known ids include W200, W201"):
        oneway_district.courtyard("Nowhere")


def test_bad_street_file_via_district_loader() -> None:
    """The district loader passes street file errors through."""
    with pytest.raises(MalformedOSMError, match=r"not_osm\.osm.* is not OpenStreetMap XML"):
        district_from_file(DATA / "not_osm.osm")


# --------------------------------------------------------------------------- folders


def test_district_folder_with_settings(tmp_path: Path, oneway_district: District) -> None:
    """A folder with a street file, courtyards.geojson and district.toml loads with its names and office."""
    (tmp_path / "streets.osm").write_bytes(ONEWAY.read_bytes())
    geo = oneway_district.to_geojson()
    (tmp_path / "courtyards.geojson").write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "district.toml").write_text(
        'name = "測試社區"\nname_en = "Test Community"\noffice_node = 3\n', encoding="utf-8"
    )
    district = district_from_file(tmp_path)
    assert (district.name, district.name_en, district.office, district.folder) == (
        "測試社區",
        "Test Community",
        3,
        tmp_path,
    )
    assert [y.id for y in district.courtyards] == ["W200", "W201"]
    assert district.courtyards[0].gates == oneway_district.courtyards[0].gates
    assert district.settings["office_node"] == 3


def test_folder_without_street_file(tmp_path: Path) -> None:
    """A folder with no street file says which files it looks for."""
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(MalformedOSMError, match=r"has no street file \(\.osm, \.osm\.bz2, \.osm\.pbf or \.graphml\)"):
        district_from_file(tmp_path)


def test_folder_with_bad_toml(tmp_path: Path) -> None:
    """A broken district.toml is named."""
    (tmp_path / "district.toml").write_text("name = \n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"district\.toml: not valid TOML"):
        district_from_file(tmp_path)


# --------------------------------------------------------------------------- GraphML


def test_graphml_round_trip(tmp_path: Path, beijing: District) -> None:
    """osmnx.save_graphml then district_from_file(.graphml, courtyards=...) gives the same graph and matrix."""
    path = tmp_path / "beijing.graphml"
    ox.save_graphml(beijing.graph, path)
    geo = tmp_path / "courtyards.geojson"
    geo.write_text(json.dumps(beijing.to_geojson(), ensure_ascii=False), encoding="utf-8")
    again = district_from_file(path, courtyards=geo, office=beijing.office)
    assert set(again.graph.nodes) == set(beijing.graph.nodes)
    assert set(again.graph.edges(keys=True)) == set(beijing.graph.edges(keys=True))
    for u, v, k, data in beijing.graph.edges(keys=True, data=True):
        other = again.graph.edges[u, v, k]
        assert other["length"] == pytest.approx(data["length"])
        assert other["travel_time"] == pytest.approx(data["travel_time"])
        assert other["name_en"] == data["name_en"]
        assert other["contraflow"] == data["contraflow"]
    assert [y.gates for y in again.courtyards] == [y.gates for y in beijing.courtyards]
    assert again.sites == beijing.sites
    np.testing.assert_array_equal(again.matrix.seconds, beijing.matrix.seconds)
    np.testing.assert_array_equal(again.matrix.metres, beijing.matrix.metres)


def test_graphml_keeps_walked_edges_at_walking_speed(tmp_path: Path) -> None:
    """A saved graph with walked contraflow edges reloads them as walked, not as riding edges."""
    walk = district_from_file(ONEWAY, street_options=StreetOptions(walk_against_oneway=True))
    path = tmp_path / "walk.graphml"
    ox.save_graphml(walk.graph, path)
    again = district_from_file(path, courtyards=list(walk.courtyards), office=walk.office)
    for u, v, k, data in walk.graph.edges(keys=True, data=True):
        assert again.graph.edges[u, v, k]["walked"] == data["walked"]
        assert again.graph.edges[u, v, k]["travel_time"] == pytest.approx(data["travel_time"])


def test_graphml_without_courtyards(tmp_path: Path, oneway_district: District) -> None:
    """A GraphML has no residential areas: without courtyards it says what to give."""
    path = tmp_path / "streets.graphml"
    ox.save_graphml(oneway_district.graph, path)
    with pytest.raises(InvalidInputError, match=r"has no courtyards; give a courtyards GeoJSON"):
        district_from_file(path)


# --------------------------------------------------------------------------- online


def test_district_from_place_offline_fails_fast() -> None:
    """With no internet, district_from_place raises NetworkUnavailableError within 10 s, naming the place."""
    start = time.perf_counter()
    with pytest.raises(NetworkUnavailableError, match=r"cannot reach OpenStreetMap .*'Tiexi, Taiyuan'.*offline"):
        district_from_place("Tiexi, Taiyuan", timeout=5.0)
    assert time.perf_counter() - start < 10.0


def test_download_failure_after_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """If OpenStreetMap answers the probe but the download fails, the error names the place; settings are restored."""
    import socket

    class Reachable:
        def close(self) -> None:
            pass

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("Overpass timed out")

    monkeypatch.setattr(socket, "create_connection", lambda *_a, **_k: Reachable())
    monkeypatch.setattr(ox, "graph_from_place", refuse)
    before = ox.settings.requests_timeout
    with pytest.raises(NetworkUnavailableError, match=r"downloading 'Tiexi' from OpenStreetMap failed: Overpass timed"):
        district_from_place("Tiexi", timeout=1.0)
    assert ox.settings.requests_timeout == before


# --------------------------------------------------------------------------- changes and other builders


def test_with_courtyards_validates_again(oneway_district: District) -> None:
    """Replacing courtyards re-runs validation (here: a dead-end gate)."""
    smaller = oneway_district.with_courtyards(oneway_district.courtyards[:1])
    assert len(smaller) == 1
    assert smaller.sites == (2, 1)
    with pytest.raises(UnreachableCourtyardError, match=r"courtyard IN"):
        oneway_district.with_courtyards([*oneway_district.courtyards, yard("IN", 9)])


def test_with_hot_spots(oneway_district: District) -> None:
    """Hot spots are chosen by name; the original district is unchanged."""
    hot = oneway_district.with_hot_spots(["春暉小區"])
    assert [y.hot_spot for y in hot.courtyards] == [True, False]
    assert not any(y.hot_spot for y in oneway_district.courtyards)
    assert "hot spots: Chunhui Courtyard" in hot.summary()


def test_to_geojson_has_courtyards_and_office(oneway_district: District) -> None:
    """The GeoJSON holds every courtyard polygon and the office point."""
    geo = oneway_district.to_geojson()
    kinds = [f["geometry"]["type"] for f in geo["features"]]
    assert kinds == ["Polygon", "Polygon", "Point"]
    assert geo["features"][-1]["properties"] == {"id": "office", "name": "oneway_bicycle", "node": 2}


def test_from_points_and_from_matrix() -> None:
    """A district from points: Euclidean metres rounded like TSPLIB, site 0 the office."""
    district = District.from_points([[0, 0], [3, 4], [6, 8]], speed_mps=0.5)
    assert district.office == 0
    assert [y.gates for y in district.courtyards] == [(1,), (2,)]
    assert district.matrix.metres[0].tolist() == [0, 5, 10]
    assert district.matrix.seconds[0].tolist() == [0, 10, 20]
    assert district.matrix.path(0, 2) == [0, 2]


def test_from_matrix_with_no_path_back() -> None:
    """A given matrix where courtyard 2 cannot get back to the office fails validation, naming it."""
    metres = [[0, 5, 7], [5, 0, 3], [np.inf, np.inf, 0]]
    with pytest.raises(
        UnreachableCourtyardError, match=r"courtyard S2 \(S2\): no gate can get back to the office by bicycle"
    ):
        District.from_matrix(metres)


def test_from_matrix_shape_errors() -> None:
    """A non-square matrix and non-finite points are refused."""
    with pytest.raises(InvalidInputError, match=r"matrix must be square with at least 2 sites, got shape \(2, 3\)"):
        District.from_matrix(np.zeros((2, 3)))
    with pytest.raises(InvalidInputError, match=r"points must be an \(n, 2\) array of finite coordinates"):
        District.from_points([[0, 0], [math.nan, 1]])


# --------------------------------------------------------------------------- the embedded default


def test_default_district_figures(tiexi: District) -> None:
    """Tiexi: about 40 courtyards over about 350,000 m², Chunhui among them, the office near the middle."""
    assert 35 <= len(tiexi) <= 45
    area = sum(y.area_m2 for y in tiexi.courtyards)
    assert area == pytest.approx(350_000, rel=0.05)
    chunhui = tiexi.courtyard("Chunhui")
    assert chunhui.name == "春暉小區"
    assert tiexi.courtyard("春暉小區") is chunhui
    xs = [c for y in tiexi.courtyards for c in (y.polygon.bounds[0], y.polygon.bounds[2])]
    lon, _lat = tiexi.office_lonlat
    west, east = min(xs), max(xs)
    assert west + (east - west) / 3 <= lon <= east - (east - west) / 3
    assert all(1 <= len(y.gates) <= 3 for y in tiexi.courtyards)


def test_default_district_is_all_reachable(tiexi: District) -> None:
    """Every Tiexi courtyard can be reached by bicycle from the office and left back to it."""
    tiexi.validate()
    m = tiexi.matrix
    office = m.index(tiexi.office)
    for y in tiexi.courtyards:
        assert any(m.seconds[office, m.index(g)] < UNREACHABLE > m.seconds[m.index(g), office] for g in y.gates)
    assert "every courtyard reachable by bicycle and back: yes" in tiexi.summary()


def test_default_district_is_loaded_once(tiexi: District) -> None:
    """load_district() returns the same immutable district on every call."""
    assert load_district() is tiexi


def test_default_district_is_kept_in_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built default district is cached on disk by content; a damaged cache file is rebuilt."""
    from patrolplan.district import _load_with_disk_cache, default_district_folder

    monkeypatch.setenv("PATROLPLAN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("PATROLPLAN_NO_CACHE", raising=False)
    first = _load_with_disk_cache(default_district_folder())
    (cached,) = tmp_path.glob("district-*.pickle")
    again = _load_with_disk_cache(default_district_folder())
    assert [y.id for y in again.courtyards] == [y.id for y in first.courtyards]
    assert again.graph.number_of_edges() == first.graph.number_of_edges()
    assert not again.matrix.seconds.flags.writeable  # the matrix is rebuilt read-only, not unpickled
    assert (again.matrix.metres == first.matrix.metres).all()
    cached.write_bytes(b"not a pickle")
    rebuilt = _load_with_disk_cache(default_district_folder())
    assert len(rebuilt.courtyards) == len(first.courtyards)
    monkeypatch.setenv("PATROLPLAN_NO_CACHE", "1")
    cached.unlink()
    _load_with_disk_cache(default_district_folder())
    assert list(tmp_path.glob("district-*.pickle")) == []
