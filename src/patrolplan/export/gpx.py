"""GPX tracks: one ``<date>_<rider>.gpx`` per rider per duty day, for a phone to follow.

Each file has one track with a segment per route (shift) along the street
path, and a waypoint at each courtyard gate the rider stops at, named after
the courtyard, with the arrival time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gpxpy.gpx

from patrolplan.export._atomic import write_text_atomic
from patrolplan.export._common import Lang, courtyard_label, hhmm, label, shift_label

__all__ = ["build_gpx", "gpx_name", "rider_days", "write_gpx"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_OURS = re.compile(r"^\d{4}-\d{2}-\d{2}_[A-Za-z0-9_.-]+\.gpx$")


def gpx_name(date: str, rider: str) -> str:
    """``"2026-12-01_P01.gpx"`` (characters unsafe in file names become ``-``)."""
    return f"{date}_{_UNSAFE.sub('-', str(rider))}.gpx"


def rider_days(doc: Mapping[str, Any]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Routes grouped by (date, rider), in plan order."""
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for route in doc.get("routes", []):
        out.setdefault((str(route["date"]), str(route["rider"])), []).append(route)
    return out


def build_gpx(doc: Mapping[str, Any], routes: Sequence[Mapping[str, Any]], *, lang: Lang = "zh") -> gpxpy.gpx.GPX:
    """A GPX document for one rider's routes of one day."""
    first = routes[0]
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "patrolplan"
    gpx.name = f"{first['rider_name']} {first['date']}"
    gpx.description = f"{doc.get('community', '')} {doc['week']}"
    track = gpxpy.gpx.GPXTrack(name=gpx.name)
    gpx.tracks.append(track)
    for route in routes:
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points.extend(
            gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lon, lat in route["geometry"]["coordinates"]
        )
        track.segments.append(segment)
        for order, stop in enumerate(route["stops"], start=1):
            name = courtyard_label(doc, stop["courtyard"], lang)
            gpx.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    latitude=stop["lat"],
                    longitude=stop["lon"],
                    time=dt.datetime.fromisoformat(stop["arrive"]),
                    name=f"{order}. {name}",
                    description=(
                        f"{shift_label(str(route['shift']), lang)} {hhmm(stop['arrive'])}–{hhmm(stop['depart'])}, "
                        f"{label('gate', lang)} {stop['gate']}, {label('purpose_' + str(stop['purpose']), lang)}"
                    ),
                    symbol="Flag",
                    type=str(stop["purpose"]),
                )
            )
    office = doc.get("office")
    if office:
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=office["lat"], longitude=office["lon"], name=label("office", lang), symbol="Building"
            )
        )
    return gpx


def write_gpx(doc: Mapping[str, Any], folder: str | Path, *, lang: Lang = "zh", prune: bool = True) -> list[Path]:
    """Write one ``<date>_<rider>.gpx`` per rider per duty day.

    Parameters
    ----------
    doc
        The ``plan.json`` dict.
    folder
        Where to write the files.
    lang
        Which language comes first in names.
    prune
        Remove ``<date>_<rider>.gpx`` files of this week's duty days that
        this plan no longer has (a re-planned rider's old track).

    Returns
    -------
    list of Path
        The files written, by date then rider.
    """
    out = Path(folder)
    written = [
        write_text_atomic(out / gpx_name(date, rider), build_gpx(doc, routes, lang=lang).to_xml(version="1.1"))
        for (date, rider), routes in sorted(rider_days(doc).items())
    ]
    if prune and out.is_dir():
        days = tuple(f"{d}_" for d in doc.get("duty_days", []))
        for old in out.iterdir():
            if _OURS.match(old.name) and old.name.startswith(days) and old not in written:
                old.unlink(missing_ok=True)
    return written
