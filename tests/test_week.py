"""ISO weeks, duty days and shifts."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patrolplan.errors import InvalidInputError, InvalidWeekError
from patrolplan.week import DEFAULT_DUTY_DAYS, DEFAULT_SHIFTS, Shift, Week, parse_weekday


@pytest.mark.parametrize("text", ["2026-W49", "2026W49", "2026-w49", " 2026-W49 ", "2026w49"])
def test_parse_iso_week_spellings(text: str) -> None:
    """The usual spellings of an ISO week parse to the same week."""
    assert Week.parse(text) == Week(2026, 49)


def test_week_prints_as_iso_and_round_trips() -> None:
    """A week prints with a two-digit number and parses back."""
    week = Week(2026, 3)
    assert str(week) == "2026-W03"
    assert Week.parse(str(week)) == week
    assert Week.parse(week) is week


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("next tuesday", r"bad week 'next tuesday': write an ISO week such as 2026-W49"),
        ("2026-49", r"bad week '2026-49'"),
        ("", r"bad week ''"),
        ("W49", r"bad week 'W49'"),
        ("2026-W99", r"week 2026-W99 does not exist; 2026 has weeks W01 to W53"),
        ("2026-W00", r"week 2026-W00 does not exist"),
        ("2025-W53", r"week 2025-W53 does not exist; 2025 has weeks W01 to W52"),
    ],
)
def test_bad_week_strings(text: str, match: str) -> None:
    """Text that is not an existing ISO week raises InvalidWeekError saying how to write one."""
    with pytest.raises(InvalidWeekError, match=match) as info:
        Week.parse(text)
    assert info.value.items


def test_week_constructor_checks_the_number() -> None:
    """Week(2026, 54) does not exist; InvalidWeekError is also a ValueError."""
    with pytest.raises(ValueError, match=r"week 2026-W54 does not exist"):
        Week(2026, 54)


def test_week_53_exists_in_long_years() -> None:
    """2026 has 53 ISO weeks; its last week starts on 28 December."""
    assert Week(2026, 53).monday == dt.date(2026, 12, 28)


def test_monday_days_and_duty_dates() -> None:
    """2026-W49 runs from Monday 30 November; duty days are Tuesday to Thursday by default."""
    week = Week(2026, 49)
    assert week.monday == dt.date(2026, 11, 30)
    assert week.day(6) == dt.date(2026, 12, 6)
    assert week.duty_dates() == (dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3))
    assert DEFAULT_DUTY_DAYS == (1, 2, 3)
    assert week.duty_dates((3, 0)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 3))


def test_next_crosses_the_year() -> None:
    """The week after 2026-W53 is 2027-W01; going back works too."""
    assert Week(2026, 53).next() == Week(2027, 1)
    assert Week(2027, 1).next(-1) == Week(2026, 53)
    assert Week(2026, 49).next(4) == Week(2026, 53)


def test_current_and_upcoming() -> None:
    """This week and the next one, from a given date."""
    assert Week.current(dt.date(2026, 12, 2)) == Week(2026, 49)
    assert Week.upcoming(dt.date(2026, 12, 2)) == Week(2026, 50)


def test_weeks_are_ordered() -> None:
    """Weeks sort by year, then number."""
    assert sorted([Week(2027, 1), Week(2026, 53), Week(2026, 2)]) == [Week(2026, 2), Week(2026, 53), Week(2027, 1)]


@given(st.dates(min_value=dt.date(1, 1, 8), max_value=dt.date(9999, 12, 24)))
def test_every_date_lies_in_its_week(day: dt.date) -> None:
    """Week.of(day) starts on a Monday at most 6 days before ``day``, and prints/parses back."""
    week = Week.of(day)
    assert week.monday.weekday() == 0
    assert 0 <= (day - week.monday).days <= 6
    assert Week.parse(str(week)) == week
    assert week.day(day.weekday()) == day


@pytest.mark.parametrize(("text", "day"), [("Tue", 1), ("tuesday", 1), ("MON", 0), ("周日", 6), (4, 4), (" Sat ", 5)])
def test_parse_weekday(text: str | int, day: int) -> None:
    """Weekdays are read from English names (any case, abbreviated), Chinese names and numbers."""
    assert parse_weekday(text) == day


@pytest.mark.parametrize("text", ["Someday", 7, -1, "", "星期八"])
def test_parse_weekday_errors(text: str | int) -> None:
    """Unknown weekdays list the accepted names."""
    with pytest.raises(InvalidInputError, match=r"unknown weekday .*; use Mon, Tue, Wed, Thu, Fri, Sat or Sun"):
        parse_weekday(text)


def test_default_shifts_are_the_report_hours() -> None:
    """Morning 09:00-11:30 and afternoon 14:30-17:00: 2.5 h each."""
    morning, afternoon = DEFAULT_SHIFTS
    assert (str(morning), str(afternoon)) == ("09:00–11:30", "14:30–17:00")
    assert morning.seconds == afternoon.seconds == 9000
    assert (morning.start_s, morning.end_s) == (32400, 41400)


def test_shift_parse() -> None:
    """A shift from HH:MM strings."""
    assert Shift.parse("evening", "18:00", "19:15") == Shift("evening", dt.time(18), dt.time(19, 15))


def test_shift_bad_time() -> None:
    """A time that is not HH:MM names the shift."""
    with pytest.raises(InvalidInputError, match=r"shift 'evening': bad time '6pm'–'19:00'; write HH:MM"):
        Shift.parse("evening", "6pm", "19:00")


def test_shift_that_ends_before_it_starts() -> None:
    """An end before (or at) the start is refused."""
    with pytest.raises(InvalidInputError, match=r"shift 'late' ends \(09:00:00\) before it starts \(17:00:00\)"):
        Shift.parse("late", "17:00", "09:00")
    with pytest.raises(InvalidInputError, match=r"shift 'zero' ends"):
        Shift.parse("zero", "09:00", "09:00")
