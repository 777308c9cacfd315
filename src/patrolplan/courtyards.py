"""Courtyards (小區 / 樓院 / 院落): residential compounds with gates, households and demand.

Courtyards come from a GeoJSON file (with attributes) or are derived from the
OSM file's ``landuse=residential`` areas. Their gates are snapped to street
graph nodes in one vectorised nearest-neighbour query.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree
from shapely.geometry import Point, Polygon, shape

from patrolplan.errors import InvalidInputError, join_problems
from patrolplan.streets import OsmScan
from patrolplan.week import parse_weekday
from patrolplan.windows import parse_window

__all__ = [
    "Courtyard",
    "courtyards_from_geojson",
    "courtyards_from_scan",
    "local_metres",
    "snap_gates",
]

_M_PER_DEG = 111_320.0


@dataclass(frozen=True, eq=False)
class Courtyard:
    """A residential courtyard the patrol visits and the desk may be set up in.

    Attributes
    ----------
    id
        Stable id (``"C01"``; derived courtyards use their OSM ``ref`` or the
        element's type and id: ``"W<way id>"``, ``"R<relation id>"``, ``"N<node id>"``).
    name, name_en
        Chinese and English names.
    polygon
        Outline in lon/lat.
    gates
        Street graph node ids where a rider enters (1 or more).
    households, elderly, unemployed, consultations
        Hints of need: households, elderly residents, registered unemployed,
        desk consultations recorded.
    demand
        Weight of each service window at this courtyard.
    incidents
        Recent incidents; the hot spots are where they cluster.
    hot_spot
        Visited on every duty day (with the hot-spot dwell).
    can_host_desk
        Has room for the duty group's service desk.
    frequency
        Visits per week; ``None`` = 1, or every duty day for a hot spot.
    dwell_s
        Minutes spent on a visit, in seconds; ``None`` = the plan's default.
    min_gap_days
        Fewest days between two visits in a week.
    allowed_days
        Weekdays (0 = Monday) it may be visited; ``None`` = any duty day.
    time_windows
        Times of day a visit must start in (a school gate at dismissal).
    """

    id: str
    name: str
    polygon: Polygon
    gates: tuple[int, ...] = ()
    name_en: str = ""
    households: int = 0
    elderly: int = 0
    unemployed: int = 0
    consultations: int = 0
    demand: Mapping[str, int] = field(default_factory=dict)
    incidents: int = 0
    hot_spot: bool = False
    can_host_desk: bool = True
    frequency: int | None = None
    dwell_s: int | None = None
    min_gap_days: int = 0
    allowed_days: tuple[int, ...] | None = None
    time_windows: tuple[tuple[dt.time, dt.time], ...] = ()

    @property
    def label(self) -> str:
        """``"春暉小區 Chunhui Courtyard"``: both names, for rosters and maps."""
        return f"{self.name} {self.name_en}".strip() if self.name_en != self.name else self.name

    @property
    def centroid(self) -> tuple[float, float]:
        """Centre of the outline as ``(lon, lat)``."""
        c = self.polygon.centroid
        return (float(c.x), float(c.y))

    @property
    def area_m2(self) -> float:
        """Area in square metres (local equirectangular projection)."""
        lon0, lat0 = self.centroid
        xs, ys = local_metres(np.array(self.polygon.exterior.coords), lon0, lat0)
        return float(Polygon(np.column_stack([xs, ys])).area)

    @property
    def need(self) -> int:
        """One demand figure for desk rotation: unemployed, elderly and consultations."""
        return 3 * self.unemployed + self.elderly // 10 + self.consultations

    def matches(self, key: str) -> bool:
        """Whether ``key`` names this courtyard (id, Chinese or English name, any case)."""
        k = key.strip().lower()
        names = {self.id.lower(), self.name.lower(), self.name_en.lower()}
        first = self.name_en.split(" ")[0].lower() if self.name_en else ""
        return k in names or (bool(first) and k == first)

    def visits_per_week(self, duty_days: int) -> int:
        """How many visits this courtyard needs in a week with ``duty_days`` duty days."""
        if self.frequency is not None:
            return self.frequency
        return duty_days if self.hot_spot else 1


def local_metres(lonlat: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat to metres about ``(lon0, lat0)`` (equirectangular; fine at district scale)."""
    k = math.cos(math.radians(lat0))
    xs = (lonlat[:, 0] - lon0) * _M_PER_DEG * k
    ys = (lonlat[:, 1] - lat0) * _M_PER_DEG
    return xs, ys


def _flag(value: object, default: bool, where: str) -> bool:
    """A yes/no property: JSON true/false, or the text "true"/"false"/"yes"/"no"/"1"/"0" ("false" is not true)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0", ""):
        return False
    msg = f"{where}: {value!r} is not true or false"
    raise InvalidInputError(msg, items=[where])


def _time(text: str, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError as exc:
        msg = f"{where}: bad time {text!r}; write HH:MM"
        raise InvalidInputError(msg, items=[where]) from exc


def _courtyard_from_feature(feature: Mapping[str, Any], n: int, problems: list[str]) -> Courtyard | None:
    props = dict(feature.get("properties") or {})
    cid = str(props.get("id") or props.get("ref") or f"F{n + 1:03d}")
    where = f"courtyard {cid}"
    geometry = feature.get("geometry")
    try:
        poly = shape(geometry) if geometry else None
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        problems.append(f"{where}: bad geometry ({exc})")
        return None
    if poly is not None and poly.geom_type == "MultiPolygon":
        poly = max(poly.geoms, key=lambda g: g.area)
    if poly is None or poly.geom_type != "Polygon" or poly.is_empty:
        problems.append(f"{where}: geometry must be a Polygon in lon/lat")
        return None
    minx, miny, maxx, maxy = poly.bounds
    if not all(math.isfinite(v) for v in poly.bounds) or not (
        -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    ):
        problems.append(
            f"{where}: bad coordinates {poly.bounds} (lon must be within ±180, lat within ±90; "
            "is the file in lon/lat, EPSG:4326?)"
        )
        return None
    try:
        demand = {parse_window(k).value: int(v) for k, v in dict(props.get("demand") or {}).items()}
        allowed = props.get("allowed_days")
        windows = tuple((_time(a, where), _time(b, where)) for a, b in (props.get("time_windows") or []))
        dwell_min = props.get("dwell_min")
        return Courtyard(
            id=cid,
            name=str(props.get("name") or props.get("name_zh") or cid),
            name_en=str(props.get("name_en") or ""),
            polygon=poly,
            gates=tuple(int(g) for g in props.get("gates") or ()),
            households=int(props.get("households") or 0),
            elderly=int(props.get("elderly") or 0),
            unemployed=int(props.get("unemployed") or 0),
            consultations=int(props.get("consultations") or 0),
            demand=demand,
            incidents=int(props.get("incidents") or 0),
            hot_spot=_flag(props.get("hot_spot"), False, "hot_spot"),
            can_host_desk=_flag(props.get("can_host_desk"), True, "can_host_desk"),
            frequency=None if props.get("frequency") is None else int(props["frequency"]),
            dwell_s=None if dwell_min is None else round(float(dwell_min) * 60),
            min_gap_days=int(props.get("min_gap_days") or 0),
            allowed_days=None if allowed is None else tuple(parse_weekday(d) for d in allowed),
            time_windows=windows,
        )
    except (InvalidInputError, ValueError, TypeError) as exc:
        problems.append(f"{where}: {exc}")
        return None


def courtyards_from_geojson(path: str | Path) -> tuple[Courtyard, ...]:
    """Read courtyards from a GeoJSON FeatureCollection of polygons (lon/lat).

    Properties read: ``id``, ``name``, ``name_en``, ``gates`` (OSM node ids),
    ``households``, ``elderly``, ``unemployed``, ``consultations``, ``demand``
    (window -> weight), ``incidents``, ``hot_spot``, ``can_host_desk``,
    ``frequency``, ``dwell_min``, ``min_gap_days``, ``allowed_days``,
    ``time_windows`` (``[["07:30", "08:00"], …]``).

    Raises
    ------
    InvalidInputError
        Listing every bad feature (geometry, coordinates, values) at once.
    """
    src = Path(path)
    try:
        data = json.loads(src.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"courtyards file {str(src)!r} does not exist"
        raise InvalidInputError(msg, items=[str(src)]) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"courtyards file {str(src)!r} is not valid GeoJSON: {exc}"
        raise InvalidInputError(msg, items=[str(src)]) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features:
        msg = f"courtyards file {str(src)!r} has no features; it must be a GeoJSON FeatureCollection"
        raise InvalidInputError(msg, items=[str(src)])
    # District.to_geojson() adds the office as a Point feature: it is not a courtyard
    features = [f for f in features if not _is_office_feature(f)]
    problems: list[str] = []
    yards = [_courtyard_from_feature(f, i, problems) for i, f in enumerate(features)]
    if problems:
        raise InvalidInputError(join_problems(f"courtyards file {str(src)!r}", problems), items=problems)
    return tuple(y for y in yards if y is not None)


def _is_office_feature(feature: object) -> bool:
    if not isinstance(feature, Mapping):
        return False
    props = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    return props.get("id") == "office" and geometry.get("type") == "Point"


def courtyards_from_scan(scan: OsmScan) -> tuple[Courtyard, ...]:
    """Derive courtyards from the OSM file's residential areas and gate nodes.

    Names come from ``name:zh`` / ``name`` / ``name:en``; an unnamed area is
    named after its OSM id. Tagged gates (``entrance=*``, ``barrier=gate``) on
    or inside an area become its gates; snapping happens later, in one call.
    """
    gate_points = [Point(lon, lat) for _gid, lon, lat, _tags in scan.gates]
    yards: list[Courtyard] = []
    for osm_id, tags, polygon, kind in sorted(scan.residential, key=lambda r: (r[0], r[3])):
        zh = tags.get("name:zh") or tags.get("name") or ""
        en = tags.get("name:en") or ""
        grown = polygon.buffer(2e-5)  # about 2 m, so gates on the outline count
        gates = tuple(
            gid for (gid, _lon, _lat, _t), pt in zip(scan.gates, gate_points, strict=True) if grown.contains(pt)
        )
        yards.append(
            Courtyard(
                id=tags.get("ref") or f"{kind}{osm_id}",
                name=zh or en or f"OSM {osm_id}",
                name_en=en if (en or zh) else f"OSM area {osm_id}",
                polygon=polygon,
                gates=gates,
            )
        )
    return tuple(yards)


def snap_gates(
    graph: nx.MultiDiGraph,
    yards: Sequence[Courtyard],
    *,
    gate_coords: Mapping[int, tuple[float, float]] | None = None,
    candidates: Iterable[int] | None = None,
    max_gates: int = 3,
    max_snap_m: float = 500.0,
) -> tuple[tuple[Courtyard, ...], list[str]]:
    """Put every courtyard's gates on street graph nodes, in one vectorised query.

    A gate that already is a graph node stays as it is (if the office cannot
    reach it, validation says so). A gate off the street network (a tagged
    entrance whose coordinates are in ``gate_coords``) moves to the nearest
    candidate node. A courtyard without usable gates gets the candidate node
    nearest to its outline. Candidates default to every graph node; loaders
    pass the nodes the office can reach and return from.

    Returns the new courtyards and the problems found (courtyards outside the
    graph, unknown gates); the caller raises them together.
    """
    coords_of = dict(gate_coords or {})
    nodes = list(candidates) if candidates is not None else list(graph.nodes)
    if not nodes:
        return tuple(yards), ["the street graph has no nodes to snap gates to"]
    coords = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes], dtype=float)
    lon0, lat0 = float(coords[:, 0].mean()), float(coords[:, 1].mean())
    tree = cKDTree(np.column_stack(local_metres(coords, lon0, lat0)))
    in_graph = graph.nodes

    problems: list[str] = []
    queries: list[tuple[int, float, float]] = []  # (courtyard index, lon, lat)
    for i, yard in enumerate(yards):
        loose = [g for g in yard.gates if g not in in_graph]
        for g in loose:
            if g in coords_of:
                queries.append((i, *coords_of[g]))
            else:
                problems.append(
                    f"courtyard {yard.id} ({yard.label}): gate node {g} is not in the street file; "
                    "fix its gate ids or leave them out to derive gates"
                )
        if not yard.gates:
            queries.extend((i, lon, lat) for lon, lat in yard.polygon.exterior.coords)
    nearest: dict[int, list[tuple[float, int]]] = {}
    if queries:
        pts = np.array([(lon, lat) for _i, lon, lat in queries], dtype=float)
        dist, idx = tree.query(np.column_stack(local_metres(pts, lon0, lat0)))
        for (i, _lon, _lat), d, k in zip(queries, dist, idx, strict=True):
            nearest.setdefault(i, []).append((float(d), int(nodes[k])))

    out: list[Courtyard] = []
    for i, yard in enumerate(yards):
        kept = [g for g in yard.gates if g in in_graph]
        wanted = max(1, len(yard.gates))
        for d, node in sorted(nearest.get(i, [])):
            if len(kept) >= wanted:
                break
            if d > max_snap_m:
                problems.append(
                    f"courtyard {yard.id} ({yard.label}) is {d:.0f} m from the nearest street node: "
                    "it lies outside the street graph; export a larger area or fix its outline"
                )
                break
            if node not in kept:
                kept.append(node)
        if not kept and not any(p.startswith(f"courtyard {yard.id} ") for p in problems):
            problems.append(f"courtyard {yard.id} ({yard.label}) has no gate on the street graph")
        out.append(replace(yard, gates=tuple(dict.fromkeys(kept))[:max_gates]))
    return tuple(out), problems
