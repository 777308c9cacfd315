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

__all__ = ["WALL_GUARD", "configure_cp_sat"]

#: The wall-clock cap is this many times the work budget, plus 2 s.
WALL_GUARD = 5.0


def configure_cp_sat(solver: Any, time_limit: float, seed: int) -> Any:
    """Set a CP-SAT solver to one worker, ``seed``, and a deterministic budget of ``time_limit``.

    Returns the solver (its ``parameters`` are changed in place).
    """
    solver.parameters.max_deterministic_time = float(time_limit)
    solver.parameters.max_time_in_seconds = WALL_GUARD * float(time_limit) + 2.0
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(seed)
    return solver
