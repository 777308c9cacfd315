"""Desk rotation: one desk per duty day, the cycle, waiting, need, cancellations, re-planning, 15 minutes."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patrolplan.desk import DeskDay, desk_cycle_weeks, fifteen_minute_share, plan_desks
from patrolplan.district import District, load_district
from patrolplan.errors import InvalidInputError
from patrolplan.options import PlanOptions
from patrolplan.problem import PastDesk, PastWeeks, WeekProblem
from patrolplan.staff import load_staff
from patrolplan.week import Week

WEEK = Week.parse("2026-W49")


@pytest.fixture(scope="module")
def district() -> District:
    return load_district()


@pytest.fixture(scope="module")
def problem(district: District) -> WeekProblem:
    return WeekProblem(district, load_staff(), WEEK)


def _capable(problem: WeekProblem) -> list[str]:
    return [y.id for y in problem.courtyards if y.can_host_desk]


def _history(problem: WeekProblem, hosted: dict[str, int], status: str = "done") -> PastWeeks:
    """Desks that hosted ``weeks_ago`` weeks before the planned week (on its Tuesday)."""
    return PastWeeks(
        desks=tuple(
            PastDesk(WEEK.next(-ago).day(1), yard, status) for yard, ago in sorted(hosted.items(), key=lambda kv: kv[1])
        )
    )


def test_cycle_is_capable_courtyards_over_weekly_slots(problem: WeekProblem) -> None:
    """Tiexi: 30 desk-capable courtyards, 3 slots a week: a 10-week cycle."""
    assert len(_capable(problem)) == 30
    assert desk_cycle_weeks(problem) == 10
    two = problem.replace(options=PlanOptions(desks_per_day=2))
    assert desk_cycle_weeks(two) == 5


def test_one_capable_desk_per_duty_day_never_twice(problem: WeekProblem) -> None:
    """Each duty day gets one desk at a courtyard that can host it, none twice in the week."""
    desks = plan_desks(problem, time_limit=2, seed=0)
    assert [d.date for d in desks] == list(problem.duty_dates)
    assert len({d.courtyard for d in desks}) == len(desks)
    assert all(d.courtyard in _capable(problem) for d in desks)
    assert all(d.reason for d in desks)


def test_same_seed_gives_the_same_desks(problem: WeekProblem) -> None:
    """One CP-SAT worker and a seed make the rotation repeatable."""
    assert plan_desks(problem, time_limit=2, seed=3) == plan_desks(problem, time_limit=2, seed=3)


def test_without_history_the_most_needy_go_first(problem: WeekProblem) -> None:
    """With no history every courtyard waited as long; need decides."""
    desks = plan_desks(problem, time_limit=2, seed=0)
    needs = sorted((y.need for y in problem.courtyards if y.can_host_desk), reverse=True)
    chosen = {y.id: y.need for y in problem.courtyards}
    assert sorted((chosen[d.courtyard] for d in desks), reverse=True) == needs[:3]


def test_the_courtyard_that_waited_longest_goes_first(problem: WeekProblem) -> None:
    """After a full cycle of rotation, the three that hosted 10 weeks ago host now, whatever their need."""
    capable = _capable(problem)
    hosted = {yard: 1 + i // 3 for i, yard in enumerate(capable)}  # 3 a week, 1 to 10 weeks ago
    desks = plan_desks(problem.replace(past=_history(problem, hosted)), time_limit=2, seed=0)
    assert {d.courtyard for d in desks} == set(capable[-3:])
    assert all("waited 10 weeks" in d.reason and "due within its 10-week cycle" in d.reason for d in desks)


def test_a_cancelled_desk_brings_its_courtyard_forward(problem: WeekProblem) -> None:
    """A desk cancelled last week (rain) does not count as hosted and its courtyard goes first."""
    capable = _capable(problem)
    hosted = {yard: 1 + i % 5 for i, yard in enumerate(capable)}  # all hosted in the last 5 weeks
    base = _history(problem, hosted)
    rained = PastDesk(WEEK.next(-1).day(2), capable[7], "cancelled")
    past = PastWeeks(desks=(*(d for d in base.desks if d.courtyard != capable[7]), rained))
    desks = plan_desks(problem.replace(past=past), time_limit=2, seed=0)
    assert capable[7] in {d.courtyard for d in desks}
    reason = next(d.reason for d in desks if d.courtyard == capable[7])
    assert "cancelled" in reason


def test_cancelled_desks_are_not_counted_as_hosted(problem: WeekProblem) -> None:
    """A courtyard whose only desk was cancelled is treated as never having hosted."""
    capable = _capable(problem)
    hosted = dict.fromkeys(capable, 2)
    past = _history(problem, hosted, status="cancelled")
    desks = plan_desks(problem.replace(past=past), time_limit=2, seed=0)
    assert all("has not hosted" in d.reason for d in desks)


def test_fixed_desks_are_kept_as_they_are(problem: WeekProblem) -> None:
    """Fixed days (already done when re-planning) keep their desk and reason."""
    capable = _capable(problem)
    fixed = [DeskDay(problem.duty_dates[0], capable[0], "done on the day")]
    desks = plan_desks(problem, time_limit=2, seed=0, fixed=fixed)
    assert desks[0] == fixed[0]
    assert capable[0] not in {d.courtyard for d in desks[1:]}


def test_announced_desks_are_kept_unless_impossible(problem: WeekProblem) -> None:
    """Re-planning keeps what was announced, even against the rotation's own choice."""
    capable = _capable(problem)
    announced = [DeskDay(date, capable[i], "") for i, date in enumerate(problem.duty_dates)]
    desks = plan_desks(problem, time_limit=2, seed=0, prefer=announced)
    assert [(d.date, d.courtyard) for d in desks] == [(d.date, d.courtyard) for d in announced]
    assert all(d.reason.startswith("kept as announced") for d in desks)


