"""Service windows (服務窗口) of the duty group's desk: what specialists can run."""

from __future__ import annotations

from enum import StrEnum

from patrolplan.errors import InvalidInputError

__all__ = ["Window", "parse_window"]


class Window(StrEnum):
    """A service window the duty group sets up on site (from the report)."""

    PARTY_GOVERNMENT = "party_government"
    CIVIL_AFFAIRS = "civil_affairs"
    EMPLOYMENT = "employment"
    MEDICAL_INSURANCE = "medical_insurance"
    FAMILY_PLANNING = "family_planning"
    GOVERNANCE_STABILITY = "governance_stability"
    CITY_MANAGEMENT = "city_management"

    @property
    def label_zh(self) -> str:
        """The window's name in Chinese, as printed on the roster."""
        return _LABELS_ZH[self]

    @property
    def label_en(self) -> str:
        """The window's name in English."""
        return self.value.replace("_", " ").replace("government", "& government").capitalize()


_LABELS_ZH: dict[Window, str] = {
    Window.PARTY_GOVERNMENT: "黨政服務",
    Window.CIVIL_AFFAIRS: "民政服務",
    Window.EMPLOYMENT: "就業服務",
    Window.MEDICAL_INSURANCE: "醫保服務",
    Window.FAMILY_PLANNING: "計劃生育服務",
    Window.GOVERNANCE_STABILITY: "綜治維穩",
    Window.CITY_MANAGEMENT: "城市管理",
}


def parse_window(text: str) -> Window:
    """Read a window from its key (``"employment"``) or Chinese label (``"就業服務"``)."""
    key = text.strip()
    for window in Window:
        if key in (window.value, window.label_zh, window.name.lower()):
            return window
    known = ", ".join(w.value for w in Window)
    msg = f"unknown service window {text!r}; use one of: {known}"
    raise InvalidInputError(msg, items=[text])
