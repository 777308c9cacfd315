"""``week.ics``: one calendar event per person per duty, with the place and the route summary.

Times are floating local times, as in ``plan.json``. UIDs are stable (week,
date, staff id, role and community), so importing a re-planned week updates
the events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from icalendar import Calendar, Event

from patrolplan.export._atomic import write_bytes_atomic
from patrolplan.export._common import (
    Lang,
    bi,
    courtyard_label,
    courtyards_by_id,
    km,
    label,
    role_label,
    route_line,
    routes_on,
    window_label,
)

__all__ = ["build_calendar", "duty_times", "event_uid", "write_ics"]

_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")


def event_uid(doc: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    """A stable UID for one roster entry."""
    community = hashlib.sha1(str(doc.get("community", "")).encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
    return f"{doc['week']}-{entry['date']}-{entry['staff']}-{entry['role']}-{community}@patrolplan"


def duty_times(doc: Mapping[str, Any], entry: Mapping[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a duty: its named shift, else the times in its shift text, else all the shifts."""
    day = dt.date.fromisoformat(entry["date"])
    shifts = {s["name"]: (s["start"], s["end"]) for s in doc.get("shifts", [])}
    text = str(entry.get("shift") or "")
    if text in shifts:
        times = list(shifts[text])
    else:
        times = [f"{h}:{m}" for h, m in _TIME.findall(text)] or [t for s in shifts.values() for t in s]
    parsed = sorted(dt.time.fromisoformat(t.zfill(5)) for t in times) or [dt.time(9), dt.time(17)]
    return dt.datetime.combine(day, parsed[0]), dt.datetime.combine(day, parsed[-1])


def _patrol_text(doc: Mapping[str, Any], entry: Mapping[str, Any], lang: Lang) -> tuple[str, list[str]]:
    routes = [r for r in routes_on(doc, entry["date"]) if r["rider"] == entry["staff"]]
    distance = km(sum(r["distance_m"] for r in routes))
    lines = [f"{label('route', lang)}: {route_line(doc, r, lang)}" for r in routes]
    desks = [courtyard_label(doc, d["courtyard"], lang) for d in doc.get("desks", []) if d["date"] == entry["date"]]
    if desks:
        lines.append(f"{label('desk', lang)}: {', '.join(desks)}")
    return f"{len(routes)} × {label('route', lang)}, {distance:.1f} km", lines


def _specialist_text(doc: Mapping[str, Any], entry: Mapping[str, Any], lang: Lang) -> list[str]:
    windows = ", ".join(window_label(w, lang) for w in entry.get("windows", []))
    others = [
        e["name"]
        for e in doc.get("roster", [])
        if e["date"] == entry["date"] and e["role"] == "specialist" and e["staff"] != entry["staff"]
    ]
    return [
        f"{label('desk', lang)}: {courtyard_label(doc, entry.get('desk'), lang)}",
        f"{label('windows', lang)}: {windows or '-'}",
        f"{label('specialists', lang)}: {', '.join(others) or '-'}",
    ]


def _event(doc: Mapping[str, Any], entry: Mapping[str, Any], lang: Lang, stamp: dt.datetime) -> Event:
    start, end = duty_times(doc, entry)
    community = bi(str(doc.get("community", "")), str(doc.get("community_en", "")), lang)
    event = Event()
    event.add("uid", event_uid(doc, entry))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("categories", [str(entry["role"])])
    office = doc.get("office", {})
    if entry["role"] == "specialist" and entry.get("desk"):
        yard = courtyards_by_id(doc).get(str(entry["desk"]), {})
        location = courtyard_label(doc, entry["desk"], lang)
        where = (yard.get("lat"), yard.get("lon"))
        headline = f"{label('desk', lang)} {location}"
        lines = _specialist_text(doc, entry, lang)
    else:
        location = f"{label('patrol_from_office', lang)} ({office.get('name', '')})"
        where = (office.get("lat"), office.get("lon"))
        headline, lines = _patrol_text(doc, entry, lang)
    event.add("summary", f"{entry['name']} · {role_label(str(entry['role']), lang)} · {headline}")
    event.add("location", location)
    if where[0] is not None and where[1] is not None:
        event.add("geo", (float(where[0]), float(where[1])))
    event.add("description", "\n".join([f"{community} {doc['week']}", *lines]))
    return event


def build_calendar(doc: Mapping[str, Any], *, lang: Lang = "zh", stamp: dt.datetime | None = None) -> Calendar:
    """The week's calendar: one ``VEVENT`` per roster entry."""
    cal = Calendar()
    cal.add("prodid", "-//patrolplan//week roster//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add(
        "x-wr-calname", f"{bi(str(doc.get('community', '')), str(doc.get('community_en', '')), lang)} {doc['week']}"
    )
    now = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    for entry in doc.get("roster", []):
        cal.add_component(_event(doc, entry, lang, now))
    return cal


def write_ics(doc: Mapping[str, Any], path: str | Path, *, lang: Lang = "zh") -> Path:
    """Write ``week.ics``.

    Parameters
    ----------
    doc
        The ``plan.json`` dict.
    path
        The file to write.
    lang
        Which language comes first in labels.

    Returns
    -------
    Path
        The file written.
    """
    return write_bytes_atomic(path, build_calendar(doc, lang=lang).to_ical())
