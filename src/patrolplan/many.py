"""Plan many communities at once on Dask distributed: a sub-district, a city district, a city.

One community is one machine's work; a sub-district office (街道) plans
10–20 communities a week and a city thousands. :func:`plan_many` spreads the
communities over a Dask cluster: a local one sized to the machine by default,
or a running scheduler (``tcp://host:8786``) or :class:`distributed.Client`.
:func:`plan_all` is the ``patrolplan plan-all`` command: it plans every
district folder under a directory and writes each community's exports, a
summary table (``summary.csv``, ``summary.xlsx``) and an overview map
(``overview.html``).

How the work is split
---------------------
Districts travel once
    A task carries only a folder path, the week, the solver parameters and
    the (small) past weeks from the history. The worker process loads the
    folder itself and keeps it in a per-process cache keyed by the folder
    path and its files' modification times and sizes (:func:`load_folder`),
    so a street graph is never pickled into a task, and planning the same
    folders again (next week, a what-if) reuses the loaded districts.
    Folders must therefore be readable by the workers at the same path (a
    shared file system on a real cluster). A :class:`~patrolplan.WeekProblem`
    built in memory is sent with its own task, once.
Workers compute; the caller persists
    A worker returns the :class:`~patrolplan.Plan` (a pickled Tiexi-size plan
    is about 0.3 MB and takes ~6 ms each way, measured) and, when asked, its
    ``plan.json`` document. Only the calling process writes the history
    (SQLite has one writer) and the export files.
Same results
    A task runs exactly the serial steps: ``district_from_file(folder)``,
    ``load_staff``, ``WeekProblem(district, staff, week, past=...)`` and
    ``plan_week(problem, params=params)``. The solvers are seeded, so the
    plans equal those of serial ``plan_week`` calls.
Faults
    Tasks are submitted with ``retries=2``: a worker killed in the middle of
    the run costs time, not plans (the scheduler moves its tasks elsewhere
    and the nanny restarts the process). A community whose inputs are bad
    raises a :class:`~patrolplan.PatrolplanError` inside its task, which is
    returned as data (not retried) and appears in the result under the
    community's name; any other failure that survives the retries becomes a
    :class:`CommunityFailedError`. The other communities finish either way.

Examples
--------
>>> import patrolplan as pp
>>> from patrolplan.many import generate_communities, plan_many
>>> folders = generate_communities(4, "sub-district", seed=1)          # doctest: +SKIP
>>> plans = plan_many(folders, week="2026-W49",
...                   params=pp.SolveParams(time_limit=2, seed=0))     # doctest: +SKIP
>>> {name: p.coverage() for name, p in plans.items() if isinstance(p, pp.Plan)}  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import csv
import functools
import html
import importlib
import json
import logging
import math
import os
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from patrolplan.district import District, district_from_file
from patrolplan.errors import InvalidInputError, NotFoundError, PatrolplanError
from patrolplan.history import History
from patrolplan.options import SolveParams
from patrolplan.plan import Plan, plan_week
from patrolplan.problem import PastWeeks, WeekProblem
from patrolplan.staff import Staff, load_staff
from patrolplan.week import Week

__all__ = [
    "SUMMARY_COLUMNS",
    "CommunityFailedError",
    "Outcome",
    "find_district_folders",
    "generate_communities",
    "iter_many",
    "load_folder",
    "overview_html",
    "plan_all",
    "plan_many",
    "summary_row",
    "write_exports",
]

log = logging.getLogger("patrolplan")

Source = WeekProblem | str | os.PathLike[str]
"""What :func:`plan_many` accepts per community: a district folder or a built problem."""

ClientLike = Any
"""A :class:`distributed.Client`, a scheduler address string, or ``None``."""

_STREET_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".graphml")
_RETRIES = 2


class CommunityFailedError(PatrolplanError):
    """A community's task failed for a reason other than its inputs (after the retries).

    For example a worker that kept dying while planning it
    (``distributed.KilledWorker``), or a bug. The original exception is the
    ``__cause__`` where it could be kept, and is named in the message.
    """


# --------------------------------------------------------------------- outcome
@dataclass(frozen=True)
class Outcome:
    """One community's result from a worker.

    Attributes
    ----------
    name
        The key in :func:`plan_many`'s result: the folder's name, or the
        district's name for a :class:`~patrolplan.WeekProblem`.
    community
        The district's name (``plan.json``'s ``community``) when known.
    folder
        The district folder, if the community came from one.
    plan
        The plan (``None`` on error, or when only documents were asked for).
    doc
        The ``plan.json`` document (when asked for, and on success).
    error
        Why this community has no plan.
    timings
        Seconds spent in the task: ``load`` (district folder and staff,
        0 when cached), ``solve`` (``plan_week``), ``doc`` (``to_json``),
        ``export`` (when the worker wrote the exports), ``total``; ``cached`` is 1.0 when the district came from the
        worker's cache.
    worker
        ``host:pid`` of the process that computed it.
    streets
        The district's street segments as ``(lon, lat)`` pairs, which the
        maps draw under the routes (when asked for: ``plan.json`` has none).
    """

    name: str
    community: str = ""
    folder: str | None = None
    plan: Plan | None = None
    doc: dict[str, Any] | None = None
    error: PatrolplanError | None = None
    timings: dict[str, float] = field(default_factory=dict)
    worker: str = ""
    streets: list[list[tuple[float, float]]] | None = None

    @property
    def ok(self) -> bool:
        """True when the community got a plan."""
        return self.error is None


# --------------------------------------------------------------------- worker side
def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, mtime and size of every file in ``folder``: the cache key's version part."""
    out = []
    for p in sorted(folder.iterdir()):
        if p.is_file():
            st = p.stat()
            out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


