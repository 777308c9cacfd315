"""Patrol routing: TSPLIB optima, brute force, the week's rules, dropped visits, determinism, random districts.

Every routing result here is re-verified from scratch by ``verify`` (coverage
and frequencies, allowed days, time windows, shift limits, street paths and
their lengths, gates passed in order, desk visits); nothing may be missing
unless it is listed as dropped with a reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
import pyvrp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patrolplan.district import District, load_district
from patrolplan.errors import InfeasibleWeekError
from patrolplan.options import PlanOptions
from patrolplan.problem import WeekProblem
from patrolplan.routing import RoutingResult, plan_routes
from patrolplan.staff import Role, Staff, StaffMember, load_staff
from patrolplan.week import Shift

TSPLIB = Path(__file__).parent / "data" / "tsplib"
WEEK = "2026-W49"  # Tue 2026-12-01, Wed 12-02, Thu 12-03


# ---------------------------------------------------------------------- helpers
def read_tsplib(path: Path) -> np.ndarray:
    """Coordinates of a TSPLIB EUC_2D instance (NODE_COORD_SECTION), in file order."""
    points: list[tuple[float, float]] = []
    inside = False
    for line in path.read_text().splitlines():
        text = line.strip()
        if text.startswith("EDGE_WEIGHT_TYPE"):
            assert text.split(":")[1].strip() == "EUC_2D", f"{path.name}: only EUC_2D is read here"
        elif text.startswith("NODE_COORD_SECTION"):
            inside = True
        elif text == "EOF":
            break
        elif inside and text:
            _, x, y = text.split()[:3]
            points.append((float(x), float(y)))
    return np.array(points)


def tsplib_optima() -> dict[str, int]:
    """``solutions.txt``: ``name : value`` (some lines carry a note after the value)."""
    out: dict[str, int] = {}
    for line in (TSPLIB / "solutions.txt").read_text().splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            out[name.strip()] = int(value.split()[0])
    return out


def officers(*ids: str) -> Staff:
    return Staff(tuple(StaffMember(i, f"Officer {i}", frozenset({Role.PATROL})) for i in ids))


DAY = Shift.parse("day", "00:00", "23:59")


def tsp_options() -> PlanOptions:
    """One officer, one day, no shift limit, no dwell, nothing but distance."""
    return PlanOptions(
        duty_days=(1,),
        shifts=(DAY,),
        officers_per_day=1,
        specialists_per_day=0,
        desks_per_day=0,
        dwell_s=0,
        hot_spot_dwell_s=0,
        balance_weight=0,
        rotation_weight=0,
    )


def verify(problem: WeekProblem, result: RoutingResult, desks: Mapping[dt.date, Sequence[str]]) -> list[str]:
    """Re-verify a routing result from scratch; an empty list means it keeps every rule."""
    out: list[str] = []
    district = problem.district
    graph, matrix, office = district.graph, problem.matrix, district.office
    shifts = {s.name: s for s in problem.options.shifts}
    ordered = sorted(problem.options.shifts, key=lambda s: s.start)
    dropped = Counter(d.courtyard for d in result.dropped)
    for d in result.dropped:
        if not d.reason:
            out.append(f"{d.courtyard} dropped without a reason")
    # coverage, frequency, allowed days, min gap
    patrol_days: dict[str, list[dt.date]] = {}
    for r in result.routes:
        for s in r.stops:
            if s.purpose == "patrol":
                patrol_days.setdefault(s.courtyard, []).append(r.date)
    for yard in problem.courtyards:
        days = sorted(patrol_days.get(yard.id, []))
        need = problem.visits(yard)
        if len(days) < need and not dropped[yard.id]:
            out.append(f"{yard.id}: {len(days)} visits < {need}, not listed as dropped")
        if len(set(days)) != len(days):
            out.append(f"{yard.id}: visited twice on one day")
        if yard.allowed_days is not None and any(d.weekday() not in yard.allowed_days for d in days):
            out.append(f"{yard.id}: visited on a day it does not allow")
        if yard.min_gap_days and any((b - a).days < yard.min_gap_days for a, b in itertools.pairwise(days)):
            out.append(f"{yard.id}: visits closer than {yard.min_gap_days} days")
    # desks
    for date, ids in desks.items():
        for cid in ids:
            passed = any(
                s.courtyard == cid and s.purpose == "desk" for r in result.routes if r.date == date for s in r.stops
            )
            if not passed and not dropped[cid]:
                out.append(f"{date}: no patrol passes the desk at {cid}")
    by_id = {y.id: y for y in problem.courtyards}
    for r in result.routes:
        where = f"{r.date} {r.rider}/{r.slot} {r.shift}"
        if r.date not in problem.duty_dates:
            out.append(f"{where}: not a duty date")
        day0 = dt.datetime.combine(r.date, dt.time())
        if r.shift in shifts:
            windows = [(shifts[r.shift].start_s, shifts[r.shift].end_s)]
        else:  # a whole-day route: stops in any shift, the route within the first and last
            windows = [(s.start_s, s.end_s) for s in ordered]
        lo, hi = day0 + dt.timedelta(seconds=windows[0][0]), day0 + dt.timedelta(seconds=windows[-1][1])
        if r.start < lo or r.end > hi:
            out.append(f"{where}: runs {r.start:%H:%M}-{r.end:%H:%M}, outside its shift")
        if r.duration_s != int((r.end - r.start).total_seconds()):
            out.append(f"{where}: duration_s does not match start/end")
        for s in r.stops:
            a = (s.arrive - day0).total_seconds()
            b = (s.depart - day0).total_seconds()
            if not any(w0 <= a and b <= w1 for w0, w1 in windows):
                out.append(f"{where}: stop {s.courtyard} {s.arrive:%H:%M}-{s.depart:%H:%M} not inside a shift")
            yard = by_id[s.courtyard]
            if s.gate not in yard.gates:
                out.append(f"{where}: {s.gate} is not a gate of {s.courtyard}")
            if (
                yard.time_windows
                and s.purpose == "patrol"
                and not any(w0 <= s.arrive.time() <= w1 for w0, w1 in yard.time_windows)
            ):
                out.append(f"{where}: {s.courtyard} at {s.arrive:%H:%M} outside its time windows")
            want = problem.options.desk_dwell_s if s.purpose == "desk" else problem.dwell_s(yard)
            if s.dwell_s != want:
                out.append(f"{where}: dwell at {s.courtyard} is {s.dwell_s} s, not {want} s")
        # the street path
        if not r.path or r.path[0] != office or r.path[-1] != office:
            out.append(f"{where}: path does not start and end at the office")
            continue
        length = 0.0
        for u, v in itertools.pairwise(r.path):
            if not graph.has_edge(u, v):
                out.append(f"{where}: {u}->{v} is not a street segment")
                break
            length += min(float(e["length"]) for e in graph[u][v].values())
        else:
            if abs(length - r.distance_m) > 2.0 + 0.01 * len(r.path):
                out.append(f"{where}: path is {length:.0f} m but distance_m is {r.distance_m}")
        pos = 0
        for s in r.stops:
            try:
                pos = r.path.index(s.gate, pos)
            except ValueError:
                out.append(f"{where}: path does not pass gate {s.gate} in order")
                break
        # timing: each arrival no sooner than the ride from the previous stop
        prev, at = office, r.start
        for s in r.stops:
            ride = int(matrix.seconds[matrix.index(prev), matrix.index(s.gate)])
            if (s.arrive - at).total_seconds() < ride - 1:
                out.append(f"{where}: reaches {s.courtyard} sooner than the ride allows")
            prev, at = s.gate, s.depart
        if (r.end - at).total_seconds() < int(matrix.seconds[matrix.index(prev), matrix.index(office)]) - 1:
            out.append(f"{where}: back at the office sooner than the ride allows")
    if result.objective != sum(r.distance_m for r in result.routes):
        out.append("objective is not the total distance")
    return out


def tour_length(metres: np.ndarray, order: Sequence[int]) -> int:
    sites = [0, *order, 0]
    return int(sum(metres[a, b] for a, b in itertools.pairwise(sites)))


# ---------------------------------------------------------------------- TSPLIB
@pytest.mark.parametrize("name", ["eil51", "berlin52", "st70", "eil76", "kroA100"])
def test_tsplib_tour_within_2_percent_of_the_optimum(name: str) -> None:
    """One officer, one day, no shift limit: the route is a TSP tour within 2 % of TSPLIB's optimum."""
    district = District.from_points(read_tsplib(TSPLIB / f"{name}.tsp"), name=name)
    problem = WeekProblem(district, officers("P1"), WEEK, options=tsp_options())
    result = plan_routes(problem, {}, {problem.duty_dates[0]: ["P1"]}, time_limit=4, seed=0)
    assert result.dropped == ()
    assert len(result.routes) == 1
    route = result.routes[0]
    assert len(route.stops) == len(district.courtyards)
    assert verify(problem, result, {}) == []
    optimum = tsplib_optima()[name]
    assert route.distance_m >= optimum  # nint EUC_2D, as TSPLIB: nothing can beat the optimum
    assert route.distance_m <= 1.02 * optimum, f"{name}: {route.distance_m} vs optimum {optimum}"


