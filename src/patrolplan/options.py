"""Validated planning options and solver parameters, with TOML loaders.

``PlanOptions`` says *what* to plan (duty days, shifts, staffing, dwell, weights);
``SolveParams`` says *how hard* to search (time limit, seed, engine). Both are
frozen; change them with ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrolplan.errors import InvalidInputError, join_problems
from patrolplan.week import DEFAULT_DUTY_DAYS, DEFAULT_SHIFTS, Shift, parse_weekday

__all__ = ["ENGINES", "MAX_SEED", "PlanOptions", "SolveParams"]

#: Routing engines: "auto" picks by instance (see docs/benchmarks.md).
ENGINES = ("auto", "ortools", "pyvrp")
# the largest seed: CP-SAT takes a signed 32-bit one
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class PlanOptions:
    """What a week's plan must do.

    Attributes
    ----------
    duty_days
        Weekdays the office goes out (0 = Monday); Tue–Thu by default.
    shifts
        Shift windows of each duty day (09:00–11:30 and 14:30–17:00).
    officers_per_day, specialists_per_day
        Staff needed per duty day (2 and 2, from the report).
    desks_per_day
        Courtyards hosting the service desk each duty day.
    ride_each_shift
        Plan one route per shift, back at the office for the break (True),
        or one route per day that waits out the break where it is (False).
    dwell_s, hot_spot_dwell_s, desk_dwell_s
        Time at an ordinary visit (5 min), at a hot spot (13 min: the
        Koper curve's 11–15 min), and backing up the desk.
    balance_weight
        How much the longest route of a day may exceed the average. Plans are
        scored by metres plus this weight times each day's imbalance, (busiest
        officer - average officer) x officers. 0: only total distance counts.
        1 (the default): a day scores its officers times its longest route, so
        the planner shortens the longest routes first and rides fewer metres
        under them. Between 0 and 1: both count. Above 1 the imbalance
        outweighs the metres themselves (a longer ride for an officer below the
        busiest lowers the score), so it is not advised.
    rotation_weight
        How strongly a rider avoids last week's street segments (0 = off; the
        default 0.5 halves the week-to-week overlap for about 2 % more riding,
        see docs/benchmarks.md).
    fifteen_minute_s, walking_speed_kmh
        The "15-minute community" figure: share of courtyards within this
        walk of a desk.
    maximize_fifteen_minute
        Choose desks to maximise that share (otherwise by rotation and need).
    """

    duty_days: tuple[int, ...] = DEFAULT_DUTY_DAYS
    shifts: tuple[Shift, ...] = DEFAULT_SHIFTS
    officers_per_day: int = 2
    specialists_per_day: int = 2
    desks_per_day: int = 1
    ride_each_shift: bool = True
    dwell_s: int = 300
    hot_spot_dwell_s: int = 780
    desk_dwell_s: int = 600
    balance_weight: float = 1.0
    rotation_weight: float = 0.5
    fifteen_minute_s: int = 900
    walking_speed_kmh: float = 4.5
    maximize_fifteen_minute: bool = False

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.duty_days or len(set(self.duty_days)) != len(self.duty_days):
            problems.append(f"duty_days {self.duty_days} must be distinct weekdays")
        if any(not 0 <= d <= 6 for d in self.duty_days):
            problems.append(f"duty_days {self.duty_days} must be 0 (Mon) to 6 (Sun)")
        if not self.shifts:
            problems.append("at least one shift is needed")
        ordered = sorted(self.shifts, key=lambda s: s.start)
        for a, b in itertools.pairwise(ordered):
            if b.start < a.end:
                problems.append(f"shifts {a.name} ({a}) and {b.name} ({b}) overlap")
        for name in ("officers_per_day", "specialists_per_day", "desks_per_day"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        if self.officers_per_day < 1:
            problems.append("officers_per_day must be at least 1: someone rides the patrol")
        for name in ("dwell_s", "hot_spot_dwell_s", "desk_dwell_s", "fifteen_minute_s"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0 seconds")
        if self.balance_weight < 0 or self.rotation_weight < 0:
            problems.append("balance_weight and rotation_weight must be >= 0")
        if self.walking_speed_kmh <= 0:
            problems.append("walking_speed_kmh must be > 0")
        if problems:
            raise InvalidInputError(join_problems("plan options", problems), items=problems)

    @property
    def shift_seconds(self) -> int:
        """Riding time available on a duty day, all shifts together."""
        return sum(s.seconds for s in self.shifts)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PlanOptions:
        """Build from a plain mapping (a TOML table or JSON): unknown keys are errors."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"unknown plan options {unknown}; known: {sorted(known)}"
            raise InvalidInputError(msg, items=unknown)
        values = dict(data)
        if "duty_days" in values:
            values["duty_days"] = tuple(parse_weekday(d) for d in values["duty_days"])
        if "shifts" in values:
            values["shifts"] = tuple(
                s if isinstance(s, Shift) else Shift.parse(s["name"], s["start"], s["end"]) for s in values["shifts"]
            )
        try:
            return cls(**values)
        except TypeError as exc:
            msg = f"bad plan options: {exc}"
            raise InvalidInputError(msg) from exc

    @classmethod
    def from_toml(cls, path: str | Path) -> PlanOptions:
        """Read options from a TOML file (its ``[options]`` table, or the top level)."""
        data = _read_toml(path)
        return cls.from_mapping(data.get("options", data))

    @classmethod
    def from_district_settings(cls, settings: Mapping[str, Any]) -> PlanOptions:
        """Options from a district folder's ``district.toml`` (``[week]`` and ``[options]``)."""
        values: dict[str, Any] = dict(settings.get("options", {}))
        week = settings.get("week", {})
        if "duty_days" in week:
            values["duty_days"] = week["duty_days"]
        if "shifts" in week:
            values["shifts"] = week["shifts"]
        return cls.from_mapping(values)


