"""The HTTP API, against a real uvicorn server on 127.0.0.1 started by a session fixture.

The server runs ``python -m patrolplan.serve`` in a subprocess with a temporary
history, a token and small limits (1 s solves, at most 2 s; 4 MB bodies; 16 MB
decompressed street data), so the whole file runs in well under three minutes.
"""

from __future__ import annotations

import bz2
import concurrent.futures
import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

import patrolplan as pp  # noqa: E402
from patrolplan.serve import is_loopback, read_token  # noqa: E402

DATA = Path(__file__).parent / "data"
API_DATA = DATA / "api"
TAIPEI = DATA / "taipei_xinyi.osm"
TAIPEI_YARDS = API_DATA / "taipei_courtyards.geojson"
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 4_000_000
MAX_OSM = 16_000_000

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<osm version="0.6"><node id="1" lat="0" lon="0" version="1"><tag k="name" v="&lol9;"/></node></osm>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE osm [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<osm version="0.6"><node id="1" lat="0" lon="0" version="1"><tag k="name" v="&xxe;"/></node></osm>
"""


# ---------------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A running ``python -m patrolplan.serve`` subprocess."""

    def __init__(
        self,
        root: Path,
        *extra: str,
        token: str | None = TOKEN,
        history: Path | None = None,
        uploads: Path | None = None,
    ) -> None:
        self.root = root
        self.history = history or root / "history.sqlite"
        self.uploads = uploads or root / "uploads"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("PATROLPLAN_API_TOKEN", "PATROLPLAN_HISTORY")}
        src = str(Path(__file__).resolve().parents[1] / "src")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
        args = [
            sys.executable,
            "-m",
            "patrolplan.serve",
            "--port",
            str(self.port),
            "--history",
            str(self.history),
            "--upload-dir",
            str(self.uploads),
            "--log-level",
            "warning",
            *extra,
        ]
        if token is not None:
            token_file = root / "token"
            token_file.write_text(token + "\n", encoding="utf-8")
            args += ["--token-file", str(token_file)]
        self.log = (root / "server.log").open("wb")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = f"server exited with {self.proc.returncode}: {self.log_text()}"
                raise RuntimeError(msg)
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        msg = f"server did not answer /healthz within 60 s: {self.log_text()}"
        raise RuntimeError(msg)

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.root / "server.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The API server under test: token, temporary history, 1 s solves (at most 2 s), 4 MB bodies, one solve slot."""
    srv = Server(
        tmp_path_factory.mktemp("api"),
        "--time-limit",
        "1",
        "--max-time-limit",
        "2",
        "--max-body-bytes",
        str(MAX_BODY),
        "--max-osm-bytes",
        str(MAX_OSM),
        # one solve at a time: the library's desk and roster CP-SAT get a 0.2 s wall-clock budget at these
        # short time limits, which two solves side by side on a loaded 2-core machine can starve (UNKNOWN)
        "--max-solves",
        "1",
        "--max-queued",
        "40",
    )
    yield srv
    srv.stop()
    log = srv.log_text()
    assert "Traceback" not in log, log


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    """An httpx client with the token, as another application would use."""
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as c:
        yield c


def _plan_body(week: str = "2026-W49", **extra: Any) -> dict[str, Any]:
    return {"week": week, "time_limit": 1, "seed": 0, **extra}


def _same_plan(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a[k] == b[k] for k in ("routes", "roster", "desks", "dropped"))


# ------------------------------------------------------------------ schemathesis
OPERATIONS = [
    ("GET", "/healthz"),
    ("POST", "/v1/plans"),
    ("GET", "/v1/plans/{week}"),
    ("GET", "/v1/plans/{week}/routes.geojson"),
    ("GET", "/v1/plans/{week}/roster.xlsx"),
    ("GET", "/v1/plans/{week}/week.ics"),
    ("GET", "/v1/plans/{week}/gpx/{rider}/{date}"),
    ("POST", "/v1/plans/{week}/done"),
    ("POST", "/v1/plans/{week}/cancel"),
    ("POST", "/v1/plans/{week}/replan"),
    ("POST", "/v1/districts"),
    ("GET", "/v1/districts/{district_id}"),
]


