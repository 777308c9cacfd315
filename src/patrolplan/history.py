"""Plan history: saved weekly plans in a SQLite database file.

Each saved plan keeps its whole ``plan.json`` text plus normalised rows
(desks, duties, route edges) with a status (``planned``, ``done``,
``cancelled``), so :meth:`History.past` can feed desk rotation, roster
fairness and route rotation quickly.

The file uses WAL mode and a busy timeout, so several processes can read and
write it at once. Every save is one ``BEGIN IMMEDIATE`` transaction: re-saving
a (community, week) replaces the earlier plan atomically, and a process killed
in the middle leaves the previous state intact. The schema version lives in
``PRAGMA user_version``; :meth:`History.migrate` brings older files forward.

The default file is ``$PATROLPLAN_HISTORY`` if set, else
``~/.local/share/patrolplan/history.sqlite`` (the platform's user data folder
when ``platformdirs`` is installed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from patrolplan.errors import HistoryError, InvalidInputError, NotFoundError
from patrolplan.problem import PastDesk, PastDuty, PastRoute, PastWeeks
from patrolplan.staff import Role
from patrolplan.week import Week

__all__ = ["SCHEMA_VERSION", "STATUSES", "History"]

logger = logging.getLogger("patrolplan")

#: The schema version this code writes (``PRAGMA user_version``).
SCHEMA_VERSION = 1

#: What a desk or duty row can be marked.
STATUSES = ("planned", "done", "cancelled")

_ENV = "PATROLPLAN_HISTORY"
_BUSY_MS = 30_000

#: Steps from version ``n - 1`` to ``n``, keyed by ``n``.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE IF NOT EXISTS plans (
            id INTEGER PRIMARY KEY,
            community TEXT NOT NULL,
            week TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            doc TEXT NOT NULL,
            UNIQUE (community, week)
        )""",
        """CREATE TABLE IF NOT EXISTS desks (
            plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
            date TEXT NOT NULL,
            courtyard TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled'))
        )""",
        """CREATE TABLE IF NOT EXISTS duties (
            plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
            date TEXT NOT NULL,
            staff TEXT NOT NULL,
            role TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled'))
        )""",
        """CREATE TABLE IF NOT EXISTS routes (
            plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
            date TEXT NOT NULL,
            rider TEXT NOT NULL,
            slot INTEGER NOT NULL,
            edges TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS desks_plan ON desks (plan_id, date)",
        "CREATE INDEX IF NOT EXISTS duties_plan ON duties (plan_id, date)",
        "CREATE INDEX IF NOT EXISTS routes_plan ON routes (plan_id, date)",
    ),
}


def _default_folder() -> Path:
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is optional
        return Path.home() / ".local" / "share" / "patrolplan"
    return Path(platformdirs.user_data_dir("patrolplan", appauthor=False))


class History:
    """Saved weekly plans in one SQLite file.

    Parameters
    ----------
    path
        The database file; ``None`` for :meth:`default_path`. The folder is
        created and the schema migrated on first use.

    Raises
    ------
    HistoryError
        If the file cannot be opened, is not a database, or was written by a
        newer patrolplan (a higher schema version).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else self.default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the history folder {str(self.path.parent)!r}: {exc}"
            raise HistoryError(msg, items=[str(self.path)]) from exc
        self.migrate()

    def __repr__(self) -> str:
        return f"History({str(self.path)!r})"

    @staticmethod
    def default_path() -> Path:
        """``$PATROLPLAN_HISTORY``, else ``history.sqlite`` in the user data folder."""
        env = os.environ.get(_ENV, "").strip()
        if env:
            return Path(env).expanduser()
        return _default_folder() / "history.sqlite"

    # ------------------------------------------------------------- connections
    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            msg = f"cannot open the history database {str(self.path)!r}: {exc}"
            raise HistoryError(msg, items=[str(self.path)]) from exc
        try:
            con.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            con.execute("PRAGMA foreign_keys = ON")
            yield con
        except sqlite3.DatabaseError as exc:
            msg = f"history database {str(self.path)!r}: {exc}"
            raise HistoryError(msg, items=[str(self.path)]) from exc
        finally:
            con.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def schema_version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        with self._connect() as con:
            return int(con.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Bring the file to :data:`SCHEMA_VERSION` (WAL mode, tables, indexes).

        Returns
        -------
        int
            The version the file had before.

        Raises
        ------
        HistoryError
            If the file has a newer schema version than this code knows.
        """
        with self._connect() as con:
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("history %s: journal mode is %s, not WAL", self.path, mode)
            con.execute("BEGIN IMMEDIATE")
            try:
                before = int(con.execute("PRAGMA user_version").fetchone()[0])
                if before > SCHEMA_VERSION:
                    msg = (
                        f"history {str(self.path)!r} has schema version {before}, newer than "
                        f"{SCHEMA_VERSION}: upgrade patrolplan to read it"
                    )
                    raise HistoryError(msg, items=[str(self.path)])
                for version in range(before + 1, SCHEMA_VERSION + 1):
                    for step in _MIGRATIONS[version]:
                        con.execute(step)
                    con.execute(f"PRAGMA user_version = {version}")
                    logger.info("history %s: migrated to schema version %d", self.path, version)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        return before

    # --------------------------------------------------------------------- write
    def save(self, doc: Mapping[str, Any]) -> None:
        """Save a plan (the ``plan.json`` dict); re-saving its (community, week) replaces it.

        Statuses already marked (``done``, ``cancelled``) carry over to the
        rows of the new version that match them.

        Raises
        ------
        InvalidInputError
            If ``doc`` lacks ``community`` or ``week``, or a row is malformed.
        """
        community, week = _identity(doc)
        desks, duties, routes = _rows(doc)
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str)
        saved_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._transaction() as con:
            old = con.execute("SELECT id FROM plans WHERE community = ? AND week = ?", (community, week)).fetchone()
            kept_desks: dict[tuple[str, str], str] = {}
            kept_duties: dict[tuple[str, str, str], str] = {}
            if old is not None:
                for date, yard, status in con.execute(
                    "SELECT date, courtyard, status FROM desks WHERE plan_id = ?", (old[0],)
                ):
                    kept_desks[date, yard] = status
                for date, staff, role, status in con.execute(
                    "SELECT date, staff, role, status FROM duties WHERE plan_id = ?", (old[0],)
                ):
                    kept_duties[date, staff, role] = status
                con.execute("DELETE FROM plans WHERE id = ?", (old[0],))
            cur = con.execute(
                "INSERT INTO plans (community, week, saved_at, doc) VALUES (?, ?, ?, ?)",
                (community, week, saved_at, text),
            )
            plan_id = cur.lastrowid
            _insert_desks(con, plan_id, [(*d, kept_desks.get(d, "planned")) for d in desks])
            _insert_duties(con, plan_id, [(*d, kept_duties.get(d, "planned")) for d in duties])
            _insert_routes(con, plan_id, routes)
        logger.info("history %s: saved %s %s", self.path, community, week)

    def mark(
        self,
        week: Week | str,
        status: Literal["done", "cancelled"],
        *,
        community: str | None = None,
        day: dt.date | None = None,
        courtyard: str | None = None,
    ) -> int:
        """Mark a week, one day of it, or one desk as done or cancelled.

        Parameters
        ----------
        week
            The saved week.
        status
            ``"done"`` or ``"cancelled"`` (``"planned"`` undoes a mark).
        community
            Which community; ``None`` if the file holds only one.
        day
            Only this duty date.
        courtyard
            Only the desk at this courtyard (its duties are left as they are).

        Returns
        -------
        int
            Rows changed (desks and duties).

        Raises
        ------
        InvalidInputError
            If ``status`` is not one of :data:`STATUSES`.
        NotFoundError
            If the week is not saved, or nothing matches ``day``/``courtyard``.
        """
        if status not in STATUSES:
            msg = f"unknown status {status!r}; use done or cancelled"
            raise InvalidInputError(msg, items=[status])
        wk = str(Week.parse(week))
        with self._transaction() as con:
            name = _community(con, community, self.path)
            plan_id = _plan_id(con, name, wk)
            where = "plan_id = ?"
            args: list[object] = [plan_id]
            if day is not None:
                where += " AND date = ?"
                args.append(day.isoformat())
            changed = 0
            yard_args = [*args, courtyard] if courtyard is not None else args
            yard_where = f"{where} AND courtyard = ?" if courtyard is not None else where
            changed += con.execute(f"UPDATE desks SET status = ? WHERE {yard_where}", [status, *yard_args]).rowcount
            if courtyard is None:
                changed += con.execute(f"UPDATE duties SET status = ? WHERE {where}", [status, *args]).rowcount
            if changed == 0:
                what = " ".join(x for x in (day.isoformat() if day else "", courtyard or "") if x)
                msg = f"{name} {wk}: nothing saved for {what or 'that week'}"
                raise NotFoundError(msg, items=[wk, what])
        return changed

    # ---------------------------------------------------------------------- read
    def load(self, week: Week | str, *, community: str | None = None) -> dict[str, Any]:
        """The saved ``plan.json`` dict of a week.

        Raises
        ------
        NotFoundError
            If the week is not saved (the message lists the weeks that are).
        """
        wk = str(Week.parse(week))
        with self._connect() as con:
            name = _community(con, community, self.path)
            row = con.execute("SELECT doc FROM plans WHERE community = ? AND week = ?", (name, wk)).fetchone()
            if row is None:
                _plan_id(con, name, wk)  # raises, naming the saved weeks
            doc: dict[str, Any] = json.loads(row[0])
        return doc

    def weeks(self, community: str | None = None) -> list[tuple[str, str, str]]:
        """Saved ``(community, week, saved_at)``, by community then week; ``None`` lists all."""
        with self._connect() as con:
            if community is None:
                rows = con.execute("SELECT community, week, saved_at FROM plans ORDER BY community, week")
            else:
                rows = con.execute(
                    "SELECT community, week, saved_at FROM plans WHERE community = ? ORDER BY week", (community,)
                )
            return [(str(c), str(w), str(s)) for c, w, s in rows]

    def communities(self) -> list[str]:
        """The communities with saved plans, sorted."""
        with self._connect() as con:
            return [str(r[0]) for r in con.execute("SELECT DISTINCT community FROM plans ORDER BY community")]

    def past(self, before: Week | str, *, community: str, weeks: int = 12) -> PastWeeks:
        """What the history says about the ``weeks`` weeks before ``before``.

        Returns
        -------
        PastWeeks
            Desks, duties and routes in those weeks, in date order (all
            statuses: the planners skip cancelled ones themselves).
        """
        wk = Week.parse(before)
        hi = wk.monday.isoformat()
        lo = (wk.monday - dt.timedelta(weeks=max(0, weeks))).isoformat()
        join = "JOIN plans p ON p.id = t.plan_id WHERE p.community = ? AND t.date >= ? AND t.date < ?"
        args = (community, lo, hi)
        with self._connect() as con:
            desks = tuple(
                PastDesk(dt.date.fromisoformat(d), str(c), str(s))
                for d, c, s in con.execute(
                    f"SELECT t.date, t.courtyard, t.status FROM desks t {join} ORDER BY t.date, t.courtyard",
                    args,
                )
            )
            duties = tuple(
                PastDuty(dt.date.fromisoformat(d), str(p), Role(r), str(s))
                for d, p, r, s in con.execute(
                    f"SELECT t.date, t.staff, t.role, t.status FROM duties t {join} ORDER BY t.date, t.staff",
                    args,
                )
            )
            routes = tuple(
                PastRoute(dt.date.fromisoformat(d), str(r), tuple((int(a), int(b)) for a, b in json.loads(e)), int(s))
                for d, r, s, e in con.execute(
                    f"SELECT t.date, t.rider, t.slot, t.edges FROM routes t {join} ORDER BY t.date, t.slot",
                    args,
                )
            )
        return PastWeeks(desks=desks, duties=duties, routes=routes)


# --------------------------------------------------------------------- helpers
def _identity(doc: Mapping[str, Any]) -> tuple[str, str]:
    """The (community, week) a plan doc belongs to."""
    community = str(doc.get("community") or "").strip()
    if not community or not doc.get("week"):
        msg = "a plan to save needs 'community' and 'week' (a plan.json dict)"
        raise InvalidInputError(msg, items=["community", "week"])
    return community, str(Week.parse(str(doc["week"])))


def _iso(value: Any, where: str) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        msg = f"{where}: bad date {value!r}; write ISO dates such as 2026-12-02"
        raise InvalidInputError(msg, items=[where]) from exc


def _rows(
    doc: Mapping[str, Any],
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]], list[tuple[str, str, int, str]]]:
    """Normalised desk, duty and route rows of a plan doc."""
    try:
        desks = [(_iso(d["date"], "desks"), str(d["courtyard"])) for d in doc.get("desks", [])]
        duties = [
            (_iso(r["date"], "roster"), str(r["staff"]), Role(str(r["role"])).value) for r in doc.get("roster", [])
        ]
        routes = [
            (
                _iso(r["date"], "routes"),
                str(r["rider"]),
                int(r.get("slot", i)),
                json.dumps([[int(a), int(b)] for a, b in itertools.pairwise(r.get("path", []))]),
            )
            for i, r in enumerate(doc.get("routes", []))
        ]
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"plan doc has a malformed desk, roster or route row: {exc!r}"
        raise InvalidInputError(msg) from exc
    return desks, duties, routes


def _insert_desks(con: sqlite3.Connection, plan_id: int | None, rows: Sequence[tuple[str, str, str]]) -> None:
    con.executemany(
        "INSERT INTO desks (plan_id, date, courtyard, status) VALUES (?, ?, ?, ?)", [(plan_id, *r) for r in rows]
    )


def _insert_duties(con: sqlite3.Connection, plan_id: int | None, rows: Sequence[tuple[str, str, str, str]]) -> None:
    con.executemany(
        "INSERT INTO duties (plan_id, date, staff, role, status) VALUES (?, ?, ?, ?, ?)",
        [(plan_id, *r) for r in rows],
    )


def _insert_routes(con: sqlite3.Connection, plan_id: int | None, rows: Sequence[tuple[str, str, int, str]]) -> None:
    con.executemany(
        "INSERT INTO routes (plan_id, date, rider, slot, edges) VALUES (?, ?, ?, ?, ?)",
        [(plan_id, *r) for r in rows],
    )


def _community(con: sqlite3.Connection, community: str | None, path: Path) -> str:
    """The community meant: the one given, else the only one in the file."""
    if community is not None:
        return community
    names = [str(r[0]) for r in con.execute("SELECT DISTINCT community FROM plans ORDER BY community")]
    if len(names) == 1:
        return names[0]
    if not names:
        msg = f"history {str(path)!r} has no saved plans yet"
        raise NotFoundError(msg, items=[str(path)])
    msg = f"history {str(path)!r} holds several communities ({', '.join(names)}); say which one"
    raise InvalidInputError(msg, items=names)


def _plan_id(con: sqlite3.Connection, community: str, week: str) -> int:
    """The row id of a saved (community, week), or a NotFoundError naming the saved weeks."""
    row = con.execute("SELECT id FROM plans WHERE community = ? AND week = ?", (community, week)).fetchone()
    if row is not None:
        return int(row[0])
    saved = [str(r[0]) for r in con.execute("SELECT week FROM plans WHERE community = ? ORDER BY week", (community,))]
    known = ", ".join(saved) if saved else "none"
    msg = f"week {week} of {community} is not in the history; saved weeks: {known}"
    raise NotFoundError(msg, items=[week])
