"""Staff roster: hard rules, soft rules reported by name, named infeasibility, the checker, properties."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patrolplan.desk import DeskDay, plan_desks
from patrolplan.district import District, load_district
from patrolplan.errors import InsufficientStaffError, InvalidInputError
from patrolplan.problem import PastDuty, PastWeeks, WeekProblem
from patrolplan.roster import Roster, RosterEntry, check_roster, plan_roster, top_windows
from patrolplan.staff import Role, Staff, StaffMember, load_staff
from patrolplan.week import Week
from patrolplan.windows import Window

WEEK = Week.parse("2026-W49")
TUE, WED, THU = WEEK.duty_dates()


@pytest.fixture(scope="module")
def district() -> District:
    return load_district()


@pytest.fixture(scope="module")
def staff() -> Staff:
    return load_staff()


@pytest.fixture(scope="module")
def problem(district: District, staff: Staff) -> WeekProblem:
    return WeekProblem(district, staff, WEEK)


@pytest.fixture(scope="module")
def desks(problem: WeekProblem) -> tuple[DeskDay, ...]:
    return plan_desks(problem, time_limit=2, seed=0)


def _plan(problem: WeekProblem, desks: tuple[DeskDay, ...], **kw: object) -> Roster:
    return plan_roster(problem, desks, time_limit=2, seed=0, **kw)  # type: ignore[arg-type]


def test_default_week_has_two_officers_and_two_specialists_a_day(
    problem: WeekProblem, desks: tuple[DeskDay, ...]
) -> None:
    """The report's numbers: 2 patrol officers and 2 specialists each duty day, and the checker agrees."""
    roster = _plan(problem, desks)
    for date in problem.duty_dates:
        assert len(roster.officers(date)) == 2
        assert len(roster.specialists(date)) == 2
    assert check_roster(problem, desks, roster) == []


def test_specialists_stand_at_the_day_desk_with_their_own_windows(
    problem: WeekProblem, desks: tuple[DeskDay, ...]
) -> None:
    """Each specialist is at that day's desk and only claims windows they can run."""
    roster = _plan(problem, desks)
    for e in roster.entries:
        if e.role is Role.SPECIALIST:
            assert e.desk == next(d.courtyard for d in desks if d.date == e.date)
            assert set(e.windows) <= {w.value for w in problem.staff.get(e.staff).skills}
        assert e.shift == "09:00–11:30, 14:30–17:00"
        assert e.name == problem.staff.get(e.staff).label


