"""Staff roster (CP-SAT): who works which duty day, as patrol officer or desk specialist.

Hard rules: each duty day gets its required numbers (``officers_per_day``
patrol officers, ``specialists_per_day`` specialists), a person takes one role
a day, nobody works on leave or beyond their maximum days a week, and any
window the options require is covered. When a week cannot be staffed, the
model is solved again with one *assumption literal* per rule instance; the
sufficient assumptions CP-SAT returns name the day, the rule and the people.

Soft rules are small named helpers, each returning :class:`_Soft` penalty
terms (a violation variable, a weight and the :class:`BrokenRule` to report
when it is non-zero): window coverage at the desk courtyard, fair shares
across weeks, officer pairs that rotate, and keeping what was announced.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from patrolplan._budget import configure_cp_sat
from patrolplan.desk import DeskDay
from patrolplan.errors import InsufficientStaffError, InvalidInputError
from patrolplan.problem import WeekProblem
from patrolplan.staff import Role, StaffMember
from patrolplan.windows import Window, parse_window

__all__ = ["BrokenRule", "Roster", "RosterEntry", "check_roster", "plan_roster", "top_windows"]

logger = logging.getLogger("patrolplan")

#: How many of a desk courtyard's most-demanded windows the specialists should cover.
TOP_WINDOWS = 3

_W_KEEP = 100_000  # per announced duty changed
_W_FAIR_OVER = 5_000  # per duty beyond a spread of 1 within a group of like staff
_W_FAIR = 200  # per duty of spread within a group
_W_WINDOW = (1_000, 500, 250)  # per uncovered window, by demand rank
_W_PAIR_LAST = 300  # per officer pair repeated from last week
_W_PAIR_WEEK = 150  # per officer pair repeated within the week
_W_ROLE_MIX = 50  # per duty of imbalance between roles, for people with both


@dataclass(frozen=True)
class RosterEntry:
    """One person on duty on one day.

    Attributes
    ----------
    date
        The duty date.
    staff
        The person's staff id.
    name
        The person's label (``"王芳 Wang Fang"``).
    role
        Patrol officer or specialist.
    shift
        The shifts worked, e.g. ``"09:00–11:30, 14:30–17:00"``.
    windows
        Window keys a specialist runs that day (most demanded at the desk first).
    desk
        The desk courtyard id, for specialists.
    """

    date: dt.date
    staff: str
    name: str
    role: Role
    shift: str
    windows: tuple[str, ...] = ()
    desk: str | None = None


@dataclass(frozen=True)
class BrokenRule:
    """A soft rule the roster could not keep, by name.

    Attributes
    ----------
    rule
        The rule's name (``"window_coverage"``, ``"fair_shares"``, ``"officer_pairs"``,
        ``"role_mix"``, ``"keep_announced"``).
    detail
        What is broken, in English.
    items
        The people, dates or windows concerned.
    """

    rule: str
    detail: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Roster:
    """A week's roster: the entries and the soft rules it breaks."""

    entries: tuple[RosterEntry, ...]
    broken: tuple[BrokenRule, ...] = ()

    def on(self, date: dt.date, role: Role | None = None) -> tuple[RosterEntry, ...]:
        """Entries on ``date`` (of ``role`` only, if given)."""
        return tuple(e for e in self.entries if e.date == date and (role is None or e.role is role))

    def officers(self, date: dt.date) -> tuple[str, ...]:
        """Staff ids of the patrol officers on ``date``, in roster order."""
        return tuple(e.staff for e in self.on(date, Role.PATROL))

    def specialists(self, date: dt.date) -> tuple[str, ...]:
        """Staff ids of the specialists on ``date``, in roster order."""
        return tuple(e.staff for e in self.on(date, Role.SPECIALIST))

    def days_of(self, staff: str) -> int:
        """Duty days ``staff`` (an id) works in this roster."""
        return len({e.date for e in self.entries if e.staff == staff})

    def to_frame(self) -> Any:
        """The roster as a pandas DataFrame, one row per entry."""
        import pandas as pd

        rows = [
            {
                "date": e.date,
                "staff": e.staff,
                "name": e.name,
                "role": e.role.value,
                "role_zh": e.role.label_zh,
                "shift": e.shift,
                "windows": ", ".join(e.windows),
                "desk": e.desk,
            }
            for e in self.entries
        ]
        columns = ["date", "staff", "name", "role", "role_zh", "shift", "windows", "desk"]
        return pd.DataFrame(rows, columns=columns)


