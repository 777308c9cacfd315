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
greedy descent, which ends by itself; and PyVRP (``_pyvrp_engine``), stopped by
an iteration budget sized to the time limit. Both repeat exactly for the same
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
import functools
import itertools
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString

from patrolplan import _repair as repairs
from patrolplan._ortools_engine import solve_ortools
from patrolplan._week_model import Assigned, Nodes, Rider, Visit, nodes_by_visit, rotation_surcharge
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
_LEAST_SOLVE_S = 0.05
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
    left = time_limit if repeatable else max(_LEAST_SOLVE_S, time_limit - spent - after)
    plans = _solve_with_pyvrp(
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
    return (len(result.dropped), total + balance_weight * _imbalance(loads), longest)


def _imbalance(loads: Mapping[tuple[Any, str], int]) -> float:
    """Per day, how far its busiest officer rides above its average officer, times its officers; summed.

    ``loads`` are the metres of each (day, officer) on duty, 0 for one who rides nothing.
    """
    days: dict[Any, list[int]] = {}
    for (day, _officer), metres in loads.items():
        days.setdefault(day, []).append(metres)
    return sum(max(day) * len(day) - sum(day) for day in days.values())


def _solve_with_pyvrp(
    problem: WeekProblem,
    riders: Sequence[Rider],
    visits: Sequence[Visit],
    impossible: Mapping[int, str],
    *,
    time_limit: float,
    seed: int,
    repeatable: bool,
    initial: Assigned | None = None,
    proven: bool = True,
) -> Assigned:
    """Solve with PyVRP, starting from ``initial`` routes when given (rider index -> stops)."""
    from patrolplan._pyvrp_engine import Alternative, solve_pyvrp, splits

    matrix = problem.matrix
    # a route that waits out the break starts its visits inside a shift (every rider has the same shifts)
    shifts = problem.options.shifts if any(r.gaps for r in riders) else ()
    alts: list[Alternative] = []
    for v, visit in enumerate(visits):
        starts = repairs.start_windows(visit, shifts)
        if v in impossible or starts == ((0, -1),):
            continue
        any_day = len(visit.days) == len(problem.duty_dates)
        days: tuple[int | None, ...] = (None,) if any_day else visit.days
        # one alternative per gate, day and time window: PyVRP makes exactly one of a visit's alternatives
        for gate in visit.gates:
            for day in days:
                for tw in starts or (None,):
                    alts.append(Alternative(v, matrix.index(gate), day, visit.dwell_s, tw))
    n_days = len(problem.duty_dates)
    base = np.minimum(matrix.metres, UNREACHABLE).astype(np.int64)
    by_day = []
    sites = list(matrix.sites)
    for date in problem.duty_dates:
        surcharge = rotation_surcharge(problem, sites, date.weekday(), date)
        weight = problem.options.rotation_weight
        by_day.append(base if surcharge is None else base + np.rint(weight * surcharge).astype(np.int64))
    # identical days share one routing profile (PyVRP searches faster on fewer profiles)
    profiles = by_day if any(m is not base for m in by_day) else [base]
    shares = _Shares(time_limit, None if repeatable else time.perf_counter() + time_limit)
    vehicles = [(r.day_index, r.start_s, r.end_s) for r in riders]
    office = matrix.index(problem.district.office)
    if not alts:
        return {}
    balance = problem.options.balance_weight > 0 and len(riders) > n_days and _balance_fits(time_limit, len(alts))
    warm = _as_alternatives(initial or {}, alts, riders, matrix.index)
    # a start that makes every visit that can be made shows they all fit: require them all
    started = {v for stops, _end in (initial or {}).values() for v, _gate, _t in stops}
    required = proven and bool(initial) and started >= set(range(len(visits))) - set(impossible)
    solve = functools.partial(
        solve_pyvrp,
        seconds=matrix.seconds,
        metres_by_day=profiles,
        n_days=n_days,
        office_site=office,
        n_visits=len(visits),
        vehicles=vehicles,
        seed=seed,
        repeatable=repeatable,
    )
    first = solve(
        alternatives=alts,
        max_distance=None,
        time_limit=shares.take(_FIRST_SHARE if balance else 1.0),
        warm=warm,
        required=required,
    )
    if balance:
        short = splits(len(visits), len(riders), n_days, time_limit)
        return _balanced(problem, riders, visits, alts, first, solve, by_day, office, shares, short=short)
    return _share_trips(problem, riders, repairs.repair(problem, riders, visits, alts, first))


@dataclass
class _Shares:
    """The routing limit, shared among PyVRP's solves as they run in turn.

    Repeatable, each solve gets its share of ``time_limit`` (its iteration
    budget is sized from it). By the clock (a ``deadline``, a
    :func:`time.perf_counter` time) each gets its share of the time still
    left, so the setups and repairs between the solves do not push the last
    one past the limit.
    """

    time_limit: float
    deadline: float | None = None
    unspent: float = 1.0

    def take(self, share: float) -> float:
        """Seconds for the next solve, which takes ``share`` of the limit."""
        if self.deadline is None:
            return self.time_limit * share
        seconds = (self.deadline - time.perf_counter()) * share / max(share, self.unspent)
        self.unspent -= share
        return max(_LEAST_SOLVE_S, seconds)


def _balance_fits(time_limit: float, n_alternatives: int) -> bool:
    """Whether balanced mode's extra searches fit the limit: their share is at least one setup of the week.

    Each search builds its own model (about 0.4-0.5 s at 1,000 courtyards
    whatever its share): at 1 s the 1,000-courtyard week took 3.1-4.1 s with
    them. Without them the first search gets the whole limit and the plan is
    only ranked by the balanced score. They fit from 3 s at 1,000 courtyards,
    and at any limit from 1 s at 200.
    """
    from patrolplan._pyvrp_engine import setup_seconds

    return (1.0 - _FIRST_SHARE) * time_limit >= setup_seconds(n_alternatives)


def _balanced(
    problem: WeekProblem,
    riders: Sequence[Rider],
    visits: Sequence[Visit],
    alts: Sequence[Any],
    first: Sequence[Any],
    solve: Callable[..., Any],
    by_day: Sequence[npt.NDArray[np.int64]],
    office: int,
    shares: _Shares,
    *,
    short: bool = False,
) -> Assigned:
    """Balanced mode: from the uncapped ``first`` plan, capped tries, then a search for fewer metres.

    Each capped try caps a route's metres near its day's average officer
    (:func:`_balance_caps`); its plan is kept when it makes as many visits and
    scores lower in metres plus the weighted officer imbalance. A last search
    caps each day at the kept plan's longest route that day and keeps what it
    finds if it rides less and scores lower, or the same with every officer
    who rode still riding (:func:`_rides_less`): at the default weight a day
    scores its officers times its longest route, so the metres under that
    route are free to shrink (200 courtyards, 5 s, six seeds: 43,374 m
    against 44,984 m). When the kept plan makes every visit, the last search
    requires them all, which PyVRP searches about twice as fast (it skips its
    moves that insert or remove an optional visit). A week ``short`` of
    search gives its tries less time and the last search more
    (:data:`_TRIES_SHARE`).
    """
    matrix = problem.matrix
    n_days = len(problem.duty_dates)
    weight = problem.options.balance_weight
    kept = _share_trips(problem, riders, repairs.repair(problem, riders, visits, alts, first))
    trip_cost = _trip_cost(alts, by_day, office)
    warm_balanced = [(r.vehicle, [a for a, _t in r.stops]) for r in first]
    idle = _idle_officers(first, riders, n_days)
    # two capped tries: idle officers given a share of their day's work, then the common cap alone
    tries: list[dict[int, set[str]]] = [idle, {}] if idle else [{}]
    best = _balance_score(problem, riders, kept, weight)
    room = 1.0
    tries_share = _SHORT_TRIES_SHARE if short else _TRIES_SHARE
    for shared in tries:
        settled = _settle_days(first, alts, riders, set(shared))
        second = solve(
            alternatives=settled,
            max_distance=_balance_caps(
                first, settled, by_day, office, riders, n_days, weight, idle=shared, trip_cost=trip_cost, room=room
            ),
            time_limit=shares.take(tries_share / len(tries)),
            warm=warm_balanced,
            trip_costs=_later_trip_costs(riders, trip_cost),
        )
        balanced = _share_trips(problem, riders, repairs.repair(problem, riders, visits, alts, second))
        score = _balance_score(problem, riders, balanced, weight)
        # balance never costs a visit, and a capped search cut short may do worse than the plan it began from
        if _stops(balanced) >= _stops(kept) and score < best:
            kept, best = balanced, score
        else:
            room += _ROOM_STEP  # caps that cost visits, or metres, leave more room on the next try
    # the same longest route each day, fewer metres: a search capped at each day's longest route
    # a kept plan that makes every visit holds them all under these caps: require them (a faster search)
    tightened = solve(
        alternatives=alts,
        max_distance=_day_longest(problem, riders, kept, by_day, office),
        time_limit=shares.take(1 - _FIRST_SHARE - tries_share),
        warm=_as_alternatives(kept, alts, riders, matrix.index),
        trip_costs=_later_trip_costs(riders, trip_cost),
        required=_made(kept) >= {alt.visit for alt in alts},
    )
    shorter = _share_trips(problem, riders, repairs.repair(problem, riders, visits, alts, tightened))
    return shorter if _rides_less(problem, riders, kept, shorter) else kept


def _rides_less(problem: WeekProblem, riders: Sequence[Rider], kept: Assigned, shorter: Assigned) -> bool:
    """Whether the last balanced search's plan ``shorter`` replaces ``kept``.

    It must make as many visits, ride fewer metres and score lower; on a tie
    in the score it must also leave no officer idle who rode. An idle officer
    counts as riding 0 m in the score, so a lower score pays for one; but at
    the default weight an officer sent home under the same longest routes
    leaves the score as it was, and fewer metres alone do not pay for that.
    While the rule held for every plan, the 1,000-courtyard street network
    (seed 1, 5 s) kept a plan of 626,914 m and 885,600 by the score over one
    of 595,256 m and 868,944 that left two of 72 officer-days idle.
    """
    weight = problem.options.balance_weight
    loads, kept_loads = repairs.officer_loads(problem, riders, shorter), repairs.officer_loads(problem, riders, kept)
    metres, kept_metres = sum(loads.values()), sum(kept_loads.values())
    score, best = metres + weight * _imbalance(loads), kept_metres + weight * _imbalance(kept_loads)
    riding = all(a >= b for a, b in zip(_riding(riders, shorter), _riding(riders, kept), strict=True))
    return _stops(shorter) >= _stops(kept) and metres < kept_metres and (score < best or (score == best and riding))


def _stops(plans: Assigned) -> int:
    return sum(len(stops) for stops, _end in plans.values())


def _made(plans: Assigned) -> set[int]:
    """The visits ``plans`` make (visit indices)."""
    return {v for stops, _end in plans.values() for v, _gate, _t in stops}


# the balanced mode's shares of the limit (:func:`_balanced`): the first plan, the capped tries
# (together), and what is left to the last search, which keeps each day's longest route and
# rides less. A week short of search (searched in halves: 1,000 courtyards up to 10 s, 200 at
# 1 s) gives its tries only enough to repair the first plan under their caps, and the last
# search the rest: 1,000 courtyards, 5 s, seeds 0-2, 379,566 m and 587,747 by the score
# against 385,802 and 590,513 with 0.35 for the tries (the street network: 590,663 and 842,896
# against 602,667 and 846,328); 200 courtyards at 1 s, six seeds: 55,334 against 55,961 by the
# score. Where the search is not short the tries need their time: 200 courtyards at 5 s scored
# 55,838 with 0.05 against 54,980 with 0.35.
_FIRST_SHARE = 0.5
_TRIES_SHARE = 0.35
_SHORT_TRIES_SHARE = 0.05


def _riding(riders: Sequence[Rider], plans: Assigned) -> list[int]:
    """How many officers ride on each duty day."""
    days = sorted({r.day_index for r in riders})
    return [len({riders[k].officer for k in plans if riders[k].day_index == d}) for d in days]


def _day_longest(
    problem: WeekProblem,
    riders: Sequence[Rider],
    plans: Assigned,
    by_day: Sequence[npt.NDArray[np.int64]],
    office: int,
) -> list[int]:
    """Each duty day's longest route, in the metres the engine rides by (``by_day``, rotation included)."""
    matrix = problem.matrix
    longest = [0] * len(by_day)
    for k, (stops, _end) in plans.items():
        day = riders[k].day_index
        longest[day] = max(longest[day], repairs.ridden(by_day[day], repairs.route_rows(matrix, office, stops)))
    return longest


def _balance_score(problem: WeekProblem, riders: Sequence[Rider], plans: Assigned, weight: float) -> float:
    """Metres plus ``weight`` times the officer imbalance: :func:`_score`'s measure, on routes not yet finished."""
    loads = repairs.officer_loads(problem, riders, plans)
    return sum(loads.values()) + weight * _imbalance(loads)


def _as_alternatives(
    plans: Assigned, alts: Sequence[Any], riders: Sequence[Rider], row_of: Callable[[int], int]
) -> list[tuple[int, list[int]]]:
    """Routes by visit and gate, as PyVRP alternatives: (rider index, alternative indices)."""
    index: dict[tuple[int, int, int | None], list[int]] = {}
    for i, a in enumerate(alts):
        index.setdefault((a.visit, a.site, a.day), []).append(i)

    def pick(v: int, gate: int, day: int, arrive: int) -> int | None:
        found = index.get((v, row_of(gate), day)) or index.get((v, row_of(gate), None))
        if not found:
            return None
        # the alternative whose time window holds the start's arrival (there is one per window)
        return next((i for i in found if alts[i].tw is None or alts[i].tw[0] <= arrive <= alts[i].tw[1]), found[0])

    out: list[tuple[int, list[int]]] = []
    for k, (stops, _end) in sorted(plans.items()):
        picked = [pick(v, gate, riders[k].day_index, t) for v, gate, t in stops]
        out.append((k, [i for i in picked if i is not None]))
    return out


def _share_trips(problem: WeekProblem, riders: Sequence[Rider], plans: Assigned) -> Assigned:
    """Give a day's trips to its officers so that each rides about as far as the others.

    PyVRP's vehicles of one (day, shift) are interchangeable, so which officer rides which
    trip is ours to choose: the longest trip first, each to the officer with the least so far
    who is free in that shift.
    """
    matrix = problem.matrix
    office = matrix.index(problem.district.office)

    def metres(stops: list[tuple[int, int, int]]) -> int:
        return repairs.ridden(matrix.metres, repairs.route_rows(matrix, office, stops))

    out: Assigned = {}
    for day in sorted({r.day_index for r in riders}):
        trips = sorted(
            ((metres(plans[k][0]), k) for k in plans if riders[k].day_index == day),
            key=lambda t: (-t[0], t[1]),
        )
        load = {r.officer: 0 for r in riders if r.day_index == day}
        free = [k for k, r in enumerate(riders) if r.day_index == day]
        for length, k in trips:
            same_shift = [j for j in free if riders[j].shift == riders[k].shift]
            target = min(same_shift, key=lambda j: (load[riders[j].officer], riders[j].slot))
            free.remove(target)
            load[riders[target].officer] += length
            out[target] = plans[k]
    return out


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _idle_officers(routes: Sequence[Any], riders: Sequence[Rider], n_days: int) -> dict[int, set[str]]:
    """The officers the engine's routes leave riding nothing, by day, on days when someone else rides."""
    riding: dict[int, set[str]] = {d: set() for d in range(n_days)}
    for route in routes:
        riding[riders[route.vehicle].day_index].add(riders[route.vehicle].officer)
    officers = {d: {r.officer for r in riders if r.day_index == d} for d in range(n_days)}
    return {d: officers[d] - riding[d] for d in range(n_days) if riding[d] and riding[d] != officers[d]}


def _settle_days(routes: Sequence[Any], alts: Sequence[Any], riders: Sequence[Rider], days: set[int]) -> list[Any]:
    """The alternatives, with each free visit routed on one of ``days`` pinned to that day.

    The balancing search then shares out that day's own work among its
    officers: with the day settled, its cap (:func:`_balance_caps`) fits the
    work it has, and the search cannot meet the cap by moving the day's
    visits to another day (leaving an officer idle again).
    """
    day_of = {alts[a].visit: riders[route.vehicle].day_index for route in routes for a, _t in route.stops}
    return [
        replace(alt, day=day_of[alt.visit]) if alt.day is None and day_of.get(alt.visit) in days else alt
        for alt in alts
    ]


def _trip_cost(alts: Sequence[Any], by_day: Sequence[npt.NDArray[np.int64]], office: int) -> int:
    """What one more trip costs: the median ride out to a visit and back to the office."""
    trips = [int(by_day[0][office, a.site] + by_day[0][a.site, office]) for a in alts]
    return int(np.median(trips)) if trips else 0


def _later_trip_costs(riders: Sequence[Rider], cost: int) -> list[int]:
    """Per rider: ``cost`` for an officer's later shifts of a day, nothing for the first.

    Under a day's cap the search would rather ride more, shorter trips (each
    from and back to the office) than give the work to an idle officer; a
    second trip of the same officer's day costs it a trip, so it shares the
    day among the officers first.
    """
    first: dict[tuple[int, str], int] = {}
    for k, rider in enumerate(riders):
        key = (rider.day_index, rider.officer)
        if key not in first or rider.start_s < riders[first[key]].start_s:
            first[key] = k
    return [0 if first[(r.day_index, r.officer)] == k else cost for k, r in enumerate(riders)]


# what a balance cap gains above the longest out-and-back trip after a capped try lost visits (:func:`_balance_caps`)
_ROOM_STEP = 0.1


def _balance_caps(
    routes: Sequence[Any],
    alts: Sequence[Any],
    by_day: Sequence[npt.NDArray[np.int64]],
    office: int,
    riders: Sequence[Rider],
    n_days: int,
    weight: float,
    *,
    idle: Mapping[int, set[str]],
    trip_cost: int,
    room: float = 1.0,
) -> list[int]:
    """Caps on a route's metres: the busiest day's average route plus a margin; idle days their own.

    The margin shrinks with the weight, and a cap is never below the longest
    out-and-back trip to a visit that day may make. Busy days share one cap,
    not each day's own: a quiet day's tighter cap made the capped search
    leave routes over their shift or ride far more (measured at 200
    courtyards, 5 s: 49,879 m with per-day caps, 41,664 m with one cap,
    against 41,509 m unbalanced). A day in ``idle`` (day: the officers it left riding nothing) gets
    its own cap instead, the day's work (plus a ride out and back for each
    idle officer) shared among its officers, so that every officer rides:
    under the common cap the default week's Wednesday fitted one trip of
    3.2 km, and the other officer rode nothing. :func:`_share_trips` then gives
    the day's trips to its officers.

    No cap is below ``room`` times the longest out-and-back trip: 1 on the
    first try, :data:`_ROOM_STEP` more after a try that was not kept. On a week
    of long reach (1,000 courtyards, 20 officers a day, where that trip is
    above the average route) a cap of the trip itself left the route to the
    far end no visit on its way, and the capped tries lost visits on every
    seed (the unbalanced plan was kept, longest route 11,216 m); with 10 %
    room (and room made for pinned visits, :func:`repairs.swap_in`) a balanced plan
    was kept on all six, longest routes 9,891-10,394 m. Where the trip itself
    holds, it evens the officers more (a 180-courtyard strip with ten officers
    a day: 193,680 against 209,930).
    """
    totals = [0] * n_days
    longest_trip = [0] * n_days
    for route in routes:
        day = riders[route.vehicle].day_index
        sites = [office] + [alts[a].site for a, _t in route.stops] + [office]
        totals[day] += int(sum(by_day[day][a, b] for a, b in itertools.pairwise(sites)))
    for alt in alts:
        for day in range(n_days) if alt.day is None else (alt.day,):
            trip = int(by_day[day][office, alt.site] + by_day[day][alt.site, office])
            longest_trip[day] = max(longest_trip[day], trip)
    # a day's work is shared by its officers (each rides one trip per shift)
    officers = [{r.officer for r in riders if r.day_index == d} for d in range(n_days)]
    margin = 1.0 + 0.25 / max(weight, 0.01)
    share = [margin * totals[d] / max(1, len(officers[d])) for d in range(n_days)]
    common = max(math.ceil(max(room * longest_trip[d], share[d])) for d in range(n_days))
    caps = [common] * n_days
    for d, idle_officers in idle.items():
        extra = trip_cost * len(idle_officers)
        caps[d] = max(math.ceil(room * longest_trip[d]), math.ceil(margin * (totals[d] + extra) / len(officers[d])))
    return caps


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
