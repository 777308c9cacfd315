"""Plan history in SQLite: save/load/mark/past, atomic replace, concurrency, crash safety, schema, 12 weeks."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import patrolplan
from patrolplan.desk import DeskDay, desk_cycle_weeks, plan_desks
from patrolplan.district import load_district
from patrolplan.errors import HistoryError, InvalidInputError, NotFoundError
from patrolplan.history import SCHEMA_VERSION, History
from patrolplan.problem import WeekProblem
from patrolplan.roster import Roster, check_roster, plan_roster
from patrolplan.staff import Role, load_staff
from patrolplan.week import Week

SRC = str(Path(patrolplan.__file__).resolve().parents[1])


def _doc(community: str, week: str, desks: Sequence[DeskDay], roster: Roster) -> dict[str, Any]:
    """A minimal plan.json-like dict built from desks and a roster (no routes)."""
    return {
        "schema": "patrolplan/plan@1",
        "community": community,
        "week": week,
        "duty_days": sorted({d.date.isoformat() for d in desks}),
        "routes": [],
        "desks": [
            {
                "date": d.date.isoformat(),
                "courtyard": d.courtyard,
                "staff": list(roster.specialists(d.date)),
                "windows": [],
            }
            for d in desks
        ],
        "roster": [
            {"date": e.date.isoformat(), "staff": e.staff, "name": e.name, "role": e.role.value, "shift": e.shift}
            for e in roster.entries
        ],
        "dropped": [],
        "totals": {},
    }


def _small_doc(week: str = "2026-W49", community: str = "Tiexi", tag: str = "a", n: int = 3) -> dict[str, Any]:
    """A hand-made plan doc with ``n`` desks, 2 duties a day and one route."""
    days = [d.isoformat() for d in Week.parse(week).duty_dates()]
    return {
        "schema": "patrolplan/plan@1",
        "community": community,
        "week": week,
        "duty_days": days,
        "tag": tag,
        "routes": [{"date": days[0], "rider": "P01", "slot": 0, "path": [1, 2, 3, 1]}],
        "desks": [{"date": days[i % 3], "courtyard": f"C{i:02d}", "staff": [], "windows": []} for i in range(n)],
        "roster": [
            {"date": d, "staff": s, "name": s, "role": "patrol", "shift": ""} for d in days for s in ("P01", "P02")
        ],
        "dropped": [],
        "totals": {},
    }


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "history.sqlite")


def test_default_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``PATROLPLAN_HISTORY`` wins; otherwise the user data folder's history.sqlite."""
    monkeypatch.setenv("PATROLPLAN_HISTORY", str(tmp_path / "h.sqlite"))
    assert History.default_path() == tmp_path / "h.sqlite"
    assert History().path == tmp_path / "h.sqlite"
    monkeypatch.delenv("PATROLPLAN_HISTORY")
    assert History.default_path().name == "history.sqlite"
    assert "patrolplan" in str(History.default_path())


def test_save_and_load_round_trip(history: History) -> None:
    """A saved doc loads back equal; weeks and communities list it."""
    doc = _small_doc()
    history.save(doc)
    assert history.load("2026-W49") == doc
    assert [(c, w) for c, w, _ in history.weeks()] == [("Tiexi", "2026-W49")]
    assert history.communities() == ["Tiexi"]


def test_resaving_a_week_replaces_it(history: History) -> None:
    """Re-planning a week replaces the doc and its rows; nothing is duplicated."""
    history.save(_small_doc(tag="first", n=3))
    history.save(_small_doc(tag="second", n=2))
    assert history.load("2026-W49")["tag"] == "second"
    assert len(history.weeks()) == 1
    assert len(history.past(Week.parse("2026-W50"), community="Tiexi").desks) == 2


def test_past_returns_desks_duties_and_route_edges(history: History) -> None:
    """``past`` gives the rows of the weeks before, with route edges from the path."""
    history.save(_small_doc("2026-W48"))
    history.save(_small_doc("2026-W49"))
    past = history.past(Week.parse("2026-W49"), community="Tiexi")
    assert {d.date.isocalendar().week for d in past.desks} == {48}
    assert len(past.duties) == 6
    assert all(d.role is Role.PATROL for d in past.duties)
    assert past.routes[0].edges == ((1, 2), (2, 3), (3, 1))
    assert history.past(Week.parse("2026-W49"), community="Tiexi", weeks=0).desks == ()
    assert history.past(Week.parse("2026-W49"), community="Elsewhere").duties == ()


