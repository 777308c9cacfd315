"""The district (社區): street graph + courtyards + office, loaded and validated.

``load_district()`` gives the embedded Tiexi Village reconstruction;
``district_from_file`` reads an OSM/PBF/GraphML file or a district folder;
``district_from_place`` downloads one with osmnx. Every loader validates the
result: unique ids, sane coordinates, and a bicycle round trip from the office
to every courtyard gate on the directed street graph.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import pickle
import tempfile
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString, Point, mapping

from patrolplan.courtyards import (
    Courtyard,
    courtyards_from_geojson,
    courtyards_from_scan,
    snap_gates,
)
from patrolplan.errors import (
    DuplicateIdError,
    InvalidInputError,
    MalformedOSMError,
    NotFoundError,
    UnreachableCourtyardError,
    join_problems,
)
from patrolplan.matrix import UNREACHABLE, TravelMatrix
from patrolplan.streets import OsmScan, StreetOptions, graph_from_file, graph_from_place

__all__ = [
    "District",
    "default_district_folder",
    "district_from_file",
    "district_from_place",
    "load_district",
]

log = logging.getLogger("patrolplan")

_STREET_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".graphml", ".xml")


@dataclass(frozen=True, eq=False)
class District:
    """A community's area: the bicycle street graph, its courtyards and the office.

    Attributes
    ----------
    name, name_en
        The community's Chinese and English names.
    graph
        Directed bicycle street graph (osmnx conventions: node ``x`` = lon,
        ``y`` = lat; edge ``length`` m, ``travel_time`` s).
    courtyards
        The courtyards, each with gates on graph nodes.
    office
        Graph node of the community office, where routes start and end.
    settings
        The folder's ``district.toml`` (duty days, shifts, options), if any.
    folder
        The district folder it came from, if any.
    """

    name: str
    graph: nx.MultiDiGraph = field(repr=False)
    courtyards: tuple[Courtyard, ...]
    office: int
    name_en: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    folder: Path | None = None
    source: str = ""
    preset_matrix: TravelMatrix | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the derived matrix and sites: they are recomputed (read-only) on demand."""
        state = dict(self.__dict__)
        state.pop("matrix", None)
        state.pop("sites", None)
        return state

    # ------------------------------------------------------------------ look-ups
    @functools.cached_property
    def sites(self) -> tuple[int, ...]:
        """The office node, then every courtyard gate node, each once."""
        nodes = [self.office]
        for yard in self.courtyards:
            nodes.extend(yard.gates)
        return tuple(dict.fromkeys(nodes))

    @functools.cached_property
    def matrix(self) -> TravelMatrix:
        """Travel times and distances between :attr:`sites` (computed once)."""
        if self.preset_matrix is not None:
            return self.preset_matrix
        return TravelMatrix.build(self.graph, self.sites)

    @property
    def staff_path(self) -> Path | None:
        """The district folder's staff CSV/TOML/YAML (``staff_file`` in district.toml, else ``staff.csv``), if any."""
        if self.folder is None:
            return None
        path = self.folder / str(self.settings.get("staff_file", "staff.csv"))
        return path if path.exists() else None

    def courtyard(self, key: str) -> Courtyard:
        """Find a courtyard by id, Chinese or English name (``"C07"``, ``"春暉小區"``, ``"Chunhui"``)."""
        for yard in self.courtyards:
            if yard.matches(key):
                return yard
        known = ", ".join(y.id for y in self.courtyards[:12])
        msg = f"no courtyard {key!r} in {self.name_en or self.name}; known ids include {known}"
        raise NotFoundError(msg, items=[key])

    def __iter__(self) -> Iterator[Courtyard]:
        return iter(self.courtyards)

    def __len__(self) -> int:
        return len(self.courtyards)

    @property
    def office_lonlat(self) -> tuple[float, float]:
        """The office as ``(lon, lat)``."""
        data = self.graph.nodes[self.office]
        return (float(data["x"]), float(data["y"]))

    def lonlat(self, node: int) -> tuple[float, float]:
        """A graph node as ``(lon, lat)``."""
        data = self.graph.nodes[node]
        return (float(data["x"]), float(data["y"]))

    def street_lines(self) -> list[list[tuple[float, float]]]:
        """Every street segment as a ``(lon, lat)`` pair, a two-way street once: the maps' background."""
        graph = self.graph
        return [[self.lonlat(u), self.lonlat(v)] for u, v in graph.edges() if u < v or not graph.has_edge(v, u)]

    def line(self, path: Sequence[int]) -> LineString:
        """A path of node ids as a lon/lat LineString."""
        coords = [self.lonlat(n) for n in path]
        if len(coords) == 1:
            coords = coords * 2
        return LineString(coords)

    # ------------------------------------------------------------------ changes
    def with_courtyards(self, courtyards: Sequence[Courtyard]) -> District:
        """A copy with other courtyards (validated again; the matrix is recomputed)."""
        new = replace(self, courtyards=tuple(courtyards))
        new.validate()
        return new

    def with_hot_spots(self, keys: Sequence[str]) -> District:
        """A copy where the named courtyards are hot spots (visited every duty day)."""
        wanted = {self.courtyard(k).id for k in keys}
        yards = [replace(y, hot_spot=True) if y.id in wanted else y for y in self.courtyards]
        return replace(self, courtyards=tuple(yards))

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Check ids, coordinates and the round trip office -> every gate -> office.

        Raises
        ------
        DuplicateIdError, UnreachableCourtyardError, InvalidInputError
            With every problem found, in one message.
        """
        problems: list[str] = []
        kinds: set[type[InvalidInputError]] = set()
        seen: dict[str, int] = {}
        for yard in self.courtyards:
            seen[yard.id] = seen.get(yard.id, 0) + 1
        dupes = sorted(k for k, n in seen.items() if n > 1)
        if dupes:
            problems.append(f"duplicate courtyard ids {dupes}; give each courtyard its own id")
            kinds.add(DuplicateIdError)
        if self.office not in self.graph:
            msg = f"office node {self.office} is not on the street graph"
            raise InvalidInputError(msg, items=[self.office])
        if not self.courtyards:
            msg = (
                f"district {self.name!r} has no courtyards; give a courtyards GeoJSON "
                "or an OSM file with landuse=residential areas"
            )
            raise InvalidInputError(msg, items=[self.name])
        matrix = self.matrix
        office = matrix.index(self.office)
        unreachable: list[str] = []
        unreachable_ids: list[str] = []
        for yard in self.courtyards:
            rows = [matrix.index(g) for g in yard.gates if g in matrix._index]
            there = [r for r in rows if matrix.seconds[office, r] < UNREACHABLE]
            back = [r for r in rows if matrix.seconds[r, office] < UNREACHABLE]
            if not there or not back:
                how = "be reached from" if not there else "get back to"
                unreachable_ids.append(yard.id)
                unreachable.append(
                    f"courtyard {yard.id} ({yard.label}): no gate can {how} the office "
                    f"by bicycle (gates {list(yard.gates)}); check one-way streets and gaps "
                    "in the street file, or move its gates"
                )
        if unreachable:
            problems.extend(unreachable)
            kinds.add(UnreachableCourtyardError)
        if problems:
            cls: type[InvalidInputError] = kinds.pop() if len(kinds) == 1 else InvalidInputError
            items = dupes + unreachable_ids
            raise cls(join_problems(f"district {self.name_en or self.name}", problems), items=items)

    # ------------------------------------------------------------------ views
    @property
    def street_length_m(self) -> float:
        """Length of the street network, counting each two-way street once."""
        seen: set[tuple[int, int]] = set()
        total = 0.0
        for u, v, data in self.graph.edges(data=True):
            key = (min(u, v), max(u, v))
            if key not in seen:
                seen.add(key)
                total += float(data["length"])
        return total

    @property
    def street_names(self) -> list[str]:
        """Distinct street names on the graph."""
        names: set[str] = set()
        for _u, _v, data in self.graph.edges(data=True):
            name = data.get("name")
            for n in name if isinstance(name, list) else [name]:
                if isinstance(n, str) and n:
                    names.add(n)
        return sorted(names)

    def summary(self) -> str:
        """A short text: courtyards, streets, network length, office, reachability."""
        matrix = self.matrix
        office = matrix.index(self.office)
        reach = all(
            any(
                matrix.seconds[office, matrix.index(g)] < UNREACHABLE
                and matrix.seconds[matrix.index(g), office] < UNREACHABLE
                for g in y.gates
            )
            for y in self.courtyards
        )
        area = sum(y.area_m2 for y in self.courtyards)
        lon, lat = self.office_lonlat
        hot = [y.name_en or y.name for y in self.courtyards if y.hot_spot]
        lines = [
            f"District: {self.name} ({self.name_en})" if self.name_en else f"District: {self.name}",
            f"  courtyards: {len(self.courtyards)} ({area:,.0f} m²), "
            f"{sum(len(y.gates) for y in self.courtyards)} gates, "
            f"{sum(y.can_host_desk for y in self.courtyards)} can host the desk",
            f"  hot spots: {', '.join(hot) if hot else 'none'}",
            f"  streets: {len(self.street_names)} named, "
            f"{self.graph.number_of_nodes()} nodes, {self.graph.number_of_edges()} directed segments, "
            f"{self.street_length_m / 1000:.2f} km of network",
            f"  office: node {self.office} at {lat:.5f}, {lon:.5f}",
            f"  every courtyard reachable by bicycle and back: {'yes' if reach else 'NO'}",
        ]
        return "\n".join(lines)

    def to_geojson(self) -> dict[str, Any]:
        """Courtyards (polygons with attributes) and the office, as a GeoJSON dict."""
        features: list[dict[str, Any]] = []
        for yard in self.courtyards:
            features.append(
                {
                    "type": "Feature",
                    "geometry": mapping(yard.polygon),
                    "properties": {
                        "id": yard.id,
                        "name": yard.name,
                        "name_en": yard.name_en,
                        "gates": list(yard.gates),
                        "households": yard.households,
                        "hot_spot": yard.hot_spot,
                        "can_host_desk": yard.can_host_desk,
                        "demand": dict(yard.demand),
                    },
                }
            )
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(Point(self.office_lonlat)),
                "properties": {"id": "office", "name": self.name, "node": self.office},
            }
        )
        return {"type": "FeatureCollection", "features": features}

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_matrix(
        cls,
        metres: npt.ArrayLike,
        *,
        seconds: npt.ArrayLike | None = None,
        coords: npt.ArrayLike | None = None,
        names: Sequence[str] | None = None,
        name: str = "matrix district",
    ) -> District:
        """A district from your own matrix: site 0 is the office, site i is courtyard i.

        Every courtyard has one gate (its site); paths are direct hops on a
        complete graph whose edges carry the matrix values.
        """
        dist = np.asarray(metres, dtype=float)
        n = dist.shape[0]
        if dist.ndim != 2 or dist.shape != (n, n) or n < 2:
            msg = f"matrix must be square with at least 2 sites, got shape {dist.shape}"
            raise InvalidInputError(msg, items=[dist.shape])
        secs = np.asarray(seconds if seconds is not None else dist, dtype=float)
        xy = (
            np.asarray(coords, dtype=float)
            if coords is not None
            else np.column_stack(
                [
                    np.cos(np.linspace(0, 2 * math.pi, n, endpoint=False)),
                    np.sin(np.linspace(0, 2 * math.pi, n, endpoint=False)),
                ]
            )
        )
        graph = nx.MultiDiGraph()
        for i in range(n):
            graph.add_node(i, x=float(xy[i, 0]), y=float(xy[i, 1]))
        for i in range(n):
            for j in range(n):
                if i != j:
                    graph.add_edge(
                        i,
                        j,
                        length=float(dist[i, j]),
                        travel_time=float(secs[i, j]),
                        name="",
                        name_en="",
                        highway="virtual",
                        contraflow=False,
                        walked=False,
                    )
        labels = list(names) if names is not None else [f"S{i}" for i in range(n)]
        span = float(np.ptp(xy[:, 0]) + np.ptp(xy[:, 1])) or 1.0
        half = span * 0.002
        yards = tuple(
            Courtyard(
                id=labels[i],
                name=labels[i],
                name_en=labels[i],
                polygon=Point(xy[i]).buffer(half, quad_segs=2),
                gates=(i,),
            )
            for i in range(1, n)
        )
        matrix = TravelMatrix.from_arrays(list(range(n)), secs, dist)
        district = cls(
            name=name,
            name_en=name,
            graph=graph,
            courtyards=yards,
            office=0,
            source="matrix",
            preset_matrix=matrix,
        )
        district.validate()
        return district

    @classmethod
    def from_points(
        cls,
        points: npt.ArrayLike,
        *,
        speed_mps: float = 1.0,
        names: Sequence[str] | None = None,
        name: str = "point district",
    ) -> District:
        """A district from planar points (metres): point 0 is the office.

        Distances are Euclidean, rounded to whole metres (TSPLIB's EUC_2D);
        times are distances over ``speed_mps``.
        """
        xy = np.asarray(points, dtype=float)
        if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
            msg = "points must be an (n, 2) array of finite coordinates"
            raise InvalidInputError(msg, items=[xy.shape])
        diff = xy[:, None, :] - xy[None, :, :]
        dist = np.floor(np.sqrt((diff**2).sum(axis=2)) + 0.5)
        return cls.from_matrix(dist, seconds=dist / speed_mps, coords=xy, names=names, name=name)


# ---------------------------------------------------------------------- loaders
def default_district_folder() -> Path:
    """Where the embedded Tiexi Village district lives (package data, or the source tree)."""
    packaged = Path(__file__).resolve().parent / "_data" / "tiexi"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "data" / "tiexi"
    if source.is_dir():
        return source
    msg = "the embedded Tiexi district is missing from this installation; reinstall patrolplan"
    raise NotFoundError(msg, items=["tiexi"])


@functools.lru_cache(maxsize=4)
def _cached_default(folder: str) -> District:
    return _load_with_disk_cache(Path(folder))


def load_district() -> District:
    """The embedded default district: a reconstruction of Tiexi Village (鐵西村社區).

    It is loaded once per process and shared (it is immutable). The first load in a
    user account reads the OSM file through osmnx and keeps the built district in the
    user cache (``$PATROLPLAN_CACHE_DIR``, else ``~/.cache/patrolplan``), keyed by the
    folder's file contents, so later processes skip osmnx's import and parsing; set
    ``PATROLPLAN_NO_CACHE=1`` to always read the file.
    """
    return _cached_default(str(default_district_folder()))


_CACHE_FORMAT = "district-cache-1"


def _cache_file(folder: Path) -> Path | None:
    """Where the built district of ``folder`` is kept, named by a hash of the folder's files."""
    if os.environ.get("PATROLPLAN_NO_CACHE"):
        return None
    digest = hashlib.sha256(_CACHE_FORMAT.encode())
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    root = Path(os.environ.get("PATROLPLAN_CACHE_DIR") or Path.home() / ".cache" / "patrolplan")
    return root / f"district-{digest.hexdigest()[:32]}.pickle"


def _load_with_disk_cache(folder: Path) -> District:
    """Load a district folder, through the user cache when it holds this exact folder."""
    cache = _cache_file(folder)
    if cache is not None and cache.exists():
        try:
            with cache.open("rb") as fh:
                cached = pickle.load(fh)  # our own file, written below
            if isinstance(cached, District):
                return cached
        except Exception:  # a damaged or foreign cache file: rebuild it
            log.debug("district cache %s unreadable; rebuilding", cache)
    district = district_from_file(folder)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache.parent, delete=False, suffix=".tmp") as tmp:
                pickle.dump(district, tmp, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp.name).replace(cache)
        except OSError as exc:  # a read-only home is fine: just no cache
            log.debug("cannot write district cache %s: %s", cache, exc)
    return district


