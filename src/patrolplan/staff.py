"""The community's staff pool: patrol officers (綜治員) and specialists (專干).

A :class:`Staff` pool is immutable: ``with_leave`` and friends return new pools.
Pools load from CSV, TOML (``[[staff]]`` tables) or YAML (a ``staff:`` list).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from patrolplan.errors import DuplicateIdError, InvalidInputError, NotFoundError, join_problems
from patrolplan.windows import Window, parse_window

__all__ = ["Role", "Staff", "StaffMember", "load_staff"]


class Role(StrEnum):
    """What a person does on a duty day."""

    PATROL = "patrol"  # 綜治員: rides the patrol routes
    SPECIALIST = "specialist"  # 專干: staffs the service desk

    @property
    def label_zh(self) -> str:
        """The role in Chinese."""
        return "綜治員" if self is Role.PATROL else "專干"


@dataclass(frozen=True)
class StaffMember:
    """One person in the staff pool.

    Attributes
    ----------
    id, name, name_zh
        Stable id (``"S01"``), name in pinyin/English and in Chinese.
    roles
        Roles the person can take.
    skills
        Service windows the person can run (specialists).
    leave
        Dates the person is on leave or unavailable.
    max_days_per_week
        Most duty days the person works in one week.
    preferences
        Free-form preferences, e.g. ``{"prefers": "Tue"}``.
    """

    id: str
    name: str
    roles: frozenset[Role]
    skills: frozenset[Window] = frozenset()
    leave: frozenset[dt.date] = frozenset()
    max_days_per_week: int = 3
    name_zh: str = ""
    preferences: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def label(self) -> str:
        """``"王芳 Wang Fang"``: both names."""
        return f"{self.name_zh} {self.name}".strip() if self.name_zh else self.name

    def can(self, role: Role) -> bool:
        """Whether the person can take ``role``."""
        return role in self.roles

    def available(self, day: dt.date) -> bool:
        """Whether the person is not on leave on ``day``."""
        return day not in self.leave

    def matches(self, key: str) -> bool:
        """Whether ``key`` names this person (id, name or Chinese name, any case)."""
        k = key.strip().lower()
        return k in {self.id.lower(), self.name.lower(), self.name_zh.lower()}


def _dates(value: str | dt.date | Iterable[str | dt.date]) -> frozenset[dt.date]:
    items = [value] if isinstance(value, str | dt.date) else list(value)
    out: set[dt.date] = set()
    for item in items:
        if isinstance(item, dt.date):
            out.add(item)
            continue
        text = item.strip()
        if not text:
            continue
        if ".." in text:  # a range "2026-12-01..2026-12-03"
            a, b = (dt.date.fromisoformat(t.strip()) for t in text.split("..", 1))
            out.update(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
        else:
            out.add(dt.date.fromisoformat(text))
    return frozenset(out)


@dataclass(frozen=True)
class Staff:
    """An immutable staff pool."""

    members: tuple[StaffMember, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        dupes = sorted({m.id for m in self.members if m.id in seen or seen.add(m.id)})  # type: ignore[func-returns-value]
        if dupes:
            msg = f"duplicate staff ids {dupes}; give each person their own id"
            raise DuplicateIdError(msg, items=dupes)

    def __iter__(self) -> Iterator[StaffMember]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def get(self, key: str) -> StaffMember:
        """Find a person by id, name or Chinese name."""
        for member in self.members:
            if member.matches(key):
                return member
        known = ", ".join(m.name for m in self.members)
        msg = f"no staff member {key!r}; the pool has: {known}"
        raise NotFoundError(msg, items=[key])

    def with_role(self, role: Role) -> tuple[StaffMember, ...]:
        """Everyone who can take ``role``."""
        return tuple(m for m in self.members if m.can(role))

    def with_leave(self, person: str, dates: str | dt.date | Iterable[str | dt.date]) -> Staff:
        """A new pool where ``person`` is also on leave on ``dates`` (ISO dates or ranges)."""
        try:
            days = _dates(dates)
        except ValueError as exc:
            msg = f"bad leave date {dates!r} for {person}: write ISO dates such as 2026-12-02"
            raise InvalidInputError(msg, items=[person]) from exc
        target = self.get(person)
        return self._replace(target, leave=target.leave | days)

    def without(self, person: str) -> Staff:
        """A new pool without ``person``."""
        target = self.get(person)
        return Staff(tuple(m for m in self.members if m.id != target.id))

    def with_member(self, member: StaffMember) -> Staff:
        """A new pool with ``member`` added (or replaced, by id)."""
        rest = tuple(m for m in self.members if m.id != member.id)
        return Staff((*rest, member))

    def without_leave(self, person: str) -> Staff:
        """A new pool where ``person`` has no leave at all."""
        return self._replace(self.get(person), leave=frozenset())

    def with_skills(self, person: str, skills: Iterable[str | Window]) -> Staff:
        """A new pool where ``person`` runs exactly ``skills`` (window keys or Chinese labels)."""
        windows = frozenset(s if isinstance(s, Window) else parse_window(s) for s in skills)
        return self._replace(self.get(person), skills=windows)

    def with_max_days(self, person: str, days: int) -> Staff:
        """A new pool where ``person`` works at most ``days`` duty days a week."""
        return self._replace(self.get(person), max_days_per_week=days)

    def _replace(self, target: StaffMember, **changes: object) -> Staff:
        new = replace(target, **changes)  # type: ignore[arg-type]
        return Staff(tuple(new if m.id == target.id else m for m in self.members))

    @classmethod
    def from_csv(cls, path: str | Path) -> Staff:
        """Read a staff CSV (see :func:`load_staff` for the columns)."""
        src = Path(path)
        try:
            text = src.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            msg = f"staff file {str(src)!r} does not exist"
            raise InvalidInputError(msg, items=[str(src)]) from exc
        return cls.from_csv_text(text, source=str(src))

    @classmethod
    def from_csv_text(cls, text: str, *, source: str = "staff CSV") -> Staff:
        """Parse staff CSV text; every bad row is reported in one error."""
        reader = csv.DictReader(io.StringIO(text))
        required = {"id", "name", "roles"}
        if reader.fieldnames is None or not required <= set(reader.fieldnames):
            msg = (
                f"{source}: needs the columns id, name, roles "
                "(and optionally name_zh, skills, leave, max_days_per_week, preferences)"
            )
            raise InvalidInputError(msg, items=[source])
        return cls(_members(((f"line {n}", row) for n, row in enumerate(reader, start=2)), source, "rows"))

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], *, source: str = "staff records") -> Staff:
        """Build a pool from mappings with the CSV columns; lists may be real lists.

        Every bad record is reported in one error.
        """
        rows = (
            (f"entry {n}", {key: _cell(value) for key, value in record.items()})
            for n, record in enumerate(records, start=1)
        )
        return cls(_members(rows, source, "entries"))

    @classmethod
    def from_toml(cls, path: str | Path) -> Staff:
        """Read a TOML staff file: one ``[[staff]]`` table per person, keys as the CSV columns."""
        src = Path(path)
        try:
            data = tomllib.loads(src.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            msg = f"staff file {str(src)!r} does not exist"
            raise InvalidInputError(msg, items=[str(src)]) from exc
        except tomllib.TOMLDecodeError as exc:
            msg = f"{src}: not valid TOML ({exc})"
            raise InvalidInputError(msg, items=[str(src)]) from exc
        return cls.from_records(_staff_list(data, str(src)), source=str(src))

    @classmethod
    def from_yaml(cls, path: str | Path) -> Staff:
        """Read a YAML staff file (needs PyYAML): a ``staff:`` list, or a top-level list."""
        try:
            import yaml  # type: ignore[import-untyped,unused-ignore]
        except ImportError as exc:  # pragma: no cover - PyYAML is optional
            msg = "reading YAML staff files needs PyYAML (pip install pyyaml)"
            raise InvalidInputError(msg, items=[str(path)]) from exc
        src = Path(path)
        try:
            data = yaml.safe_load(src.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            msg = f"staff file {str(src)!r} does not exist"
            raise InvalidInputError(msg, items=[str(src)]) from exc
        except yaml.YAMLError as exc:
            msg = f"{src}: not valid YAML ({exc})"
            raise InvalidInputError(msg, items=[str(src)]) from exc
        return cls.from_records(_staff_list(data, str(src)), source=str(src))

    def to_csv_text(self) -> str:
        """The pool as CSV text (the format :meth:`from_csv` reads)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", "name", "name_zh", "roles", "skills", "leave", "max_days_per_week", "preferences"])
        for m in self.members:
            writer.writerow(
                [
                    m.id,
                    m.name,
                    m.name_zh,
                    ";".join(sorted(r.value for r in m.roles)),
                    ";".join(sorted(s.value for s in m.skills)),
                    ";".join(sorted(d.isoformat() for d in m.leave)),
                    m.max_days_per_week,
                    ";".join(f"{k}={v}" for k, v in sorted(m.preferences.items())),
                ]
            )
        return out.getvalue()


