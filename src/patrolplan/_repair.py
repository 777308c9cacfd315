"""Repairs: an engine's routes made to hold on our own matrix, and visits put back where a route has room.

The engines solve on their own copies of the week; ``routing`` re-times every
route on our matrix (:func:`retime`). A route that no longer fits its shift or
its windows is shortened (:func:`repair`), and each visit it cut goes back at the
cheapest places of the routes of its days where the route still fits
(:func:`reinsert`, :func:`insert`), or takes the place of visits that can move
to another route (:func:`swap_in`). In balanced mode a visit goes where it adds
least to metres plus the weighted imbalance (:func:`added_score`). What fits
nowhere is reported as dropped by ``routing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from patrolplan._week_model import Assigned, Rider, Visit
from patrolplan.matrix import UNREACHABLE, TravelMatrix
from patrolplan.problem import WeekProblem
from patrolplan.week import Shift

DAY_S = 24 * 3600
# places tried on each rider for a visit a repair cut (:func:`reinsert`), and routes tried to swap it in
REINSERT_TRIES = 2
SWAP_ROUTES = 8
SWAP_VISITS = 8
SWAP_OUT = 3


def route_rows(matrix: TravelMatrix, office: int, stops: Sequence[tuple[int, int, int]]) -> npt.NDArray[np.int64]:
    """The matrix rows a route passes: the office (its row), each stop's gate, the office again."""
    return np.array([office, *(matrix.index(gate) for _v, gate, _t in stops), office], dtype=np.int64)


def ridden(metres: npt.NDArray[Any], rows: npt.NDArray[np.int64]) -> int:
    """The metres along ``rows`` (:func:`route_rows`) in ``metres``: our matrix, or a day's engine profile."""
    return int(metres[rows[:-1], rows[1:]].sum())


def repair(
    problem: WeekProblem, riders: Sequence[Rider], visits: Sequence[Visit], alts: Sequence[Any], routes: Sequence[Any]
) -> Assigned:
    """The engine's routes, repaired and re-timed on our own matrix.

    A short search may leave something broken: a stop on another day's rider or a second
    alternative of a visit already made is not kept; a route over its shift is shortened.
    What is cut goes back where another route has room (:func:`reinsert`); what still
    fits nowhere is reported as dropped by the caller.
    """
    matrix = problem.matrix
    out: Assigned = {}
    taken: set[int] = set()
    for route in routes:
        rider = riders[route.vehicle]
        seq: list[tuple[int, int]] = []
        for a, _arrive in route.stops:
            alt = alts[a]
            if alt.day in (None, rider.day_index) and alt.visit not in taken:
                taken.add(alt.visit)
                seq.append((alt.visit, matrix.sites[alt.site]))
        timed = retime(problem, visits, rider, seq)
        while seq and timed is None:
            cut, _gate = seq.pop()
            taken.discard(cut)
            timed = retime(problem, visits, rider, seq)
        if seq and timed is not None:
            out[route.vehicle] = timed
    missing = sorted({alt.visit for alt in alts} - taken)
    return reinsert(problem, riders, visits, out, missing) if missing else out


def reinsert(
    problem: WeekProblem, riders: Sequence[Rider], visits: Sequence[Visit], plans: Assigned, missing: Sequence[int]
) -> Assigned:
    """``plans`` with each of ``missing`` put where it adds least (:func:`insert`) and a route keeps its limits.

    A short or capped search can end with a route over its shift, and cutting
    its tail loses visits that other routes have room for: at 1,000
    courtyards, balanced, 2-8 visits of 1,200, and with them the whole
    balanced plan. A visit is tried on the riders of its days, at each of its
    gates, at the :data:`REINSERT_TRIES` cheapest places of each route (or on
    a rider with no route yet), the least added to the score first. Where none has time for
    it, another visit may step aside (:func:`swap_in`) when at most
    :data:`SWAP_VISITS` are missing (more is an over-full week, or a search
    cut very short, and the swaps would only cost time).
    """
    out = dict(plans)
    for v in missing:
        if not insert(problem, riders, visits, out, v) and len(missing) <= SWAP_VISITS:
            swap_in(problem, riders, visits, out, v)
    return out


