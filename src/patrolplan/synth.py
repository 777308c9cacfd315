"""Seeded generator of synthetic long, narrow residential communities, written as district folders.

A *community* here is what the report describes for Tiexi Village: a long
strip of residential courtyards (小區) between a few east–west roads and an
irregular grid of north–south lanes, with one community office on the
middle road. :func:`generate_community` builds one from a seed; the same
seed always gives the same community, and :func:`write_district_folder`
writes it as byte-identical files:

``<street file>.osm``
    OSM XML 0.6: streets (``highway=*``), courtyards (closed
    ``landuse=residential`` ways with ``ref`` = courtyard id), gates
    (``barrier=gate`` nodes on the courtyard boundary, joined to a street
    by a two-node ``highway=service`` + ``service=driveway`` way) and the
    office node (``amenity=community_centre``, a vertex of the middle road).
``courtyards.geojson``
    One Polygon feature per courtyard with its id, names, OSM way, gate
    node ids and attributes (households, demand by service window, …).
``district.toml``
    Names, file names, the office node, the duty week and the data source.
``staff.csv`` (optional)
    A staff pool with patrol officers and specialists covering every
    service window at least twice.

Geometry is laid out in local metres (x east, y north, the south-west
corner at the origin) and converted to longitude/latitude with an
equirectangular projection about the origin (see :func:`to_lonlat`).
Only the standard library, numpy and shapely are used.

Examples
--------
>>> from patrolplan.synth import generate_community
>>> c = generate_community(seed=7, name="示例社區", name_en="Example Community",
...                        width_m=600, height_m=240, n_courtyards=10)
>>> len(c.courtyards)
10
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal
from xml.sax.saxutils import quoteattr

import numpy as np
from shapely.geometry import Polygon

from patrolplan.errors import InvalidInputError, UnreachableCourtyardError
from patrolplan.windows import Window

__all__ = [
    "METRES_PER_DEGREE_LAT",
    "WINDOW_KEYS",
    "Community",
    "CourtyardRecord",
    "Figures",
    "OsmNode",
    "OsmWay",
    "StaffRecord",
    "StreetKind",
    "check_connectivity",
    "courtyard_names",
    "generate_community",
    "measure",
    "rename",
    "street_names",
    "to_local",
    "to_lonlat",
    "write_district_folder",
]

METRES_PER_DEGREE_LAT: Final = 111_320.0
"""Metres per degree of latitude used by the equirectangular projection."""

WINDOW_KEYS: Final[tuple[str, ...]] = tuple(w.value for w in Window)
"""Service-window keys, in the fixed order used for ``demand`` objects."""

StreetKind = Literal["road", "lane", "alley"]
"""Kind of street: east–west road, north–south lane, or dead-end alley."""

Tags = tuple[tuple[str, str], ...]

_MAX_NODE_SPACING_M: Final = 50.0
_LANE_SPACING_M: Final = (70.0, 160.0)
_STREET_INSET_M: Final = (8.0, 12.0)
_ALLEY_INSET_M: Final = 6.0
_WALL_INSET_M: Final = 2.0
_GATE_CORNER_CLEARANCE_M: Final = 15.0
_SNAP_M: Final = 3.0
_COVERAGE: Final = 350_000.0 / (1_800.0 * 360.0)
_MIN_PIECE_WIDTH_M: Final = 35.0

# --------------------------------------------------------------------------- names

_STEMS: Final[tuple[tuple[str, str], ...]] = (
    ("鐵西", "Tiexi"),
    ("興華", "Xinghua"),
    ("康樂", "Kangle"),
    ("和平", "Heping"),
    ("勝利", "Shengli"),
    ("建設", "Jianshe"),
    ("文化", "Wenhua"),
    ("光明", "Guangming"),
    ("友誼", "Youyi"),
    ("團結", "Tuanjie"),
    ("幸福", "Xingfu"),
    ("振興", "Zhenxing"),
    ("長風", "Changfeng"),
    ("迎春", "Yingchun"),
    ("朝陽", "Chaoyang"),
    ("新民", "Xinmin"),
    ("育才", "Yucai"),
    ("平安", "Ping'an"),
    ("永安", "Yong'an"),
    ("向陽", "Xiangyang"),
    ("紅旗", "Hongqi"),
    ("東風", "Dongfeng"),
    ("前進", "Qianjin"),
    ("民生", "Minsheng"),
    ("安康", "Ankang"),
    ("錦繡", "Jinxiu"),
    ("福源", "Fuyuan"),
    ("桃園", "Taoyuan"),
    ("柳林", "Liulin"),
    ("槐樹", "Huaishu"),
    ("新華", "Xinhua"),
    ("機車", "Jiche"),
    ("電業", "Dianye"),
    ("紡織", "Fangzhi"),
    ("化工", "Huagong"),
    ("礦機", "Kuangji"),
    ("春暉", "Chunhui"),
    ("金橋", "Jinqiao"),
    ("玉泉", "Yuquan"),
    ("晉祠", "Jinci"),
)

_STREET_SUFFIXES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "road": (("路", "Road"), ("大街", "Avenue")),
    "lane": (("街", "Street"), ("巷", "Lane"), ("路", "Road")),
    "alley": (("巷", "Alley"), ("里", "Li")),
}

_COURTYARD_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("小區", "Courtyard"),
    ("新村", "New Village"),
    ("苑", "Garden"),
    ("花園", "Gardens"),
    ("家園", "Homes"),
    ("公寓", "Apartments"),
    ("宿舍", "Dormitory"),
    ("大院", "Compound"),
)

_SURNAMES: Final[tuple[tuple[str, str], ...]] = (
    ("王", "Wang"),
    ("李", "Li"),
    ("張", "Zhang"),
    ("劉", "Liu"),
    ("陳", "Chen"),
    ("楊", "Yang"),
    ("趙", "Zhao"),
    ("黃", "Huang"),
    ("周", "Zhou"),
    ("吳", "Wu"),
    ("郭", "Guo"),
    ("馬", "Ma"),
    ("孫", "Sun"),
    ("胡", "Hu"),
    ("高", "Gao"),
    ("韓", "Han"),
)

_GIVEN_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("芳", "Fang"),
    ("敏", "Min"),
    ("靜", "Jing"),
    ("偉", "Wei"),
    ("強", "Qiang"),
    ("軍", "Jun"),
    ("娟", "Juan"),
    ("勇", "Yong"),
    ("濤", "Tao"),
    ("紅", "Hong"),
    ("霞", "Xia"),
    ("建國", "Jianguo"),
    ("秀英", "Xiuying"),
    ("志強", "Zhiqiang"),
    ("玉蘭", "Yulan"),
    ("海燕", "Haiyan"),
    ("麗華", "Lihua"),
    ("建軍", "Jianjun"),
)


def _stem_order(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Return ``n`` stems, each used once before any is reused."""
    out: list[tuple[str, str]] = []
    while len(out) < n:
        perm = rng.permutation(len(_STEMS))
        out.extend(_STEMS[int(i)] for i in perm)
    return out[:n]


