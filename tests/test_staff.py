"""Staff pools: the default pool, CSV/TOML/YAML loading, immutable edits and every error path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patrolplan.errors import DuplicateIdError, InvalidInputError, NotFoundError
from patrolplan.staff import Role, Staff, StaffMember, load_staff
from patrolplan.windows import Window

CSV = """id,name,name_zh,roles,skills,leave,max_days_per_week,preferences
A,Wang Fang,王芳,specialist,employment;civil_affairs,2026-12-01,2,prefers=Tue
B,Liu Qiang,劉強,patrol,,2026-12-02..2026-12-03,3,
"""

TOML = """
[[staff]]
id = "A"
name = "Wang Fang"
name_zh = "王芳"
roles = ["specialist"]
skills = ["employment", "civil_affairs"]
leave = [2026-12-01]
max_days_per_week = 2
preferences = { prefers = "Tue" }

[[staff]]
id = "B"
name = "Liu Qiang"
name_zh = "劉強"
roles = "patrol"
leave = ["2026-12-02..2026-12-03"]
"""

YAML = """
staff:
  - id: A
    name: Wang Fang
    name_zh: 王芳
    roles: [specialist]
    skills: [employment, civil_affairs]
    leave: [2026-12-01]
    max_days_per_week: 2
    preferences: {prefers: Tue}
  - id: B
    name: Liu Qiang
    name_zh: 劉強
    roles: patrol
    leave: ["2026-12-02..2026-12-03"]