@pytest.fixture(scope="session")
def api_schema(server: Server) -> Any:
    """The live server's OpenAPI schema, as schemathesis reads it."""
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_openapi_fuzz_has_no_server_errors(api_schema: Any, method: str, path: str) -> None:
    """Generated requests (20 per operation) never get a 5xx, and every answer matches the documented schema.

    ``positive_data_acceptance`` is left out: the schema cannot say which weeks
    exist, which staff CSV is complete or which courtyards a district has, so
    schema-valid requests may rightly get a 422 from the library.
    """
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=AUTH, timeout=60, excluded_checks=[schemathesis.checks.positive_data_acceptance])

    run()


def test_openapi_lists_the_issue_endpoints(client: httpx.Client) -> None:
    """The schema documents exactly the endpoints of the issue, plus /healthz."""
    paths = client.get("/openapi.json").json()["paths"]
    assert sorted(paths) == [
        "/healthz",
        "/v1/districts",
        "/v1/districts/{district_id}",
        "/v1/plans",
        "/v1/plans/{week}",
        "/v1/plans/{week}/cancel",
        "/v1/plans/{week}/done",
        "/v1/plans/{week}/gpx/{rider}/{date}",
        "/v1/plans/{week}/replan",
        "/v1/plans/{week}/roster.xlsx",
        "/v1/plans/{week}/routes.geojson",
        "/v1/plans/{week}/week.ics",
    ]


# --------------------------------------------------------------------------- auth
@pytest.mark.parametrize(
    "headers",
    [
        {},  # no token
        {"Authorization": "Bearer wrong-token-0123456789"},  # wrong token
        {"Authorization": f"Bearer {TOKEN}x"},  # token with an extra character
        {"Authorization": f"Basic {TOKEN}"},  # right secret, wrong scheme
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/plans/2026-W49"),  # read
        ("POST", "/v1/plans"),  # solve
        ("POST", "/v1/districts"),  # upload
        ("GET", "/v1/districts/default"),  # district
    ],
)
def test_missing_or_wrong_token_is_401(server: Server, headers: dict[str, str], method: str, path: str) -> None:
    """Every /v1 endpoint refuses a request without the right bearer token, before reading its body."""
    r = httpx.request(method, f"{server.url}{path}", headers=headers, json=_plan_body(), timeout=10)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == "unauthorized"


