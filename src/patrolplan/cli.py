"""The ``patrolplan`` command: plan the week, print the roster, write the staff exports, keep the history.

A thin layer over the public API (``import patrolplan as pp``). Every
:class:`~patrolplan.PatrolplanError` (and a missing or unreadable file)
becomes one line on stderr, ``error: ...``, and exit code 2; ``--debug``
shows the traceback instead. ``patrolplan check`` exits 1 when it finds
problems.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import patrolplan as pp
from patrolplan.export import write_all
from patrolplan.export._common import (
    Lang,
    courtyard_label,
    day_label,
    desks_on,
    hhmm,
    hours,
    km,
    label,
    role_label,
    roster_on,
    routes_on,
    shift_label,
    stop_label,
    window_label,
)

__all__ = ["app", "main"]

logger = logging.getLogger("patrolplan")

_EXAMPLES_PLAN = """Examples:

\b
  patrolplan                       # next week, embedded Tiexi district
  patrolplan plan --week 2026-W49 --lang en --hot-spot Chunhui
  patrolplan plan --district my_district/ --staff staff.csv --out out/w49 --time-limit 30
"""

app = typer.Typer(
    name="patrolplan",
    help="Plan a community's bicycle patrol routes, rotating service desk and staff roster, week by week.\n\n"
    "With no command, plans next week for the embedded Tiexi Village district (same as `patrolplan plan`).",
    epilog=_EXAMPLES_PLAN,
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Language(StrEnum):
    """Which language comes first in labels."""

    zh = "zh"
    en = "en"


class _Status(StrEnum):
    done = "done"
    cancelled = "cancelled"


class Engine(StrEnum):
    """Which routing engine plans the routes (see ``SolveParams.engine``)."""

    auto = "auto"
    ortools = "ortools"
    pyvrp = "pyvrp"


# ---------------------------------------------------------------------- options
WeekOpt = Annotated[
    str | None, typer.Option("--week", "-w", metavar="WEEK", help="ISO week, e.g. 2026-W49 (default: next week).")
]
DistrictOpt = Annotated[
    str,
    typer.Option(
        "--district",
        "-d",
        metavar="default|PATH",
        help="'default' (embedded Tiexi), a street file (.osm/.osm.pbf/.graphml) or a folder.",
    ),
]
CourtyardsOpt = Annotated[
    Path | None, typer.Option("--courtyards", metavar="PATH", help="Courtyards GeoJSON for the district.")
]
StaffOpt = Annotated[
    Path | None, typer.Option("--staff", metavar="PATH", help="Staff pool (CSV, TOML or YAML); default: embedded.")
]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--history", metavar="PATH", help="History database (default: $PATROLPLAN_HISTORY, else the user data folder)."
    ),
]
CommunityOpt = Annotated[
    str | None,
    typer.Option("--community", metavar="NAME", help="Community name in the history (needed if it holds several)."),
]
LangOpt = Annotated[Language, typer.Option("--lang", help="Language shown first: zh or en.")]
HotSpotOpt = Annotated[
    list[str] | None,
    typer.Option("--hot-spot", metavar="COURTYARD", help="Courtyard (id or name) to visit every duty day; repeatable."),
]
EngineOpt = Annotated[
    Engine, typer.Option("--engine", help="Routing engine: auto (PyVRP from an OR-Tools start), pyvrp or ortools.")
]
ByTheClockOpt = Annotated[
    bool,
    typer.Option(
        "--by-the-clock",
        help="Search for the whole time limit instead of a fixed amount of work: often shorter routes on "
        "large weeks, but the same inputs and seed may give another plan.",
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]


# ---------------------------------------------------------------------- errors
def _one_line(message: str) -> str:
    """A possibly multi-line message as one line."""
    parts = [p.strip().removeprefix("- ").strip() for p in str(message).splitlines()]
    return " ".join(p for p in parts if p)


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {_one_line(message)}", err=True)
    raise typer.Exit(code)


def _os_message(exc: OSError) -> str:
    reason = exc.strerror or exc.__class__.__name__
    return f"{reason}: {exc.filename}" if exc.filename else f"{reason}: {exc}"


@contextlib.contextmanager
def _guard(ctx: typer.Context, debug: bool) -> Iterator[None]:
    """Turn expected errors into one line on stderr and exit code 2 (tracebacks with ``--debug``)."""
    debug = debug or bool((ctx.find_root().obj or {}).get("debug"))
    try:
        yield
    except pp.PatrolplanError as exc:
        if debug:
            raise
        _fail(exc.message)
    except OSError as exc:
        if debug:
            raise
        _fail(_os_message(exc))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None


# ---------------------------------------------------------------------- inputs
def _need_file(path: Path | None, what: str) -> None:
    if path is not None and not path.exists():
        msg = f"{what} not found: {path}"
        raise pp.NotFoundError(msg, items=[str(path)])


def _load_district(district: str, courtyards: Path | None) -> pp.District:
    """The embedded district (``default``) or one loaded from a file or folder."""
    _need_file(courtyards, "courtyards file")
    if district.strip().lower() == "default":
        if courtyards is None:
            return pp.load_district()
        from patrolplan.district import default_district_folder

        return pp.district_from_file(default_district_folder(), courtyards=courtyards)
    path = Path(district).expanduser()
    _need_file(path, "district file or folder")
    return pp.district_from_file(path, courtyards=courtyards)


def _load_staff(staff: Path | None, area: pp.District | None = None) -> pp.Staff:
    """``--staff``, else the district folder's own staff file, else the embedded pool."""
    _need_file(staff, "staff file")
    if staff is None and area is not None:
        staff = area.staff_path
    return pp.load_staff(staff)


