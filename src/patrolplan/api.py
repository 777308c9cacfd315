"""The planning HTTP API: a FastAPI app for other applications (grid management, staff apps).

Endpoints, all under ``/v1`` (bearer token when one is configured), plus ``/healthz``:

- ``POST /v1/plans`` plans a week and returns ``plan.json``;
- ``GET /v1/plans/{week}`` reads a saved plan; its exports are
  ``routes.geojson``, ``roster.xlsx``, ``week.ics`` and ``gpx/{rider}/{date}``;
- ``POST /v1/plans/{week}/done`` and ``/cancel`` record what happened;
- ``POST /v1/districts`` uploads an OSM file; ``GET /v1/districts/{id}`` reads it.

Long solves: the API is **synchronous with a capped time limit**. A plan
request gives ``time_limit`` (seconds, at most :attr:`ApiSettings.max_time_limit`;
more is a 422, not silently clamped, so a client never gets a weaker plan than
it asked for). The solve runs in the thread pool; at most
:attr:`ApiSettings.max_concurrent_solves` run at once, up to
:attr:`ApiSettings.max_queued_solves` more wait for a slot, and past that (or
after :attr:`ApiSettings.queue_timeout` seconds of waiting) the answer is 429
with ``Retry-After``. A plan takes seconds (the time limit plus loading), which
fits one HTTP request, so there is no job queue to persist or poll.

Security: the bearer token is compared in constant time; request bodies are
counted as they arrive and refused past :attr:`ApiSettings.max_body_bytes`
(413); uploaded XML is checked with ``defusedxml`` (no DTD, so no entity
expansion and no external entities) *before* osmium or osmnx see it; ``.bz2``
is decompressed in bounded chunks up to :attr:`ApiSettings.max_osm_bytes`;
PBF block headers are walked and their declared sizes summed against the same
cap. Uploads are stored under a server-controlled folder with generated
(uuid) names; client file names never become paths. Library errors become 422
(bad input) or 404 (unknown week or id) with the library's message.

Pydantic models live here only: the library itself takes and returns plain
Python objects and the ``plan.json`` dict.
"""

from __future__ import annotations

import asyncio
import bz2
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import patrolplan as pp

__all__ = ["ApiSettings", "create_app"]

logger = logging.getLogger("patrolplan.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Generated district ids: 32 lower-case hex digits (a uuid4). Anything else is unknown (404).
_DISTRICT_ID = re.compile(r"^[0-9a-f]{32}$")
_READ_CHUNK = 1 << 20
#: Largest PBF BlobHeader and Blob the OSM PBF format allows.
_PBF_MAX_HEADER = 64 * 1024
_PBF_MAX_BLOB = 32 * 1024 * 1024

#: An ISO week as text; the library checks the week exists (``2026-W53`` does not).
_WEEK_PATTERN = r"^[0-9]{4}-W[0-9]{2}$"

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ----------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ApiSettings:
    """How the API server runs.

    Attributes
    ----------
    history
        The plan history database (the same file the CLI uses).
    token
        The bearer token every ``/v1`` request must carry; ``None`` turns auth off.
    upload_dir
        Where uploaded districts are stored; default ``api-districts`` next to
        the history file.
    max_body_bytes
        Largest request body (uploads included); more is a 413.
    max_osm_bytes
        Largest street data after decompression (bz2 XML, or the sum of a PBF's
        declared block sizes); more is a 413.
    default_time_limit, max_time_limit
        Solve time when a request gives none, and the most a request may ask for.
    max_concurrent_solves, max_queued_solves, queue_timeout
        Solves (and district loads) running at once, requests allowed to wait
        for a slot, and how long one waits before a 429.
    district_cache
        Loaded districts kept in memory.
    """

    history: Path
    token: str | None = None
    upload_dir: Path | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    max_osm_bytes: int = 256 * 1024 * 1024
    default_time_limit: float = 5.0
    max_time_limit: float = 30.0
    max_concurrent_solves: int = 2
    max_queued_solves: int = 32
    queue_timeout: float = 120.0
    district_cache: int = 8

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.token is not None and not self.token.strip():
            problems.append("token must not be blank (use None to turn auth off)")
        for name in ("max_body_bytes", "max_osm_bytes", "max_concurrent_solves", "district_cache"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        if self.max_queued_solves < 0:
            problems.append("max_queued_solves must be >= 0")
        if not 0 < self.default_time_limit <= self.max_time_limit:
            problems.append("need 0 < default_time_limit <= max_time_limit")
        if self.queue_timeout <= 0:
            problems.append("queue_timeout must be > 0")
        if problems:
            msg = "API settings: " + "; ".join(problems)
            raise pp.InvalidInputError(msg, items=problems)

    @property
    def districts_dir(self) -> Path:
        """The folder uploaded districts are stored in."""
        return self.upload_dir if self.upload_dir is not None else self.history.parent / "api-districts"


# ------------------------------------------------------------------------ models
DateStr = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2026-12-01"])]
#: Local date and time of the district, ISO 8601 *without* an offset (so not an RFC 3339 ``date-time``).
DateTimeStr = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$",
        description="Local time of the district, ISO 8601 without offset",
        examples=["2026-12-01T09:06:30"],
    ),
]


class ErrorBody(BaseModel):
    """Every error answer: a code, a message for people, the offending items for programs."""

    error: str = Field(description="Error kind, e.g. InvalidInputError, validation_error, not_found")
    detail: str = Field(description="What went wrong and what to do, naming the offending items")
    items: list[str] = Field(default_factory=list, description="The offending items (ids, dates, fields)")


