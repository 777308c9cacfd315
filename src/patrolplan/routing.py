"""Patrol routes: each duty day's officers ride from the office through the courtyards and back.

The week's model, whichever engine solves it:

- a *rider* (vehicle) is one officer on one shift of one duty day (or on the whole
  day, waiting out the break, with ``ride_each_shift=False``);
- a *visit* is one required pass of a courtyard; a hot spot has one visit per
  duty day, each pinned to its day; a courtyard's gates are alternatives, so the
  solver also picks the gate;
- each day's riders also pass the day's service desk (a visit pinned to that day);
- riding time plus dwell must fit the rider's shift (and a courtyard's time window);
- the cost is metres, plus a rotation surcharge on street metres ridden on the
  same weekday last week; balance caps a trip near the day's average officer.

The model's pieces (riders, visits, OR-Tools' nodes, the rotation surcharge)
are in ``_week_model``. Two engines solve it, as a portfolio by default
(``engine="auto"``): OR-Tools (``_ortools_engine``), cheapest insertion then
greedy descent, which ends by itself; and PyVRP (``_pyvrp_week``, with
balanced mode, over ``_pyvrp_engine``), stopped by an iteration budget sized to
the time limit. Both repeat exactly for the same
inputs. The plan with fewer dropped visits, then fewer metres plus imbalance,
wins. PyVRP takes every rule:
a visit with several time windows, or on a whole-day route that waits out the
break, is a group of alternatives, one per window it may start in.

Every engine's routes are re-timed on our own matrix; a visit that cannot be
made is left out only through a large penalty, and every dropped visit is
reported with its reason.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry import LineString

from patrolplan import _pyvrp_week as pyvrp_week
from patrolplan import _repair as repairs
from patrolplan._ortools_engine import solve_ortools
from patrolplan._week_model import Assigned, Nodes, Rider, Visit, imbalance, nodes_by_visit
from patrolplan.courtyards import Courtyard
from patrolplan.district import District
from patrolplan.errors import InfeasibleWeekError
from patrolplan.matrix import UNREACHABLE
from patrolplan.problem import WeekProblem

__all__ = ["Dropped", "Route", "RoutingResult", "Stop", "plan_routes", "route_edges"]

log = logging.getLogger("patrolplan")

# the insertion start runs to its end even past a shorter limit (it only stops by the clock at this):
# cut short, it leaves visits out and the plan would depend on the machine's speed
_INSERTION_CAP_S = 30.0
# by the clock (not repeatable): the time kept for repairing and building the plans after the search,
# per visit (about 0.1 s at 1,200 visits: the repairs, then each candidate's routes and paths), and the
# least a solve gets
_AFTER_SEARCH_S_PER_VISIT = 0.0001
# a week with time windows or lunch inside the routes and fewer visits than this also runs OR-Tools'
# exact model (0.1-0.8 s on the default district) and keeps the better plan: on its three whole-day
# routes around lunch OR-Tools rode 11,235 m against PyVRP's 11,328 m at 5 s. On larger weeks that
# model stops by the clock and leaves visits out (200 courtyards with lunch, 5 s: 42 dropped)
_ORTOOLS_TOO_BELOW = 160
_DESK = "desk"
_PATROL = "patrol"


@dataclass(frozen=True)
class Stop:
    """One stop of a route: a courtyard, the gate used, arrival and departure."""

    courtyard: str
    gate: int
    arrive: dt.datetime
    depart: dt.datetime
    purpose: str = _PATROL  # "patrol" or "desk" (backing up the duty group)

    @property
    def dwell_s(self) -> int:
        """Seconds spent at the stop."""
        return int((self.depart - self.arrive).total_seconds())


@dataclass(frozen=True)
class Route:
    """A rider's route on one duty day: office -> stops -> office.

    Attributes
    ----------
    date, rider, slot
        Duty date, staff id of the officer, position among the day's routes.
    shift
        Name of the shift (or ``"day"`` when a route spans all shifts).
    start, end
        Leaving and returning to the office.
    stops
        Ordered stops.
    path
        Street path as graph (OSM) node ids, office to office.
    distance_m, duration_s
        Metres ridden; seconds from leaving to returning.
    """

    date: dt.date
    rider: str
    slot: int
    shift: str
    start: dt.datetime
    end: dt.datetime
    stops: tuple[Stop, ...]
    path: tuple[int, ...]
    distance_m: int
    duration_s: int

    def line(self, district: District) -> LineString:
        """The street path as a lon/lat LineString."""
        return district.line(self.path)

    def edges(self) -> tuple[tuple[int, int], ...]:
        """Street segments ridden, in order."""
        return route_edges(self.path)

    def directions(self, district: District, *, lang: str = "en") -> list[str]:
        """Street-by-street directions with the OSM street names."""
        steps: list[tuple[str, float]] = []
        for u, v in self.edges():
            data = min(district.graph[u][v].values(), key=lambda d: d["length"])
            name = data.get("name_en") if lang == "en" else data.get("name")
            if isinstance(name, list):
                name = name[0]
            label = str(name or data.get("name") or ("unnamed lane" if lang == "en" else "無名巷"))
            if steps and steps[-1][0] == label:
                steps[-1] = (label, steps[-1][1] + float(data["length"]))
            else:
                steps.append((label, float(data["length"])))
        verb = "Ride along" if lang == "en" else "沿"
        return [f"{verb} {name} {metres:.0f} m" for name, metres in steps]


@dataclass(frozen=True)
class Dropped:
    """A visit the plan leaves out, and why."""

    courtyard: str
    reason: str
    date: dt.date | None = None


@dataclass(frozen=True)
class RoutingResult:
    """Routes of the week and the visits left out."""

    routes: tuple[Route, ...]
    dropped: tuple[Dropped, ...] = ()
    objective: int = 0
    engine: str = "ortools"


def route_edges(path: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """Consecutive node pairs of a path."""
    return tuple((int(a), int(b)) for a, b in itertools.pairwise(path))


def _riders(problem: WeekProblem, officers: Mapping[dt.date, Sequence[str]]) -> list[Rider]:
    opts = problem.options
    shifts = sorted(opts.shifts, key=lambda s: s.start)
    riders: list[Rider] = []
    for d, date in enumerate(problem.duty_dates):
        for slot, officer in enumerate(officers.get(date, ())):
            if opts.ride_each_shift:
                for shift in shifts:
                    riders.append(Rider(date, d, officer, slot, shift.name, shift.start_s, shift.end_s, ()))
            else:
                gaps = tuple((a.end_s, b.start_s) for a, b in itertools.pairwise(shifts) if b.start_s > a.end_s)
                riders.append(Rider(date, d, officer, slot, "day", shifts[0].start_s, shifts[-1].end_s, gaps))
    return riders


def _visit_days(yard: Courtyard, count: int, allowed: list[int], n_days: int) -> list[tuple[int, ...]]:
    """Which days each of a courtyard's visits may fall on.

    One visit may fall on any allowed day. Several visits are spread over the
    allowed days as evenly as possible, at least ``min_gap_days`` apart, each
    pinned to its day (a hot spot: one visit on every duty day).
    """
    if count <= 1:
        return [tuple(allowed)]
    if count >= len(allowed):
        return [(d,) for d in allowed]
    gap = max(1, yard.min_gap_days)
    picks: list[int] = []
    for i in range(count):
        want = allowed[round(i * (len(allowed) - 1) / (count - 1))]
        if not picks or want - picks[-1] >= gap:
            picks.append(want)
    return [(d,) for d in picks]


def _visits(
    problem: WeekProblem,
    desks: Mapping[dt.date, Sequence[str]],
    done: Mapping[str, int],
    first_day: dt.date | None,
) -> tuple[list[Visit], list[Dropped]]:
    dates = problem.duty_dates
    n_days = len(dates)
    visits: list[Visit] = []
    dropped: list[Dropped] = []
    for yard in problem.courtyards:
        allowed = [
            d
            for d, date in enumerate(dates)
            if (yard.allowed_days is None or date.weekday() in yard.allowed_days)
            and (first_day is None or date >= first_day)
        ]
        count = max(0, problem.visits(yard) - done.get(yard.id, 0))
        if count == 0:
            continue
        if not allowed:
            dropped.append(Dropped(yard.id, f"none of its allowed days {yard.allowed_days} is a duty day this week"))
            continue
        if count > len(allowed):
            dropped.append(
                Dropped(
                    yard.id,
                    f"asks for {count} visits but only {len(allowed)} allowed duty days exist; "
                    f"{count - len(allowed)} left out",
                )
            )
        windows = tuple(
            (w[0].hour * 3600 + w[0].minute * 60, w[1].hour * 3600 + w[1].minute * 60) for w in yard.time_windows
        )
        spread = _visit_days(yard, count, allowed, n_days)
        if len(spread) < min(count, len(allowed)):
            dropped.append(
                Dropped(
                    yard.id,
                    f"asks for {count} visits at least {yard.min_gap_days} days apart; the allowed duty days "
                    f"fit only {len(spread)}",
                )
            )
        for days in spread:
            visits.append(Visit(yard, yard.gates, problem.dwell_s(yard), days, _PATROL, windows))
    by_id = {y.id: y for y in problem.courtyards}
    for d, date in enumerate(dates):
        for cid in desks.get(date, ()):
            yard = by_id[cid]
            visits.append(Visit(yard, yard.gates, problem.options.desk_dwell_s, (d,), _DESK))
    return visits, dropped


def plan_routes(
    problem: WeekProblem,
    desks: Mapping[dt.date, Sequence[str]],
    officers: Mapping[dt.date, Sequence[str]],
    *,
    time_limit: float,
    seed: int = 0,
    engine: str = "auto",
    repeatable: bool = True,
    done: Mapping[str, int] | None = None,
    first_day: dt.date | None = None,
) -> RoutingResult:
    """Plan the week's patrol routes.

    Parameters
    ----------
    problem
        The week.
    desks
        Desk courtyard ids for each duty date (the patrol passes them).
    officers
        Officer staff ids riding on each duty date (from the roster).
    time_limit
        Seconds of search.
    seed
        Seed (the search is deterministic for a given model and work budget).
    engine
        ``"pyvrp"``: PyVRP, started from OR-Tools' cheapest insertion; ``"auto"``
        (the default): the same, and on a small week with time windows or lunch
        inside the routes, OR-Tools' own plan too, the better kept;
        ``"ortools"``: OR-Tools' cheapest insertion and greedy descent.
    repeatable
        Stop the PyVRP search by a fixed iteration budget sized to the time
        limit (the same plan on any machine); ``False`` searches for the whole
        time limit (better routes, but they may differ from run to run).
    done
        Visits already made this week, by courtyard id (re-planning keeps them).
    first_day
        Plan only from this date on (re-planning the rest of a week).

    Raises
    ------
    InfeasibleWeekError
        If there is no rider at all or the solver finds no plan.
    """
    started = time.perf_counter()
    riders = _riders(problem, officers)
    if not riders:
        msg = f"week {problem.week}: no patrol officer rides on any duty day; check the roster and leave"
        raise InfeasibleWeekError(msg, items=[str(problem.week)])
    visits, dropped = _visits(problem, desks, done or {}, first_day)
    nodes = Nodes.of(problem, visits)
    node_visit, secs, dwell = nodes.visit, nodes.secs, nodes.dwell

    # visits that can never fit: unreachable, or longer than any rider's time
    longest = max(r.end_s - r.start_s for r in riders)
    impossible: dict[int, str] = {}
    nodes_of = nodes_by_visit(node_visit)
    for v, visit in enumerate(visits):
        gate_nodes = nodes_of.get(v, [])
        trips = [
            int(secs[0, i] + dwell[i] + secs[i, 0])
            for i in gate_nodes
            if secs[0, i] < UNREACHABLE and secs[i, 0] < UNREACHABLE
        ]
        if not trips:
            impossible[v] = f"no gate of {visit.courtyard.label} can be reached from the office and back by bicycle"
        elif min(trips) > longest:
            impossible[v] = (
                f"a visit alone (ride {min(trips) - visit.dwell_s} s + dwell {visit.dwell_s} s) "
                f"takes longer than the longest shift ({longest} s)"
            )
        elif (
            visit.windows
            and (on_days := [r for r in riders if r.day_index in visit.days])
            and not any(repairs.can_start(visit, r, problem.options.shifts) for r in on_days)
        ):
            spans = ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in visit.windows)
            impossible[v] = (
                f"its time windows ({spans}) leave no time to start and finish the visit within a shift "
                f"on its days; widen a window or change the shifts"
            )

    def ortools(limit: float, *, first_only: bool = False, relaxed: bool = False) -> Assigned:
        return solve_ortools(
            problem,
            riders,
            visits,
            impossible,
            nodes,
            time_limit=limit,
            first_only=first_only,
            relaxed=relaxed,
        )

    if engine == "ortools":
        return _build_result(problem, riders, visits, ortools(time_limit), impossible, dropped, "ortools")
    # PyVRP, warm-started from OR-Tools' cheapest insertion: on large weeks PyVRP's own
    # random start needs most of a short budget just to become feasible. Both stop by
    # work, not by the clock (the insertion ends by itself, PyVRP after an iteration
    # budget sized from the limit), so the plan does not depend on how busy the machine is.
    # A limit shorter than the insertion (1,000 courtyards in 1 s on a busy machine) gives a
    # complete plan late rather than an incomplete one on time.
    # The insertion's plan stays a candidate: the better of the two wins.
    # With time windows or lunch inside the routes, OR-Tools needs absolute clocks that may
    # wait, and its insertion gets slow (4.7 s against 0.05 s at 200 courtyards with lunch):
    # the start then comes from a model without them (``relaxed``), which PyVRP repairs, and
    # it is no candidate of its own; on a small week OR-Tools' exact plan is one instead.
    from patrolplan._pyvrp_engine import start_in_halves

    relaxed = any(v.windows for v in visits) or any(r.gaps for r in riders)
    try:
        start: Assigned = {}
        if not relaxed and start_in_halves(len(visits), len(riders), len(problem.duty_dates), time_limit):
            # a large week, short of time, searched in halves: so is the start, in half the time (0.44 s
            # against 0.82 s at 1,000 courtyards); the whole week is inserted if a half leaves a visit out
            start = _insert_in_parts(problem, riders, visits, impossible, nodes, _week_halves(problem, riders, nodes))
        start = start or ortools(max(time_limit, _INSERTION_CAP_S), first_only=True, relaxed=relaxed)
    except InfeasibleWeekError:
        start = {}  # no insertion within the limit: PyVRP starts on its own
    candidates = (
        []
        if not start or relaxed
        else [_build_result(problem, riders, visits, start, impossible, list(dropped), "ortools")]
    )
    if engine == "auto" and relaxed and len(visits) < _ORTOOLS_TOO_BELOW:
        # OR-Tools' exact model (windows, lunch) is quick on a small week and sometimes rides less
        candidates.append(
            _build_result(problem, riders, visits, ortools(time_limit), impossible, list(dropped), "ortools")
        )
    # a whole-budget (not repeatable) search gets what the insertion left of the limit, less the time
    # to build the plans after it
    spent = time.perf_counter() - started
    after = _AFTER_SEARCH_S_PER_VISIT * len(visits)
    left = time_limit if repeatable else max(pyvrp_week.LEAST_SOLVE_S, time_limit - spent - after)
    plans = pyvrp_week.solve_week(
        problem,
        riders,
        visits,
        impossible,
        time_limit=left,
        seed=seed,
        repeatable=repeatable,
        initial=start,
        proven=not relaxed,
    )
    candidates.append(_build_result(problem, riders, visits, plans, impossible, list(dropped), "pyvrp"))
    weight = problem.options.balance_weight
    return min(candidates, key=lambda result: _score(result, riders, weight))


def _week_halves(problem: WeekProblem, riders: Sequence[Rider], nodes: Nodes) -> list[tuple[list[int], list[int]]]:
    """The week cut in two along the district, as (rider indices, visit indices); none if a day has one rider.

    Visits are ordered by how far their first gate lies from the visit
    farthest from the office (one end of the district); each day's riders are
    shared between the halves, and the visits in the same proportion.
    """
    by_day = [[k for k, r in enumerate(riders) if r.day_index == d] for d in range(len(problem.duty_dates))]
    if any(len(ks) < 2 for ks in by_day):
        return []
    first_node: dict[int, int] = {}
    for node, v in enumerate(nodes.visit):
        if node and v not in first_node:
            first_node[v] = node
    metres = nodes.metres
    far = max(first_node.values(), key=lambda i: (int(metres[0, i]), i))
    order = sorted(first_node, key=lambda v: (int(metres[far, first_node[v]]), v))
    near_riders = [k for ks in by_day for k in ks[: len(ks) // 2]]
    near = set(order[: round(len(near_riders) / len(riders) * len(order))])
    return [
        (near_riders, sorted(near)),
        (sorted(set(range(len(riders))) - set(near_riders)), sorted(set(order) - near)),
    ]


def _insert_in_parts(
    problem: WeekProblem,
    riders: Sequence[Rider],
    visits: Sequence[Visit],
    impossible: Mapping[int, str],
    nodes: Nodes,
    parts: Sequence[tuple[Sequence[int], Sequence[int]]],
) -> Assigned:
    """OR-Tools' cheapest insertion in each part (its riders, its visits) on its own; ``{}`` unless all are placed."""
    out: Assigned = {}
    for rider_ids, visit_ids in parts:
        found = solve_ortools(
            problem,
            [riders[k] for k in rider_ids],
            [visits[v] for v in visit_ids],
            {i: impossible[v] for i, v in enumerate(visit_ids) if v in impossible},
            nodes.part(visit_ids),
            time_limit=_INSERTION_CAP_S,
            first_only=True,
        )
        for k, (stops, end) in found.items():
            out[rider_ids[k]] = ([(visit_ids[v], gate, t) for v, gate, t in stops], end)
    placed = {v for stops, _end in out.values() for v, _gate, _t in stops}
    return out if parts and placed >= set(range(len(visits))) - set(impossible) else {}