# ----------------------------------------------------------------------- helpers
def top_windows(problem: WeekProblem, courtyard_id: str, k: int = TOP_WINDOWS) -> tuple[Window, ...]:
    """The ``k`` windows most in demand at a courtyard (ties by window order); none without demand."""
    yard = next((y for y in problem.courtyards if y.id == courtyard_id), None)
    if yard is None:
        return ()
    order = {w: i for i, w in enumerate(Window)}
    scored: list[tuple[int, int, Window]] = []
    for key, value in yard.demand.items():
        try:
            window = parse_window(key)
        except InvalidInputError:
            continue
        if value > 0:
            scored.append((-int(value), order[window], window))
    return tuple(w for _, _, w in sorted(scored)[:k])


def _shift_text(problem: WeekProblem) -> str:
    return ", ".join(str(s) for s in problem.options.shifts)


def _day(date: dt.date) -> str:
    return f"{date:%a %Y-%m-%d}"


def _plural(n: int, role: Role) -> str:
    word = "patrol officer" if role is Role.PATROL else "specialist"
    return f"{n} {word}{'' if n == 1 else 's'}"


def _names(people: Iterable[StaffMember]) -> str:
    return ", ".join(m.name for m in people)


def _required_windows(problem: WeekProblem, extra: Sequence[str]) -> tuple[Window, ...]:
    """Windows every duty day must cover: the argument, plus ``options.required_windows`` if present."""
    keys = [*getattr(problem.options, "required_windows", ()), *extra]
    out: list[Window] = []
    for key in keys:
        window = key if isinstance(key, Window) else parse_window(str(key))
        if window not in out:
            out.append(window)
    return tuple(out)


# ------------------------------------------------------------------------- model
@dataclass(frozen=True)
class _Soft:
    """A penalty term: ``weight * var``; ``broken`` is reported when ``var`` > 0."""

    var: cp_model.IntVar
    weight: int
    broken: BrokenRule


@dataclass
class _RosterModel:
    """The CP-SAT model of one week's roster with its variables and rule literals."""

    problem: WeekProblem
    model: cp_model.CpModel
    people: tuple[StaffMember, ...]
    dates: tuple[dt.date, ...]
    work: dict[tuple[str, int, Role], cp_model.IntVar] = field(default_factory=dict)
    rules: dict[int, tuple[str, Any]] = field(default_factory=dict)  # literal index -> rule instance
    literals: list[cp_model.IntVar] = field(default_factory=list)

    def role_sum(self, d: int, role: Role) -> cp_model.LinearExprT:
        """People in ``role`` on date index ``d``."""
        return cp_model.LinearExpr.sum([v for (_, dd, r), v in self.work.items() if dd == d and r is role])

    def days(self, person: str) -> cp_model.LinearExprT:
        """Duty days of ``person`` this week."""
        return cp_model.LinearExpr.sum([v for (p, _, _), v in self.work.items() if p == person])

    def rule(self, kind: str, key: Any) -> cp_model.IntVar:
        """A new assumption literal for one hard-rule instance."""
        lit = self.model.new_bool_var(f"{kind}_{key}")
        self.rules[lit.index] = (kind, key)
        self.literals.append(lit)
        return lit


