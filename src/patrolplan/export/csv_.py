"""``roster.csv``: one row per person per duty day, UTF-8 with a byte-order mark so Excel shows Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from patrolplan.export._atomic import write_text_atomic
from patrolplan.export._common import (
    Lang,
    courtyard_label,
    day_label,
    hours,
    km,
    label,
    role_label,
    route_line,
    window_label,
)

__all__ = ["COLUMNS", "roster_rows", "write_csv"]

#: Column keys (labels in :data:`patrolplan.export._common.LABELS`), in order.
COLUMNS: tuple[str, ...] = (
    "date",
    "day",
    "staff",
    "name",
    "role",
    "shift",
    "desk",
    "windows",
    "stops",
    "distance",
    "duration",
    "route",
)


def roster_rows(doc: Mapping[str, Any], lang: Lang) -> list[list[str]]:
    """The roster as rows of text, header row first.

    Patrol officers get their stop count, kilometres, riding hours and a
    route line per shift; specialists their desk courtyard and windows.
    """
    rows = [[label(key, lang) for key in COLUMNS]]
    for entry in doc.get("roster", []):
        routes = [r for r in doc.get("routes", []) if r["date"] == entry["date"] and r["rider"] == entry["staff"]]
        is_patrol = entry["role"] == "patrol"
        rows.append(
            [
                str(entry["date"]),
                day_label(entry["date"], lang).rsplit(" ", 1)[0],
                str(entry["staff"]),
                str(entry["name"]),
                role_label(str(entry["role"]), lang),
                str(entry.get("shift") or ""),
                courtyard_label(doc, entry.get("desk"), lang),
                "; ".join(window_label(str(w), lang) for w in entry.get("windows", [])),
                str(sum(len(r["stops"]) for r in routes)) if is_patrol else "",
                f"{km(sum(r['distance_m'] for r in routes)):.1f}" if is_patrol else "",
                f"{hours(sum(r['duration_s'] for r in routes)):.2f}" if is_patrol else "",
                " | ".join(route_line(doc, r, lang) for r in routes),
            ]
        )
    return rows


def write_csv(doc: Mapping[str, Any], path: str | Path, *, lang: Lang = "zh") -> Path:
    """Write ``roster.csv``.

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
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(roster_rows(doc, lang))
    return write_text_atomic(path, buffer.getvalue(), encoding="utf-8-sig")
