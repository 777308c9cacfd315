"""Shared helpers of the exports: bilingual labels and read-only views of the ``plan.json`` dict.

Every writer takes the ``plan.json`` dict (``Plan.to_json()``, or a plan read
back from the history), so these helpers only read plain mappings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from patrolplan.errors import InvalidInputError

__all__ = [
    "LABELS",
    "ROUTE_COLOURS",
    "Lang",
    "as_doc",
    "bi",
    "check_lang",
    "courtyard_label",
    "courtyard_short",
    "courtyards_by_id",
    "day_label",
    "desks_on",
    "first_visit_day",
    "hhmm",
    "hours",
    "km",
    "label",
    "role_label",
    "roster_on",
    "route_colour",
    "route_line",
    "routes_on",
    "shift_label",
    "stop_names",
    "weekday_short",
    "window_label",
]

Lang = Literal["zh", "en"]

#: One colour per route (rider and shift), in plan order; ``patrolplan.plot`` uses it too.
ROUTE_COLOURS: tuple[str, ...] = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#800000",
    "#469990",
    "#000075",
    "#808000",
)

#: Label key -> (Chinese, English).
LABELS: dict[str, tuple[str, str]] = {
    "arrive": ("到達", "Arrive"),
    "community": ("社區", "Community"),
    "courtyard": ("小區", "Courtyard"),
    "courtyard_en": ("小區(英文)", "Courtyard (English)"),
    "coverage": ("覆蓋率", "Coverage"),
    "date": ("日期", "Date"),
    "day": ("星期", "Day"),
    "depart": ("離開", "Depart"),
    "desk": ("服務台", "Service desk"),
    "desk_backup": ("服務台", "desk"),
    "desk_at": ("服務台地點", "Desk at"),
    "distance": ("里程(公里)", "Distance (km)"),
    "dropped": ("未安排", "Left out"),
    "duration": ("時長(小時)", "Hours"),
    "end": ("結束", "End"),
    "fifteen": ("15分鐘覆蓋", "15-minute share"),
    "gate": ("門", "Gate"),
    "hours": ("小時", "Hours"),
    "legend": ("圖例", "Legend"),
    "longest": ("最長路線(公里)", "Longest route (km)"),
    "name": ("姓名", "Name"),
    "nothing": ("無", "nothing"),
    "office": ("社區辦公室", "Community office"),
    "order": ("序號", "No."),
    "patrol": ("騎巡組", "Cycling patrol"),
    "patrol_from_office": ("從社區辦公室出發巡邏", "Patrol from the community office"),
    "purpose": ("用途", "Purpose"),
    "purpose_desk": ("支援服務台", "back up the desk"),
    "purpose_patrol": ("巡邏", "patrol"),
    "reason": ("原因", "Reason"),
    "role": ("職責", "Role"),
    "roster": ("值班表", "Duty roster"),
    "route": ("路線", "Route"),
    "routes": ("路線數", "Routes"),
    "rule": ("規則", "Rule"),
    "shift": ("班次", "Shift"),
    "soft_rules": ("未滿足的軟規則", "Soft rules broken"),
    "specialists": ("專干", "Specialists"),
    "staff": ("工號", "Staff id"),
    "start": ("開始", "Start"),
    "stops": ("站點", "Stops"),
    "summary": ("匯總", "Summary"),
    "total_distance": ("總里程(公里)", "Total distance (km)"),
    "visit_day": ("巡邏日", "Visit day"),
    "week": ("週次", "Week"),
    "windows": ("服務窗口", "Service windows"),
}

_ROLES: dict[str, tuple[str, str]] = {
    "patrol": ("綜治員", "Patrol officer"),
    "specialist": ("專干", "Specialist"),
}

_WINDOWS: dict[str, tuple[str, str]] = {
    "party_government": ("黨政服務", "Party & government"),
    "civil_affairs": ("民政服務", "Civil affairs"),
    "employment": ("就業服務", "Employment"),
    "medical_insurance": ("醫保服務", "Medical insurance"),
    "family_planning": ("計劃生育服務", "Family planning"),
    "governance_stability": ("綜治維穩", "Governance & stability"),
    "city_management": ("城市管理", "City management"),
}

_SHIFTS: dict[str, tuple[str, str]] = {"morning": ("上午", "morning"), "afternoon": ("下午", "afternoon")}

_WEEKDAYS: tuple[tuple[str, str], ...] = (
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
)


def check_lang(lang: str) -> Lang:
    """Validate a language code.

    Raises
    ------
    InvalidInputError
        If ``lang`` is not ``"zh"`` or ``"en"``.
    """
    if lang == "zh":
        return "zh"
    if lang == "en":
        return "en"
    msg = f"unknown language {lang!r}; use zh or en"
    raise InvalidInputError(msg, items=[lang])


def bi(zh: str, en: str, lang: Lang, sep: str = " ") -> str:
    """Both languages, the chosen one first; one of them alone when the other is empty or the same."""
    if not en or en == zh:
        return zh
    if not zh:
        return en
    return f"{zh}{sep}{en}" if lang == "zh" else f"{en}{sep}{zh}"


def label(key: str, lang: Lang) -> str:
    """A bilingual label from :data:`LABELS`, e.g. ``"日期 Date"``."""
    zh, en = LABELS[key]
    return bi(zh, en, lang)


def role_label(role: str, lang: Lang) -> str:
    """``"patrol"`` -> ``"綜治員 Patrol officer"``."""
    zh, en = _ROLES.get(role, (role, role))
    return bi(zh, en, lang)


def window_label(window: str, lang: Lang) -> str:
    """A service-window key -> ``"就業服務 Employment"``."""
    zh, en = _WINDOWS.get(window, (window, window.replace("_", " ")))
    return bi(zh, en, lang)


def shift_label(shift: str, lang: Lang) -> str:
    """A shift name -> ``"上午 morning"`` (unknown names as they are)."""
    zh, en = _SHIFTS.get(shift, (shift, shift))
    return bi(zh, en, lang)


def day_label(date: str | dt.date, lang: Lang) -> str:
    """An ISO date -> ``"周二 Tue 2026-12-01"``."""
    day = dt.date.fromisoformat(date) if isinstance(date, str) else date
    zh, en = _WEEKDAYS[day.weekday()]
    return f"{bi(zh, en, lang)} {day.isoformat()}"


def weekday_short(date: str | dt.date, lang: Lang) -> str:
    """An ISO date -> ``"周二 Tue"``."""
    day = dt.date.fromisoformat(date) if isinstance(date, str) else date
    zh, en = _WEEKDAYS[day.weekday()]
    return bi(zh, en, lang)


def hhmm(iso: str) -> str:
    """``"2026-12-01T09:05:00"`` -> ``"09:05"``."""
    return dt.datetime.fromisoformat(iso).strftime("%H:%M")


def km(metres: float) -> float:
    """Metres -> kilometres, one decimal."""
    return round(metres / 1000.0, 1)


def hours(seconds: float) -> float:
    """Seconds -> hours, two decimals."""
    return round(seconds / 3600.0, 2)


def as_doc(plan_or_doc: Any) -> Mapping[str, Any]:
    """The ``plan.json`` dict of a :class:`~patrolplan.Plan`, or the mapping itself.

    Raises
    ------
    InvalidInputError
        If it is neither a plan nor a ``plan.json`` mapping.
    """
    to_json = getattr(plan_or_doc, "to_json", None)
    doc = to_json() if callable(to_json) else plan_or_doc
    if not isinstance(doc, Mapping) or "week" not in doc or "routes" not in doc:
        msg = "expected a Plan or a plan.json dict (with 'week' and 'routes')"
        raise InvalidInputError(msg)
    return doc


def courtyards_by_id(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The doc's courtyards keyed by id."""
    return {str(y["id"]): y for y in doc.get("courtyards", [])}


