"""Service-desk rotation: which courtyard hosts the duty group's desk on each duty day.

The desk rotates through every courtyard that can host it (``can_host_desk``).
A *cycle* is ``ceil(desk-capable courtyards / desk slots per week)`` weeks, and
within every run of that many weeks each capable courtyard hosts at least
once. The choice is a small CP-SAT model:

- a deadline rule (earliest-deadline-first feasibility): after this week, the
  courtyards still due within ``k`` weeks must fit into the ``k * slots``
  slots left, for every ``k``; so no courtyard misses its cycle;
- within that freedom, the courtyard that waited longest goes first, weighted
  by need (unemployed, elderly, consultations), and a desk cancelled in the
  history brings its courtyard forward;
- optionally, the "15-minute" share (一刻鐘社區) is maximised;
- on re-planning, what was announced is kept unless impossible.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from patrolplan._budget import configure_cp_sat
from patrolplan.courtyards import Courtyard
from patrolplan.errors import InfeasibleWeekError, InvalidInputError
from patrolplan.problem import WeekProblem

__all__ = ["DeskDay", "desk_cycle_weeks", "desk_slots_per_week", "fifteen_minute_share", "plan_desks"]

logger = logging.getLogger("patrolplan")

_WAIT_SCALE = 1000  # objective points per week waited (before the need factor)
_CANCEL_BONUS_WEEKS = 2  # a cancelled desk counts as this many extra weeks waited
_PREFER_WEIGHT = 10**7  # keeping an announced desk outweighs any rotation gain
_DEADLINE_WEIGHT = 10**8  # missing a cycle deadline (only when history makes it unavoidable)
_FIFTEEN_WEIGHT = 10**6  # per courtyard within a 15-minute walk, when maximised
_WEEKDAY_WEIGHT = 50  # small nudge: host on another weekday than last time


@dataclass(frozen=True)
class DeskDay:
    """One courtyard hosting the service desk on one duty day.

    Attributes
    ----------
    date
        The duty date.
    courtyard
        The host courtyard's id.
    reason
        Why this courtyard, in English (waited N weeks, need, cancelled last time…).
    """

    date: dt.date
    courtyard: str
    reason: str = ""


@dataclass(frozen=True)
class _Standing:
    """Where a courtyard stands in the rotation before this week."""

    yard: Courtyard
    waited: int  # weeks since its last desk (or since the history starts)
    last: dt.date | None  # its last desk that was not cancelled
    cancelled: dt.date | None  # a cancelled desk after ``last``
    deadline: int  # weeks from this week by which it must host (0 = this week)


def desk_slots_per_week(problem: WeekProblem) -> int:
    """Desk slots in one week: duty days times desks per day."""
    return len(problem.duty_dates) * problem.options.desks_per_day


def desk_cycle_weeks(problem: WeekProblem) -> int:
    """Weeks in one rotation cycle: ``ceil(desk-capable courtyards / desk slots per week)``.

    Returns
    -------
    int
        At least 1; 1 if no desk is planned at all.
    """
    slots = desk_slots_per_week(problem)
    capable = sum(1 for y in problem.courtyards if y.can_host_desk)
    if slots <= 0 or capable == 0:
        return 1
    return max(1, math.ceil(capable / slots))


def _weeks_between(earlier: dt.date, later: dt.date) -> int:
    """Whole ISO weeks from the week of ``earlier`` to the week of ``later``."""
    a = earlier - dt.timedelta(days=earlier.weekday())
    b = later - dt.timedelta(days=later.weekday())
    return (b - a).days // 7


def _standings(problem: WeekProblem) -> list[_Standing]:
    """Each desk-capable courtyard's wait, last desk and deadline, from the history."""
    monday = problem.week.monday
    cycle = desk_cycle_weeks(problem)
    past = [d for d in problem.past.desks if d.date < monday]
    start = min((d.date for d in past), default=monday)
    history_weeks = _weeks_between(start, monday)  # weeks the history covers
    out: list[_Standing] = []
    for yard in problem.courtyards:
        if not yard.can_host_desk:
            continue
        hosted = [d.date for d in past if d.courtyard == yard.id and d.status != "cancelled"]
        last = max(hosted, default=None)
        cancels = [d.date for d in past if d.courtyard == yard.id and d.status == "cancelled"]
        cancelled = max((c for c in cancels if last is None or c > last), default=None)
        # never hosted: as if it last hosted just before the history starts
        waited = history_weeks + 1 if last is None else _weeks_between(last, monday)
        deadline = max(0, cycle - waited)
        out.append(_Standing(yard, waited, last, cancelled, deadline))
    return out


