"""Street graph a bicycle may use, from OSM XML / .bz2 / .pbf / GraphML or online.

Reading goes in two steps, so every format gives the same graph:

1. :func:`scan_osm` reads the file once with pyosmium (XML, bzip2 XML and PBF
   alike). It keeps the ways a bicycle may ride, applies the bicycle one-way
   rules (``oneway:bicycle=no`` makes a one-way street two-way for bicycles,
   which osmnx alone ignores), and collects what the district needs besides
   streets: residential areas, gate nodes and the office.
2. The kept ways are written to a temporary OSM XML file that
   ``osmnx.graph_from_xml`` turns into a ``networkx.MultiDiGraph``; we then add
   ``travel_time`` per edge from a per-road-type speed table.
"""

from __future__ import annotations

import bz2
import logging
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import osmium
from osmium.osm import mutable
from shapely.geometry import MultiPoint, Point, Polygon

from patrolplan.errors import MalformedOSMError, NetworkUnavailableError

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "WALKING_SPEED_KMH",
    "OsmScan",
    "StreetOptions",
    "graph_from_file",
    "graph_from_place",
    "scan_osm",
]

log = logging.getLogger("patrolplan")

#: Riding speed by OSM ``highway`` value, in km/h (a city bicycle, with stops).
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {
    "primary": 15.0,
    "primary_link": 15.0,
    "secondary": 15.0,
    "secondary_link": 15.0,
    "tertiary": 15.0,
    "tertiary_link": 15.0,
    "unclassified": 13.0,
    "residential": 12.0,
    "living_street": 10.0,
    "service": 10.0,
    "cycleway": 16.0,
    "track": 10.0,
    "path": 10.0,
    "road": 12.0,
    # ways where the rider pushes the bicycle
    "footway": 4.5,
    "pedestrian": 4.5,
    "steps": 2.0,
}
#: Speed when pushing the bicycle on foot (against a one-way, on a footway).
WALKING_SPEED_KMH = 4.5

