"""Patrol routes against the peers (protocol: ../shared/BENCHMARKS.md).

Every solver gets the same week: the same visits (``routing._visits``: a hot spot has
one visit per duty day pinned to that day, every other courtyard one visit on any
day), the same integer matrices (metres, seconds), dwell 5 min (hot spots 13 min),
3 duty days, one 3-h shift (09:00-12:00) per officer, ``K`` officers a day. For
fairness every courtyard has a single gate (its first); ours is also run on the
multi-gate district where it has a choice (an extra row, not in the ratio).

Every result is scored by ONE checker (:func:`check`): the sum of ``matrix.metres``
along each route (office -> stops -> office), the longest route, and the rules
(every visit exactly once, pinned visits on their day, each route within the shift);
violations are printed.

Solvers:

- ``PyVRP``: plain PyVRP 0.14 built from numpy matrices (``ProblemData``), one
  vehicle type per duty day, one load dimension per day (a pinned visit delivers 1
  in its day's dimension, only that day's vehicles have capacity there; a free visit
  delivers 0), shift as the vehicle time window, all visits required;
- ``OR-Tools``: the samples' defaults (PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH),
  registered matrices, a Time dimension (service time in the transit, the shift as
  capacity), ``VehicleVar(i).SetValues([-1, *day_vehicles])`` for pinned visits and a
  large-penalty disjunction per visit (so it always returns a plan; drops are
  reported as violations);
- ours: ``plan_routes(engine="pyvrp")`` in both modes (``repeatable=True``: fixed
  iteration budget, stops early; ``repeatable=False``: uses the whole budget), and
  ``engine="ortools"`` (greedy descent).

Instances (``--instances``): ``40`` (the embedded Tiexi district), ``200`` and ``1000``
(seeded random points, Euclidean), ``streets200`` and ``streets1000`` (a seeded Tiexi-like
street network, :func:`street_sites`: its matrix is the ride along the streets, one-way
stretches obeyed, so asymmetric) and ``haidian`` (the real Beijing extract).

The budget is wall time for building plus solving. Budgets below 30 s: median of
``--reps`` runs (total and wall medians taken separately); 30 s: one run. PyVRP's
``MaxRuntime`` gets what building its ``ProblemData`` left of the budget, but starts
counting only after ``pyvrp.solve`` has built its start, so at 1,000 courtyards it
overruns (1.4-2.0 s for 1 s); with ``--seeds``, ``--pyvrp-wall`` holds PyVRP to the
budget in wall time instead (:class:`WallDeadline`), as the protocol defines it.

Run::

    PYTHONPATH=src python benchmarks/bench_routing.py                      # all
    PYTHONPATH=src python benchmarks/bench_routing.py --instances 40 200 --budgets 1 5
    PYTHONPATH=src python benchmarks/bench_routing.py --instances 40 200 --budgets 5 --balanced
    PYTHONPATH=src python benchmarks/bench_routing.py --instances 200 1000 --budgets 30 --seeds 3
    PYTHONPATH=src python benchmarks/bench_routing.py --instances streets200 streets1000 --budgets 1 5 --seeds 9
    PYTHONPATH=src python benchmarks/bench_routing.py --instances streets1000 --budgets 1 5 --seeds 9 --pyvrp-wall
    PYTHONPATH=src python benchmarks/bench_routing.py --instances 200 1000 --budgets 5 --seeds 6 --balanced
    PYTHONPATH=src python benchmarks/bench_routing.py --instances 1000 --budgets 5 --seeds 6 --balanced --clock
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pyvrp.stop import MaxRuntime
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from patrolplan.district import District, district_from_file, load_district
from patrolplan.options import PlanOptions
from patrolplan.problem import WeekProblem
from patrolplan.routing import _visits, plan_routes
from patrolplan.staff import Role, Staff, StaffMember
from patrolplan.week import Shift

SHIFT = Shift.parse("am", "09:00", "12:00")
HAIDIAN = Path(__file__).resolve().parents[1] / "tests" / "data" / "beijing_haidian_cau.osm"
PENALTY = 10_000_000

# a route: (day index, [(matrix row, visit index), ...])
Routes = list[tuple[int, list[tuple[int, int]]]]


# ------------------------------------------------------------------ instances
def synthetic(n: int) -> District:
    """A seeded random narrow district: 1800·√(N/40) × 360·√(N/40) m, every 10th a hot spot."""
    rng = np.random.default_rng(n)
    scale = math.sqrt(n / 40)
    xy = np.column_stack([rng.uniform(0, 1800 * scale, n + 1), rng.uniform(0, 360 * scale, n + 1)])
    xy[0] = (900 * scale, 180 * scale)  # the office in the middle
    d = District.from_points(xy, speed_mps=4.0)
    yards = [dataclasses.replace(y, hot_spot=(i % 10 == 0)) for i, y in enumerate(d.courtyards)]
    return d.with_courtyards(yards)


def street_sites(n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """A seeded Tiexi-like street network of 1800·√(N/40) × 360·√(N/40) m; its sites' matrix (metres) and points.

    As the report's Tiexi, repeated north to south: east–west roads (two-way) at
    the edges and through the middle of every 360 m band, so about every 180 m;
    north–south lanes every 70–160 m between them, of which 15 % of the
    stretches between two roads are missing (gaps), 10 % are dead-end alleys
    that reach 45–65 % of the way and 20 % one-way. The edge lanes are whole
    and two-way, so every site reaches every other. Site 0 (the office) lies on
    the middle road at mid-width; each other site (a courtyard's gate) lies at a
    seeded random point, joined by its own driveway to the nearest street. The
    matrix is the shortest ride along the streets, one-way stretches obeyed, so it
    is asymmetric, as in ``../shared/BENCHMARKS.md``'s street-network instances.
    """
    rng = np.random.default_rng(10_000 + n)
    scale = math.sqrt(n / 40)
    width, height = 1800 * scale, 360 * scale
    bands = max(1, round(scale))
    ys = np.linspace(0.0, height, 2 * bands + 1)
    ys[1:-1] += rng.uniform(-8.0, 8.0, len(ys) - 2)
    xs = [0.0]
    while xs[-1] + 160 < width:
        xs.append(xs[-1] + float(rng.uniform(70, 160)))
    xs.append(width)
    # each lane stretch between roads k and k + 1: (y from, y to, direction) with direction 0 both ways,
    # +1 north only, -1 south only; a dead end stops short of one road
    stretches: dict[tuple[int, int], tuple[float, float, int]] = {}
    for i in range(len(xs)):
        for k in range(len(ys) - 1):
            lo, hi = float(ys[k]), float(ys[k + 1])
            if i in (0, len(xs) - 1):
                stretches[i, k] = (lo, hi, 0)
                continue
            draw = rng.random()
            if draw < 0.15:
                continue
            if draw < 0.25:
                reach = (hi - lo) * float(rng.uniform(0.45, 0.65))
                stretches[i, k] = (lo, lo + reach, 0) if rng.random() < 0.5 else (hi - reach, hi, 0)
            elif draw < 0.45:
                stretches[i, k] = (lo, hi, int(rng.choice([1, -1])))
            else:
                stretches[i, k] = (lo, hi, 0)
    xy = np.column_stack([rng.uniform(0, width, n + 1), rng.uniform(0, height, n + 1)])
    xy[0] = (width / 2, ys[bands])
    # where each site's driveway meets a street: ("road", k, x) or ("lane", (i, k), y), and its length
    meets: list[tuple[str, object, float, float]] = []
    for x, y in xy:
        k = int(np.argmin(np.abs(ys - y)))
        best: tuple[str, object, float, float] = ("road", k, float(x), float(abs(ys[k] - y)))
        band = min(max(int(np.searchsorted(ys, y)) - 1, 0), len(ys) - 2)
        for i, lane_x in enumerate(xs):
            if (i, band) not in stretches:
                continue
            lo, hi, _way = stretches[i, band]
            along = min(max(float(y), lo), hi)
            off = math.hypot(lane_x - x, along - y)
            if off < best[3]:
                best = ("lane", (i, band), along, off)
        meets.append(best)
    index: dict[object, int] = {}

    def node(key: object) -> int:
        return index.setdefault(key, len(index))

    arcs: list[tuple[int, int, float]] = []

    def ride(points: list[tuple[float, object]], way: int = 0) -> None:
        points.sort(key=lambda p: p[0])
        for (t0, a), (t1, b) in itertools.pairwise(points):
            if way >= 0:
                arcs.append((node(a), node(b), t1 - t0))
            if way <= 0:
                arcs.append((node(b), node(a), t1 - t0))

    for k in range(len(ys)):
        points: list[tuple[float, object]] = [(x, ("cross", i, k)) for i, x in enumerate(xs)]
        points += [(m[2], ("meet", j)) for j, m in enumerate(meets) if m[0] == "road" and m[1] == k]
        ride(points)
    for (i, k), (lo, hi, way) in stretches.items():
        low_end = ("cross", i, k) if lo == ys[k] else ("end", i, k)
        high_end = ("cross", i, k + 1) if hi == ys[k + 1] else ("end", i, k)
        on_lane: list[tuple[float, object]] = [
            (m[2], ("meet", j)) for j, m in enumerate(meets) if m[0] == "lane" and m[1] == (i, k)
        ]
        ride([(lo, low_end), (hi, high_end), *on_lane], way)
    for j, m in enumerate(meets):
        arcs += [(node(("meet", j)), node(("site", j)), m[3] + 1.0), (node(("site", j)), node(("meet", j)), m[3] + 1.0)]
    sites = [index[("site", j)] for j in range(n + 1)]
    u, v, w = (np.array(col) for col in zip(*arcs, strict=True))
    graph = csr_array((w, (u.astype(np.int64), v.astype(np.int64))), shape=(len(index), len(index)))
    metres = dijkstra(graph, directed=True, indices=sites)[:, sites]
    if not np.isfinite(metres).all():
        raise RuntimeError("a site of the street instance cannot reach another")
    return np.rint(metres).astype(np.int64), xy


def streets(n: int) -> District:
    """:func:`street_sites` as a district (``District.from_matrix``, 4 m/s), every 10th courtyard a hot spot."""
    metres, xy = street_sites(n)
    d = District.from_matrix(metres, seconds=np.rint(metres / 4.0), coords=xy, name=f"streets {n}")
    yards = [dataclasses.replace(y, hot_spot=(i % 10 == 0)) for i, y in enumerate(d.courtyards)]
    return d.with_courtyards(yards)


def single_gate(d: District) -> District:
    if all(len(y.gates) == 1 for y in d.courtyards):
        return d
    return d.with_courtyards([dataclasses.replace(y, gates=y.gates[:1]) for y in d.courtyards])


def instances(names: list[str]) -> list[tuple[str, District, int]]:
    out = []
    for name in names:
        if name == "40":
            out.append(("40 (Tiexi, default)", load_district(), 2))
        elif name == "haidian":
            d = district_from_file(HAIDIAN)
            ids = [y.id for i, y in enumerate(d.courtyards) if i % 10 == 0]
            out.append((f"Haidian ({len(d.courtyards)})", d.with_hot_spots(ids), 2))
        elif name.startswith("streets"):
            n = int(name.removeprefix("streets"))
            out.append((f"{n:,} streets (synthetic)", streets(n), {200: 4, 1000: 24}.get(n, max(2, n // 40))))
        else:
            n = int(name)
            out.append((f"{n:,} (synthetic)", synthetic(n), {200: 4, 1000: 20}.get(n, max(2, n // 50))))
    return out


def problem_for(d: District, per_day: int, balance: float = 0.0) -> WeekProblem:
    ids = [f"P{k}" for k in range(per_day)]
    staff = Staff(tuple(StaffMember(i, i, frozenset({Role.PATROL})) for i in ids))
    opts = PlanOptions(
        shifts=(SHIFT,), officers_per_day=per_day, specialists_per_day=0, desks_per_day=0,
        balance_weight=balance, rotation_weight=0,
    )  # fmt: skip
    p = WeekProblem(d, staff, "2026-W49", options=opts)
    _ = p.matrix  # computed once, outside every timing
    return p


@dataclasses.dataclass(frozen=True)
class V:
    yard: str
    row: int  # matrix row of its (first) gate
    day: int | None  # pinned day, or None (any duty day)
    dwell: int


def visits_of(p: WeekProblem) -> list[V]:
    m = p.matrix
    vs, dropped = _visits(p, {}, {}, None)
    assert not dropped, dropped
    n_days = len(p.duty_dates)
    out = []
    for v in vs:
        assert len(v.days) in (1, n_days)
        assert not v.windows
        out.append(V(v.courtyard.id, m.index(v.gates[0]), v.days[0] if len(v.days) == 1 else None, v.dwell_s))
    return out


# ------------------------------------------------------------------ the one checker
def route_metres(p: WeekProblem, stops: list[tuple[int, int]]) -> int:
    """Metres of one route, office -> stops -> office, by ``p.matrix``."""
    o = p.matrix.index(p.district.office)
    path = [o, *(r for r, _ in stops), o]
    return int(sum(int(p.matrix.metres[a, b]) for a, b in itertools.pairwise(path)))


def check(p: WeekProblem, vs: list[V], routes: Routes) -> tuple[int, int, list[str]]:
    """Total metres, longest route, and rule violations of a plan."""
    m = p.matrix
    o = m.index(p.district.office)
    seen = [0] * len(vs)
    bad: list[str] = []
    lens = []
    for day, stops in routes:
        if not stops:
            continue
        path = [o, *(r for r, _ in stops), o]
        lens.append(route_metres(p, stops))
        secs = sum(int(m.seconds[a, b]) for a, b in itertools.pairwise(path))
        secs += sum(vs[v].dwell for _, v in stops)
        if secs > SHIFT.seconds:
            bad.append(f"day {day} route over the shift ({secs} s > {SHIFT.seconds} s)")
        for _, v in stops:
            seen[v] += 1
            if vs[v].day is not None and vs[v].day != day:
                bad.append(f"{vs[v].yard} pinned to day {vs[v].day} ridden on day {day}")
    missing = sum(1 for s in seen if s == 0)
    extra = sum(s - 1 for s in seen if s > 1)
    if missing:
        bad.append(f"{missing} visits missing")
    if extra:
        bad.append(f"{extra} visits made twice")
    return sum(lens), max(lens, default=0), bad


def imbalance(p: WeekProblem, routes: Routes, per_day: int) -> int:
    """The officer imbalance our balanced mode weighs: per day, (busiest officer - average officer) x officers.

    In this week each officer rides one shift, so a route is an officer and a
    missing route an officer riding 0 m.
    """
    loads: dict[int, list[int]] = {day: [] for day in range(len(p.duty_dates))}
    for day, stops in routes:
        if stops:
            loads[day].append(route_metres(p, stops))
    out = 0.0
    for lengths in loads.values():
        padded = lengths + [0] * max(0, per_day - len(lengths))
        out += (max(padded) - sum(padded) / len(padded)) * len(padded)
    return round(out)


# ------------------------------------------------------------------ peers
class WallDeadline:
    """A PyVRP stopping criterion: stop at a fixed :func:`time.perf_counter` time.

    PyVRP's ``MaxRuntime`` starts counting at the search's first iteration,
    after ``pyvrp.solve`` has computed its neighbourhood and its start (a full
    local search of a random plan, about 0.5 s at 1,000 courtyards), so a 1 s
    budget took 1.4-2.0 s there. Held to a deadline from the moment the
    model building began, PyVRP keeps the protocol's budget (wall time for
    building the model plus solving) up to its start and one iteration.
    """

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self, best_cost: float) -> bool:
        return time.perf_counter() >= self.at


def plain_pyvrp(
    p: WeekProblem,
    vs: list[V],
    per_day: int,
    budget: float,
    max_distance: int | None = None,
    seed: int = 0,
    wall: bool = False,
) -> Routes:
    """Plain PyVRP on the week; ``wall`` holds it to ``budget`` in wall time from the start (:class:`WallDeadline`)."""
    t0 = time.perf_counter()
    nd = len(p.duty_dates)
    o = p.matrix.index(p.district.office)
    idx = np.array([o] + [v.row for v in vs])
    dist = p.matrix.metres[np.ix_(idx, idx)].astype(np.int64, order="C")
    dur = p.matrix.seconds[np.ix_(idx, idx)].astype(np.int64, order="C")
    clients = []
    for k, v in enumerate(vs):
        delivery = [0] * nd
        if v.day is not None:
            delivery[v.day] = 1
        clients.append(pyvrp.Client(location=k + 1, delivery=delivery, service_duration=v.dwell, required=True))
    types = []
    for d in range(nd):
        cap = [0] * nd
        cap[d] = len(vs)
        types.append(
            pyvrp.VehicleType(
                num_available=per_day, capacity=cap, tw_early=SHIFT.start_s, tw_late=SHIFT.end_s,
                shift_duration=SHIFT.seconds,
                max_distance=np.iinfo(np.int64).max if max_distance is None else max_distance,
            )
        )  # fmt: skip
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(0, 0) for _ in idx], clients=clients, depots=[pyvrp.Depot(0)],
        vehicle_types=types, distance_matrices=[dist], duration_matrices=[dur],
    )  # fmt: skip
    left = max(0.05, budget - (time.perf_counter() - t0))
    stop = WallDeadline(t0 + budget) if wall else MaxRuntime(left)
    res = pyvrp.solve(data, stop=stop, seed=seed, display=False, collect_stats=False)
    # activity idx is the 0-based client index; vehicle type index is the day
    return [
        (r.vehicle_type(), [(vs[a.idx].row, a.idx) for a in r.schedule() if a.is_client()]) for r in res.best.routes()
    ]


def plain_ortools(p: WeekProblem, vs: list[V], per_day: int, budget: float) -> Routes:
    t0 = time.perf_counter()
    nd = len(p.duty_dates)
    o = p.matrix.index(p.district.office)
    idx = np.array([o] + [v.row for v in vs])
    dist = p.matrix.metres[np.ix_(idx, idx)].astype(np.int64)
    dwell = np.array([0] + [v.dwell for v in vs], dtype=np.int64)
    dur = p.matrix.seconds[np.ix_(idx, idx)].astype(np.int64) + dwell[:, None]
    nv = nd * per_day
    man = pywrapcp.RoutingIndexManager(len(idx), nv, 0)
    rt = pywrapcp.RoutingModel(man)
    rt.SetArcCostEvaluatorOfAllVehicles(rt.RegisterTransitMatrix(dist.tolist()))
    rt.AddDimension(rt.RegisterTransitMatrix(dur.tolist()), 0, SHIFT.seconds, True, "Time")
    for k, v in enumerate(vs, start=1):
        i = man.NodeToIndex(k)
        rt.AddDisjunction([i], PENALTY)
        if v.day is not None:
            rt.VehicleVar(i).SetValues([-1, *range(v.day * per_day, (v.day + 1) * per_day)])
    prm = pywrapcp.DefaultRoutingSearchParameters()
    prm.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    prm.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    prm.time_limit.FromMilliseconds(max(50, int(1000 * (budget - (time.perf_counter() - t0)))))
    sol = rt.SolveWithParameters(prm)
    if sol is None:
        return []
    out: Routes = []
    for k in range(nv):
        i, r = sol.Value(rt.NextVar(rt.Start(k))), []
        while not rt.IsEnd(i):
            node = man.IndexToNode(i)
            r.append((vs[node - 1].row, node - 1))
            i = sol.Value(rt.NextVar(i))
        out.append((k // per_day, r))
    return out


# ------------------------------------------------------------------ ours
def ours(
    p: WeekProblem, vs: list[V], per_day: int, budget: float, engine: str, repeatable: bool, seed: int = 0
) -> Routes:
    officers = {d: [f"P{k}" for k in range(per_day)] for d in p.duty_dates}
    res = plan_routes(p, {}, officers, time_limit=budget, seed=seed, engine=engine, repeatable=repeatable)
    pinned = {(v.yard, v.day): k for k, v in enumerate(vs) if v.day is not None}
    free = {v.yard: k for k, v in enumerate(vs) if v.day is None}
    m = p.matrix
    out: Routes = []
    for r in res.routes:
        day = p.duty_dates.index(r.date)
        stops = [(m.index(s.gate), pinned.get((s.courtyard, day), free.get(s.courtyard, -1))) for s in r.stops]
        out.append((day, stops))
    return out


# ------------------------------------------------------------------ runs
def run(
    label: str, fn: Callable[[], Routes], p: WeekProblem, vs: list[V], reps: int, per_day: int = 0
) -> dict[str, Any]:
    totals, longs, walls, bads, imbalances = [], [], [], [], []
    for _ in range(reps):
        t = time.perf_counter()
        routes = fn()
        walls.append(time.perf_counter() - t)
        if any(v < 0 for _, r in routes for _, v in r):
            total, longest, bad = 0, 0, ["a stop matches no visit"]
        else:
            total, longest, bad = check(p, vs, routes)
        totals.append(total)
        longs.append(longest)
        bads.append(bad)
        imbalances.append(imbalance(p, routes, per_day) if per_day else 0)
        if bad:
            print(f"  VIOLATIONS {label}: {'; '.join(bad[:5])}", file=sys.stderr, flush=True)
    k = sorted(range(reps), key=lambda i: totals[i])[(reps - 1) // 2]  # the median run (by total)
    print(f"  {label}: totals {totals} walls {[round(w, 2) for w in walls]}", file=sys.stderr, flush=True)
    return {
        "total": totals[k], "longest": longs[k], "wall": statistics.median(walls),
        "ok": not any(bads), "bad": bads[k], "imbalance": imbalances[k],
    }  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SeedRuns:
    """The seeds of a seed row (``count`` of them from ``first``), and whether ours repeats or runs by the clock."""

    count: int
    first: int = 0
    repeatable: bool = True
    pyvrp_wall: bool = False  # PyVRP held to the budget in wall time (:class:`WallDeadline`)

    @property
    def seeds(self) -> range:
        return range(self.first, self.first + self.count)


def seeds_row(name: str, p: WeekProblem, vs: list[V], per_day: int, budget: float, seeds: SeedRuns) -> None:
    """PyVRP and ours over seeds: one run's ratio is within their spread."""
    single = (p, vs, per_day, budget)
    cells = []
    runs = []
    for label, fn in (
        ("PyVRP", functools.partial(plain_pyvrp, *single, wall=seeds.pyvrp_wall)),
        ("ours", functools.partial(ours, *single, "pyvrp", seeds.repeatable)),
    ):
        rs = [run(f"{label} seed {k}", functools.partial(fn, seed=k), p, vs, 1) for k in seeds.seeds]
        runs.append(rs)
        totals = ", ".join(f"{r['total']:,}" + ("" if r["ok"] else " ⚠") for r in rs)
        walls = ", ".join(f"{r['wall']:.1f}" for r in rs)
        cells.append(f"{totals} (mean {statistics.mean(r['total'] for r in rs):,.0f}; wall {walls} s)")
    ratio = f"{statistics.mean(r['total'] for r in runs[1]) / statistics.mean(r['total'] for r in runs[0]):.3f}"
    # a plan that breaks a rule is not comparable: the ratio again over the seeds where both plans are valid
    valid = [k for k in range(seeds.count) if runs[0][k]["ok"] and runs[1][k]["ok"]]
    if valid and len(valid) < seeds.count:
        theirs = statistics.mean(runs[0][k]["total"] for k in valid)
        mine = statistics.mean(runs[1][k]["total"] for k in valid)
        ratio += f" (on the {len(valid)} seeds valid in both: {mine / theirs:.3f})"
    print(f"| {name} | {budget:g} | {cells[0]} | {cells[1]} | {ratio} |", flush=True)