def cheapest(problem: WeekProblem, stops: Sequence[tuple[int, int, int]], visit: Visit) -> list[tuple[int, int, int]]:
    """The :data:`REINSERT_TRIES` cheapest places for ``visit`` in a route, per gate.

    Each as (metres added, position, gate).
    """
    matrix = problem.matrix
    rows = route_rows(matrix, matrix.index(problem.district.office), stops)
    ahead, after = rows[:-1], rows[1:]
    out: list[tuple[int, int, int]] = []
    for gate in visit.gates:
        g = matrix.index(gate)
        added = np.minimum(matrix.metres[ahead, g] + matrix.metres[g, after] - matrix.metres[ahead, after], UNREACHABLE)
        out.extend((int(added[i]), int(i), gate) for i in np.argsort(added, kind="stable")[:REINSERT_TRIES])
    return out


def insert(problem: WeekProblem, riders: Sequence[Rider], visits: Sequence[Visit], plans: Assigned, v: int) -> bool:
    """Put visit ``v`` into ``plans`` at its cheapest place that keeps the route within its limits, if any.

    Cheapest by the planner's score (:func:`added_score`), then by metres.
    """
    room = [
        k
        for k, rider in enumerate(riders)
        if rider.day_index in visits[v].days and not full(visits, rider, plans.get(k), visits[v].dwell_s)
    ]
    if not room:
        return False
    weight = problem.options.balance_weight
    loads = officer_loads(problem, riders, plans) if weight else {}
    places = [
        (added_score(loads, riders[k], added, weight), added, k, i, gate)
        for k in room
        for added, i, gate in cheapest(problem, plans[k][0] if k in plans else [], visits[v])
    ]
    for _score_added, _added, k, i, gate in sorted(places):
        seq = [(x, g) for x, g, _t in plans[k][0]] if k in plans else []
        seq.insert(i, (v, gate))
        timed = retime(problem, visits, riders[k], seq)
        if timed is not None:
            plans[k] = timed
            return True
    return False


def officer_loads(problem: WeekProblem, riders: Sequence[Rider], plans: Assigned) -> dict[tuple[int, str], int]:
    """The metres each (day, officer) on duty rides in ``plans``; 0 for one who rides nothing."""
    matrix = problem.matrix
    office = matrix.index(problem.district.office)
    loads = {(r.day_index, r.officer): 0 for r in riders}
    for k, (stops, _end) in plans.items():
        loads[(riders[k].day_index, riders[k].officer)] += ridden(matrix.metres, route_rows(matrix, office, stops))
    return loads


def added_score(loads: Mapping[tuple[int, str], int], rider: Rider, added: int, weight: float) -> float:
    """What ``added`` metres on ``rider``'s route add to the score: metres plus ``weight`` times the imbalance.

    The day's imbalance grows by its officers times what the officer's new
    load passes the day's busiest by, less the metres added: at the default
    weight a visit costs nothing where it keeps the officer under the day's
    busiest, and in distance mode (weight 0, no ``loads`` needed) it costs its metres.
    """
    if not weight:
        return float(added)
    day = [m for (d, _o), m in loads.items() if d == rider.day_index]
    over = max(0, loads[(rider.day_index, rider.officer)] + added - max(day))
    return (1.0 - weight) * added + weight * len(day) * over


def full(
    visits: Sequence[Visit], rider: Rider, plan: tuple[list[tuple[int, int, int]], int] | None, dwell_s: int
) -> bool:
    """Whether a route surely has no time for ``dwell_s`` more: it never waits, and ends closer to its shift's end.

    (A route that waits, for a window or the break, may fit a visit in its
    wait; the second of slack covers travel times rounded to the second.)
    """
    if plan is None or rider.gaps or any(visits[x].windows for x, _gate, _t in plan[0]):
        return False
    return rider.end_s - plan[1] + 1 < dwell_s