def _week(week: str | None) -> pp.Week:
    return pp.Week.parse(week) if week else pp.Week.upcoming()


def _console() -> Console:
    """The output console: 120 columns when piped (unless ``COLUMNS`` says otherwise)."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console()
    return Console(width=120)


def _err_console() -> Console:
    return Console(stderr=True)


@contextlib.contextmanager
def _spinner(text: str) -> Iterator[None]:
    """A Rich spinner with elapsed time on stderr (silent when stderr is not a terminal)."""
    console = _err_console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        progress.add_task(text, total=None)
        yield


# ---------------------------------------------------------------------- printing
def _desk_text(doc: Mapping[str, Any], date: str, lang: Lang) -> tuple[str, str]:
    """(specialists, where) of the desk rows of one day."""
    people: list[str] = []
    where: list[str] = []
    for desk in desks_on(doc, date):
        names = [e["name"] for e in roster_on(doc, date, "specialist") if e["staff"] in desk["staff"]]
        windows = ", ".join(window_label(w, lang).split(" ")[0 if lang == "zh" else -1] for w in desk["windows"])
        people.extend(names)
        where.append(f"{courtyard_label(doc, desk['courtyard'], lang)}" + (f"\n{windows}" if windows else ""))
    return ", ".join(people), "\n".join(where)


def _short(key_label: str, lang: Lang) -> str:
    """The part of a bilingual label in ``lang`` (``"綜治員 Patrol officer"`` -> ``"綜治員"``)."""
    return key_label.split(" ", 1)[0] if lang == "zh" else key_label.rsplit(" ", 1)[-1]


def _day_table(doc: Mapping[str, Any], date: str, lang: Lang) -> Table:
    table = Table(title=day_label(date, lang), title_justify="left", show_lines=True)
    table.add_column(label("role", lang), no_wrap=True)
    table.add_column(label("name", lang), no_wrap=True)
    table.add_column(f"{label('desk_at', lang)} / {label('stops', lang)}", ratio=1, min_width=24, overflow="fold")
    table.add_column("km", justify="right", no_wrap=True)
    table.add_column("h", justify="right", no_wrap=True)
    people, where = _desk_text(doc, date, lang)
    if people or where:
        table.add_row(_short(label("desk", lang), lang), people or "-", where or "-", "", "")
    for entry in roster_on(doc, date, "patrol"):
        routes = [r for r in routes_on(doc, date) if r["rider"] == entry["staff"]]
        lines = [
            f"{_short(shift_label(str(r['shift']), lang), lang)} {hhmm(r['start'])}–{hhmm(r['end'])}: "
            + " → ".join(stop_label(doc, s, lang, short=True) for s in r["stops"])
            for r in routes
        ]
        table.add_row(
            _short(role_label("patrol", lang), lang),
            str(entry["name"]),
            "\n".join(lines) or "-",
            f"{km(sum(r['distance_m'] for r in routes)):.1f}",
            f"{hours(sum(r['duration_s'] for r in routes)):.1f}",
        )
    return table


def print_week(console: Console, doc: Mapping[str, Any], lang: Lang) -> None:
    """Print a week's roster tables, coverage, and what was left out and why."""
    community = str(doc.get("community", ""))
    console.print(f"[bold]{community} {doc.get('community_en', '')} · {label('roster', lang)} {doc['week']}[/bold]")
    for date in doc.get("duty_days", []):
        console.print(_day_table(doc, date, lang))
    totals = doc.get("totals", {})
    console.print(
        f"{label('coverage', lang)}: {float(totals.get('coverage', 0)):.0%} · "
        f"{label('fifteen', lang)}: {float(totals.get('fifteen_minute_share', 0)):.0%} · "
        f"{label('total_distance', lang)}: {km(totals.get('distance_m', 0)):.1f} · "
        f"{label('routes', lang)}: {totals.get('routes', 0)}"
    )
    dropped = doc.get("dropped", [])
    if not dropped:
        console.print(f"{label('dropped', lang)}: {label('nothing', lang)}")
    else:
        console.print(f"{label('dropped', lang)} ({len(dropped)}):")
        for item in dropped:
            when = f" {item['date']}" if item.get("date") else ""
            console.print(f"  - {courtyard_label(doc, item['courtyard'], lang)}{when}: {item['reason']}", markup=False)
    for rule in doc.get("broken_rules", []):
        console.print(f"{label('soft_rules', lang)}: {rule['rule']}: {rule['detail']}", markup=False)