@pytest.mark.parametrize(
    ("desk", "message"),
    [
        (DeskDay(dt.date(2026, 12, 7), "C01"), "is not a duty date"),  # a Monday
        (DeskDay(dt.date(2026, 12, 1), "C999"), "no courtyard 'C999'"),  # unknown courtyard
    ],
)
def test_fixed_desks_that_cannot_be_kept_raise(problem: WeekProblem, desk: DeskDay, message: str) -> None:
    """Fixed desks must name duty dates and known courtyards."""
    with pytest.raises(InvalidInputError, match=message):
        plan_desks(problem, time_limit=1, seed=0, fixed=[desk])


def test_no_desks_when_desks_per_day_is_zero(problem: WeekProblem) -> None:
    """``desks_per_day=0`` plans no desk."""
    assert plan_desks(problem.replace(options=PlanOptions(desks_per_day=0)), time_limit=1, seed=0) == ()


def test_fifteen_minute_share_counts_courtyards_within_a_walk() -> None:
    """On a line of courtyards 500 m apart, a walk of 1,125 m (15 min at 4.5 km/h) reaches 2 each way."""
    points = [(0.0, -100.0)] + [(500.0 * i, 0.0) for i in range(10)]
    district = District.from_points(points)
    problem = WeekProblem(district, load_staff(), WEEK)
    ids = [y.id for y in district.courtyards]
    assert fifteen_minute_share(problem, [ids[0]]) == pytest.approx(3 / 10)
    assert fifteen_minute_share(problem, [ids[4]]) == pytest.approx(5 / 10)
    assert fifteen_minute_share(problem, [ids[2], ids[7]]) == pytest.approx(10 / 10)
    assert fifteen_minute_share(problem, []) == 0.0


def test_fifteen_minute_share_rejects_unknown_courtyards(problem: WeekProblem) -> None:
    """A desk id that is not a courtyard is named."""
    with pytest.raises(InvalidInputError, match=r"\['nowhere'\] are not in"):
        fifteen_minute_share(problem, ["nowhere"])


def test_maximising_fifteen_minutes_never_lowers_the_share() -> None:
    """With the option on, the desks reach as many courtyards within 15 minutes as 3 desks can."""
    points = [(0.0, -100.0)] + [(400.0 * i, 0.0) for i in range(24)]
    district = District.from_points(points)
    base = WeekProblem(district, load_staff(), WEEK)
    best = base.replace(options=dataclasses.replace(base.options, maximize_fifteen_minute=True))
    plain = fifteen_minute_share(base, [d.courtyard for d in plan_desks(base, time_limit=2, seed=0)])
    most = fifteen_minute_share(best, [d.courtyard for d in plan_desks(best, time_limit=2, seed=0)])
    assert most >= plain
    assert most == pytest.approx(15 / 24)  # 3 desks reach 5 courtyards each


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rotation_never_misses_a_deadline(problem: WeekProblem, data: st.DataObject) -> None:
    """For any full rotation history (3 desks a week), the courtyards due this week host, none twice."""
    capable = data.draw(st.permutations(_capable(problem)))
    hosted = {yard: 1 + i // 3 for i, yard in enumerate(capable)}
    extra = data.draw(st.sets(st.sampled_from(capable), max_size=5))  # some cancelled again
    past = _history(problem, hosted)
    cancelled = tuple(PastDesk(WEEK.next(-1).day(3), yard, "cancelled") for yard in sorted(extra))
    desks = plan_desks(problem.replace(past=PastWeeks(desks=past.desks + cancelled)), time_limit=2, seed=0)
    due = {yard for yard, ago in hosted.items() if ago >= 10}
    assert due <= {d.courtyard for d in desks}
    assert len({d.courtyard for d in desks}) == 3
