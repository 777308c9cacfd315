"""Plan a week: desk rotation, then the roster, then the patrol routes; and the result.

``plan_week(problem, params=...)`` returns a :class:`Plan` that answers the
usual questions (``cost()``, ``is_feasible()``, ``summary()``), lists what it
left out (``dropped``) and can re-verify itself from scratch (``check()``).
``Plan.to_json()`` gives the ``plan.json`` document (schema
``patrolplan/plan@1``, see ``docs/plan-json.md``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from patrolplan.desk import DeskDay, fifteen_minute_share, plan_desks
from patrolplan.errors import InvalidInputError
from patrolplan.matrix import UNREACHABLE
from patrolplan.options import SolveParams
from patrolplan.problem import WeekProblem
from patrolplan.roster import BrokenRule, Roster, RosterEntry, check_roster, plan_roster
from patrolplan.routing import Dropped, Route, Stop, plan_routes
from patrolplan.staff import Role

__all__ = ["SCHEMA", "Plan", "plan_week", "replan"]

SCHEMA = "patrolplan/plan@1"
_LENGTH_TOLERANCE_M = 2.0


@dataclass(frozen=True, eq=False)
class Plan:
    """A week's plan: routes, desks, roster, what was left out and why.

    Attributes
    ----------
    problem
        The week that was planned.
    routes
        Patrol routes, by date then slot.
    desks
        Where the service desk stands each duty day.
    roster
        Who works which day in which role.
    dropped
        Visits left out, with the reason.
    params
        The solver parameters used.
    solve_seconds
        Wall time of the whole solve.
    engine
        Whose routes the plan keeps: ``"pyvrp"`` or ``"ortools"`` (``""`` if
        unknown, as in a plan saved before stop 15). ``params.engine`` is what was asked.
    """

    problem: WeekProblem
    routes: tuple[Route, ...]
    desks: tuple[DeskDay, ...]
    roster: Roster
    dropped: tuple[Dropped, ...] = ()
    params: SolveParams = field(default_factory=SolveParams)
    solve_seconds: float = 0.0
    engine: str = ""

    # ------------------------------------------------------------------ figures
    @property
    def week(self) -> str:
        """The ISO week, e.g. ``"2026-W49"``."""
        return str(self.problem.week)

    @property
    def distance_m(self) -> int:
        """Total metres ridden."""
        return sum(r.distance_m for r in self.routes)

    @property
    def longest_route_m(self) -> int:
        """Metres of the longest route."""
        return max((r.distance_m for r in self.routes), default=0)

    def cost(self) -> int:
        """The plan's cost: total metres (what the solvers minimise, before penalties)."""
        return self.distance_m

    def is_feasible(self) -> bool:
        """True when nothing required was left out and ``check()`` finds no violation."""
        return not self.dropped and not self.check()

    @property
    def violations(self) -> list[str]:
        """The rules this plan breaks (same as ``check()``)."""
        return self.check()

    def coverage(self) -> float:
        """Share of courtyards visited at least once this week."""
        yards = self.problem.courtyards
        seen = {s.courtyard for r in self.routes for s in r.stops if s.purpose == "patrol"}
        return len(seen & {y.id for y in yards}) / len(yards) if yards else 1.0

    def fifteen_minute(self) -> float:
        """Share of courtyards within a 15-minute walk of one of the week's desks."""
        return float(fifteen_minute_share(self.problem, [d.courtyard for d in self.desks]))

    def routes_on(self, date: dt.date) -> tuple[Route, ...]:
        """The routes of one duty date."""
        return tuple(r for r in self.routes if r.date == date)

    # ------------------------------------------------------------------ check
    def check(self) -> list[str]:
        """Re-verify every rule from scratch; an empty list means the plan is valid.

        Checks coverage and visit frequencies, shift limits, that every path
        runs along street graph edges and matches ``distance_m``, the desk
        visit of each day's patrol, and (through the roster's own checker)
        the required numbers, leave, maximum days and skills.
        """
        problem = self.problem
        out: list[str] = []
        out.extend(_check_coverage(self))
        out.extend(_check_shifts(self))
        out.extend(_check_paths(self))
        out.extend(_check_desk_visits(self))
        out.extend(check_roster(problem, self.desks, self.roster))
        officers = {(e.date, e.staff) for e in self.roster.entries if e.role is Role.PATROL}
        for route in self.routes:
            if (route.date, route.rider) not in officers:
                out.append(
                    f"{route.date} route {route.slot}: rider {route.rider} is not rostered as a patrol officer that day"
                )
        return out

    # ------------------------------------------------------------------ views
    def summary(self) -> str:
        """A readable text: coverage, desks, roster, distance, what was left out and why."""
        problem = self.problem
        lines = [
            f"Plan {self.week} for {problem.district.name} {problem.district.name_en}".rstrip(),
            f"  coverage: {self.coverage():.0%} of {len(problem.courtyards)} courtyards; "
            f"15-minute share: {self.fifteen_minute():.0%}",
            f"  riding: {self.distance_m / 1000:.1f} km in {len(self.routes)} routes "
            f"(longest {self.longest_route_m / 1000:.1f} km)",
        ]
        by_id = {y.id: y for y in problem.courtyards}
        for date in problem.duty_dates:
            desks = [by_id[d.courtyard].label for d in self.desks if d.date == date]
            specs = [e.name for e in self.roster.on(date, Role.SPECIALIST)]
            lines.append(
                f"  {date:%a %Y-%m-%d}: desk at {', '.join(desks) or '-'} ({', '.join(specs) or 'no specialist'})"
            )
            for route in self.routes_on(date):
                name = next((e.name for e in self.roster.on(date, Role.PATROL) if e.staff == route.rider), route.rider)
                lines.append(
                    f"    {name}: {len(route.stops)} stops, {route.distance_m / 1000:.1f} km, "
                    f"{route.start:%H:%M}–{route.end:%H:%M}"
                )
        if self.dropped:
            lines.append(f"  left out ({len(self.dropped)}):")
            lines.extend(f"    {d.courtyard}{f' on {d.date}' if d.date else ''}: {d.reason}" for d in self.dropped)
        else:
            lines.append("  left out: nothing")
        for rule in self.roster.broken:
            lines.append(f"  soft rule {rule.rule}: {rule.detail}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> Any:
        """Every stop as a row of a pandas DataFrame."""
        import pandas as pd

        rows = [
            {
                "date": r.date,
                "rider": r.rider,
                "slot": r.slot,
                "order": i + 1,
                "courtyard": s.courtyard,
                "gate": s.gate,
                "arrive": s.arrive,
                "depart": s.depart,
                "purpose": s.purpose,
            }
            for r in self.routes
            for i, s in enumerate(r.stops)
        ]
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        """The ``plan.json`` document (schema ``patrolplan/plan@1``) as a dict."""
        return _plan_doc(self)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], problem: WeekProblem) -> Plan:
        """Rebuild a plan from its ``plan.json`` dict (e.g. read from the history) and its week's problem.

        Raises
        ------
        InvalidInputError
            If the document belongs to another week or community.
        """
        return _plan_from_doc(doc, problem)

    def to_json_text(self) -> str:
        """``to_json()`` as UTF-8 JSON text (Chinese kept readable)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


# ---------------------------------------------------------------------- planning
def plan_week(problem: WeekProblem, *, params: SolveParams | None = None) -> Plan:
    """Plan one week: desks (CP-SAT), roster (CP-SAT), then routes (OR-Tools routing).

    The time limit is shared: a tenth each for the desk and the roster, the
    rest for the routes. Repeatable (the default), the routes get a fixed 0.8
    of the limit and every search stops by its work budget; by the clock
    (``params.repeatable`` false), they get what the desk and roster left,
    and every search shares it so that the week is planned within the limit.

    Raises
    ------
    InsufficientStaffError
        A duty day cannot be staffed (names the day, rule and people).
    InfeasibleWeekError
        The routes cannot be planned at all.
    """
    return _plan(problem, params or SolveParams())


def _plan(
    problem: WeekProblem,
    params: SolveParams,
    *,
    fixed_desks: Sequence[DeskDay] = (),
    prefer_desks: Sequence[DeskDay] = (),
    fixed_roster: Sequence[RosterEntry] = (),
    prefer_roster: Sequence[RosterEntry] = (),
    kept_routes: Sequence[Route] = (),
    first_day: dt.date | None = None,
) -> Plan:
    started = time.perf_counter()
    limit = params.time_limit
    desks: tuple[DeskDay, ...] = ()
    if problem.options.desks_per_day > 0:
        desks = plan_desks(
            problem, time_limit=max(0.2, limit * 0.1), seed=params.seed, fixed=fixed_desks, prefer=prefer_desks
        )
    roster = plan_roster(
        problem, desks, time_limit=max(0.2, limit * 0.1), seed=params.seed, fixed=fixed_roster, prefer=prefer_roster
    )
    desk_map: dict[dt.date, list[str]] = {}
    for desk in desks:
        desk_map.setdefault(desk.date, []).append(desk.courtyard)
    if first_day is not None:
        desk_map = {d: c for d, c in desk_map.items() if d >= first_day}
    officers = {d: roster.officers(d) for d in problem.duty_dates if first_day is None or d >= first_day}
    done = Counter(s.courtyard for r in kept_routes for s in r.stops if s.purpose == "patrol")
    # repeatable, the routes get a fixed share of the limit (not what the desk and roster left over),
    # so how busy the machine is never changes the search budget, nor the plan; by the clock, what is left
    remaining = max(0.5, 0.8 * limit)
    if not params.repeatable:
        remaining = max(0.5, limit - (time.perf_counter() - started))
    result = plan_routes(
        problem,
        desk_map,
        officers,
        time_limit=remaining,
        seed=params.seed,
        engine=params.engine,
        repeatable=params.repeatable,
        done=done,
        first_day=first_day,
    )
    return Plan(
        problem=problem,
        routes=tuple(kept_routes) + result.routes,
        desks=desks,
        roster=roster,
        dropped=result.dropped,
        params=params,
        solve_seconds=time.perf_counter() - started,
        engine=result.engine,
    )


def replan(
    plan: Plan,
    *,
    from_date: dt.date | str,
    absent: Sequence[str] = (),
    hot_spots: Sequence[str] = (),
    params: SolveParams | None = None,
) -> tuple[Plan, dict[str, int]]:
    """Re-plan the rest of a week: keep the days before ``from_date``, change as little as possible.

    Parameters
    ----------
    plan
        The announced plan.
    from_date
        First day to re-plan (earlier days are kept as they are).
    absent
        Staff (ids or names) absent from ``from_date`` to the week's end.
    hot_spots
        Courtyards to treat as hot spots from now on.

    Returns
    -------
    tuple
        The new plan and the count of changes: ``people_moved``,
        ``desks_moved``, ``stops_moved``.
    """
    start = dt.date.fromisoformat(from_date) if isinstance(from_date, str) else from_date
    problem = plan.problem
    if start not in problem.duty_dates and not any(d >= start for d in problem.duty_dates):
        msg = f"{start} is after the last duty day of {problem.week}; nothing to re-plan"
        raise InvalidInputError(msg, items=[str(start)])
    staff = problem.staff
    rest = [d for d in problem.duty_dates if d >= start]
    for person in absent:
        staff = staff.with_leave(person, rest)
    new_problem = WeekProblem(
        problem.district, staff, problem.week, options=problem.options, hot_spots=hot_spots, past=problem.past
    )
    kept_desks = [d for d in plan.desks if d.date < start]
    kept_roster = [e for e in plan.roster.entries if e.date < start]
    new = _plan(
        new_problem,
        params or plan.params,
        fixed_desks=kept_desks,
        prefer_desks=[d for d in plan.desks if d.date >= start],
        fixed_roster=kept_roster,
        prefer_roster=[e for e in plan.roster.entries if e.date >= start],
        kept_routes=[r for r in plan.routes if r.date < start],
        first_day=start,
    )
    return new, count_changes(plan, new)


def count_changes(old: Plan, new: Plan) -> dict[str, int]:
    """People moved, desks moved and stops moved between two plans of one week."""

    def duties(p: Plan) -> set[tuple[dt.date, str, str]]:
        return {(e.date, e.staff, e.role.value) for e in p.roster.entries}

    def stops(p: Plan) -> Counter[tuple[dt.date, str, str]]:
        return Counter((r.date, r.rider, s.courtyard) for r in p.routes for s in r.stops)

    return {
        "people_moved": len(duties(old) ^ duties(new)) // 2 + len(duties(old) ^ duties(new)) % 2,
        "desks_moved": len({(d.date, d.courtyard) for d in old.desks} ^ {(d.date, d.courtyard) for d in new.desks})
        // 2,
        "stops_moved": sum(((stops(old) - stops(new)) + (stops(new) - stops(old))).values()),
    }


# ---------------------------------------------------------------------- checks
def _check_coverage(plan: Plan) -> list[str]:
    problem = plan.problem
    visits = Counter(s.courtyard for r in plan.routes for s in r.stops if s.purpose == "patrol")
    days: dict[str, set[dt.date]] = {}
    for r in plan.routes:
        for s in r.stops:
            if s.purpose == "patrol":
                days.setdefault(s.courtyard, set()).add(r.date)
    dropped = {d.courtyard for d in plan.dropped}
    out: list[str] = []
    for yard in problem.courtyards:
        need = problem.visits(yard)
        have = visits.get(yard.id, 0)
        if have < need and yard.id not in dropped:
            out.append(
                f"courtyard {yard.id} ({yard.label}) visited {have} times, needs {need}, and is not listed as dropped"
            )
        on = sorted(days.get(yard.id, set()))
        if yard.allowed_days is not None and any(d.weekday() not in yard.allowed_days for d in on):
            out.append(f"courtyard {yard.id} visited on a day it does not allow")
        if yard.min_gap_days and any((b - a).days < yard.min_gap_days for a, b in itertools.pairwise(on)):
            out.append(f"courtyard {yard.id} visited less than {yard.min_gap_days} days apart")
    return out


def _check_shifts(plan: Plan) -> list[str]:
    problem = plan.problem
    shifts = sorted(problem.options.shifts, key=lambda s: s.start)
    out: list[str] = []
    by_id = {y.id: y for y in problem.courtyards}
    for r in plan.routes:
        day0 = dt.datetime.combine(r.date, dt.time())
        windows = [(day0 + dt.timedelta(seconds=s.start_s), day0 + dt.timedelta(seconds=s.end_s)) for s in shifts]
        if r.start < windows[0][0] or r.end > windows[-1][1]:
            out.append(f"{r.date} route of {r.rider} runs {r.start:%H:%M}–{r.end:%H:%M}, outside the shifts")
        for s in r.stops:
            if not any(a <= s.arrive and s.depart <= b for a, b in windows):
                out.append(
                    f"{r.date} {r.rider}: stop at {s.courtyard} {s.arrive:%H:%M}–{s.depart:%H:%M} is not inside a shift"
                )
            yard = by_id.get(s.courtyard)
            if yard and yard.time_windows and s.purpose == "patrol":
                t = s.arrive.time()
                if not any(a <= t <= b for a, b in yard.time_windows):
                    out.append(f"{r.date} {r.rider}: stop at {s.courtyard} at {t:%H:%M} is outside its time windows")
            if yard and s.gate not in yard.gates:
                out.append(f"{r.date} {r.rider}: gate {s.gate} is not a gate of {s.courtyard}")
        if r.duration_s != int((r.end - r.start).total_seconds()):
            out.append(f"{r.date} {r.rider}: duration_s does not match start and end")
    return out


def _check_paths(plan: Plan) -> list[str]:
    problem = plan.problem
    graph = problem.district.graph
    office = problem.district.office
    matrix = problem.matrix
    out: list[str] = []
    for r in plan.routes:
        where = f"{r.date} route of {r.rider}"
        if not r.path or r.path[0] != office or r.path[-1] != office:
            out.append(f"{where}: path does not start and end at the office")
            continue
        length = 0.0
        broken = False
        for u, v in zip(r.path, r.path[1:], strict=False):
            if not graph.has_edge(u, v):
                out.append(f"{where}: path uses {u}->{v}, which is not a street segment a bicycle may ride")
                broken = True
                break
            length += min(float(d["length"]) for d in graph[u][v].values())
        if broken:
            continue
        if abs(length - r.distance_m) > _LENGTH_TOLERANCE_M + 0.01 * len(r.path):
            out.append(f"{where}: path is {length:.0f} m long but distance_m says {r.distance_m}")
        gates = [s.gate for s in r.stops]
        pos = 0
        for g in gates:
            try:
                pos = r.path.index(g, pos)
            except ValueError:
                out.append(f"{where}: path does not pass gate {g}")
                break
        # timing: arrivals at least the riding time after the previous departure
        prev_node, prev_time = office, r.start
        for s in r.stops:
            ride = int(matrix.seconds[matrix.index(prev_node), matrix.index(s.gate)])
            if ride >= UNREACHABLE or (s.arrive - prev_time).total_seconds() < ride - 1:
                out.append(f"{where}: arrives at {s.courtyard} {s.arrive:%H:%M:%S} sooner than the ride allows")
            prev_node, prev_time = s.gate, s.depart
        back = int(matrix.seconds[matrix.index(prev_node), matrix.index(office)])
        if (r.end - prev_time).total_seconds() < back - 1:
            out.append(f"{where}: returns to the office sooner than the ride allows")
    return out


def _check_desk_visits(plan: Plan) -> list[str]:
    out: list[str] = []
    dropped = {(d.courtyard, d.date) for d in plan.dropped}
    for desk in plan.desks:
        passed = any(
            s.courtyard == desk.courtyard and s.purpose == "desk" for r in plan.routes_on(desk.date) for s in r.stops
        )
        if not passed and (desk.courtyard, desk.date) not in dropped:
            out.append(f"{desk.date}: no patrol passes the desk at {desk.courtyard}")
    return out


# ---------------------------------------------------------------------- plan.json
def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def _plan_doc(plan: Plan) -> dict[str, Any]:
    problem = plan.problem
    district = problem.district
    lon, lat = district.office_lonlat
    names = {e.staff: e.name for e in plan.roster.entries}
    yards = []
    for y in problem.courtyards:
        cx, cy = y.centroid
        yards.append(
            {
                "id": y.id,
                "name": y.name,
                "name_en": y.name_en,
                "gates": list(y.gates),
                "frequency": problem.visits(y),
                "hot_spot": y.hot_spot,
                "can_host_desk": y.can_host_desk,
                "lon": round(cx, 7),
                "lat": round(cy, 7),
                "gate_coords": [[round(c, 7) for c in district.lonlat(g)] for g in y.gates],
                "polygon": [[round(x, 7), round(yv, 7)] for x, yv in y.polygon.exterior.coords],
            }
        )
    routes = []
    for r in plan.routes:
        routes.append(
            {
                "date": r.date.isoformat(),
                "rider": r.rider,
                "rider_name": names.get(r.rider, r.rider),
                "slot": r.slot,
                "shift": r.shift,
                "start": _iso(r.start),
                "end": _iso(r.end),
                "stops": [
                    {
                        "courtyard": s.courtyard,
                        "gate": s.gate,
                        "arrive": _iso(s.arrive),
                        "depart": _iso(s.depart),
                        "purpose": s.purpose,
                        "lon": round(district.lonlat(s.gate)[0], 7),
                        "lat": round(district.lonlat(s.gate)[1], 7),
                    }
                    for s in r.stops
                ],
                "path": list(r.path),
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(c, 7) for c in district.lonlat(n)] for n in r.path],
                },
                "distance_m": r.distance_m,
                "duration_s": r.duration_s,
                "directions": r.directions(district, lang="en"),
                "directions_zh": r.directions(district, lang="zh"),
            }
        )
    specialists: dict[tuple[dt.date, str], list[RosterEntry]] = {}
    for e in plan.roster.entries:
        if e.role is Role.SPECIALIST:
            specialists.setdefault((e.date, e.desk or ""), []).append(e)
    desks = []
    for d in plan.desks:
        staffed = specialists.get((d.date, d.courtyard)) or [
            e for e in plan.roster.entries if e.date == d.date and e.role is Role.SPECIALIST
        ]
        windows = sorted({w for e in staffed for w in e.windows})
        desks.append(
            {
                "date": d.date.isoformat(),
                "courtyard": d.courtyard,
                "staff": [e.staff for e in staffed],
                "windows": windows,
                "reason": d.reason,
            }
        )
    roster = [
        {
            "date": e.date.isoformat(),
            "staff": e.staff,
            "name": e.name,
            "role": e.role.value,
            "shift": e.shift,
            "windows": list(e.windows),
            "desk": e.desk,
        }
        for e in plan.roster.entries
    ]
    return {
        "schema": SCHEMA,
        "community": district.name,
        "community_en": district.name_en,
        "week": plan.week,
        "duty_days": [d.isoformat() for d in problem.duty_dates],
        "shifts": [
            {"name": s.name, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}"} for s in problem.options.shifts
        ],
        "office": {"node": district.office, "lon": round(lon, 7), "lat": round(lat, 7), "name": district.name},
        "courtyards": yards,
        "routes": routes,
        "desks": desks,
        "roster": roster,
        "dropped": [
            {"courtyard": d.courtyard, "reason": d.reason, "date": d.date.isoformat() if d.date else None}
            for d in plan.dropped
        ],
        "broken_rules": [{"rule": b.rule, "detail": b.detail, "items": list(b.items)} for b in plan.roster.broken],
        "totals": {
            "distance_m": plan.distance_m,
            "longest_route_m": plan.longest_route_m,
            "routes": len(plan.routes),
            "coverage": round(plan.coverage(), 4),
            "fifteen_minute_share": round(plan.fifteen_minute(), 4),
        },
        "solve": {
            "time_limit": plan.params.time_limit,
            "seed": plan.params.seed,
            "engine": plan.params.engine,
            "engine_used": plan.engine,
            "repeatable": plan.params.repeatable,
        },
    }


# ---------------------------------------------------------------------- reading plan.json back
def _doc_date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _doc_dt(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _routes_from_doc(doc: Mapping[str, Any]) -> tuple[Route, ...]:
    return tuple(
        Route(
            date=dt.date.fromisoformat(r["date"]),
            rider=str(r["rider"]),
            slot=int(r["slot"]),
            shift=str(r["shift"]),
            start=_doc_dt(r["start"]),
            end=_doc_dt(r["end"]),
            stops=tuple(
                Stop(str(s["courtyard"]), int(s["gate"]), _doc_dt(s["arrive"]), _doc_dt(s["depart"]), str(s["purpose"]))
                for s in r["stops"]
            ),
            path=tuple(int(n) for n in r["path"]),
            distance_m=int(r["distance_m"]),
            duration_s=int(r["duration_s"]),
        )
        for r in doc.get("routes", [])
    )


def _roster_from_doc(doc: Mapping[str, Any]) -> Roster:
    entries = tuple(
        RosterEntry(
            date=dt.date.fromisoformat(e["date"]),
            staff=str(e["staff"]),
            name=str(e["name"]),
            role=Role(e["role"]),
            shift=str(e["shift"]),
            windows=tuple(e.get("windows", [])),
            desk=e.get("desk"),
        )
        for e in doc.get("roster", [])
    )
    broken = tuple(
        BrokenRule(str(b["rule"]), str(b["detail"]), tuple(b.get("items", []))) for b in doc.get("broken_rules", [])
    )
    return Roster(entries, broken)


def _plan_from_doc(doc: Mapping[str, Any], problem: WeekProblem) -> Plan:
    """Rebuild a :class:`~patrolplan.Plan` from its saved ``plan.json`` dict and the week's problem.

    Raises
    ------
    InvalidInputError
        If the saved plan belongs to another week or community.
    """
    if str(doc.get("week")) != str(problem.week) or doc.get("community") != problem.district.name:
        msg = (
            f"the saved plan is for {doc.get('community')} {doc.get('week')}, "
            f"not {problem.district.name} {problem.week}; load the same district"
        )
        raise InvalidInputError(msg, items=[str(doc.get("week"))])
    solve = doc.get("solve", {})
    params = SolveParams(
        time_limit=float(solve.get("time_limit", 10)),
        seed=int(solve.get("seed", 0)),
        engine=solve.get("engine", "auto"),
        repeatable=bool(solve.get("repeatable", True)),
    )
    desks = tuple(
        DeskDay(dt.date.fromisoformat(d["date"]), str(d["courtyard"]), str(d.get("reason", "")))
        for d in doc.get("desks", [])
    )
    dropped = tuple(Dropped(str(d["courtyard"]), str(d["reason"]), _doc_date(d.get("date"))) for d in doc["dropped"])
    routes, roster = _routes_from_doc(doc), _roster_from_doc(doc)
    return Plan(problem, routes, desks, roster, dropped, params, engine=str(solve.get("engine_used", "")))
