"""patrolplan: bicycle patrol routes, rotating service desks and staff rosters for a community office.

Typical use::

    import patrolplan as pp

    district = pp.load_district()
    staff = pp.load_staff().with_leave("Wang Fang", "2026-12-02")
    problem = pp.WeekProblem(district, staff, pp.Week.parse("2026-W49"), hot_spots=["Chunhui"])
    plan = pp.plan_week(problem, params=pp.SolveParams(time_limit=10, seed=0))
    print(plan.summary())
"""

from __future__ import annotations

import logging
from typing import Any

from patrolplan.courtyards import Courtyard
from patrolplan.desk import DeskDay, fifteen_minute_share
from patrolplan.district import District, district_from_file, district_from_place, load_district
from patrolplan.errors import (
    DuplicateIdError,
    HistoryError,
    InfeasibleWeekError,
    InsufficientStaffError,
    InvalidInputError,
    InvalidWeekError,
    MalformedOSMError,
    NetworkUnavailableError,
    NotFoundError,
    PatrolplanError,
    UnreachableCourtyardError,
)
from patrolplan.history import History
from patrolplan.matrix import TravelMatrix
from patrolplan.options import PlanOptions, SolveParams
from patrolplan.plan import Plan, plan_week, replan
from patrolplan.problem import PastDesk, PastDuty, PastRoute, PastWeeks, WeekProblem
from patrolplan.roster import Roster, RosterEntry
from patrolplan.routing import Dropped, Route, Stop
from patrolplan.staff import Role, Staff, StaffMember, load_staff
from patrolplan.streets import StreetOptions
from patrolplan.week import Shift, Week
from patrolplan.windows import Window

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import the heavier faces on first use: ``pp.plot``, ``pp.export``, ``pp.plan_many``, ``pp.synth``."""
    import importlib

    if name in ("plot", "export", "synth", "many", "history"):
        return importlib.import_module(f"patrolplan.{name}")
    if name == "plan_many":
        return importlib.import_module("patrolplan.many").plan_many
    msg = f"module 'patrolplan' has no attribute {name!r}"
    raise AttributeError(msg)


logging.getLogger("patrolplan").addHandler(logging.NullHandler())

__all__ = [
    "Courtyard",
    "DeskDay",
    "District",
    "Dropped",
    "DuplicateIdError",
    "History",
    "HistoryError",
    "InfeasibleWeekError",
    "InsufficientStaffError",
    "InvalidInputError",
    "InvalidWeekError",
    "MalformedOSMError",
    "NetworkUnavailableError",
    "NotFoundError",
    "PastDesk",
    "PastDuty",
    "PastRoute",
    "PastWeeks",
    "PatrolplanError",
    "Plan",
    "PlanOptions",
    "Role",
    "Roster",
    "RosterEntry",
    "Route",
    "Shift",
    "SolveParams",
    "Staff",
    "StaffMember",
    "Stop",
    "StreetOptions",
    "TravelMatrix",
    "UnreachableCourtyardError",
    "Week",
    "WeekProblem",
    "Window",
    "__version__",
    "district_from_file",
    "district_from_place",
    "fifteen_minute_share",
    "load_district",
    "load_staff",
    "plan_many",
    "plan_week",
    "replan",
]
