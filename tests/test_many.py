"""Many communities on Dask distributed: same plans as serial, faults survived, caller-only history."""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import patrolplan as pp
from patrolplan.export.html_map import svg_map_html
from patrolplan.many import (
    CommunityFailedError,
    Outcome,
    find_district_folders,
    generate_communities,
    iter_many,
    load_folder,
    plan_all,
    plan_many,
)

distributed = pytest.importorskip("distributed")

WEEK = "2026-W49"
# Plans are compared with serial runs, so every solver must end by a fixed amount of work,
# not by the clock: the default engines do (PyVRP stops by iterations and moves, OR-Tools' greedy
# descent by itself, CP-SAT by deterministic time), so a loaded machine gives the same plans.
PARAMS = pp.SolveParams(time_limit=2.0, seed=3)
N = 12

pytestmark = [pytest.mark.slow]


def _serial(folder: Path, week: str, past: pp.PastWeeks | None = None) -> dict[str, Any]:
    """The plan.json of a plain serial run, exactly as a coordinator would do it."""
    district = pp.district_from_file(folder)
    staff = pp.load_staff(folder / "staff.csv")
    problem = pp.WeekProblem(district, staff, week, past=past)
    return pp.plan_week(problem, params=PARAMS).to_json()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return generate_communities(N, tmp_path_factory.mktemp("subdistrict"), seed=2026, courtyards=(8, 12))


@pytest.fixture(scope="module")
def serial_docs(folders: list[Path]) -> dict[str, dict[str, Any]]:
    return {f.name: _serial(f, WEEK) for f in folders}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    ) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as c:
        yield c