def test_tsplib_from_matrix_matches_from_points() -> None:
    """The same instance given as a matrix (``District.from_matrix``) reaches the same quality."""
    xy = read_tsplib(TSPLIB / "berlin52.tsp")
    metres = np.floor(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) + 0.5)
    district = District.from_matrix(metres, seconds=metres)
    problem = WeekProblem(district, officers("P1"), WEEK, options=tsp_options())
    result = plan_routes(problem, {}, {problem.duty_dates[0]: ["P1"]}, time_limit=4, seed=0)
    assert verify(problem, result, {}) == []
    assert result.objective <= 1.02 * tsplib_optima()["berlin52"]


# ---------------------------------------------------------------------- brute force
@pytest.mark.parametrize(("n", "seed"), [(5, 1), (6, 2), (7, 3), (7, 4)])
def test_tiny_instance_equals_the_brute_force_optimum(n: int, seed: int) -> None:
    """On 5–7 courtyards and one rider the route is the optimal tour (all permutations tried)."""
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 500, size=(n + 1, 2))
    district = District.from_points(xy)
    problem = WeekProblem(district, officers("P1"), WEEK, options=tsp_options())
    result = plan_routes(problem, {}, {problem.duty_dates[0]: ["P1"]}, time_limit=1, seed=0)
    assert verify(problem, result, {}) == []
    metres = problem.matrix.metres
    best = min(tour_length(metres, order) for order in itertools.permutations(range(1, n + 1)))
    assert result.objective == best


# ---------------------------------------------------------------------- the default district
@pytest.fixture(scope="module")
def tiexi() -> District:
    return load_district()


@pytest.fixture(scope="module")
def staff() -> Staff:
    return load_staff()


def riders(problem: WeekProblem, per_day: int = 2) -> dict[dt.date, list[str]]:
    ids = [m.id for m in problem.staff.with_role(Role.PATROL)]
    return {d: [ids[(i + k) % len(ids)] for k in range(per_day)] for i, d in enumerate(problem.duty_dates)}


def desk_days(problem: WeekProblem) -> dict[dt.date, list[str]]:
    hosts = [y.id for y in problem.courtyards if y.can_host_desk]
    return {d: [hosts[(7 * i + 3) % len(hosts)]] for i, d in enumerate(problem.duty_dates)}


@pytest.fixture(scope="module")
def week_plan(tiexi: District, staff: Staff) -> tuple[WeekProblem, dict[dt.date, list[str]], RoutingResult]:
    problem = WeekProblem(tiexi, staff, WEEK, hot_spots=["Chunhui"])
    desks = desk_days(problem)
    return problem, desks, plan_routes(problem, desks, riders(problem), time_limit=3, seed=0)


def test_default_week_covers_everything_within_the_shifts(week_plan) -> None:  # type: ignore[no-untyped-def]
    """Every courtyard is visited, hot spots on every day, each day's desk is passed, all inside the shifts."""
    problem, desks, result = week_plan
    assert result.engine in ("pyvrp", "ortools")  # auto: the better of the two engines' plans
    assert result.dropped == ()
    assert verify(problem, result, desks) == []
    seen = {s.courtyard for r in result.routes for s in r.stops if s.purpose == "patrol"}
    assert seen == {y.id for y in problem.courtyards}
    chunhui = problem.district.courtyard("Chunhui").id
    days = {r.date for r in result.routes for s in r.stops if s.courtyard == chunhui and s.purpose == "patrol"}
    assert days == set(problem.duty_dates)
    for date, ids in desks.items():
        assert any(
            s.courtyard == ids[0] and s.purpose == "desk" for r in result.routes if r.date == date for s in r.stops
        )
    # one route per (officer, shift) at most, each inside its own shift
    keys = Counter((r.date, r.rider, r.shift) for r in result.routes)
    assert max(keys.values()) == 1
    assert {r.shift for r in result.routes} <= {s.name for s in problem.options.shifts}


def test_every_officer_on_duty_rides_each_day(week_plan) -> None:  # type: ignore[no-untyped-def]
    """Balanced by default: a day's work is shared by its officers, none is left riding nothing.

    Under one common cap for every day, the default week's Wednesday fitted in one
    3.2 km trip and the second officer rode nothing.
    """
    problem, _desks, result = week_plan
    assert problem.options.balance_weight > 0
    on_duty = riders(problem)
    for date, officers in on_duty.items():
        loads = {o: sum(r.distance_m for r in result.routes if r.date == date and r.rider == o) for o in officers}
        assert all(metres > 0 for metres in loads.values()), (date, loads)


def test_route_objects_give_edges_directions_and_line(week_plan) -> None:  # type: ignore[no-untyped-def]
    """A route exposes its street edges, readable directions and a lon/lat line."""
    problem, _desks, result = week_plan
    route = max(result.routes, key=lambda r: len(r.stops))
    assert route.edges() == tuple(zip(route.path, route.path[1:], strict=False))
    steps = route.directions(problem.district)
    assert steps
    assert all(re.match(r"Ride along .+ \d+ m$", s) for s in steps)
    assert route.line(problem.district).length > 0


def test_allowed_days_are_kept(tiexi: District, staff: Staff) -> None:
    """A courtyard open only on Thursdays is visited on Thursday, and a hot spot open Tue/Thu only on those days."""
    yards = list(tiexi.courtyards)
    yards[0] = dataclasses.replace(yards[0], allowed_days=(3,))
    yards[1] = dataclasses.replace(yards[1], allowed_days=(1, 3), hot_spot=True)
    problem = WeekProblem(tiexi.with_courtyards(yards), staff, WEEK)
    desks = desk_days(problem)
    result = plan_routes(problem, desks, riders(problem), time_limit=2, seed=0)
    assert verify(problem, result, desks) == []
    days0 = [r.date.weekday() for r in result.routes for s in r.stops if s.courtyard == yards[0].id]
    days1 = sorted(r.date.weekday() for r in result.routes for s in r.stops if s.courtyard == yards[1].id)
    assert days0 == [3]
    assert days1 == [1, 3]