@functools.lru_cache(maxsize=128)
def _load_cached(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> tuple[District, Staff]:
    del stamp  # part of the cache key only: edited files give a new entry
    district = district_from_file(folder)
    staff_file = Path(folder) / str(district.settings.get("staff_file", "staff.csv"))
    staff = load_staff(staff_file) if staff_file.is_file() else load_staff()
    return district, staff


def load_folder(folder: str | os.PathLike[str]) -> tuple[District, Staff]:
    """Load a district folder and its staff pool, once per process.

    The cache is keyed by the folder path and the names, modification times
    and sizes of its files, so an edited folder is loaded again. Errors are
    not cached.

    Parameters
    ----------
    folder
        A district folder (street file, optional ``courtyards.geojson``,
        ``staff.csv``, ``district.toml``).

    Returns
    -------
    tuple of (District, Staff)
        The district, and the folder's staff pool (its ``staff_file`` or
        ``staff.csv``; the embedded default pool if it has none).

    Raises
    ------
    PatrolplanError
        As :func:`~patrolplan.district_from_file` and
        :func:`~patrolplan.load_staff` do.
    """
    path = Path(folder).resolve()
    if not path.is_dir():
        msg = f"district folder {str(folder)!r} does not exist"
        raise NotFoundError(msg, items=[str(folder)])
    return _load_cached(str(path), _stamp(path))


def _where() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


def _plan_task(
    name: str,
    source: str | WeekProblem,
    week: str,
    params: SolveParams,
    past: PastWeeks | None,
    want: tuple[str, ...],
    export_dir: str | None = None,
) -> Outcome:
    """Plan one community on a worker; a :class:`PatrolplanError` is returned as data."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    folder = source if isinstance(source, str) else None
    community = ""
    try:
        if isinstance(source, WeekProblem):
            problem = source
            timings["load"] = 0.0
        else:
            before = _load_cached.cache_info().hits
            district, staff = load_folder(source)
            timings["cached"] = float(_load_cached.cache_info().hits > before)
            timings["load"] = time.perf_counter() - started
            problem = WeekProblem(district, staff, week, past=past)
        community = problem.district.name
        t0 = time.perf_counter()
        plan = plan_week(problem, params=params)
        timings["solve"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        doc = plan.to_json() if "doc" in want or export_dir else None
        timings["doc"] = time.perf_counter() - t0
        streets = problem.district.street_lines() if "streets" in want or export_dir else None
        if export_dir is not None and doc is not None:
            t0 = time.perf_counter()
            write_exports(doc, Path(export_dir) / name, streets=streets)
            timings["export"] = time.perf_counter() - t0
    except PatrolplanError as exc:
        timings["total"] = time.perf_counter() - started
        return Outcome(name, community, folder, error=exc, timings=timings, worker=_where())
    timings["total"] = time.perf_counter() - started
    return Outcome(
        name,
        community,
        folder,
        plan=plan if "plan" in want else None,
        doc=doc if "doc" in want else None,
        timings=timings,
        worker=_where(),
        streets=streets if "streets" in want else None,
    )


# --------------------------------------------------------------------- caller side
def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _connect(client: ClientLike, n_workers: int) -> Iterator[Any]:
    """Yield a ``distributed.Client``: the given one, one to an address, or a new local cluster."""
    from distributed import Client, LocalCluster

    if client is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never clash with another cluster
            # a community's failure comes back as data; distributed's own complaints (a heartbeat
            # missed on a loaded machine, logged at ERROR with a traceback, and recovered from)
            # would break the CLI's one-line errors
            silence_logs=logging.CRITICAL,
        )
        try:
            with Client(cluster) as local:
                yield local
        finally:
            cluster.close()
    elif isinstance(client, str):
        with Client(client) as remote:
            yield remote
    else:
        yield client


def _folder_name(folder: Path) -> tuple[str, str]:
    """The (key, community name) of a folder, without loading it (for the history)."""
    name = folder.name
    community = name
    toml = folder / "district.toml"
    if toml.is_file():
        with contextlib.suppress(OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            community = str(tomllib.loads(toml.read_text(encoding="utf-8")).get("name") or name)
    return name, community


def _jobs(sources: Iterable[Source]) -> list[tuple[str, str, str | WeekProblem]]:
    """(key, community, source) per community; keys must be unique."""
    jobs: list[tuple[str, str, str | WeekProblem]] = []
    for src in sources:
        if isinstance(src, WeekProblem):
            name = src.district.name
            jobs.append((name, name, src))
        else:
            folder = Path(src).resolve()
            key, community = _folder_name(folder)
            jobs.append((key, community, str(folder)))
    seen: dict[str, int] = {}
    for key, _c, _s in jobs:
        seen[key] = seen.get(key, 0) + 1
    dupes = sorted(k for k, n in seen.items() if n > 1)
    if dupes:
        msg = f"communities must have distinct names; these appear more than once: {dupes}"
        raise InvalidInputError(msg, items=dupes)
    return jobs


def _progress(enabled: bool, total: int) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]planning communities"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        disable=not enabled or total == 0,
        transient=False,
    )


def iter_many(
    problems_or_folders: Iterable[Source],
    *,
    params: SolveParams | None = None,
    client: ClientLike = None,
    week: Week | str | None = None,
    history: History | str | os.PathLike[str] | None = None,
    want: Sequence[Literal["plan", "doc", "streets"]] = ("plan",),
    n_workers: int | None = None,
    progress: bool = True,
    on_outcome: Callable[[Outcome], None] | None = None,
    export_dir: str | os.PathLike[str] | None = None,
) -> Iterator[Outcome]:
    """Plan many communities on Dask and yield each :class:`Outcome` as it arrives.

    The streaming form of :func:`plan_many` (same parameters): use it to
    write exports as plans arrive without holding them all, e.g. with
    ``want=("doc",)``.

    Parameters
    ----------
    problems_or_folders
        District folders and/or :class:`~patrolplan.WeekProblem` objects.
    params
        Solver parameters, the same for every community.
    client
        ``None`` (start a local cluster sized to the machine: one process per
        core, one thread each; closed afterwards), a scheduler address
        (``"tcp://host:8786"``), or a :class:`distributed.Client`.
    week
        The week to plan for the folders (default: the upcoming week);
        problems keep their own week.
    history
        A :class:`~patrolplan.History` (or its path). The caller reads each
        community's past weeks from it before submitting and saves each plan
        into it as it arrives; workers never touch it.
    want
        What workers send back: ``"plan"`` (the :class:`~patrolplan.Plan`),
        ``"doc"`` (its ``plan.json`` dict) and/or ``"streets"`` (the
        district's street segments, for maps drawn from the doc). ``"doc"``
        is added when a history is given.
    n_workers
        Size of the local cluster (default: the machine's cores, at most
        one per community).
    progress
        Show a Rich progress bar over the communities.
    on_outcome
        Called in the caller with each outcome as it arrives (after the
        history is written).
    export_dir
        If given, each worker writes its community's exports
        (:func:`write_exports`) into ``export_dir/<name>``, in parallel; the
        folder must be reachable by the workers at that path (always true on
        a local cluster). ``None``: no exports (the caller may write them).

    Yields
    ------
    Outcome
        One per community, in completion order.
    """
    from distributed import as_completed

    solve = params or SolveParams()
    wk = Week.parse(week) if week is not None else Week.upcoming()
    store = history if isinstance(history, History) or history is None else History(Path(history))
    wanted = tuple(sorted({*want, *(("doc",) if store is not None else ())}))
    jobs = _jobs(problems_or_folders)
    size = min(n_workers or _cpu_count(), max(1, len(jobs)))  # no idle local workers
    with _connect(client, size) as dask_client, _progress(progress, len(jobs)) as bar:
        task = bar.add_task("", total=len(jobs))
        futures: dict[Any, tuple[str, str, str | WeekProblem]] = {}
        for key, community, source in jobs:
            past: PastWeeks | None = None
            if store is not None and not isinstance(source, WeekProblem):  # a built problem has its own past
                past = store.past(wk, community=community)
            fut = dask_client.submit(
                _plan_task,
                key,
                source,
                str(wk),
                solve,
                past,
                wanted,
                None if export_dir is None else str(Path(export_dir).resolve()),
                key=f"plan-{key}-{wk}-{os.getpid()}-{time.monotonic_ns()}",
                retries=_RETRIES,
                pure=False,
            )
            futures[fut] = (key, community, source)
        for fut in as_completed(list(futures)):
            key, community, source = futures[fut]
            outcome = _collect(fut, key, community, source)
            if not outcome.community:  # the district did not load: its name from district.toml
                outcome = replace(outcome, community=community)
            if store is not None and outcome.doc is not None:
                store.save(outcome.doc)
            bar.update(task, advance=1, description=f"{key}: {'ok' if outcome.ok else 'error'}")
            if on_outcome is not None:
                on_outcome(outcome)
            yield outcome
            fut.release()


def _collect(fut: Any, key: str, community: str, source: str | WeekProblem) -> Outcome:
    folder = source if isinstance(source, str) else None
    try:
        result = fut.result()
    except Exception as exc:  # any failure that survives the retries is this community's error
        msg = f"community {key}: planning failed after {_RETRIES} retries: {type(exc).__name__}: {exc}"
        error = CommunityFailedError(msg, items=[key])
        error.__cause__ = exc
        return Outcome(key, community, folder, error=error)
    if not isinstance(result, Outcome):  # pragma: no cover - defensive
        error = CommunityFailedError(f"community {key}: unexpected task result {type(result).__name__}", items=[key])
        return Outcome(key, community, folder, error=error)
    return result


def plan_many(
    problems_or_folders: Iterable[Source],
    *,
    params: SolveParams | None = None,
    client: ClientLike = None,
    week: Week | str | None = None,
    history: History | str | os.PathLike[str] | None = None,
    n_workers: int | None = None,
    progress: bool = True,
) -> dict[str, Plan | PatrolplanError]:
    """Plan many communities on Dask distributed; each gets its plan or its own error.

    Parameters
    ----------
    problems_or_folders
        District folders (see ``docs/many.md``) and/or
        :class:`~patrolplan.WeekProblem` objects.
    params
        Solver parameters (time limit, seed), the same for every community.
    client
        ``None`` for a local cluster sized to the machine (started and closed
        here), a scheduler address such as ``"tcp://host:8786"``, or a
        :class:`distributed.Client`.
    week
        The week to plan for folders (default: the upcoming week).
    history
        A :class:`~patrolplan.History` or its path: past weeks feed rotation
        and fairness, and every plan is saved into it by this (calling)
        process alone.
    n_workers
        Local cluster size (default: one worker process per core).
    progress
        Show a Rich progress bar.

    Returns
    -------
    dict of str to Plan or PatrolplanError
        By community key (the folder's name, or the district's name for a
        problem), in the order given. Values are plans, or the error that
        explains why that community has none
        (:class:`CommunityFailedError` for failures not caused by inputs).

    Raises
    ------
    InvalidInputError
        If two communities have the same key.
    """
    jobs = list(problems_or_folders)
    got: dict[str, Plan | PatrolplanError] = {}
    for outcome in iter_many(
        jobs,
        params=params,
        client=client,
        week=week,
        history=history,
        want=("plan",),
        n_workers=n_workers,
        progress=progress,
    ):
        if outcome.error is not None:
            got[outcome.name] = outcome.error
        elif outcome.plan is not None:
            got[outcome.name] = outcome.plan
    order = [k for k, _c, _s in _jobs(jobs)]
    return {k: got[k] for k in order if k in got}


# --------------------------------------------------------------------- folders
def _is_district_folder(path: Path) -> bool:
    if not path.is_dir():
        return False
    if (path / "district.toml").is_file():
        return True
    return any(p.name.lower().endswith(_STREET_SUFFIXES) for p in path.iterdir() if p.is_file())


def find_district_folders(districts_dir: str | os.PathLike[str]) -> list[Path]:
    """The district folders directly under ``districts_dir`` (or the folder itself), sorted.

    A district folder has a ``district.toml`` or a street file (``.osm``,
    ``.osm.bz2``, ``.osm.pbf``, ``.graphml``).

    Raises
    ------
    NotFoundError
        If the directory does not exist or holds no district folder.
    """
    root = Path(districts_dir)
    if not root.is_dir():
        msg = f"districts directory {str(root)!r} does not exist"
        raise NotFoundError(msg, items=[str(root)])
    if _is_district_folder(root) and (root / "district.toml").is_file():
        return [root]
    found = sorted(p for p in root.iterdir() if _is_district_folder(p))
    if not found:
        msg = f"no district folder (with district.toml or a street file) under {str(root)!r}"
        raise NotFoundError(msg, items=[str(root)])
    return found


def generate_communities(
    n: int,
    folder: str | os.PathLike[str],
    *,
    seed: int,
    courtyards: tuple[int, int] = (8, 12),
    width_m: tuple[float, float] = (500.0, 900.0),
    height_m: tuple[float, float] = (160.0, 300.0),
    origin: tuple[float, float] = (112.5500, 37.8700),
) -> list[Path]:
    """Write ``n`` seeded synthetic communities of varied size as district folders.

    Each community comes from :func:`patrolplan.synth.generate_community`
    with its own seed, size and name, placed side by side (four to a row,
    like the strips of a sub-district) so that an overview map shows them
    apart (a community too short for its courtyards is made longer, up to
    1.2× at a time). The same arguments always give the same folders.

    Parameters
    ----------
    n
        How many communities.
    folder
        Parent folder; community ``k`` goes to ``folder/c{k:03d}``.
    seed
        Seed of the whole set.
    courtyards, width_m, height_m
        Inclusive ranges of the courtyard count and extent in metres.
    origin
        ``(lon, lat)`` of the south-west corner of the first community.

    Returns
    -------
    list of Path
        The district folders, in order.
    """
    import numpy as np

    from patrolplan.synth import METRES_PER_DEGREE_LAT, courtyard_names, generate_community, write_district_folder

    rng = np.random.default_rng([seed, 8])
    stems = [zh[:2] for zh, _en in courtyard_names(n, seed=seed)]
    stems_en = [en.split(" ")[0] for _zh, en in courtyard_names(n, seed=seed)]
    used: dict[str, int] = {}
    root = Path(folder)
    out: list[Path] = []
    col_w = width_m[1] + 250.0
    row_h = height_m[1] + 250.0
    lon0, lat0 = origin
    per_lon = METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0))
    for k in range(n):
        used[stems[k]] = used.get(stems[k], 0) + 1
        count = used[stems[k]]
        zh = f"{stems[k]}社區" if count == 1 else f"{stems[k]}{count}社區"
        en = f"{stems_en[k]} Community" if count == 1 else f"{stems_en[k]} {count} Community"
        row, col = divmod(k, 4)
        c_seed, width = int(rng.integers(1 << 31)), float(rng.uniform(*width_m))
        height, n_yards = float(rng.uniform(*height_m)), int(rng.integers(courtyards[0], courtyards[1] + 1))
        while True:
            try:
                community = generate_community(
                    seed=c_seed,
                    name=zh,
                    name_en=en,
                    width_m=width,
                    height_m=height,
                    n_courtyards=n_yards,
                    origin=(lon0 + col * col_w / per_lon, lat0 - row * row_h / METRES_PER_DEGREE_LAT),
                )
                break
            except InvalidInputError:  # too many courtyards for that width: make it a little longer
                if width >= 20_000:
                    raise
                width = min(20_000.0, width * 1.2)
        out.append(write_district_folder(community, root / f"c{k:03d}"))
    return out


# --------------------------------------------------------------------- plan-all
def write_exports(doc: dict[str, Any], target: Path, *, streets: Sequence[Any] | None = None) -> None:
    """Write one community's exports into ``target``: ``patrolplan.export.write_all``, else ``plan.json``.

    ``streets`` (``District.street_lines()``) are drawn under the routes of the maps.
    """
    target.mkdir(parents=True, exist_ok=True)
    (target / "error.txt").unlink(missing_ok=True)
    try:
        export = importlib.import_module("patrolplan.export")
    except ModuleNotFoundError as exc:  # an installation without the exporters: plan.json only
        if exc.name != "patrolplan.export":
            raise
        (target / "plan.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        return
    export.write_all(doc, target, streets=streets)


SUMMARY_COLUMNS = (
    "community",
    "name",
    "name_en",
    "status",
    "coverage",
    "dropped_visits",
    "staff_days",
    "km",
    "routes",
    "desks",
    "desk_courtyards",
    "courtyards",
    "seconds",
    "error",
)
"""Columns of ``summary.csv`` / ``summary.xlsx``, one row per community."""


def summary_row(outcome: Outcome) -> dict[str, Any]:
    """One community's row of the plan-all summary (see :data:`SUMMARY_COLUMNS`)."""
    doc = outcome.doc or {}
    totals = doc.get("totals", {})
    desks = doc.get("desks", [])
    return {
        "community": outcome.name,
        "name": doc.get("community", outcome.community),
        "name_en": doc.get("community_en", ""),
        "status": "ok" if outcome.ok else "error",
        "coverage": totals.get("coverage") if doc else None,
        "dropped_visits": len(doc.get("dropped", [])) if doc else None,
        "staff_days": len({(e["date"], e["staff"]) for e in doc.get("roster", [])}) if doc else None,
        "km": round(totals.get("distance_m", 0) / 1000, 2) if doc else None,
        "routes": totals.get("routes") if doc else None,
        "desks": len(desks) if doc else None,
        "desk_courtyards": ";".join(f"{d['date']}:{d['courtyard']}" for d in desks),
        "courtyards": len(doc.get("courtyards", [])) if doc else None,
        "seconds": round(outcome.timings.get("total", 0.0), 2),
        "error": str(outcome.error) if outcome.error is not None else "",
    }


def _write_summary(rows: list[dict[str, Any]], out: Path) -> None:
    with (out / "summary.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(SUMMARY_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "summary"
    sheet.append(list(SUMMARY_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[k] for k in SUMMARY_COLUMNS])
    sheet.freeze_panes = "A2"
    for i, column in enumerate(SUMMARY_COLUMNS, start=1):
        width = max([len(column), *(len(str(r[column] or "")) for r in rows)])
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = min(60, width + 2)
    book.save(out / "summary.xlsx")


_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def overview_html(outcomes: Sequence[Outcome], *, title: str) -> str:
    """A self-contained HTML page with one SVG map of every community (no tiles, no scripts).

    Courtyards are drawn from each plan's ``plan.json`` (green when visited,
    red when something was dropped), with the patrol routes, the office and
    the community's name; communities without a plan are listed with their
    error.
    """
    docs = [(o, o.doc) for o in outcomes if o.doc is not None]
    pts = [(x, y) for _o, d in docs for yard in d.get("courtyards", []) for x, y in yard.get("polygon", [])]
    parts: list[str] = []
    width, height = 1200.0, 700.0
    if pts:
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        lat0 = (min(ys) + max(ys)) / 2
        kx = math.cos(math.radians(lat0))
        span_x = max(1e-9, (max(xs) - min(xs)) * kx)
        span_y = max(1e-9, max(ys) - min(ys))
        scale = min((width - 40) / span_x, (height - 40) / span_y)
        height = span_y * scale + 40

        def xy(lon: float, lat: float) -> str:
            return f"{20 + (lon - min(xs)) * kx * scale:.1f},{height - 20 - (lat - min(ys)) * scale:.1f}"

        for i, (o, d) in enumerate(docs):
            colour = _PALETTE[i % len(_PALETTE)]
            dropped = {x["courtyard"] for x in d.get("dropped", [])}
            parts.append(f'<g class="community"><title>{html.escape(_label(o, d))}</title>')
            for yard in d.get("courtyards", []):
                fill = "#f4a6a6" if yard["id"] in dropped else "#cde8c4"
                ring = " ".join(xy(x, y) for x, y in yard.get("polygon", []))
                parts.append(
                    f'<polygon points="{ring}" fill="{fill}" stroke="#777" stroke-width="0.5">'
                    f"<title>{html.escape(yard['id'])} {html.escape(yard.get('name', ''))}</title></polygon>"
                )
            for route in d.get("routes", []):
                line = " ".join(xy(x, y) for x, y in route.get("geometry", {}).get("coordinates", []))
                parts.append(
                    f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.2" opacity="0.7"/>'
                )
            office = d.get("office", {})
            if "lon" in office:
                cx, cy = xy(office["lon"], office["lat"]).split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3.5" fill="{colour}" stroke="#000"/>')
                parts.append(
                    f'<text x="{cx}" y="{float(cy) - 6:.1f}" font-size="11" text-anchor="middle">'
                    f"{html.escape(d.get('community', o.name))}</text>"
                )
            parts.append("</g>")
    rows = []
    for o in outcomes:
        r = summary_row(o)
        cov = "" if r["coverage"] is None else f"{r['coverage']:.0%}"
        km = "" if r["km"] is None else f"{r['km']:.1f}"
        n_dropped = "" if r["dropped_visits"] is None else str(r["dropped_visits"])
        rows.append(
            f'<tr class="{r["status"]}"><td>{html.escape(o.name)}</td><td>{html.escape(str(r["name"]))}</td>'
            f"<td>{html.escape(str(r['name_en']))}</td><td>{cov}</td><td>{n_dropped}</td>"
            f"<td>{km}</td><td>{html.escape(r['error'])}</td></tr>"
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" style="background:#fafafa;border:1px solid #ccc">{"".join(parts)}</svg>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-Hant"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px}tr.error td{background:#fdd}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{svg}"
        "<p>Courtyards 小區: green = visited 已巡, red = visit dropped 未巡; lines = patrol routes 巡邏路線; "
        "dot = community office 社區辦公室.</p>"
        "<table><tr><th>folder</th><th>社區</th><th>community</th><th>coverage</th><th>dropped</th>"
        f"<th>km</th><th>error</th></tr>{''.join(rows)}</table></body></html>\n"
    )


def _label(o: Outcome, d: dict[str, Any]) -> str:
    cov = d.get("totals", {}).get("coverage", 0.0)
    return f"{d.get('community', o.name)} {d.get('community_en', '')}: coverage {cov:.0%}"


def plan_all(
    districts_dir: str | os.PathLike[str],
    week: Week | str,
    *,
    scheduler: ClientLike = None,
    workers: int | None = None,
    out: str | os.PathLike[str] | None = None,
    history: History | str | os.PathLike[str] | None = None,
    params: SolveParams | None = None,
    progress: bool = True,
    exports_on: Literal["caller", "workers"] | None = None,
) -> Path:
    """Plan every district folder under a directory and write the sub-district's files.

    Writes, under ``out``:

    - ``<folder name>/``: each community's exports (``patrolplan.export``'s
      files, or at least ``plan.json``), or ``error.txt`` saying why it has
      no plan;
    - ``summary.csv`` and ``summary.xlsx``: one row per community
      (:data:`SUMMARY_COLUMNS`: coverage, dropped visits, staff-days, km,
      desks, errors);
    - ``overview.html``: one self-contained SVG map of all communities.

    Parameters
    ----------
    districts_dir
        A directory of district folders (see :func:`find_district_folders`).
    week
        The ISO week, e.g. ``"2026-W49"``.
    scheduler
        A scheduler address (``"tcp://host:8786"``) or a
        :class:`distributed.Client`; ``None`` for a local cluster.
    workers
        Local cluster size (default: one per core); ignored with a scheduler.
    out
        Output folder (default ``out/<week>/``, as ``patrolplan plan``).
    history
        Where to save the plans (the caller alone writes it).
    params
        Solver parameters.
    progress
        Show a progress bar.
    exports_on
        Who writes each community's exports: ``"workers"`` (in parallel; the
        output folder must be reachable by the workers at the same path) or
        ``"caller"`` (one after another as plans arrive, ~0.4 s each, see
        ``docs/benchmarks.md``). Default: the workers on a local cluster, the
        caller with a scheduler. The history, the summary and the map are
        always written by the caller.

    Returns
    -------
    Path
        The output folder.
    """
    wk = Week.parse(week)
    on_workers = (scheduler is None) if exports_on is None else exports_on == "workers"
    folders = find_district_folders(districts_dir)
    target = (Path(out) if out is not None else Path("out") / str(wk)).resolve()
    target.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, Outcome] = {}

    def slim(o: Outcome) -> Outcome:
        # keep only what the summary and the map need
        keep: dict[str, Any] | None = None
        if o.doc is not None:
            fields = ("community", "community_en", "courtyards", "office", "totals", "dropped", "desks", "roster")
            keep = {k: o.doc[k] for k in fields if k in o.doc}
            keep["routes"] = [{"geometry": r.get("geometry", {})} for r in o.doc.get("routes", [])]
        return Outcome(o.name, o.community, o.folder, None, keep, o.error, o.timings, o.worker)

    for outcome in iter_many(
        folders,
        params=params,
        client=scheduler,
        week=wk,
        history=history,
        want=("doc",) if on_workers else ("doc", "streets"),
        n_workers=workers,
        progress=progress,
        export_dir=target if on_workers else None,
    ):
        folder_out = target / outcome.name
        if outcome.doc is not None:
            if not on_workers:
                write_exports(outcome.doc, folder_out, streets=outcome.streets)
        else:
            folder_out.mkdir(parents=True, exist_ok=True)
            (folder_out / "error.txt").write_text(f"{outcome.error}\n", encoding="utf-8")
        outcomes[outcome.name] = slim(outcome)
    ordered = [outcomes[f.name] for f in folders if f.name in outcomes]
    _write_summary([summary_row(o) for o in ordered], target)
    title = f"{Path(districts_dir).resolve().name} {wk}: {len(ordered)} communities"
    (target / "overview.html").write_text(overview_html(ordered, title=title), encoding="utf-8")
    return target