def street_names(kinds: Sequence[StreetKind], *, seed: int) -> list[tuple[str, str]]:
    """Generate distinct street names for streets of the given kinds.

    Parameters
    ----------
    kinds
        The kind of each street, in order.
    seed
        Seed of the random choice; the same seed gives the same names.

    Returns
    -------
    list of (str, str)
        ``(name_zh, name_en)`` per street, e.g. ``("興華街", "Xinghua Street")``.
        Chinese names use traditional characters, like the report.
    """
    rng = np.random.default_rng([seed, 11])
    stems = _stem_order(rng, len(kinds))
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for kind, (zh, en) in zip(kinds, stems, strict=True):
        suffixes = _STREET_SUFFIXES[kind]
        start = int(rng.integers(len(suffixes)))
        for k in range(len(suffixes) * 4):
            s_zh, s_en = suffixes[(start + k) % len(suffixes)]
            prefix_zh, prefix_en = ("", "") if k < len(suffixes) else _DIRECTIONS[k // len(suffixes) - 1]
            name_zh = f"{zh}{prefix_zh}{s_zh}"
            if name_zh not in seen:
                break
        seen.add(name_zh)
        out.append((name_zh, f"{en} {prefix_en}{s_en}".replace("  ", " ")))
    return out


_DIRECTIONS: Final[tuple[tuple[str, str], ...]] = (("北", "North "), ("南", "South "), ("東", "East "))


def courtyard_names(n: int, *, seed: int) -> list[tuple[str, str]]:
    """Generate ``n`` distinct courtyard names.

    Parameters
    ----------
    n
        How many names.
    seed
        Seed of the random choice; the same seed gives the same names.

    Returns
    -------
    list of (str, str)
        ``(name_zh, name_en)``, e.g. ``("康樂小區", "Kangle Courtyard")``.
    """
    rng = np.random.default_rng([seed, 12])
    stems = _stem_order(rng, n)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for i, (zh, en) in enumerate(stems):
        start = int(rng.integers(len(_COURTYARD_SUFFIXES)))
        name_zh, name_en = "", ""
        for k in range(len(_COURTYARD_SUFFIXES)):
            s_zh, s_en = _COURTYARD_SUFFIXES[(start + k) % len(_COURTYARD_SUFFIXES)]
            name_zh, name_en = f"{zh}{s_zh}", f"{en} {s_en}"
            if name_zh not in seen:
                break
        if name_zh in seen:  # every suffix taken for this stem: number it
            name_zh, name_en = f"{zh}{i + 1}號院", f"{en} No. {i + 1} Compound"
        seen.add(name_zh)
        out.append((name_zh, name_en))
    return out


def _person_names(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Return ``n`` distinct ``(name_en, name_zh)`` person names, surname first."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < n:
        s_zh, s_en = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
        g_zh, g_en = _GIVEN_NAMES[int(rng.integers(len(_GIVEN_NAMES)))]
        if s_zh + g_zh in seen:
            continue
        seen.add(s_zh + g_zh)
        out.append((f"{s_en} {g_en}", s_zh + g_zh))
    return out


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class OsmNode:
    """An OSM node of a generated community.

    Parameters
    ----------
    id
        Positive node id.
    lon, lat
        Coordinates in degrees, rounded to 7 decimals.
    tags
        ``(key, value)`` pairs sorted by key.
    """

    id: int
    lon: float
    lat: float
    tags: Tags = ()


@dataclass(frozen=True, slots=True)
class OsmWay:
    """An OSM way of a generated community.

    Parameters
    ----------
    id
        Positive way id.
    nodes
        Node ids in order; closed ways repeat the first id at the end.
    tags
        ``(key, value)`` pairs sorted by key.
    """

    id: int
    nodes: tuple[int, ...]
    tags: Tags

    def tag(self, key: str) -> str | None:
        """Return the value of tag ``key``, or ``None``."""
        return dict(self.tags).get(key)


@dataclass(frozen=True, slots=True)
class CourtyardRecord:
    """A generated courtyard (小區) and its attributes.

    Parameters
    ----------
    ref
        Courtyard id (``"C01"`` …), numbered west→east by centroid, ties south→north.
    name, name_en
        Chinese and English names.
    way_id
        Id of its closed ``landuse=residential`` OSM way.
    gates
        Node ids of its gates (1–3), in ring order.
    area_m2
        Polygon area in square metres (rounded to whole metres).
    households, elderly, unemployed, consultations, incidents
        Counts (see the module documentation of ``courtyards.geojson``).
    demand
        ``(window key, weight)`` for every service window, in :data:`WINDOW_KEYS` order.
    hot_spot
        Whether it is one of the courtyards with most incidents.
    can_host_desk
        Whether it has room for the duty group's desk.
    """

    ref: str
    name: str
    name_en: str
    way_id: int
    gates: tuple[int, ...]
    area_m2: int
    households: int
    elderly: int
    unemployed: int
    consultations: int
    demand: tuple[tuple[str, int], ...]
    incidents: int
    hot_spot: bool
    can_host_desk: bool


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A generated staff member.

    Parameters
    ----------
    id
        Staff id (``"S01"`` …).
    name, name_zh
        Name in pinyin (surname first) and in Chinese.
    roles
        ``"patrol"`` and/or ``"specialist"``.
    skills
        Service-window keys the person can run.
    leave
        ISO dates of leave.
    max_days_per_week
        Maximum duty days per week.
    """

    id: str
    name: str
    name_zh: str
    roles: tuple[str, ...]
    skills: tuple[str, ...]
    leave: tuple[str, ...] = ()
    max_days_per_week: int = 3


@dataclass(frozen=True, slots=True)
class Community:
    """A generated community: streets, courtyards, gates, office and staff.

    Parameters
    ----------
    name, name_en
        Chinese and English names of the community.
    seed
        The seed it was generated from.
    origin
        ``(lon, lat)`` of the local origin (the south-west corner).
    width_m, height_m
        Requested east–west and north–south extent.
    nodes, ways
        OSM elements sorted by id.
    courtyards
        Courtyards sorted by ``ref``.
    office_node
        Node id of the community office.
    staff
        The staff pool.
    note
        Where the data comes from (written to ``district.toml``).
    """

    name: str
    name_en: str
    seed: int
    origin: tuple[float, float]
    width_m: float
    height_m: float
    nodes: tuple[OsmNode, ...]
    ways: tuple[OsmWay, ...]
    courtyards: tuple[CourtyardRecord, ...]
    office_node: int
    staff: tuple[StaffRecord, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Figures:
    """Measured figures of a community (see :func:`measure`).

    Parameters
    ----------
    courtyards
        Number of courtyards.
    courtyard_area_m2
        Total courtyard polygon area.
    street_length_m
        Total centre-line length of named streets (driveways excluded).
    driveway_length_m
        Total length of gate driveways.
    extent_m
        ``(east–west, north–south)`` extent of all nodes.
    nodes, ways
        Number of OSM nodes and ways.
    street_nodes
        Nodes on highway ways.
    street_segments
        Consecutive node pairs on highway ways (undirected).
    gates
        Number of gate nodes.
    oneway_streets
        Names of the one-way streets.
    """

    courtyards: int
    courtyard_area_m2: float
    street_length_m: float
    driveway_length_m: float
    extent_m: tuple[float, float]
    nodes: int
    ways: int
    street_nodes: int
    street_segments: int
    gates: int
    oneway_streets: tuple[str, ...]


# --------------------------------------------------------------------------- projection


def to_lonlat(x: float, y: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Convert local metres to ``(lon, lat)`` (equirectangular about ``origin``).

    Parameters
    ----------
    x, y
        Metres east and north of the origin.
    origin
        ``(lon, lat)`` of the local origin.

    Returns
    -------
    tuple of float
        ``(lon, lat)`` in degrees, rounded to 7 decimals.
    """
    lon0, lat0 = origin
    lat = lat0 + y / METRES_PER_DEGREE_LAT
    lon = lon0 + x / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0)))
    return float(f"{lon:.7f}"), float(f"{lat:.7f}")


