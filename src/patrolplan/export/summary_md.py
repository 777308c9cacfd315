"""``summary.md``: the week in Markdown: totals, each duty day's desk and patrols, what was left out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from patrolplan.export._atomic import write_text_atomic
from patrolplan.export._common import (
    Lang,
    bi,
    courtyard_label,
    day_label,
    desks_on,
    hhmm,
    hours,
    km,
    label,
    roster_on,
    routes_on,
    shift_label,
    stop_names,
    window_label,
)

__all__ = ["summary_markdown", "write_summary"]


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _totals(doc: Mapping[str, Any], lang: Lang) -> list[str]:
    totals = doc.get("totals", {})
    return [
        f"- {label('coverage', lang)}: {float(totals.get('coverage', 0)):.0%}",
        f"- {label('fifteen', lang)}: {float(totals.get('fifteen_minute_share', 0)):.0%}",
        f"- {label('total_distance', lang)}: {km(totals.get('distance_m', 0)):.1f}",
        f"- {label('longest', lang)}: {km(totals.get('longest_route_m', 0)):.1f}",
        f"- {label('routes', lang)}: {totals.get('routes', len(doc.get('routes', [])))}",
    ]


def _day(doc: Mapping[str, Any], date: str, lang: Lang) -> list[str]:
    lines = [f"## {day_label(date, lang)}", ""]
    for desk in desks_on(doc, date):
        people = ", ".join(e["name"] for e in roster_on(doc, date, "specialist") if e["staff"] in desk["staff"])
        windows = ", ".join(window_label(w, lang) for w in desk.get("windows", []))
        lines.append(f"**{label('desk', lang)}**: {courtyard_label(doc, desk['courtyard'], lang)}")
        lines.append(f"({label('specialists', lang)}: {people or '-'}; {label('windows', lang)}: {windows or '-'})")
        lines.append("")
    header = ["name", "shift", "start", "end", "stops", "distance", "duration"]
    lines.append("| " + " | ".join(label(k, lang) for k in header) + " | " + label("route", lang) + " |")
    lines.append("|" + "---|" * (len(header) + 1))
    for route in routes_on(doc, date):
        cells = [
            str(route["rider_name"]),
            shift_label(str(route["shift"]), lang),
            hhmm(route["start"]),
            hhmm(route["end"]),
            str(len(route["stops"])),
            f"{km(route['distance_m']):.1f}",
            f"{hours(route['duration_s']):.2f}",
            " → ".join(stop_names(doc, route["stops"], lang)),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    return lines


def _dropped(doc: Mapping[str, Any], lang: Lang) -> list[str]:
    lines = [f"## {label('dropped', lang)}", ""]
    dropped = doc.get("dropped", [])
    if not dropped:
        return [*lines, f"- {label('nothing', lang)}", ""]
    for item in dropped:
        when = f" ({item['date']})" if item.get("date") else ""
        lines.append(f"- {courtyard_label(doc, item['courtyard'], lang)}{when}: {item['reason']}")
    return [*lines, ""]


def _broken(doc: Mapping[str, Any], lang: Lang) -> list[str]:
    broken = doc.get("broken_rules", [])
    if not broken:
        return []
    lines = [f"## {label('soft_rules', lang)}", ""]
    lines.extend(f"- `{b['rule']}`: {b['detail']}" for b in broken)
    return [*lines, ""]


def summary_markdown(doc: Mapping[str, Any], *, lang: Lang = "zh") -> str:
    """The week's summary as Markdown text."""
    title = bi(str(doc.get("community", "")), str(doc.get("community_en", "")), lang)
    lines = [f"# {title}: {label('roster', lang)} {doc['week']}", "", *_totals(doc, lang), ""]
    for date in doc.get("duty_days", []):
        lines.extend(_day(doc, date, lang))
    lines.extend(_dropped(doc, lang))
    lines.extend(_broken(doc, lang))
    return "\n".join(lines).rstrip() + "\n"


def write_summary(doc: Mapping[str, Any], path: str | Path, *, lang: Lang = "zh") -> Path:
    """Write ``summary.md``.

    Parameters
    ----------
    doc
        The ``plan.json`` dict.
    path
        The file to write.
    lang
        Which language comes first.

    Returns
    -------
    Path
        The file written.
    """
    return write_text_atomic(path, summary_markdown(doc, lang=lang))
