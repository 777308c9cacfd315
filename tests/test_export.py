"""Exports read back with real parsers (json + shapely, openpyxl, csv, icalendar, gpxpy) match the plan doc."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import importlib.resources
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gpxpy
import icalendar
import openpyxl
import pytest
from shapely.geometry import Point, shape

import patrolplan as pp
from patrolplan.export import FILES, GPX_FOLDER, as_doc, gpx_name, write_all, write_text_atomic
from patrolplan.export._common import courtyard_label, route_colour
from patrolplan.export.html_map import svg_map_html
from patrolplan.export.ics import build_calendar

WEEK = "2026-W49"


@pytest.fixture(scope="session")
def export_plan() -> pp.Plan:
    """The default district's 2026-W49, planned once with a short time limit."""
    problem = pp.WeekProblem(pp.load_district(), pp.load_staff(), WEEK)
    return pp.plan_week(problem, params=pp.SolveParams(time_limit=3, seed=0))


@pytest.fixture(scope="session")
def doc(export_plan: pp.Plan) -> dict[str, Any]:
    """The plan's plan.json dict."""
    return export_plan.to_json()


@pytest.fixture(scope="session")
def written(export_plan: pp.Plan, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """Every export of the plan, written once: (folder, files)."""
    out = tmp_path_factory.mktemp("exports") / WEEK
    return out, write_all(export_plan, out)


@pytest.fixture
def tiny_doc() -> dict[str, Any]:
    """A hand-made one-route plan doc: one courtyard, one desk, one officer, one specialist."""
    line = [[112.55, 37.87], [112.551, 37.87], [112.551, 37.871], [112.551, 37.87], [112.55, 37.87]]
    return {
        "schema": "patrolplan/plan@1",
        "community": "測試社區",
        "community_en": "Test Community",
        "week": "2026-W49",
        "duty_days": ["2026-12-01"],
        "shifts": [{"name": "morning", "start": "09:00", "end": "11:30"}],
        "office": {"node": 1, "lon": 112.55, "lat": 37.87, "name": "測試社區"},
        "courtyards": [
            {
                "id": "C01",
                "name": "春暉小區",
                "name_en": "Chunhui Courtyard",
                "gates": [3],
                "frequency": 1,
                "hot_spot": False,
                "can_host_desk": True,
                "lon": 112.5515,
                "lat": 37.8715,
                "gate_coords": [[112.551, 37.871]],
                "polygon": [
                    [112.551, 37.871],
                    [112.552, 37.871],
                    [112.552, 37.872],
                    [112.551, 37.872],
                    [112.551, 37.871],
                ],
            }
        ],
        "routes": [
            {
                "date": "2026-12-01",
                "rider": "P01",
                "rider_name": "劉強 Liu Qiang",
                "slot": 0,
                "shift": "morning",
                "start": "2026-12-01T09:00:00",
                "end": "2026-12-01T09:20:00",
                "stops": [
                    {
                        "courtyard": "C01",
                        "gate": 3,
                        "arrive": "2026-12-01T09:05:00",
                        "depart": "2026-12-01T09:15:00",
                        "purpose": "desk",
                        "lon": 112.551,
                        "lat": 37.871,
                    }
                ],
                "path": [1, 2, 3, 2, 1],
                "geometry": {"type": "LineString", "coordinates": line},
                "distance_m": 400,
                "duration_s": 1200,
                "directions": ["Ride along Test Street 100 m"],
                "directions_zh": ["沿 測試街 100 m"],
            }
        ],
        "desks": [
            {"date": "2026-12-01", "courtyard": "C01", "staff": ["S01"], "windows": ["employment"], "reason": "test"}
        ],
        "roster": [
            {
                "date": "2026-12-01",
                "staff": "P01",
                "name": "劉強 Liu Qiang",
                "role": "patrol",
                "shift": "09:00–11:30",
                "windows": [],
                "desk": None,
            },
            {
                "date": "2026-12-01",
                "staff": "S01",
                "name": "王芳 Wang Fang",
                "role": "specialist",
                "shift": "morning",
                "windows": ["employment"],
                "desk": "C01",
            },
        ],
        "dropped": [{"courtyard": "C02", "reason": "no time left in the shifts", "date": "2026-12-01"}],
        "broken_rules": [{"rule": "fair_share", "detail": "S01 works more than the others", "items": ["S01"]}],
        "totals": {
            "distance_m": 400,
            "longest_route_m": 400,
            "routes": 1,
            "coverage": 1.0,
            "fifteen_minute_share": 1.0,
        },
        "solve": {"time_limit": 1, "seed": 0, "engine": "auto"},
    }


def _events(cal: Any) -> list[Any]:
    return [c for c in cal.walk() if c.name == "VEVENT"]


# ---------------------------------------------------------------------- write_all
def test_write_all_writes_every_file_and_one_gpx_per_rider_per_day(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """write_all returns every export; one gpx/<date>_<rider>.gpx per (date, rider) with routes."""
    out, paths = written
    assert [p.name for p in paths[: len(FILES)]] == list(FILES)
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    expected = {gpx_name(r["date"], r["rider"]) for r in doc["routes"]}
    assert {p.name for p in paths if p.suffix == ".gpx"} == expected
    assert {p.name for p in (out / GPX_FOLDER).iterdir()} == expected
    assert not list(out.rglob("*.tmp"))


def test_write_all_accepts_a_doc_read_back_from_the_history(
    doc: Mapping[str, Any], written: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """A plan saved to and loaded from the history exports the same roster as the plan itself."""
    history = pp.History(tmp_path / "h.sqlite")
    history.save(doc)
    loaded = history.load(WEEK)
    paths = write_all(loaded, tmp_path / "again")
    assert (tmp_path / "again" / "roster.csv").read_bytes() == (written[0] / "roster.csv").read_bytes()
    assert json.loads((tmp_path / "again" / "plan.json").read_text("utf-8")) == json.loads(json.dumps(doc))
    assert len(paths) == len(written[1])


def test_write_all_rejects_an_unknown_language_and_a_non_plan(doc: Mapping[str, Any], tmp_path: Path) -> None:
    """lang must be zh or en; the input must be a Plan or a plan.json mapping."""
    with pytest.raises(pp.InvalidInputError, match="unknown language 'fr'"):
        write_all(doc, tmp_path, lang="fr")
    with pytest.raises(pp.InvalidInputError, match=r"expected a Plan or a plan\.json dict"):
        as_doc({"not": "a plan"})


def test_the_input_doc_is_not_changed(tiny_doc: dict[str, Any], tmp_path: Path) -> None:
    """Exporting never mutates the caller's document."""
    before = copy.deepcopy(tiny_doc)
    write_all(tiny_doc, tmp_path, lang="en")
    assert tiny_doc == before


# ---------------------------------------------------------------------- plan.json and geojson
def test_plan_json_round_trips_and_matches_the_schema(written: tuple[Path, list[Path]], doc: Mapping[str, Any]) -> None:
    """plan.json reads back equal to the doc, keeps Chinese readable, and validates against the schema."""
    jsonschema = pytest.importorskip("jsonschema")
    text = (written[0] / "plan.json").read_text("utf-8")
    assert doc["community"] in text  # not \\u-escaped
    back = json.loads(text)
    assert back == json.loads(json.dumps(doc))
    schema = importlib.resources.files("patrolplan").joinpath("schemas", "plan.schema.json").read_text("utf-8")
    jsonschema.validate(back, json.loads(schema))


def test_geojson_routes_are_linestrings_and_stops_points_on_them(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """Each route is a LineString with the doc's coordinates; each stop a Point on its route, in order."""
    features = json.loads((written[0] / "routes.geojson").read_text("utf-8"))["features"]
    routes = [f for f in features if f["properties"]["kind"] == "route"]
    stops = [f for f in features if f["properties"]["kind"] == "stop"]
    assert len(routes) == len(doc["routes"])
    assert len(stops) == sum(len(r["stops"]) for r in doc["routes"])
    for feature, route in zip(routes, doc["routes"], strict=True):
        line = shape(feature["geometry"])
        assert line.geom_type == "LineString"
        assert [list(c) for c in line.coords] == route["geometry"]["coordinates"]
        assert feature["properties"]["rider"] == route["rider"]
        assert feature["properties"]["distance_m"] == route["distance_m"]
        mine = [s for s in stops if s["properties"]["route"] == feature["properties"]["route"]]
        assert [s["properties"]["courtyard"] for s in mine] == [s["courtyard"] for s in route["stops"]]
        for stop in mine:
            point = shape(stop["geometry"])
            assert point.geom_type == "Point"
            assert line.distance(point) < 1e-7
    assert any(f["properties"]["kind"] == "office" for f in features)


# ---------------------------------------------------------------------- xlsx and csv
def test_xlsx_has_a_summary_and_one_sheet_per_duty_day_with_every_stop(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """roster.xlsx: summary sheet then a sheet per duty day listing each route's stops in order."""
    wb = openpyxl.load_workbook(written[0] / "roster.xlsx")
    assert len(wb.sheetnames) == 1 + len(doc["duty_days"])
    assert wb.sheetnames[0] == "匯總 Summary"
    for name, date in zip(wb.sheetnames[1:], doc["duty_days"], strict=True):
        assert date in name
        cells = [list(row) for row in wb[name].iter_rows(values_only=True)]
        texts = [str(c) for row in cells for c in row if c is not None]
        assert "姓名 Name" in texts
        for route in (r for r in doc["routes"] if r["date"] == date):
            assert route["rider_name"] in texts
            listed = [row[4] for row in cells if isinstance(row[3], int)]
            assert all(courtyard_label(doc, s["courtyard"], "zh") in listed for s in route["stops"])
        for desk in (d for d in doc["desks"] if d["date"] == date):
            assert courtyard_label(doc, desk["courtyard"], "zh") in texts


def test_xlsx_is_printable_with_sane_column_widths(written: tuple[Path, list[Path]]) -> None:
    """Every sheet: landscape A4 fitted to the page width, title rows repeated, widths 6 to 42."""
    wb = openpyxl.load_workbook(written[0] / "roster.xlsx")
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        assert widths
        assert all(6 <= w <= 42 for w in widths)


def test_xlsx_summary_lists_the_dropped_visits_and_broken_rules(tiny_doc: dict[str, Any], tmp_path: Path) -> None:
    """What was left out and the broken soft rules appear on the summary sheet (English first with lang=en)."""
    write_all(tiny_doc, tmp_path, lang="en")
    ws = openpyxl.load_workbook(tmp_path / "roster.xlsx").worksheets[0]
    texts = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert ws.title == "Summary 匯總"
    assert "no time left in the shifts" in texts
    assert "fair_share" in texts


def test_csv_has_a_bom_and_one_row_per_roster_entry(written: tuple[Path, list[Path]], doc: Mapping[str, Any]) -> None:
    """roster.csv starts with a UTF-8 BOM (Excel) and has a header plus one row per roster entry."""
    raw = (written[0] / "roster.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["日期 Date", "星期 Day"]
    assert len(rows) == 1 + len(doc["roster"])
    for row, entry in zip(rows[1:], doc["roster"], strict=True):
        assert row[0] == entry["date"]
        assert row[3] == entry["name"]
        if entry["role"] == "patrol":
            routes = [r for r in doc["routes"] if r["date"] == entry["date"] and r["rider"] == entry["staff"]]
            assert float(row[9]) == pytest.approx(sum(r["distance_m"] for r in routes) / 1000, abs=0.06)


# ---------------------------------------------------------------------- ics
def test_ics_has_one_event_per_person_per_duty_with_place_and_route(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """week.ics: an event per roster entry on its date; desks located at the courtyard, patrols at the office."""
    cal = icalendar.Calendar.from_ical((written[0] / "week.ics").read_bytes())
    events = _events(cal)
    assert len(events) == len(doc["roster"])
    assert len({str(e["UID"]) for e in events}) == len(events)
    for event, entry in zip(events, doc["roster"], strict=True):
        assert event.decoded("DTSTART").date() == dt.date.fromisoformat(entry["date"])
        assert event.decoded("DTEND") > event.decoded("DTSTART")
        assert entry["name"] in str(event["SUMMARY"])
        if entry["role"] == "specialist":
            assert str(event["LOCATION"]) == courtyard_label(doc, entry["desk"], "zh")
        else:
            assert "Patrol from the community office" in str(event["LOCATION"])
            mine = [r for r in doc["routes"] if r["date"] == entry["date"] and r["rider"] == entry["staff"]]
            text = str(event["DESCRIPTION"])
            for stop in (s for r in mine for s in r["stops"]):
                assert courtyard_label(doc, stop["courtyard"], "zh") in text


def test_ics_uids_are_stable_across_writes(doc: Mapping[str, Any]) -> None:
    """Writing the same week twice gives the same UIDs, so calendars update instead of duplicating."""
    first = [str(e["UID"]) for e in _events(build_calendar(doc))]
    again = [str(e["UID"]) for e in _events(build_calendar(copy.deepcopy(dict(doc)), lang="en"))]
    assert first == again
    assert all(
        re.fullmatch(r"2026-W49-\d{4}-\d{2}-\d{2}-\w+-(patrol|specialist)-[0-9a-f]{10}@patrolplan", u) for u in first
    )


# ---------------------------------------------------------------------- gpx
def test_gpx_tracks_follow_the_path_with_named_gate_waypoints(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """Each GPX has a segment per route along its geometry and a waypoint per stop named after the courtyard."""
    for path in sorted((written[0] / GPX_FOLDER).glob("*.gpx")):
        date, rider = path.stem.split("_", 1)
        routes = [r for r in doc["routes"] if r["date"] == date and r["rider"] == rider]
        gpx = gpxpy.parse(path.read_text("utf-8"))
        assert len(gpx.tracks) == 1
        segments = gpx.tracks[0].segments
        assert len(segments) == len(routes)
        for segment, route in zip(segments, routes, strict=True):
            got = [(round(p.longitude, 7), round(p.latitude, 7)) for p in segment.points]
            assert got == [(c[0], c[1]) for c in route["geometry"]["coordinates"]]
        stops = [s for r in routes for s in r["stops"]]
        waypoints = [w for w in gpx.waypoints if w.type in ("patrol", "desk")]
        assert len(waypoints) == len(stops)
        for waypoint, stop in zip(waypoints, stops, strict=True):
            assert courtyard_label(doc, stop["courtyard"], "zh") in waypoint.name
            assert (waypoint.longitude, waypoint.latitude) == (stop["lon"], stop["lat"])
            assert waypoint.time.replace(tzinfo=None) == dt.datetime.fromisoformat(stop["arrive"])


# ---------------------------------------------------------------------- maps and summary
def test_map_html_is_self_contained_with_every_route_colour(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """map.html loads nothing from outside (no src/href to http) and draws every route in its colour."""
    text = (written[0] / "map.html").read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<svg" in text
    for i in range(len(doc["routes"])):
        assert f'stroke="{route_colour(i)}"' in text
    assert text.count('class="route r') >= len(doc["routes"])
    for desk in doc["desks"]:
        assert courtyard_label(doc, desk["courtyard"], "zh") in text


def test_leaflet_map_has_no_tile_layer_and_every_route(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """map_leaflet.html is a folium map without tiles, with a polyline per route."""
    text = (written[0] / "map_leaflet.html").read_text("utf-8")
    assert "L.map(" in text
    assert "L.tileLayer" not in text
    assert text.count("L.polyline(") >= len(doc["routes"])


def test_svg_map_draws_streets_only_when_given(tiny_doc: dict[str, Any]) -> None:
    """The doc has no street graph: street lines are drawn only when the caller passes them."""
    assert 'class="streets"' not in svg_map_html(tiny_doc)
    assert 'class="streets"' in svg_map_html(tiny_doc, streets=[[(112.55, 37.87), (112.552, 37.872)]])


def test_a_saved_doc_with_its_districts_streets_gives_the_plans_own_maps(
    written: tuple[Path, list[Path]], export_plan: pp.Plan, doc: dict[str, Any], tmp_path: Path
) -> None:
    """A plan.json read back has no streets; given its district's, its maps are the Plan's byte for byte."""
    from_doc = tmp_path / "from_doc"
    write_all(doc, from_doc, streets=export_plan.problem.district.street_lines())
    assert (from_doc / "map.html").read_bytes() == (written[0] / "map.html").read_bytes()
    assert 'class="streets"' in (from_doc / "map.html").read_text("utf-8")
    # folium names its elements at random, so the Leaflet maps are compared by what they draw
    leaflet = [(f / "map_leaflet.html").read_text("utf-8") for f in (from_doc, written[0])]
    assert leaflet[0].count("L.polyline(") == leaflet[1].count("L.polyline(") > len(doc["routes"])
    bare = tmp_path / "bare"
    write_all(doc, bare)
    assert 'class="streets"' not in (bare / "map.html").read_text("utf-8")


def test_summary_md_names_each_day_desk_rider_and_dropped(
    written: tuple[Path, list[Path]], doc: Mapping[str, Any]
) -> None:
    """summary.md has the week, a section per duty day, each rider and desk, and the left-out list."""
    text = (written[0] / "summary.md").read_text("utf-8")
    assert WEEK in text
    for date in doc["duty_days"]:
        assert f"{date}" in text
    for route in doc["routes"]:
        assert route["rider_name"] in text
    for desk in doc["desks"]:
        assert courtyard_label(doc, desk["courtyard"], "zh") in text
    assert "未安排 Left out" in text


# ---------------------------------------------------------------------- atomic writes
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rename fails, the previous file is intact and the temporary file is removed."""
    target = tmp_path / "plan.json"
    write_text_atomic(target, "old")

    def broken_replace(self: Path, other: Any) -> Path:
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_gpx_of_a_rider_no_longer_planned_is_removed(tiny_doc: dict[str, Any], tmp_path: Path) -> None:
    """Re-exporting a re-planned week removes the old rider's track for that week, keeps other files."""
    folder = tmp_path / GPX_FOLDER
    folder.mkdir()
    (folder / "2026-12-01_P09.gpx").write_text("stale")
    (folder / "2025-01-07_P09.gpx").write_text("another week")
    (folder / "notes.txt").write_text("mine")
    write_all(tiny_doc, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["2025-01-07_P09.gpx", "2026-12-01_P01.gpx", "notes.txt"]


def test_tiny_doc_exports_in_english_first(tiny_doc: dict[str, Any], tmp_path: Path) -> None:
    """With lang=en the labels put English first, and a waypoint at the desk says it backs up the desk."""
    write_all(tiny_doc, tmp_path, lang="en")
    rows = list(csv.reader(io.StringIO((tmp_path / "roster.csv").read_text("utf-8-sig"))))
    assert rows[0][0] == "Date 日期"
    assert rows[2][6] == "Chunhui Courtyard 春暉小區"
    gpx = gpxpy.parse((tmp_path / GPX_FOLDER / "2026-12-01_P01.gpx").read_text("utf-8"))
    assert gpx.waypoints[0].name == "1. Chunhui Courtyard 春暉小區"
    assert "back up the desk" in gpx.waypoints[0].description
    assert Point(gpx.waypoints[0].longitude, gpx.waypoints[0].latitude).equals(Point(112.551, 37.871))


def test_a_desk_back_up_stop_is_marked_in_every_stop_list(tiny_doc: dict[str, Any], tmp_path: Path) -> None:
    """The desk courtyard's own patrol visit is a stop of its own; the desk stop says why the courtyard comes twice."""
    from patrolplan.export._common import stop_label, stop_names

    route = tiny_doc["routes"][0]
    patrol = {**route["stops"][0], "purpose": "patrol"}
    route["stops"].append(patrol)
    assert stop_names(tiny_doc, route["stops"], "en") == [
        "Chunhui Courtyard 春暉小區 (desk 服務台)",
        "Chunhui Courtyard 春暉小區",
    ]
    assert stop_label(tiny_doc, route["stops"][0], "zh", short=True) == "春暉小區 (服務台)"
    assert stop_label(tiny_doc, patrol, "zh", short=True) == "春暉小區"
    write_all(tiny_doc, tmp_path)
    assert "春暉小區 Chunhui Courtyard (服務台 desk) → 春暉小區 Chunhui Courtyard" in (
        tmp_path / "summary.md"
    ).read_text("utf-8")