def swap_in(problem: WeekProblem, riders: Sequence[Rider], visits: Sequence[Visit], plans: Assigned, v: int) -> bool:
    """Make room for visit ``v``: visits that may go on another day leave a route near ``v`` for other routes.

    At 1,000 courtyards, balanced, the visits still missing after
    :func:`insert` were 13-minute hot spots pinned to a day whose routes near
    them had no time left, while other days had room. The :data:`SWAP_ROUTES`
    routes where ``v`` adds the fewest metres are tried; from each, the
    visits of more than one day nearest ``v`` leave, one more at a time (up to
    :data:`SWAP_OUT`), until ``v`` fits; it is kept if they all fit elsewhere.
    """
    matrix = problem.matrix
    here = matrix.index(visits[v].gates[0])
    near = sorted(
        (min(added for added, _i, _gate in cheapest(problem, plans[k][0], visits[v])), k)
        for k in plans
        if riders[k].day_index in visits[v].days
    )
    for _added, k in near[:SWAP_ROUTES]:
        stops = plans[k][0]
        movable = sorted(
            (int(matrix.metres[matrix.index(gate), here]), u) for u, gate, _t in stops if len(visits[u].days) > 1
        )
        for n_out in range(1, min(SWAP_OUT, len(movable)) + 1):
            leaving = {u for _m, u in movable[:n_out]}
            kept = [s for s in stops if s[0] not in leaving]
            rest = [(x, g) for x, g, _t in kept]
            fitted = (
                retime(problem, visits, riders[k], [*rest[:i], (v, gate), *rest[i:]])
                for _a, i, gate in sorted(cheapest(problem, kept, visits[v]))
            )
            timed = next((t for t in fitted if t is not None), None)
            if timed is None:
                continue
            trial = {**plans, k: timed}
            if all(insert(problem, riders, visits, trial, u) for u in sorted(leaving)):
                plans.update(trial)
                return True
            break
    return False


def retime(
    problem: WeekProblem, visits: Sequence[Visit], rider: Rider, seq: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int, int, int]], int] | None:
    """Earliest arrival times along ``seq`` from the rider's start; ``None`` if the route breaks a limit.

    The routes are re-timed on our own matrix, so what the plan shows is
    exactly what the checker verifies, whatever the engine reported.
    """
    matrix = problem.matrix
    office = matrix.index(problem.district.office)
    t, prev = rider.start_s, office
    stops: list[tuple[int, int, int]] = []
    shifts = problem.options.shifts if rider.gaps else ()
    for v, gate in seq:
        row = matrix.index(gate)
        t += int(matrix.seconds[prev, row])
        starts = start_windows(visits[v], shifts)
        if starts:
            fit = next((lo for lo, hi in starts if hi >= t), None)
            if fit is None:
                return None
            t = max(t, fit)
        stops.append((v, gate, t))
        t += visits[v].dwell_s
        prev = row
    t += int(matrix.seconds[prev, office])
    return (stops, t) if t <= rider.end_s else None


def start_windows(visit: Visit, shifts: Sequence[Shift]) -> tuple[tuple[int, int], ...]:
    """When the visit may start, as sorted (earliest, latest) seconds of the day; () when at any time.

    Its time windows; and with ``shifts`` (a route that waits out the break
    between them) only inside a shift, early enough to end before that shift
    ends. Empty intersections are left out, so a visit whose windows all fall
    outside the shifts has none at all (``((0, -1),)``: it cannot be made).
    """
    windows = visit.windows or ((0, DAY_S),)
    if not shifts:
        return tuple(sorted(visit.windows))
    inside = ((max(lo, s.start_s), min(hi, s.end_s - visit.dwell_s)) for lo, hi in windows for s in shifts)
    fits = tuple(sorted(w for w in inside if w[0] <= w[1]))
    return fits or ((0, -1),)


def can_start(visit: Visit, rider: Rider, shifts: Sequence[Shift]) -> bool:
    """Whether one of the visit's start windows leaves the rider time to make it (riding aside)."""
    starts = start_windows(visit, shifts if rider.gaps else ()) or ((0, DAY_S),)
    return any(max(lo, rider.start_s) <= min(hi, rider.end_s - visit.dwell_s) for lo, hi in starts)
