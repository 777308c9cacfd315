"""The ``patrolplan`` command run in a subprocess, the way a user runs it: output, files, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import patrolplan as pp

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
WEEK = "2026-W49"
COMMANDS = ("plan", "check", "history", "show", "done", "cancel", "replan", "summary")


@dataclass(frozen=True)
class Run:
    """A finished command: exit code and output."""

    code: int
    stdout: str
    stderr: str


def _env(history: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("COLUMNS", None)
    if history is not None:
        env["PATROLPLAN_HISTORY"] = str(history)
    return env


def run(args: Sequence[str], cwd: Path, *, history: Path | None = None) -> Run:
    """Run ``python -m patrolplan ARGS`` in ``cwd``."""
    done = subprocess.run(
        [sys.executable, "-m", "patrolplan", *args],
        cwd=cwd,
        env=_env(history),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def run_many(jobs: dict[str, Sequence[str]], cwd: Path, *, history: Path | None = None) -> dict[str, Run]:
    """Run several independent commands at once (each is a separate process)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(run, args, cwd, history=history) for key, args in jobs.items()}
        return {key: f.result() for key, f in futures.items()}


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder (``out/`` is written here) with its own history file."""
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="session")
def planned(workdir: Path) -> Run:
    """``patrolplan plan --week 2026-W49`` run once, with a short time limit."""
    return run(["plan", "--week", WEEK, "--time-limit", "3", "--history", "h.sqlite"], workdir)


@pytest.fixture(scope="session")
def helps(workdir: Path) -> dict[str, Run]:
    """``--help`` of the program and of every command."""
    jobs: dict[str, Sequence[str]] = {"": ["--help"]}
    jobs.update({c: [c, "--help"] for c in COMMANDS})
    return run_many(jobs, workdir)


@pytest.fixture(scope="session")
def bad(workdir: Path) -> dict[str, Run]:
    """Runs with bad input; each must fail with one line on stderr and exit code 2."""
    hist = ["--history", str(workdir / "bad.sqlite")]
    jobs: dict[str, Sequence[str]] = {
        "missing_district": ["plan", "--district", str(workdir / "nowhere.osm"), *hist],
        "missing_staff": ["plan", "--staff", str(workdir / "nobody.csv"), *hist],
        "bad_week_number": ["plan", "--week", "2026-W99", *hist],
        "bad_week_text": ["plan", "--week", "next tuesday", *hist],
        "huge_seed": ["plan", "--seed", "5000000000", *hist],
        "malformed_osm": ["plan", "--district", str(DATA / "malformed.osm"), *hist],
        "not_osm": ["plan", "--district", str(DATA / "not_osm.osm"), *hist],
        "empty_osm": ["summary", "--district", str(DATA / "empty.osm")],
        "empty_history": ["show", "--week", "2030-W01", *hist],
        "debug": ["plan", "--week", "2026-W99", "--debug", *hist],
        "lang": ["plan", "--lang", "fr", *hist],
        "engine": ["plan", "--engine", "vroom", *hist],
        "check": ["check", "--week", "2026-W99", "--district", str(DATA / "malformed.osm"), "--staff", "nobody.csv"],
    }
    return run_many(jobs, workdir)


# ---------------------------------------------------------------------- plan
def test_plan_prints_the_roster_coverage_and_left_out(planned: Run, workdir: Path) -> None:
    """plan exits 0 and prints each duty day, desk, officers, coverage and what was left out."""
    assert planned.code == 0, planned.stderr
    doc = json.loads((workdir / "out" / WEEK / "plan.json").read_text("utf-8"))
    for date in doc["duty_days"]:
        assert date in planned.stdout
    for entry in doc["roster"]:
        assert entry["name"] in planned.stdout
    assert "服務台" in planned.stdout
    assert "覆蓋率 Coverage: 100%" in planned.stdout
    assert "未安排 Left out" in planned.stdout
    assert "Traceback" not in planned.stderr


def test_plan_writes_every_export_to_out_week(planned: Run, workdir: Path) -> None:
    """The exports land in out/<week>/ by default, one GPX per rider per day in out/<week>/gpx/."""
    assert planned.code == 0, planned.stderr
    out = workdir / "out" / WEEK
    for name in ("plan.json", "roster.xlsx", "roster.csv", "week.ics", "routes.geojson", "map.html", "summary.md"):
        assert (out / name).stat().st_size > 0
    doc = json.loads((out / "plan.json").read_text("utf-8"))
    assert len(list((out / "gpx").glob("*.gpx"))) == len({(r["date"], r["rider"]) for r in doc["routes"]})


def test_plan_by_the_clock_with_an_engine_says_so_in_plan_json(tmp_path: Path) -> None:
    """--by-the-clock and --engine reach the solver and are recorded; the plan read back passes the checker.

    The default plan.json says repeatable; a replan keeps what the week was planned with.
    """
    args = ["plan", "--week", WEEK, "--time-limit", "2", "--history", "h.sqlite", "--out", "o"]
    done = run([*args, "--engine", "pyvrp", "--by-the-clock"], tmp_path)
    assert done.code == 0, done.stderr
    doc = json.loads((tmp_path / "o" / "plan.json").read_text("utf-8"))
    assert doc["solve"]["repeatable"] is False
    assert doc["solve"]["engine"] == "pyvrp"
    assert doc["solve"]["engine_used"] == "pyvrp"
    problem = pp.WeekProblem(pp.load_district(), pp.load_staff(), WEEK)
    again = pp.Plan.from_json(doc, problem)
    assert again.params.repeatable is False
    assert again.check() == []
    replanned = run(["replan", "--week", WEEK, "--from", doc["duty_days"][1], "--history", "h.sqlite"], tmp_path)
    assert replanned.code == 0, replanned.stderr
    saved = pp.History(tmp_path / "h.sqlite").load(pp.Week.parse(WEEK))
    assert saved["solve"]["repeatable"] is False
    assert saved["solve"]["engine"] == "pyvrp"


def test_history_show_done_and_cancel_use_the_saved_week(planned: Run, workdir: Path) -> None:
    """The planned week is in the history; show prints it again; done and cancel mark it."""
    assert planned.code == 0, planned.stderr
    doc = json.loads((workdir / "out" / WEEK / "plan.json").read_text("utf-8"))
    hist = ["--history", "h.sqlite"]
    runs = run_many(
        {
            "history": ["history", *hist],
            "show": ["show", "--week", WEEK, "--lang", "en", *hist],
            "done": ["done", "--week", WEEK, "--day", "Tue", *hist],
            "cancel": ["cancel", "--week", WEEK, "--courtyard", doc["desks"][-1]["courtyard"], *hist],
            "unsaved": ["show", "--week", "2030-W01", *hist],
        },
        workdir,
    )
    assert runs["history"].code == 0
    assert WEEK in runs["history"].stdout
    assert runs["show"].code == 0
    assert "Coverage 覆蓋率: 100%" in runs["show"].stdout
    assert doc["roster"][0]["name"] in runs["show"].stdout
    assert runs["done"].code == 0, runs["done"].stderr
    assert f"{WEEK} {doc['duty_days'][0]}: done" in runs["done"].stdout
    assert runs["cancel"].code == 0, runs["cancel"].stderr
    assert "cancelled (1 rows)" in runs["cancel"].stdout
    assert runs["unsaved"].code == 2
    assert "2030-W01" in runs["unsaved"].stderr
    assert WEEK in runs["unsaved"].stderr  # names the weeks that are saved


def test_show_out_draws_the_saved_week_over_its_districts_streets(planned: Run, workdir: Path) -> None:
    """show --out writes maps with the streets (plan.json has none); another community's district is an error."""
    assert planned.code == 0, planned.stderr
    hist = ["--history", "h.sqlite"]
    haidian = str(DATA / "beijing_haidian_cau.osm")
    runs = run_many(
        {
            "shown": ["show", "--week", WEEK, "--out", "shown", *hist],
            "named": ["show", "--week", WEEK, "--out", "shown_named", "--district", "default", *hist],
            "other": ["show", "--week", WEEK, "--out", "shown_other", "--district", haidian, *hist],
        },
        workdir,
    )
    assert runs["shown"].code == 0, runs["shown"].stderr
    shown = (workdir / "shown" / "map.html").read_bytes()
    assert b'class="streets"' in shown
    assert (workdir / "shown_named" / "map.html").read_bytes() == shown
    assert runs["other"].code == 2
    lines = runs["other"].stderr.strip().splitlines()
    assert len(lines) == 1, runs["other"].stderr
    assert "--district" in lines[0]
    assert haidian in lines[0]
    assert not (workdir / "shown_other").exists()