def _print_files(console: Console, paths: Sequence[Path], out: Path) -> None:
    gpx = [p for p in paths if p.suffix == ".gpx"]
    main_files = [p.name for p in paths if p.suffix != ".gpx"]
    console.print(f"wrote {out}/: {', '.join(main_files)}" + (f", gpx/ ({len(gpx)} tracks)" if gpx else ""))


# ---------------------------------------------------------------------- planning
def _params(time_limit: float, seed: int, engine: str = "auto", by_the_clock: bool = False) -> pp.SolveParams:
    return pp.SolveParams(time_limit=time_limit, seed=seed, engine=engine, repeatable=not by_the_clock)


def _save_and_export(
    console: Console, plan: pp.Plan, history: pp.History, out: Path | None, lang: Lang
) -> tuple[dict[str, Any], list[Path], Path]:
    doc = plan.to_json()
    history.save(doc)
    folder = out if out is not None else Path("out") / str(plan.week)
    with _spinner("writing the exports"):
        paths = write_all(plan, folder, lang=lang)
    return doc, paths, folder


def run_plan(
    *,
    week: str | None = None,
    district: str = "default",
    courtyards: Path | None = None,
    staff: Path | None = None,
    history: Path | None = None,
    out: Path | None = None,
    lang: Lang = "zh",
    time_limit: float = 10.0,
    seed: int = 0,
    hot_spots: Sequence[str] = (),
    engine: str = "auto",
    by_the_clock: bool = False,
) -> int:
    """Plan a week, save it, write the exports and print the roster; returns the exit code."""
    console = _console()
    params = _params(time_limit, seed, engine, by_the_clock)
    wk = _week(week)
    with _spinner("loading the district"):
        area = _load_district(district, courtyards)
    pool = _load_staff(staff, area)
    store = pp.History(history)
    past = store.past(wk, community=area.name)
    problem = pp.WeekProblem(area, pool, wk, hot_spots=list(hot_spots), past=past)
    with _spinner(f"planning {wk} (up to {time_limit:g} s)"):
        plan = pp.plan_week(problem, params=params)
    doc, paths, folder = _save_and_export(console, plan, store, out, lang)
    print_week(console, doc, lang)
    _print_files(console, paths, folder)
    console.print(f"saved {doc['community']} {doc['week']} to {store.path}", markup=False)
    return 0


