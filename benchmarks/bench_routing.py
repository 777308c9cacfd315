"""Patrol routes against the peers (protocol: ../shared/BENCHMARKS.md), distance mode.

Same integer matrices for all; every result scored by one checker (sum of matrix
metres along each route). Hot spots get one visit per duty day pinned to it;
other courtyards one visit on any day; dwell 5 min (hot spots 13 min); one 3-h
shift; 3 duty days. Single run per cell (not the median of 3: time was short).

Run: ``PYTHONPATH=src python benchmarks/bench_routing.py [--budgets 1 5] [--sizes 40 200]``
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pyvrp
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pyvrp.stop import MaxRuntime

from patrolplan.district import District, load_district
from patrolplan.options import PlanOptions
from patrolplan.problem import WeekProblem
from patrolplan.routing import plan_routes
from patrolplan.staff import Role, Staff, StaffMember
from patrolplan.week import Shift

SHIFT = Shift.parse("am", "09:00", "12:00")


def instance(n: int) -> District:
    if n == 40:
        return load_district()
    rng = np.random.default_rng(n)
    scale = math.sqrt(n / 40)
    xy = np.column_stack([rng.uniform(0, 1800 * scale, n + 1), rng.uniform(0, 360 * scale, n + 1)])
    xy[0] = (900 * scale, 180 * scale)
    d = District.from_points(xy, speed_mps=4.0)
    yards = list(d.courtyards)
    import dataclasses

    for i in range(0, n, 10):
        yards[i] = dataclasses.replace(yards[i], hot_spot=True)
    return d.with_courtyards(yards)


def problem_for(d: District, per_day: int) -> WeekProblem:
    ids = [f"P{k}" for k in range(per_day)]
    staff = Staff(tuple(StaffMember(i, i, frozenset({Role.PATROL})) for i in ids))
    opts = PlanOptions(
        shifts=(SHIFT,), officers_per_day=per_day, specialists_per_day=0, desks_per_day=0,
        balance_weight=0, rotation_weight=0,
    )  # fmt: skip
    return WeekProblem(d, staff, "2026-W49", options=opts)


def visits(p: WeekProblem) -> list[tuple[int, int | None, int]]:
    """(matrix row of the first gate, pinned day or None, dwell)."""
    m = p.matrix
    out = []
    for y in p.courtyards:
        row = m.index(y.gates[0])
        if y.hot_spot:
            out += [(row, d, p.dwell_s(y)) for d in range(len(p.duty_dates))]
        else:
            out.append((row, None, p.dwell_s(y)))
    return out


def score(p: WeekProblem, routes: list[list[int]]) -> tuple[int, int]:
    m = p.matrix.metres
    o = p.matrix.index(p.district.office)
    lens = [int(sum(m[a, b] for a, b in zip([o, *r], [*r, o], strict=True))) for r in routes if r]
    return sum(lens), max(lens, default=0)


def plain_pyvrp(p: WeekProblem, per_day: int, budget: float) -> list[list[int]]:
    t0 = time.perf_counter()
    vs = visits(p)
    nd = len(p.duty_dates)
    o = p.matrix.index(p.district.office)
    rows = [o] + [v[0] for v in vs]
    idx = np.array(rows)
    dist = p.matrix.metres[np.ix_(idx, idx)].astype(np.int64)
    dur = p.matrix.seconds[np.ix_(idx, idx)].astype(np.int64)
    clients = []
    for _row, day, dwell in vs:
        deliv = [0] * nd
        if day is not None:
            deliv[day] = 1
        clients.append(pyvrp.Client(location=len(clients) + 1, delivery=deliv, service_duration=dwell))
    types = []
    for d in range(nd):
        cap = [0] * nd
        cap[d] = len(vs)
        types.append(pyvrp.VehicleType(num_available=per_day, capacity=cap, shift_duration=SHIFT.seconds))
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(0, 0) for _ in rows], clients=clients, depots=[pyvrp.Depot(0)],
        vehicle_types=types, distance_matrices=[dist], duration_matrices=[dur],
    )  # fmt: skip
    left = max(0.05, budget - (time.perf_counter() - t0))
    res = pyvrp.solve(data, stop=MaxRuntime(left), seed=0, display=False)
    return (
        [[rows[act.idx] for act in r.schedule() if act.is_client()] for r in res.best.routes()]
        if res.best.is_feasible()
        else []
    )


def plain_ortools(p: WeekProblem, per_day: int, budget: float) -> list[list[int]]:
    t0 = time.perf_counter()
    vs = visits(p)
    nd = len(p.duty_dates)
    o = p.matrix.index(p.district.office)
    rows = [o] + [v[0] for v in vs]
    idx = np.array(rows)
    dist = p.matrix.metres[np.ix_(idx, idx)].astype(np.int64)
    dwell = np.array([0] + [v[2] for v in vs])
    dur = p.matrix.seconds[np.ix_(idx, idx)].astype(np.int64) + dwell[:, None]
    nv = nd * per_day
    man = pywrapcp.RoutingIndexManager(len(rows), nv, 0)
    rt = pywrapcp.RoutingModel(man)
    rt.SetArcCostEvaluatorOfAllVehicles(rt.RegisterTransitMatrix(dist.tolist()))
    rt.AddDimension(rt.RegisterTransitMatrix(dur.tolist()), 0, SHIFT.seconds, True, "T")
    for i, (_r, day, _d) in enumerate(vs, start=1):
        if day is not None:
            rt.VehicleVar(man.NodeToIndex(i)).SetValues([-1, *range(day * per_day, (day + 1) * per_day)])
    prm = pywrapcp.DefaultRoutingSearchParameters()
    prm.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    prm.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    prm.time_limit.FromMilliseconds(int(1000 * max(0.05, budget - (time.perf_counter() - t0))))
    sol = rt.SolveWithParameters(prm)
    if sol is None:
        return []
    out = []
    for k in range(nv):
        i, r = sol.Value(rt.NextVar(rt.Start(k))), []
        while not rt.IsEnd(i):
            r.append(rows[man.IndexToNode(i)])
            i = sol.Value(rt.NextVar(i))
        out.append(r)
    return out


def ours(p: WeekProblem, per_day: int, budget: float, engine: str) -> list[list[int]]:
    officers = {d: [f"P{k}" for k in range(per_day)] for d in p.duty_dates}
    res = plan_routes(p, {}, officers, time_limit=budget, seed=0, engine=engine)
    m = p.matrix
    if res.dropped:
        return []
    return [[m.index(s.gate) for s in r.stops] for r in res.routes]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budgets", type=float, nargs="+", default=[1, 5])
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 200])
    a = ap.parse_args()
    print("| courtyards | solver | budget s | total m | longest m | wall s | ratio to PyVRP |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in a.sizes:
        per_day = {40: 2, 200: 4}.get(n, 20)
        p = problem_for(instance(n), per_day)
        for b in a.budgets:
            rows = []
            for name, fn in [
                ("PyVRP (plain)", lambda: plain_pyvrp(p, per_day, b)),
                ("OR-Tools (plain, PCA+GLS)", lambda: plain_ortools(p, per_day, b)),
                ("ours, PyVRP engine", lambda: ours(p, per_day, b, "pyvrp")),
                ("ours, OR-Tools engine", lambda: ours(p, per_day, b, "ortools")),
            ]:
                t = time.perf_counter()
                routes = fn()
                wall = time.perf_counter() - t
                total, longest = score(p, routes) if routes else (0, 0)
                rows.append((name, total, longest, wall))
            base = rows[0][1] or 1
            for name, total, longest, wall in rows:
                cell = f"{total:,}" if total else "infeasible/dropped"
                print(f"| {n} | {name} | {b:g} | {cell} | {longest:,} | {wall:.1f} | {total / base:.3f} |", flush=True)


if __name__ == "__main__":
    main()