class RecordingHistory(pp.History):
    """A history that records which process saves each plan."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.savers: list[int] = []

    def save(self, doc: Any) -> None:
        self.savers.append(os.getpid())
        super().save(doc)


def test_generated_folders_are_district_folders(folders: list[Path]) -> None:
    assert [f.name for f in find_district_folders(folders[0].parent)] == [f"c{k:03d}" for k in range(N)]
    names = {pp.district_from_file(f).name for f in folders}
    assert len(names) == N  # distinct community names
    sizes = {len(pp.district_from_file(f)) for f in folders}
    assert len(sizes) > 1  # varied sizes
    assert all(8 <= s <= 12 for s in sizes)


def test_load_folder_is_cached_per_process_and_sees_edits(folders: list[Path], tmp_path: Path) -> None:
    folder = shutil.copytree(folders[0], tmp_path / "copy")
    first = load_folder(folder)
    assert load_folder(folder) is first
    toml = folder / "district.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('name = "', 'name = "新', 1), encoding="utf-8")
    os.utime(toml, ns=(time.time_ns(), time.time_ns() + 10**9))
    again = load_folder(folder)
    assert again is not first
    assert again[0].name.startswith("新")


def test_same_plans_as_serial_and_history_written_by_caller(
    client: Any, folders: list[Path], serial_docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    history = RecordingHistory(tmp_path / "history.sqlite")
    plans = plan_many(folders, params=PARAMS, client=client, week=WEEK, history=history, progress=False)
    assert list(plans) == [f.name for f in folders]
    for name, plan in plans.items():
        assert isinstance(plan, pp.Plan), f"{name}: {plan}"
        assert plan.to_json() == serial_docs[name], f"{name}: plan differs from the serial run"
        assert plan.check() == []
    # the history holds all 12 weeks, saved by this process only
    assert history.savers == [os.getpid()] * N
    saved = pp.History(history.path).weeks()
    assert len(saved) == N
    assert {w for _c, w, _s in saved} == {WEEK}
    assert {c for c, _w, _s in saved} == {doc["community"] for doc in serial_docs.values()}

    # next week reads the past from the history (in the caller) and still equals serial runs
    nxt = str(pp.Week.parse(WEEK).next())
    outcomes = list(
        iter_many(folders[:4], params=PARAMS, client=client, week=nxt, history=history, want=("doc",), progress=False)
    )
    assert len(pp.History(history.path).weeks()) == N + 4
    for o in outcomes:
        assert o.doc is not None
        assert o.plan is None
        folder = next(f for f in folders if f.name == o.name)
        past = history.past(nxt, community=o.community)
        assert past.routes, "the second week must see the first one's routes"
        assert o.doc == _serial(folder, nxt, past)


def test_a_killed_worker_costs_time_not_plans(
    client: Any, folders: list[Path], serial_docs: dict[str, dict[str, Any]]
) -> None:
    pids: dict[str, int] = client.run(os.getpid)
    assert len(pids) == 2
    killed: list[int] = []
    in_flight: list[int] = []

    def kill_one(outcome: Outcome) -> None:
        if killed:
            return
        busy = {addr: len(keys) for addr, keys in client.processing().items() if keys and addr in pids}
        victim = pids[next(iter(busy))] if busy else next(iter(pids.values()))
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
        in_flight.append(sum(busy.values()))

    outcomes = list(
        iter_many(folders, params=PARAMS, client=client, week=WEEK, want=("doc",), progress=False, on_outcome=kill_one)
    )
    assert killed, "no worker was killed"
    assert in_flight[0] > 0, "the killed worker had no task running"
    assert sorted(o.name for o in outcomes) == sorted(serial_docs)
    for o in outcomes:
        assert o.error is None, f"{o.name}: {o.error}"
        assert o.doc == serial_docs[o.name]
    # the nanny restarted the process: two workers again, one of them new
    client.wait_for_workers(2, timeout=60)
    after = set(client.run(os.getpid).values())
    assert killed[0] not in after
    assert len(after) == 2


def test_a_broken_community_is_named_and_the_others_finish(
    cluster: Any, folders: list[Path], serial_docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    copies = [Path(shutil.copytree(f, tmp_path / f.name)) for f in folders]
    broken = copies[5]
    (broken / "streets.osm").write_text('<osm version="0.6"><node id="1" lat="x"', encoding="utf-8")
    # a scheduler address works as well as a client
    plans = plan_many(copies, params=PARAMS, client=cluster.scheduler_address, week=WEEK, progress=False)
    assert set(plans) == set(serial_docs)
    error = plans[broken.name]
    assert isinstance(error, pp.MalformedOSMError)
    assert "streets.osm" in str(error)
    good = {k: v for k, v in plans.items() if k != broken.name}
    assert len(good) == N - 1
    for name, plan in good.items():
        assert isinstance(plan, pp.Plan)
        assert plan.to_json() == serial_docs[name]


def test_duplicate_names_are_refused(folders: list[Path]) -> None:
    with pytest.raises(pp.InvalidInputError, match="distinct names"):
        plan_many([folders[0], folders[0]], params=PARAMS, week=WEEK, progress=False)


def test_failure_after_retries_becomes_a_named_error(client: Any) -> None:
    fut = client.submit(_boom, pure=False)
    from patrolplan.many import _collect

    outcome = _collect(fut, "c999", "測試社區", "/nowhere")
    assert isinstance(outcome.error, CommunityFailedError)
    assert isinstance(outcome.error, pp.PatrolplanError)
    assert "c999" in str(outcome.error)
    assert "RuntimeError" in str(outcome.error)


def _boom() -> None:
    msg = "worker fault"
    raise RuntimeError(msg)


def test_plan_all_writes_exports_summary_and_overview(
    folders: list[Path], serial_docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    root = tmp_path / "districts"
    for f in folders[:5]:
        shutil.copytree(f, root / f.name)
    (root / folders[2].name / "streets.osm").write_text("<osm", encoding="utf-8")
    (root / "notes").mkdir()  # not a district folder: skipped
    out = plan_all(root, WEEK, workers=2, out=tmp_path / "out", params=PARAMS, progress=False)
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["community"] for r in rows] == [f.name for f in folders[:5]]
    bad = rows[2]
    assert bad["status"] == "error"
    assert bad["name"] == pp.district_from_file(folders[2]).name  # named from its district.toml
    assert "streets.osm" in bad["error"]
    assert (out / folders[2].name / "error.txt").is_file()
    for row in rows[:2] + rows[3:]:
        assert row["status"] == "ok"
        doc = serial_docs[row["community"]]
        assert float(row["coverage"]) == doc["totals"]["coverage"]
        assert int(row["dropped_visits"]) == len(doc["dropped"])
        assert float(row["km"]) == round(doc["totals"]["distance_m"] / 1000, 2)
        assert int(row["desks"]) == len(doc["desks"])
        assert int(row["staff_days"]) == len({(e["date"], e["staff"]) for e in doc["roster"]})
        assert (out / row["community"] / "plan.json").is_file()
        assert (out / row["community"] / "roster.xlsx").is_file()
        assert 'class="streets"' in (out / row["community"] / "map.html").read_text(encoding="utf-8")
    from openpyxl import load_workbook

    sheet = load_workbook(out / "summary.xlsx").active
    assert sheet.max_row == 6
    assert [c.value for c in sheet[1]][:4] == ["community", "name", "name_en", "status"]
    page = (out / "overview.html").read_text(encoding="utf-8")
    assert "<svg" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count("<polyline") >= 4
    for row in rows:
        assert row["name"] in page


def test_plan_all_on_a_scheduler_writes_exports_in_the_caller(
    client: Any, folders: list[Path], serial_docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    root = tmp_path / "districts"
    for f in folders[:3]:
        shutil.copytree(f, root / f.name)
    history = RecordingHistory(tmp_path / "h.sqlite")
    out = plan_all(root, WEEK, scheduler=client, out=tmp_path / "out", history=history, params=PARAMS, progress=False)
    assert history.savers == [os.getpid()] * 3
    for f in folders[:3]:
        doc = json.loads((out / f.name / "plan.json").read_text(encoding="utf-8"))
        assert doc == serial_docs[f.name]
        # the caller has only the doc: the workers sent the streets along, so the map is the one from the Plan
        streets = pp.district_from_file(f).street_lines()
        assert (out / f.name / "map.html").read_text(encoding="utf-8") == svg_map_html(doc, streets=streets)