def courtyard_label(doc: Mapping[str, Any], yard_id: str | None, lang: Lang) -> str:
    """``"C17"`` -> ``"迎春小區 Yingchun Courtyard"`` (the id itself if unknown)."""
    if not yard_id:
        return ""
    yard = courtyards_by_id(doc).get(str(yard_id))
    if yard is None:
        return str(yard_id)
    return bi(str(yard.get("name") or ""), str(yard.get("name_en") or ""), lang) or str(yard_id)


def courtyard_short(doc: Mapping[str, Any], yard_id: str | None, lang: Lang) -> str:
    """A courtyard's name in one language (``lang``'s, else the other), for compact lists."""
    yard = courtyards_by_id(doc).get(str(yard_id)) if yard_id else None
    if yard is None:
        return str(yard_id or "")
    zh, en = str(yard.get("name") or ""), str(yard.get("name_en") or "")
    return (zh or en if lang == "zh" else en or zh) or str(yard_id)


def routes_on(doc: Mapping[str, Any], date: str) -> list[Mapping[str, Any]]:
    """The routes of one duty date, by rider then slot."""
    return [r for r in doc.get("routes", []) if r["date"] == date]


def route_colour(index: int) -> str:
    """The colour of the ``index``-th route of the plan."""
    return ROUTE_COLOURS[index % len(ROUTE_COLOURS)]


