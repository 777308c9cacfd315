"""Rotation: how much a rider's route repeats last week's, and what avoiding it costs.

On the default district, plan 8 consecutive weeks; each week's routes become
``PastWeeks.routes`` of the next. For each rotation weight, print:

- the mean edge Jaccard between a route and the same weekday's route (same
  slot and shift) of the week before (weeks 2-8);
- total distance over the 8 weeks against the unrotated plan (weight 0).

Targets (issue 3): Jaccard <= 0.5 with total <= 5 % above unrotated.

Run: ``PYTHONPATH=src python benchmarks/bench_rotation.py [--weights 0 0.5 1 2 4] [--time 3]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from patrolplan.district import load_district
from patrolplan.problem import PastRoute, PastWeeks, WeekProblem
from patrolplan.routing import Route, plan_routes
from patrolplan.staff import Role, load_staff
from patrolplan.week import Week

FIRST = Week(2026, 41)


def jaccard(a: set[tuple[int, int]], b: set[tuple[int, int]]) -> float:
    """Jaccard of undirected street edges."""
    ua = {tuple(sorted(e)) for e in a}
    ub = {tuple(sorted(e)) for e in b}
    return len(ua & ub) / len(ua | ub) if ua | ub else 0.0


def run(weight: float, weeks: int, time_limit: float, seed: int) -> tuple[list[float], list[int]]:
    from patrolplan.options import PlanOptions

    district = load_district()
    staff = load_staff()
    ids = [m.id for m in staff.with_role(Role.PATROL)]
    past: tuple[PastRoute, ...] = ()
    previous: dict[tuple[int, int, str], Route] = {}
    overlaps: list[float] = []
    totals: list[int] = []
    for w in range(weeks):
        monday = dt.date.fromisocalendar(FIRST.year, FIRST.number, 1) + dt.timedelta(weeks=w)
        week = Week.of(monday)
        problem = WeekProblem(
            district,
            staff,
            week,
            options=PlanOptions(rotation_weight=weight),
            past=PastWeeks(routes=past),
        )
        # the same two officers ride each weekday every week, the desk rotates
        officers = {d: [ids[(2 * i) % len(ids)], ids[(2 * i + 1) % len(ids)]] for i, d in enumerate(problem.duty_dates)}
        hosts = [y.id for y in problem.courtyards if y.can_host_desk]
        desks = {d: [hosts[(3 * w + 5 * i) % len(hosts)]] for i, d in enumerate(problem.duty_dates)}
        result = plan_routes(problem, desks, officers, time_limit=time_limit, seed=seed)
        totals.append(sum(r.distance_m for r in result.routes))
        current = {(r.date.weekday(), r.slot, r.shift): r for r in result.routes}
        if w:
            for key, route in current.items():
                before = previous.get(key)
                if before is not None:
                    overlaps.append(jaccard(set(route.edges()), set(before.edges())))
        previous = current
        past = past + tuple(PastRoute(r.date, r.rider, r.edges(), r.slot) for r in result.routes)
    return overlaps, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=float, nargs="+", default=[0, 0.5, 1, 2, 4])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--time", type=float, default=3.0, help="time limit per week (s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    base_total = None
    for weight in args.weights:
        started = time.perf_counter()
        overlaps, totals = run(weight, args.weeks, args.time, args.seed)
        total = sum(totals)
        if base_total is None or weight == 0:
            base_total = total if weight == 0 else base_total
        rows.append((weight, statistics.mean(overlaps), max(overlaps), total, time.perf_counter() - started))
        print(f"weight {weight:g}: mean Jaccard {rows[-1][1]:.3f}, total {total} m", flush=True)
    base = next((r[3] for r in rows if r[0] == 0), rows[0][3])
    print()
    print("| rotation_weight | mean edge Jaccard (week to week) | max | total m, 8 weeks | vs unrotated | wall s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for weight, mean, worst, total, wall in rows:
        print(f"| {weight:g} | {mean:.3f} | {worst:.3f} | {total:,} | {total / base:.3f} | {wall:.0f} |")


if __name__ == "__main__":
    main()