def test_mark_a_day_and_a_desk(history: History) -> None:
    """Marking a day changes its desks and duties; marking one desk changes only it."""
    history.save(_small_doc())
    tue, wed, _ = Week.parse("2026-W49").duty_dates()
    assert history.mark("2026-W49", "done", day=tue) == 3  # 1 desk + 2 duties
    assert history.mark("2026-W49", "cancelled", day=wed, courtyard="C01") == 1
    past = history.past(Week.parse("2026-W50"), community="Tiexi")
    assert {(d.courtyard, d.status) for d in past.desks} == {("C00", "done"), ("C01", "cancelled"), ("C02", "planned")}
    assert history.mark("2026-W49", "done") == 9


def test_marks_survive_a_resave(history: History) -> None:
    """Re-saving a week keeps the statuses of rows that did not change."""
    history.save(_small_doc())
    tue = Week.parse("2026-W49").duty_dates()[0]
    history.mark("2026-W49", "done", day=tue)
    history.save(_small_doc(tag="replanned"))
    statuses = {(d.courtyard, d.status) for d in history.past(Week.parse("2026-W50"), community="Tiexi").desks}
    assert ("C00", "done") in statuses


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda h: h.load("2026-W01"),
            NotFoundError,
            r"week 2026-W01 of Tiexi is not in the history; saved weeks: 2026-W49",
        ),
        (lambda h: h.mark("2026-W02", "done"), NotFoundError, r"week 2026-W02 .* saved weeks: 2026-W49"),
        (lambda h: h.mark("2026-W49", "lost"), InvalidInputError, r"unknown status 'lost'"),
        (lambda h: h.mark("2026-W49", "done", courtyard="C77"), NotFoundError, r"nothing saved for C77"),
        (lambda h: h.save({"week": "2026-W49"}), InvalidInputError, r"needs 'community' and 'week'"),
        (lambda h: h.save({**_small_doc(), "desks": [{"date": "soon"}]}), InvalidInputError, r"malformed"),
    ],
)
def test_error_paths(history: History, call: Any, error: type[Exception], message: str) -> None:
    """Unknown weeks list the saved ones; bad statuses and docs are named."""
    history.save(_small_doc())
    with pytest.raises(error, match=message):
        call(history)


def test_several_communities_need_a_name(history: History) -> None:
    """With two communities in one file, ``community=None`` is ambiguous and says so."""
    history.save(_small_doc(community="Tiexi"))
    history.save(_small_doc(community="Chunhui"))
    with pytest.raises(InvalidInputError, match=r"several communities \(Chunhui, Tiexi\); say which one"):
        history.load("2026-W49")
    assert history.load("2026-W49", community="Chunhui")["community"] == "Chunhui"
    assert [c for c, _, _ in history.weeks()] == ["Chunhui", "Tiexi"]


def test_empty_history_says_so(history: History) -> None:
    """Loading from an empty file says there is nothing saved."""
    with pytest.raises(NotFoundError, match="has no saved plans yet"):
        history.load("2026-W49")


# ------------------------------------------------------------------------ schema
def test_schema_version_and_wal_mode(history: History) -> None:
    """A new file is at the current schema version, in WAL mode."""
    assert history.schema_version() == SCHEMA_VERSION == 1
    con = sqlite3.connect(history.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_migrate_brings_a_version_zero_file_forward(tmp_path: Path) -> None:
    """An empty (version 0) database is migrated to version 1 and then works."""
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).close()
    history = History(path)
    assert history.schema_version() == 1
    assert history.migrate() == 1  # already current: nothing to do
    history.save(_small_doc())
    assert history.load("2026-W49")["tag"] == "a"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file written by a newer patrolplan is not touched."""
    path = tmp_path / "new.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(HistoryError, match="schema version 99, newer than 1"):
        History(path)


def test_not_a_database_is_a_history_error(tmp_path: Path) -> None:
    """A file that is not SQLite gives a HistoryError naming it."""
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(HistoryError, match=r"junk\.sqlite"):
        History(path)


# ------------------------------------------------------------- processes at once
_WRITER = textwrap.dedent(
    """
    import sys
    from patrolplan.history import History
    path, tag = sys.argv[1], sys.argv[2]
    h = History(path)
    for i in range(40):
        week = f"2026-W{40 + i % 8:02d}"
        days = [f"2026-{m}" for m in ("12-01", "12-02", "12-03")]
        n = 1 + (i % 5)
        h.save({
            "community": "Tiexi", "week": week, "tag": tag, "n": n, "routes": [],
            "desks": [{"date": days[j % 3], "courtyard": f"C{j}"} for j in range(n)],
            "roster": [{"date": days[0], "staff": f"{tag}{j}", "role": "patrol"} for j in range(n)],
        })
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_two_processes_saving_at_once_never_corrupt_it(tmp_path: Path) -> None:
    """Two processes replacing the same weeks concurrently leave a sound file: each week is one whole save."""
    path = tmp_path / "h.sqlite"
    History(path)
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), tag], env=_env(), stderr=subprocess.PIPE)
        for tag in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for plan_id, doc_text in con.execute("SELECT id, doc FROM plans"):
        doc = json.loads(doc_text)
        desks = con.execute("SELECT COUNT(*) FROM desks WHERE plan_id = ?", (plan_id,)).fetchone()[0]
        staff = {r[0] for r in con.execute("SELECT staff FROM duties WHERE plan_id = ?", (plan_id,))}
        assert desks == doc["n"]
        assert staff == {f"{doc['tag']}{j}" for j in range(doc["n"])}
    con.close()
    assert len(History(path).weeks()) == 8