def balanced_seeds_row(name: str, district: District, per_day: int, budget: float, seeds: SeedRuns) -> None:
    """Balanced mode over seeds: ours (balance 1) and PyVRP capped at our longest route, by total and by our score."""
    p1 = problem_for(single_gate(district), per_day)
    pb = problem_for(single_gate(district), per_day, balance=1.0)
    vs = visits_of(p1)
    mine, theirs = [], []
    for k in seeds.seeds:
        o = run(
            f"ours balanced seed {k}",
            functools.partial(ours, pb, vs, per_day, budget, "pyvrp", seeds.repeatable, seed=k),
            pb,
            vs,
            1,
            per_day,
        )
        capped = functools.partial(plain_pyvrp, p1, vs, per_day, budget, o["longest"], seed=k)
        mine.append(o)
        theirs.append(run(f"pyvrp capped seed {k}", capped, p1, vs, 1, per_day))

    def cell(rs: list[dict[str, Any]]) -> str:
        return ", ".join(f"{r['total']:,} + {r['imbalance']:,}" + ("" if r["ok"] else " ⚠") for r in rs)

    def mean(rs: list[dict[str, Any]], key: Callable[[dict[str, Any]], int]) -> float:
        return statistics.mean(key(r) for r in rs)

    total = mean(mine, lambda r: r["total"]) / mean(theirs, lambda r: r["total"])
    score = mean(mine, lambda r: r["total"] + r["imbalance"]) / mean(theirs, lambda r: r["total"] + r["imbalance"])
    print(f"| {name} | {budget:g} | {cell(theirs)} | {cell(mine)} | {total:.3f} | {score:.3f} |", flush=True)


