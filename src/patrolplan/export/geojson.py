"""``routes.geojson``: routes as LineStrings and their stops as Points, with properties (plus the office)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from patrolplan.export._atomic import write_text_atomic
from patrolplan.export._common import courtyards_by_id, route_colour

__all__ = ["routes_geojson", "write_geojson"]


def _route_feature(route: Mapping[str, Any], index: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in route["geometry"]["coordinates"]]},
        "properties": {
            "kind": "route",
            "route": index,
            "date": route["date"],
            "rider": route["rider"],
            "rider_name": route["rider_name"],
            "slot": route["slot"],
            "shift": route["shift"],
            "start": route["start"],
            "end": route["end"],
            "stops": len(route["stops"]),
            "distance_m": route["distance_m"],
            "duration_s": route["duration_s"],
            "stroke": route_colour(index),
        },
    }


def _stop_features(
    route: Mapping[str, Any], index: int, yards: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for order, stop in enumerate(route["stops"], start=1):
        yard = yards.get(str(stop["courtyard"]), {})
        out.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [stop["lon"], stop["lat"]]},
                "properties": {
                    "kind": "stop",
                    "route": index,
                    "order": order,
                    "date": route["date"],
                    "rider": route["rider"],
                    "rider_name": route["rider_name"],
                    "courtyard": stop["courtyard"],
                    "name": yard.get("name", ""),
                    "name_en": yard.get("name_en", ""),
                    "gate": stop["gate"],
                    "arrive": stop["arrive"],
                    "depart": stop["depart"],
                    "purpose": stop["purpose"],
                    "marker-color": route_colour(index),
                },
            }
        )
    return out


def routes_geojson(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The routes, stops and office as a GeoJSON FeatureCollection (lon/lat, WGS 84)."""
    yards = courtyards_by_id(doc)
    features: list[dict[str, Any]] = []
    for index, route in enumerate(doc.get("routes", [])):
        features.append(_route_feature(route, index))
        features.extend(_stop_features(route, index, yards))
    office = doc.get("office")
    if office:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [office["lon"], office["lat"]]},
                "properties": {"kind": "office", "name": office.get("name", ""), "node": office.get("node")},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": f"{doc.get('community_en') or doc.get('community', '')} {doc['week']}".strip(),
        "features": features,
    }


def write_geojson(doc: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``routes.geojson``.

    Parameters
    ----------
    doc
        The ``plan.json`` dict.
    path
        The file to write.

    Returns
    -------
    Path
        The file written.
    """
    return write_text_atomic(path, json.dumps(routes_geojson(doc), ensure_ascii=False, indent=1) + "\n")
