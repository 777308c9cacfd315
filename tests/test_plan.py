"""plan_week end to end on the embedded district: coverage, checker, plan.json, determinism, re-planning."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.resources
import json

import jsonschema
import pytest

import patrolplan as pp
from patrolplan.routing import Route


@pytest.fixture(scope="module")
def problem() -> pp.WeekProblem:
    return pp.WeekProblem(pp.load_district(), pp.load_staff(), "2026-W49", hot_spots=["Chunhui"])


@pytest.fixture(scope="module")
def plan(problem: pp.WeekProblem) -> pp.Plan:
    return pp.plan_week(problem, params=pp.SolveParams(time_limit=3, seed=0))


def test_plan_covers_every_courtyard_and_passes_check(plan: pp.Plan) -> None:
    """Every courtyard is visited, nothing is dropped, and the independent checker finds nothing."""
    assert plan.check() == []
    assert plan.dropped == ()
    assert plan.coverage() == 1.0
    assert plan.is_feasible()


def test_hot_spot_is_visited_every_duty_day(plan: pp.Plan) -> None:
    """A hot spot named in the problem gets a patrol visit on each duty day."""
    chunhui = plan.problem.district.courtyard("Chunhui")
    days = {r.date for r in plan.routes for s in r.stops if s.courtyard == chunhui.id and s.purpose == "patrol"}
    assert days == set(plan.problem.duty_dates)


def test_each_day_patrol_passes_the_desk(plan: pp.Plan) -> None:
    """The patrol of each duty day stops at that day's desk courtyard."""
    for desk in plan.desks:
        assert any(
            s.courtyard == desk.courtyard and s.purpose == "desk" for r in plan.routes_on(desk.date) for s in r.stops
        )


def test_plan_json_matches_the_shipped_schema(plan: pp.Plan) -> None:
    """plan.json validates against the JSON Schema in the package and keeps the contract keys."""
    schema_text = importlib.resources.files("patrolplan").joinpath("schemas", "plan.schema.json").read_text("utf-8")
    doc = json.loads(plan.to_json_text())
    jsonschema.validate(doc, json.loads(schema_text))
    assert doc["schema"] == "patrolplan/plan@1"
    assert doc["totals"]["distance_m"] == sum(r["distance_m"] for r in doc["routes"])
    assert {r["role"] for r in doc["roster"]} == {"patrol", "specialist"}
    assert doc["solve"]["engine"] == "auto"  # what was asked ...
    assert doc["solve"]["engine_used"] == plan.engine  # ... and whose routes won
    assert plan.engine in ("pyvrp", "ortools")


def test_same_inputs_and_seed_give_the_same_plan(problem: pp.WeekProblem, plan: pp.Plan) -> None:
    """Planning again with the same seed gives an identical plan.json (timing aside)."""
    again = pp.plan_week(problem, params=pp.SolveParams(time_limit=3, seed=0))
    assert again.to_json() == plan.to_json()


def test_check_finds_a_path_that_leaves_the_streets(plan: pp.Plan) -> None:
    """The checker is independent: a route whose path skips a street segment is reported."""
    route = plan.routes[0]
    broken: Route = dataclasses.replace(route, path=(route.path[0], *route.path[2:]))
    bad = dataclasses.replace(plan, routes=(broken, *plan.routes[1:]))
    problems = bad.check()
    assert any("not a street segment" in p or "does not pass gate" in p for p in problems)


def test_check_finds_a_stop_outside_the_shift(plan: pp.Plan) -> None:
    """Moving a stop to lunch time is reported as outside the shifts."""
    route = plan.routes[0]
    lunch = dt.datetime.combine(route.date, dt.time(12, 30))
    stop = dataclasses.replace(route.stops[0], arrive=lunch, depart=lunch + dt.timedelta(minutes=5))
    bad = dataclasses.replace(
        plan, routes=(dataclasses.replace(route, stops=(stop, *route.stops[1:])), *plan.routes[1:])
    )
    assert any("not inside a shift" in p for p in bad.check())


def test_too_short_shift_drops_visits_with_a_reason() -> None:
    """With a 20-minute shift the plan leaves visits out, and says why (time needed against time available)."""
    opts = pp.PlanOptions(shifts=(pp.Shift.parse("short", "09:00", "09:20"),))
    problem = pp.WeekProblem(pp.load_district(), pp.load_staff(), "2026-W49", options=opts)
    plan = pp.plan_week(problem, params=pp.SolveParams(time_limit=2, seed=0))
    assert plan.dropped
    assert all(d.reason for d in plan.dropped)
    assert any("min" in d.reason for d in plan.dropped)
    assert not plan.is_feasible()
    assert plan.check() == []  # what is left out is listed, so nothing is dropped silently


def test_replan_with_an_absent_officer_changes_only_that_day_onwards(plan: pp.Plan) -> None:
    """An officer falling ill on Wednesday keeps Tuesday as it was and moves only that officer's duties."""
    wednesday = plan.problem.duty_dates[1]
    officer = plan.roster.officers(wednesday)[0]
    new, changes = pp.replan(plan, from_date=wednesday, absent=[officer], params=pp.SolveParams(time_limit=3, seed=0))
    assert new.check() == []
    tuesday = plan.problem.duty_dates[0]
    assert new.routes_on(tuesday) == plan.routes_on(tuesday)
    assert officer not in {e.staff for e in new.roster.entries if e.date >= wednesday}
    assert changes["people_moved"] >= 1
    assert set(changes) == {"people_moved", "desks_moved", "stops_moved"}


def test_bad_week_string_raises_invalid_week() -> None:
    """A week that does not exist is refused with a message that says how to write one."""
    with pytest.raises(pp.InvalidWeekError, match="2026-W99 does not exist"):
        pp.WeekProblem(pp.load_district(), pp.load_staff(), "2026-W99")


def test_plan_read_back_from_its_json_is_the_same_plan(plan: pp.Plan) -> None:
    """Plan.from_json rebuilds a saved plan: same document, and it still passes the checker."""
    again = pp.Plan.from_json(plan.to_json(), plan.problem)
    assert again.to_json() == plan.to_json()
    assert again.check() == []


def test_plan_json_of_another_week_is_refused(plan: pp.Plan) -> None:
    """A saved plan is only read back against the same week and community."""
    doc = dict(plan.to_json(), week="2026-W50")
    with pytest.raises(pp.InvalidInputError, match="the saved plan is for"):
        pp.Plan.from_json(doc, plan.problem)


def test_every_rostered_officer_rides_each_duty_day(plan: pp.Plan) -> None:
    """Balance: on the default district no rostered patrol officer is left without a route (weight 1)."""
    for date in plan.problem.duty_dates:
        riding = {r.rider for r in plan.routes_on(date)}
        assert set(plan.roster.officers(date)) == riding
