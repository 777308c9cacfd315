"""The week's planning problem: frozen, validated, and everything the solvers read.

A :class:`WeekProblem` joins the district (and its travel matrix), the staff
pool, the week, the options and what the history says about past weeks
(:class:`PastWeeks`). Solvers never read files or the database themselves.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from patrolplan.courtyards import Courtyard
from patrolplan.district import District
from patrolplan.errors import InvalidInputError, join_problems
from patrolplan.matrix import TravelMatrix
from patrolplan.options import PlanOptions
from patrolplan.staff import Role, Staff
from patrolplan.week import Week

__all__ = ["PastDesk", "PastDuty", "PastRoute", "PastWeeks", "WeekProblem"]


@dataclass(frozen=True)
class PastDesk:
    """A desk day from the history: where it stood and what happened."""

    date: dt.date
    courtyard: str
    status: str = "planned"  # planned | done | cancelled


@dataclass(frozen=True)
class PastDuty:
    """A person's duty from the history."""

    date: dt.date
    staff: str
    role: Role
    status: str = "planned"


@dataclass(frozen=True)
class PastRoute:
    """A ridden route from the history: its street segments in order."""

    date: dt.date
    rider: str
    edges: tuple[tuple[int, int], ...]
    slot: int = 0  # position of the route among that day's routes


@dataclass(frozen=True)
class PastWeeks:
    """What the history knows about earlier weeks (read-only snapshot)."""

    desks: tuple[PastDesk, ...] = ()
    duties: tuple[PastDuty, ...] = ()
    routes: tuple[PastRoute, ...] = ()

    def routes_on(self, weekday: int, before: dt.date) -> tuple[PastRoute, ...]:
        """The most recent routes ridden on ``weekday`` before ``before``."""
        same = [r for r in self.routes if r.date.weekday() == weekday and r.date < before]
        if not same:
            return ()
        latest = max(r.date for r in same)
        return tuple(sorted((r for r in same if r.date == latest), key=lambda r: r.slot))


@dataclass(frozen=True, eq=False)
class WeekProblem:
    """One week to plan for one community.

    Parameters
    ----------
    district
        Streets, courtyards, office.
    staff
        The staff pool (leave included).
    week
        The ISO week (a :class:`Week` or ``"2026-W49"``).
    options
        What to plan; defaults to the district folder's settings, else defaults.
    hot_spots
        Courtyards (ids or names) to treat as hot spots this week, besides
        those the district marks.
    past
        What the history says about earlier weeks (rotation, fairness).
    """

    district: District
    staff: Staff
    week: Week
    options: PlanOptions = field(default_factory=PlanOptions)
    hot_spots: tuple[str, ...] = ()
    past: PastWeeks = field(default_factory=PastWeeks)

    def __init__(
        self,
        district: District,
        staff: Staff,
        week: Week | str,
        *,
        options: PlanOptions | None = None,
        hot_spots: Sequence[str] = (),
        past: PastWeeks | None = None,
    ) -> None:
        wk = Week.parse(week)
        opts = options
        if opts is None:
            opts = PlanOptions.from_district_settings(district.settings) if district.settings else PlanOptions()
        names = tuple(hot_spots)
        if names:
            district = district.with_hot_spots(names)
        object.__setattr__(self, "district", district)
        object.__setattr__(self, "staff", staff)
        object.__setattr__(self, "week", wk)
        object.__setattr__(self, "options", opts)
        object.__setattr__(self, "hot_spots", names)
        object.__setattr__(self, "past", past or PastWeeks())
        self._validate()

    def _validate(self) -> None:
        problems: list[str] = []
        opts = self.options
        if not self.staff.with_role(Role.PATROL):
            problems.append("the staff pool has no patrol officer (role 'patrol')")
        if opts.specialists_per_day and not self.staff.with_role(Role.SPECIALIST):
            problems.append("the staff pool has no specialist (role 'specialist')")
        if opts.desks_per_day and not any(y.can_host_desk for y in self.district.courtyards):
            problems.append("no courtyard can host the service desk (can_host_desk)")
        if problems:
            raise InvalidInputError(join_problems(f"week {self.week}", problems), items=problems)

    def replace(self, **changes: object) -> WeekProblem:
        """A copy with some fields changed (``district``, ``staff``, ``options``, ``past``…)."""
        current: dict[str, object] = {
            "district": self.district,
            "staff": self.staff,
            "week": self.week,
            "options": self.options,
            "hot_spots": (),
            "past": self.past,
        }
        current.update(changes)
        return WeekProblem(**current)  # type: ignore[arg-type]

    @functools.cached_property
    def duty_dates(self) -> tuple[dt.date, ...]:
        """The week's duty dates, in order."""
        return self.week.duty_dates(self.options.duty_days)

    @property
    def matrix(self) -> TravelMatrix:
        """The district's travel matrix."""
        return self.district.matrix

    @property
    def courtyards(self) -> tuple[Courtyard, ...]:
        """The district's courtyards (with this week's hot spots)."""
        return self.district.courtyards

    def dwell_s(self, yard: Courtyard) -> int:
        """Time spent at a visit to ``yard``."""
        if yard.dwell_s is not None:
            return yard.dwell_s
        return self.options.hot_spot_dwell_s if yard.hot_spot else self.options.dwell_s

    def visits(self, yard: Courtyard) -> int:
        """Visits ``yard`` needs this week."""
        return yard.visits_per_week(len(self.duty_dates))
