"""Search budgets that repeat: CP-SAT's deterministic time, with the clock only as a guard.

A wall-clock limit makes a solve depend on how busy the machine is: under
load the search stops earlier, and the plan changes (or, for a tight model,
no answer is found at all). CP-SAT's ``max_deterministic_time`` counts work,
not seconds, so a single-worker, seeded solve gives the same answer on any
machine; the wall-clock cap is a generous guard that only a machine far
busier than usual reaches.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DETERMINISTIC_PER_SECOND", "MIN_DETERMINISTIC", "WALL_GUARD", "configure_cp_sat"]

#: The wall-clock cap is this many times the time limit, plus 2 s.
WALL_GUARD = 5.0

#: Deterministic seconds of CP-SAT work per second of time limit. CP-SAT's deterministic
#: clock runs slower than the wall: measured here on the roster benchmark (40 staff, 300
#: courtyards; ``benchmarks/bench_roster.py``), a budget of 1.0 deterministic second took 5-6 s
#: of wall time on one worker, so one second of limit buys about 0.15 deterministic seconds.
DETERMINISTIC_PER_SECOND = 0.15

#: Smallest deterministic budget: a community-sized desk or roster model is solved to
#: optimality well within it, so a short time limit never turns into a false "infeasible".
MIN_DETERMINISTIC = 0.1


def configure_cp_sat(solver: Any, time_limit: float, seed: int) -> Any:
    """Set a CP-SAT solver to one worker, ``seed``, and a deterministic budget worth ``time_limit`` seconds.

    Returns the solver (its ``parameters`` are changed in place).
    """
    solver.parameters.max_deterministic_time = max(MIN_DETERMINISTIC, DETERMINISTIC_PER_SECOND * float(time_limit))
    solver.parameters.max_time_in_seconds = WALL_GUARD * float(time_limit) + 2.0
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(seed)
    return solver