def _score(result: RoutingResult, riders: Sequence[Rider], balance_weight: float) -> tuple[int, float, int]:
    """How the portfolio ranks plans: fewer visits left out, then metres plus imbalance, then the longest route.

    The imbalance of a day is how far its busiest officer rides above the day's average
    officer (an officer with no route counts as riding 0 m), times the day's officers; it is
    weighted by ``balance_weight``, the same knob the engines balance with.
    """
    total = sum(r.distance_m for r in result.routes)
    longest = max((r.distance_m for r in result.routes), default=0)
    loads: dict[tuple[dt.date, str], int] = {(r.date, r.officer): 0 for r in riders}
    for route in result.routes:
        loads[(route.date, route.rider)] += route.distance_m
    return (len(result.dropped), total + balance_weight * imbalance(loads), longest)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _clock(date: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime.combine(date, dt.time()) + dt.timedelta(seconds=int(seconds))


def _build_result(
    problem: WeekProblem,
    riders: Sequence[Rider],
    visits: Sequence[Visit],
    plans: Assigned,
    impossible: Mapping[int, str],
    dropped: list[Dropped],
    engine: str,
) -> RoutingResult:
    """Turn each rider's solved stops into a :class:`Route` with its street path, and list what was left out."""
    matrix = problem.matrix
    office = problem.district.office
    routes: list[Route] = []
    served: set[int] = set()
    for k in sorted(plans):
        rider = riders[k]
        stops_in, end = plans[k]
        stops: list[Stop] = []
        for v, gate, arrive in stops_in:
            visit = visits[v]
            served.add(v)
            stops.append(
                Stop(
                    visit.courtyard.id,
                    gate,
                    _clock(rider.date, arrive),
                    _clock(rider.date, arrive + visit.dwell_s),
                    visit.purpose,
                )
            )
        if not stops:
            continue
        sites = [office, *(s.gate for s in stops), office]
        # leave as late as the first stop allows, so the route shows no idle start
        first_ride = int(matrix.seconds[matrix.index(office), matrix.index(stops[0].gate)])
        start = max(rider.start_s, stops_in[0][2] - first_ride)
        end = max(
            end,
            int((stops[-1].depart - _clock(rider.date, 0)).total_seconds())
            + int(matrix.seconds[matrix.index(stops[-1].gate), matrix.index(office)]),
        )
        path = tuple(matrix.route_path(sites))
        # the path's own street length (matrix metres are rounded per leg, so their
        # sum drifts from the path by up to half a metre a leg)
        graph = problem.district.graph
        metres = round(sum(min(float(e["length"]) for e in graph[u][v].values()) for u, v in itertools.pairwise(path)))
        routes.append(
            Route(
                date=rider.date,
                rider=rider.officer,
                slot=rider.slot,
                shift=rider.shift,
                start=_clock(rider.date, start),
                end=_clock(rider.date, end),
                stops=tuple(stops),
                path=path,
                distance_m=metres,
                duration_s=end - start,
            )
        )
    routes.sort(key=lambda r: (r.date, r.slot, r.start))
    dates = problem.duty_dates
    for v, visit in enumerate(visits):
        if v in served:
            continue
        when = dates[visit.days[0]] if len(visit.days) == 1 else None
        reason = impossible.get(v) or _why_dropped(problem, visit, riders, visits, plans)
        what = "desk back-up visit" if visit.purpose == _DESK else "patrol visit"
        dropped.append(Dropped(visit.courtyard.id, f"{what}: {reason}", when))
    return RoutingResult(tuple(routes), tuple(dropped), sum(r.distance_m for r in routes), engine)


def _why_dropped(
    problem: WeekProblem, visit: Visit, riders: Sequence[Rider], visits: Sequence[Visit], plans: Assigned
) -> str:
    """Explain a dropped visit: the time the visits need on its days against the shift time there.

    A visit free to fall on several days counts on each of them for its share
    (a third of its dwell on each of 3 days), so the figure is what those days
    must hold. When that fits, the riding is what overfills the days, or the
    search missed a place: :func:`_best_room` tells which, by trying the visit
    in every route of its days.
    """
    days = set(visit.days)
    need = round(sum(v.dwell_s * len(days & set(v.days)) / len(v.days) for v in visits if v.days))
    have = sum(r.end_s - r.start_s - sum(b - a for a, b in r.gaps) for r in riders if r.day_index in days)
    names = ", ".join(problem.duty_dates[d].strftime("%a") for d in sorted(days))
    if need >= have:
        return (
            f"the visits on {names} need {need // 60} min of dwell alone (riding comes on top), but the "
            f"riders have {have // 60} min of shift time; add a rider, lengthen the shift or lower the visits"
        )
    dwell = (
        f"the visits on {names} need {need // 60} min of dwell (riding comes on top) of the riders' "
        f"{have // 60} min of shift time"
    )
    extra, room, rider = _best_room(problem, visit, riders, plans)
    where = f"{rider.officer}'s {rider.shift} shift on {rider.date:%a}"
    if extra > room:
        return (
            f"no route has room for it: {dwell}, and the riding fills the rest; the closest fit, {where}, "
            f"would need {-(-extra // 60)} min more with {room // 60} min left; add a rider, lengthen the "
            f"shift or lower the visits"
        )
    return (
        f"no room was found for it within the time limit: {dwell}, and {where} has {room // 60} min left "
        f"where it needs {-(-extra // 60)} min; give the search more time"
    )


def _best_room(problem: WeekProblem, visit: Visit, riders: Sequence[Rider], plans: Assigned) -> tuple[int, int, Rider]:
    """Where a left-out visit comes closest to fitting: (seconds it would add, seconds left, rider).

    Each rider of the visit's days is tried: the cheapest place in its route
    (riding detour plus dwell, through the best gate), or an out-and-back
    trip if it rides nothing, against the time left before its shift ends.
    Time windows and lunch are not weighed, so this is the most room there is.
    """
    matrix = problem.matrix
    secs = matrix.seconds
    office = matrix.index(problem.district.office)
    gates = [matrix.index(g) for g in visit.gates]
    fits = []
    for k, rider in enumerate(riders):
        if rider.day_index not in visit.days:
            continue
        stops, end = plans.get(k, ([], rider.start_s))
        sites = repairs.route_rows(matrix, office, stops).tolist()
        detour = min(int(secs[a, g] + secs[g, b] - secs[a, b]) for a, b in itertools.pairwise(sites) for g in gates)
        fits.append((detour + visit.dwell_s, rider.end_s - max(end, rider.start_s), rider))
    # (a visit is only dropped when some rider rides its days, so there is at least one)
    return min(fits, key=lambda fit: fit[0] - fit[1])