def test_allowed_days_outside_the_duty_days_are_reported(tiexi: District, staff: Staff) -> None:
    """A courtyard open only on Sundays cannot be visited: it is dropped with a reason, not silently."""
    yards = list(tiexi.courtyards)
    yards[2] = dataclasses.replace(yards[2], allowed_days=(6,))
    problem = WeekProblem(tiexi.with_courtyards(yards), staff, WEEK)
    result = plan_routes(problem, desk_days(problem), riders(problem), time_limit=2, seed=0)
    assert [d.courtyard for d in result.dropped] == [yards[2].id]
    assert "allowed days" in result.dropped[0].reason
    assert verify(problem, result, desk_days(problem)) == []


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
@pytest.mark.parametrize(
    "windows",
    [
        ((dt.time(15, 0), dt.time(15, 30)),),
        ((dt.time(9, 30), dt.time(9, 45)), (dt.time(15, 0), dt.time(15, 20))),
    ],
    ids=["one window", "two windows"],
)
def test_time_windows_are_kept(tiexi: District, staff: Staff, windows, engine: str) -> None:  # type: ignore[no-untyped-def]
    """A school gate visited only at dismissal (or at one of two times): the visit starts inside a window."""
    yards = list(tiexi.courtyards)
    yards[5] = dataclasses.replace(yards[5], time_windows=windows)
    problem = WeekProblem(tiexi.with_courtyards(yards), staff, WEEK)
    desks = desk_days(problem)
    result = plan_routes(problem, desks, riders(problem), time_limit=3, seed=0, engine=engine)
    assert result.engine == engine  # PyVRP takes several windows as one alternative each
    assert result.dropped == ()
    assert verify(problem, result, desks) == []
    arrive = [
        s.arrive.time() for r in result.routes for s in r.stops if s.courtyard == yards[5].id and s.purpose == "patrol"
    ]
    assert len(arrive) == 1
    assert any(a <= arrive[0] <= b for a, b in windows)


def test_a_window_outside_every_shift_is_dropped_with_its_cause(tiexi: District, staff: Staff) -> None:
    """A gate open only at 07:30-08:00, before any shift starts, is left out, and the reason names the window."""
    yards = list(tiexi.courtyards)
    yards[5] = dataclasses.replace(yards[5], time_windows=((dt.time(7, 30), dt.time(8, 0)),))
    problem = WeekProblem(tiexi.with_courtyards(yards), staff, WEEK)
    desks = desk_days(problem)
    result = plan_routes(problem, desks, riders(problem), time_limit=2, seed=0)
    assert [d.courtyard for d in result.dropped] == [yards[5].id]
    assert "07:30-08:00" in result.dropped[0].reason
    assert "shift" in result.dropped[0].reason
    assert verify(problem, result, desks) == []


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_whole_day_routes_wait_out_lunch(tiexi: District, staff: Staff, engine: str) -> None:
    """ride_each_shift=False: one route per officer and day, no stop during lunch, with either engine."""
    problem = WeekProblem(tiexi, staff, WEEK, options=PlanOptions(ride_each_shift=False), hot_spots=["Chunhui"])
    desks = desk_days(problem)
    result = plan_routes(problem, desks, riders(problem), time_limit=3, seed=0, engine=engine)
    assert result.engine == engine  # PyVRP: a visit's start windows are the shifts, one alternative each
    assert result.dropped == ()
    assert verify(problem, result, desks) == []
    assert {r.shift for r in result.routes} == {"day"}
    assert max(Counter((r.date, r.rider) for r in result.routes).values()) == 1
    for r in result.routes:
        for s in r.stops:
            assert not (dt.time(11, 30) < s.depart.time() and s.arrive.time() < dt.time(14, 30)), s


def test_forced_ortools_engine_keeps_the_rules(tiexi: District, staff: Staff) -> None:
    """engine="ortools" on the default week covers everything too."""
    problem = WeekProblem(tiexi, staff, WEEK, hot_spots=["Chunhui"])
    desks = desk_days(problem)
    result = plan_routes(problem, desks, riders(problem), time_limit=3, seed=0, engine="ortools")
    assert result.engine == "ortools"
    assert result.dropped == ()
    assert verify(problem, result, desks) == []


_TIME_NEEDED = re.compile(r"(\d+ min .*\d+ min)|(\d+ s.*\d+ s)")


def test_too_short_shift_drops_visits_with_the_time_needed_and_available(tiexi: District, staff: Staff) -> None:
    """A 20-minute shift cannot hold the week: visits are dropped, each with needed-vs-available time."""
    opts = PlanOptions(shifts=(Shift.parse("short", "09:00", "09:20"),))
    problem = WeekProblem(tiexi, staff, WEEK, options=opts)
    desks = desk_days(problem)
    result = plan_routes(problem, desks, riders(problem), time_limit=2, seed=0)
    assert result.dropped
    for d in result.dropped:
        assert _TIME_NEEDED.search(d.reason), d.reason
    assert verify(problem, result, desks) == []  # what is missing is listed: nothing silent


def _six_far_courtyards() -> WeekProblem:
    """Six courtyards 600 m out at 1 m/s, 5 min of dwell each, one officer with one 60-min shift on Tuesday."""
    angles = np.linspace(0.0, 2 * np.pi, 6, endpoint=False)
    points = [[0.0, 0.0], *([600 * np.cos(a), 600 * np.sin(a)] for a in angles)]
    district = District.from_points(points, speed_mps=1.0)
    opts = PlanOptions(
        duty_days=(1,),
        shifts=(Shift.parse("am", "09:00", "10:00"),),
        specialists_per_day=0,
        desks_per_day=0,
        dwell_s=300,
    )
    return WeekProblem(district, officers("P1"), WEEK, options=opts)


_NO_ROUTE_HAS_ROOM = re.compile(
    r"no route has room for it: the visits on Tue need 30 min of dwell \(riding comes on top\) of the riders' "
    r"60 min of shift time, and the riding fills the rest; the closest fit, P1's am shift on Tue, would need "
    r"(\d+) min more with (\d+) min left; add a rider"
)


def test_dwell_that_fits_but_riding_that_does_not_says_no_route_has_room() -> None:
    """The six courtyards' 30 min of dwell fit the 60-min shift, the riding does not.

    Visits are left out, and the reason gives the dwell against the shift time, then the closest
    fit: the minutes the visit would add to the route against the minutes left there.
    """
    problem = _six_far_courtyards()
    result = plan_routes(problem, {}, {problem.duty_dates[0]: ["P1"]}, time_limit=1, seed=0)
    assert result.dropped
    assert len(result.dropped) + sum(len(r.stops) for r in result.routes) == 6
    [route] = result.routes
    left = (dt.datetime.combine(route.date, dt.time(10, 0)) - route.end).total_seconds() // 60
    for d in result.dropped:
        found = _NO_ROUTE_HAS_ROOM.search(d.reason)
        assert found, d.reason
        need, room = int(found[1]), int(found[2])
        assert room == left
        assert need > room
    assert verify(problem, result, {}) == []


def test_a_visit_that_fits_where_the_search_left_it_out_says_give_the_search_more_time() -> None:
    """With the officer's route empty there is room for any one of the six: the search missed it."""
    from patrolplan import routing

    problem = _six_far_courtyards()
    riders = routing._riders(problem, {problem.duty_dates[0]: ["P1"]})
    visits, _dropped = routing._visits(problem, {}, {}, None)
    reason = routing._why_dropped(problem, visits[0], riders, visits, {})
    assert reason == (
        "no room was found for it within the time limit: the visits on Tue need 30 min of dwell (riding comes on "
        "top) of the riders' 60 min of shift time, and P1's am shift on Tue has 60 min left where it needs 25 min; "
        "give the search more time"
    )


def test_a_visit_longer_than_any_shift_is_reported_as_impossible(staff: Staff) -> None:
    """A courtyard whose dwell alone exceeds the shift is left out, saying ride + dwell against the shift."""
    district = District.from_points([[0, 0], [100, 0], [0, 100]])
    yards = list(district.courtyards)
    yards[1] = dataclasses.replace(yards[1], dwell_s=4 * 3600)
    opts = PlanOptions(
        duty_days=(1,), shifts=(Shift.parse("am", "09:00", "11:00"),), specialists_per_day=0, desks_per_day=0
    )
    problem = WeekProblem(district.with_courtyards(yards), officers("P1"), WEEK, options=opts)
    result = plan_routes(problem, {}, {problem.duty_dates[0]: ["P1"]}, time_limit=1, seed=0)
    assert [d.courtyard for d in result.dropped] == [yards[1].id]
    assert re.search(r"ride \d+ s \+ dwell 14400 s.*longest shift \(7200 s\)", result.dropped[0].reason)
    assert verify(problem, result, {}) == []