def test_healthz_needs_no_token(server: Server) -> None:
    """Load balancers probe /healthz without a token."""
    r = httpx.get(f"{server.url}/healthz", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": pp.__version__}


# -------------------------------------------------------------------------- plans
def test_plan_returns_plan_json_with_geojson_routes(client: httpx.Client) -> None:
    """POST /v1/plans answers plan.json; each route carries a GeoJSON LineString."""
    r = client.post("/v1/plans", json=_plan_body("2026-W45"))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["schema"] == "patrolplan/plan@1"
    assert doc["week"] == "2026-W45"
    assert r.headers["location"] == "/v1/plans/2026-W45"
    assert doc["routes"]
    for route in doc["routes"]:
        assert route["geometry"]["type"] == "LineString"
        assert len(route["geometry"]["coordinates"]) == len(route["path"])


def test_plan_by_the_clock_is_recorded_and_valid(client: httpx.Client) -> None:
    """``repeatable: false`` searches by the clock; plan.json says so, and the plan passes the checker."""
    r = client.post("/v1/plans", json=_plan_body("2026-W41", engine="pyvrp", repeatable=False, save=False))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["solve"]["repeatable"] is False
    assert doc["solve"]["engine_used"] == "pyvrp"
    problem = pp.WeekProblem(pp.load_district(), pp.load_staff(), "2026-W41")
    assert pp.Plan.from_json(doc, problem).check() == []
    again = client.post("/v1/plans", json=_plan_body("2026-W41", save=False)).json()
    assert again["solve"]["repeatable"] is True


def test_twenty_concurrent_plans_all_succeed_and_agree(client: httpx.Client) -> None:
    """20 plan requests at once all succeed (queued behind the solve limit) and identical inputs agree."""
    body = _plan_body("2026-W50", time_limit=0.5)

    def post(_: int) -> httpx.Response:
        return client.post("/v1/plans", json=body)

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(post, range(20)))
    assert [r.status_code for r in answers] == [200] * 20, [r.text for r in answers if r.status_code != 200]
    docs = [r.json() for r in answers]
    assert all(_same_plan(docs[0], d) for d in docs[1:])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"week": "2026-W99"}, "2026-W99"),  # a week that does not exist
        ({"week": "2026-W49", "time_limit": 60}, "time_limit"),  # above the server's cap
        ({"week": "2026-W49", "time_limit": 0}, "time_limit"),  # not positive
        ({"week": "2026-W49", "options": {"duty_days": [9]}}, "9"),  # a bad weekday
        ({"week": "2026-W49", "options": {"nonsense": 1}}, "nonsense"),  # an unknown option
        ({"week": "2026-W49", "staff": "id,name\nP01,Liu"}, "roles"),  # staff CSV without roles
        ({"week": "2026-W49", "hot_spots": ["Nowhere Yard"]}, "Nowhere Yard"),  # an unknown courtyard
        ({"week": "2026-W49", "bogus": True}, "bogus"),  # an unknown field
    ],
)
def test_bad_plan_input_is_422_naming_the_item(client: httpx.Client, body: dict[str, Any], words: str) -> None:
    """Bad input gets 422 with the library's message naming the offending item (never 500)."""
    r = client.post("/v1/plans", json=body)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"] + " ".join(r.json()["items"])


def test_plan_with_staff_records(client: httpx.Client) -> None:
    """Staff can be sent as records; the roster uses only them."""
    staff = [
        {"id": "A1", "name": "An", "roles": ["patrol"]},
        {"id": "A2", "name": "Bo", "roles": ["patrol"]},
        {"id": "A3", "name": "Ci", "roles": ["specialist"], "skills": ["civil_affairs", "employment"]},
        {"id": "A4", "name": "Du", "roles": ["specialist"], "skills": ["medical_insurance"]},
    ]
    r = client.post("/v1/plans", json=_plan_body("2026-W40", staff=staff, save=False))
    assert r.status_code == 200, r.text
    assert {e["staff"] for e in r.json()["roster"]} <= {"A1", "A2", "A3", "A4"}
    assert "location" not in r.headers


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    """An unknown district id or unsaved week gets 404, never a path lookup of client text."""
    for path in ("/v1/districts/0123456789abcdef0123456789abcdef", "/v1/districts/..%2F..%2Fetc", "/v1/plans/2030-W01"):
        r = client.get(path)
        assert r.status_code == 404, (path, r.text)
    r = client.post("/v1/plans", json=_plan_body(district="0123456789abcdef0123456789abcdef"))
    assert r.status_code == 404
    assert "0123456789abcdef0123456789abcdef" in r.json()["detail"]


# ------------------------------------------------------------------------ history
def test_week_planned_through_api_shows_in_history(client: httpx.Client, server: Server) -> None:
    """A week planned through the API is in the history file the CLI reads."""
    r = client.post("/v1/plans", json=_plan_body("2026-W47"))
    assert r.status_code == 200
    weeks = pp.History(server.history).weeks()
    assert (r.json()["community"], "2026-W47") in [(c, w) for c, w, _ in weeks]


def test_week_saved_by_the_library_shows_through_api(client: httpx.Client, server: Server) -> None:
    """A plan saved into the history by the library (as the CLI does) is served by GET /v1/plans/{week}."""
    district = pp.load_district()
    problem = pp.WeekProblem(district, pp.load_staff(), "2026-W30")
    doc = pp.plan_week(problem, params=pp.SolveParams(time_limit=1, seed=3)).to_json()
    pp.History(server.history).save(doc)
    r = client.get("/v1/plans/2026-W30", params={"community": district.name})
    assert r.status_code == 200
    assert _same_plan(r.json(), doc)