def test_replan_moves_an_absent_officer_off_the_rest_of_the_week(planned: Run, workdir: Path) -> None:
    """replan --from the second duty day --absent an officer keeps day one and drops them afterwards."""
    assert planned.code == 0, planned.stderr
    before = json.loads((workdir / "out" / WEEK / "plan.json").read_text("utf-8"))
    second = before["duty_days"][1]
    officer = next(e for e in before["roster"] if e["date"] == second and e["role"] == "patrol")
    out = workdir / "replanned"
    done = run(
        [
            "replan",
            "--week",
            WEEK,
            "--from",
            second,
            "--absent",
            officer["staff"],
            "--history",
            "h.sqlite",
            "-o",
            str(out),
        ],
        workdir,
    )
    assert done.code == 0, done.stderr
    assert "people moved" in done.stdout
    after = json.loads((out / "plan.json").read_text("utf-8"))
    assert not [e for e in after["roster"] if e["staff"] == officer["staff"] and e["date"] >= second]
    first = before["duty_days"][0]
    assert [r for r in after["routes"] if r["date"] == first] == [r for r in before["routes"] if r["date"] == first]


def test_summary_and_check_succeed_on_the_default_district(workdir: Path) -> None:
    """summary prints the district; check finds nothing wrong and exits 0."""
    runs = run_many({"summary": ["summary"], "check": ["check", "--week", WEEK]}, workdir)
    assert runs["summary"].code == 0
    assert "Tiexi Village" in runs["summary"].stdout
    assert runs["check"].code == 0, runs["check"].stdout
    assert "all is well" in runs["check"].stdout