def _read_settings(folder: Path) -> dict[str, Any]:
    toml = folder / "district.toml"
    if not toml.exists():
        return {}
    try:
        return tomllib.loads(toml.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        msg = f"{toml}: not valid TOML ({exc})"
        raise InvalidInputError(msg, items=[str(toml)]) from exc


def _street_file_in(folder: Path, settings: Mapping[str, Any]) -> Path:
    named = settings.get("street_file")
    if named:
        return folder / str(named)
    found = sorted(p for p in folder.iterdir() if p.name.lower().endswith(_STREET_SUFFIXES))
    if not found:
        msg = f"district folder {str(folder)!r} has no street file (.osm, .osm.bz2, .osm.pbf or .graphml)"
        raise MalformedOSMError(msg, items=[str(folder)])
    return found[0]


def district_from_file(
    path: str | Path,
    *,
    courtyards: str | Path | Sequence[Courtyard] | None = None,
    office: int | tuple[float, float] | None = None,
    name: str | None = None,
    name_en: str | None = None,
    street_options: StreetOptions | None = None,
) -> District:
    """Load a district from a street file or a district folder.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.pbf``, ``.graphml``, or a district
        folder (street file + optional ``courtyards.geojson``, ``staff.csv``
        and ``district.toml``).
    courtyards
        A courtyards GeoJSON (or courtyards); by default the folder's, else
        derived from the file's ``landuse=residential`` areas.
    office
        The office as a graph node id or ``(lon, lat)``; by default a node
        tagged ``amenity=community_centre`` / ``office=government``, else the
        street node nearest the courtyards' centre.
    name, name_en
        The community's names (default: the folder's settings or the file name).
    street_options
        Speeds and one-way handling for bicycles.

    Raises
    ------
    MalformedOSMError, InvalidInputError, UnreachableCourtyardError
    """
    src = Path(path)
    settings: dict[str, Any] = {}
    folder: Path | None = None
    if src.is_dir():
        folder = src
        settings = _read_settings(src)
        street = _street_file_in(src, settings)
        if courtyards is None:
            geo = src / str(settings.get("courtyards_file", "courtyards.geojson"))
            courtyards = geo if geo.exists() else None
        if office is None and "office_node" in settings:
            office = int(settings["office_node"])
    else:
        street = src
    graph, scan = graph_from_file(street, options=street_options)
    return _assemble(
        graph,
        scan,
        courtyards=courtyards,
        office=office,
        name=name or str(settings.get("name") or src.stem.split(".")[0]),
        name_en=name_en or str(settings.get("name_en") or ""),
        settings=settings,
        folder=folder,
        source=str(street),
    )


def district_from_place(
    place: str,
    *,
    courtyards: str | Path | Sequence[Courtyard] | None = None,
    office: int | tuple[float, float] | None = None,
    street_options: StreetOptions | None = None,
    timeout: float = 20.0,
) -> District:
    """Download a district by place name with osmnx (needs the internet).

    Without courtyards, every street node cluster is not a courtyard: give a
    courtyards GeoJSON. Fails fast with ``NetworkUnavailableError`` offline.
    """
    graph = graph_from_place(place, options=street_options, timeout=timeout)
    return _assemble(
        graph,
        OsmScan(),
        courtyards=courtyards,
        office=office,
        name=place,
        name_en=place,
        settings={},
        folder=None,
        source=f"place:{place}",
    )


def _office_node(
    graph: nx.MultiDiGraph,
    scan: OsmScan,
    office: int | tuple[float, float] | None,
    yards: Sequence[Courtyard],
) -> int:
    """Resolve the office to a graph node."""
    if isinstance(office, int):
        if office not in graph:
            msg = f"office node {office} is not on the street graph; give a street node id or (lon, lat)"
            raise InvalidInputError(msg, items=[office])
        return office
    if office is not None:
        lon, lat = office
    elif scan.office is not None and scan.office[0] in graph:
        return scan.office[0]
    elif scan.office is not None:
        lon, lat = scan.office[1], scan.office[2]
    elif yards:
        lon = float(np.mean([y.centroid[0] for y in yards]))
        lat = float(np.mean([y.centroid[1] for y in yards]))
    else:
        xs = [d["x"] for _n, d in graph.nodes(data=True)]
        ys = [d["y"] for _n, d in graph.nodes(data=True)]
        lon, lat = float(np.mean(xs)), float(np.mean(ys))
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"office coordinates ({lon}, {lat}) are not a valid lon/lat"
        raise InvalidInputError(msg, items=[(lon, lat)])
    core = max(nx.strongly_connected_components(graph), key=len)
    nodes = list(core)
    xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes])
    k = math.cos(math.radians(lat))
    d2 = ((xy[:, 0] - lon) * k) ** 2 + (xy[:, 1] - lat) ** 2
    best = int(np.argmin(d2))
    away_m = math.sqrt(float(d2[best])) * 111_320.0
    if office is not None and away_m > 500.0:
        msg = (
            f"the office at ({lon}, {lat}) is {away_m:,.0f} m from the nearest street node: it lies outside "
            "the street graph; check the coordinates (lon, lat order) or give a street node id"
        )
        raise InvalidInputError(msg, items=[(lon, lat)])
    return int(nodes[best])