def test_same_seed_gives_the_same_roster(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """One worker and a seed make the roster repeatable."""
    assert _plan(problem, desks) == _plan(problem, desks)


def test_nobody_works_on_leave(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """A person on leave on a day is not rostered that day."""
    staff = problem.staff.with_leave("Wang Fang", [TUE, WED]).with_leave("Liu Qiang", THU)
    roster = _plan(problem.replace(staff=staff), desks)
    assert "S01" not in {e.staff for e in roster.entries if e.date in (TUE, WED)}
    assert "P01" not in roster.officers(THU)
    assert check_roster(problem.replace(staff=staff), desks, roster) == []


def test_nobody_works_beyond_their_maximum_days(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """With 3 officers at most 2 days each, the 6 patrol slots are shared exactly."""
    staff = problem.staff.without("Sun Hao")
    for name in ("Liu Qiang", "Chen Jun", "Zhang Wei"):
        staff = staff.with_max_days(name, 2)
    roster = _plan(problem.replace(staff=staff), desks)
    assert [roster.days_of(p) for p in ("P01", "P02", "P03")] == [2, 2, 2]


def test_window_coverage_prefers_specialists_with_the_desk_top_windows(
    problem: WeekProblem, desks: tuple[DeskDay, ...]
) -> None:
    """When the pool can cover the desk's top windows, nothing is reported broken for coverage."""
    roster = _plan(problem, desks)
    for desk in desks:
        wanted = {w.value for w in top_windows(problem, desk.courtyard)}
        covered = {w for e in roster.on(desk.date, Role.SPECIALIST) for w in e.windows}
        assert wanted <= covered
    assert not [b for b in roster.broken if b.rule == "window_coverage"]


def test_uncovered_window_is_reported_by_name(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """With nobody able to run a desk's top window, the soft rule is broken and named."""
    top = top_windows(problem, desks[0].courtyard)[0]
    staff = problem.staff
    for m in staff.with_role(Role.SPECIALIST):
        staff = staff.with_skills(m.id, [w for w in m.skills if w is not top] or [Window.CIVIL_AFFAIRS])
    roster = _plan(problem.replace(staff=staff), desks)
    broken = [b for b in roster.broken if b.rule == "window_coverage" and top.value in b.items]
    assert broken
    assert top.label_zh in broken[0].detail


def test_duties_are_fair_across_weeks(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """Officers who worked more in the history work less this week."""
    past = PastWeeks(
        duties=tuple(
            PastDuty(WEEK.next(-1).day(d), staff, Role.PATROL, "done") for d in (1, 2, 3) for staff in ("P01", "P02")
        )
    )
    roster = _plan(problem.replace(past=past), desks)
    assert roster.days_of("P03") == roster.days_of("P04") == 3
    assert roster.days_of("P01") + roster.days_of("P02") == 0


def test_cancelled_duties_do_not_count_for_fairness(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """A cancelled duty in the history is not a duty worked."""
    past = PastWeeks(
        duties=tuple(
            PastDuty(WEEK.next(-1).day(d), staff, Role.PATROL, "cancelled")
            for d in (1, 2, 3)
            for staff in ("P01", "P02")
        )
    )
    roster = _plan(problem.replace(past=past), desks)
    counts = sorted(roster.days_of(p) for p in ("P01", "P02", "P03", "P04"))
    assert counts == [1, 1, 2, 2]


def test_officer_pairs_rotate(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """Last week's pairs do not ride together again, and no pair rides twice in the week."""
    last = WEEK.next(-1)
    pairs = [("P01", "P02"), ("P03", "P04"), ("P01", "P03")]
    past = PastWeeks(
        duties=tuple(
            PastDuty(last.day(d), s, Role.PATROL, "done")
            for d, pair in zip((1, 2, 3), pairs, strict=True)
            for s in pair
        )
    )
    roster = _plan(problem.replace(past=past), desks)
    now = [frozenset(roster.officers(date)) for date in problem.duty_dates]
    assert len(set(now)) == 3
    assert not set(now) & {frozenset(p) for p in pairs}
    assert not [b for b in roster.broken if b.rule == "officer_pairs"]


def test_repeated_pairs_are_reported_when_unavoidable(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """With only two officers, they ride together every day: reported as a broken officer-pairs rule."""
    staff = problem.staff.without("Zhang Wei").without("Sun Hao")
    roster = _plan(problem.replace(staff=staff), desks)
    assert [b.rule for b in roster.broken if b.rule == "officer_pairs"] == ["officer_pairs"]
    assert "more than once this week" in next(b.detail for b in roster.broken if b.rule == "officer_pairs")


def test_fixed_entries_are_kept(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """Fixed entries (days done) stay, even against fairness."""
    fixed = [
        RosterEntry(TUE, "P04", "孫浩 Sun Hao", Role.PATROL, ""),
        RosterEntry(TUE, "P03", "張偉 Zhang Wei", Role.PATROL, ""),
    ]
    roster = _plan(problem, desks, fixed=fixed)
    assert set(roster.officers(TUE)) == {"P03", "P04"}


def test_announced_entries_change_as_little_as_possible(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """Re-planning with one officer absent on Wednesday changes only that one duty."""
    before = _plan(problem, desks)
    absent = before.officers(WED)[0]
    staff = problem.staff.with_leave(absent, WED)
    after = _plan(problem.replace(staff=staff), desks, prefer=before.entries)
    old = {(e.date, e.staff, e.role) for e in before.entries}
    new = {(e.date, e.staff, e.role) for e in after.entries}
    assert len(old - new) == 1
    assert len(new - old) == 1
    assert [b.rule for b in after.broken if b.rule == "keep_announced"] == ["keep_announced"]


def test_to_frame_has_one_row_per_entry(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """The DataFrame view has the roster's columns and rows."""
    roster = _plan(problem, desks)
    frame = roster.to_frame()
    assert len(frame) == len(roster.entries) == 12
    assert {"date", "staff", "name", "role", "role_zh", "shift", "windows", "desk"} <= set(frame.columns)


# ------------------------------------------------------------------ infeasible weeks
def test_example_from_the_issue_names_day_rule_and_people(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """Too few specialists on Wednesday: the day, the rule, who is free, on leave and at the maximum."""
    staff = problem.staff
    for name in ("Wang Fang", "Xie Min", "Zhou Yan"):
        staff = staff.with_leave(name, [TUE, WED, THU])
    staff = staff.with_leave("Huang Li", [WED, THU]).with_leave("Zhao Lei", TUE).with_max_days("Zhao Lei", 1)
    with pytest.raises(
        InsufficientStaffError,
        match=r"Wed 2026-12-02 needs 2 specialists; available: Li Na\. .*Wang Fang.* on leave\. "
        r"Zhao Lei is at the maximum of 1 day\.",
    ):
        _plan(problem.replace(staff=staff), desks)


@pytest.mark.parametrize(
    ("leave", "message"),
    [
        (("P01", "P02", "P03", "P04"), r"Wed 2026-12-02 needs 2 patrol officers; available: nobody\."),  # all on leave
        (("P01", "P02", "P03"), r"Wed 2026-12-02 needs 2 patrol officers; available: Sun Hao\."),  # too few officers
        (("S01", "S02", "S03", "S04", "S05"), r"Wed 2026-12-02 needs 2 specialists; available: Huang Li\."),
    ],
)
def test_too_few_people_on_a_day_raise(
    problem: WeekProblem, desks: tuple[DeskDay, ...], leave: tuple[str, ...], message: str
) -> None:
    """Leave that leaves a day short raises, naming the day and the people on leave."""
    staff = problem.staff
    for person in leave:
        staff = staff.with_leave(person, WED)
    with pytest.raises(InsufficientStaffError, match=message + r".* on leave\."):
        _plan(problem.replace(staff=staff), desks)


def test_too_few_officers_for_the_week_raise_naming_the_maximum(
    problem: WeekProblem, desks: tuple[DeskDay, ...]
) -> None:
    """Two officers at 2 days each cannot ride 3 days of 2: the maximum is named."""
    staff = problem.staff.without("Zhang Wei").without("Sun Hao").with_max_days("Liu Qiang", 2)
    with pytest.raises(InsufficientStaffError, match=r"needs 2 patrol officers; .*Liu Qiang is at the maximum of 2"):
        _plan(problem.replace(staff=staff), desks)


def test_required_window_nobody_has_raises(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """A window the week requires that no specialist can run is named, with its Chinese label."""
    staff = problem.staff.without("Xie Min").without("Huang Li")
    with pytest.raises(InsufficientStaffError, match=r"no specialist .* can run the window .*綜治維穩"):
        _plan(problem.replace(staff=staff), desks, required_windows=["governance_stability"])


def test_required_window_missing_on_one_day_raises(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """Both governance specialists on leave on Tuesday: the day and the window are named."""
    staff = problem.staff.with_leave("Xie Min", TUE).with_leave("Huang Li", TUE)
    with pytest.raises(
        InsufficientStaffError,
        match=r"Tue 2026-12-01 needs a specialist for the .* window \(綜治維穩\); available: nobody\. "
        r"Xie Min, Huang Li are on leave\.",
    ):
        _plan(problem.replace(staff=staff), desks, required_windows=["governance_stability"])


def test_required_window_is_covered_when_possible(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """A required window is covered every day."""
    roster = _plan(problem, desks, required_windows=["city_management"])
    for date in problem.duty_dates:
        skills = {w for s in roster.specialists(date) for w in problem.staff.get(s).skills}
        assert Window.CITY_MANAGEMENT in skills


def test_fixed_entry_on_an_unknown_day_raises(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """Fixed entries must be on duty dates and name known people."""
    with pytest.raises(InvalidInputError, match="is not a duty date"):
        _plan(problem, desks, fixed=[RosterEntry(dt.date(2026, 12, 7), "P01", "x", Role.PATROL, "")])
    with pytest.raises(InvalidInputError, match="no staff member 'Z9'"):
        _plan(problem, desks, fixed=[RosterEntry(TUE, "Z9", "x", Role.PATROL, "")])


# ----------------------------------------------------------------------- checker
def test_check_roster_finds_every_kind_of_violation(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """A tampered roster is caught: numbers, leave, maximum days, roles, skills, desks."""
    roster = _plan(problem, desks)
    tue_spec = roster.on(TUE, Role.SPECIALIST)[0]
    bad = list(roster.entries)
    bad.remove(roster.on(THU, Role.PATROL)[0])  # Thursday one officer short
    officer = roster.officers(TUE)[0]  # also rostered as a specialist, which an officer cannot be
    bad.append(RosterEntry(TUE, officer, "", Role.SPECIALIST, "", ("juggling",), "C999"))
    bad[bad.index(tue_spec)] = dataclasses.replace(tue_spec, windows=("not_a_skill",))
    staff = problem.staff.with_leave(tue_spec.staff, TUE).with_max_days(roster.officers(WED)[0], 0)
    problems = check_roster(problem.replace(staff=staff), desks[:2], Roster(tuple(bad)))
    text = "\n".join(problems)
    for phrase in (
        "1 patrol on duty, 2 required",
        "is on leave",
        "more than the maximum of 0",
        "cannot take the role specialist",
        "does not have the skills ['not_a_skill']",
        "more than one role that day",
        "0 desks, 1 required",
        "not a desk that day",
    ):
        assert phrase in text, phrase


def test_check_roster_flags_a_desk_that_cannot_host(problem: WeekProblem, desks: tuple[DeskDay, ...]) -> None:
    """A desk at a courtyard that cannot host, or twice in a week, is reported."""
    roster = _plan(problem, desks)
    no_host = next(y.id for y in problem.courtyards if not y.can_host_desk)
    moved = (
        dataclasses.replace(desks[0], courtyard=no_host),
        desks[1],
        dataclasses.replace(desks[2], courtyard=desks[1].courtyard),
    )
    text = "\n".join(check_roster(problem, moved, roster))
    assert "cannot host the desk" in text
    assert "more than once" in text


# -------------------------------------------------------------------- properties
_WINDOWS = list(Window)


@st.composite
def _pools(draw: st.DrawFn) -> Staff:
    """Random pools: 2-8 officers, 2-8 specialists (some both), random skills, leave and maximum days."""
    members: list[StaffMember] = []
    n_patrol = draw(st.integers(2, 8))
    n_spec = draw(st.integers(2, 8))
    days = list(WEEK.duty_dates())
    for i in range(n_patrol + n_spec):
        roles = {Role.PATROL} if i < n_patrol else {Role.SPECIALIST}
        if draw(st.booleans()) and draw(st.booleans()):
            roles = {Role.PATROL, Role.SPECIALIST}
        skills = draw(st.frozensets(st.sampled_from(_WINDOWS), max_size=4)) if Role.SPECIALIST in roles else frozenset()
        leave = draw(st.frozensets(st.sampled_from(days), max_size=3))
        members.append(
            StaffMember(
                id=f"X{i:02d}",
                name=f"Person {i}",
                roles=frozenset(roles),
                skills=skills,
                leave=leave,
                max_days_per_week=draw(st.integers(0, 3)),
            )
        )
    return Staff(tuple(members))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool=_pools())
def test_any_pool_gives_a_valid_roster_or_a_named_reason(
    problem: WeekProblem, desks: tuple[DeskDay, ...], pool: Staff
) -> None:
    """For random pools and leave: either the checker finds nothing, or the error names a day and a rule."""
    week = problem.replace(staff=pool)
    reason = ""
    try:
        roster = plan_roster(week, desks, time_limit=2, seed=0)
    except InsufficientStaffError as exc:
        reason = str(exc)
    if reason:
        assert "cannot be staffed" in reason
        assert any(f"{d:%a %Y-%m-%d} needs" in reason for d in week.duty_dates)
        return
    assert check_roster(week, desks, roster) == []
    for e in roster.entries:
        assert pool.get(e.staff).available(e.date)