def test_no_rider_at_all_is_an_infeasible_week(tiexi: District, staff: Staff) -> None:
    """With no officer on any duty day the week cannot be planned, and the error says why."""
    problem = WeekProblem(tiexi, staff, WEEK)
    with pytest.raises(InfeasibleWeekError, match="no patrol officer rides on any duty day"):
        plan_routes(problem, desk_days(problem), {}, time_limit=1, seed=0)


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_same_inputs_and_seed_give_identical_routes(tiexi: District, staff: Staff, engine: str) -> None:
    """Planning twice with the same inputs and seed gives the same routes, stop for stop."""
    problem = WeekProblem(tiexi, staff, WEEK, hot_spots=["Chunhui"])
    desks = desk_days(problem)
    first = plan_routes(problem, desks, riders(problem), time_limit=3, seed=7, engine=engine)
    again = plan_routes(problem, desks, riders(problem), time_limit=3, seed=7, engine=engine)
    assert first.routes == again.routes
    assert first.dropped == again.dropped


def _long_week(per_day: int = 5, courtyards: int = 180) -> tuple[WeekProblem, dict[dt.date, list[str]], int]:
    """180 courtyards along a 4 km by 800 m strip (more on a larger strip, as dense), every tenth a hot spot:
    the week, who rides, how many visits."""
    rng = np.random.default_rng(5)
    scale = (courtyards / 180) ** 0.5
    xy = np.column_stack([rng.uniform(0, 4000 * scale, courtyards + 1), rng.uniform(0, 800 * scale, courtyards + 1)])
    district = District.from_points(xy, speed_mps=4.0)
    yards = [dataclasses.replace(y, hot_spot=(i % 10 == 0)) for i, y in enumerate(district.courtyards)]
    district = district.with_courtyards(yards)
    opts = PlanOptions(
        shifts=(Shift.parse("am", "09:00", "12:00"),),
        officers_per_day=per_day,
        specialists_per_day=0,
        desks_per_day=0,
        rotation_weight=0.0,
    )
    ids = [f"P{k}" for k in range(per_day)]
    problem = WeekProblem(district, officers(*ids), WEEK, options=opts)
    rides = {d: list(ids) for d in problem.duty_dates}
    return problem, rides, len(yards) + 2 * sum(y.hot_spot for y in yards)


# two rounds of halves, three (from 2 s, on a larger week: a longer search of 216 visits is not split),
# and short of time (the start in halves too, no polish)
@pytest.mark.parametrize(("limit", "courtyards", "per_day"), [(0.6, 180, 5), (2.5, 360, 10), (0.3, 180, 5)])
def test_a_large_week_searched_in_halves_is_complete_valid_and_repeatable(
    limit: float, courtyards: int, per_day: int
) -> None:
    """A week of 160+ visits, short of search, is searched in two halves on two threads: every visit made,
    the rules kept, and the same routes again (each half stops by its own iteration budget, whatever the
    threads do)."""
    from patrolplan import _pyvrp_engine

    problem, rides, n_visits = _long_week(per_day, courtyards)
    riders = 3 * per_day
    assert n_visits >= _pyvrp_engine._SPLIT_FROM  # one gate each: one alternative per visit
    assert _pyvrp_engine.splits(n_visits, riders, 3, limit)
    assert _pyvrp_engine.start_in_halves(n_visits, riders, 3, limit) == (limit < 0.5)
    assert (limit >= _pyvrp_engine._THIRD_ROUND_FROM_S) == (limit == 2.5)
    first = plan_routes(problem, {}, rides, time_limit=limit, seed=3)
    again = plan_routes(problem, {}, rides, time_limit=limit, seed=3)
    assert first.dropped == ()
    assert verify(problem, first, {}) == []
    assert sum(len(r.stops) for r in first.routes) == n_visits
    assert first.routes == again.routes


def test_a_large_week_with_search_to_spare_is_searched_whole_complete_valid_and_repeatable() -> None:
    """Not split (enough iterations a visit), the week is searched whole twice side by side: every visit
    made, the rules kept, and the same routes again (each search stops by its own iteration budget)."""
    from patrolplan import _pyvrp_engine

    problem, rides, n_visits = _long_week()
    assert not _pyvrp_engine.splits(n_visits, 15, 3, 2.0)
    first = plan_routes(problem, {}, rides, time_limit=2.0, seed=3)
    again = plan_routes(problem, {}, rides, time_limit=2.0, seed=3)
    assert first.dropped == ()
    assert verify(problem, first, {}) == []
    assert sum(len(r.stops) for r in first.routes) == n_visits
    assert first.routes == again.routes


# by the clock: the default week (balanced: a first solve, capped tries, a last search) and a week split in halves
@pytest.mark.parametrize("week", ["default", "halves"])
def test_a_week_searched_by_the_clock_is_complete_and_valid(week: str, tiexi: District, staff: Staff) -> None:
    """Not repeatable, every solve shares what is left of the limit: the plan still makes every visit
    and keeps every rule."""
    if week == "default":
        problem = WeekProblem(tiexi, staff, WEEK, hot_spots=["Chunhui"])
        desks, rides, n_visits = desk_days(problem), riders(problem), None
    else:
        problem, rides, n_visits = _long_week(5, 180)
        desks = {}
    result = plan_routes(problem, desks, rides, time_limit=0.6, seed=3, repeatable=False)
    assert result.dropped == ()
    assert verify(problem, result, desks) == []
    if n_visits is not None:
        assert sum(len(r.stops) for r in result.routes) == n_visits


def test_by_the_clock_each_solve_gets_its_share_of_the_time_left() -> None:
    """Repeatable, a solve's limit is its share of the whole; by the clock, its share of what is still left
    (the last takes all of it), and never less than the least a solve gets."""
    import time

    from patrolplan._pyvrp_week import LEAST_SOLVE_S, Shares

    fixed = Shares(10.0)
    assert [fixed.take(share) for share in (0.5, 0.35, 0.15)] == [5.0, 3.5, 1.5]
    clock = Shares(10.0, deadline=time.perf_counter() + 2.0)
    assert 0.9 < clock.take(0.5) <= 1.0  # half of the 2 s left, not half of the 10 s limit
    assert 0.9 < clock.take(0.25) <= 1.0  # half of what is left: 0.25 of the 0.5 unspent
    assert 1.8 < clock.take(0.25) <= 2.0  # the last solve: all that is left
    late = Shares(10.0, deadline=time.perf_counter() - 1.0)
    assert late.take(0.5) == LEAST_SOLVE_S


def test_an_engine_search_by_the_clock_stops_at_its_deadline() -> None:
    """A search phase by the clock stops at its share of the search time or at the deadline, whichever
    comes first; repeatable, the deadline plays no part."""
    import time

    from patrolplan import _pyvrp_engine as engine

    now = time.perf_counter()
    soon = engine._Budget(time_limit=10.0, iterations=0, repeatable=False, deadline=now + 0.05)
    later = engine._Budget(time_limit=10.0, iterations=0, repeatable=False, deadline=now + 60.0)
    stop_soon, stop_later = soon.stop(0.5), later.stop(0.5)
    assert not stop_soon(0.0)  # the first call starts the clock
    assert not stop_later(0.0)
    time.sleep(0.1)
    assert stop_soon(0.0)  # past the deadline
    assert not stop_later(0.0)  # 5 s, half of the 10 s, not yet
    repeatable = engine._Budget(time_limit=10.0, iterations=1000, repeatable=True, deadline=now - 1.0)
    criterion = repeatable.stop(0.5)
    assert not criterion(0.0)  # by iterations: 500 to go


