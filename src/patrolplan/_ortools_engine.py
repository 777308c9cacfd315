"""The OR-Tools engine: the week as one routing model, solved by cheapest insertion and greedy descent.

It serves ``engine="ortools"``, gives the PyVRP engine its start (the first
solution only, ``first_only``, and without windows and lunch, ``relaxed``),
and on small weeks with windows or lunch runs beside PyVRP (see ``routing``).
OR-Tools is used through ``ortools.constraint_solver.pywrapcp`` (the released
wheel has no ``ortools.routing``), with matrices registered, not callbacks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from patrolplan._week_model import Assigned, Nodes, Rider, Visit, nodes_by_visit, rotation_surcharge
from patrolplan.errors import InfeasibleWeekError
from patrolplan.matrix import UNREACHABLE
from patrolplan.problem import WeekProblem
from patrolplan.week import Shift

DROP_PENALTY = 10_000_000  # metres-equivalent: a visit is dropped only when it cannot fit


def search_params(time_limit: float, *, first_only: bool) -> Any:
    """OR-Tools search: parallel cheapest insertion, then (unless ``first_only``) greedy descent.

    Both end by themselves, so the same model gives the same routes on any
    machine; the time limit only caps them. (Guided local search would improve
    further but stops by the clock, which does not repeat: PyVRP improves the
    routes where the week's rules fit it, OR-Tools' descent where they do not.)
    """
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    if first_only:
        params.solution_limit = 1
    params.time_limit.FromMilliseconds(max(50, int(time_limit * 1000)))
    params.log_search = False
    return params


def solve_ortools(
    problem: WeekProblem,
    riders: Sequence[Rider],
    visits: Sequence[Visit],
    impossible: Mapping[int, str],
    nodes: Nodes,
    *,
    time_limit: float,
    first_only: bool = False,
    relaxed: bool = False,
) -> Assigned:
    """Solve with OR-Tools; ``first_only`` stops at the first solution (a warm start for PyVRP).

    ``relaxed`` leaves out time windows and the lunch break (each rider has its
    working time, from a clock that starts at 0): a start for PyVRP, which then
    keeps those rules itself, found several times faster; its times are not the plan's.
    """
    node_site, node_visit, secs, metres, dwell = nodes.site, nodes.visit, nodes.secs, nodes.metres, nodes.dwell
    n_nodes = len(node_site)
    matrix = problem.matrix
    manager = pywrapcp.RoutingIndexManager(n_nodes, len(riders), 0)
    routing = pywrapcp.RoutingModel(manager)
    big = int(UNREACHABLE)
    safe_secs = np.where(secs >= UNREACHABLE, big, secs)
    safe_metres = np.where(metres >= UNREACHABLE, big, metres)

    # arc costs: metres, with a rotation surcharge per weekday
    weight = problem.options.rotation_weight
    cost_index: dict[int, int] = {}
    base_cost = routing.RegisterTransitMatrix(safe_metres.tolist())
    sites = [problem.district.office] + [matrix.sites[i] for i in node_site[1:]]
    for d, date in enumerate(problem.duty_dates):
        surcharge = rotation_surcharge(problem, sites, date.weekday(), date)
        cost_index[d] = (
            base_cost
            if surcharge is None
            else routing.RegisterTransitMatrix((safe_metres + np.rint(weight * surcharge).astype(np.int64)).tolist())
        )
    if len(set(cost_index.values())) == 1:
        routing.SetArcCostEvaluatorOfAllVehicles(base_cost)
    else:
        for k, rider in enumerate(riders):
            routing.SetArcCostEvaluatorOfVehicle(cost_index[rider.day_index], k)

    # time: riding + dwell at the node left. Waiting only ever helps to meet a time window
    # or to wait out lunch; without either, each rider's clock starts at 0 at the start of
    # its shift and runs to the shift's length, which keeps the search (cheapest insertion
    # above all) several times faster than absolute times with fixed starts.
    time_cb = routing.RegisterTransitMatrix((safe_secs + dwell[:, None]).tolist())
    waits = not relaxed and (any(v.windows for v in visits) or any(r.gaps for r in riders))
    if waits:
        day_end = max(r.end_s for r in riders)
        routing.AddDimension(time_cb, day_end, day_end, False, "Time")
    else:
        working = [r.end_s - r.start_s - sum(b - a for a, b in r.gaps) for r in riders]
        routing.AddDimensionWithVehicleCapacity(time_cb, 0, working, True, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    offset = [0 if waits else r.start_s for r in riders]  # clock time = cumul + offset
    if waits:
        for k, rider in enumerate(riders):
            time_dim.CumulVar(routing.Start(k)).SetRange(rider.start_s, rider.start_s)
            time_dim.CumulVar(routing.End(k)).SetRange(rider.start_s, rider.end_s)
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(k)))

    shift_list: list[Shift] = sorted(problem.options.shifts, key=lambda s: s.start)
    nodes_of = nodes_by_visit(node_visit)
    for v, visit in enumerate(visits):
        gate_nodes = nodes_of.get(v, [])
        indices = [manager.NodeToIndex(i) for i in gate_nodes]
        allowed_riders = [k for k, r in enumerate(riders) if r.day_index in visit.days]
        for index, node in zip(indices, gate_nodes, strict=True):
            if v in impossible or not allowed_riders:
                routing.solver().Add(routing.ActiveVar(index) == 0)
                continue
            if len(allowed_riders) < len(riders):
                routing.VehicleVar(index).SetValues([-1, *allowed_riders])
            if waits:  # (otherwise each route fits its own shift, which is all the shifts ask)
                forbid_outside_shifts(time_dim.CumulVar(index), int(dwell[node]), shift_list, visit.windows)
        routing.AddDisjunction(indices, DROP_PENALTY, 1)

    # balance: each route's metres softly capped near the day's average. Not in a start for PyVRP,
    # whose first search does not balance: on an over-full week (1,000 street courtyards, 20
    # officers a day, 5 s) the soft caps made the insertion slow (8.0 s in all against 3.9 s
    # without them), and on the benchmark's weeks the start was the same without them
    if problem.options.balance_weight > 0 and len(riders) > 1 and not first_only:
        routing.AddDimension(base_cost, 0, 10**8, True, "Distance")
        dist_dim = routing.GetDimensionOrDie("Distance")
        target = balance_target(visits, safe_metres, node_visit, riders)
        coeff = max(1, round(problem.options.balance_weight))
        for k in range(len(riders)):
            dist_dim.SetCumulVarSoftUpperBound(routing.End(k), target, coeff)

    solution = routing.SolveWithParameters(search_params(time_limit, first_only=first_only))
    if solution is None:
        msg = (
            f"week {problem.week}: the routing solver found no plan within {time_limit:g} s "
            f"({len(visits)} visits, {len(riders)} rider-days); give more time or fewer visits"
        )
        raise InfeasibleWeekError(msg, items=[str(problem.week)])
    out: Assigned = {}
    for k in range(len(riders)):
        index = solution.Value(routing.NextVar(routing.Start(k)))
        stops: list[tuple[int, int, int]] = []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            arrive = offset[k] + solution.Value(time_dim.CumulVar(index))
            stops.append((node_visit[node], matrix.sites[node_site[node]], arrive))
            index = solution.Value(routing.NextVar(index))
        if stops:
            out[k] = (stops, offset[k] + solution.Value(time_dim.CumulVar(index)))
    return out


def forbid_outside_shifts(cumul: Any, dwell: int, shifts: Sequence[Shift], windows: Sequence[tuple[int, int]]) -> None:
    """A visit starts inside a shift and ends before that shift ends (and within its time windows)."""
    first, last = shifts[0].start_s, shifts[-1].end_s
    cumul.SetRange(first, max(first, last - dwell))
    for a, b in itertools.pairwise(shifts):
        lo, hi = a.end_s - dwell + 1, b.start_s - 1
        if hi >= lo:
            cumul.RemoveInterval(max(lo, first), hi)
    if windows:
        lo = min(w[0] for w in windows)
        hi = max(w[1] for w in windows)
        cumul.SetRange(max(lo, first), min(hi, last))
        ordered = sorted(windows)
        for (_, end_a), (start_b, _) in itertools.pairwise(ordered):
            if start_b - 1 >= end_a + 1:
                cumul.RemoveInterval(end_a + 1, start_b - 1)


def balance_target(
    visits: Sequence[Visit], metres: npt.NDArray[np.int64], node_visit: Sequence[int], riders: Sequence[Rider]
) -> int:
    """A per-route metres target: an estimate of the average route, plus a margin.

    The estimate is the round trip to each visit's nearest neighbour, summed
    and shared among the riders (a cheap lower-bound-like figure).
    """
    n = len(node_visit)
    if n <= 1:
        return 0
    masked = metres.astype(float)
    same = np.asarray(node_visit)[:, None] == np.asarray(node_visit)[None, :]  # a visit's own gates (and self)
    masked[same] = np.inf
    nearest = masked.min(axis=1)
    per_visit: dict[int, float] = {}
    for i in range(1, n):
        per_visit[node_visit[i]] = min(per_visit.get(node_visit[i], math.inf), float(nearest[i]))
    total = sum(v for v in per_visit.values() if math.isfinite(v)) + 2 * float(np.median(metres[0, 1:]))
    return int(1.15 * total / max(1, len(riders)))