class Health(BaseModel):
    """Liveness answer."""

    status: Literal["ok"] = "ok"
    version: str


class StaffRecord(BaseModel):
    """One person of the staff pool (the staff CSV columns)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, examples=["P01"])
    name: str = Field(min_length=1, max_length=200, examples=["Liu Qiang"])
    name_zh: str = Field("", max_length=200)
    roles: list[Literal["patrol", "specialist"]] = Field(min_length=1, max_length=2)
    skills: list[str] = Field(default_factory=list, max_length=32, description="Service windows the person runs")
    leave: list[DateStr] = Field(default_factory=list, max_length=400)
    max_days_per_week: int = Field(3, ge=0, le=7)
    preferences: dict[str, str] = Field(default_factory=dict, max_length=16)


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection (courtyard polygons in lon/lat)."""

    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


class PlanRequest(BaseModel):
    """What to plan.

    ``district`` is ``"default"`` (the embedded Tiexi Village) or an id from
    ``POST /v1/districts``; ``courtyards`` (inline GeoJSON) replaces that
    district's courtyards on its street file. ``staff`` is a list of people or
    staff CSV text; by default the embedded pool.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"week": "2026-W49", "district": "default", "time_limit": 2, "seed": 0}]},
    )

    week: str = Field(pattern=_WEEK_PATTERN, description="ISO week", examples=["2026-W49"])
    district: str = Field("default", max_length=64, description='"default" or an uploaded district id')
    courtyards: FeatureCollection | None = Field(None, description="Courtyards replacing the district's own")
    staff: list[StaffRecord] | str | None = Field(
        None, description="Staff records, or staff CSV text (id,name,roles,...); default: the embedded pool"
    )
    options: dict[str, Any] | None = Field(None, description="Plan options (duty_days, shifts, dwell_s, ...)")
    hot_spots: list[str] = Field(default_factory=list, max_length=500, description="Courtyards to treat as hot spots")
    time_limit: float | None = Field(
        None, gt=0, description="Solve seconds; default and maximum are server settings (more is a 422)"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)
    engine: Literal["auto", "ortools", "pyvrp"] = "auto"
    repeatable: bool = Field(
        True,
        description="True: a fixed amount of search work, the same plan for the same request. False: search for "
        "the whole time limit (often shorter routes on large weeks; a repeat may give another plan)",
    )
    save: bool = Field(True, description="Save the plan in the history (replacing that week's plan)")


class MarkRequest(BaseModel):
    """Which part of a saved week to mark; all optional (the whole week)."""

    model_config = ConfigDict(extra="forbid")

    community: str | None = Field(None, max_length=200, description="Needed when the history holds several")
    day: dt.date | None = Field(None, description="Only this duty date")
    courtyard: str | None = Field(None, max_length=64, description="Only the desk at this courtyard")


class ReplanRequest(BaseModel):
    """Re-plan the rest of a saved week: someone is absent, or a courtyard became a hot spot."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"from_date": "2026-12-02", "absent": ["Liu Qiang"], "time_limit": 2}]},
    )

    from_date: dt.date = Field(description="First day to re-plan; earlier days are kept as they were")
    absent: list[str] = Field(
        default_factory=list, max_length=100, description="Staff (ids or names) absent from then on"
    )
    hot_spots: list[str] = Field(default_factory=list, max_length=500, description="Courtyards to treat as hot spots")
    district: str = Field("default", max_length=64, description="The district the week was planned on")
    community: str | None = Field(None, max_length=200, description="Needed when the history holds several")
    staff: list[StaffRecord] | str | None = Field(None, description="Staff the week was planned with (default pool)")
    time_limit: float | None = Field(None, gt=0, description="Solve seconds (default and maximum: server settings)")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    repeatable: bool | None = Field(
        None, description="As in a plan request; by default as the week was planned (its plan.json's solve.repeatable)"
    )


class ReplanResult(BaseModel):
    """The re-planned week and how much of what was announced changed."""

    changes: dict[str, int] = Field(description="people_moved, desks_moved, stops_moved")
    plan: PlanDoc


class MarkResult(BaseModel):
    """What a mark changed."""

    week: str
    community: str
    status: Literal["done", "cancelled"]
    changed: int = Field(ge=0, description="Desk and duty rows changed")


class OfficeDoc(BaseModel):
    """The community office, where routes start and end."""

    model_config = ConfigDict(extra="allow")

    node: int
    lon: float
    lat: float


class CourtyardDoc(BaseModel):
    """A courtyard in ``plan.json``."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    gates: list[int]
    frequency: int = Field(ge=0)
    hot_spot: bool


class StopDoc(BaseModel):
    """One visit of a route."""

    model_config = ConfigDict(extra="allow")

    courtyard: str
    gate: int
    arrive: DateTimeStr
    depart: DateTimeStr


class LineStringDoc(BaseModel):
    """GeoJSON LineString geometry (lon, lat)."""

    model_config = ConfigDict(extra="allow")

    type: Literal["LineString"]
    coordinates: list[list[float]]


class RouteDoc(BaseModel):
    """One rider's route on one duty day (or shift)."""

    model_config = ConfigDict(extra="allow")

    date: DateStr
    rider: str
    stops: list[StopDoc]
    path: list[int]
    geometry: LineStringDoc
    distance_m: int = Field(ge=0)
    duration_s: int = Field(ge=0)


class DeskDoc(BaseModel):
    """Where the service desk stands on a duty day."""

    model_config = ConfigDict(extra="allow")

    date: DateStr
    courtyard: str
    staff: list[str]
    windows: list[str]