# the full polish's order (OR-Tools' greedy descent) and the quick one's (2-opt)
@pytest.mark.parametrize("order_of", ["_descent_order", "two_opt"])
def test_engine_polish_by_the_clock_leaves_the_routes_past_its_deadline(order_of: str) -> None:
    """Routes reached after the deadline keep their order; before it, they are polished."""
    import time

    from patrolplan import _pyvrp_engine as engine

    data = _circle_data()
    crossing = [0, 4, 1, 5, 2, 6, 3, 7]
    order = getattr(engine, order_of)
    [(_k, late)] = engine._reordered(data, [[0]], [(0, crossing)], order, time.perf_counter() - 1.0)
    assert late == crossing
    [(_k, polished)] = engine._reordered(data, [[0]], [(0, crossing)], order, time.perf_counter() + 60.0)
    assert pyvrp.Route(data, polished, 0).distance() < pyvrp.Route(data, crossing, 0).distance()


def test_a_repair_makes_room_for_a_pinned_visit_by_moving_a_free_one_to_another_day() -> None:
    """A hot spot pinned to a day whose only route is full is not lost: visits that may go on any day
    leave that route for another day's, and the hot spot takes their place."""
    from patrolplan import _pyvrp_engine as engine
    from patrolplan._repair import repair, retime
    from patrolplan.routing import _riders, _visits

    problem, rides, _n = _long_week(per_day=1)
    riders_ = _riders(problem, rides)
    visits, _dropped = _visits(problem, {}, {}, None)
    row = problem.matrix.index
    hot = next(v for v, visit in enumerate(visits) if visit.days == (0,))
    free = [v for v, visit in enumerate(visits) if len(visit.days) > 1]

    def ridden(vs: Sequence[int]) -> tuple[list[tuple[int, int, int]], int] | None:
        return retime(problem, visits, riders_[0], [(v, visits[v].gates[0]) for v in vs])

    # visits of any day on the first day's one rider while they fit, leaving no time for the hot spot
    loaded: list[int] = []
    for v in free:
        if ridden([*loaded, v]) is not None:
            loaded.append(v)
    free = loaded
    plan = ridden(free)
    assert plan is not None
    assert riders_[0].end_s - plan[1] < visits[hot].dwell_s
    alts = [engine.Alternative(v, row(visits[v].gates[0]), None, visits[v].dwell_s, None) for v in free]
    alts.append(engine.Alternative(hot, row(visits[hot].gates[0]), 0, visits[hot].dwell_s, None))
    # the hot spot last: the route is over its shift, and the repair cuts the hot spot
    full = engine.EngineRoute(vehicle=0, stops=tuple((a, 0) for a in range(len(alts))), end_s=0)
    repaired = repair(problem, riders_, visits, alts, [full])
    made = Counter(v for stops, _end in repaired.values() for v, _gate, _t in stops)
    assert made == Counter([*free, hot])
    assert hot in {v for v, _gate, _t in repaired[0][0]}  # on its own day
    assert any(riders_[k].day_index != 0 for k in repaired)  # free visits moved to another day
    for k, (stops, end) in repaired.items():
        assert all(riders_[k].day_index in visits[v].days for v, _gate, _t in stops)
        assert retime(problem, visits, riders_[k], [(v, gate) for v, gate, _t in stops]) == (stops, end)


def test_balance_evens_a_week_whose_far_end_is_a_long_trip() -> None:
    """Ten officers a day on a 4 km strip: the trip out to the far end and back is longer than a fair share
    of a day's metres, so the balance caps begin at that trip. Every visit is made, the rules kept, and by
    its own objective (metres plus the officer imbalance) the plan beats the one of metres alone."""
    from patrolplan.routing import _riders, _score

    problem, rides, n_visits = _long_week(per_day=10)
    assert problem.options.balance_weight == 1.0
    by_metres = WeekProblem(
        problem.district,
        problem.staff,
        WEEK,
        options=dataclasses.replace(problem.options, balance_weight=0.0),
    )
    balanced = plan_routes(problem, {}, rides, time_limit=2.0, seed=0)
    plain = plan_routes(by_metres, {}, rides, time_limit=2.0, seed=0)
    for result in (balanced, plain):
        assert result.dropped == ()
        assert verify(problem, result, {}) == []
        assert sum(len(r.stops) for r in result.routes) == n_visits
    ridden = _riders(problem, rides)
    # measured: 193,680 against 215,440 (seed 0)
    assert _score(balanced, ridden, 1.0)[1] < 0.95 * _score(plain, ridden, 1.0)[1]


def test_a_large_week_is_split_only_while_its_search_is_short_for_its_size() -> None:
    """Halves serve a search of few iterations per visit; with more, the whole week searches better
    (the benchmark's weeks: 200 courtyards are split at 1 s only, 1,000 courtyards up to 10 s)."""
    from patrolplan import _pyvrp_engine

    assert _pyvrp_engine.splits(240, 12, 3, 1.0)
    assert not _pyvrp_engine.splits(240, 12, 3, 2.0)
    assert not _pyvrp_engine.splits(240, 12, 3, 5.0)
    assert _pyvrp_engine.splits(1200, 60, 3, 5.0)
    assert _pyvrp_engine.splits(1200, 60, 3, 10.0)
    assert not _pyvrp_engine.splits(1200, 60, 3, 30.0)
    assert not _pyvrp_engine.splits(1200, 3, 3, 1.0)  # a rider a day: nothing to share
    assert not _pyvrp_engine.splits(150, 12, 3, 0.5)  # a small week is searched whole


def test_a_split_weeks_start_is_inserted_in_halves_that_hold_every_visit() -> None:
    """The start of a split week: each day's riders and the visits cut in two along the strip, every visit
    placed once by a rider of its own half; a day with a single rider is not cut."""
    from patrolplan._week_model import Nodes
    from patrolplan.routing import _insert_in_parts, _riders, _visits, _week_halves

    problem, rides, n_visits = _long_week()
    riders_ = _riders(problem, rides)
    visits, dropped = _visits(problem, {}, {}, None)
    assert not dropped
    assert len(visits) == n_visits
    nodes = Nodes.of(problem, visits)
    parts = _week_halves(problem, riders_, nodes)
    assert sorted(k for ks, _vs in parts for k in ks) == list(range(len(riders_)))
    assert sorted(v for _ks, vs in parts for v in vs) == list(range(len(visits)))
    for ks, _vs in parts:  # each half rides on every day
        assert {riders_[k].day_index for k in ks} == set(range(len(problem.duty_dates)))
    start = _insert_in_parts(problem, riders_, visits, {}, nodes, parts)
    made = Counter(v for stops, _end in start.values() for v, _gate, _t in stops)
    assert made == Counter(range(len(visits)))
    half_of = {k: p for p, (ks, _vs) in enumerate(parts) for k in ks}
    for k, (stops, _end) in start.items():
        assert all(v in parts[half_of[k]][1] for v, _gate, _t in stops)
    lone, lone_rides, _n = _long_week(per_day=1)
    assert _week_halves(lone, _riders(lone, lone_rides), nodes) == []


def test_a_repair_puts_what_it_cuts_on_a_route_with_room() -> None:
    """An engine route over its shift is shortened, and each visit cut goes to a rider of its own day with
    room: nothing is lost that fits elsewhere, and every route keeps its shift."""
    from patrolplan import _pyvrp_engine as engine
    from patrolplan._repair import repair, retime
    from patrolplan.routing import _riders, _visits

    problem, rides, _n = _long_week()
    riders_ = _riders(problem, rides)
    visits, _dropped = _visits(problem, {}, {}, None)
    row = problem.matrix.index
    # forty visits of any day, all on the first rider: 200 minutes of dwell alone, in a three-hour shift
    free = [v for v, visit in enumerate(visits) if len(visit.days) > 1][:40]
    alts = [engine.Alternative(v, row(visits[v].gates[0]), None, visits[v].dwell_s, None) for v in free]
    too_long = engine.EngineRoute(vehicle=0, stops=tuple((a, 0) for a in range(len(alts))), end_s=0)
    repaired = repair(problem, riders_, visits, alts, [too_long])
    made = Counter(v for stops, _end in repaired.values() for v, _gate, _t in stops)
    assert made == Counter(free)
    assert len(repaired[0][0]) < len(free)  # the first rider was cut short ...
    assert len(repaired) > 1  # ... and the rest went to riders with room
    for k, (stops, end) in repaired.items():
        assert all(riders_[k].day_index in visits[v].days for v, _gate, _t in stops)
        assert retime(problem, visits, riders_[k], [(v, gate) for v, gate, _t in stops]) == (stops, end)
        assert end <= riders_[k].end_s