def _build(problem: WeekProblem, fixed: Sequence[RosterEntry], windows: tuple[Window, ...]) -> _RosterModel:
    """Variables and hard rules, each rule instance behind an assumption literal."""
    rm = _RosterModel(problem, cp_model.CpModel(), problem.staff.members, problem.duty_dates)
    fixed_keys = {(e.staff, e.date, e.role) for e in fixed}
    for m in rm.people:
        for d, date in enumerate(rm.dates):
            for role in Role:
                if (m.id, date, role) in fixed_keys or (m.can(role) and m.available(date)):
                    rm.work[m.id, d, role] = rm.model.new_bool_var(f"w_{m.id}_{d}_{role.value}")
    opts = problem.options
    need = {Role.PATROL: opts.officers_per_day, Role.SPECIALIST: opts.specialists_per_day}
    for d in range(len(rm.dates)):
        for role in Role:
            rm.model.add(rm.role_sum(d, role) == need[role]).only_enforce_if(rm.rule("need", (d, role)))
        for window in windows:
            able = [v for (p, dd, r), v in rm.work.items() if dd == d and r is Role.SPECIALIST and _has(rm, p, window)]
            rm.model.add(cp_model.LinearExpr.sum(able) >= 1).only_enforce_if(rm.rule("window", (d, window)))
    for m in rm.people:
        for d in range(len(rm.dates)):
            roles = [rm.work[m.id, d, r] for r in Role if (m.id, d, r) in rm.work]
            if len(roles) > 1:
                rm.model.add(cp_model.LinearExpr.sum(roles) <= 1)
        rm.model.add(rm.days(m.id) <= m.max_days_per_week).only_enforce_if(rm.rule("max", m.id))
    for i, e in enumerate(fixed):
        var = rm.work[e.staff, rm.dates.index(e.date), e.role]
        rm.model.add(var == 1).only_enforce_if(rm.rule("fixed", i))
    return rm


def _has(rm: _RosterModel, person: str, window: Window) -> bool:
    return any(m.id == person and window in m.skills for m in rm.people)


# -------------------------------------------------------------------- soft rules
def _window_coverage(rm: _RosterModel, desks: Sequence[DeskDay]) -> list[_Soft]:
    """Soft: the day's specialists cover the windows most in demand at that day's desks."""
    out: list[_Soft] = []
    for d, date in enumerate(rm.dates):
        wanted: list[tuple[Window, int, str]] = []
        for desk in (x for x in desks if x.date == date):
            for rank, window in enumerate(top_windows(rm.problem, desk.courtyard)):
                if all(w != window for w, _, _ in wanted):
                    wanted.append((window, _W_WINDOW[min(rank, len(_W_WINDOW) - 1)], desk.courtyard))
        for window, weight, yard in wanted:
            able = [v for (p, dd, r), v in rm.work.items() if dd == d and r is Role.SPECIALIST and _has(rm, p, window)]
            miss = rm.model.new_bool_var(f"miss_{d}_{window.value}")
            rm.model.add(cp_model.LinearExpr.sum(able) + miss >= 1)
            detail = f"{_day(date)}: no specialist at the desk in {yard} runs {window.label_en} ({window.label_zh})"
            out.append(_Soft(miss, weight, BrokenRule("window_coverage", detail, (date.isoformat(), window.value))))
    return out


def _past_counts(problem: WeekProblem) -> dict[str, dict[Role, int]]:
    """Duties per person and role in the history (cancelled ones do not count)."""
    counts: dict[str, dict[Role, int]] = {m.id: dict.fromkeys(Role, 0) for m in problem.staff}
    monday = problem.week.monday
    for duty in problem.past.duties:
        if duty.status != "cancelled" and duty.date < monday and duty.staff in counts:
            counts[duty.staff][duty.role] += 1
    return counts


def _fair_shares(rm: _RosterModel) -> list[_Soft]:
    """Soft: duty counts, history included, stay level among people with the same roles."""
    past = _past_counts(rm.problem)
    groups: dict[frozenset[Role], list[StaffMember]] = {}
    for m in rm.people:
        if any(p == m.id for p, _, _ in rm.work):
            groups.setdefault(m.roles, []).append(m)
    out: list[_Soft] = []
    bound = 10 * (len(rm.dates) + 1) + max((sum(c.values()) for c in past.values()), default=0)
    for roles, members in sorted(groups.items(), key=lambda kv: sorted(r.value for r in kv[0])):
        if len(members) < 2:
            continue
        label = "/".join(sorted(r.value for r in roles))
        totals = [rm.days(m.id) + sum(past[m.id].values()) for m in members]
        hi = rm.model.new_int_var(0, bound, f"fair_hi_{label}")
        lo = rm.model.new_int_var(0, bound, f"fair_lo_{label}")
        rm.model.add_max_equality(hi, totals)
        rm.model.add_min_equality(lo, totals)
        spread = rm.model.new_int_var(0, bound, f"fair_spread_{label}")
        rm.model.add(spread == hi - lo)
        over = rm.model.new_int_var(0, bound, f"fair_over_{label}")
        rm.model.add(over >= spread - 1)
        detail = f"duty counts of {label} staff (history included) differ by more than 1"
        ids = tuple(m.id for m in members)
        out.append(_Soft(over, _W_FAIR_OVER, BrokenRule("fair_shares", detail, ids)))
        out.append(_Soft(spread, _W_FAIR, BrokenRule("fair_shares", "", ids)))
    return out