def _weight(standing: _Standing, max_need: int) -> int:
    """Objective points for hosting: weeks waited (plus a cancellation bonus) times a need factor."""
    waited = standing.waited + (_CANCEL_BONUS_WEEKS if standing.cancelled else 0)
    factor = 1.0 + (standing.yard.need / max_need if max_need > 0 else 0.0)
    return round(_WAIT_SCALE * waited * factor)


def _reason(standing: _Standing, cycle: int) -> str:
    """Why the courtyard hosts this week, in English."""
    parts: list[str] = []
    if standing.cancelled is not None:
        parts.append(f"its desk on {standing.cancelled.isoformat()} was cancelled, brought forward")
    if standing.last is None:
        parts.append("has not hosted the desk in the history")
    else:
        unit = "week" if standing.waited == 1 else "weeks"
        parts.append(f"waited {standing.waited} {unit} since {standing.last.isoformat()}")
    if standing.deadline == 0:
        parts.append(f"due within its {cycle}-week cycle")
    parts.append(f"need {standing.yard.need}")
    return "; ".join(parts)


def _walk_metres(problem: WeekProblem) -> npt.NDArray[np.int64]:
    """Gate-to-gate walking metres between courtyards (either direction, the nearer gates)."""
    matrix = problem.matrix
    yards = problem.courtyards
    big = np.iinfo(np.int64).max // 4
    gates = [[matrix.index(g) for g in y.gates] for y in yards]
    both = np.minimum(matrix.metres, matrix.metres.T)
    out = np.full((len(yards), len(yards)), big, dtype=np.int64)
    for i, gi in enumerate(gates):
        if not gi:
            continue
        rows = both[gi].min(axis=0)  # nearest of i's gates to every site
        for j, gj in enumerate(gates):
            if gj:
                out[i, j] = rows[gj].min()
    return out


def _walk_limit_m(problem: WeekProblem) -> float:
    """Metres one walks in ``fifteen_minute_s`` at ``walking_speed_kmh``."""
    opts = problem.options
    return opts.fifteen_minute_s * opts.walking_speed_kmh / 3.6


def fifteen_minute_share(problem: WeekProblem, courtyard_ids: Sequence[str]) -> float:
    """Share of courtyards within a 15-minute walk of at least one of the desks.

    Parameters
    ----------
    problem
        The week (its district, matrix and walking options).
    courtyard_ids
        Ids of the week's desk courtyards.

    Returns
    -------
    float
        Between 0 and 1; 0 when there is no desk or no courtyard.

    Raises
    ------
    InvalidInputError
        If an id is not a courtyard of the district.
    """
    yards = problem.courtyards
    if not yards or not courtyard_ids:
        return 0.0
    position = {y.id: i for i, y in enumerate(yards)}
    unknown = sorted({c for c in courtyard_ids if c not in position})
    if unknown:
        msg = f"desk courtyards {unknown} are not in {problem.district.name}"
        raise InvalidInputError(msg, items=unknown)
    walk = _walk_metres(problem)
    cols = sorted({position[c] for c in courtyard_ids})
    near = walk[:, cols].min(axis=1) <= _walk_limit_m(problem)
    return float(near.sum()) / len(yards)


@dataclass
class _DeskModel:
    """The CP-SAT model of one week's desks and its variables."""

    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]  # (date index, standing index) -> hosts
    host: list[cp_model.LinearExpr]  # per standing: hosts this week (0/1)