def fmt(r: dict[str, Any]) -> str:
    flag = "" if r["ok"] else " ⚠"
    return f"{r['total']:,}{flag}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", nargs="+", default=["40", "200", "1000", "streets200", "streets1000", "haidian"])
    ap.add_argument("--budgets", type=float, nargs="+", default=[1, 5, 30])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--skip-30-at", type=int, default=None, help="skip 30 s from this many courtyards up")
    ap.add_argument("--balanced", action="store_true", help="balanced mode instead of distance mode")
    ap.add_argument("--seeds", type=int, default=0, help="PyVRP and ours (repeatable) over this many seeds each")
    ap.add_argument("--first-seed", type=int, default=0, help="with --seeds: the first seed (more seeds, run apart)")
    ap.add_argument(
        "--officers", type=int, default=None, help="officers a day, not the instance's (fewer: an over-full week)"
    )
    ap.add_argument("--clock", action="store_true", help="with --seeds: ours by the clock, not repeatable")
    ap.add_argument(
        "--pyvrp-wall",
        action="store_true",
        help="with --seeds: PyVRP held to the budget in wall time, its start included (WallDeadline)",
    )
    a = ap.parse_args()
    weeks = [(name, district, a.officers or per_day) for name, district, per_day in instances(a.instances)]
    seed_runs = SeedRuns(a.seeds, a.first_seed, repeatable=not a.clock, pyvrp_wall=a.pyvrp_wall)
    if a.seeds and a.balanced:
        print(
            f"| instance | budget s | PyVRP capped at our longest route, seeds {a.first_seed}.. (total + officer "
            "imbalance, m) | ours, balance 1, same seeds | ratio of mean totals | ratio of mean scores |"
        )
        print("|---|---:|---|---|---:|---:|")
        for name, district, per_day in weeks:
            for b in a.budgets:
                balanced_seeds_row(name, district, per_day, b, seed_runs)
        return
    if a.seeds:
        print(
            f"| instance | budget s | PyVRP{' held to the wall budget' if a.pyvrp_wall else ''}, "
            f"seeds {a.first_seed}.. (total m) "
            f"| ours, {'by the clock' if a.clock else 'repeatable'}, same seeds | ratio of means |"
        )
        print("|---|---:|---|---|---:|")
        for name, district, per_day in weeks:
            p1 = problem_for(single_gate(district), per_day)
            for b in a.budgets:
                seeds_row(name, p1, visits_of(p1), per_day, b, seed_runs)
        return
    if a.balanced:
        print(
            "| instance | budget s | ours (balance 1) total / longest | wall s | PyVRP capped at our longest | ratio "
            "| ours: total + officer imbalance | PyVRP capped: the same | ratio |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    else:
        print("| instance | budget s | solver | total m | longest m | wall s | ours/PyVRP |")
        print("|---|---:|---|---:|---:|---:|---:|")
    for name, district, per_day in weeks:
        p1 = problem_for(single_gate(district), per_day)
        vs1 = visits_of(p1)
        multi = any(len(y.gates) > 1 for y in district.courtyards)
        pm = problem_for(district, per_day) if multi else None
        vsm = visits_of(pm) if pm else None
        n = len(district.courtyards)
        print(f"# {name}: {n} courtyards, {len(vs1)} visits, {per_day} officers/day", file=sys.stderr, flush=True)
        for b in a.budgets:
            if b >= 30 and a.skip_30_at is not None and n >= a.skip_30_at:
                continue
            reps = 1 if b >= 30 else a.reps
            if a.balanced:
                pb = problem_for(single_gate(district), per_day, balance=1.0)
                mine = functools.partial(ours, pb, vs1, per_day, b, "pyvrp", True)
                o = run("ours balanced", mine, pb, vs1, reps, per_day)
                capped = functools.partial(plain_pyvrp, p1, vs1, per_day, b, o["longest"])
                pv = run("pyvrp capped", capped, p1, vs1, reps, per_day)
                ratio = o["total"] / pv["total"] if pv["total"] else float("nan")
                # our balanced mode's own objective (balance weight 1): metres plus the officer imbalance
                so, sp = o["total"] + o["imbalance"], pv["total"] + pv["imbalance"]
                print(
                    f"| {name} | {b:g} | {fmt(o)} / {o['longest']:,} | {o['wall']:.2f} | "
                    f"{fmt(pv)} / {pv['longest']:,} ({pv['wall']:.2f} s) | {ratio:.3f} "
                    f"| {o['total']:,} + {o['imbalance']:,} = {so:,} | {pv['total']:,} + {pv['imbalance']:,} = {sp:,} "
                    f"| {so / sp:.3f} |", flush=True,
                )  # fmt: skip
                continue
            res = {}
            single = (p1, vs1, per_day, b)
            solvers: list[tuple[str, Callable[[], Routes], WeekProblem, list[V]]] = [
                ("PyVRP (plain)", functools.partial(plain_pyvrp, *single), p1, vs1),
                ("OR-Tools (plain, PCA+GLS)", functools.partial(plain_ortools, *single), p1, vs1),
                ("ours, repeatable (PyVRP engine)", functools.partial(ours, *single, "pyvrp", True), p1, vs1),
                ("ours, full budget (PyVRP engine)", functools.partial(ours, *single, "pyvrp", False), p1, vs1),
                ("ours, OR-Tools engine", functools.partial(ours, *single, "ortools", True), p1, vs1),
            ]
            if pm is not None and vsm is not None:
                gates = functools.partial(ours, pm, vsm, per_day, b, "pyvrp", True)
                solvers.append(("ours, repeatable, choosing gates", gates, pm, vsm))
            for label, fn, p, vs in solvers:
                res[label] = run(label, fn, p, vs, reps)
            base = res["PyVRP (plain)"]["total"]
            for label, r in res.items():
                ratio = f"{r['total'] / base:.3f}" if label.startswith("ours") and base else ""
                print(
                    f"| {name} | {b:g} | {label} | {fmt(r)} | {r['longest']:,} | {r['wall']:.2f} | {ratio} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