def roster_on(doc: Mapping[str, Any], date: str, role: str | None = None) -> list[Mapping[str, Any]]:
    """Roster entries of one date (and role)."""
    return [e for e in doc.get("roster", []) if e["date"] == date and (role is None or e["role"] == role)]


def desks_on(doc: Mapping[str, Any], date: str) -> list[Mapping[str, Any]]:
    """The desks of one date."""
    return [d for d in doc.get("desks", []) if d["date"] == date]


def stop_label(doc: Mapping[str, Any], stop: Mapping[str, Any], lang: Lang, *, short: bool = False) -> str:
    """A stop's courtyard (``short``: in one language), marked when the stop backs up the service desk.

    The desk courtyard's own patrol visit is a stop of its own, often right
    after the desk one; the mark says why the courtyard comes twice.
    """
    yard = stop["courtyard"]
    name = courtyard_short(doc, yard, lang) if short else courtyard_label(doc, yard, lang)
    if stop.get("purpose") != "desk":
        return name
    zh, en = LABELS["desk_backup"]
    return f"{name} ({zh if lang == 'zh' else en})" if short else f"{name} ({label('desk_backup', lang)})"


def stop_names(doc: Mapping[str, Any], stops: Sequence[Mapping[str, Any]], lang: Lang) -> list[str]:
    """Names of a route's stops, in order (:func:`stop_label`)."""
    return [stop_label(doc, s, lang) for s in stops]


def route_line(doc: Mapping[str, Any], route: Mapping[str, Any], lang: Lang) -> str:
    """One line for a route: shift, times, km, and the courtyards in order."""
    names = " → ".join(stop_names(doc, route["stops"], lang))
    return (
        f"{shift_label(str(route['shift']), lang)} {hhmm(route['start'])}–{hhmm(route['end'])}, "
        f"{km(route['distance_m'])} km, {len(route['stops'])} {label('stops', lang)}: {names}"
    )


def first_visit_day(doc: Mapping[str, Any]) -> dict[str, int]:
    """Courtyard id -> index (in ``duty_days``) of the first duty day a route visits it."""
    days = list(doc.get("duty_days", []))
    out: dict[str, int] = {}
    for route in doc.get("routes", []):
        idx = days.index(route["date"]) if route["date"] in days else 0
        for stop in route["stops"]:
            yard = str(stop["courtyard"])
            out[yard] = min(out.get(yard, idx), idx)
    return out