class RosterDoc(BaseModel):
    """Who works which day in which role."""

    model_config = ConfigDict(extra="allow")

    date: DateStr
    staff: str
    name: str
    role: Literal["patrol", "specialist"]
    shift: str


class DroppedDoc(BaseModel):
    """A visit left out, and why."""

    model_config = ConfigDict(extra="allow")

    courtyard: str
    reason: str


class TotalsDoc(BaseModel):
    """Week totals."""

    model_config = ConfigDict(extra="allow")

    distance_m: int
    longest_route_m: int


class PlanDoc(BaseModel):
    """``plan.json`` (schema ``patrolplan/plan@1``): the keys listed are stable; others may be added."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_id: Literal["patrolplan/plan@1"] = Field(alias="schema")
    community: str
    week: str = Field(pattern=r"^[0-9]{4}-W[0-9]{2}$")
    duty_days: list[DateStr]
    office: OfficeDoc
    courtyards: list[CourtyardDoc]
    routes: list[RouteDoc]
    desks: list[DeskDoc]
    roster: list[RosterDoc]
    dropped: list[DroppedDoc]
    totals: TotalsDoc


class DistrictInfo(BaseModel):
    """An uploaded (or the default) district: its id and derived courtyards."""

    id: str = Field(description='Use as "district" in POST /v1/plans')
    name: str
    name_en: str
    format: Literal["default", "osm-xml", "osm-bz2", "osm-pbf"]
    office: OfficeDoc
    street_length_m: float = Field(ge=0)
    courtyards: FeatureCollection = Field(description="Courtyard polygons and the office, as GeoJSON")
    summary: str


Community = Annotated[str | None, Query(max_length=200, description="The community, when the history holds several")]
Lang = Annotated[Literal["zh", "en"], Query(description="Language that comes first in labels")]
MarkBody = Annotated[MarkRequest | None, Body()]
_BEARER = HTTPBearer(auto_error=False, description="The server's token (PATROLPLAN_API_TOKEN or token file)")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


# ------------------------------------------------------------------------ errors
class ApiError(Exception):
    """An error answer with a status code (raised by the API layer itself)."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        *,
        items: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.items = items
        self.headers = dict(headers or {})


def _error_response(
    status: int, error: str, detail: str, items: tuple[str, ...] = (), headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=error, detail=detail, items=list(items)).model_dump()
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def _status_for(exc: pp.PatrolplanError) -> int:
    if isinstance(exc, pp.NotFoundError):
        return 404
    if isinstance(exc, pp.NetworkUnavailableError | pp.HistoryError):
        return 503
    return 422


_ERROR_DOCS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token"},
    413: {"model": ErrorBody, "description": "Request body or decompressed upload too large"},
    422: {"model": ErrorBody, "description": "Bad input; the message names the offending item"},
    503: {"model": ErrorBody, "description": "The history database is unavailable"},
}
_NOT_FOUND_DOC: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "Unknown week or id"}}
_BUSY_DOC: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "Too many solves running and waiting; retry after Retry-After seconds"},
}


# -------------------------------------------------------------------- middleware
class _GuardMiddleware:
    """Bearer-token check and body-size limit, before any route reads the body.

    The body is read here, counted chunk by chunk, and handed to the app only
    when it fits; so an oversized upload or an unauthenticated one is refused
    without being parsed. A refused body is drained (up to a bound) before the
    answer, so the client reads the 413/401 rather than a reset connection.
    """

    def __init__(self, app: ASGIApp, *, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body
        self.max_drain = max(max_body, 8 * 1024 * 1024) * 2

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        if self.token is not None and str(scope.get("path", "")).startswith("/v1") and not self._authorised(headers):
            await self._refuse(
                receive,
                send,
                _error_response(
                    401, "unauthorized", "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
                ),
            )
            return
        length = headers.get("content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await self._refuse(receive, send, _error_response(400, "bad_request", "bad Content-Length header"))
                return
            if declared > self.max_body:
                await self._refuse(receive, send, self._too_large())
                return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_body:
                await self._refuse(receive, send, self._too_large(), already=size)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _authorised(self, headers: Mapping[str, bytes]) -> bool:
        assert self.token is not None
        value = headers.get("authorization", b"")
        scheme, _, given = value.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)

    def _too_large(self) -> JSONResponse:
        detail = f"request body is larger than the server's limit of {self.max_body} bytes"
        return _error_response(413, "payload_too_large", detail, items=(str(self.max_body),))

    async def _refuse(self, receive: Receive, send: Send, response: JSONResponse, *, already: int = 0) -> None:
        drained = already
        more = True
        while more and drained <= self.max_drain:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            drained += len(message.get("body", b""))
            more = bool(message.get("more_body", False))
        if more:
            response.headers["Connection"] = "close"

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response({"type": "http"}, nothing, send)


# ------------------------------------------------------------------ solve slots
class _SolveSlots:
    """At most ``running`` heavy jobs at once, at most ``queued`` waiting; past that a 429."""

    def __init__(self, running: int, queued: int, timeout: float) -> None:
        self.running = running
        self.limit = running + queued
        self.timeout = timeout
        self.pending = 0
        self._sem: asyncio.Semaphore | None = None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.running)
        if self.pending >= self.limit:
            detail = f"{self.pending} solves are running or waiting (limit {self.limit}); retry shortly"
            raise ApiError(429, "too_many_solves", detail, headers={"Retry-After": "5"})
        self.pending += 1
        try:
            try:
                await asyncio.wait_for(self._sem.acquire(), timeout=self.timeout)
            except TimeoutError:
                detail = f"no solve slot became free within {self.timeout:g} s; retry later"
                raise ApiError(429, "too_many_solves", detail, headers={"Retry-After": "10"}) from None
            try:
                yield
            finally:
                self._sem.release()
        finally:
            self.pending -= 1