def _role_mix(rm: _RosterModel) -> list[_Soft]:
    """Soft: people who can take both roles take each about as often (history included)."""
    past = _past_counts(rm.problem)
    out: list[_Soft] = []
    for m in rm.people:
        if len(m.roles) < 2:
            continue
        sums = {
            r: cp_model.LinearExpr.sum([v for (p, _, rr), v in rm.work.items() if p == m.id and rr is r]) for r in Role
        }
        gap = rm.model.new_int_var(0, 10_000, f"mix_{m.id}")
        diff = sums[Role.PATROL] - sums[Role.SPECIALIST] + past[m.id][Role.PATROL] - past[m.id][Role.SPECIALIST]
        rm.model.add(gap >= diff - 1)
        rm.model.add(gap >= -diff - 1)
        detail = f"{m.name} takes one role more than one day more often than the other"
        out.append(_Soft(gap, _W_ROLE_MIX, BrokenRule("role_mix", detail, (m.id,))))
    return out


def _last_pairs(problem: WeekProblem) -> dict[frozenset[str], dt.date]:
    """Officer pairs of the most recent week in the history, with the date they rode together."""
    monday = problem.week.monday
    duties = [x for x in problem.past.duties if x.role is Role.PATROL and x.status != "cancelled" and x.date < monday]
    if not duties:
        return {}
    latest = max(x.date for x in duties)
    start = latest - dt.timedelta(days=latest.weekday())
    by_day: dict[dt.date, list[str]] = {}
    for x in duties:
        if x.date >= start:
            by_day.setdefault(x.date, []).append(x.staff)
    pairs: dict[frozenset[str], dt.date] = {}
    for date, ids in sorted(by_day.items()):
        for a, b in itertools.combinations(sorted(set(ids)), 2):
            pairs.setdefault(frozenset((a, b)), date)
    return pairs


def _officer_pairs(rm: _RosterModel) -> list[_Soft]:
    """Soft: officers do not ride with last week's partner, nor twice with one partner in a week."""
    last = _last_pairs(rm.problem)
    officers = [m for m in rm.people if any(p == m.id and r is Role.PATROL for p, _, r in rm.work)]
    out: list[_Soft] = []
    for a, b in itertools.combinations(officers, 2):
        together: list[cp_model.IntVar] = []
        for d in range(len(rm.dates)):
            va, vb = rm.work.get((a.id, d, Role.PATROL)), rm.work.get((b.id, d, Role.PATROL))
            if va is None or vb is None:
                continue
            both = rm.model.new_bool_var(f"pair_{a.id}_{b.id}_{d}")
            rm.model.add(both >= va + vb - 1)
            together.append(both)
        if not together:
            continue
        key = frozenset((a.id, b.id))
        if key in last:
            again = rm.model.new_int_var(0, len(together), f"pair_last_{a.id}_{b.id}")
            rm.model.add(again == cp_model.LinearExpr.sum(together))
            detail = f"{a.name} and {b.name} ride together again (last on {last[key].isoformat()})"
            out.append(_Soft(again, _W_PAIR_LAST, BrokenRule("officer_pairs", detail, (a.id, b.id))))
        if len(together) > 1:
            repeat = rm.model.new_int_var(0, len(together), f"pair_week_{a.id}_{b.id}")
            rm.model.add(repeat >= cp_model.LinearExpr.sum(together) - 1)
            detail = f"{a.name} and {b.name} ride together more than once this week"
            out.append(_Soft(repeat, _W_PAIR_WEEK, BrokenRule("officer_pairs", detail, (a.id, b.id))))
    return out


def _keep_announced(rm: _RosterModel, prefer: Sequence[RosterEntry]) -> list[_Soft]:
    """Soft: keep every announced duty (re-planning changes as little as possible)."""
    out: list[_Soft] = []
    for e in prefer:
        if e.date not in rm.dates:
            continue
        var = rm.work.get((e.staff, rm.dates.index(e.date), e.role))
        changed = rm.model.new_bool_var(f"changed_{e.staff}_{e.date}")
        if var is not None:
            rm.model.add(changed + var >= 1)
        else:
            rm.model.add(changed == 1)
        detail = f"{_day(e.date)}: {e.name} no longer works as {e.role.value} as announced"
        out.append(_Soft(changed, _W_KEEP, BrokenRule("keep_announced", detail, (e.staff, e.date.isoformat()))))
    return out