_KILLED = textwrap.dedent(
    """
    import sys, time
    import patrolplan.history as hist
    original = hist._insert_routes
    def stall(*args):
        original(*args)
        print("inside", flush=True)
        time.sleep(60)
    hist._insert_routes = stall
    h = hist.History(sys.argv[1])
    doc = {"community": "Tiexi", "week": "2026-W49", "tag": "killed", "routes": [],
           "desks": [{"date": "2026-12-01", "courtyard": f"X{i}"} for i in range(5000)], "roster": []}
    h.save(doc)
    """
)


def test_a_process_killed_mid_save_leaves_the_previous_state(tmp_path: Path) -> None:
    """SIGKILL inside the save transaction: the earlier plan of that week is still there, whole."""
    path = tmp_path / "h.sqlite"
    history = History(path)
    history.save(_small_doc(tag="before"))
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(path)], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != b"inside":
            proc.kill()
            pytest.fail(f"the saving process did not start: {proc.communicate()[1].decode()}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    reopened = History(path)
    assert reopened.load("2026-W49")["tag"] == "before"
    assert len(reopened.past(Week.parse("2026-W50"), community="Tiexi").desks) == 3
    reopened.save(_small_doc(tag="after"))  # the lock was released with the process
    assert reopened.load("2026-W49")["tag"] == "after"


# ---------------------------------------------------------------- twelve weeks
def test_twelve_simulated_weeks_rotate_fairly(tmp_path: Path) -> None:
    """Twelve weeks, each saved before the next: rotation, fair shares, leave and the checker hold."""
    history = History(tmp_path / "h.sqlite")
    district = load_district()
    staff = load_staff()
    first = Week.parse("2026-W38")
    weeks = [first.next(i) for i in range(12)]
    on_leave = {weeks[2]: ("Wang Fang", "Liu Qiang"), weeks[6]: ("Li Na",)}
    hosts: list[set[str]] = []
    counts: Counter[str] = Counter()
    cycle = 0
    for week in weeks:
        pool = staff
        for name in on_leave.get(week, ()):
            pool = pool.with_leave(name, week.duty_dates())
        past = history.past(week, community=district.name, weeks=12)
        problem = WeekProblem(district, pool, week, past=past)
        cycle = desk_cycle_weeks(problem)
        desks = plan_desks(problem, time_limit=2, seed=0)
        roster = plan_roster(problem, desks, time_limit=2, seed=0)
        assert check_roster(problem, desks, roster) == []
        for e in roster.entries:
            assert pool.get(e.staff).available(e.date)
        history.save(_doc(district.name, str(week), desks, roster))
        hosts.append({d.courtyard for d in desks})
        counts.update(e.staff for e in roster.entries)
    capable = {y.id for y in district.courtyards if y.can_host_desk}
    assert cycle == 10
    for start in range(len(weeks) - cycle + 1):
        assert set().union(*hosts[start : start + cycle]) == capable, f"cycle from week {start}"
    for role in Role:
        people = [m.id for m in staff.with_role(role)]
        per_day = 2
        share = per_day * 3 * len(weeks) / len(people)
        for person in people:
            assert abs(counts[person] - share) <= 1, (person, counts[person], share)
    assert sum(counts.values()) == 12 * 12
    assert len(history.weeks()) == 12