def test_done_and_cancel_mark_the_history(client: httpx.Client, server: Server) -> None:
    """POST done/cancel mark the saved week in the history, as the CLI does."""
    doc = client.post("/v1/plans", json=_plan_body("2026-W36")).json()
    first = doc["duty_days"][0]
    r = client.post("/v1/plans/2026-W36/cancel", json={"community": doc["community"], "day": first})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["changed"] > 0
    r = client.post("/v1/plans/2026-W36/done", json={"community": doc["community"]})
    assert r.status_code == 200
    past = pp.History(server.history).past("2026-W37", community=doc["community"], weeks=1)
    assert {d.status for d in past.desks} == {"done"}
    r = client.post("/v1/plans/2026-W36/done", json={"community": doc["community"], "courtyard": "NOPE"})
    assert r.status_code == 404


def test_replan_keeps_done_days_and_counts_changes(client: httpx.Client, server: Server) -> None:
    """POST replan: an officer ill from Wednesday; Tuesday stays, the officer is gone after, changes are counted."""
    doc = client.post("/v1/plans", json=_plan_body("2026-W38")).json()
    tuesday, wednesday = doc["duty_days"][0], doc["duty_days"][1]
    ill = next(e["staff"] for e in doc["roster"] if e["date"] == wednesday and e["role"] == "patrol")
    r = client.post(
        "/v1/plans/2026-W38/replan",
        json={"from_date": wednesday, "absent": [ill], "time_limit": 1, "community": doc["community"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body["changes"]) == {"people_moved", "desks_moved", "stops_moved"}
    assert body["changes"]["people_moved"] >= 1
    new = body["plan"]
    assert [x for x in new["routes"] if x["date"] == tuesday] == [x for x in doc["routes"] if x["date"] == tuesday]
    assert ill not in {e["staff"] for e in new["roster"] if e["date"] >= wednesday}
    saved = pp.History(server.history).load("2026-W38", community=doc["community"])
    assert saved["roster"] == new["roster"]
    r = client.post("/v1/plans/2026-W38/replan", json={"from_date": wednesday, "absent": ["Nobody Here"]})
    assert r.status_code == 422


def test_replan_keeps_the_weeks_engine_and_search_by_the_clock(client: httpx.Client) -> None:
    """A week planned by the clock with PyVRP is re-planned the same way unless the request says otherwise."""
    doc = client.post("/v1/plans", json=_plan_body("2026-W37", engine="pyvrp", repeatable=False)).json()
    body = {"from_date": doc["duty_days"][1], "time_limit": 1, "community": doc["community"]}
    kept = client.post("/v1/plans/2026-W37/replan", json=body)
    assert kept.status_code == 200, kept.text
    assert kept.json()["plan"]["solve"]["repeatable"] is False
    assert kept.json()["plan"]["solve"]["engine"] == "pyvrp"
    asked = client.post("/v1/plans/2026-W37/replan", json=dict(body, repeatable=True))
    assert asked.status_code == 200, asked.text
    assert asked.json()["plan"]["solve"]["repeatable"] is True


# ------------------------------------------------------------------------ uploads
def _upload(client: httpx.Client, data: bytes, name: str = "upload.osm", **files: Any) -> httpx.Response:
    return client.post("/v1/districts", files={"osm": (name, data), **files})


def _assert_healthy(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        BILLION_LAUGHS,  # entity-expansion bomb
        EXTERNAL_ENTITY,  # external entity (XXE)
        bz2.compress(BILLION_LAUGHS),  # the bomb inside bz2
    ],
)
def test_xml_bombs_are_refused_quickly(client: httpx.Client, server: Server, payload: bytes) -> None:
    """XML with a DTD (entity bombs, external entities) is a 422 in well under 2 s; the server stays healthy."""
    started = time.perf_counter()
    r = _upload(client, payload)
    assert time.perf_counter() - started < 2
    assert r.status_code == 422
    assert "DTD" in r.json()["detail"]
    _assert_healthy(server)


def test_oversized_upload_is_413_quickly(client: httpx.Client, server: Server) -> None:
    """A body over the limit is refused with 413 before it is parsed; the server stays healthy."""
    started = time.perf_counter()
    r = _upload(client, b"<osm>" + b" " * (MAX_BODY + 1000) + b"</osm>")
    assert time.perf_counter() - started < 2
    assert r.status_code == 413
    assert str(MAX_BODY) in r.json()["detail"]
    _assert_healthy(server)


def test_streamed_oversized_body_is_413(server: Server) -> None:
    """A chunked body without Content-Length is counted as it arrives and refused past the limit."""

    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"x" * 200_000

    started = time.perf_counter()
    r = httpx.post(f"{server.url}/v1/plans", headers=AUTH, content=chunks(), timeout=10)
    assert time.perf_counter() - started < 2
    assert r.status_code == 413
    _assert_healthy(server)


def test_bz2_bomb_is_413(client: httpx.Client, server: Server) -> None:
    """A small .bz2 that inflates past the decompression cap is refused, not inflated to the end."""
    bomb = bz2.compress(b"<osm>" + b" " * (4 * MAX_OSM))
    assert len(bomb) < 10_000
    started = time.perf_counter()
    r = _upload(client, bomb, "tiny.osm.bz2")
    assert time.perf_counter() - started < 5
    assert r.status_code == 413
    assert "decompresses" in r.json()["detail"]
    _assert_healthy(server)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ((DATA / "malformed.osm").read_bytes(), "line 43"),  # truncated XML
        (b"<gpx></gpx>", "<gpx>"),  # XML but not OSM
        (b"PK\x03\x04 not a street file", "not an OSM file"),  # a zip, not OSM
        (b"", "not an OSM file"),  # empty
        (b"BZh91AY&SY garbage", "bz2"),  # broken bz2
        ((DATA / "aguascalientes.osm.pbf").read_bytes()[:5000], "truncated"),  # cut-off PBF
    ],
)
def test_malformed_upload_is_422_naming_the_problem(
    client: httpx.Client, server: Server, payload: bytes, words: str
) -> None:
    """A malformed street file gets a 422 whose message names the problem; nothing is stored."""
    before = sorted(server.uploads.glob("*")) if server.uploads.exists() else []
    r = _upload(client, payload)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]
    after = sorted(server.uploads.glob("*")) if server.uploads.exists() else []
    assert [p for p in after if p.name != "inline"] == [p for p in before if p.name != "inline"]