#: Highway values a bicycle may never use.
_FORBIDDEN_HIGHWAYS = frozenset(
    {
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
)
_NO_ACCESS = frozenset({"no", "private"})
_KEEP_WAY_TAGS = ("highway", "name", "oneway", "junction", "service", "access", "ref")


@dataclass(frozen=True)
class StreetOptions:
    """How the bicycle network is built.

    Parameters
    ----------
    speeds_kmh
        Riding speed per ``highway`` value; others ride at ``default_speed_kmh``.
    default_speed_kmh
        Speed for road types missing from ``speeds_kmh``.
    walk_against_oneway
        Let a rider walk the bicycle against a one-way street, at walking speed.
    """

    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    default_speed_kmh: float = 12.0
    walk_against_oneway: bool = False

    def speed_for(self, highway: object) -> float:
        """Speed in km/h for an edge's ``highway`` value (a string or a list)."""
        values = highway if isinstance(highway, list) else [highway]
        speeds = [self.speeds_kmh.get(str(v), self.default_speed_kmh) for v in values]
        return min(speeds) if speeds else self.default_speed_kmh


@dataclass
class OsmScan:
    """What one pass over an OSM file found, besides the street geometry.

    Attributes
    ----------
    way_names_en
        ``name:en`` (or ``name``) of each kept street way, by way id.
    contraflow_ways
        One-way ways that bicycles may ride both ways (``oneway:bicycle=no``).
    oneway_ways
        Ways that stay one-way for bicycles.
    residential
        ``landuse=residential`` (and similar) areas: ``(osm id, tags, polygon, kind)``,
        where ``kind`` is the OSM element type, ``"N"``, ``"W"`` or ``"R"`` (ids are
        only unique within a type).
    gates
        ``entrance=*`` / ``barrier=gate`` nodes: ``(node id, lon, lat, tags)``.
    office
        A node tagged as the community office, if any: ``(node id, lon, lat, tags)``.
    """

    way_names_en: dict[int, str] = field(default_factory=dict)
    way_names: dict[int, str] = field(default_factory=dict)
    contraflow_ways: set[int] = field(default_factory=set)
    oneway_ways: set[int] = field(default_factory=set)
    residential: list[tuple[int, dict[str, str], Polygon, str]] = field(default_factory=list)
    gates: list[tuple[int, float, float, dict[str, str]]] = field(default_factory=list)
    office: tuple[int, float, float, dict[str, str]] | None = None
    n_nodes: int = 0
    n_ways: int = 0


def _rides(tags: Mapping[str, str]) -> bool:
    """Whether a bicycle may use a way with these tags."""
    highway = tags.get("highway")
    if highway is None or highway in _FORBIDDEN_HIGHWAYS or tags.get("area") == "yes":
        return False
    if tags.get("bicycle") in _NO_ACCESS:
        return False
    return not (tags.get("access") in _NO_ACCESS and tags.get("bicycle") not in ("yes", "designated"))


def _bicycle_oneway(tags: Mapping[str, str]) -> str:
    """The ``oneway`` value that holds for bicycles: ``"yes"``, ``"-1"`` or ``"no"``."""
    if tags.get("oneway:bicycle") == "no" or tags.get("cycleway") in ("opposite", "opposite_lane"):
        return "no"
    value = tags.get("oneway", "no")
    if tags.get("junction") == "roundabout" and value == "no":
        value = "yes"
    return value if value in ("yes", "-1", "true", "1") else "no"


_RESIDENTIAL = frozenset({"residential"})


def _is_courtyard_area(tags: Mapping[str, str]) -> bool:
    return tags.get("landuse") in _RESIDENTIAL


def _is_gate(tags: Mapping[str, str]) -> bool:
    return "entrance" in tags or tags.get("barrier") == "gate"


def _is_office(tags: Mapping[str, str]) -> bool:
    return tags.get("amenity") == "community_centre" or tags.get("office") == "government"


def _check_file(path: Path) -> None:
    """Refuse missing, empty and obviously non-OSM files before parsing."""
    if not path.exists():
        msg = f"street file {str(path)!r} does not exist; give the path of an .osm, .osm.bz2, .osm.pbf or .graphml file"
        raise MalformedOSMError(msg, items=[str(path)])
    if path.is_dir():
        msg = f"street file {str(path)!r} is a folder; give a file"
        raise MalformedOSMError(msg, items=[str(path)])
    if path.stat().st_size == 0:
        msg = f"street file {str(path)!r} is empty; export the area again from OpenStreetMap"
        raise MalformedOSMError(msg, items=[str(path)])
    name = path.name.lower()
    if name.endswith(".pbf"):
        return
    if name.endswith(".bz2"):
        try:
            with bz2.open(path, "rb") as fh:
                head = fh.read(512)
        except OSError as exc:
            msg = f"street file {str(path)!r} is not valid bzip2 ({exc}); download it again"
            raise MalformedOSMError(msg, items=[str(path)]) from exc
    else:
        with path.open("rb") as fh:
            head = fh.read(512)
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not (text.startswith((b"<?xml", b"<osm"))):
        msg = (
            f"street file {str(path)!r} is not OpenStreetMap XML (it starts with "
            f"{text[:20]!r}); export it from openstreetmap.org or convert it with osmium"
        )
        raise MalformedOSMError(msg, items=[str(path)])


def scan_osm(path: str | Path, *, keep_xml: Path | None = None) -> OsmScan:
    """Read an OSM file once: bicycle ways to ``keep_xml`` and the district features.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2`` or ``.osm.pbf``.
    keep_xml
        Where to write the bicycle ways (with their nodes) as OSM XML for osmnx.
        ``None`` writes nothing.

    Raises
    ------
    MalformedOSMError
        If the file is missing, empty, not OSM, or cannot be parsed.
    """
    src = Path(path)
    _check_file(src)
    scan = OsmScan()
    locations: dict[int, tuple[float, float]] = {}
    node_tags: dict[int, dict[str, str]] = {}
    kept_ways: list[tuple[int, list[int], dict[str, str]]] = []
    other_way_refs: dict[int, list[int]] = {}
    area_ids: set[int] = set()
    loose: list[tuple[int, dict[str, str], list[int]]] = []
    bad_nodes: list[int] = []
    try:
        processor = osmium.FileProcessor(str(src)).with_locations().with_areas()
        for entity in processor:
            obj: Any = entity  # pyosmium yields a union; each branch checks the kind
            if obj.is_node():
                scan.n_nodes += 1
                if not obj.location.valid():
                    bad_nodes.append(obj.id)
                    continue
                locations[obj.id] = (obj.location.lon, obj.location.lat)
                tags = dict(obj.tags)
                if tags:
                    node_tags[obj.id] = tags
                    if _is_gate(tags):
                        scan.gates.append((obj.id, obj.location.lon, obj.location.lat, tags))
                    if scan.office is None and _is_office(tags):
                        scan.office = (obj.id, obj.location.lon, obj.location.lat, tags)
                    if _is_courtyard_area(tags) and tags.get("name"):
                        # a courtyard mapped as a point: approximate it by a small disc
                        scan.residential.append((obj.id, tags, _point_area(*locations[obj.id]), "N"))
            elif obj.is_way():
                scan.n_ways += 1
                tags = dict(obj.tags)
                refs = [n.ref for n in obj.nodes]
                if _rides(tags):
                    kept_ways.append((obj.id, refs, tags))
                else:
                    other_way_refs[obj.id] = refs
            elif obj.is_relation():
                tags = dict(obj.tags)
                if _is_courtyard_area(tags):
                    members = [m.ref for m in obj.members if m.type == "w" and m.role != "inner"]
                    loose.append((obj.id, tags, members))
            elif obj.is_area():
                tags = dict(obj.tags)
                if _is_courtyard_area(tags):
                    polygon = _area_polygon(obj)
                    if polygon is not None:
                        area_ids.add(obj.id)
                        scan.residential.append((obj.orig_id(), tags, polygon, "W" if obj.from_way() else "R"))
    except (RuntimeError, osmium.InvalidLocationError) as exc:
        msg = f"cannot read street file {str(src)!r}: {exc}; check that it is a complete OSM export"
        raise MalformedOSMError(msg, items=[str(src)]) from exc
    if bad_nodes:
        msg = (
            f"street file {str(src)!r}: {len(bad_nodes)} nodes have bad coordinates (lon must be within ±180, "
            f"lat within ±90): ids {bad_nodes[:10]}; fix them or export the area again"
        )
        raise MalformedOSMError(msg, items=bad_nodes)
    for rel_id, tags, members in loose:
        if 2 * rel_id + 1 in area_ids:
            continue
        # an incomplete multipolygon (members cut off by the export box): hull of what is there
        points = [locations[r] for m in members for r in other_way_refs.get(m, []) if r in locations]
        if len(points) >= 3:
            hull = MultiPoint(points).convex_hull
            if isinstance(hull, Polygon):
                scan.residential.append((rel_id, tags, hull, "R"))
    if not kept_ways:
        msg = (
            f"street file {str(src)!r} has no streets a bicycle may use "
            f"({scan.n_nodes} nodes, {scan.n_ways} ways); export a larger area that includes the streets"
        )
        raise MalformedOSMError(msg, items=[str(src)])
    for way_id, _refs, tags in kept_ways:
        scan.way_names[way_id] = tags.get("name:zh", tags.get("name", ""))
        scan.way_names_en[way_id] = tags.get("name:en", tags.get("name", ""))
        oneway = _bicycle_oneway(tags)
        if oneway != "no":
            scan.oneway_ways.add(way_id)
        elif tags.get("oneway", "no") in ("yes", "-1", "true", "1"):
            scan.contraflow_ways.add(way_id)
    if keep_xml is not None:
        _write_ways(keep_xml, kept_ways, locations, node_tags)
    return scan


def _point_area(lon: float, lat: float, radius_m: float = 25.0) -> Polygon:
    """A disc of ``radius_m`` around a point, in lon/lat (for courtyards mapped as nodes)."""
    dlat = radius_m / 111_320.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    circle = Point(0.0, 0.0).buffer(1.0, quad_segs=8)
    return Polygon([(lon + x * dlon, lat + y * dlat) for x, y in circle.exterior.coords])


def _area_polygon(area: Any) -> Polygon | None:
    """The largest outer ring of an osmium area, as a shapely polygon in lon/lat."""
    best: Polygon | None = None
    for outer in area.outer_rings():
        coords = [(n.lon, n.lat) for n in outer]
        if len(coords) < 4:
            continue
        holes = [[(n.lon, n.lat) for n in inner] for inner in area.inner_rings(outer)]
        poly = Polygon(coords, [h for h in holes if len(h) >= 4])
        if not poly.is_valid:
            poly = poly.buffer(0)
            if not isinstance(poly, Polygon):
                continue
        if best is None or poly.area > best.area:
            best = poly
    return best


def _write_ways(
    target: Path,
    ways: list[tuple[int, list[int], dict[str, str]]],
    locations: Mapping[int, tuple[float, float]],
    node_tags: Mapping[int, Mapping[str, str]],
) -> None:
    """Write the kept ways and their nodes as OSM XML, with bicycle one-way rules applied."""
    needed: set[int] = set()
    for _way_id, refs, _tags in ways:
        needed.update(r for r in refs if r in locations)
    with osmium.SimpleWriter(str(target), overwrite=True) as writer:
        for node_id in sorted(needed):
            writer.add_node(
                mutable.Node(
                    id=node_id,
                    version=1,
                    location=locations[node_id],
                    tags=dict(node_tags.get(node_id, {})),
                )
            )
        for way_id, refs, tags in sorted(ways, key=lambda w: w[0]):
            present = [r for r in refs if r in locations]
            if len(present) < 2:
                continue
            kept = {k: tags[k] for k in _KEEP_WAY_TAGS if k in tags}
            kept["oneway"] = _bicycle_oneway(tags)
            kept.pop("junction", None)
            writer.add_way(mutable.Way(id=way_id, version=1, nodes=present, tags=kept))


def graph_from_file(path: str | Path, *, options: StreetOptions | None = None) -> tuple[nx.MultiDiGraph, OsmScan]:
    """Load the bicycle street graph and district features from a file.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.pbf`` or ``.graphml`` (an osmnx GraphML).
    options
        Speeds and one-way handling.

    Returns
    -------
    tuple
        The graph (nodes carry ``x`` = lon, ``y`` = lat; edges ``length`` in
        metres, ``travel_time`` in seconds, ``name``, ``name_en``,
        ``highway``, ``contraflow``, ``walked``) and the scan of the file.
    """
    import osmnx as ox

    opts = options or StreetOptions()
    src = Path(path)
    if src.name.lower().endswith(".graphml"):
        if not src.exists() or src.stat().st_size == 0:
            msg = f"GraphML file {str(src)!r} is missing or empty"
            raise MalformedOSMError(msg, items=[str(src)])
        try:
            graph = ox.load_graphml(src)
        except Exception as exc:
            msg = f"cannot read GraphML file {str(src)!r}: {exc}; save it again with osmnx.save_graphml"
            raise MalformedOSMError(msg, items=[str(src)]) from exc
        scan = OsmScan()
        _finish_graph(graph, scan, opts)
        return graph, scan
    with tempfile.TemporaryDirectory(prefix="patrolplan-") as tmp:
        xml = Path(tmp) / "bicycle.osm"
        scan = scan_osm(src, keep_xml=xml)
        try:
            graph = ox.graph_from_xml(xml, simplify=False, retain_all=True, bidirectional=False)
        except Exception as exc:
            msg = f"osmnx cannot build a street graph from {str(src)!r}: {exc}"
            raise MalformedOSMError(msg, items=[str(src)]) from exc
    if graph.number_of_edges() == 0:
        msg = f"street file {str(src)!r} gives no street segments; export a larger area"
        raise MalformedOSMError(msg, items=[str(src)])
    _finish_graph(graph, scan, opts)
    return graph, scan


def _finish_graph(graph: nx.MultiDiGraph, scan: OsmScan, opts: StreetOptions) -> None:
    """Add bicycle attributes to every edge, and walked edges against one-ways."""
    for _u, _v, data in graph.edges(data=True):
        osmid = data.get("osmid")
        way = osmid[0] if isinstance(osmid, list) else osmid
        # a GraphML saved from a patrolplan graph keeps its flags (as strings) and English names
        is_walked = data.get("walked") in (True, "True")
        data["contraflow"] = bool(way in scan.contraflow_ways) or data.get("contraflow") in (True, "True")
        data.setdefault("name", scan.way_names.get(way, "") if way is not None else "")
        data["name_en"] = scan.way_names_en.get(way) or str(data.get("name_en") or "")
        data["walked"] = is_walked
        speed = WALKING_SPEED_KMH if is_walked else opts.speed_for(data.get("highway", ""))
        data["travel_time"] = float(data["length"]) / (speed / 3.6)
    if opts.walk_against_oneway:
        walked: list[tuple[Any, Any, dict[str, Any]]] = []
        for u, v, data in graph.edges(data=True):
            if not graph.has_edge(v, u):
                back = dict(data)
                back.update(
                    walked=True,
                    reversed=True,
                    travel_time=float(data["length"]) / (WALKING_SPEED_KMH / 3.6),
                )
                walked.append((v, u, back))
        for v, u, back in walked:
            graph.add_edge(v, u, **back)


def graph_from_place(place: str, *, options: StreetOptions | None = None, timeout: float = 20.0) -> nx.MultiDiGraph:
    """Download the bicycle graph of a named place with osmnx (needs the internet).

    Fails fast with :class:`NetworkUnavailableError` when OpenStreetMap cannot
    be reached, instead of hanging: the connection is probed first with a short
    timeout, and osmnx's own requests use ``timeout`` seconds.
    """
    import socket

    import osmnx as ox

    host = "nominatim.openstreetmap.org"
    try:
        socket.create_connection((host, 443), timeout=min(timeout, 3.0)).close()
    except OSError as exc:
        msg = (
            f"cannot reach OpenStreetMap ({host}) to download {place!r}: {exc}; "
            "work offline with district_from_file() and an exported .osm/.pbf file"
        )
        raise NetworkUnavailableError(msg, items=[place]) from exc
    old_timeout = ox.settings.requests_timeout
    try:
        ox.settings.requests_timeout = timeout
        graph = ox.graph_from_place(place, network_type="bike", simplify=False, retain_all=False)
    except Exception as exc:
        msg = f"downloading {place!r} from OpenStreetMap failed: {exc}"
        raise NetworkUnavailableError(msg, items=[place]) from exc
    finally:
        ox.settings.requests_timeout = old_timeout
    _finish_graph(graph, OsmScan(), options or StreetOptions())
    return graph


def edge_speed_check(graph: nx.MultiDiGraph) -> bool:
    """True when every edge has a finite, positive travel time (used by validation)."""
    return all(
        (math.isfinite(d["travel_time"]) and d["travel_time"] > 0) or d["length"] == 0
        for _u, _v, d in graph.edges(data=True)
    )