@dataclass(frozen=True)
class SolveParams:
    """How to search: every solve has a time limit and a seed.

    Attributes
    ----------
    time_limit
        Wall-clock seconds for the whole week (desk, roster and routes).
    seed
        Random seed, 0 to :data:`MAX_SEED`; the same inputs and seed give the same plan.
    engine
        Routing engine: ``"auto"``, ``"ortools"`` or ``"pyvrp"``.
    repeatable
        Stop searches by fixed work budgets sized to the time limit, so the
        same inputs and seed give the same plan on any machine (default).
        ``False`` uses the whole time limit: better routes, not repeatable.
    """

    time_limit: float = 5.0
    seed: int = 0
    engine: str = "auto"
    repeatable: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            msg = f"time_limit must be > 0 seconds, got {self.time_limit}"
            raise InvalidInputError(msg, items=[self.time_limit])
        if self.engine not in ENGINES:
            msg = f"unknown engine {self.engine!r}; use one of {', '.join(ENGINES)}"
            raise InvalidInputError(msg, items=[self.engine])
        if not 0 <= self.seed <= MAX_SEED:
            # the solvers take 32-bit seeds (CP-SAT a signed one); the HTTP API has the same bound
            msg = f"seed must be between 0 and {MAX_SEED}, got {self.seed}; pick a smaller seed"
            raise InvalidInputError(msg, items=[self.seed])

    @classmethod
    def from_toml(cls, path: str | Path) -> SolveParams:
        """Read parameters from a TOML file (its ``[solve]`` table, or the top level)."""
        data = _read_toml(path)
        table = dict(data.get("solve", data))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            msg = f"unknown solve parameters {unknown}; known: {sorted(known)}"
            raise InvalidInputError(msg, items=unknown)
        try:
            return cls(**table)
        except TypeError as exc:
            msg = f"{path}: bad solve parameters ({exc}); time_limit and seed are numbers, engine a name"
            raise InvalidInputError(msg, items=[str(path)]) from exc


def _read_toml(path: str | Path) -> dict[str, Any]:
    src = Path(path)
    try:
        return tomllib.loads(src.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"options file {str(src)!r} does not exist"
        raise InvalidInputError(msg, items=[str(src)]) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{src}: not valid TOML ({exc})"
        raise InvalidInputError(msg, items=[str(src)]) from exc