"""


def test_default_pool_has_four_officers_and_six_specialists() -> None:
    """The embedded pool: 4 patrol officers, 6 specialists, named in Chinese and pinyin."""
    staff = load_staff()
    assert len(staff.with_role(Role.PATROL)) == 4
    assert len(staff.with_role(Role.SPECIALIST)) == 6
    assert all(m.name_zh and m.name for m in staff)
    for name in ("Wang Fang", "Li Na", "Zhao Lei"):
        assert staff.get(name).can(Role.SPECIALIST)
    assert staff.get("王芳").label == "王芳 Wang Fang"
    assert Window.GOVERNANCE_STABILITY in staff.get("Xie Min").skills


def test_default_pool_covers_every_window_twice() -> None:
    """Every service window can be run by at least two specialists, so one absence never loses it."""
    specialists = load_staff().with_role(Role.SPECIALIST)
    for window in Window:
        assert sum(window in m.skills for m in specialists) >= 2, window


def test_default_pool_allows_three_days_each() -> None:
    """By default everyone may work up to 3 duty days a week."""
    assert {m.max_days_per_week for m in load_staff()} == {3}


def test_csv_reads_leave_ranges_and_preferences(tmp_path: Path) -> None:
    """Leave ranges ``a..b`` expand to each date; preferences parse as ``key=value``."""
    path = tmp_path / "staff.csv"
    path.write_text(CSV, encoding="utf-8")
    staff = load_staff(path)
    assert staff.get("B").leave == {dt.date(2026, 12, 2), dt.date(2026, 12, 3)}
    assert staff.get("A").preferences == {"prefers": "Tue"}
    assert staff.get("A").max_days_per_week == 2


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("staff.toml", TOML),  # [[staff]] tables
        ("staff.yaml", YAML),  # a staff: list
    ],
)
def test_toml_and_yaml_read_the_same_pool_as_csv(tmp_path: Path, name: str, text: str) -> None:
    """TOML and YAML files with the CSV's keys give the same pool as the CSV."""
    (tmp_path / "staff.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert load_staff(tmp_path / name) == load_staff(tmp_path / "staff.csv")


def test_csv_round_trips(tmp_path: Path) -> None:
    """``to_csv_text`` writes what ``from_csv_text`` reads back unchanged."""
    staff = load_staff()
    assert Staff.from_csv_text(staff.to_csv_text()) == staff


def test_with_leave_returns_a_new_pool_and_leaves_the_old_one() -> None:
    """Edits return new pools; the original is never mutated."""
    staff = load_staff()
    day = dt.date(2026, 12, 2)
    changed = staff.with_leave("Wang Fang", [day])
    assert day in changed.get("Wang Fang").leave
    assert day not in staff.get("Wang Fang").leave
    assert changed.without_leave("Wang Fang").get("Wang Fang").leave == frozenset()


def test_with_skills_and_max_days_return_new_pools() -> None:
    """``with_skills`` and ``with_max_days`` change one person in a copy."""
    staff = load_staff()
    changed = staff.with_skills("Li Na", ["employment", "綜治維穩"]).with_max_days("Li Na", 1)
    assert changed.get("Li Na").skills == {Window.EMPLOYMENT, Window.GOVERNANCE_STABILITY}
    assert changed.get("Li Na").max_days_per_week == 1
    assert staff.get("Li Na").max_days_per_week == 3


def test_with_member_adds_and_without_removes() -> None:
    """A person can be added (or replaced by id) and removed."""
    staff = load_staff()
    extra = StaffMember("X1", "Ma Jun", frozenset({Role.PATROL}))
    assert len(staff.with_member(extra)) == len(staff) + 1
    assert len(staff.with_member(extra).without("X1")) == len(staff)


def test_get_unknown_person_raises_naming_the_pool() -> None:
    """Asking for someone not in the pool says who is."""
    with pytest.raises(NotFoundError, match=r"no staff member 'Nobody'.*Wang Fang"):
        load_staff().get("Nobody")


def test_bad_leave_date_raises() -> None:
    """A leave date that is not ISO is rejected with a hint."""
    with pytest.raises(InvalidInputError, match="bad leave date"):
        load_staff().with_leave("Wang Fang", "next tuesday")


def test_unknown_skill_raises() -> None:
    """A window that does not exist is rejected, listing the known ones."""
    with pytest.raises(InvalidInputError, match="unknown service window 'juggling'"):
        load_staff().with_skills("Li Na", ["juggling"])


def test_duplicate_ids_raise() -> None:
    """Two people with one id are refused."""
    a = StaffMember("A", "One", frozenset({Role.PATROL}))
    with pytest.raises(DuplicateIdError, match=r"duplicate staff ids \['A'\]"):
        Staff((a, a))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("A,Wang,,juggler,,,3,", "unknown role 'juggler'"),  # not a role
        ("A,Wang,,,,,3,", "roles is empty"),  # no role
        ("A,Wang,,patrol,,,9,", "max_days_per_week 9"),  # more than a week
        (",Wang,,patrol,,,3,", "id and name must not be empty"),  # no id
    ],
)
def test_bad_csv_rows_raise_with_line_numbers(row: str, message: str) -> None:
    """Each bad row is reported with its line number and what is wrong."""
    text = "id,name,name_zh,roles,skills,leave,max_days_per_week,preferences\n" + row + "\n"
    with pytest.raises(InvalidInputError, match=f"line 2.*{message}"):
        Staff.from_csv_text(text)


def test_missing_columns_raise() -> None:
    """A CSV without the required columns says which are needed."""
    with pytest.raises(InvalidInputError, match="needs the columns id, name, roles"):
        Staff.from_csv_text("who,what\nA,B\n")


def test_missing_file_raises(tmp_path: Path) -> None:
    """A staff file that does not exist is named."""
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_staff(tmp_path / "nope.csv")
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_staff(tmp_path / "nope.toml")


def test_bad_toml_and_yaml_raise(tmp_path: Path) -> None:
    """Unparseable TOML/YAML, or a document without a staff list, is rejected."""
    (tmp_path / "a.toml").write_text("staff = [", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        load_staff(tmp_path / "a.toml")
    (tmp_path / "b.yaml").write_text("staff: 3\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="expected a 'staff' list"):
        load_staff(tmp_path / "b.yaml")
    (tmp_path / "c.yml").write_text("staff: [a\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        load_staff(tmp_path / "c.yml")
    (tmp_path / "d.toml").write_text("[[staff]]\nid = 'A'\nname = 'B'\nroles = 'cook'\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"entry 1 \(A\): unknown role 'cook'"):
        load_staff(tmp_path / "d.toml")