def _build(problem: WeekProblem, standings: list[_Standing], fixed: Sequence[DeskDay]) -> _DeskModel:
    """Variables, the per-day counts, at most once a week, fixed desks."""
    model = cp_model.CpModel()
    dates = problem.duty_dates
    per_day = problem.options.desks_per_day
    ids = [s.yard.id for s in standings]
    x = {(d, c): model.new_bool_var(f"desk_{d}_{ids[c]}") for d in range(len(dates)) for c in range(len(standings))}
    fixed_on: dict[int, int] = {}
    for desk in fixed:
        d, c = dates.index(desk.date), ids.index(desk.courtyard)
        model.add(x[d, c] == 1)
        fixed_on[d] = fixed_on.get(d, 0) + 1
    for d in range(len(dates)):
        model.add(sum(x[d, c] for c in range(len(standings))) == max(per_day, fixed_on.get(d, 0)))
    slots = len(dates) * per_day
    capable = sum(1 for s in standings if s.yard.can_host_desk) or 1
    most = max(1, math.ceil(slots / capable))  # once a week, unless there are too few courtyards
    host: list[cp_model.LinearExpr] = []
    for c in range(len(standings)):
        total = sum(x[d, c] for d in range(len(dates)))
        model.add(total <= max(most, sum(1 for f in fixed if f.courtyard == ids[c])))
        host.append(cp_model.LinearExpr.sum([x[d, c] for d in range(len(dates))]))
    return _DeskModel(model, x, host)


def _deadline_terms(problem: WeekProblem, dm: _DeskModel, standings: list[_Standing]) -> list[cp_model.LinearExprT]:
    """EDF rule: courtyards due within ``k`` weeks that do not host now must fit in ``k`` later weeks."""
    slots = desk_slots_per_week(problem)
    terms: list[cp_model.LinearExprT] = []
    horizon = max((s.deadline for s in standings), default=0)
    for k in range(horizon + 1):
        due = [i for i, s in enumerate(standings) if s.yard.can_host_desk and s.deadline <= k]
        if not due:
            continue
        over = dm.model.new_int_var(0, len(due), f"late_{k}")
        dm.model.add(sum(1 - dm.host[i] for i in due) <= k * slots + over)
        terms.append(_DEADLINE_WEIGHT * over)
    return terms


def _rotation_terms(dm: _DeskModel, standings: list[_Standing]) -> list[cp_model.LinearExprT]:
    """Reward for hosting: weeks waited (cancelled desks brought forward) times need."""
    max_need = max((s.yard.need for s in standings), default=0)
    return [-_weight(s, max_need) * dm.host[i] for i, s in enumerate(standings)]


def _weekday_terms(problem: WeekProblem, dm: _DeskModel, standings: list[_Standing]) -> list[cp_model.LinearExprT]:
    """Small penalty for hosting on the same weekday as last time (residents working that day)."""
    terms: list[cp_model.LinearExprT] = []
    for (d, c), var in dm.x.items():
        last = standings[c].last
        if last is not None and last.weekday() == problem.duty_dates[d].weekday():
            terms.append(_WEEKDAY_WEIGHT * var)
    return terms


def _prefer_terms(
    problem: WeekProblem, dm: _DeskModel, standings: list[_Standing], prefer: Sequence[DeskDay]
) -> list[cp_model.LinearExprT]:
    """Penalty for each announced desk that is not kept on its date."""
    ids = [s.yard.id for s in standings]
    terms: list[cp_model.LinearExprT] = []
    for desk in prefer:
        if desk.date in problem.duty_dates and desk.courtyard in ids:
            var = dm.x[problem.duty_dates.index(desk.date), ids.index(desk.courtyard)]
            terms.append(_PREFER_WEIGHT * (1 - var))
    return terms


def _fifteen_terms(problem: WeekProblem, dm: _DeskModel, standings: list[_Standing]) -> list[cp_model.LinearExprT]:
    """Reward per courtyard within a 15-minute walk of a desk (when the option asks)."""
    if not problem.options.maximize_fifteen_minute:
        return []
    walk = _walk_metres(problem)
    limit = _walk_limit_m(problem)
    position = {y.id: i for i, y in enumerate(problem.courtyards)}
    cols = [position[s.yard.id] for s in standings]
    terms: list[cp_model.LinearExprT] = []
    for j in range(len(problem.courtyards)):
        near = [i for i, col in enumerate(cols) if walk[j, col] <= limit]
        if not near:
            continue
        covered = dm.model.new_bool_var(f"near_{j}")
        dm.model.add(covered <= sum(dm.host[i] for i in near))
        terms.append(-_FIFTEEN_WEIGHT * covered)
    return terms