def test_check_prints_every_problem_and_exits_1(bad: dict[str, Run]) -> None:
    """check reports a bad week, a malformed street file and a missing staff file together."""
    done = bad["check"]
    assert done.code == 1
    assert "3 problem(s)" in done.stdout
    assert "2026-W99 does not exist" in done.stdout
    assert "malformed.osm" in done.stdout
    assert "staff file not found" in done.stdout


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing_district", "district file or folder not found"),  # a path that does not exist
        ("missing_staff", "staff file not found"),  # --staff to nowhere
        ("bad_week_number", "week 2026-W99 does not exist"),  # no week 99
        ("bad_week_text", "bad week 'next tuesday'"),  # not an ISO week
        ("huge_seed", "seed must be between 0 and 2147483647"),  # the solvers take 32-bit seeds
        ("malformed_osm", "cannot read street file"),  # truncated XML
        ("not_osm", "is not OpenStreetMap XML"),  # an HTML page saved as .osm
        ("empty_osm", "empty.osm"),  # no streets at all
        ("empty_history", "has no saved plans yet"),  # show with an empty history
    ],
)
def test_bad_input_gives_one_error_line_and_exit_code_2(bad: dict[str, Run], case: str, expected: str) -> None:
    """Every PatrolplanError is one line on stderr, ``error: ...``, exit code 2, no traceback."""
    result = bad[case]
    assert result.code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(bad: dict[str, Run]) -> None:
    """With --debug the error propagates with its traceback."""
    done = bad["debug"]
    assert done.code != 0
    assert "Traceback" in done.stderr
    assert "InvalidWeekError" in done.stderr