# ------------------------------------------------------------------ infeasibility
def _why(rm: _RosterModel, core: Sequence[int], fixed: Sequence[RosterEntry]) -> str:
    """A readable reason from the sufficient assumptions: the day, the rule, the people."""
    found = [rm.rules[i] for i in core if i in rm.rules]
    at_max = {key for kind, key in found if kind == "max"}
    need = {Role.PATROL: rm.problem.options.officers_per_day, Role.SPECIALIST: rm.problem.options.specialists_per_day}
    lines: list[str] = []
    for kind, key in found:
        if kind == "need":
            d, role = key
            lines.append(_need_line(rm, rm.dates[d], role, need[role], at_max))
        elif kind == "window":
            d, window = key
            lines.append(_window_line(rm, rm.dates[d], window, at_max))
        elif kind == "fixed":
            e = fixed[key]
            lines.append(f"{_day(e.date)}: {e.name} is fixed as {e.role.value}.")
    if not lines:
        lines.append("the rules contradict each other (required numbers, maximum days, fixed duties)")
    return " ".join(lines)


def _blocked(rm: _RosterModel, date: dt.date, able: Sequence[StaffMember], at_max: set[str]) -> list[str]:
    """Sentences naming who is on leave and who is at their maximum days."""
    leave = [m for m in able if not m.available(date)]
    maxed = [m for m in able if m.available(date) and m.id in at_max]
    out: list[str] = []
    if leave:
        out.append(f"{_names(leave)} {'is' if len(leave) == 1 else 'are'} on leave.")
    by_max: dict[int, list[StaffMember]] = {}
    for m in maxed:
        by_max.setdefault(m.max_days_per_week, []).append(m)
    for days, people in sorted(by_max.items()):
        unit = "day" if days == 1 else "days"
        verb = "is" if len(people) == 1 else "are"
        out.append(f"{_names(people)} {verb} at the maximum of {days} {unit}.")
    return out


def _need_line(rm: _RosterModel, date: dt.date, role: Role, n: int, at_max: set[str]) -> str:
    able = [m for m in rm.people if m.can(role)]
    free = [m for m in able if m.available(date) and m.id not in at_max]
    head = f"{_day(date)} needs {_plural(n, role)}; available: {_names(free) or 'nobody'}."
    if not able:
        head += f" Nobody in the staff pool can take the role {role.value}."
    return " ".join([head, *_blocked(rm, date, able, at_max)])


def _window_line(rm: _RosterModel, date: dt.date, window: Window, at_max: set[str]) -> str:
    able = [m for m in rm.people if m.can(Role.SPECIALIST) and window in m.skills]
    free = [m for m in able if m.available(date) and m.id not in at_max]
    head = (
        f"{_day(date)} needs a specialist for the {window.label_en} window ({window.label_zh}); "
        f"available: {_names(free) or 'nobody'}."
    )
    return " ".join([head, *_blocked(rm, date, able, at_max)])


def _check_skills_exist(problem: WeekProblem, windows: Sequence[Window]) -> None:
    """A required window that no specialist in the pool can run at all."""
    specialists = problem.staff.with_role(Role.SPECIALIST)
    missing = [w for w in windows if not any(w in m.skills for m in specialists)]
    if missing:
        names = ", ".join(f"{w.label_en} ({w.label_zh}, {w.value})" for w in missing)
        msg = f"week {problem.week}: no specialist in the staff pool can run the window {names}; add the skill"
        raise InsufficientStaffError(msg, items=[w.value for w in missing])


def _explain(rm: _RosterModel, time_limit: float, seed: int, fixed: Sequence[RosterEntry]) -> InsufficientStaffError:
    """Solve with the rule literals as assumptions and turn the core into an error."""
    rm.model.add_assumptions(rm.literals)
    solver = _solver(time_limit, seed)
    solver.solve(rm.model)
    core = list(solver.sufficient_assumptions_for_infeasibility())
    msg = f"week {rm.problem.week} cannot be staffed: {_why(rm, core, fixed)}"
    items = [str(rm.rules[i][1]) for i in core if i in rm.rules]
    return InsufficientStaffError(msg, items=items)


