"""The typed error hierarchy and the one-message validation format."""

from __future__ import annotations

import pytest

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
    join_problems,
)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (InvalidInputError, ValueError),
        (InvalidWeekError, ValueError),
        (MalformedOSMError, ValueError),
        (DuplicateIdError, ValueError),
        (UnreachableCourtyardError, ValueError),
        (NetworkUnavailableError, ConnectionError),
        (InsufficientStaffError, RuntimeError),
        (InfeasibleWeekError, RuntimeError),
        (HistoryError, RuntimeError),
        (NotFoundError, LookupError),
    ],
)
def test_every_error_is_a_patrolplan_error_and_a_builtin(cls: type[PatrolplanError], builtin: type) -> None:
    """Each error can be caught as PatrolplanError or as its built-in kind, and keeps message and items."""
    error = cls("courtyard C07 is wrong; fix it", items=["C07"])
    assert isinstance(error, PatrolplanError)
    assert isinstance(error, builtin)
    with pytest.raises(builtin, match=r"^courtyard C07 is wrong; fix it$"):
        raise error
    assert error.items == ("C07",)
    assert error.message == str(error)


def test_input_errors_share_a_base() -> None:
    """File, week, id and reachability problems are all InvalidInputError."""
    for cls in (InvalidWeekError, MalformedOSMError, DuplicateIdError, UnreachableCourtyardError):
        assert issubclass(cls, InvalidInputError)


def test_items_default_to_empty() -> None:
    """Without items the attribute is an empty tuple."""
    assert NotFoundError("no such week").items == ()


def test_join_one_problem_on_one_line() -> None:
    """One problem reads as ``header: problem``."""
    assert join_problems("staff.csv", ["line 3: bad role"]) == "staff.csv: line 3: bad role"


def test_join_several_problems_with_a_count() -> None:
    """Several problems are counted and listed one per line."""
    text = join_problems("district Tiexi", ["a is wrong", "b is wrong", "c is wrong"])
    assert text == "district Tiexi (3 problems):\n  - a is wrong\n  - b is wrong\n  - c is wrong"
    with pytest.raises(InvalidInputError, match=r"(?s)district Tiexi \(3 problems\):.*b is wrong"):
        raise InvalidInputError(text)