@app.callback()
def _root(
    ctx: typer.Context,
    debug: DebugOpt = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"debug": debug}
    if version:
        typer.echo(f"patrolplan {pp.__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        with _guard(ctx, debug):
            code = run_plan()
        raise typer.Exit(code)


@app.command(epilog=_EXAMPLES_PLAN)
def plan(
    ctx: typer.Context,
    week: WeekOpt = None,
    district: DistrictOpt = "default",
    courtyards: CourtyardsOpt = None,
    staff: StaffOpt = None,
    history: HistoryOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="DIR", help="Output folder (default: out/<week>/).")
    ] = None,
    lang: LangOpt = Language.zh,
    time_limit: Annotated[
        float, typer.Option("--time-limit", metavar="SECONDS", help="Solver seconds for the whole week.")
    ] = 10.0,
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="Random seed, 0 to 2147483647 (same inputs and seed, same plan).")
    ] = 0,
    hot_spot: HotSpotOpt = None,
    engine: EngineOpt = Engine.auto,
    by_the_clock: ByTheClockOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Plan a week, print the roster, save it to the history and write the exports.

    Prints, per duty day, the desk courtyard and its specialists and the patrol
    officers with their stops, km and hours; then the coverage and what was
    left out and why. Writes plan.json, roster.xlsx, roster.csv, week.ics,
    routes.geojson, map.html, map_leaflet.html, summary.md and gpx/<date>_<rider>.gpx.
    """
    with _guard(ctx, debug):
        code = run_plan(
            week=week,
            district=district,
            courtyards=courtyards,
            staff=staff,
            history=history,
            out=out,
            lang=lang.value,
            time_limit=time_limit,
            seed=seed,
            hot_spots=hot_spot or (),
            engine=engine.value,
            by_the_clock=by_the_clock,
        )
    raise typer.Exit(code)


# ---------------------------------------------------------------------- check
def _staffing_problems(problem: pp.WeekProblem) -> list[str]:
    """Duty days with fewer available people per role than the options require."""
    opts = problem.options
    out: list[str] = []
    for date in problem.duty_dates:
        for role, need in ((pp.Role.PATROL, opts.officers_per_day), (pp.Role.SPECIALIST, opts.specialists_per_day)):
            able = [m for m in problem.staff if m.can(role) and m.available(date)]
            if len(able) < need:
                out.append(f"{date:%a %Y-%m-%d}: needs {need} {role.value} staff, only {len(able)} available")
    return out


def _check_inputs(
    week: str | None, district: str, courtyards: Path | None, staff: Path | None, hot_spots: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(problems, notes) found in the inputs; each step runs even when an earlier one failed."""
    problems: list[str] = []
    notes: list[str] = []
    wk = area = pool = None
    try:
        wk = _week(week)
    except pp.PatrolplanError as exc:
        problems.append(exc.message)
    try:
        area = _load_district(district, courtyards)
        notes.append(area.summary())
    except pp.PatrolplanError as exc:
        problems.append(exc.message)
    try:
        pool = _load_staff(staff, area)
        notes.append(f"staff: {len(pool)} people")
    except pp.PatrolplanError as exc:
        problems.append(exc.message)
    if wk is not None and area is not None and pool is not None:
        try:
            problem = pp.WeekProblem(area, pool, wk, hot_spots=list(hot_spots))
            notes.append(f"week {wk}: duty days {', '.join(f'{d:%a %Y-%m-%d}' for d in problem.duty_dates)}")
            problems.extend(_staffing_problems(problem))
        except pp.PatrolplanError as exc:
            problems.append(exc.message)
    return problems, notes


