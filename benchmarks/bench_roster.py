"""Benchmark: desk rotation and roster for a sub-district, 40 staff and 300 courtyards, 12 weeks in a row.

Each week is planned from the history of the weeks before (a temporary SQLite
file) and saved before the next. Prints the time per week; the target is under
2 s a week for desks and roster together.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_roster.py [--weeks 12] [--seed 0]``
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from patrolplan.desk import desk_cycle_weeks, fifteen_minute_share, plan_desks
from patrolplan.district import District
from patrolplan.history import History
from patrolplan.options import PlanOptions
from patrolplan.problem import WeekProblem
from patrolplan.roster import Roster, check_roster, plan_roster
from patrolplan.staff import Role, Staff, StaffMember
from patrolplan.week import Week
from patrolplan.windows import Window


def sub_district(n: int, seed: int) -> District:
    """``n`` courtyards at random points in a 6 km x 3 km area, with demand; the office at the centre."""
    rng = np.random.default_rng(seed)
    points = np.vstack([[3000.0, 1500.0], rng.uniform([0, 0], [6000, 3000], size=(n, 2))])
    base = District.from_points(points, speed_mps=4.0, name="sub-district")
    windows = list(Window)
    yards = [
        dataclasses.replace(
            y,
            households=int(rng.integers(50, 800)),
            elderly=int(rng.integers(10, 300)),
            unemployed=int(rng.integers(0, 40)),
            consultations=int(rng.integers(0, 60)),
            demand={w.value: int(rng.integers(0, 30)) for w in windows},
            can_host_desk=bool(rng.random() < 0.8),
        )
        for y in base.courtyards
    ]
    return base.with_courtyards(yards)


def staff_pool(n: int, seed: int) -> Staff:
    """``n`` people: half officers, the rest specialists (a few both), 2-4 skills each."""
    rng = random.Random(seed)
    members = []
    for i in range(n):
        roles = {Role.PATROL} if i < n // 2 else {Role.SPECIALIST}
        if i % 10 == 9:
            roles = {Role.PATROL, Role.SPECIALIST}
        skills = frozenset(rng.sample(list(Window), rng.randint(2, 4))) if Role.SPECIALIST in roles else frozenset()
        members.append(StaffMember(f"S{i:02d}", f"Person {i:02d}", frozenset(roles), skills, max_days_per_week=3))
    return Staff(tuple(members))


def doc_of(problem: WeekProblem, desks: Any, roster: Roster) -> dict[str, Any]:
    """A minimal plan.json-like doc (no routes) for the history."""
    return {
        "schema": "patrolplan/plan@1",
        "community": problem.district.name,
        "week": str(problem.week),
        "duty_days": [d.isoformat() for d in problem.duty_dates],
        "routes": [],
        "desks": [{"date": d.date.isoformat(), "courtyard": d.courtyard} for d in desks],
        "roster": [{"date": e.date.isoformat(), "staff": e.staff, "role": e.role.value} for e in roster.entries],
    }


def main() -> None:
    """Plan the weeks and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--courtyards", type=int, default=300)
    parser.add_argument("--staff", type=int, default=40)
    args = parser.parse_args()

    t0 = time.perf_counter()
    district = sub_district(args.courtyards, args.seed)
    staff = staff_pool(args.staff, args.seed)
    options = PlanOptions(officers_per_day=6, specialists_per_day=6, desks_per_day=3)
    _ = district.matrix
    setup = time.perf_counter() - t0
    print(f"setup (district {len(district)} courtyards, matrix, {len(staff)} staff): {setup:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        history = History(Path(tmp) / "history.sqlite")
        week = Week.parse("2026-W38")
        rows = []
        for _ in range(args.weeks):
            t = time.perf_counter()
            past = history.past(week, community=district.name, weeks=12)
            problem = WeekProblem(district, staff, week, options=options, past=past)
            t_desk = time.perf_counter()
            desks = plan_desks(problem, time_limit=1.0, seed=args.seed)
            t_roster = time.perf_counter()
            roster = plan_roster(problem, desks, time_limit=1.0, seed=args.seed)
            t_save = time.perf_counter()
            history.save(doc_of(problem, desks, roster))
            t_end = time.perf_counter()
            problems = check_roster(problem, desks, roster)
            share = fifteen_minute_share(problem, [d.courtyard for d in desks])
            rows.append(
                (str(week), t_roster - t_desk, t_save - t_roster, t_end - t, len(roster.broken), len(problems), share)
            )
            week = week.next()
        cycle = desk_cycle_weeks(problem)

    print(f"desk cycle: {cycle} weeks; {options.officers_per_day} officers, {options.specialists_per_day} specialists,")
    print(f"{options.desks_per_day} desks per duty day\n")
    print(f"{'week':<9} {'desk s':>7} {'roster s':>9} {'week s':>7} {'broken':>7} {'check':>6} {'15-min':>7}")
    for w, d, r, total, broken, bad, share in rows:
        print(f"{w:<9} {d:7.3f} {r:9.3f} {total:7.3f} {broken:7d} {bad:6d} {share:7.1%}")
    totals = [r[3] for r in rows]
    print(f"\nmean {statistics.mean(totals):.3f} s per week, max {max(totals):.3f} s (target < 2 s)")


if __name__ == "__main__":
    main()