def _assemble(
    graph: nx.MultiDiGraph,
    scan: OsmScan,
    *,
    courtyards: str | Path | Sequence[Courtyard] | None,
    office: int | tuple[float, float] | None,
    name: str,
    name_en: str,
    settings: Mapping[str, Any],
    folder: Path | None,
    source: str,
) -> District:
    if courtyards is None:
        yards: Sequence[Courtyard] = courtyards_from_scan(scan)
    elif isinstance(courtyards, str | Path):
        yards = courtyards_from_geojson(courtyards)
    else:
        yards = list(courtyards)
    office_node = _office_node(graph, scan, office, yards)
    # derived gates go to nodes the office can reach and return from
    reach = nx.descendants(graph, office_node) & nx.ancestors(graph, office_node)
    reach.add(office_node)
    gate_coords = {gid: (lon, lat) for gid, lon, lat, _t in scan.gates}
    snapped, problems = snap_gates(graph, yards, gate_coords=gate_coords, candidates=sorted(reach))
    if problems:
        raise InvalidInputError(join_problems(f"district {name}", problems), items=problems)
    district = District(
        name=name,
        name_en=name_en,
        graph=graph,
        courtyards=snapped,
        office=office_node,
        settings=settings,
        folder=folder,
        source=source,
    )
    district.validate()
    log.debug("loaded %s: %d courtyards, %d nodes", name, len(snapped), len(graph))
    return district
