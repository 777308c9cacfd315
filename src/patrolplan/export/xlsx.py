"""``roster.xlsx``: a printable workbook, a summary sheet plus one sheet per duty day, zh and en labels."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from patrolplan.export._atomic import write_bytes_atomic
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
    role_label,
    roster_on,
    routes_on,
    shift_label,
    window_label,
)

__all__ = ["DAY_COLUMNS", "build_workbook", "display_width", "write_xlsx"]

#: Columns of a duty-day sheet (label keys).
DAY_COLUMNS: tuple[str, ...] = (
    "name",
    "role",
    "shift",
    "order",
    "courtyard",
    "gate",
    "arrive",
    "depart",
    "purpose",
    "distance",
    "duration",
)

_TITLE = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_ROUTE_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_MIN_WIDTH, _MAX_WIDTH = 6, 40


def display_width(text: object) -> int:
    """Columns a text takes on screen: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def _sheet_title(text: str) -> str:
    """A valid, at most 31-character sheet title."""
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in text)
    return cleaned[:31]


def _append(ws: Any, values: Sequence[object], *, font: Font | None = None, fill: PatternFill | None = None) -> int:
    ws.append(list(values))
    row = int(ws.max_row)
    for col in range(1, len(values) + 1):
        cell = ws.cell(row=row, column=col)
        cell.alignment = Alignment(vertical="top", wrap_text=False)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
    return row


def _header(ws: Any, keys: Sequence[str], lang: Lang) -> int:
    row = _append(ws, [label(k, lang) for k in keys], font=_BOLD, fill=_HEAD_FILL)
    for col in range(1, len(keys) + 1):
        ws.cell(row=row, column=col).border = _BOX
    return row


def _fit_columns(ws: Any, *, skip_rows: int = 1) -> None:
    """Set each column's width from its longest cell (title rows excluded); wrap longer cells."""
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=skip_rows + 1):
        for cell in row:
            if cell.value is None:
                continue
            width = display_width(cell.value)
            widths[cell.column] = max(widths.get(cell.column, 0), width)
            if width > _MAX_WIDTH:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(_MAX_WIDTH, max(_MIN_WIDTH, width + 2))


def _print_setup(ws: Any, title_rows: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N"
    ws.oddHeader.right.text = "&A"


def _title(doc: Mapping[str, Any], lang: Lang) -> str:
    community = bi(str(doc.get("community", "")), str(doc.get("community_en", "")), lang)
    return f"{community} · {label('roster', lang)} · {doc['week']}"


def _summary_sheet(ws: Any, doc: Mapping[str, Any], lang: Lang) -> None:
    ws.title = _sheet_title(label("summary", lang))
    _append(ws, [_title(doc, lang)], font=_TITLE)
    totals = doc.get("totals", {})
    _append(ws, [label("coverage", lang), f"{float(totals.get('coverage', 0)):.0%}"])
    _append(ws, [label("fifteen", lang), f"{float(totals.get('fifteen_minute_share', 0)):.0%}"])
    _append(ws, [label("total_distance", lang), km(totals.get("distance_m", 0))])
    _append(ws, [label("longest", lang), km(totals.get("longest_route_m", 0))])
    _append(ws, [])
    first = _header(ws, ["date", "desk_at", "specialists", "patrol", "routes", "distance", "duration"], lang)
    for date in doc.get("duty_days", []):
        routes = routes_on(doc, date)
        _append(
            ws,
            [
                day_label(date, lang),
                ", ".join(courtyard_label(doc, d["courtyard"], lang) for d in desks_on(doc, date)) or "-",
                ", ".join(e["name"] for e in roster_on(doc, date, "specialist")),
                ", ".join(e["name"] for e in roster_on(doc, date, "patrol")),
                len(routes),
                km(sum(r["distance_m"] for r in routes)),
                hours(sum(r["duration_s"] for r in routes)),
            ],
        )
    _append(ws, [])
    _append(ws, [label("dropped", lang)], font=_BOLD)
    _header(ws, ["courtyard", "date", "reason"], lang)
    for item in doc.get("dropped", []):
        _append(ws, [courtyard_label(doc, item["courtyard"], lang), item.get("date") or "", item["reason"]])
    if not doc.get("dropped"):
        _append(ws, [label("nothing", lang)])
    if doc.get("broken_rules"):
        _append(ws, [])
        _append(ws, [label("soft_rules", lang)], font=_BOLD)
        for rule in doc["broken_rules"]:
            _append(ws, [rule["rule"], rule["detail"]])
    _fit_columns(ws)
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    _print_setup(ws, f"{first}:{first}")


def _desk_rows(ws: Any, doc: Mapping[str, Any], date: str, lang: Lang) -> None:
    for desk in desks_on(doc, date):
        _append(ws, [label("desk", lang), "", "", "", courtyard_label(doc, desk["courtyard"], lang)], font=_BOLD)
        for entry in roster_on(doc, date, "specialist"):
            if entry["staff"] in desk["staff"] or entry.get("desk") == desk["courtyard"]:
                windows = ", ".join(window_label(w, lang) for w in entry.get("windows", []))
                _append(ws, [entry["name"], role_label("specialist", lang), entry.get("shift", ""), "", windows])


def _route_rows(ws: Any, doc: Mapping[str, Any], route: Mapping[str, Any], lang: Lang) -> None:
    _append(
        ws,
        [
            route["rider_name"],
            role_label("patrol", lang),
            shift_label(str(route["shift"]), lang),
            "",
            f"{label('office', lang)} → {len(route['stops'])} {label('stops', lang)}",
            "",
            hhmm(route["start"]),
            hhmm(route["end"]),
            "",
            km(route["distance_m"]),
            hours(route["duration_s"]),
        ],
        font=_BOLD,
        fill=_ROUTE_FILL,
    )
    for i, stop in enumerate(route["stops"], start=1):
        _append(
            ws,
            [
                "",
                "",
                "",
                i,
                courtyard_label(doc, stop["courtyard"], lang),
                stop["gate"],
                hhmm(stop["arrive"]),
                hhmm(stop["depart"]),
                label(f"purpose_{stop['purpose']}", lang),
                "",
                "",
            ],
        )


def _day_sheet(ws: Any, doc: Mapping[str, Any], date: str, lang: Lang) -> None:
    ws.title = _sheet_title(day_label(date, lang))
    _append(ws, [f"{_title(doc, lang)} · {day_label(date, lang)}"], font=_TITLE)
    _desk_rows(ws, doc, date, lang)
    _append(ws, [])
    first = _header(ws, DAY_COLUMNS, lang)
    for route in routes_on(doc, date):
        _route_rows(ws, doc, route, lang)
    _fit_columns(ws)
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    _print_setup(ws, f"{first}:{first}")


def build_workbook(doc: Mapping[str, Any], *, lang: Lang = "zh") -> Any:
    """The roster workbook (an ``openpyxl.Workbook``): summary sheet first, then one per duty day."""
    wb = Workbook()
    _summary_sheet(wb.active, doc, lang)
    for date in doc.get("duty_days", []):
        _day_sheet(wb.create_sheet(), doc, date, lang)
    wb.properties.title = _title(doc, lang)
    wb.properties.creator = "patrolplan"
    return wb


def write_xlsx(doc: Mapping[str, Any], path: str | Path, *, lang: Lang = "zh") -> Path:
    """Write ``roster.xlsx``.

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
    buffer = io.BytesIO()
    build_workbook(doc, lang=lang).save(buffer)
    return write_bytes_atomic(path, buffer.getvalue())