def test_pbf_upload_reaches_the_library(client: httpx.Client) -> None:
    """A real PBF passes the block walk; the library then says what is missing (courtyards)."""
    r = _upload(client, (DATA / "aguascalientes.osm.pbf").read_bytes(), "aguascalientes.osm.pbf")
    assert r.status_code == 422
    assert "no courtyards" in r.json()["detail"]
    assert "/" not in r.json()["detail"].split("courtyards")[0]  # no server path in the message


def test_client_file_name_never_becomes_a_path(client: httpx.Client, server: Server) -> None:
    """A hostile file name is only a label: the district is stored under a generated id."""
    r = client.post(
        "/v1/districts",
        files={
            "osm": ("../../../../tmp/evil.osm", (DATA / "oneway_bicycle.osm").read_bytes()),
        },
    )
    assert r.status_code == 201, r.text
    info = r.json()
    assert not Path("/tmp/evil.osm").exists()
    stored = sorted(p.name for p in (server.uploads / info["id"]).iterdir())
    assert stored == ["meta.json", "streets.osm"]
    assert "/" not in info["name"]


# ------------------------------------------------------------------- end to end
def test_upload_plan_export_done_flow(client: httpx.Client, server: Server) -> None:
    """Upload a real OSM file with courtyards, plan a week on it, fetch every export, mark it done."""
    r = client.post(
        "/v1/districts",
        files={
            "osm": ("taipei_xinyi.osm", TAIPEI.read_bytes(), "application/xml"),
            "courtyards": ("yards.geojson", TAIPEI_YARDS.read_bytes(), "application/geo+json"),
        },
        data={"name": "信義", "name_en": "Xinyi"},
    )
    assert r.status_code == 201, r.text
    info = r.json()
    assert r.headers["location"] == f"/v1/districts/{info['id']}"
    assert info["format"] == "osm-xml"
    yard_ids = {f["properties"]["id"] for f in info["courtyards"]["features"]} - {"office"}
    assert yard_ids == {f"T{i:02d}" for i in range(1, 7)}
    again = client.get(f"/v1/districts/{info['id']}")
    assert again.status_code == 200
    assert again.json()["courtyards"] == info["courtyards"]

    r = client.post("/v1/plans", json=_plan_body("2026-W49", district=info["id"], hot_spots=["T01"]))
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["community"] == "信義"
    assert {c["id"] for c in plan["courtyards"]} == yard_ids
    visited = {s["courtyard"] for route in plan["routes"] for s in route["stops"]}
    assert yard_ids <= visited | {d["courtyard"] for d in plan["dropped"]}

    week = {"community": "信義"}
    saved = client.get("/v1/plans/2026-W49", params=week)
    assert saved.status_code == 200
    assert _same_plan(saved.json(), plan)

    geo = client.get("/v1/plans/2026-W49/routes.geojson", params=week)
    assert geo.status_code == 200
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert geo.json()["type"] == "FeatureCollection"

    xlsx = client.get("/v1/plans/2026-W49/roster.xlsx", params={**week, "lang": "en"})
    assert xlsx.status_code == 200
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(xlsx.content)).namelist()

    ics = client.get("/v1/plans/2026-W49/week.ics", params=week)
    assert ics.status_code == 200
    assert ics.text.startswith("BEGIN:VCALENDAR")
    assert ics.text.count("BEGIN:VEVENT") == len(plan["roster"])

    route = plan["routes"][0]
    gpx = client.get(f"/v1/plans/2026-W49/gpx/{route['rider']}/{route['date']}", params=week)
    assert gpx.status_code == 200
    assert gpx.headers["content-type"].startswith("application/gpx+xml")
    assert "<trkpt" in gpx.text
    missing = client.get(f"/v1/plans/2026-W49/gpx/NOBODY/{route['date']}", params=week)
    assert missing.status_code == 404
    assert route["rider"] in missing.json()["detail"]

    done = client.post("/v1/plans/2026-W49/done", json=week)
    assert done.status_code == 200
    assert done.json() == {"week": "2026-W49", "community": "信義", "status": "done", "changed": done.json()["changed"]}
    past = pp.History(server.history).past("2026-W50", community="信義", weeks=1)
    assert past.desks
    assert {d.status for d in past.desks} == {"done"}


