"""Time windows and lunch: the default engine against OR-Tools alone on weeks that wait.

Until stop 15 a week with several time windows per courtyard, or with whole-day
routes that wait out the lunch break (``ride_each_shift=False``), went to
OR-Tools alone. Now PyVRP serves them too (one alternative per window a visit
may start in). This prints, for each week and budget, the full pipeline
(``plan_week``: desk, roster, routes) with ``engine="ortools"`` and with the
default ``engine="auto"``: total metres / longest route, the score the planner
minimises (metres plus the balance weight times the imbalance), visits dropped,
whose routes the plan keeps (``Plan.engine``) and wall seconds; a ⚠ marks a
plan whose ``Plan.check()`` is not empty. The ratio is of the metres ("–"
when OR-Tools rode nothing).

Weeks:

- ``lunch``: the default district, week 2026-W49, routes ridden as whole days
  around the lunch break (09:00-11:30, 14:30-17:00), balance weight 0 and 1;
- ``windows``: the default district, six courtyards open only 09:30-10:00 or
  15:00-15:30, balance weight 0 and 1;
- ``lunch 200``: the synthetic 200-courtyard week of ``bench_routing.py`` with
  a morning (09:00-11:00) and an afternoon (12:00-13:30) shift ridden as one route;
- ``windows 200``: the same week (one 09:00-12:00 shift) with every seventh
  courtyard open only 09:30-10:00 (and, every other one of them, 11:00-11:30 too).

Run: ``PYTHONPATH=src python benchmarks/bench_windows.py [--budgets 1 5] [--weeks lunch windows ...]``
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time

from bench_routing import instances, problem_for, single_gate

from patrolplan.district import load_district
from patrolplan.options import PlanOptions, SolveParams
from patrolplan.plan import Plan, plan_week
from patrolplan.problem import WeekProblem
from patrolplan.routing import _riders, _score
from patrolplan.staff import Role, Staff, StaffMember, load_staff
from patrolplan.week import Shift

WEEK = "2026-W49"
BOTH = ((dt.time(9, 30), dt.time(10, 0)), (dt.time(15, 0), dt.time(15, 30)))
LATE_MORNING = ((dt.time(9, 30), dt.time(10, 0)), (dt.time(11, 0), dt.time(11, 30)))


def default_week(name: str, balance: float) -> WeekProblem:
    district, staff = load_district(), load_staff()
    if name == "lunch":
        opts = PlanOptions(ride_each_shift=False, balance_weight=balance)
        return WeekProblem(district, staff, WEEK, options=opts, hot_spots=["Chunhui"])
    yards = list(district.courtyards)
    for i in (3, 5, 11, 17, 23, 29):
        yards[i] = dataclasses.replace(yards[i], time_windows=BOTH)
    opts = PlanOptions(balance_weight=balance)
    return WeekProblem(district.with_courtyards(yards), staff, WEEK, options=opts, hot_spots=["Chunhui"])


def synthetic_week(name: str) -> WeekProblem:
    _label, district, per_day = instances(["200"])[0]
    base = problem_for(single_gate(district), per_day)
    if name == "lunch 200":
        shifts = (Shift.parse("am", "09:00", "11:00"), Shift.parse("pm", "12:00", "13:30"))
        ids = [f"P{k}" for k in range(per_day)]
        staff = Staff(tuple(StaffMember(i, i, frozenset({Role.PATROL})) for i in ids))
        opts = dataclasses.replace(base.options, shifts=shifts, ride_each_shift=False)
        return WeekProblem(base.district, staff, WEEK, options=opts)
    yards = list(base.district.courtyards)
    for i in range(0, len(yards), 7):
        yards[i] = dataclasses.replace(yards[i], time_windows=LATE_MORNING if i % 2 else LATE_MORNING[:1])
    return WeekProblem(base.district.with_courtyards(yards), base.staff, WEEK, options=base.options)


def weeks(names: list[str]) -> list[tuple[str, WeekProblem]]:
    out = []
    for name in names:
        if name in ("lunch", "windows"):
            out += [(f"{name}, balance {w:g}", default_week(name, w)) for w in (0.0, 1.0)]
        else:
            out.append((name, synthetic_week(name)))
    return out


def score(plan: Plan) -> float:
    """What the planner minimises after dropped visits (``routing._score``): metres plus weighted imbalance."""
    officers = {date: plan.roster.officers(date) for date in plan.problem.duty_dates}
    riders = _riders(plan.problem, officers)
    return _score(plan, riders, plan.problem.options.balance_weight)[1]  # type: ignore[arg-type]


def cell(plan: Plan, wall: float) -> str:
    bad = plan.check()
    flag = "" if not bad else f" ⚠ {len(bad)} violations"
    return (
        f"{plan.distance_m:,} / {plan.longest_route_m:,}, score {score(plan):,.0f}, "
        f"{len(plan.dropped)} dropped, {plan.engine} ({wall:.2f} s){flag}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weeks", nargs="+", default=["lunch", "windows", "lunch 200", "windows 200"])
    ap.add_argument("--budgets", type=float, nargs="+", default=[1, 5])
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print("| week | budget s | OR-Tools alone | auto (default) | ratio |")
    print("|---|---:|---|---|---:|")
    for name, problem in weeks(a.weeks):
        _ = problem.matrix  # computed once, outside every timing
        for budget in a.budgets:
            cells, plans = [], []
            for engine in ("ortools", "auto"):
                t = time.perf_counter()
                plan = plan_week(problem, params=SolveParams(time_limit=budget, seed=a.seed, engine=engine))
                cells.append(cell(plan, time.perf_counter() - t))
                plans.append(plan)
            ratio = f"{plans[1].distance_m / plans[0].distance_m:.3f}" if plans[0].distance_m else "–"
            print(f"| {name} | {budget:g} | {cells[0]} | {cells[1]} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