def _engine_data(n: int, groups: Sequence[Sequence[int]] = (), days: Sequence[int | None] = ()) -> pyvrp.ProblemData:
    """A PyVRP model of ``n`` random clients around one depot (no time windows), with ``groups``.

    ``days`` pins clients to one of two days as the engine does (a unit in
    that day's dimension, which only that day's vehicles carry; ``None`` is
    free).
    """
    rng = np.random.default_rng(n)
    xy = rng.uniform(0, 5000, (n + 1, 2))
    metres = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    grouped = {c: g for g, members in enumerate(groups) for c in members}
    pinned = list(days) + [None] * (n - len(days))
    dims = 2 if days else 0
    delivery = [[int(day == d) for d in range(dims)] for day in pinned]
    types = [pyvrp.VehicleType(num_available=2, capacity=[n * int(d == e) for e in range(dims)]) for d in range(dims)]
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0, y=0) for _ in range(n + 1)],
        clients=[
            pyvrp.Client(location=i + 1, delivery=delivery[i], required=i not in grouped, group=grouped.get(i))
            for i in range(n)
        ],
        depots=[pyvrp.Depot(location=0)],
        vehicle_types=types or [pyvrp.VehicleType(num_available=2)],
        distance_matrices=[metres],
        duration_matrices=[metres],
        groups=[pyvrp.ClientGroup(clients=list(members)) for members in groups],
    )


def test_engine_neighbours_are_pyvrps_nearest_clients() -> None:
    """Our numpy neighbourhood is PyVRP's own: the same nearest clients, in the same order."""
    from pyvrp.search import NeighbourhoodParams, compute_neighbours

    from patrolplan import _pyvrp_engine

    data = _engine_data(80)
    ours = {a.idx: [b.idx for b in near] for a, near in _pyvrp_engine._neighbours(data, 12).items()}
    params = NeighbourhoodParams(num_neighbours=12)
    theirs = {a.idx: [b.idx for b in near] for a, near in compute_neighbours(data, params).items()}
    assert ours == theirs
    assert all(len(near) == 12 and i not in near for i, near in ours.items())


def test_engine_neighbours_leave_out_the_client_itself_and_its_alternatives() -> None:
    """A small week has fewer possible neighbours than asked: never the client itself or a group-mate."""
    from patrolplan import _pyvrp_engine

    data = _engine_data(5, groups=[(0, 1, 2)])
    near = {a.idx: [b.idx for b in found] for a, found in _pyvrp_engine._neighbours(data, 20).items()}
    assert sorted(near[0]) == [3, 4]
    assert sorted(near[3]) == [0, 1, 2, 4]
    assert all(i not in found for i, found in near.items())


def test_engine_neighbours_leave_out_clients_pinned_to_other_days() -> None:
    """No route holds two clients pinned to different days, so neither is in the other's neighbours; a free
    client neighbours every other."""
    from patrolplan import _pyvrp_engine

    data = _engine_data(6, days=[0, 0, 1, 1, None, None])
    near = {a.idx: sorted(b.idx for b in found) for a, found in _pyvrp_engine._neighbours(data, 20).items()}
    assert near == {0: [1, 4, 5], 1: [0, 4, 5], 2: [3, 4, 5], 3: [2, 4, 5], 4: [0, 1, 2, 3, 5], 5: [0, 1, 2, 3, 4]}


def test_a_kept_balanced_try_that_idles_an_officer_again_gives_those_days_their_own_share() -> None:
    """After a kept capped try, the next try gives its own cap to every day an officer is idle on, the
    first plan's idle days too; none when the kept plan idles nobody."""
    from patrolplan._pyvrp_week import _idle_again, _idle_in
    from patrolplan.routing import _riders

    first_idle = {0: {"P02"}, 1: {"P03"}}
    assert _idle_again(first_idle, {2: {"P04"}}) == {0: {"P02"}, 1: {"P03"}, 2: {"P04"}}
    assert _idle_again(first_idle, {}) == {}
    problem = WeekProblem(load_district(), load_staff(), WEEK)
    rides = riders(problem)
    riders_ = _riders(problem, rides)
    tuesday, wednesday, _thursday = problem.duty_dates
    # every officer rides on Tuesday, one of two on Wednesday, nobody on Thursday (no one idle beside a rider)
    riding = [k for k, r in enumerate(riders_) if r.day_index == 0 or r.officer == rides[wednesday][0]]
    assert len(rides[tuesday]) == len(rides[wednesday]) == 2
    assert _idle_in(riders_, riding) == {1: {rides[wednesday][1]}}


def _worked_search(budget_step_moves: float, seed: int = 1) -> tuple[int, int, int]:
    """A real iterated local search of 60 clients stopped by a repeatable budget's phase of at least 40
    iterations; how many it ran, the moves its local search evaluated, and the distance it reached."""
    from pyvrp import PenaltyManager
    from pyvrp.search import LocalSearch, PerturbationManager

    from patrolplan import _pyvrp_engine as engine

    data = _engine_data(60)
    params = engine.search_params(40, 30.0)
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    local = LocalSearch(data, rng, engine._neighbours(data, 20), PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            local.add_operator(op(data))
    counted = engine._Counted(local)
    penalties = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    best = counted(pyvrp.Solution.make_random(data, rng), penalties.max_cost_evaluator(), exhaustive=True)
    before = counted.moves
    budget = engine._Budget(time_limit=60.0, iterations=100, repeatable=True, step_moves=budget_step_moves)
    stop = budget.stop(0.4, 40, counted)
    ran = 0

    def tally(cost: int) -> bool:
        nonlocal ran
        if stop(cost):
            return True
        ran += 1
        return False

    found = pyvrp.IteratedLocalSearch(data, penalties, counted, best, params.ils).run(tally, collect_stats=False)
    return ran, counted.moves - before, found.best.distance()


def test_a_repeatable_search_runs_its_iterations_then_on_by_its_moves_up_to_twice_them() -> None:
    """A repeatable phase stops by work, which repeats: never before its iterations, then on until its local
    search has evaluated the moves its share of the budget holds (cheap iterations run more), at most twice its
    iterations. Without a count of moves a step, by iterations alone."""
    by_iterations = _worked_search(0.0)
    assert by_iterations[0] == 40
    least_moves = by_iterations[1]
    assert least_moves > 0
    assert _worked_search(least_moves / 40 / 2)[0] == 40  # the moves came before the iterations ended
    assert _worked_search(1e12)[0] == 80  # the moves never came: twice the iterations
    # half as many moves again as 40 iterations evaluated: the search runs on until it has them
    ran, moves, metres = _worked_search(1.5 * least_moves / 40)
    assert 40 < ran < 80
    assert moves >= 1.5 * least_moves
    assert _worked_search(1.5 * least_moves / 40) == (ran, moves, metres)  # the same work and plan again


def test_engine_portfolio_keeps_the_better_of_its_two_searches_and_repeats() -> None:
    """A long whole-week search runs twice side by side, from the start and from a random plan, each with its own
    seed and budget: the plan is the better of the two runs alone, complete, and the same on a second call."""
    from patrolplan import _pyvrp_engine as engine

    data = _engine_data(60)
    members = [[0, 1]]  # one vehicle type with two vehicles
    start = [(0, list(range(30))), (1, list(range(30, 60)))]
    budget = engine._Budget(time_limit=10.0, iterations=400, repeatable=True)
    for seed in (2, 3):  # seed 2: the run from a random plan is the better one; seed 3: the run from the start
        plan = engine._portfolio(data, members, start, budget, seed)
        assert plan == engine._portfolio(data, members, start, budget, seed)
        runs = [(start, seed), ([], seed + engine._SECOND_SEED)]
        share = engine._PORTFOLIO_SHARE
        alone = [engine._search(data, members, s, budget, share, k, long_run=True) for s, k in runs]
        ranks = [engine._rank(data, members, p) for p in alone]
        assert ranks[0] != ranks[1]
        assert engine._rank(data, members, plan) == min(ranks)
    assert sorted(c for _k, stops in plan for c in stops) == list(range(60))


def _circle_data(windows: Mapping[int, tuple[int, int]] | None = None) -> pyvrp.ProblemData:
    """Eight clients on a circle of 1,000 m around the depot; one metre takes one second."""
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    xy = np.vstack([[0.0, 0.0], np.c_[1000 * np.cos(angles), 1000 * np.sin(angles)]])
    metres = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    tw = [(windows or {}).get(i, (0, 10**9)) for i in range(8)]
    clients = [pyvrp.Client(location=i + 1, tw_early=tw[i][0], tw_late=tw[i][1]) for i in range(8)]
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0, y=0) for _ in range(9)],
        clients=clients,
        depots=[pyvrp.Depot(location=0)],
        vehicle_types=[pyvrp.VehicleType(num_available=1)],
        distance_matrices=[metres],
        duration_matrices=[metres],
    )


