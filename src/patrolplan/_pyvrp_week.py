"""The week solved with PyVRP: one search, or balanced mode's capped tries and last search.

:func:`solve_week` turns the week into PyVRP's alternatives (a visit is one
alternative per gate, day and start window), hands them to ``_pyvrp_engine``,
and brings the routes back on our own matrix (``_repair``). With a balance
weight and time enough (:func:`_balance_fits`), balanced mode runs: the
uncapped plan first, then tries with each route's metres capped near its day's
average officer (:func:`_balance_caps`), then a last search capped at each
day's longest route that keeps those routes and rides less. Plans are kept by
the planner's own score, metres plus the weighted officer imbalance
(:func:`balance_score`). :class:`Shares` gives each of these solves its share
of the time limit.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from patrolplan import _repair as repairs
from patrolplan._week_model import Assigned, Rider, Visit, imbalance, rotation_surcharge
from patrolplan.matrix import UNREACHABLE
from patrolplan.problem import WeekProblem

# by the clock (not repeatable), the least time a solve gets
LEAST_SOLVE_S = 0.05


def solve_week(
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
    shares = Shares(time_limit, None if repeatable else time.perf_counter() + time_limit)
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
class Shares:
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
        return max(LEAST_SOLVE_S, seconds)


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
    shares: Shares,
    *,
    short: bool = False,
) -> Assigned:
    """Balanced mode: from the uncapped ``first`` plan, capped tries, then a search for fewer metres.

    Each capped try caps a route's metres near its day's average officer
    (:func:`_balance_caps`); its plan is kept when it makes as many visits and
    scores lower in metres plus the weighted officer imbalance. A last search
    caps each day at the kept plan's longest route that day and keeps what it
    finds if it rides less and scores lower, or the same with every officer
    who rode still riding (:func:`rides_less`): at the default weight a day
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
    idle = _idle_in(riders, (route.vehicle for route in first))
    # two capped tries: idle officers given a share of their day's work, then the common cap alone
    # (or, when the first try's plan was kept and leaves someone idle again, :func:`_idle_again`)
    n_tries = 2 if idle else 1
    best = balance_score(problem, riders, kept, weight)
    room = 1.0
    tries_share = _SHORT_TRIES_SHARE if short else _TRIES_SHARE
    shared = idle
    for _attempt in range(n_tries):
        settled = _settle_days(first, alts, riders, set(shared))
        second = solve(
            alternatives=settled,
            max_distance=_balance_caps(
                first, settled, by_day, office, riders, n_days, weight, idle=shared, trip_cost=trip_cost, room=room
            ),
            time_limit=shares.take(tries_share / n_tries),
            warm=warm_balanced,
            trip_costs=_later_trip_costs(riders, trip_cost),
        )
        balanced = _share_trips(problem, riders, repairs.repair(problem, riders, visits, alts, second))
        score = balance_score(problem, riders, balanced, weight)
        # balance never costs a visit, and a capped search cut short may do worse than the plan it began from
        if _stops(balanced) >= _stops(kept) and score < best:
            kept, best = balanced, score
            shared = _idle_again(shared, _idle_in(riders, kept))
        else:
            room += _ROOM_STEP  # caps that cost visits, or metres, leave more room on the next try
            shared = {}
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
    return shorter if rides_less(problem, riders, kept, shorter) else kept


def rides_less(problem: WeekProblem, riders: Sequence[Rider], kept: Assigned, shorter: Assigned) -> bool:
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
    score, best = metres + weight * imbalance(loads), kept_metres + weight * imbalance(kept_loads)
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


def balance_score(problem: WeekProblem, riders: Sequence[Rider], plans: Assigned, weight: float) -> float:
    """Metres plus ``weight`` times the officer imbalance: :func:`_score`'s measure, on routes not yet finished."""
    loads = repairs.officer_loads(problem, riders, plans)
    return sum(loads.values()) + weight * imbalance(loads)


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


def _idle_in(riders: Sequence[Rider], riding_riders: Iterable[int]) -> dict[int, set[str]]:
    """The officers left riding nothing when only ``riding_riders`` (rider indices) ride, by day, on days when
    someone else rides."""
    riding: dict[int, set[str]] = {}
    for k in riding_riders:
        riding.setdefault(riders[k].day_index, set()).add(riders[k].officer)
    officers: dict[int, set[str]] = {}
    for rider in riders:
        officers.setdefault(rider.day_index, set()).add(rider.officer)
    return {d: officers[d] - ridden for d, ridden in riding.items() if ridden != officers[d]}


def _idle_again(idle: Mapping[int, set[str]], still: Mapping[int, set[str]]) -> dict[int, set[str]]:
    """The next capped try's idle days, after a kept try: none if its plan idles nobody, else ``idle`` and those.

    Under the common cap a try's plan can send an officer home on a day that
    had shared its work. In the routing tests' default week (3 s, seed 0;
    2026-12-06, once the search's neighbours left out clients pinned to other
    days) the first try shared Tuesday's and Wednesday's work out and left
    Thursday to one officer, and the common cap then left Wednesday to one
    (16,986 by the score). Giving every such day its own share, the first
    try's idle days included, made every officer ride (15,740).
    """
    if not still:
        return {}
    return {d: set(idle.get(d, set())) | set(still.get(d, set())) for d in sorted(set(idle) | set(still))}


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