@app.command()
def check(
    ctx: typer.Context,
    week: WeekOpt = None,
    district: DistrictOpt = "default",
    courtyards: CourtyardsOpt = None,
    staff: StaffOpt = None,
    hot_spot: HotSpotOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Validate the inputs of a week and print every problem found.

    Exits 0 when all is well, 1 when it found problems (each printed in full).

    Examples:

    \b
      patrolplan check
      patrolplan check --district my.osm --courtyards courtyards.geojson --staff staff.csv --week 2026-W49
    """
    console = _console()
    with _guard(ctx, debug):
        problems, notes = _check_inputs(week, district, courtyards, staff, hot_spot or ())
    for note in notes:
        console.print(note, markup=False)
    if not problems:
        console.print("all is well: the inputs can be planned")
        raise typer.Exit(0)
    console.print(f"{len(problems)} problem(s):")
    for item in problems:
        console.print(f"- {item}", markup=False)
    raise typer.Exit(1)


# ---------------------------------------------------------------------- history
@app.command("history")
def history_cmd(
    ctx: typer.Context,
    history: HistoryOpt = None,
    community: CommunityOpt = None,
    debug: DebugOpt = False,
) -> None:
    """List the saved weeks.

    Examples:

    \b
      patrolplan history
      patrolplan history --history plans.sqlite
    """
    console = _console()
    with _guard(ctx, debug):
        store = pp.History(history)
        rows = store.weeks(community)
    if not rows:
        console.print(f"no saved weeks in {store.path}", markup=False)
        raise typer.Exit(0)
    table = Table(title=str(store.path))
    for name in ("community", "week", "saved at"):
        table.add_column(name)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@app.command()
def show(
    ctx: typer.Context,
    week: Annotated[str, typer.Option("--week", "-w", metavar="WEEK", help="The saved ISO week, e.g. 2026-W49.")],
    history: HistoryOpt = None,
    community: CommunityOpt = None,
    lang: LangOpt = Language.zh,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="DIR", help="Also write the exports of the saved week here.")
    ] = None,
    district: Annotated[
        str | None,
        typer.Option(
            "--district",
            "-d",
            metavar="default|PATH",
            help="With --out: the saved week's district, whose streets the maps draw "
            "(default: the embedded Tiexi district, when the week is its).",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Print a saved week's roster again (and optionally re-write its exports).

    Examples:

    \b
      patrolplan show --week 2026-W49
      patrolplan show --week 2026-W49 --lang en --out out/2026-W49
      patrolplan show --week 2026-W49 --out out/2026-W49 --district districts/tiexi
    """
    console = _console()
    with _guard(ctx, debug):
        doc = pp.History(history).load(week, community=community)
        paths = [] if out is None else write_all(doc, out, lang=lang.value, streets=_saved_week_streets(doc, district))
    print_week(console, doc, lang.value)
    if out is not None:
        _print_files(console, paths, out)


def _saved_week_streets(doc: Mapping[str, Any], district: str | None) -> list[list[tuple[float, float]]]:
    """The streets under a saved week's maps: ``--district``'s, or the embedded district's when the week is its.

    ``plan.json`` holds the routes but not the street network, so a map
    written from the history needs the district again. A district of
    another community is an error (its streets would not lie under these
    routes); with no ``--district`` a week of another community gets maps
    of its routes alone.
    """
    community = doc.get("community")
    if district is None:
        area = pp.load_district()
        return area.street_lines() if area.name == community else []
    area = _load_district(district, None)
    if area.name != community:
        msg = (
            f"the saved week is for {community}, but --district {district} is {area.name}; "
            "pass that community's district, or leave --district out"
        )
        raise pp.InvalidInputError(msg, items=[district])
    return area.street_lines()


def _day_in_week(doc: Mapping[str, Any], day: str) -> dt.date:
    """An ISO date, or a weekday name (``Tue``, ``周二``) within the saved week."""
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(day)
    from patrolplan.week import parse_weekday

    return pp.Week.parse(str(doc["week"])).day(parse_weekday(day))


def _courtyard_id(doc: Mapping[str, Any], key: str) -> str:
    """A courtyard id from its id or name (Chinese or English; a unique part of a name will do)."""
    wanted = key.strip().casefold()
    yards = doc.get("courtyards", [])

    def names(yard: Mapping[str, Any]) -> list[str]:
        found = (str(yard["id"]), str(yard.get("name", "")), str(yard.get("name_en", "")))
        return [n.casefold() for n in found if n]

    exact = [str(y["id"]) for y in yards if wanted in names(y)]
    partial = [str(y["id"]) for y in yards if any(wanted in n for n in names(y))]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    what = f"several courtyards match {key!r} ({', '.join(found)})" if found else f"no courtyard {key!r}"
    msg = f"{what} in the saved plan of {doc.get('week')}; give its id"
    raise pp.NotFoundError(msg, items=[key, *found])


def _mark(
    ctx: typer.Context,
    status: _Status,
    week: str,
    day: str | None,
    courtyard: str | None,
    history: Path | None,
    community: str | None,
    debug: bool,
) -> None:
    with _guard(ctx, debug):
        store = pp.History(history)
        doc = store.load(week, community=community)
        date = _day_in_week(doc, day) if day else None
        yard = _courtyard_id(doc, courtyard) if courtyard else None
        changed = store.mark(week, status.value, community=community, day=date, courtyard=yard)
    what = " ".join(x for x in (str(date or ""), yard or "") if x) or "the whole week"
    typer.echo(f"{doc['week']} {what}: {status.value} ({changed} rows)")


DayOpt = Annotated[
    str | None, typer.Option("--day", metavar="DATE", help="Only this duty day: ISO date or weekday (Tue, 周二).")
]
YardOpt = Annotated[
    str | None, typer.Option("--courtyard", metavar="COURTYARD", help="Only the desk at this courtyard (id or name).")
]
MarkWeekOpt = Annotated[str, typer.Option("--week", "-w", metavar="WEEK", help="The saved ISO week, e.g. 2026-W49.")]


@app.command()
def done(
    ctx: typer.Context,
    week: MarkWeekOpt,
    day: DayOpt = None,
    courtyard: YardOpt = None,
    history: HistoryOpt = None,
    community: CommunityOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Record that a saved week (or one day, or one desk) was carried out.

    Examples:

    \b
      patrolplan done --week 2026-W49
      patrolplan done --week 2026-W49 --day Tue --courtyard C17
    """
    _mark(ctx, _Status.done, week, day, courtyard, history, community, debug)


@app.command()
def cancel(
    ctx: typer.Context,
    week: MarkWeekOpt,
    day: DayOpt = None,
    courtyard: YardOpt = None,
    history: HistoryOpt = None,
    community: CommunityOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Record that a saved week (or one day, or one desk) was cancelled; the rotation makes it up later.

    Examples:

    \b
      patrolplan cancel --week 2026-W49 --day 2026-12-02
      patrolplan cancel --week 2026-W49 --courtyard Chunhui
    """
    _mark(ctx, _Status.cancelled, week, day, courtyard, history, community, debug)


# ---------------------------------------------------------------------- replan
@app.command()
def replan(
    ctx: typer.Context,
    week: Annotated[
        str, typer.Option("--week", "-w", metavar="WEEK", help="The saved ISO week to re-plan, e.g. 2026-W49.")
    ],
    from_date: Annotated[
        str,
        typer.Option(
            "--from", metavar="DATE", help="First day to re-plan (ISO date or weekday); earlier days are kept."
        ),
    ],
    absent: Annotated[
        list[str] | None,
        typer.Option("--absent", metavar="NAME", help="Staff (id or name) absent from that day on; repeatable."),
    ] = None,
    district: DistrictOpt = "default",
    courtyards: CourtyardsOpt = None,
    staff: StaffOpt = None,
    history: HistoryOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="DIR", help="Output folder (default: out/<week>/).")
    ] = None,
    lang: LangOpt = Language.zh,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", metavar="SECONDS", help="Solver seconds (default: as saved).")
    ] = None,
    hot_spot: HotSpotOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Re-plan the rest of a saved week when someone is absent, changing as little as possible.

    Keeps the days before --from as they were; saves the new plan over the old
    one and writes the exports again.

    Examples:

    \b
      patrolplan replan --week 2026-W49 --from 2026-12-02 --absent "Wang Fang"
      patrolplan replan --week 2026-W49 --from Wed --absent P01 --absent S03
    """
    console = _console()
    with _guard(ctx, debug):
        store = pp.History(history)
        area = _load_district(district, courtyards)
        saved = store.load(week, community=area.name)
        wk = pp.Week.parse(week)
        hot = [str(y["id"]) for y in saved.get("courtyards", []) if y.get("hot_spot")]
        problem = pp.WeekProblem(
            area, _load_staff(staff, area), wk, hot_spots=hot, past=store.past(wk, community=area.name)
        )
        old = pp.Plan.from_json(saved, problem)
        params = old.params if time_limit is None else dataclasses.replace(old.params, time_limit=time_limit)
        with _spinner(f"re-planning {wk} from {from_date}"):
            new, changes = pp.replan(
                old,
                from_date=_day_in_week(saved, from_date),
                absent=absent or (),
                hot_spots=hot_spot or (),
                params=params,
            )
        doc, paths, folder = _save_and_export(console, new, store, out, lang.value)
    print_week(console, doc, lang.value)
    console.print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in changes.items()), markup=False)
    _print_files(console, paths, folder)


# ---------------------------------------------------------------------- summary
@app.command()
def summary(
    ctx: typer.Context,
    district: DistrictOpt = "default",
    courtyards: CourtyardsOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Print the district summary: courtyards, streets, network length, office, reachability.

    Examples:

    \b
      patrolplan summary
      patrolplan summary --district my_district/
    """
    with _guard(ctx, debug):
        text = _load_district(district, courtyards).summary()
    _console().print(text, markup=False, highlight=False)