# ---------------------------------------------------------------- upload checks
def _check_osm_xml(path: Path) -> None:
    """Refuse XML with a DTD or entities, XML that is not well formed, or a root other than ``<osm>``.

    Streams the file through ``defusedxml``; memory stays flat (elements are
    cleared as they end).
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeET

    depth = 0
    root: Any = None
    try:
        events = SafeET.iterparse(
            str(path), events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        for event, elem in events:
            if event == "start":
                if root is None:
                    root = elem
                    if elem.tag != "osm":
                        msg = f"uploaded XML has the root element <{elem.tag}>, not <osm>: it is not an OSM file"
                        raise pp.MalformedOSMError(msg, items=[str(elem.tag)])
                depth += 1
            else:
                depth -= 1
                if depth == 1:
                    root.clear()
    except DefusedXmlException as exc:
        msg = (
            f"uploaded XML refused ({type(exc).__name__}): it declares a DTD, entities or external references; "
            "OSM files need none of them, and they allow entity-expansion bombs and external entities"
        )
        raise pp.MalformedOSMError(msg, items=[type(exc).__name__]) from exc
    except ParseError as exc:
        msg = f"uploaded OSM XML is not well formed: {exc}; check that it is a complete OSM export"
        raise pp.MalformedOSMError(msg, items=[str(exc)]) from exc
    if root is None:
        msg = "uploaded XML has no elements"
        raise pp.MalformedOSMError(msg)


def _bunzip(src: Path, dest: Path, cap: int) -> None:
    """Decompress ``src`` to ``dest`` in bounded chunks; more than ``cap`` bytes is a 413."""
    written = 0
    try:
        with bz2.open(src, "rb") as fin, dest.open("wb") as fout:
            while chunk := fin.read(_READ_CHUNK):
                written += len(chunk)
                if written > cap:
                    detail = f"the .bz2 upload decompresses to more than the server's limit of {cap} bytes"
                    raise ApiError(413, "payload_too_large", detail, items=(str(cap),))
                fout.write(chunk)
    except (OSError, EOFError, ValueError) as exc:
        msg = f"uploaded .bz2 file cannot be decompressed: {exc}"
        raise pp.MalformedOSMError(msg, items=["bz2"]) from exc


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            msg = "uploaded PBF has a truncated or bad protobuf varint"
            raise pp.MalformedOSMError(msg, items=["pbf"])
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _protobuf_fields(buf: bytes) -> dict[int, int | bytes]:
    """The top-level fields of a protobuf message (last value wins), varints and byte strings only."""
    fields: dict[int, int | bytes] = {}
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields[number], pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                msg = "uploaded PBF has a truncated protobuf field"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            fields[number] = buf[pos : pos + size]
            pos += size
        else:
            msg = f"uploaded PBF has an unexpected protobuf wire type {wire}"
            raise pp.MalformedOSMError(msg, items=["pbf"])
    return fields


def _check_pbf(path: Path, cap: int) -> None:
    """Walk the PBF blocks: each header and blob within the format's limits, the declared sizes within ``cap``.

    osmium inflates each blob into a buffer of its declared ``raw_size``, so the
    sum of declared sizes bounds what decompression can produce.
    """
    total = 0
    blocks = 0
    with path.open("rb") as fh:
        while head := fh.read(4):
            if len(head) < 4:
                msg = "uploaded PBF is truncated (a block length is cut off)"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            size = int.from_bytes(head, "big")
            if not 0 < size <= _PBF_MAX_HEADER:
                msg = f"uploaded PBF block {blocks} has a header of {size} bytes (at most {_PBF_MAX_HEADER})"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            header = _protobuf_fields(fh.read(size))
            kind, datasize = header.get(1), header.get(3)
            if not isinstance(kind, bytes) or not isinstance(datasize, int):
                msg = f"uploaded PBF block {blocks} has no type or size: not an OSM PBF file"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            if blocks == 0 and kind != b"OSMHeader":
                msg = "uploaded PBF does not start with an OSMHeader block: not an OSM PBF file"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            if datasize > _PBF_MAX_BLOB:
                msg = f"uploaded PBF block {blocks} is {datasize} bytes (at most {_PBF_MAX_BLOB})"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            blob_bytes = fh.read(datasize)
            if len(blob_bytes) < datasize:
                msg = f"uploaded PBF is truncated in block {blocks}"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            blob = _protobuf_fields(blob_bytes)
            raw = blob.get(1)
            raw_size = len(raw) if isinstance(raw, bytes) else blob.get(2)
            if not isinstance(raw_size, int) or raw_size > _PBF_MAX_BLOB:
                msg = f"uploaded PBF block {blocks} declares a bad or too large size ({raw_size!r})"
                raise pp.MalformedOSMError(msg, items=["pbf"])
            total += raw_size
            if total > cap:
                detail = f"the PBF upload decompresses to more than the server's limit of {cap} bytes"
                raise ApiError(413, "payload_too_large", detail, items=(str(cap),))
            blocks += 1
    if blocks < 2:
        msg = "uploaded PBF has no data blocks"
        raise pp.MalformedOSMError(msg, items=["pbf"])


def _sniff(head: bytes) -> Literal["osm-xml", "osm-bz2", "osm-pbf"]:
    """The upload's format from its first bytes (never from the client's file name)."""
    if head.startswith(b"BZh"):
        return "osm-bz2"
    if len(head) > 15 and head[4] == 0x0A and head[6:15] == b"OSMHeader":
        return "osm-pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "osm-xml"
    msg = "the upload is not an OSM file: expected OSM XML, bz2-compressed OSM XML (.osm.bz2) or OSM PBF"
    raise pp.MalformedOSMError(msg, items=["osm"])


def _label(text: str | None, fallback: str) -> str:
    """A printable label from client text (a name, never a path)."""
    clean = re.sub(r"[\x00-\x1f\x7f/\\]", "", (text or "").strip())[:120].strip()
    return clean or fallback


# --------------------------------------------------------------------- districts
class _Districts:
    """Uploaded districts on disk (``<root>/<uuid>/``), loaded ones cached in memory."""

    def __init__(self, root: Path, *, max_osm_bytes: int, cache: int) -> None:
        self.root = root
        self.max_osm_bytes = max_osm_bytes
        self.cache_size = cache
        self._cache: OrderedDict[tuple[str, str], pp.District] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    def ensure_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _folder(self, district_id: str) -> Path:
        if not _DISTRICT_ID.fullmatch(district_id):
            msg = f"no district {district_id!r}; use 'default' or an id from POST /v1/districts"
            raise pp.NotFoundError(msg, items=[district_id])
        folder = self.root / district_id
        if not (folder / "meta.json").is_file():
            msg = f"no district {district_id!r}; use 'default' or an id from POST /v1/districts"
            raise pp.NotFoundError(msg, items=[district_id])
        return folder

    def meta(self, district_id: str) -> dict[str, Any]:
        if district_id == "default":
            return {"id": "default", "format": "default"}
        meta: dict[str, Any] = json.loads((self._folder(district_id) / "meta.json").read_text(encoding="utf-8"))
        return meta

    def get(self, district_id: str, courtyards: Mapping[str, Any] | None = None) -> pp.District:
        """The district ``district_id``, with ``courtyards`` (GeoJSON) replacing its own if given."""
        if courtyards is None and district_id == "default":
            return pp.load_district()
        text = json.dumps(courtyards, sort_keys=True, ensure_ascii=False) if courtyards is not None else ""
        digest = hashlib.sha256(text.encode()).hexdigest()[:32] if text else ""
        key = (district_id, digest)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None:
                return hit
            district = self._load(district_id, text, digest)
            with self._lock:
                self._cache[key] = district
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
                self._key_locks.pop(key, None)
            return district

    def _load(self, district_id: str, text: str, digest: str) -> pp.District:
        if district_id == "default":
            base = pp.load_district()
            street: Path = base.folder if base.folder is not None else Path(base.source)
            name, name_en = base.name, base.name_en
            inline_dir = self.root / "inline"
        else:
            folder = self._folder(district_id)
            meta = self.meta(district_id)
            street = folder / str(meta["street_file"])
            name, name_en = str(meta["name"]), str(meta["name_en"])
            inline_dir = folder
        yards: Path | None = None
        if text:
            self.ensure_root()
            inline_dir.mkdir(exist_ok=True, mode=0o700)
            yards = inline_dir / f"courtyards-{digest}.geojson"
            if not yards.exists():
                tmp = inline_dir / f".{uuid.uuid4().hex}.tmp"
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(yards)
        elif district_id != "default":
            own = self._folder(district_id) / "courtyards.geojson"
            yards = own if own.exists() else None
        return pp.district_from_file(street, courtyards=yards, name=name, name_en=name_en or None)

    def create(
        self, osm: Path, courtyards: bytes | None, name: str | None, name_en: str | None
    ) -> tuple[str, pp.District]:
        """Check, store and load an uploaded street file (already spooled to ``osm``)."""
        self.ensure_root()
        district_id = uuid.uuid4().hex
        work = self.root / f".{district_id}.partial"
        work.mkdir(mode=0o700)
        try:
            with osm.open("rb") as fh:
                kind = _sniff(fh.read(64))
            if kind == "osm-pbf":
                _check_pbf(osm, self.max_osm_bytes)
                street = work / "streets.osm.pbf"
                shutil.copyfile(osm, street)
            else:
                street = work / "streets.osm"
                if kind == "osm-bz2":
                    _bunzip(osm, street, self.max_osm_bytes)
                else:
                    if osm.stat().st_size > self.max_osm_bytes:
                        detail = f"the OSM XML upload is larger than the server's limit of {self.max_osm_bytes} bytes"
                        raise ApiError(413, "payload_too_large", detail)
                    shutil.copyfile(osm, street)
                _check_osm_xml(street)
            yards: Path | None = None
            if courtyards is not None:
                yards = work / "courtyards.geojson"
                yards.write_bytes(_courtyards_bytes(courtyards))
            label = _label(name, f"district-{district_id[:8]}")
            label_en = _label(name_en, "")
            district = pp.district_from_file(street, courtyards=yards, name=label, name_en=label_en or None)
            meta = {
                "id": district_id,
                "name": district.name,
                "name_en": district.name_en,
                "format": kind,
                "street_file": street.name,
                "uploaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            (work / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            work.rename(self.root / district_id)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        with self._lock:
            self._cache[(district_id, "")] = district
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return district_id, district


def _courtyards_bytes(data: bytes) -> bytes:
    """Check an uploaded courtyards file is a GeoJSON FeatureCollection (the library checks the features)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"uploaded courtyards file is not valid GeoJSON: {exc}"
        raise pp.InvalidInputError(msg, items=["courtyards"]) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        msg = "uploaded courtyards file must be a GeoJSON FeatureCollection of polygons (lon/lat)"
        raise pp.InvalidInputError(msg, items=["courtyards"])
    return json.dumps(doc, ensure_ascii=False).encode()