def test_no_command_runs_plan_on_the_default_district(workdir: Path, tmp_path: Path) -> None:
    """``patrolplan`` alone plans next week: here it gets as far as opening the history (a folder) and stops."""
    history = tmp_path / "a-folder"
    history.mkdir()
    done = run([], workdir, history=history)
    assert done.code == 2
    assert done.stderr.startswith("error: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert str(history) in done.stderr


@pytest.mark.parametrize("case", ["lang", "engine"])
def test_unknown_option_value_is_a_usage_error(bad: dict[str, Run], case: str) -> None:
    """A --lang other than zh/en, or an --engine other than auto/pyvrp/ortools, is rejected by the parser (exit 2)."""
    done = bad[case]
    assert done.code == 2
    assert f"--{case}" in done.stderr


# ---------------------------------------------------------------------- help
@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_of_every_command_has_usage_and_examples(helps: dict[str, Run], command: str) -> None:
    """``--help`` exits 0, shows the usage and at least one example command line."""
    result = helps[command]
    assert result.code == 0, result.stderr
    assert "Usage: patrolplan" in result.stdout
    assert "Examples:" in result.stdout
    assert f"patrolplan {command}".strip() in result.stdout.split("Examples:", 1)[1]


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    """``patrolplan serve --host 0.0.0.0`` with no token exits 2 with one line saying what to do."""
    env_token = os.environ.pop("PATROLPLAN_API_TOKEN", None)
    try:
        done = run(["serve", "--host", "0.0.0.0", "--port", "8999"], tmp_path)
    finally:
        if env_token is not None:
            os.environ["PATROLPLAN_API_TOKEN"] = env_token
    assert done.code == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: refusing to listen on 0.0.0.0 without a token")
    assert "Traceback" not in done.stderr


def test_plan_all_plans_every_folder_and_names_the_broken_one(tmp_path: Path) -> None:
    """``patrolplan plan-all`` plans each district folder, writes the summary, and names a broken community."""
    from patrolplan.many import generate_communities

    generate_communities(3, tmp_path / "districts", seed=3)
    (tmp_path / "districts" / "c001" / "streets.osm").write_text("<osm><way", encoding="utf-8")
    done = run(
        [
            "plan-all",
            "--districts",
            "districts",
            "--week",
            WEEK,
            "--workers",
            "2",
            "--out",
            "o",
            "--time-limit",
            "2",
            "--history",
            "h.sqlite",
        ],
        tmp_path,
    )
    assert done.code == 1
    assert "planned 2 of 3 communities" in done.stdout
    assert done.stderr.strip().startswith("error: c001:")
    assert {p.name for p in (tmp_path / "o").iterdir()} >= {
        "c000",
        "c002",
        "summary.csv",
        "summary.xlsx",
        "overview.html",
    }
    assert (tmp_path / "o" / "c000" / "plan.json").exists()
    saved = pp.History(tmp_path / "h.sqlite").weeks(None)
    assert len(saved) == 2


def test_plan_on_a_district_folder_uses_its_own_staff(tmp_path: Path) -> None:
    """``--district DIR`` reads the folder's streets, courtyards, district.toml and staff.csv."""
    from patrolplan.many import generate_communities

    (folder,) = generate_communities(1, tmp_path / "d", seed=5)
    done = run(
        ["plan", "--district", str(folder), "--week", WEEK, "--time-limit", "2", "--out", "o"],
        tmp_path,
        history=tmp_path / "h.sqlite",
    )
    assert done.code == 0, done.stderr
    doc = json.loads((tmp_path / "o" / "plan.json").read_text(encoding="utf-8"))
    own = {m.id for m in pp.load_staff(folder / "staff.csv")}
    assert {e["staff"] for e in doc["roster"]} <= own
    assert doc["community"] == pp.district_from_file(folder).name
