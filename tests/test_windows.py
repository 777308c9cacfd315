"""Service windows of the duty group's desk."""

from __future__ import annotations

import pytest

from patrolplan.errors import InvalidInputError
from patrolplan.windows import Window, parse_window


def test_seven_windows_with_chinese_labels() -> None:
    """The report's seven service windows, each with a Chinese label."""
    assert len(Window) == 7
    assert Window.EMPLOYMENT.label_zh == "就業服務"
    assert Window.CITY_MANAGEMENT.label_zh == "城市管理"
    assert len({w.label_zh for w in Window}) == 7


def test_english_labels() -> None:
    """English labels are readable sentences."""
    assert Window.MEDICAL_INSURANCE.label_en == "Medical insurance"
    assert Window.PARTY_GOVERNMENT.label_en == "Party & government"


@pytest.mark.parametrize("text", ["employment", "就業服務", " employment ", "EMPLOYMENT".lower()])
def test_parse_window(text: str) -> None:
    """A window is read from its key or its Chinese label."""
    assert parse_window(text) is Window.EMPLOYMENT


def test_parse_unknown_window() -> None:
    """An unknown window lists the known keys."""
    with pytest.raises(InvalidInputError, match=r"unknown service window 'karaoke'; use one of: party_government, "):
        parse_window("karaoke")