def _district_info(district_id: str, district: pp.District, kind: str) -> dict[str, Any]:
    lon, lat = district.office_lonlat
    return {
        "id": district_id,
        "name": district.name,
        "name_en": district.name_en,
        "format": kind,
        "office": {"node": int(district.office), "lon": round(lon, 7), "lat": round(lat, 7)},
        "street_length_m": round(float(district.street_length_m), 1),
        "courtyards": district.to_geojson(),
        "summary": district.summary(),
    }


# ------------------------------------------------------------------------- plans
def _staff(value: list[StaffRecord] | str | None) -> pp.Staff:
    if value is None:
        return pp.load_staff()
    if isinstance(value, str):
        return pp.Staff.from_csv_text(value, source="staff CSV in the request")
    return pp.Staff.from_records([r.model_dump() for r in value], source="staff in the request")


def _courtyard_id(doc: Mapping[str, Any], key: str) -> str:
    """A courtyard of a saved plan by id, name or English name (the key itself if none matches)."""
    for yard in doc.get("courtyards", []):
        if isinstance(yard, Mapping) and key.strip() in (yard.get("id"), yard.get("name"), yard.get("name_en")):
            return str(yard["id"])
    return key


def _export(doc: Mapping[str, Any], kind: Literal["geojson", "xlsx", "ics"], lang: Literal["zh", "en"]) -> bytes:
    """One export of a ``plan.json`` dict, written by :mod:`patrolplan.export` to a temporary folder."""
    from patrolplan.export import write_geojson, write_ics, write_xlsx

    with tempfile.TemporaryDirectory(prefix="patrolplan-api-") as tmp:
        folder = Path(tmp)
        if kind == "geojson":
            path = write_geojson(doc, folder / "routes.geojson")
        elif kind == "xlsx":
            path = write_xlsx(doc, folder / "roster.xlsx", lang=lang)
        else:
            path = write_ics(doc, folder / "week.ics", lang=lang)
        return path.read_bytes()