def test_inline_courtyards_replace_the_uploaded_ones(client: httpx.Client) -> None:
    """A plan request may carry courtyards GeoJSON for an uploaded street file."""
    r = client.post("/v1/districts", files={"osm": ("taipei.osm", TAIPEI.read_bytes())}, data={"name": "Taipei"})
    # the Taipei extract has no landuse=residential areas: without courtyards it cannot be a district
    assert r.status_code == 422
    assert "no courtyards" in r.json()["detail"]
    r = client.post(
        "/v1/districts",
        files={"osm": ("t.osm", TAIPEI.read_bytes()), "courtyards": ("y.geojson", TAIPEI_YARDS.read_bytes())},
        data={"name": "Taipei inline"},
    )
    assert r.status_code == 201
    yards = json.loads(TAIPEI_YARDS.read_text(encoding="utf-8"))
    yards["features"] = yards["features"][:3]
    body = _plan_body("2026-W41", district=r.json()["id"], courtyards=yards, save=False)
    plan = client.post("/v1/plans", json=body)
    assert plan.status_code == 200, plan.text
    assert {c["id"] for c in plan.json()["courtyards"]} == {"T01", "T02", "T03"}


# ------------------------------------------------------------------ solve limits
@pytest.fixture(scope="module")
def busy_server(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second server process on the same history and uploads: one solve slot, no queue."""
    root = tmp_path_factory.mktemp("api-busy")
    srv = Server(
        root,
        "--time-limit",
        "1",
        "--max-solves",
        "1",
        "--max-queued",
        "0",
        history=server.history,
        uploads=server.uploads,
    )
    yield srv
    srv.stop()


def test_solves_past_the_queue_get_429(busy_server: Server) -> None:
    """With one solve slot and no queue, simultaneous plan requests beyond the first get 429 + Retry-After."""
    with httpx.Client(base_url=busy_server.url, headers=AUTH, timeout=60) as c:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            body = _plan_body("2026-W10", save=False)
            answers = list(pool.map(lambda _: c.post("/v1/plans", json=body), range(4)))
        codes = sorted(r.status_code for r in answers)
        assert 200 in codes
        assert 429 in codes
        assert set(codes) <= {200, 429}
        busy = next(r for r in answers if r.status_code == 429)
        assert int(busy.headers["retry-after"]) > 0
        assert busy.json()["error"] == "too_many_solves"
        assert c.get("/healthz").status_code == 200


def test_uploads_and_history_are_shared_between_processes(client: httpx.Client, busy_server: Server) -> None:
    """An upload stored by one server process is planned on by another (stored on disk under its id)."""
    files = {"osm": ("t.osm", TAIPEI.read_bytes()), "courtyards": ("y.geojson", TAIPEI_YARDS.read_bytes())}
    r = client.post("/v1/districts", files=files, data={"name": "shared"})
    assert r.status_code == 201
    district_id = r.json()["id"]
    with httpx.Client(base_url=busy_server.url, headers=AUTH, timeout=60) as other:
        assert other.get(f"/v1/districts/{district_id}").status_code == 200
        planned = other.post("/v1/plans", json=_plan_body("2026-W20", district=district_id))
        assert planned.status_code == 200, planned.text
    read_back = client.get("/v1/plans/2026-W20", params={"community": "shared"})
    assert read_back.status_code == 200
    assert _same_plan(read_back.json(), planned.json())


# ------------------------------------------------------------------------ serving
def test_serve_refuses_a_public_host_without_token(tmp_path: Path) -> None:
    """``--host 0.0.0.0`` without a token (and without --insecure) exits with an error, listening nowhere."""
    env = {k: v for k, v in os.environ.items() if k != "PATROLPLAN_API_TOKEN"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    run = subprocess.run(
        [sys.executable, "-m", "patrolplan.serve", "--host", "0.0.0.0", "--history", str(tmp_path / "h.sqlite")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "without a token" in run.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),  # IPv4 loopback
        ("127.8.9.10", True),  # anywhere in 127/8
        ("::1", True),  # IPv6 loopback
        ("[::1]", True),  # bracketed
        ("localhost", True),  # the name
        ("0.0.0.0", False),  # every interface
        ("::", False),  # every IPv6 interface
        ("192.168.1.5", False),  # a LAN address
        ("example.org", False),  # a name that may resolve anywhere
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    """Only loopback addresses may serve without a token."""
    assert is_loopback(host) is loopback


def test_read_token_from_file_and_env(tmp_path: Path) -> None:
    """The token file's first line wins over the environment; short or empty tokens are refused."""
    token_file = tmp_path / "token"
    token_file.write_text("file-token-0123456789\nignored\n", encoding="utf-8")
    env = {"PATROLPLAN_API_TOKEN": "env-token-0123456789"}
    assert read_token(token_file, environ=env) == "file-token-0123456789"
    assert read_token(None, environ=env) == "env-token-0123456789"
    assert read_token(None, environ={}) is None
    with pytest.raises(pp.InvalidInputError, match="at least 16"):
        read_token(None, environ={"PATROLPLAN_API_TOKEN": "short"})
    token_file.write_text("\n", encoding="utf-8")
    with pytest.raises(pp.InvalidInputError, match="empty"):
        read_token(token_file, environ={})
    with pytest.raises(pp.InvalidInputError, match="cannot read"):
        read_token(tmp_path / "missing", environ={})