def _validate(problem: WeekProblem, fixed: Sequence[DeskDay]) -> None:
    """Fixed desks must name duty dates and courtyards of the district."""
    known = {y.id for y in problem.courtyards}
    problems: list[str] = []
    for desk in fixed:
        if desk.date not in problem.duty_dates:
            problems.append(f"{desk.date} is not a duty date of {problem.week}")
        elif desk.courtyard not in known:
            problems.append(f"{desk.date}: no courtyard {desk.courtyard!r} in {problem.district.name}")
    if problems:
        msg = f"fixed desks that cannot be kept: {'; '.join(problems)}"
        raise InvalidInputError(msg, items=problems)


def plan_desks(
    problem: WeekProblem,
    *,
    time_limit: float,
    seed: int,
    fixed: Sequence[DeskDay] = (),
    prefer: Sequence[DeskDay] = (),
) -> tuple[DeskDay, ...]:
    """Choose the courtyard hosting the service desk on each duty day.

    Parameters
    ----------
    problem
        The week, with the desk history in ``problem.past.desks``.
    time_limit
        CP-SAT wall-clock limit in seconds.
    seed
        CP-SAT random seed (one worker, so the same seed gives the same desks).
    fixed
        Desks kept exactly as they are (days already done when re-planning).
    prefer
        Desks announced before: kept unless impossible.

    Returns
    -------
    tuple[DeskDay, ...]
        ``desks_per_day`` desks per duty date, ordered by date then courtyard id.

    Raises
    ------
    InvalidInputError
        If a fixed desk is not on a duty date or names an unknown courtyard.
    InfeasibleWeekError
        If the desks cannot be placed (fixed desks contradict each other).
    """
    if problem.options.desks_per_day == 0 or not problem.duty_dates:
        return ()
    _validate(problem, fixed)
    standings = _standings(problem)
    fixed_ids = {d.courtyard for d in fixed}
    extra = [y for y in problem.courtyards if y.id in fixed_ids and not y.can_host_desk]
    standings.extend(_Standing(y, 0, None, None, 10**6) for y in extra)
    if len(standings) == 0:
        msg = f"week {problem.week}: no courtyard can host the service desk"
        raise InfeasibleWeekError(msg, items=[str(problem.week)])
    dm = _build(problem, standings, fixed)
    terms = [
        *_deadline_terms(problem, dm, standings),
        *_rotation_terms(dm, standings),
        *_weekday_terms(problem, dm, standings),
        *_prefer_terms(problem, dm, standings, prefer),
        *_fifteen_terms(problem, dm, standings),
    ]
    dm.model.minimize(cp_model.LinearExpr.sum(terms))
    solver = configure_cp_sat(cp_model.CpSolver(), time_limit, seed)
    status = solver.solve(dm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        msg = (
            f"week {problem.week}: the service desks cannot be placed "
            f"({solver.status_name(status)}); check the fixed desks and desks_per_day"
        )
        raise InfeasibleWeekError(msg, items=[str(problem.week)])
    return _read(problem, solver, dm, standings, fixed, prefer)


def _read(
    problem: WeekProblem,
    solver: cp_model.CpSolver,
    dm: _DeskModel,
    standings: list[_Standing],
    fixed: Sequence[DeskDay],
    prefer: Sequence[DeskDay],
) -> tuple[DeskDay, ...]:
    """The chosen desks, each with its reason."""
    cycle = desk_cycle_weeks(problem)
    fixed_keys = {(d.date, d.courtyard): d for d in fixed}
    prefer_keys = {(d.date, d.courtyard) for d in prefer}
    out: list[DeskDay] = []
    for (d, c), var in sorted(dm.x.items()):
        if not solver.boolean_value(var):
            continue
        date, yard_id = problem.duty_dates[d], standings[c].yard.id
        if (date, yard_id) in fixed_keys:
            reason = fixed_keys[date, yard_id].reason or "fixed: kept as it was"
        elif (date, yard_id) in prefer_keys:
            reason = "kept as announced; " + _reason(standings[c], cycle)
        else:
            reason = _reason(standings[c], cycle)
        out.append(DeskDay(date, yard_id, reason))
    out.sort(key=lambda desk: (desk.date, desk.courtyard))
    logger.debug("desks for %s: %s", problem.week, [(d.date.isoformat(), d.courtyard) for d in out])
    return tuple(out)