def _cell(value: Any) -> str:
    """A TOML/YAML value as CSV cell text: lists joined with ``;``, mappings as ``k=v``."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return ";".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _staff_list(data: Any, source: str) -> list[Mapping[str, Any]]:
    """The list of person records in a parsed TOML/YAML document."""
    items = data.get("staff") if isinstance(data, Mapping) else data
    if not isinstance(items, list) or not all(isinstance(x, Mapping) for x in items):
        msg = f"{source}: expected a 'staff' list of people (id, name, roles, ...)"
        raise InvalidInputError(msg, items=[source])
    return items


def _members(rows: Iterable[tuple[str, Mapping[str, str | None]]], source: str, noun: str) -> tuple[StaffMember, ...]:
    """Read every (where, row) into a member; all bad rows are reported in one error."""
    problems: list[str] = []
    members: list[StaffMember] = []
    for where, row in rows:
        try:
            members.append(_member_from_row(row))
        except (InvalidInputError, ValueError) as exc:
            problems.append(f"{where} ({row.get('id') or '?'}): {exc}")
    if problems:
        raise InvalidInputError(join_problems(source, problems), items=problems)
    if not members:
        msg = f"{source}: no staff {noun}"
        raise InvalidInputError(msg, items=[source])
    return tuple(members)


def _member_from_row(row: Mapping[str, str | None]) -> StaffMember:
    sid = (row.get("id") or "").strip()
    name = (row.get("name") or "").strip()
    if not sid or not name:
        msg = "id and name must not be empty"
        raise InvalidInputError(msg)
    roles: set[Role] = set()
    for part in (row.get("roles") or "").replace(",", ";").split(";"):
        key = part.strip().lower()
        if not key:
            continue
        if key in ("patrol", "officer", "綜治員", "综治员"):
            roles.add(Role.PATROL)
        elif key in ("specialist", "專干", "专干"):
            roles.add(Role.SPECIALIST)
        else:
            msg = f"unknown role {part!r}; use patrol or specialist"
            raise InvalidInputError(msg, items=[part])
    if not roles:
        msg = "roles is empty; use patrol, specialist or both (patrol;specialist)"
        raise InvalidInputError(msg)
    skills = frozenset(parse_window(s) for s in (row.get("skills") or "").replace(",", ";").split(";") if s.strip())
    max_days = int((row.get("max_days_per_week") or "3").strip() or 3)
    if not 0 <= max_days <= 7:
        msg = f"max_days_per_week {max_days} must be between 0 and 7"
        raise InvalidInputError(msg)
    prefs = dict(p.split("=", 1) for p in (row.get("preferences") or "").split(";") if "=" in p)
    return StaffMember(
        id=sid,
        name=name,
        name_zh=(row.get("name_zh") or "").strip(),
        roles=frozenset(roles),
        skills=skills,
        leave=_dates((row.get("leave") or "").split(";")),
        max_days_per_week=max_days,
        preferences=prefs,
    )


def load_staff(path: str | Path | None = None) -> Staff:
    """Load a staff pool from CSV, TOML or YAML (by suffix); with no path, the embedded default pool.

    CSV columns: ``id, name, name_zh, roles, skills, leave, max_days_per_week,
    preferences``; lists are ``;``-separated (roles ``patrol;specialist``,
    skills as window keys, leave as ISO dates or ``a..b`` ranges). TOML and
    YAML files use the same keys, with real lists allowed.
    """
    if path is None:
        from patrolplan.district import default_district_folder

        path = default_district_folder() / "staff.csv"
    suffix = Path(path).suffix.lower()
    if suffix == ".toml":
        return Staff.from_toml(path)
    if suffix in (".yaml", ".yml"):
        return Staff.from_yaml(path)
    return Staff.from_csv(path)