def _export_gpx(doc: Mapping[str, Any], rider: str, date: str, lang: Literal["zh", "en"]) -> tuple[str, bytes]:
    """The GPX track of one rider on one day; the rider may be given by id or name."""
    from patrolplan.export import gpx_name, write_gpx

    routes = [r for r in doc.get("routes", []) if isinstance(r, Mapping)]
    pairs = sorted({(str(r.get("date")), str(r.get("rider"))) for r in routes})
    names = {str(r.get("rider")): str(r.get("rider_name") or "") for r in routes}
    match = [(d, r) for d, r in pairs if d == date and rider in (r, names.get(r))]
    if not match:
        known = ", ".join(f"{r}/{d}" for d, r in pairs) or "none"
        msg = f"no route for rider {rider!r} on {date!r} in {doc.get('week')}; rider/date pairs: {known}"
        raise pp.NotFoundError(msg, items=[rider, date])
    day, rider_id = match[0]
    one = dict(doc)
    one["routes"] = [r for r in routes if str(r.get("date")) == day and str(r.get("rider")) == rider_id]
    with tempfile.TemporaryDirectory(prefix="patrolplan-api-") as tmp:
        written = write_gpx(one, tmp, lang=lang)
        wanted = Path(tmp) / gpx_name(day, rider_id)
        path = wanted if wanted in written else written[0]
        return gpx_name(day, rider_id), path.read_bytes()