# ---------------------------------------------------------------------- serve
@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; a non-loopback one needs a token or --insecure.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    history: HistoryOpt = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            metavar="PATH",
            help="File whose first line is the bearer token (default: $PATROLPLAN_API_TOKEN).",
        ),
    ] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow a non-loopback --host without a token.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Serve the planning HTTP API (FastAPI under uvicorn); see docs/api.md.

    Examples:

    \b
      patrolplan serve
      PATROLPLAN_API_TOKEN=... patrolplan serve --host 0.0.0.0 --port 8080 --history plans.sqlite
    """
    from patrolplan.serve import read_token
    from patrolplan.serve import serve as run_server

    with _guard(ctx, debug):
        run_server(host, port, history, read_token(token_file), insecure)


# ---------------------------------------------------------------------- plan-all
_EXAMPLES_PLAN_ALL = """Examples:

\b
  patrolplan plan-all --districts subdistrict/ --week 2026-W49
  patrolplan plan-all --districts subdistrict/ --week 2026-W49 --workers 2 --out out/w49
  patrolplan plan-all --districts /shared/city/ --week 2026-W49 --scheduler tcp://10.0.0.5:8786
"""


@app.command("plan-all", epilog=_EXAMPLES_PLAN_ALL)
def plan_all_command(
    ctx: typer.Context,
    districts: Annotated[
        Path, typer.Option("--districts", metavar="DIR", help="A directory of district folders (one per community).")
    ],
    week: WeekOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786 (default: a local cluster)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", metavar="N", min=1, help="Local cluster size (default: one per core)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="DIR", help="Output folder (default: out/<week>/).")
    ] = None,
    history: HistoryOpt = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", metavar="SECONDS", help="Solver seconds per community and week.")
    ] = 10.0,
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="Random seed, 0 to 2147483647 (same inputs, same plans).")
    ] = 0,
    engine: EngineOpt = Engine.auto,
    by_the_clock: ByTheClockOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Plan every community under DIR on Dask, and write a sub-district summary.

    Writes each community's exports into <out>/<folder>/ (or error.txt),
    summary.csv and summary.xlsx (one row per community: coverage, dropped
    visits, staff-days, km, desks, errors) and overview.html (one map of all
    communities), and saves every plan to the history. Exits 1 if some
    community could not be planned (the others are still planned).
    """
    import csv

    from patrolplan.many import plan_all

    with _guard(ctx, debug):
        wk = _week(week)
        target = plan_all(
            districts,
            wk,
            scheduler=scheduler,
            workers=workers,
            out=out,
            history=pp.History(history),
            params=_params(time_limit, seed, engine.value, by_the_clock),
            progress=sys.stderr.isatty(),
        )
        with (target / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    failed = [r for r in rows if r["status"] != "ok"]
    typer.echo(f"{wk}: planned {len(rows) - len(failed)} of {len(rows)} communities; wrote {target}")
    for r in failed:
        typer.echo(f"error: {r['community']}: {_one_line(r['error'])}", err=True)
    raise typer.Exit(1 if failed else 0)


def main() -> None:
    """Entry point of the ``patrolplan`` command."""
    app(prog_name="patrolplan")


if __name__ == "__main__":  # pragma: no cover
    main()