# the final polish (OR-Tools' greedy descent per route) and a hurried search's quick one (2-opt in numpy)
@pytest.mark.parametrize("polish", ["_polish", "_untangle"])
def test_engine_polish_uncrosses_a_route_but_never_breaks_a_window(polish: str) -> None:
    """The polish reorders a route that crosses itself into the circle, and never trades a window for metres."""
    from patrolplan import _pyvrp_engine as engine

    reorder = getattr(engine, polish)
    data = _circle_data()
    crossing = [0, 4, 1, 5, 2, 6, 3, 7]
    [(vehicle, polished)] = reorder(data, [[0]], [(0, crossing)])
    assert vehicle == 0
    assert sorted(polished) == list(range(8))
    circle = pyvrp.Route(data, list(range(8)), 0).distance()
    assert pyvrp.Route(data, polished, 0).distance() == circle < pyvrp.Route(data, crossing, 0).distance()

    # client 0 first and client 4, across the circle, right after it: the circle breaks the window of 4
    data = _circle_data({0: (0, 1100), 4: (0, 3200)})
    given = [0, 4, 5, 6, 7, 3, 2, 1]
    assert pyvrp.Route(data, given, 0).is_feasible()
    [(_vehicle, kept)] = reorder(data, [[0]], [(0, given)])
    route = pyvrp.Route(data, kept, 0)
    assert route.is_feasible()
    assert route.distance() <= pyvrp.Route(data, given, 0).distance()
    assert kept[:2] == [0, 4]


def _tour_metres(metres: np.ndarray, sites: list[int]) -> int:
    tour = [0, *sites, 0]
    return int(sum(metres[a, b] for a, b in itertools.pairwise(tour)))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9), st.integers(0, 2**32 - 1), st.booleans())
def test_two_opt_never_rides_longer_and_no_single_reversal_is_left_to_save(
    n_sites: int, seed: int, one_way: bool
) -> None:
    """On any matrix, also one that differs by direction, 2-opt returns an order of the same sites that rides
    no longer, from which no reversal of a stretch (ridden backwards) saves a metre."""
    from patrolplan._pyvrp_engine import two_opt

    rng = np.random.default_rng(seed)
    metres = rng.integers(1, 1000, size=(n_sites + 1, n_sites + 1)).astype(np.int64)
    if not one_way:
        metres = np.minimum(metres, metres.T)
    np.fill_diagonal(metres, 0)
    sites = list(range(1, n_sites + 1))
    order = two_opt(metres, sites)
    assert sorted(order) == list(range(n_sites))
    found = [sites[p] for p in order]
    assert _tour_metres(metres, found) <= _tour_metres(metres, sites)
    for i in range(len(found)):
        for j in range(i + 2, len(found) + 1):
            reversed_ = found[:i] + found[i:j][::-1] + found[j:]
            assert _tour_metres(metres, reversed_) >= _tour_metres(metres, found)