# --------------------------------------------------------------------------- app
def create_app(settings: ApiSettings) -> FastAPI:
    """Build the API app.

    Parameters
    ----------
    settings
        History file, token, limits.

    Returns
    -------
    FastAPI
        The app; serve it with uvicorn (see :func:`patrolplan.serve.serve`).
    """
    history = pp.History(settings.history)
    districts = _Districts(settings.districts_dir, max_osm_bytes=settings.max_osm_bytes, cache=settings.district_cache)
    slots = _SolveSlots(settings.max_concurrent_solves, settings.max_queued_solves, settings.queue_timeout)
    hidden = [str(settings.districts_dir.resolve()), str(settings.districts_dir), str(history.path)]

    def scrub(text: str) -> str:
        """Remove server paths from a message (clients see ``<upload>``)."""
        for secret in hidden:
            text = text.replace(secret, "<upload>")
        return text

    app = FastAPI(
        title="patrolplan",
        version=pp.__version__,
        summary="Bicycle patrol routes, rotating service desks and staff rosters for a community office.",
        description=(
            "Plans are synchronous with a capped time limit (see `time_limit`); concurrent solves are "
            "limited, past the queue the answer is 429. Errors are `{error, detail, items}`."
        ),
    )

    @app.exception_handler(pp.PatrolplanError)
    async def library_error(request: Request, exc: pp.PatrolplanError) -> JSONResponse:
        status = _status_for(exc)
        if status >= 500:
            logger.error("%s %s: %s", request.method, request.url.path, exc)
        return _error_response(status, type(exc).__name__, scrub(exc.message), tuple(scrub(str(i)) for i in exc.items))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.status, exc.error, exc.detail, exc.items, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems: list[str] = []
        locs: list[str] = []
        for err in exc.errors():
            loc = ".".join(str(part) for part in err.get("loc", ()))
            locs.append(loc)
            problems.append(f"{loc}: {err.get('msg', 'invalid')}")
        detail = "; ".join(problems) or "invalid request"
        return _error_response(422, "validation_error", detail, tuple(locs))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(exc.status_code, kind, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(500, "internal_error", "unexpected server error; see the server log")

    async def check_token(credentials: BearerCredentials) -> None:
        if settings.token is None:
            return
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, settings.token.encode()):
            raise ApiError(401, "unauthorized", "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    deps = [Depends(check_token)] if settings.token is not None else []
    v1 = APIRouter(prefix="/v1", dependencies=deps, responses=_ERROR_DOCS)

    @app.get("/healthz", response_model=Health, tags=["service"])
    async def healthz() -> Health:
        """Liveness: the server answers (no token needed)."""
        return Health(version=pp.__version__)

    # --------------------------------------------------------------- plans
    @v1.post(
        "/plans",
        response_model=PlanDoc,
        responses={**_NOT_FOUND_DOC, **_BUSY_DOC},
        tags=["plans"],
        summary="Plan a week",
    )
    async def post_plan(request: PlanRequest) -> Response:
        """Plan a week and return ``plan.json`` (route geometry as GeoJSON LineStrings).

        Synchronous: the solve takes about ``time_limit`` seconds plus loading.
        The plan is saved in the history unless ``save`` is false.
        """
        week = pp.Week.parse(request.week)
        limit = settings.default_time_limit if request.time_limit is None else request.time_limit
        if limit > settings.max_time_limit:
            msg = f"time_limit {limit:g} s is more than this server allows ({settings.max_time_limit:g} s)"
            raise pp.InvalidInputError(msg, items=["time_limit"])
        params = pp.SolveParams(
            time_limit=limit, seed=request.seed, engine=request.engine, repeatable=request.repeatable
        )
        options = pp.PlanOptions.from_mapping(request.options) if request.options is not None else None
        staff = _staff(request.staff)
        yards = request.courtyards.model_dump() if request.courtyards is not None else None
        district_id = request.district.strip()
        if district_id != "default":
            districts.meta(district_id)  # 404 before waiting for a slot

        def solve() -> dict[str, Any]:
            district = districts.get(district_id, yards)
            past = history.past(week, community=district.name)
            try:
                problem = pp.WeekProblem(
                    district, staff, week, options=options, hot_spots=tuple(request.hot_spots), past=past
                )
            except pp.NotFoundError as exc:  # a courtyard or person named in the body: bad input, not a 404
                raise pp.InvalidInputError(exc.message, items=exc.items) from exc
            started = time.perf_counter()
            plan = pp.plan_week(problem, params=params)
            doc = plan.to_json()
            if request.save:
                history.save(doc)
            logger.info("planned %s %s in %.2f s", doc.get("community"), week, time.perf_counter() - started)
            return doc

        async with slots.slot():
            doc = await run_in_threadpool(solve)
        headers = {"Location": f"/v1/plans/{doc['week']}"} if request.save else None
        return JSONResponse(doc, headers=headers)

    async def saved(week: str, community: str | None) -> dict[str, Any]:
        wk = pp.Week.parse(week)
        doc: dict[str, Any] = await run_in_threadpool(history.load, wk, community=community)
        return doc

    @v1.get("/plans/{week}", response_model=PlanDoc, responses=_NOT_FOUND_DOC, tags=["plans"])
    async def get_plan(week: str, community: Community = None) -> Response:
        """A saved week's ``plan.json`` from the history (planned here or by the CLI)."""
        return JSONResponse(await saved(week, community))

    @v1.get(
        "/plans/{week}/routes.geojson",
        response_class=Response,
        responses={
            **_NOT_FOUND_DOC,
            200: {
                "description": "Routes and stops as a GeoJSON FeatureCollection",
                "content": {"application/geo+json": {"schema": {"type": "object"}}},
            },
        },
        tags=["exports"],
    )
    async def get_routes_geojson(week: str, community: Community = None) -> Response:
        """The week's routes and stops as GeoJSON."""
        doc = await saved(week, community)
        data = await run_in_threadpool(_export, doc, "geojson", "zh")
        return Response(data, media_type="application/geo+json")

    @v1.get(
        "/plans/{week}/roster.xlsx",
        response_class=Response,
        responses={
            **_NOT_FOUND_DOC,
            200: {
                "description": "Printable roster workbook",
                "content": {_XLSX: {"schema": {"type": "string", "format": "binary"}}},
            },
        },
        tags=["exports"],
    )
    async def get_roster_xlsx(week: str, community: Community = None, lang: Lang = "zh") -> Response:
        """The printable roster (Excel), labels in Chinese and English."""
        doc = await saved(week, community)
        data = await run_in_threadpool(_export, doc, "xlsx", lang)
        name = f"roster-{doc['week']}.xlsx"
        return Response(data, media_type=_XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @v1.get(
        "/plans/{week}/week.ics",
        response_class=Response,
        responses={
            **_NOT_FOUND_DOC,
            200: {
                "description": "Calendar entries, one per duty",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            },
        },
        tags=["exports"],
    )
    async def get_week_ics(week: str, community: Community = None, lang: Lang = "zh") -> Response:
        """Calendar entries (iCalendar) for every duty of the week."""
        doc = await saved(week, community)
        data = await run_in_threadpool(_export, doc, "ics", lang)
        return Response(data, media_type="text/calendar")

    @v1.get(
        "/plans/{week}/gpx/{rider}/{date}",
        response_class=Response,
        responses={
            **_NOT_FOUND_DOC,
            200: {
                "description": "The rider's track for a phone",
                "content": {"application/gpx+xml": {"schema": {"type": "string"}}},
            },
        },
        tags=["exports"],
    )
    async def get_gpx(week: str, rider: str, date: str, community: Community = None, lang: Lang = "zh") -> Response:
        """One rider's GPX track on one duty day (rider by staff id or name, date as YYYY-MM-DD)."""
        doc = await saved(week, community)
        name, data = await run_in_threadpool(_export_gpx, doc, rider, date, lang)
        return Response(
            data, media_type="application/gpx+xml", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    async def mark(week: str, status: Literal["done", "cancelled"], body: MarkRequest | None) -> MarkResult:
        wk = pp.Week.parse(week)
        req = body or MarkRequest.model_validate({})

        def run() -> MarkResult:
            doc = history.load(wk, community=req.community)
            community = str(doc.get("community") or "")
            yard = _courtyard_id(doc, req.courtyard) if req.courtyard is not None else None
            changed = history.mark(wk, status, community=community, day=req.day, courtyard=yard)
            return MarkResult(week=str(wk), community=community, status=status, changed=changed)

        return await run_in_threadpool(run)

    @v1.post("/plans/{week}/done", response_model=MarkResult, responses=_NOT_FOUND_DOC, tags=["plans"])
    async def post_done(week: str, body: MarkBody = None) -> MarkResult:
        """Record that a saved week (or one day, or one desk) happened as planned."""
        return await mark(week, "done", body)

    @v1.post("/plans/{week}/cancel", response_model=MarkResult, responses=_NOT_FOUND_DOC, tags=["plans"])
    async def post_cancel(week: str, body: MarkBody = None) -> MarkResult:
        """Record that a saved week (or one day, or one desk) was cancelled."""
        return await mark(week, "cancelled", body)

    @v1.post(
        "/plans/{week}/replan",
        response_model=ReplanResult,
        responses={**_NOT_FOUND_DOC, **_BUSY_DOC},
        tags=["plans"],
        summary="Re-plan the rest of a saved week",
    )
    async def post_replan(week: str, request: ReplanRequest) -> Response:
        """Keep the days before ``from_date``, re-plan the rest with as few changes as possible, save it.

        The same as ``patrolplan replan``; the answer counts people, desks and stops moved.
        """
        wk = pp.Week.parse(week)
        limit = settings.default_time_limit if request.time_limit is None else request.time_limit
        if limit > settings.max_time_limit:
            msg = f"time_limit {limit:g} s is more than this server allows ({settings.max_time_limit:g} s)"
            raise pp.InvalidInputError(msg, items=["time_limit"])
        staff = _staff(request.staff)
        district_id = request.district.strip()
        if district_id != "default":
            districts.meta(district_id)

        def solve() -> dict[str, Any]:
            doc = history.load(wk, community=request.community)
            district = districts.get(district_id, None)
            past = history.past(wk, community=district.name)
            try:
                problem = pp.WeekProblem(district, staff, wk, past=past)
                announced = pp.Plan.from_json(doc, problem)
                new, changes = pp.replan(
                    announced,
                    from_date=request.from_date,
                    absent=request.absent,
                    hot_spots=request.hot_spots,
                    params=pp.SolveParams(
                        time_limit=limit,
                        seed=request.seed,
                        engine=announced.params.engine,
                        repeatable=announced.params.repeatable if request.repeatable is None else request.repeatable,
                    ),
                )
            except pp.NotFoundError as exc:  # a person or courtyard named in the body: bad input
                raise pp.InvalidInputError(exc.message, items=exc.items) from exc
            new_doc = new.to_json()
            history.save(new_doc)
            return {"changes": changes, "plan": new_doc}

        async with slots.slot():
            result = await run_in_threadpool(solve)
        return JSONResponse(result)

    # ----------------------------------------------------------- districts
    @v1.post(
        "/districts",
        response_model=DistrictInfo,
        status_code=201,
        responses={**_BUSY_DOC},
        tags=["districts"],
    )
    async def post_district(
        osm: Annotated[UploadFile, File(description="OSM XML, .osm.bz2 or .osm.pbf (format read from the content)")],
        courtyards: Annotated[UploadFile | None, File(description="Courtyards GeoJSON (optional)")] = None,
        name: Annotated[str | None, Form(max_length=200, description="The community's name")] = None,
        name_en: Annotated[str | None, Form(max_length=200, description="Its English name")] = None,
    ) -> Response:
        """Upload a street file (and optional courtyards); returns the district's id and courtyards.

        Without courtyards, they are derived from the file's ``landuse=residential`` areas.
        """
        yard_bytes = await courtyards.read() if courtyards is not None else None
        label = name if name is not None else Path(osm.filename or "").name.split(".")[0]
        spool = osm.file

        def run() -> dict[str, Any]:
            with tempfile.TemporaryDirectory(prefix="patrolplan-upload-") as tmp:
                raw = Path(tmp) / "upload.bin"
                spool.seek(0)
                with raw.open("wb") as out:
                    shutil.copyfileobj(spool, out, _READ_CHUNK)
                district_id, district = districts.create(raw, yard_bytes, label, name_en)
            meta = districts.meta(district_id)
            return _district_info(district_id, district, str(meta["format"]))

        async with slots.slot():
            info = await run_in_threadpool(run)
        return JSONResponse(info, status_code=201, headers={"Location": f"/v1/districts/{info['id']}"})

    @v1.get(
        "/districts/{district_id}",
        response_model=DistrictInfo,
        responses={**_NOT_FOUND_DOC, **_BUSY_DOC},
        tags=["districts"],
    )
    async def get_district(district_id: str) -> Response:
        """An uploaded district (or ``default``): its office and courtyards."""
        meta = districts.meta(district_id)

        def run() -> dict[str, Any]:
            return _district_info(district_id, districts.get(district_id), str(meta["format"]))

        async with slots.slot():
            info = await run_in_threadpool(run)
        return JSONResponse(info)

    app.include_router(v1)
    app.add_middleware(_GuardMiddleware, token=settings.token, max_body=settings.max_body_bytes)
    return app