def _solver(time_limit: float, seed: int) -> cp_model.CpSolver:
    solver: cp_model.CpSolver = configure_cp_sat(cp_model.CpSolver(), time_limit, seed)
    return solver


def _validate(problem: WeekProblem, fixed: Sequence[RosterEntry]) -> None:
    """Fixed entries must name duty dates, known people and roles they can take."""
    problems: list[str] = []
    ids = {m.id for m in problem.staff}
    for e in fixed:
        if e.date not in problem.duty_dates:
            problems.append(f"{e.date} is not a duty date of {problem.week}")
        elif e.staff not in ids:
            problems.append(f"{e.date}: no staff member {e.staff!r}")
    if problems:
        msg = f"fixed roster entries that cannot be kept: {'; '.join(problems)}"
        raise InvalidInputError(msg, items=problems)


# ------------------------------------------------------------------------ public
def plan_roster(
    problem: WeekProblem,
    desks: Sequence[DeskDay],
    *,
    time_limit: float,
    seed: int,
    fixed: Sequence[RosterEntry] = (),
    prefer: Sequence[RosterEntry] = (),
    required_windows: Sequence[str] = (),
) -> Roster:
    """Staff the week: who works which duty day, in which role.

    Parameters
    ----------
    problem
        The week, with the staff pool (leave included) and the duty history.
    desks
        The week's desks (from :func:`patrolplan.desk.plan_desks`).
    time_limit
        CP-SAT wall-clock limit in seconds.
    seed
        CP-SAT random seed (one worker, so the same seed gives the same roster).
    fixed
        Entries kept as they are (days already done when re-planning).
    prefer
        Entries announced before: kept unless impossible (fewest changes).
    required_windows
        Window keys every duty day's specialists must cover (a hard rule);
        ``options.required_windows`` is added when the options carry it.

    Returns
    -------
    Roster
        The entries, ordered by date, role and staff id, and the soft rules broken.

    Raises
    ------
    InsufficientStaffError
        If a day cannot get its required numbers or windows; the message names
        the day, the rule and the people (on leave, at their maximum days).
    InvalidInputError
        If a fixed entry is not on a duty date or names an unknown person.
    """
    windows = _required_windows(problem, required_windows)
    _check_skills_exist(problem, windows)
    _validate(problem, fixed)
    rm = _build(problem, fixed, windows)
    softs = [*_window_coverage(rm, desks), *_fair_shares(rm), *_role_mix(rm), *_officer_pairs(rm)]
    softs.extend(_keep_announced(rm, prefer))
    rm.model.minimize(cp_model.LinearExpr.weighted_sum([s.var for s in softs], [s.weight for s in softs]))
    for lit in rm.literals:
        rm.model.add(lit == 1)
    solver = _solver(time_limit, seed)
    status = solver.solve(rm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise _explain(_build(problem, fixed, windows), time_limit, seed, fixed)
    entries = _entries(rm, solver, desks)
    broken = tuple(_broken(solver, softs))
    logger.debug("roster for %s: %d entries, %d broken soft rules", problem.week, len(entries), len(broken))
    return Roster(entries, broken)


def _broken(solver: cp_model.CpSolver, softs: Sequence[_Soft]) -> Iterable[BrokenRule]:
    seen: set[BrokenRule] = set()
    for soft in softs:
        rule = soft.broken
        if rule.detail and solver.value(soft.var) > 0 and rule not in seen:
            seen.add(rule)
            yield rule


def _entries(rm: _RosterModel, solver: cp_model.CpSolver, desks: Sequence[DeskDay]) -> tuple[RosterEntry, ...]:
    """Read the roster; specialists are spread over the day's desks, windows most in demand first."""
    shift = _shift_text(rm.problem)
    by_id = {m.id: m for m in rm.people}
    out: list[RosterEntry] = []
    for d, date in enumerate(rm.dates):
        day_desks = [x.courtyard for x in desks if x.date == date]
        chosen = sorted((p, r) for (p, dd, r), v in rm.work.items() if dd == d and solver.boolean_value(v))
        specialists = [p for p, r in chosen if r is Role.SPECIALIST]
        for p, role in chosen:
            m = by_id[p]
            if role is Role.PATROL:
                out.append(RosterEntry(date, p, m.label, role, shift))
                continue
            desk = day_desks[specialists.index(p) % len(day_desks)] if day_desks else None
            top = top_windows(rm.problem, desk) if desk else ()
            ordered = [w for w in top if w in m.skills] + sorted(w for w in m.skills if w not in top)
            out.append(RosterEntry(date, p, m.label, role, shift, tuple(w.value for w in ordered), desk))
    out.sort(key=lambda e: (e.date, 0 if e.role is Role.PATROL else 1, e.staff))
    return tuple(out)


# ------------------------------------------------------------------------- check
def check_roster(problem: WeekProblem, desks: Sequence[DeskDay], roster: Roster) -> list[str]:
    """Re-verify a roster and its desks independently of the solver.

    Checks the required numbers per day, leave, maximum days, one role a day,
    roles and skills the people really have, a desk each duty day, and desk
    courtyards that can host.

    Returns
    -------
    list[str]
        Human-readable violations; empty when the roster is valid.
    """
    return [*_check_entries(problem, roster), *_check_numbers(problem, roster), *_check_desks(problem, desks, roster)]


def _check_entries(problem: WeekProblem, roster: Roster) -> list[str]:
    out: list[str] = []
    people = {m.id: m for m in problem.staff}
    seen: set[tuple[dt.date, str]] = set()
    for e in roster.entries:
        m = people.get(e.staff)
        where = f"{e.date} {e.staff}"
        if e.date not in problem.duty_dates:
            out.append(f"{where}: {e.date} is not a duty date of {problem.week}")
        if m is None:
            out.append(f"{where}: not in the staff pool")
            continue
        if (e.date, e.staff) in seen:
            out.append(f"{where}: {m.name} has more than one role that day")
        seen.add((e.date, e.staff))
        if not m.can(e.role):
            out.append(f"{where}: {m.name} cannot take the role {e.role.value}")
        if not m.available(e.date):
            out.append(f"{where}: {m.name} is on leave")
        skills = {w.value for w in m.skills}
        claimed = [w for w in e.windows if w not in skills]
        if claimed:
            out.append(f"{where}: {m.name} does not have the skills {claimed}")
    for m in problem.staff:
        days = roster.days_of(m.id)
        if days > m.max_days_per_week:
            out.append(f"{m.id}: {m.name} works {days} days, more than the maximum of {m.max_days_per_week}")
    return out


def _check_numbers(problem: WeekProblem, roster: Roster) -> list[str]:
    opts = problem.options
    out: list[str] = []
    for date in problem.duty_dates:
        for role, n in ((Role.PATROL, opts.officers_per_day), (Role.SPECIALIST, opts.specialists_per_day)):
            got = len(roster.on(date, role))
            if got != n:
                out.append(f"{_day(date)}: {got} {role.value} on duty, {n} required")
    return out


def _check_desks(problem: WeekProblem, desks: Sequence[DeskDay], roster: Roster) -> list[str]:
    opts = problem.options
    out: list[str] = []
    yards = {y.id: y for y in problem.courtyards}
    for date in problem.duty_dates:
        day = [x.courtyard for x in desks if x.date == date]
        if len(day) < opts.desks_per_day:
            out.append(f"{_day(date)}: {len(day)} desks, {opts.desks_per_day} required")
        for e in roster.on(date, Role.SPECIALIST):
            if e.desk is not None and e.desk not in day:
                out.append(f"{_day(date)}: {e.staff} is at desk {e.desk}, which is not a desk that day")
    for x in desks:
        yard = yards.get(x.courtyard)
        if yard is None:
            out.append(f"{x.date}: desk courtyard {x.courtyard} is not in the district")
        elif not yard.can_host_desk:
            out.append(f"{x.date}: courtyard {x.courtyard} cannot host the desk")
    capable = sum(1 for y in problem.courtyards if y.can_host_desk)
    counts: dict[str, int] = {}
    for x in desks:
        counts[x.courtyard] = counts.get(x.courtyard, 0) + 1
    if capable >= len(desks):
        twice = sorted(c for c, n in counts.items() if n > 1)
        if twice:
            out.append(f"courtyards {twice} host the desk more than once in {problem.week}")
    return out