def to_local(lon: float, lat: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Convert ``(lon, lat)`` to local metres; the inverse of :func:`to_lonlat`.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees.
    origin
        ``(lon, lat)`` of the local origin.

    Returns
    -------
    tuple of float
        ``(x, y)``: metres east and north of the origin.
    """
    lon0, lat0 = origin
    x = (lon - lon0) * METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0))
    y = (lat - lat0) * METRES_PER_DEGREE_LAT
    return x, y


# --------------------------------------------------------------------------- layout


def _key(x: float, y: float) -> tuple[float, float]:
    return (round(x, 3), round(y, 3))


@dataclass
class _Road:
    """A piecewise-linear east–west road ``y(x)``."""

    bx: list[float]
    by: list[float]

    def y(self, x: float) -> float:
        return float(np.interp(x, self.bx, self.by))


@dataclass
class _Street:
    """A street under construction: stations along its axis."""

    kind: StreetKind
    highway: str
    ew: bool
    x: float  # lanes/alleys: fixed x; roads: unused
    road: _Road | None
    stations: list[float]
    reverse: bool = False
    oneway: bool = False
    bicycle_both_ways: bool = False

    def point(self, t: float) -> tuple[float, float]:
        if self.road is not None:
            return (t, self.road.y(t))
        return (self.x, t)

    def add_station(self, t: float, *, snap: float = 0.0) -> float:
        for s in self.stations:
            if abs(s - t) <= snap:
                return s
        self.stations.append(t)
        return t

    def filled(self) -> list[float]:
        ts = sorted(set(self.stations))
        out = [ts[0]]
        for a, b in itertools.pairwise(ts):
            n = math.ceil((b - a) / _MAX_NODE_SPACING_M)
            out.extend(a + (b - a) * k / n for k in range(1, n))
            out.append(b)
        return out[::-1] if self.reverse else out


@dataclass
class _Block:
    """The land between two lanes in one half (south or north of the middle road)."""

    half: int  # 0 south, 1 north
    xa: float
    xb: float
    lane_a: int  # street index of the western lane
    lane_b: int
    pieces: int = 1


@dataclass
class _Yard:
    """A courtyard under construction."""

    xl: float
    xr: float
    lower: _Road
    upper: _Road
    ins_lower: float
    ins_upper: float
    front_lower: bool
    weight: float
    left: tuple[str, int]  # ("lane" | "alley" | "wall", street index or -1)
    right: tuple[str, int]
    depth: float = 0.0
    corners: tuple[tuple[float, float], ...] = ()
    gates: list[tuple[str, float, float, int, str]] | None = None  # side, x, y, street, entrance

    def available_depth(self) -> float:
        return min((self.upper.y(x) - self.ins_upper) - (self.lower.y(x) + self.ins_lower) for x in (self.xl, self.xr))

    def bottom(self, x: float) -> float:
        if self.front_lower:
            return self.lower.y(x) + self.ins_lower
        return self.upper.y(x) - self.ins_upper - self.depth

    def top(self, x: float) -> float:
        return self.bottom(x) + self.depth


def _lane_positions(rng: np.random.Generator, width: float) -> list[float]:
    steps: list[float] = []
    while sum(steps) < width:
        steps.append(float(rng.uniform(*_LANE_SPACING_M)))
    if len(steps) > 1 and sum(steps) - width > width - sum(steps[:-1]):
        steps.pop()
    scale = width / sum(steps)
    xs = [0.0]
    for s in steps:
        xs.append(xs[-1] + s * scale)
    xs[-1] = width
    return xs


def _solve_depths(yards: list[_Yard], target: float) -> None:
    full = sum((y.xr - y.xl) * y.available_depth() for y in yards)
    if full < target:
        msg = (
            f"courtyards cannot cover {target:,.0f} m² in this layout (at most {full:,.0f} m²); "
            "use a larger extent or a smaller area"
        )
        raise InvalidInputError(msg, items=[target])

    def total(f: float) -> float:
        return sum((y.xr - y.xl) * y.available_depth() * min(1.0, f * y.weight) for y in yards)

    lo, hi = 0.0, 1.0 / min(y.weight for y in yards)
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if total(mid) < target else (lo, mid)
    for y in yards:
        y.depth = y.available_depth() * min(1.0, hi * y.weight)


def generate_community(
    *,
    seed: int,
    name: str,
    name_en: str,
    width_m: float = 1800,
    height_m: float = 360,
    n_courtyards: int = 40,
    origin: tuple[float, float] = (112.5500, 37.8700),
    n_officers: int = 4,
    n_specialists: int = 6,
    area_m2: float | None = None,
) -> Community:
    """Generate a long, narrow residential community from a seed.

    Layout: three east–west roads (south edge, an irregular middle road at
    47–53 % of the height, north edge); north–south lanes every 70–160 m,
    some of which stop at the middle road; blocks between them split into
    2–3 courtyards where needed to reach ``n_courtyards``; a few dead-end
    alleys between split courtyards. Courtyards are inset 8–12 m from
    street centre lines and sized so that their areas add up to
    ``area_m2``. Each courtyard has 1–3 gates facing streets, each joined to
    the street by a driveway; the office is a vertex of the middle road at
    mid-width. Four interior lanes (or all, if fewer) are one-way, one of
    them open to bicycles both ways; the edge lanes stay two-way.

    Parameters
    ----------
    seed
        Random seed; the same arguments give the same community.
    name, name_en
        Chinese and English names of the community.
    width_m, height_m
        East–west and north–south extent in metres.
    n_courtyards
        Number of courtyards.
    origin
        ``(lon, lat)`` of the south-west corner.
    n_officers, n_specialists
        Size of the generated staff pool.
    area_m2
        Total courtyard area; default 54 % of ``width_m * height_m``
        (350,000 m² for 1,800 m × 360 m, as reported for Tiexi).

    Returns
    -------
    Community
        The generated community (validated: connected, no overlaps).

    Raises
    ------
    InvalidInputError
        If the arguments cannot give a valid community.
    """
    problems = []
    if not 300 <= width_m <= 20_000:
        problems.append(f"width_m={width_m} is not within 300..20000")
    if not 120 <= height_m <= 2_000:
        problems.append(f"height_m={height_m} is not within 120..2000")
    if n_courtyards < 2:
        problems.append(f"n_courtyards={n_courtyards} is below 2")
    if n_officers < 1:
        problems.append(f"n_officers={n_officers} is below 1")
    if n_specialists < 2:
        problems.append(f"n_specialists={n_specialists} is below 2 (each window needs two)")
    if problems:
        raise InvalidInputError("; ".join(problems), items=problems)
    width, height = float(width_m), float(height_m)
    target = _COVERAGE * width * height if area_m2 is None else float(area_m2)
    rng = np.random.default_rng(seed)

    # -- lanes and gaps
    xs = _lane_positions(rng, width)
    # presence[i] = (in south half, in north half)
    presence: list[list[bool]] = [[True, True] for _ in xs]
    for i in range(1, len(xs) - 1):
        if rng.random() < 0.3:
            presence[i][int(rng.integers(2))] = False

    def n_blocks() -> int:
        return sum(sum(p[h] for p in presence) - 1 for h in (0, 1))

    while n_blocks() > n_courtyards:
        counts = [sum(p[h] for p in presence) for h in (0, 1)]
        h = 0 if counts[0] >= counts[1] else 1
        interior = [i for i in range(1, len(xs) - 1) if presence[i][h]]
        presence[interior[int(rng.integers(len(interior)))]][h] = False
    keep = [i for i, p in enumerate(presence) if p[0] or p[1]]
    xs = [xs[i] for i in keep]
    presence = [presence[i] for i in keep]

    # -- roads
    y_mid = height * float(rng.uniform(0.47, 0.53))
    south_bx = [x for x, p in zip(xs, presence, strict=True) if p[0]]
    north_bx = [x for x, p in zip(xs, presence, strict=True) if p[1]]
    mid_bx = [x for x, p in zip(xs, presence, strict=True) if p[0] and p[1]]
    roads = (
        _Road(south_bx, [float(rng.uniform(-2.5, 2.5)) for _ in south_bx]),
        _Road(mid_bx, [y_mid + float(rng.uniform(-4.0, 4.0)) for _ in mid_bx]),
        _Road(north_bx, [height + float(rng.uniform(-2.5, 2.5)) for _ in north_bx]),
    )
    streets: list[_Street] = [
        _Street("road", hw, True, 0.0, road, [0.0, width])
        for hw, road in zip(("secondary", "tertiary", "tertiary"), roads, strict=True)
    ]
    lane_index: dict[int, int] = {}
    for i, (x, p) in enumerate(zip(xs, presence, strict=True)):
        y0 = roads[0].y(x) if p[0] else roads[1].y(x)
        y1 = roads[2].y(x) if p[1] else roads[1].y(x)
        half_lane = not (p[0] and p[1])
        highway = "living_street" if half_lane and rng.random() < 0.5 else "residential"
        lane_index[i] = len(streets)
        stations = [y0, y1] if not (p[0] and p[1]) else [y0, roads[1].y(x), y1]
        streets.append(_Street("lane", highway, False, x, None, stations))
        for h, road_i in ((0, 0), (0, 1), (1, 1), (1, 2)):
            if p[h]:
                streets[road_i].add_station(x)

    # -- blocks and splits
    blocks: list[_Block] = []
    for h in (0, 1):
        idx = [i for i, p in enumerate(presence) if p[h]]
        blocks.extend(_Block(h, xs[a], xs[b], lane_index[a], lane_index[b]) for a, b in itertools.pairwise(idx))
    while sum(b.pieces for b in blocks) < n_courtyards:
        best = max(blocks, key=lambda b: (b.xb - b.xa) / (b.pieces + 1))
        if (best.xb - best.xa) / (best.pieces + 1) < _MIN_PIECE_WIDTH_M + 2 * _STREET_INSET_M[1]:
            msg = f"{n_courtyards} courtyards do not fit in {width:.0f} m; use fewer courtyards"
            raise InvalidInputError(msg, items=[n_courtyards])
        best.pieces += 1

    # split points per block, and which ones get an alley
    splits: list[tuple[int, list[float]]] = []
    for bi, b in enumerate(blocks):
        w = rng.uniform(0.8, 1.2, size=b.pieces)
        fractions = np.cumsum(w / w.sum())[:-1]
        splits.append((bi, [b.xa + (b.xb - b.xa) * float(c) for c in fractions]))
    split_points = [(bi, k) for bi, cuts in splits for k in range(len(cuts))]
    n_alleys = min(len(split_points), max(1, round(width / 600)))
    chosen: list[int] = (
        [int(c) for c in rng.choice(len(split_points), size=n_alleys, replace=False)] if n_alleys else []
    )
    alley_at: dict[tuple[int, int], int] = {}
    for j in sorted(chosen):
        bi, k = split_points[j]
        b = blocks[bi]
        x = splits[bi][1][k]
        lower, upper = (roads[0], roads[1]) if b.half == 0 else (roads[1], roads[2])
        from_lower = bool(rng.random() < 0.5)
        span = upper.y(x) - lower.y(x)
        length = span * float(rng.uniform(0.45, 0.65))
        road_i = b.half if from_lower else b.half + 1
        start = streets[road_i].add_station(x)
        y0 = lower.y(start) if from_lower else upper.y(start)
        y1 = y0 + length if from_lower else y0 - length
        alley_at[(bi, k)] = len(streets)
        streets.append(_Street("alley", "service", False, start, None, [y0, y1]))

    # -- courtyards
    yards: list[_Yard] = []
    for bi, b in enumerate(blocks):
        cuts = splits[bi][1]
        bounds = [b.xa, *cuts, b.xb]
        lower, upper = (roads[0], roads[1]) if b.half == 0 else (roads[1], roads[2])
        for k in range(b.pieces):
            sides: list[tuple[str, int, float]] = []
            for edge in (k, k + 1):
                if edge in (0, b.pieces):
                    lane = b.lane_a if edge == 0 else b.lane_b
                    sides.append(("lane", lane, float(rng.uniform(*_STREET_INSET_M))))
                elif (bi, edge - 1) in alley_at:
                    sides.append(("alley", alley_at[(bi, edge - 1)], _ALLEY_INSET_M))
                else:
                    sides.append(("wall", -1, _WALL_INSET_M))
            xl = (streets[sides[0][1]].x if sides[0][0] == "alley" else bounds[k]) + sides[0][2]
            xr = (streets[sides[1][1]].x if sides[1][0] == "alley" else bounds[k + 1]) - sides[1][2]
            yards.append(
                _Yard(
                    xl=xl,
                    xr=xr,
                    lower=lower,
                    upper=upper,
                    ins_lower=float(rng.uniform(*_STREET_INSET_M)),
                    ins_upper=float(rng.uniform(*_STREET_INSET_M)),
                    front_lower=bool(rng.random() < 0.5),
                    weight=float(rng.uniform(0.75, 1.25)),
                    left=(sides[0][0], sides[0][1]),
                    right=(sides[1][0], sides[1][1]),
                )
            )
    _solve_depths(yards, target)
    for y in yards:
        y.corners = (
            (y.xl, y.bottom(y.xl)),
            (y.xr, y.bottom(y.xr)),
            (y.xr, y.top(y.xr)),
            (y.xl, y.top(y.xl)),
        )
    yards.sort(key=lambda y: (round(sum(c[0] for c in y.corners) / 4, 3), sum(c[1] for c in y.corners) / 4))

    # -- office on the middle road near mid-width
    x_office = width / 2
    mid_stations = streets[1].stations
    while any(abs(s - x_office) < 8.0 for s in mid_stations):
        x_office += 10.0
    streets[1].add_station(x_office)
    office_point = _key(*streets[1].point(x_office))

    # -- gates and driveways
    driveways: list[tuple[tuple[float, float], tuple[float, float]]] = []
    gate_points: dict[tuple[float, float], str] = {}
    yard_gate_keys: list[list[tuple[float, float]]] = []
    for y in yards:
        n_gates = int(rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15]))
        front_road = 0 if y.front_lower else 1  # index into (lower, upper)
        road_i = _road_index(roads, y.lower if front_road == 0 else y.upper)
        candidates: list[tuple[str, int]] = []
        for side, (kind, street_i) in (("left", y.left), ("right", y.right)):
            if kind in ("lane", "alley"):
                candidates.append((side, street_i))
        order = rng.permutation(len(candidates))
        plan: list[tuple[str, int]] = [("front", road_i)]
        plan.extend(candidates[int(o)] for o in order)
        plan.append(("front", road_i))
        gates: list[tuple[str, float, float, int, str]] = []
        for side, street_i in plan:
            if len(gates) >= n_gates:
                break
            g = _place_gate(y, side, streets[street_i], gates, rng)
            if g is not None:
                gates.append((side, g[0], g[1], street_i, "main" if not gates else "yes"))
        keys: list[tuple[float, float]] = []
        for _side, gx, gy, street_i, entrance in gates:
            street = streets[street_i]
            t = gx if street.ew else gy
            t = street.add_station(t, snap=_SNAP_M)
            gk = _key(gx, gy)
            gate_points[gk] = entrance
            keys.append(gk)
            driveways.append((gk, _key(*street.point(t))))
        y.gates = gates
        yard_gate_keys.append(keys)

    # -- one-way lanes
    # the edge lanes stay two-way, so each half can be crossed both ways
    lane_ids = sorted(lane_index[i] for i in range(1, len(xs) - 1))
    n_oneway = min(4, len(lane_ids))
    oneway_ids = sorted(int(i) for i in rng.choice(lane_ids, size=n_oneway, replace=False))
    both_ways = oneway_ids[int(rng.integers(len(oneway_ids)))] if oneway_ids else -1
    for si in oneway_ids:
        streets[si].oneway = True
        streets[si].reverse = bool(rng.random() < 0.5)
        streets[si].bicycle_both_ways = si == both_ways

    # -- polygons (ring of keys) per yard
    rings: list[list[tuple[float, float]]] = []
    for y in yards:
        yard_gates = y.gates or []
        (x0, yb0), (x1, yb1), (_, yt1), (_, yt0) = y.corners
        bottom_side = "front" if y.front_lower else "back"
        top_side = "back" if y.front_lower else "front"
        ring = [_key(x0, yb0)]
        ring += [_key(gx, gy) for s, gx, gy, _, _ in sorted(yard_gates, key=lambda g: g[1]) if s == bottom_side]
        ring.append(_key(x1, yb1))
        ring += [_key(gx, gy) for s, gx, gy, _, _ in sorted(yard_gates, key=lambda g: g[2]) if s == "right"]
        ring.append(_key(x1, yt1))
        ring += [_key(gx, gy) for s, gx, gy, _, _ in sorted(yard_gates, key=lambda g: -g[1]) if s == top_side]
        ring.append(_key(x0, yt0))
        ring += [_key(gx, gy) for s, gx, gy, _, _ in sorted(yard_gates, key=lambda g: -g[2]) if s == "left"]
        ring.append(ring[0])
        rings.append(ring)

    # -- node ids: every point, sorted west→east then south→north
    street_keys = [[_key(*s.point(t)) for t in s.filled()] for s in streets]
    points: set[tuple[float, float]] = {k for ks in street_keys for k in ks}
    points.update(k for r in rings for k in r)
    points.update(k for d in driveways for k in d)
    node_id = {k: i for i, k in enumerate(sorted(points), start=1)}

    # -- names
    kinds: list[StreetKind] = [s.kind for s in streets]
    s_names = street_names(kinds, seed=seed)
    c_names = courtyard_names(len(yards), seed=seed)

    ways: list[OsmWay] = []
    for s, ks, (zh, en) in zip(streets, street_keys, s_names, strict=True):
        tags = {"highway": s.highway, "name": zh, "name:zh": zh, "name:en": en}
        if s.kind == "alley":
            tags["service"] = "alley"
        if s.oneway:
            tags["oneway"] = "yes"
            if s.bicycle_both_ways:
                tags["oneway:bicycle"] = "no"
        ways.append(OsmWay(len(ways) + 1, tuple(node_id[k] for k in ks), _sorted_tags(tags)))
    yard_way: list[int] = []
    for i, (ring, (zh, en)) in enumerate(zip(rings, c_names, strict=True)):
        tags = {"landuse": "residential", "name": zh, "name:zh": zh, "name:en": en, "ref": _ref(i)}
        yard_way.append(len(ways) + 1)
        ways.append(OsmWay(len(ways) + 1, tuple(node_id[k] for k in ring), _sorted_tags(tags)))
    for gk, sk in driveways:
        tags = {"highway": "service", "service": "driveway"}
        ways.append(OsmWay(len(ways) + 1, (node_id[gk], node_id[sk]), _sorted_tags(tags)))

    node_tags: dict[tuple[float, float], dict[str, str]] = {
        k: {"barrier": "gate", "entrance": e} for k, e in gate_points.items()
    }
    node_tags[office_point] = _office_tags(name, name_en)
    nodes = tuple(
        OsmNode(i, *to_lonlat(k[0], k[1], origin), _sorted_tags(node_tags.get(k, {})))
        for k, i in sorted(node_id.items(), key=lambda kv: kv[1])
    )

    # -- attributes
    areas = [Polygon(r).area for r in rings]
    records = _attributes(
        seed,
        areas,
        [(_ref(i), zh, en) for i, (zh, en) in enumerate(c_names)],
        yard_way,
        [tuple(node_id[k] for k in ks) for ks in yard_gate_keys],
    )
    staff = _staff(seed, n_officers, n_specialists)
    community = Community(
        name=name,
        name_en=name_en,
        seed=seed,
        origin=origin,
        width_m=width,
        height_m=height,
        nodes=nodes,
        ways=tuple(ways),
        courtyards=records,
        office_node=node_id[office_point],
        staff=staff,
        note=(
            f"Synthetic community generated by patrolplan.synth (seed {seed}); "
            "streets, courtyards and figures are invented, not survey data."
        ),
    )
    _check_no_overlap(rings)
    check_connectivity(community)
    return community


def _road_index(roads: tuple[_Road, _Road, _Road], road: _Road) -> int:
    return next(i for i, r in enumerate(roads) if r is road)


def _place_gate(
    y: _Yard,
    side: str,
    street: _Street,
    existing: list[tuple[str, float, float, int, str]],
    rng: np.random.Generator,
) -> tuple[float, float] | None:
    """Pick a gate position on ``side`` of yard ``y`` facing ``street``, or ``None``."""
    c = _GATE_CORNER_CLEARANCE_M
    if side == "front":
        lo, hi = y.xl + min(10.0, (y.xr - y.xl) / 3), y.xr - min(10.0, (y.xr - y.xl) / 3)
        for _ in range(8):
            gx = float(rng.uniform(lo, hi))
            if all(abs(gx - g[1]) >= 25.0 for g in existing if g[0] == "front"):
                gy = y.bottom(gx) if y.front_lower else y.top(gx)
                return gx, gy
        return None
    gx = y.xl if side == "left" else y.xr
    lo, hi = y.bottom(gx) + c, y.top(gx) - c
    if street.kind == "alley":
        a, b = sorted(street.stations[:2])
        lo, hi = max(lo, a + 5.0), min(hi, b - 5.0)
    if hi <= lo:
        return None
    return gx, float(rng.uniform(lo, hi))


def _ref(i: int) -> str:
    return f"C{i + 1:02d}"


def _sorted_tags(tags: dict[str, str]) -> Tags:
    return tuple(sorted(tags.items()))


def _office_tags(name: str, name_en: str) -> dict[str, str]:
    return {
        "amenity": "community_centre",
        "office": "government",
        "name": f"{name}居委會",
        "name:zh": f"{name}居委會",
        "name:en": f"{name_en} Office",
    }


def _attributes(
    seed: int,
    areas: list[float],
    names: list[tuple[str, str, str]],
    way_ids: list[int],
    gates: list[tuple[int, ...]],
) -> tuple[CourtyardRecord, ...]:
    """Draw households, demand, incidents … for each courtyard."""
    rng = np.random.default_rng([seed, 13])
    n = len(areas)
    rows = []
    for area in areas:
        households = int(np.clip(round(area * 0.035 * rng.uniform(0.85, 1.15)), 150, 900))
        residents = households * 2.7
        elderly = round(residents * rng.uniform(0.15, 0.30))
        unemployed = int(min(15, rng.poisson(households / 80)))
        consultations = int(min(80, rng.poisson(8 + households / 12)))
        incidents = int(min(12, rng.poisson(1.0 + households / 250)))
        demand = {
            "party_government": 1 + int(rng.poisson(1.5)),
            "civil_affairs": 1 + round(elderly / 60),
            "employment": 1 + unemployed // 2,
            "medical_insurance": 1 + round(elderly / 50),
            "family_planning": 1 + int(rng.poisson(households / 200)),
            "governance_stability": 1 + incidents,
            "city_management": 1 + int(rng.poisson(2.0)),
        }
        rows.append((households, elderly, unemployed, consultations, incidents, demand))
    n_hot = max(1, round(n / 10))
    by_incidents = sorted(range(n), key=lambda i: (-rows[i][4], -areas[i], i))
    hot = set(by_incidents[:n_hot])
    n_desk = max(1, round(n * 0.75))
    by_area = sorted(range(n), key=lambda i: (-areas[i], i))
    desk = set(by_area[:n_desk])
    out = []
    for i, (households, elderly, unemployed, consultations, incidents, demand) in enumerate(rows):
        ref, zh, en = names[i]
        out.append(
            CourtyardRecord(
                ref=ref,
                name=zh,
                name_en=en,
                way_id=way_ids[i],
                gates=gates[i],
                area_m2=round(areas[i]),
                households=households,
                elderly=elderly,
                unemployed=unemployed,
                consultations=consultations,
                demand=tuple((k, min(10, demand[k])) for k in WINDOW_KEYS),
                incidents=incidents,
                hot_spot=i in hot,
                can_host_desk=i in desk,
            )
        )
    return tuple(out)


def _staff(seed: int, n_officers: int, n_specialists: int) -> tuple[StaffRecord, ...]:
    """Patrol officers and specialists; every window is run by at least two specialists."""
    rng = np.random.default_rng([seed, 14])
    names = _person_names(n_officers + n_specialists, rng)
    skills: list[set[str]] = [set() for _ in range(n_specialists)]
    pool = [k for _ in range(2) for k in rng.permutation(list(WINDOW_KEYS)).tolist()]
    for j, key in enumerate(pool):
        # round-robin, skipping people who already have this skill
        for d in range(n_specialists):
            person = (j + d) % n_specialists
            if key not in skills[person]:
                skills[person].add(key)
                break
    for person_skills in skills:
        if rng.random() < 0.5:
            person_skills.add(str(rng.choice(list(WINDOW_KEYS))))
    staff: list[StaffRecord] = []
    for i in range(n_officers):
        en, zh = names[i]
        staff.append(StaffRecord(f"S{i + 1:02d}", en, zh, ("patrol",), ("governance_stability",)))
    for j in range(n_specialists):
        en, zh = names[n_officers + j]
        ordered = tuple(k for k in WINDOW_KEYS if k in skills[j])
        staff.append(StaffRecord(f"S{n_officers + j + 1:02d}", en, zh, ("specialist",), ordered))
    return tuple(staff)


def _check_no_overlap(rings: list[list[tuple[float, float]]]) -> None:
    polys = [Polygon(r) for r in rings]
    bad = [
        (i, j)
        for i in range(len(polys))
        for j in range(i + 1, len(polys))
        if polys[i].intersection(polys[j]).area > 1e-6
    ]
    invalid = [i for i, p in enumerate(polys) if not p.is_valid]
    if bad or invalid:  # pragma: no cover - a generator bug, not user input
        msg = f"generated courtyards overlap or are invalid: {bad} {invalid}"
        raise RuntimeError(msg)


# --------------------------------------------------------------------------- checks


def _street_digraph(community: Community, *, bicycle: bool) -> dict[int, set[int]]:
    adj: dict[int, set[int]] = {}
    for way in community.ways:
        if way.tag("highway") is None:
            continue
        oneway = way.tag("oneway") in ("yes", "true", "1")
        if bicycle and way.tag("oneway:bicycle") == "no":
            oneway = False
        for a, b in itertools.pairwise(way.nodes):
            adj.setdefault(a, set()).add(b)
            adj.setdefault(b, set())
            if not oneway:
                adj[b].add(a)
    return adj


def _reach(adj: dict[int, set[int]], start: int) -> set[int]:
    seen = {start}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in adj.get(u, ()):
            if v not in seen:
                seen.add(v)
                queue.append(v)
    return seen


def check_connectivity(community: Community) -> None:
    """Check that every street node is reachable from the office and back.

    One-way streets are respected, both with and without bicycle
    exceptions (``oneway:bicycle=no``); driveways are two-way.

    Parameters
    ----------
    community
        The community to check.

    Raises
    ------
    UnreachableCourtyardError
        If some street node (for example a gate) cannot be reached from the
        office, or cannot reach it.
    """
    for bicycle in (False, True):
        adj = _street_digraph(community, bicycle=bicycle)
        forward = _reach(adj, community.office_node)
        reverse: dict[int, set[int]] = {u: set() for u in adj}
        for u, vs in adj.items():
            for v in vs:
                reverse[v].add(u)
        backward = _reach(reverse, community.office_node)
        missing = sorted(set(adj) - (forward & backward))
        if missing:
            msg = (
                f"{len(missing)} street nodes are not strongly connected to the office "
                f"(bicycle exceptions {'on' if bicycle else 'off'}), e.g. {missing[:5]}"
            )
            raise UnreachableCourtyardError(msg, items=missing)


def measure(community: Community) -> Figures:
    """Measure a community: counts, courtyard area, street length and extent.

    Parameters
    ----------
    community
        The community to measure.

    Returns
    -------
    Figures
        Areas and lengths are computed in local metres (inverse projection).
    """
    xy = {n.id: to_local(n.lon, n.lat, community.origin) for n in community.nodes}
    street = drive = 0.0
    seg: set[tuple[int, int]] = set()
    street_nodes: set[int] = set()
    oneway: list[str] = []
    area = 0.0
    for way in community.ways:
        if way.tag("landuse") == "residential":
            area += Polygon([xy[i] for i in way.nodes]).area
        if way.tag("highway") is None:
            continue
        length = sum(math.dist(xy[a], xy[b]) for a, b in itertools.pairwise(way.nodes))
        if way.tag("service") == "driveway":
            drive += length
        else:
            street += length
        if way.tag("oneway") == "yes":
            oneway.append(way.tag("name") or str(way.id))
        street_nodes.update(way.nodes)
        seg.update((min(a, b), max(a, b)) for a, b in itertools.pairwise(way.nodes))
    xs = [p[0] for p in xy.values()]
    ys = [p[1] for p in xy.values()]
    return Figures(
        courtyards=len(community.courtyards),
        courtyard_area_m2=area,
        street_length_m=street,
        driveway_length_m=drive,
        extent_m=(max(xs) - min(xs), max(ys) - min(ys)),
        nodes=len(community.nodes),
        ways=len(community.ways),
        street_nodes=len(street_nodes),
        street_segments=len(seg),
        gates=sum(len(c.gates) for c in community.courtyards),
        oneway_streets=tuple(oneway),
    )


# --------------------------------------------------------------------------- renaming


def rename(
    community: Community,
    *,
    street_names: Sequence[tuple[str, str]] | None = None,
    courtyard_names: Sequence[tuple[str, str]] | None = None,
    note: str | None = None,
) -> Community:
    """Return a copy of ``community`` with other names (geometry unchanged).

    Parameters
    ----------
    community
        The community to rename; it is not modified.
    street_names
        ``(name_zh, name_en)`` per named street, in way-id order.
    courtyard_names
        ``(name_zh, name_en)`` per courtyard, in ``ref`` order.
    note
        A new source note.

    Returns
    -------
    Community
        The renamed copy.

    Raises
    ------
    InvalidInputError
        If a list has the wrong length or repeats a name.
    """
    named_streets = [w for w in community.ways if w.tag("highway") and w.tag("name")]
    for label, given, expected in (
        ("street_names", street_names, len(named_streets)),
        ("courtyard_names", courtyard_names, len(community.courtyards)),
    ):
        if given is None:
            continue
        if len(given) != expected:
            msg = f"{label} has {len(given)} names; this community needs {expected}"
            raise InvalidInputError(msg, items=[label])
        dupes = sorted({zh for zh, _ in given if [g[0] for g in given].count(zh) > 1})
        if dupes:
            msg = f"{label} repeats names: {', '.join(dupes)}"
            raise InvalidInputError(msg, items=dupes)
    new_names: dict[int, tuple[str, str]] = {}
    if street_names is not None:
        new_names.update({w.id: n for w, n in zip(named_streets, street_names, strict=True)})
    courtyards = community.courtyards
    if courtyard_names is not None:
        courtyards = tuple(
            replace(c, name=zh, name_en=en) for c, (zh, en) in zip(courtyards, courtyard_names, strict=True)
        )
        new_names.update({c.way_id: (c.name, c.name_en) for c in courtyards})
    ways = tuple(
        replace(w, tags=_sorted_tags({**dict(w.tags), "name": n[0], "name:zh": n[0], "name:en": n[1]}))
        if (n := new_names.get(w.id)) is not None
        else w
        for w in community.ways
    )
    return replace(
        community,
        ways=ways,
        courtyards=courtyards,
        note=community.note if note is None else note,
    )


# --------------------------------------------------------------------------- writing


def _osm_xml(community: Community) -> str:
    lons = [n.lon for n in community.nodes]
    lats = [n.lat for n in community.nodes]
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="patrolplan synth">',
        f'  <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}" '
        f'maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>',
    ]
    for n in sorted(community.nodes, key=lambda n: n.id):
        head = f'  <node id="{n.id}" version="1" lat="{n.lat:.7f}" lon="{n.lon:.7f}"'
        if not n.tags:
            out.append(head + "/>")
            continue
        out.append(head + ">")
        out.extend(_tag_lines(n.tags))
        out.append("  </node>")
    for w in sorted(community.ways, key=lambda w: w.id):
        out.append(f'  <way id="{w.id}" version="1">')
        out.extend(f'    <nd ref="{ref}"/>' for ref in w.nodes)
        out.extend(_tag_lines(w.tags))
        out.append("  </way>")
    out.append("</osm>")
    return "\n".join(out) + "\n"


def _tag_lines(tags: Iterable[tuple[str, str]]) -> list[str]:
    return [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags]


def _geojson(community: Community) -> str:
    coords = {n.id: (n.lon, n.lat) for n in community.nodes}
    ways = {w.id: w for w in community.ways}
    features = []
    for c in community.courtyards:
        ring = [list(coords[i]) for i in ways[c.way_id].nodes]
        props = {
            "id": c.ref,
            "name": c.name,
            "name_en": c.name_en,
            "osm_way": c.way_id,
            "gates": list(c.gates),
            "area_m2": c.area_m2,
            "households": c.households,
            "elderly": c.elderly,
            "unemployed": c.unemployed,
            "consultations": c.consultations,
            "demand": dict(c.demand),
            "incidents": c.incidents,
            "hot_spot": c.hot_spot,
            "can_host_desk": c.can_host_desk,
            "dwell_min": None,
        }
        feature = {
            "type": "Feature",
            "id": c.ref,
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": props,
        }
        features.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps(
        {"type": "FeatureCollection", "name": community.name, "name_en": community.name_en},
        ensure_ascii=False,
        separators=(",", ":"),
    )[:-1]
    return head + ',"features":[\n' + ",\n".join(features) + "\n]}\n"


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _district_toml(community: Community, street_file: str) -> str:
    lon0, lat0 = community.origin
    lines = [
        "# District folder for patrolplan, written by patrolplan.synth.write_district_folder.",
        f"name = {_toml_str(community.name)}",
        f"name_en = {_toml_str(community.name_en)}",
        f"street_file = {_toml_str(street_file)}",
        'courtyards_file = "courtyards.geojson"',
        'staff_file = "staff.csv"',
        f"office_node = {community.office_node}",
        "",
        "[week]",
        'duty_days = ["Tue", "Wed", "Thu"]',
        "",
        "[[week.shifts]]",
        'name = "morning"',
        'start = "09:00"',
        'end = "11:30"',
        "",
        "[[week.shifts]]",
        'name = "afternoon"',
        'start = "14:30"',
        'end = "17:00"',
        "",
        "[source]",
        f"note = {_toml_str(community.note)}",
        'generator = "patrolplan.synth"',
        f"seed = {community.seed}",
        f"origin = [{lon0:.7f}, {lat0:.7f}]",
        f"width_m = {community.width_m:.1f}",
        f"height_m = {community.height_m:.1f}",
    ]
    return "\n".join(lines) + "\n"


def _staff_csv(community: Community) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "name", "name_zh", "roles", "skills", "leave", "max_days_per_week", "preferences"])
    for s in community.staff:
        writer.writerow(
            [
                s.id,
                s.name,
                s.name_zh,
                ";".join(s.roles),
                ";".join(s.skills),
                ";".join(s.leave),
                s.max_days_per_week,
                "",
            ]
        )
    return buf.getvalue()


def write_district_folder(
    community: Community,
    folder: str | Path,
    *,
    street_file: str = "streets.osm",
    write_staff: bool = True,
) -> Path:
    """Write ``community`` as a district folder; identical input gives identical bytes.

    Parameters
    ----------
    community
        The community to write.
    folder
        Target folder; created if missing. Existing files of the same names
        are overwritten.
    street_file
        File name of the OSM XML street file.
    write_staff
        Whether to write ``staff.csv`` (``district.toml`` names it either way).

    Returns
    -------
    Path
        The folder.
    """
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    files = {
        street_file: _osm_xml(community),
        "courtyards.geojson": _geojson(community),
        "district.toml": _district_toml(community, street_file),
    }
    if write_staff:
        files["staff.csv"] = _staff_csv(community)
    for file_name, text in files.items():
        (path / file_name).write_bytes(text.encode("utf-8"))
    return path
