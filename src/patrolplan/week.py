"""ISO weeks, duty days and shifts.

A :class:`Week` is an ISO week (``2026-W49``). Its *duty days* are the
weekdays the mobile office goes out (Tuesday to Thursday by default, as in the
report), and each duty day has one or more :class:`Shift` windows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from patrolplan.errors import InvalidInputError, InvalidWeekError

__all__ = [
    "DEFAULT_DUTY_DAYS",
    "DEFAULT_SHIFTS",
    "WEEKDAY_NAMES",
    "Shift",
    "Week",
    "parse_weekday",
]

WEEKDAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES_ZH: tuple[str, ...] = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DEFAULT_DUTY_DAYS: tuple[int, ...] = (1, 2, 3)  # Tue, Wed, Thu (ISO weekday - 1)

_WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def parse_weekday(text: str | int) -> int:
    """Read a weekday as 0 = Monday … 6 = Sunday, from ``"Tue"``, ``"tuesday"`` or ``1``."""
    if isinstance(text, int):
        if 0 <= text <= 6:
            return text
    else:
        key = text.strip().lower()[:3]
        for i, name in enumerate(WEEKDAY_NAMES):
            if key == name.lower():
                return i
        if text.strip() in WEEKDAY_NAMES_ZH:
            return WEEKDAY_NAMES_ZH.index(text.strip())
    msg = f"unknown weekday {text!r}; use Mon, Tue, Wed, Thu, Fri, Sat or Sun"
    raise InvalidInputError(msg, items=[text])


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week, such as ``Week(2026, 49)`` (``"2026-W49"``)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        last = dt.date(self.year, 12, 28).isocalendar().week if 1 <= self.year <= 9999 else 0
        if not 1 <= self.number <= last:
            msg = f"week {self.year}-W{self.number:02d} does not exist; {self.year} has weeks W01 to W{last:02d}"
            raise InvalidWeekError(msg, items=[f"{self.year}-W{self.number}"])

    @classmethod
    def parse(cls, text: str | Week) -> Week:
        """Read an ISO week string such as ``"2026-W49"`` (also ``"2026W49"``)."""
        if isinstance(text, Week):
            return text
        match = _WEEK_RE.match(str(text))
        if match is None:
            msg = f"bad week {text!r}: write an ISO week such as 2026-W49"
            raise InvalidWeekError(msg, items=[text])
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Week:
        """The ISO week that contains ``day``."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def current(cls, today: dt.date | None = None) -> Week:
        """This week (by the local date)."""
        return cls.of(today or dt.date.today())

    @classmethod
    def upcoming(cls, today: dt.date | None = None) -> Week:
        """The next week to plan: next week's ISO week."""
        return cls.current(today).next()

    def next(self, weeks: int = 1) -> Week:
        """The week ``weeks`` later (negative for earlier)."""
        return Week.of(self.monday + dt.timedelta(weeks=weeks))

    @property
    def monday(self) -> dt.date:
        """The Monday that opens the week."""
        return dt.date.fromisocalendar(self.year, self.number, 1)

    def day(self, weekday: int) -> dt.date:
        """The date of ``weekday`` (0 = Monday) in this week."""
        return self.monday + dt.timedelta(days=weekday)

    def duty_dates(self, duty_days: tuple[int, ...] = DEFAULT_DUTY_DAYS) -> tuple[dt.date, ...]:
        """The dates of the duty days in this week, in order."""
        return tuple(self.day(d) for d in sorted(duty_days))

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"


@dataclass(frozen=True)
class Shift:
    """A window of a duty day during which staff are out, e.g. 09:00–11:30."""

    name: str
    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            msg = f"shift {self.name!r} ends ({self.end}) before it starts ({self.start})"
            raise InvalidInputError(msg, items=[self.name])

    @classmethod
    def parse(cls, name: str, start: str, end: str) -> Shift:
        """Build a shift from ``"HH:MM"`` strings."""
        try:
            begin, finish = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
        except ValueError as exc:
            msg = f"shift {name!r}: bad time {start!r}–{end!r}; write HH:MM, e.g. 09:00"
            raise InvalidInputError(msg, items=[name]) from exc
        return cls(name, begin, finish)

    @property
    def seconds(self) -> int:
        """Length of the shift in seconds."""
        return self.end_s - self.start_s

    @property
    def start_s(self) -> int:
        """Seconds from midnight to the start."""
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_s(self) -> int:
        """Seconds from midnight to the end."""
        return self.end.hour * 3600 + self.end.minute * 60 + self.end.second

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


DEFAULT_SHIFTS: tuple[Shift, ...] = (
    Shift("morning", dt.time(9, 0), dt.time(11, 30)),
    Shift("afternoon", dt.time(14, 30), dt.time(17, 0)),
)
