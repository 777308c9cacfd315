"""Typed errors: every failure names the offending items and what to do.

Each error subclasses :class:`PatrolplanError` *and* a built-in exception, so
callers can catch either (``except ValueError`` keeps working). The ``items``
attribute carries the offending items (courtyard ids, staff ids, dates, file
paths) for programs; the message is for people. The CLI turns any
``PatrolplanError`` into one line and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "DuplicateIdError",
    "HistoryError",
    "InfeasibleWeekError",
    "InsufficientStaffError",
    "InvalidInputError",
    "InvalidWeekError",
    "MalformedOSMError",
    "NetworkUnavailableError",
    "NotFoundError",
    "PatrolplanError",
    "UnreachableCourtyardError",
]


class PatrolplanError(Exception):
    """Base class of every error patrolplan raises on purpose.

    Parameters
    ----------
    message
        What went wrong and what to do about it.
    items
        The offending items (ids, dates, paths), for programs.
    """

    def __init__(self, message: str, *, items: Iterable[object] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.items: tuple[object, ...] = tuple(items)

    def __str__(self) -> str:
        return self.message


class InvalidInputError(PatrolplanError, ValueError):
    """Input that cannot be used as given (bad value, bad file, bad option)."""


class InvalidWeekError(InvalidInputError):
    """A week string or date that is not an ISO week such as ``2026-W49``."""


class MalformedOSMError(InvalidInputError):
    """A street file that is empty, not OSM, truncated or has no usable streets."""


class DuplicateIdError(InvalidInputError):
    """Two courtyards, staff members or sites share one id."""


class UnreachableCourtyardError(InvalidInputError):
    """A courtyard that a bicycle cannot reach from the office, or return from."""


class NetworkUnavailableError(PatrolplanError, ConnectionError):
    """The online path (OpenStreetMap download) could not be reached."""


class InsufficientStaffError(PatrolplanError, RuntimeError):
    """A duty day cannot get the staff it needs (role, skill, leave, maximum days)."""


class InfeasibleWeekError(PatrolplanError, RuntimeError):
    """The week cannot be planned at all; the message gives the cause."""


class HistoryError(PatrolplanError, RuntimeError):
    """The plan history database cannot be read or written."""


class NotFoundError(PatrolplanError, LookupError):
    """A week, district, staff member or courtyard that does not exist."""


def join_problems(header: str, problems: Sequence[str]) -> str:
    """Join several validation problems into one readable message.

    Validators gather every problem before raising, so the user fixes them all
    in one go rather than one per run.
    """
    if len(problems) == 1:
        return f"{header}: {problems[0]}"
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{header} ({len(problems)} problems):\n{lines}"