# ---------------------------------------------------------------------- random small districts
@st.composite
def small_weeks(draw: st.DrawFn) -> tuple[WeekProblem, dict[dt.date, list[str]], dict[dt.date, list[str]]]:
    n = draw(st.integers(3, 8))
    coords = draw(st.lists(st.tuples(st.integers(0, 800), st.integers(0, 800)), min_size=n + 1, max_size=n + 1))
    district = District.from_points(np.array(coords, dtype=float), speed_mps=draw(st.sampled_from([1.0, 4.0])))
    yards = list(district.courtyards)
    hot = draw(st.sets(st.integers(0, n - 1), max_size=2))
    for i in hot:
        yards[i] = dataclasses.replace(yards[i], hot_spot=True)
    if draw(st.booleans()):
        i = draw(st.integers(0, n - 1))
        yards[i] = dataclasses.replace(yards[i], dwell_s=draw(st.integers(0, 1800)))
    if draw(st.booleans()):  # a gate open at one or two times of the day (several windows: one alternative each)
        i = draw(st.integers(0, n - 1))
        opens = [draw(st.integers(32, 44)) * 15]  # minutes after midnight, 08:00-11:00
        if draw(st.booleans()):
            opens.append(draw(st.integers(52, 64)) * 15)  # 13:00-16:00
        width = draw(st.integers(1, 8)) * 15
        windows = tuple((dt.time(m // 60, m % 60), dt.time((m + width) // 60, (m + width) % 60)) for m in opens)
        yards[i] = dataclasses.replace(yards[i], time_windows=windows)
    district = district.with_courtyards(yards)
    minutes = draw(st.integers(5, 240))
    start = dt.datetime(2026, 1, 1, 9, 0)
    shifts = (Shift.parse("s", f"{start:%H:%M}", f"{start + dt.timedelta(minutes=minutes):%H:%M}"),)
    if draw(st.booleans()):  # an afternoon shift after a lunch break, maybe ridden as one route around it
        shifts = (*shifts, Shift.parse("t", "14:00", f"{14 + draw(st.integers(1, 3))}:00"))
    n_days = draw(st.integers(1, 3))
    per_day = draw(st.integers(1, 2))
    opts = PlanOptions(
        duty_days=tuple(range(1, 1 + n_days)),
        shifts=shifts,
        ride_each_shift=len(shifts) == 1 or draw(st.booleans()),
        officers_per_day=per_day,
        specialists_per_day=0,
        desks_per_day=draw(st.integers(0, 1)),
        dwell_s=draw(st.integers(0, 900)),
        hot_spot_dwell_s=draw(st.integers(0, 900)),
        balance_weight=draw(st.sampled_from([0.0, 1.0])),
        rotation_weight=0.0,
    )
    ids = [f"P{k}" for k in range(per_day + 1)]
    problem = WeekProblem(district, officers(*ids), WEEK, options=opts)
    rides = {d: ids[:per_day] for d in problem.duty_dates}  # noqa: C420
    if draw(st.booleans()):  # someone off on the first day, maybe nobody rides at all
        rides[problem.duty_dates[0]] = []
    desks = {}
    if opts.desks_per_day:
        desks = {d: [yards[draw(st.integers(0, n - 1))].id] for d in problem.duty_dates}
    return problem, desks, rides


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_weeks())
def test_random_small_weeks_pass_the_checker_or_name_a_cause(
    week: tuple[WeekProblem, dict[dt.date, list[str]], dict[dt.date, list[str]]],
) -> None:
    """Every plan of a random small week keeps the rules (missing visits listed), or the error names the cause."""
    problem, desks, rides = week
    try:
        result = plan_routes(problem, desks, rides, time_limit=0.3, seed=0)
    except InfeasibleWeekError as exc:
        assert str(problem.week) in str(exc)  # noqa: PT017
        assert re.search(r"no patrol officer|no plan", str(exc))  # noqa: PT017
        assert not any(rides.values()) or "no plan" in str(exc)  # noqa: PT017
        return
    assert any(rides.values())
    assert verify(problem, result, desks) == []
    for d in result.dropped:
        assert d.reason
        assert _TIME_NEEDED.search(d.reason) or re.search("reach|days|time windows", d.reason), d.reason
    # a week with plenty of time (one shift, no windows) leaves nothing out
    if len(problem.options.shifts) > 1 or any(y.time_windows for y in problem.courtyards):
        return
    slack = min(s.seconds for s in problem.options.shifts)
    diameter = 2 * int(problem.matrix.seconds.max())
    heaviest = max(problem.dwell_s(y) for y in problem.courtyards)
    total = (
        sum(problem.dwell_s(y) * problem.visits(y) for y in problem.courtyards)
        + diameter * (len(problem.courtyards) + 2)
        + problem.options.desk_dwell_s * len(problem.duty_dates)
    )
    if all(rides.values()) and slack >= total and heaviest + diameter <= slack:
        assert result.dropped == (), [d.reason for d in result.dropped]
    assert math.isfinite(result.objective)


def test_auto_engine_is_never_worse_than_ortools_alone(week_plan) -> None:  # type: ignore[no-untyped-def]
    """The default portfolio keeps the better plan: never more dropped visits, nor more metres plus imbalance."""
    from patrolplan.routing import _riders, _score

    problem, desks, result = week_plan
    alone = plan_routes(problem, desks, riders(problem), time_limit=3, seed=0, engine="ortools")
    ridden = _riders(problem, riders(problem))
    weight = problem.options.balance_weight
    assert _score(result, ridden, weight)[:2] <= _score(alone, ridden, weight)[:2]


def test_engine_counts_visits_and_places_not_alternatives() -> None:
    """A visit's alternatives are one visit; those at one gate (start windows) are one place, gates are places.

    The neighbour count and the long-route switch follow visits and places, so that a
    week ridden around lunch (two windows at every gate) searches like one without.
    """
    from patrolplan import _pyvrp_engine as engine

    metres = np.array([[0, 400, 500, 520], [400, 0, 300, 310], [500, 300, 0, 40], [520, 310, 40, 0]], dtype=np.int64)
    alternatives = [
        engine.Alternative(visit=0, site=1, day=None, dwell_s=300, tw=(0, 3600)),  # two start windows, one gate
        engine.Alternative(visit=0, site=1, day=None, dwell_s=300, tw=(7200, 9000)),
        engine.Alternative(visit=1, site=2, day=None, dwell_s=300, tw=None),  # two gates
        engine.Alternative(visit=1, site=3, day=None, dwell_s=300, tw=None),
        engine.Alternative(visit=2, site=3, day=None, dwell_s=300, tw=None),  # shares a gate, but is its own visit
    ]
    week = engine._Week(metres, [metres], 0, alternatives, 3, [(0, 0, 10_800)], None, 1, False)
    data, _members = week.build(list(range(5)), [0])
    assert engine._num_visits(data) == 3
    assert engine._num_places(data) == 4
    assert engine._visits_per_vehicle(data) == 3.0
    assert engine._num_neighbours(data) == round(engine._SHORT_RUN_NEIGHBOURS * 5 / 4)
    assert engine._num_neighbours(data, long_run=True) == round(engine._LONG_RUN_NEIGHBOURS * 5 / 4)


@pytest.mark.parametrize("weight", [1.0, 0.0])
def test_a_visit_put_back_goes_where_the_planners_score_gains_most(weight: float) -> None:
    """A visit cut from a route goes back by metres plus the weighted officer imbalance: balanced, to the
    officer who stays under the day's busiest even if that rides more; by metres alone, to the cheapest
    place, on the busiest officer's route."""
    from patrolplan._pyvrp_week import balance_score
    from patrolplan._repair import insert, retime
    from patrolplan.routing import _riders, _visits

    problem, rides, _n = _long_week(per_day=2)
    problem = WeekProblem(
        problem.district,
        problem.staff,
        WEEK,
        options=dataclasses.replace(problem.options, balance_weight=weight),
    )
    riders_ = _riders(problem, rides)
    visits, _dropped = _visits(problem, {}, {}, None)
    metres, row = problem.matrix.metres, problem.matrix.index
    office = row(problem.district.office)
    first, second = (k for k, r in enumerate(riders_) if r.day_index == 0)
    free = [v for v, visit in enumerate(visits) if len(visit.days) > 1]
    far = sorted(free, key=lambda v: -int(metres[office, row(visits[v].gates[0])]))
    # the busiest officer rides out to the far end; the other rides a short loop near the office
    busy, out = far[:6], far[6]
    near = sorted(free, key=lambda v: int(metres[office, row(visits[v].gates[0])]))[:3]

    def ridden(k: int, vs: Sequence[int]) -> tuple[list[tuple[int, int, int]], int]:
        timed = retime(problem, visits, riders_[k], [(v, visits[v].gates[0]) for v in vs])
        assert timed is not None
        return timed

    start = {first: ridden(first, busy), second: ridden(second, near)}
    plans = dict(start)
    assert insert(problem, riders_, visits, plans, out)
    on = next(k for k, (stops, _end) in plans.items() if out in {v for v, _g, _t in stops})
    assert on == (second if weight else first)
    # no place on either route (both have time for it) scores lower
    after = balance_score(problem, riders_, plans, weight)
    for k, seq in ((first, busy), (second, near)):
        for i in range(len(seq) + 1):
            elsewhere = {**start, k: ridden(k, [*seq[:i], out, *seq[i:]])}
            assert after <= balance_score(problem, riders_, elsewhere, weight)


def test_the_last_balanced_search_may_idle_an_officer_only_for_a_lower_score() -> None:
    """The plan of the last balanced search replaces the kept one when it rides less and scores lower, even
    with an officer left idle; under the same score (the same longest route, at the default weight) it may
    not idle an officer who rode."""
    from patrolplan._pyvrp_week import balance_score, rides_less
    from patrolplan._repair import retime
    from patrolplan.routing import _riders, _visits

    problem, rides, _n = _long_week(per_day=3)
    assert problem.options.balance_weight == 1.0
    riders_ = _riders(problem, rides)
    visits, _dropped = _visits(problem, {}, {}, None)
    a, b, c = (k for k, r in enumerate(riders_) if r.day_index == 0)
    metres, row = problem.matrix.metres, problem.matrix.index
    office = row(problem.district.office)
    free = [v for v, visit in enumerate(visits) if len(visit.days) > 1]
    x, y, p, *_rest, far = sorted(free, key=lambda v: int(metres[office, row(visits[v].gates[0])]))

    def ridden(k: int, vs: Sequence[int]) -> tuple[list[tuple[int, int, int]], int]:
        timed = retime(problem, visits, riders_[k], [(v, visits[v].gates[0]) for v in vs])
        assert timed is not None
        return timed

    def score(plans: dict[int, tuple[list[tuple[int, int, int]], int]], weight: float = 1.0) -> float:
        return balance_score(problem, riders_, plans, weight)

    # three officers ride: one out to the far end by way of p, two out and back to one near visit each
    kept = {a: ridden(a, [p, far]), b: ridden(b, [x]), c: ridden(c, [y])}
    # the same longest route, the two near visits on one officer's route: fewer metres, the same score
    tie = {a: ridden(a, [p, far]), b: ridden(b, [x, y])}
    assert score(tie, 0.0) < score(kept, 0.0)
    assert score(tie) == score(kept)
    assert not rides_less(problem, riders_, kept, tie)
    # the far end straight out and back, p with the near visits: a shorter longest route, a lower score
    lower = {a: ridden(a, [far]), b: ridden(b, [x, y, p])}
    assert score(lower, 0.0) < score(kept, 0.0)
    assert score(lower) < score(kept)
    assert rides_less(problem, riders_, kept, lower)
