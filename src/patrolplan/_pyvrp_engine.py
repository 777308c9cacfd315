"""The PyVRP engine for the patrol routes (used by ``routing`` where the week's rules fit it).

PyVRP's iterated local search reaches better routes than a plain OR-Tools
model at the same budget (see ``docs/benchmarks.md``), and it stops after a
fixed amount of work, so the same inputs and seed give the same routes on any
machine: an iteration budget sized to the limit, run on where its iterations
come cheap in evaluated moves (:class:`_Work`). The week maps onto it like this:

- one vehicle type per (duty day, shift), as many vehicles as officers ride;
- one capacity dimension per duty day: a visit pinned to a day delivers one
  unit in that day's dimension, and only that day's vehicles carry it; a
  visit free to fall on any duty day delivers nothing, so any rider may take it;
- a visit with several gates (or several allowed days) is a mutually
  exclusive client group of its alternatives;
- one routing profile per duty day, whose distances carry the rotation
  surcharge for that weekday;
- every visit is required when the start (OR-Tools' cheapest insertion) holds
  them all; otherwise each is optional with a large prize, so one that cannot
  fit is left out (and reported) instead of making the whole week infeasible.

Both cores work. A large week whose search is short for its size (fewer than
:data:`_SPLIT_BELOW_PACE` iterations per visit: 1,000 courtyards up to 10 s,
200 courtyards at 1 s) is split in two halves that are searched at the same
time, one per core (PyVRP releases the GIL while it searches), in two or three
rounds, then joined and searched as a whole; see :func:`_split_search`. Any
other large week, and every week with 10 s or more, is searched whole twice
side by side, from the start and from a random plan, with the settings of a
long search, and the better plan is kept; see :func:`_portfolio`. Last, each
route's own order is polished by OR-Tools' local search, which has the
in-route moves PyVRP's search lacks; see :func:`_polish`.

The search always gets at least :data:`_SEARCH_FLOOR` of the limit. A large
week whose setup would leave it less (1,000 courtyards at 1 s to 5 s) has its
start inserted in halves too (``routing``; :func:`start_in_halves`), and a
search left with only the floor (:func:`hurried`) gets a quicker polish, each
route's crossings undone in numpy (:func:`_untangle`).
"""

from __future__ import annotations

import concurrent.futures
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pyvrp import Activity, ActivityType, PenaltyManager
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.search import LocalSearch, NeighbourhoodParams, PerturbationManager, PerturbationParams, compute_neighbours
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

__all__ = ["Alternative", "EngineRoute", "solve_pyvrp", "start_in_halves"]

_PRIZE = 10_000_000
_BIG = 10**9

# share of the time limit that the iteration budget fills on an idle machine
_BUDGET_SHARE = 0.75
# a week with at least this many visits is split in two halves searched side by side (visits, not
# alternatives: the default week ridden as whole days around lunch has 160 alternatives, a gate and
# a shift each, of 51 visits; cut in halves of three routes it rode 15,279 m at 5 s, whole 11,917 m)
_SPLIT_FROM = 160
# ... when its search is short for its size: fewer than this many iterations of the budget
# (:func:`iterations_for`) per visit. Halves then help (1,000 courtyards, seeds 0-5 at 5 s, 1.5 an
# iteration a visit: 380,502 m against 386,614 m whole; seeds 0-11 at 10 s, 3.7: 374,985 against
# 376,557 m); with more the whole week, searched twice side by side (:func:`_portfolio`), does as
# well or better (500 courtyards at 5 s, 5.2: 140,368 m whole against 140,381 m; 200 courtyards,
# seeds 0-23, at 5 s, 24: 41,280 against 41,421 m; seeds 0-11 at 2 s, 9: 41,547 against 41,641 m;
# 1,000 courtyards at 30 s, 15: 371,295 against 373,498 m at stop 12)
_SPLIT_BELOW_PACE = 5.0
# rounds of halves (each a share of the budget per half); the rest goes to the joined week
_PART_SHARE = 0.3
_ROUNDS = 2
# ... a third round from this time limit: with 2.5 s or 5 s the halves gain more than the joined
# week's search they replace (1,000 courtyards, 5 s, seeds 0-8: 382,016 m against 383,923 m in two
# rounds; 2.5 s, seeds 0-5: 392,582 against 396,643 m; 200 courtyards: the same within 0.1 %); with
# 1 s or 1.5 s the joined week needs its share (1,000 courtyards, 1 s: 405,880 against 398,926 m)
_THIRD_ROUND_FROM_S = 2.0
# the search gets at least this share of the limit, even when the setup (model and start) leaves less:
# such a week is late anyway, and search is what improves it. 1,000 courtyards at 1 s, seeds 0-17,
# with the start inserted in halves: 395,298 m in 1.2-1.9 s (0.55, no polish); 392,931 m in 1.6-2.4 s
# (0.8, no polish); stop 14's whole-week start, 0.2 and the polish, 400,419 m in 1.5-2.4 s
_SEARCH_FLOOR = 0.55
# no search phase is cut by the clock sooner than this (:func:`runtime_cap`)
_LEAST_CAP_S = 1.0
# by the clock (not repeatable), no search phase gets less than this
_LEAST_SEARCH_S = 0.01
# about how long polishing a route takes (:func:`_polish`: an OR-Tools model each, 0.15-0.27 s for the
# 60 routes of 1,000 courtyards; :func:`_untangle`: 0.007-0.014 s), kept from a search by the clock
_POLISH_S_PER_ROUTE = 0.0045
_UNTANGLE_S_PER_ROUTE = 0.0003
# a split week's start is inserted in halves (see ``routing``), in about this share of the whole week's time
_SPLIT_SETUP = 0.7
# routes this long (visits per vehicle: a whole TSPLIB tour for one rider) search with PyVRP's defaults
_LONG_ROUTE = 40
# a whole-week search with at least this time limit, or of a large week (:data:`_SPLIT_FROM`) of
# required visits not split, runs as a portfolio of two (:func:`_portfolio`) ...
_PORTFOLIO_FROM_S = 10.0
# ... each search with this share of the iteration budget (two searches at once run slower than one) ...
_PORTFOLIO_SHARE = 0.8
# ... the second with the seed this far from the first
_SECOND_SEED = 1_000_003
# every search perturbs up to this many moves (PyVRP's default), not the 15 the budget is counted in ...
_PERTURBATIONS = 25
# ... a short search (a split week's, or a small week's under 10 s) looks at this many neighbours per client,
# a long one (:func:`_portfolio`'s) at fewer ...
_SHORT_RUN_NEIGHBOURS = 30
_LONG_RUN_NEIGHBOURS = 20
# ... counted in places: a visit with alternatives at one gate (days, start windows) gets more, up to this many
_MOST_NEIGHBOURS = 60
# ... and each runs this share of the budget's iterations, which are counted in steps of 20 neighbours and
# at most 15 moves (:func:`iterations_for`): a larger step costs more. A short one costs about twice as
# much (1,000 courtyards at 5 s, seeds 0-17, half the iterations: the same processor time, 0.5 % shorter) ...
_SHORT_RUN_ITERATIONS = 0.5
# ... a long one (20 neighbours) about 1.45 times as much (15 s searches at 200 courtyards, two at once:
# 14,000-21,000 iterations against 25,000-37,000), so its time stays the same
_LONG_RUN_ITERATIONS = 0.7
# a repeatable search runs its iterations, then on until it has evaluated about as many moves as the weeks
# the budget was fitted on evaluate in them (:func:`step_moves`), up to this many times its iterations
_MOST_WORK = 2.0

# a route as (vehicle index, alternative indices in visiting order)
Plan = list[tuple[int, list[int]]]


def search_params(iterations: int, visits_per_vehicle: float, *, long_run: bool = False) -> pyvrp.SolveParams:
    """PyVRP's search settings for a run of about ``iterations`` iterations (``long_run``: :func:`_portfolio`'s).

    PyVRP's defaults suit long runs on benchmark instances. Our runs are
    seconds and our routes short (a shift holds 10 to 30 visits), so the search
    looks at fewer neighbours per client (30 in a short run, 20 in a long one,
    instead of 50) and keeps a late-acceptance history that grows with the run
    (50 to 300 iterations, PyVRP's default). Measured on the synthetic 200-
    and 1,000-courtyard weeks of ``benchmarks/bench_routing.py``, where a week
    with 20 neighbours and at most 15 moves a perturbation reached in 1.5 s
    what the defaults reach in 5 s (stop 10). Larger perturbations (up to 25
    moves, PyVRP's default) then proved better at the same processor time: in
    long runs (:func:`_portfolio`), which settle early with 15 (single 15 s
    searches at 200 courtyards, seeds 0-5: 41,205 m against 41,391 m; 41,309 m
    with 40 moves), and in short ones together with 30 neighbours and half the
    iterations (:data:`_SHORT_RUN_ITERATIONS`; seeds 0-8, the same processor
    time within 5 %: 1,000 courtyards at 5 s 381,178 m against 383,144 m, at
    1 s 393,799 against 396,145 m; 200 courtyards at 5 s 41,442 against
    41,636 m, at 1 s 41,938 against 42,086 m). Long routes (one rider for a
    whole TSPLIB tour) search better with the defaults.
    """
    if visits_per_vehicle >= _LONG_ROUTE:
        return pyvrp.SolveParams()
    return pyvrp.SolveParams(
        ils=pyvrp.IteratedLocalSearchParams(history_length=int(min(300, max(50, iterations // 150)))),
        perturbation=PerturbationParams(1, _PERTURBATIONS),
        neighbourhood=NeighbourhoodParams(num_neighbours=_LONG_RUN_NEIGHBOURS if long_run else _SHORT_RUN_NEIGHBOURS),
    )


def iteration_share(visits_per_vehicle: float, *, long_run: bool = False) -> float:
    """The share of the budget's iterations (:func:`iterations_for`) a search with :func:`search_params` runs.

    The budget counts steps of 20 neighbours and at most 15 moves; the
    larger steps of :func:`search_params` cost more each. Long routes search
    with PyVRP's defaults, whose rate the budget already counts.
    """
    if visits_per_vehicle >= _LONG_ROUTE:
        return 1.0
    return _LONG_RUN_ITERATIONS if long_run else _SHORT_RUN_ITERATIONS


@dataclass(frozen=True)
class Alternative:
    """One way to make a visit: a gate site on a day, with its dwell and time window."""

    visit: int
    site: int  # row of the travel matrix
    day: int | None  # the day it is pinned to; None = any duty day
    dwell_s: int
    tw: tuple[int, int] | None


@dataclass(frozen=True)
class EngineRoute:
    """A solved route: which rider-vehicle, and its stops as (alternative index, arrival)."""

    vehicle: int
    stops: tuple[tuple[int, int], ...]
    end_s: int


def splits(n_visits: int, n_vehicles: int, n_days: int, time_limit: float, *, required: bool = True) -> bool:
    """Whether the week is searched in halves (:func:`_split_search`): a large week, a short search, riders to share.

    The search is short when the budget gives fewer than
    :data:`_SPLIT_BELOW_PACE` iterations per visit: 1,000 courtyards up to
    10 s, 200 courtyards at 1 s; 200 courtyards from 2 s and 1,000 at 30 s are
    searched whole. A week whose visits are optional (``required`` false: its
    start came from a model without its windows or lunch, see ``routing``) is
    split under :data:`_PORTFOLIO_FROM_S` whatever its pace: the 200-courtyard
    weeks of ``benchmarks/bench_windows.py`` at 5 s, seeds 0-3, rode 41,272 m
    (lunch) and 43,402 m (windows) in halves against 43,187 and 43,949 m whole.
    """
    if n_visits < _SPLIT_FROM or n_vehicles < 2 * n_days:
        return False
    if not required:
        return time_limit < _PORTFOLIO_FROM_S
    return iterations_for(time_limit, n_visits) < _SPLIT_BELOW_PACE * n_visits


def start_in_halves(n_visits: int, n_vehicles: int, n_days: int, time_limit: float) -> bool:
    """Whether a split week's start is inserted in halves too (``routing``): when its time matters.

    That is when the whole week's setup would leave the search less than its
    floor (1,000 courtyards at 1 s and 5 s). A half's start is a little worse
    (1,000 courtyards at 1 s, seeds 0-5, the same iterations: 401,027 against
    398,926 m) but takes half the time (0.44 s against 0.82 s), which the
    search gets; at 200 courtyards the whole week's insertion takes 0.04 s and
    stays.
    """
    return splits(n_visits, n_vehicles, n_days, time_limit) and hurried(time_limit, n_visits)


def setup_seconds(n_clients: int, *, split: bool = False) -> float:
    """About how long building the model and the cheapest-insertion start take (``split``: in halves)."""
    n = max(48.0, float(n_clients))
    return float(1.3 * (n / 1200.0) ** 1.5 * (_SPLIT_SETUP if split else 1.0))


def hurried(time_limit: float, n_clients: int, *, split: bool = False) -> bool:
    """Whether the setup leaves the search less than :data:`_SEARCH_FLOOR` of the limit.

    Such a search gets the floor, and the quick polish (:func:`_untangle`)
    instead of the full one (:func:`_polish`): at 1,000 courtyards and 1 s the
    full polish's 0.27 s buy more as search (start in halves, seeds 0-17:
    395,298 m in 1.2-1.9 s with 0.55 of the limit and no polish, 394,998 m in
    1.4-2.3 s with 0.5 and the polish).
    """
    return _BUDGET_SHARE * time_limit - setup_seconds(n_clients, split=split) < _SEARCH_FLOOR * time_limit


def iterations_for(
    time_limit: float, n_clients: int, *, required: bool = True, long_routes: bool = False, split: bool = False
) -> int:
    """A fixed search budget (iterations) that fits the time limit on a 2-core machine.

    The budget counts steps of 20 neighbours and at most 15 moves a
    perturbation; a search with the larger steps of :func:`search_params`
    runs :func:`iteration_share` of them. Measured on the ``benchmarks``
    machine (2026-11-29, median of 3 runs, with such steps and every visit
    required): about
    ``1650 * (217 / n) ** 0.55`` iterations a second in a 5 s run (4,350 at 48
    clients, 1,600 at 240, 680 at 1,200); in 30 s runs about 1.3 times that at
    240 and 1,200 clients (the search speeds up as it settles: fewer new bests,
    each of which costs a full local search), but not at 48; half that with
    optional visits; 0.7 times that for ``long_routes`` (one rider riding 51 to
    100 TSPLIB cities, searched with PyVRP's defaults: 2,500 a second at 51,
    2,000 at 100). Before the search, building the model and the
    cheapest-insertion start take about ``1.3 * (n / 1200) ** 1.5`` seconds
    (:func:`setup_seconds`; less when the start is inserted in halves, ``split``).
    The budget fills :data:`_BUDGET_SHARE` of the limit at that rate, and at
    least :data:`_SEARCH_FLOOR` of it whatever the setup took, so the run
    ends by iterations, not by the clock, and the same inputs and seed give the
    same routes on any machine up to about twice as slow; the runtime cap
    (:func:`runtime_cap`) only guards against one slower still. A week whose
    iterations evaluate fewer moves than these (:func:`step_moves`), and so
    cost less, runs more of them (:class:`_Work`). (This machine's
    own speed drifts: a fixed Python loop took 1.22 to 2.13 s in six runs a few
    seconds apart, so a run's wall time varies by as much.)
    """
    n = max(48.0, float(n_clients))  # measured from 48 clients up; smaller weeks are not faster
    per_second = 1650.0 * (217.0 / n) ** 0.55 * _settling(time_limit, n)
    if not required:
        per_second /= 2
    if long_routes:
        per_second *= 0.7
    seconds = max(_SEARCH_FLOOR * time_limit, _BUDGET_SHARE * time_limit - setup_seconds(n_clients, split=split))
    return max(100, int(seconds * per_second))


def _settling(time_limit: float, n: float) -> float:
    """How much faster a long search iterates than a 5 s one (:func:`iterations_for`): fewer new bests."""
    return float(max(1.0, time_limit / 5.0) ** (0.15 * min(1.0, n / 200.0)))


def step_moves(time_limit: float, n_clients: int) -> float:
    """About how many moves the local search evaluates a step of the budget (:func:`iterations_for`), as fitted.

    An iteration costs what its moves cost: a move took 61-65 ns in the 30 s
    searches of both 1,000-courtyard weeks, the point cloud's and the street
    network's, yet the point cloud's evaluated 12,400-12,900 moves a step and
    the street network's 8,800, so the street network's iterations took 0.76
    ms against 1.12-1.15 ms. Measured (2026-12-06, seed 0) on the point clouds
    the budget was fitted on: at 5 s 12,000-23,000 a step at 1,200 places
    (16,000 in the mean), 4,300 at 76 (the default district); at 30 s, where
    a search iterates faster as it settles, 12,400-12,900 at 1,200 and 8,700
    at 240. About ``17000 * (n / 1200) ** 0.4`` over the settling of
    :func:`iterations_for`; :class:`_Work` runs a search on to that many.
    """
    n = max(48.0, float(n_clients))
    return float(17_000.0 * (n / 1200.0) ** 0.4 / _settling(time_limit, n))


def runtime_cap(time_limit: float) -> float:
    """Wall-clock cap of a solve: twice its share, and at least :data:`_LEAST_CAP_S`, so load rarely makes it
    stop by the clock.

    The floor is for the shares of a short limit: a search's fixed costs (a
    full local search at each new best) do not shrink with the limit. With
    0.3 s for a 216-visit week its phases took 0.012-0.109 s against caps of
    0.04-0.12 s, and under load a cut one left the plan to the clock.
    """
    return max(2.0 * time_limit, _LEAST_CAP_S)


@dataclass(frozen=True)
class _Week:
    """Everything needed to build the PyVRP model of the week, or of a part of it."""

    seconds: npt.NDArray[np.int64]
    metres_by_day: Sequence[npt.NDArray[np.int64]]
    office_site: int
    alternatives: Sequence[Alternative]
    n_visits: int
    vehicles: Sequence[tuple[int, int, int]]
    max_distance: Sequence[int] | None
    n_days: int
    required: bool
    trip_costs: Sequence[int] | None = None

    def build(self, alts: Sequence[int], vehicles: Sequence[int]) -> tuple[pyvrp.ProblemData, list[list[int]]]:
        """The model over these alternatives and vehicles; also each vehicle type's vehicles.

        Client ``i`` of the model is alternative ``alts[i]``.
        """
        n_profiles = len(self.metres_by_day)  # one per duty day, or one shared when they are all the same
        # locations: the office, then each alternative's own copy of its site
        idx = np.array([self.office_site] + [self.alternatives[a].site for a in alts])
        durations = np.minimum(self.seconds[np.ix_(idx, idx)], _BIG).astype(np.int64)
        distances = [np.minimum(m[np.ix_(idx, idx)], _BIG).astype(np.int64) for m in self.metres_by_day]
        by_visit: dict[int, list[int]] = {}
        for i, a in enumerate(alts):
            by_visit.setdefault(self.alternatives[a].visit, []).append(i)
        groups: list[pyvrp.ClientGroup] = []
        group_of: dict[int, int] = {}
        for members in by_visit.values():
            if len(members) > 1:
                for m in members:
                    group_of[m] = len(groups)
                groups.append(pyvrp.ClientGroup(clients=list(members), required=self.required))
        clients = []
        for i, a in enumerate(alts):
            alt = self.alternatives[a]
            delivery = [0] * self.n_days
            if alt.day is not None:
                delivery[alt.day] = 1
            early, late = alt.tw if alt.tw is not None else (0, _BIG)
            clients.append(
                pyvrp.Client(
                    location=i + 1,
                    delivery=delivery,
                    service_duration=alt.dwell_s,
                    tw_early=early,
                    tw_late=late,
                    prize=0 if self.required else _PRIZE,
                    # a group's members are optional; the group itself is required
                    required=self.required and i not in group_of,
                    group=group_of.get(i),
                )
            )
        # one vehicle type per (day, start, end) with as many vehicles as riders
        kinds: dict[tuple[int, int, int, int], list[int]] = {}
        for k in vehicles:
            kinds.setdefault((*self.vehicles[k], self.trip_costs[k] if self.trip_costs else 0), []).append(k)
        types = []
        for (day, start, end, cost), members in kinds.items():
            capacity = [0] * self.n_days
            capacity[day] = self.n_visits + 1
            types.append(
                pyvrp.VehicleType(
                    num_available=len(members),
                    capacity=capacity,
                    tw_early=start,
                    tw_late=end,
                    shift_duration=end - start,
                    max_distance=_BIG if self.max_distance is None else int(self.max_distance[day]),
                    fixed_cost=cost,
                    profile=day if n_profiles > 1 else 0,
                )
            )
        data = pyvrp.ProblemData(
            locations=[pyvrp.Location(x=0, y=0) for _ in idx],
            clients=clients,
            depots=[pyvrp.Depot(location=0)],
            vehicle_types=types,
            distance_matrices=distances,
            duration_matrices=[durations] * n_profiles,
            groups=groups,
        )
        return data, list(kinds.values())


def solve_pyvrp(
    *,
    seconds: npt.NDArray[np.int64],
    metres_by_day: Sequence[npt.NDArray[np.int64]],
    office_site: int,
    alternatives: Sequence[Alternative],
    n_visits: int,
    vehicles: Sequence[tuple[int, int, int]],
    max_distance: Sequence[int] | None,
    n_days: int,
    time_limit: float,
    seed: int,
    repeatable: bool = True,
    warm: Sequence[tuple[int, Sequence[int]]] = (),
    required: bool = False,
    trip_costs: Sequence[int] | None = None,
) -> list[EngineRoute]:
    """Solve with PyVRP; ``vehicles`` are (day, start_s, end_s), one per rider.

    ``repeatable`` stops by a fixed iteration budget (same routes on any
    machine); otherwise the search uses the whole ``time_limit``.
    ``warm`` is a start: (vehicle, alternative indices) per route.
    ``required`` makes every visit required (when ``warm`` is known to hold
    them all); otherwise each is optional with a large prize, so that one that
    cannot fit is left out instead of leaving the whole week infeasible.
    ``trip_costs`` (per vehicle, in metres) is what using that vehicle costs
    the search on top of its ride.
    Required visits search about twice as fast: PyVRP then skips its
    insert and remove moves for optional clients.

    By the clock the solve ends by ``time_limit`` from its call: the
    searches share what the model and start leave, less the polish's
    time (:func:`_polish_seconds`).

    Returns one :class:`EngineRoute` per used vehicle (index into ``vehicles``).
    """
    deadline = time.perf_counter() + time_limit
    week = _Week(
        seconds,
        metres_by_day,
        office_site,
        alternatives,
        n_visits,
        vehicles,
        max_distance,
        n_days,
        required,
        trip_costs,
    )
    everything = list(range(len(alternatives)))
    data, members = week.build(everything, list(range(len(vehicles))))
    long_routes = _visits_per_vehicle(data) >= _LONG_ROUTE
    split = splits(n_visits, len(vehicles), n_days, time_limit, required=required)
    halves = start_in_halves(n_visits, len(vehicles), n_days, time_limit)
    # the search's pace follows the places to go: a visit's alternatives at one gate (its days, its start
    # windows) cost about one. The 200-courtyard week around lunch, 480 alternatives at 240 places, searched
    # 1.4 s of a 5 s limit counted as 480, 1.6-1.9 s counted as 240 (3.5 s with the neighbours its windows
    # add, :func:`_num_neighbours`); gates are places of their own
    places = _num_places(data)
    iterations = iterations_for(time_limit, places, required=required, long_routes=long_routes, split=halves)
    hurry = hurried(time_limit, len(alternatives), split=halves)
    if repeatable:
        budget = _Budget(time_limit, iterations, repeatable, step_moves=step_moves(time_limit, places))
    else:
        # by the clock: the searches get what is left once the polish has its time
        end = deadline - _polish_seconds(len(vehicles), quick=hurry)
        budget = _Budget(max(_LEAST_SEARCH_S, end - time.perf_counter()), iterations, repeatable, end)
    start = [(k, list(stops)) for k, stops in warm if stops]
    with warnings.catch_warnings():
        # with optional visits, a week that cannot hold them all is expected (PyVRP
        # warns as its penalties climb); the ones left out are reported by the caller
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        if split:
            plan = _split_search(week, data, members, start, budget, seed, halved_start=halves)
        elif time_limit >= _PORTFOLIO_FROM_S or (required and n_visits >= _SPLIT_FROM):
            plan = _portfolio(data, members, start, budget, seed)
        else:
            plan = _search(data, members, start, budget, 1.0, seed)
    if hurry:
        plan = _untangle(data, members, plan)
    else:
        plan = _polish(data, members, plan, deadline=None if repeatable else deadline)
    return _engine_routes(data, members, plan)


def _polish_seconds(n_vehicles: int, *, quick: bool) -> float:
    """About how long polishing this many routes takes: :func:`_polish`, or ``quick``, :func:`_untangle`."""
    return n_vehicles * (_UNTANGLE_S_PER_ROUTE if quick else _POLISH_S_PER_ROUTE)


@dataclass(frozen=True)
class _Budget:
    """A solve's budget: iterations (repeatable) or the clock, shared among its phases.

    By the clock, ``time_limit`` is what the searches share, and no phase
    runs past ``deadline`` (a :func:`time.perf_counter` time): the last phase
    gets what the others' setups left of it.
    """

    time_limit: float
    iterations: int
    repeatable: bool
    deadline: float | None = None
    # repeatable: the moves a step of ``iterations`` evaluates where the budget was fitted (:func:`step_moves`);
    # 0 counts iterations alone
    step_moves: float = 0.0

    def stop(self, share: float, iterations: int | None = None, work: _Counted | None = None) -> Any:
        """Stop after ``iterations`` (by default ``share`` of the budget's); by the clock, at ``share`` of the limit.

        Repeatable, a search whose moves ``work`` counts runs on by :class:`_Work`.
        """
        if self.repeatable:
            least = max(1, int(share * self.iterations) if iterations is None else iterations)
            moves = int(share * self.iterations * self.step_moves)
            done = MaxIterations(least) if work is None or not moves else _Work(work, least, moves)
            return MultipleCriteria([done, MaxRuntime(runtime_cap(share * self.time_limit))])
        seconds = share * self.time_limit
        if self.deadline is not None:
            seconds = min(seconds, self.deadline - time.perf_counter())
        return MaxRuntime(max(_LEAST_SEARCH_S, seconds))


class _Counted:
    """A local search that counts the moves it evaluates (PyVRP's statistics count one call's)."""

    def __init__(self, search: LocalSearch) -> None:
        self.search = search
        self.moves = 0

    def __call__(self, solution: pyvrp.Solution, cost_evaluator: pyvrp.CostEvaluator, exhaustive: bool = False) -> Any:
        found = self.search(solution, cost_evaluator, exhaustive)
        self.moves += self.search.statistics.num_moves
        return found


class _Work:
    """Stops a repeatable search by the work it has done, not by the clock, so it repeats.

    The budget (:func:`iterations_for`) counts iterations, fitted on point
    clouds where a step evaluates about :func:`step_moves` moves. Where an
    iteration evaluates fewer, it costs less (a move costs about the same),
    and a search stopped by iterations ended early: on the 1,000-courtyard
    street network, after 2.2-3.1 s of 5 and 12.9-14.3 s of 30 (2026-11-30).
    So the search runs its ``least`` iterations, then on until its local
    search has evaluated ``moves`` moves (counted by :class:`_Counted`, the
    same in every run), and at most :data:`_MOST_WORK` times ``least``.
    """

    def __init__(self, counted: _Counted, least: int, moves: int) -> None:
        self.counted = counted
        self.least = least
        self.most = int(_MOST_WORK * least)
        self.moves = counted.moves + moves  # moves from here (the start's full local search is done)
        self.done = 0

    def __call__(self, best_cost: int) -> bool:
        self.done += 1
        if self.done > self.most:
            return True
        return self.done > self.least and self.counted.moves >= self.moves


def _split_search(
    week: _Week,
    data: pyvrp.ProblemData,
    members: list[list[int]],
    start: Plan,
    budget: _Budget,
    seed: int,
    *,
    halved_start: bool = False,
) -> Plan:
    """Search a large week in parts: two halves side by side, in two or three rounds, then the whole week.

    The routes are ordered by how far they ride from one end of the district
    (the visit farthest from the office) and each day's routes are cut in two
    halves; each half, with its routes' visits and vehicles, is a week of its
    own, searched on its own core. Halving the week more than doubles how far
    a search gets in the same time (the local search needs about as many
    iterations per client), and the two halves use both cores. A second round
    cuts the other way (the middle against the two ends), so that no seam of
    the first round stays unsearched; from :data:`_THIRD_ROUND_FROM_S` a third
    round cuts as the first did. The joined week is then searched whole,
    twice side by side with two seeds, and the better plan kept (two rounds,
    1,000 courtyards at 5 s, seeds 0-2: 382,383, 386,681 and 384,551 m against
    384,721, 386,681 and 384,551 m with one search).
    Every part has its own iteration budget and seed, so the plan does not
    depend on how the threads are scheduled.

    The start first gets a full local search of the whole week, unless it was
    inserted in halves (``halved_start``): each half's search begins with its
    own, so at 1,000 courtyards the whole week's repeated most of that work
    for 0.1-0.3 s (seeds 0-17 without it: 379,716 against 380,737 m at 5 s,
    393,793 against 394,350 m at 1 s; at 200 courtyards, where the start is
    inserted whole, it still pays: 41,442 against 41,540 m at 5 s).
    """
    rounds = _ROUNDS + 1 if budget.time_limit >= _THIRD_ROUND_FROM_S else _ROUNDS
    neighbours = _neighbours(data, _num_neighbours(data))
    plan = start
    if not (halved_start and start):
        plan = _search(data, members, start, budget, 0.0, seed, neighbours)  # a full local search only
    with concurrent.futures.ThreadPoolExecutor(max_workers=_workers()) as pool:
        for round_ in range(rounds):
            parts = _halves(week, plan, middle=round_ % 2 == 1)
            if any(not alts or not vehicles for alts, vehicles, _routes in parts):
                continue  # too few routes to cut
            jobs = [
                pool.submit(_search_part, week, alts, vehicles, routes, budget, seed + 1 + 2 * round_ + p)
                for p, (alts, vehicles, routes) in enumerate(parts)
            ]
            plan = [route for job in jobs for route in job.result()]
    # the whole week on both cores: the same joined plan, two seeds (the first is the search of a single core)
    runs = [(plan, seed), (plan, seed + _SECOND_SEED)]
    return _best_of(data, members, runs, budget, 1.0 - rounds * _PART_SHARE, neighbours)


def _portfolio(
    data: pyvrp.ProblemData, members: Sequence[Sequence[int]], start: Plan, budget: _Budget, seed: int
) -> Plan:
    """Two whole searches side by side, one per core: from ``start``, and from a random plan; the better wins.

    A long search settles in one basin: past mid-run a seed's result hardly
    moves, and where it settles depends on where it started (200 courtyards,
    30 s budget, seeds 0-5: 41,173-41,451 m from the cheapest-insertion start,
    41,045-41,521 m from PyVRP's random start). The second core, idle in a
    whole-week search, runs the other start with its own seed. Two searches
    at once run 1.2-1.5 times slower each than one alone, so by iterations
    each gets :data:`_PORTFOLIO_SHARE` of the budget; by the clock, the whole
    limit. Both search as long runs (larger perturbations, fewer iterations;
    see :func:`search_params`): 200 courtyards at 30 s, seeds 0-8, 41,110 m
    against 41,188 m; 1,000 courtyards, seeds 0-2, 368,042 against 368,496 m;
    also at 5 s, 200 courtyards, seeds 0-11: 41,245 m against 41,395 m with a
    short search's settings, 41,313 m with both from the start.
    """
    neighbours = _neighbours(data, _num_neighbours(data, long_run=True))
    share = _PORTFOLIO_SHARE if budget.repeatable else 1.0
    runs = [(start, seed), ([], seed + _SECOND_SEED)]
    return _best_of(data, members, runs, budget, share, neighbours, long_run=True)


def _best_of(
    data: pyvrp.ProblemData,
    members: Sequence[Sequence[int]],
    runs: Sequence[tuple[Plan, int]],
    budget: _Budget,
    share: float,
    neighbours: dict[Activity, list[Activity]],
    *,
    long_run: bool = False,
) -> Plan:
    """Searches from (start, seed) ``runs`` side by side, each with ``share`` of the budget; the best plan.

    ``long_run`` searches as in :func:`search_params`.

    Every search always runs (one after the other on a single core), each
    stops by its own budget, and ties go to the first run, so the plan does
    not depend on the machine or on how the threads are scheduled.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=_workers()) as pool:
        # each search its own stopping criterion: they count the iterations they are asked about
        jobs = [pool.submit(_search, data, members, s, budget, share, k, neighbours, long_run) for s, k in runs]
        plans = [job.result() for job in jobs]
    return min(plans, key=lambda plan: _rank(data, members, plan))


def _rank(data: pyvrp.ProblemData, members: Sequence[Sequence[int]], plan: Plan) -> tuple[bool, int, int]:
    """How good a plan is: feasible first, then the fewest prizes left uncollected, then the shortest."""
    type_of = _type_of(members)
    solution = pyvrp.Solution(data, [pyvrp.Route(data, stops, type_of[k]) for k, stops in plan if stops])
    return (not solution.is_feasible(), solution.uncollected_prizes(), solution.distance())


def _workers() -> int:
    """Threads for searches that run side by side: one per core, at most two."""
    return max(1, min(2, os.cpu_count() or 1))


def _search_part(week: _Week, alts: list[int], vehicles: list[int], routes: Plan, budget: _Budget, seed: int) -> Plan:
    data, members = week.build(alts, vehicles)
    local = {a: i for i, a in enumerate(alts)}
    start = [(k, [local[a] for a in stops]) for k, stops in routes]
    found = _search(data, members, start, budget, _PART_SHARE, seed)
    return [(k, [alts[i] for i in stops]) for k, stops in found]


def _halves(week: _Week, plan: Plan, *, middle: bool) -> list[tuple[list[int], list[int], Plan]]:
    """Cut the week's routes (and its unrouted visits) into two parts, day by day.

    Parts are (alternatives, vehicles, routes). ``middle`` puts the middle
    half of each day's routes in one part and both ends in the other.
    """
    metres = week.metres_by_day[0]
    alts = week.alternatives
    sites = [a.site for a in alts]
    anchor = max(sites, key=lambda s: (int(metres[week.office_site, s]), s))  # one end of the district

    def reach(stops: Sequence[int]) -> float:
        return float(np.mean([metres[anchor, sites[a]] for a in stops]))

    part_of_vehicle: dict[int, int] = {}
    for day in range(week.n_days):
        ks = [k for k in range(len(week.vehicles)) if week.vehicles[k][0] == day]
        used = sorted(((reach(stops), k) for k, stops in plan if week.vehicles[k][0] == day and stops))
        order = [k for _r, k in used]
        routed = set(order)
        spare = [k for k in ks if k not in routed]
        n = len(order)
        for rank, k in enumerate(order):
            q = rank / max(1, n)
            part_of_vehicle[k] = int(0.25 <= q < 0.75) if middle else int(q >= 0.5)
        for i, k in enumerate(spare):
            part_of_vehicle[k] = i % 2
    part_alts: list[list[int]] = [[], []]
    visit_part: dict[int, int] = {}
    for k, stops in plan:
        for a in stops:
            visit_part[alts[a].visit] = part_of_vehicle[k]
    cut = float(np.median([reach(stops) for _k, stops in plan if stops])) if plan else 0.0
    for i, alt in enumerate(alts):
        if alt.visit not in visit_part:  # not routed: by where it lies
            visit_part[alt.visit] = int(float(metres[anchor, alt.site]) >= cut)
        part_alts[visit_part[alt.visit]].append(i)
    out = []
    for p in (0, 1):
        vehicles = sorted(k for k, q in part_of_vehicle.items() if q == p)
        out.append((part_alts[p], vehicles, [(k, stops) for k, stops in plan if part_of_vehicle[k] == p]))
    return out


def _search(
    data: pyvrp.ProblemData,
    members: Sequence[Sequence[int]],
    start: Plan,
    budget: _Budget,
    share: float,
    seed: int,
    neighbours: dict[Activity, list[Activity]] | None = None,
    long_run: bool = False,
) -> Plan:
    """PyVRP's iterated local search (set up as ``pyvrp.solve`` does) with ``share`` of the budget, from ``start``.

    The search runs :func:`iteration_share` of that share's iterations (by
    the clock: that share of the limit); with ``share`` 0, only the full
    local search of the start.

    ``start`` and the result are in the model's own client indices. ``pyvrp.solve``
    improves its own random start by a full local search before iterating, but takes
    a given start as it is; a start from cheapest insertion needs that search too,
    or the early iterations spend themselves on it. ``neighbours`` (of this
    ``data``) saves computing them again; ``long_run`` as in :func:`search_params`.
    """
    per_vehicle = _visits_per_vehicle(data)
    iterations = int(share * budget.iterations * iteration_share(per_vehicle, long_run=long_run))
    params = search_params(iterations, per_vehicle, long_run=long_run)
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    if neighbours is None:
        neighbours = _neighbours(data, _num_neighbours(data, long_run=long_run))
    local = LocalSearch(data, rng, neighbours, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            local.add_operator(op(data))
    search = _Counted(local)
    penalties = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    type_of = _type_of(members)
    routes = [pyvrp.Route(data, stops, type_of[k]) for k, stops in start if stops]
    initial = pyvrp.Solution(data, routes) if routes else pyvrp.Solution.make_random(data, rng)
    best = search(initial, penalties.max_cost_evaluator(), exhaustive=True)
    if iterations > 0:
        algorithm = pyvrp.IteratedLocalSearch(data, penalties, search, best, params.ils)
        best = algorithm.run(budget.stop(share, iterations, search), collect_stats=False).best
    return _as_plan(best, members)


def _polish(
    data: pyvrp.ProblemData, members: Sequence[Sequence[int]], plan: Plan, *, deadline: float | None = None
) -> Plan:
    """Each route's own order improved by OR-Tools' local search, kept where it rides shorter and still fits.

    PyVRP's default operators move or swap one or two visits, or swap the tails of two
    routes; none reverses a stretch of one route (2-opt) or runs a
    Lin-Kernighan chain. After a short search on a large week a route can
    still cross itself: 1,000 courtyards, 2,000 iterations, 0.36 % of the
    week's metres came off this way in 0.16 s for 60 routes. OR-Tools'
    greedy descent ends by itself, so the result repeats. A reordered route
    is kept only if PyVRP finds it feasible (shift, time windows, distance
    cap) and shorter. By the clock, routes still to polish at ``deadline``
    (a :func:`time.perf_counter` time) stay as they are.
    """
    return _reordered(data, members, plan, _descent_order, deadline)


def _reordered(
    data: pyvrp.ProblemData,
    members: Sequence[Sequence[int]],
    plan: Plan,
    order_of: Callable[[npt.NDArray[np.int64], Sequence[int]], list[int] | None],
    deadline: float | None = None,
) -> Plan:
    """Each route of three or more stops in ``order_of``'s order, where PyVRP finds it feasible and shorter.

    ``order_of`` takes the route's metres (office at 0) and its stops' sites,
    and gives a new order as positions into those sites (``None``: none found).
    Routes reached after ``deadline`` (a :func:`time.perf_counter` time) keep their order.
    """
    type_of = _type_of(members)
    out: Plan = []
    for k, stops in plan:
        vehicle_type = type_of[k]
        metres = np.asarray(data.distance_matrix(data.vehicle_type(vehicle_type).profile))
        late = deadline is not None and time.perf_counter() > deadline
        if late or len(stops) < 3 or (found := order_of(metres, [data.client(c).location for c in stops])) is None:
            out.append((k, stops))
            continue
        order = [stops[p] for p in found]
        after = pyvrp.Route(data, order, vehicle_type)
        shorter = after.is_feasible() and after.distance() < pyvrp.Route(data, stops, vehicle_type).distance()
        out.append((k, order if shorter else stops))
    return out


def _descent_order(metres: npt.NDArray[np.int64], sites: Sequence[int]) -> list[int] | None:
    """OR-Tools' greedy-descent order of a route office -> ``sites`` -> office, as positions into ``sites``."""
    nodes = [0, *sites]
    manager = pywrapcp.RoutingIndexManager(len(nodes), 1, 0)
    model = pywrapcp.RoutingModel(manager)
    cost = model.RegisterTransitMatrix(metres[np.ix_(nodes, nodes)].tolist())
    model.SetArcCostEvaluatorOfAllVehicles(cost)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.FromSeconds(5)  # a guard only: a route of 30 stops takes milliseconds
    current = model.ReadAssignmentFromRoutes([list(range(1, len(nodes)))], True)
    found = model.SolveFromAssignmentWithParameters(current, params)
    if found is None:
        return None
    order, index = [], model.Start(0)
    while not model.IsEnd(index := found.Value(model.NextVar(index))):
        order.append(manager.IndexToNode(index) - 1)
    return order


def _untangle(data: pyvrp.ProblemData, members: Sequence[Sequence[int]], plan: Plan) -> Plan:
    """Each route with its crossings undone (:func:`two_opt`), kept where it rides shorter and still fits.

    The quick polish of a hurried search, which has no time for :func:`_polish`
    (OR-Tools builds a model per route: 0.15-0.27 s for the 60 routes of
    1,000 courtyards). Reversing stretches of each route, every pair of
    stretches weighed at once in numpy, takes 0.007-0.014 s there and gets most
    of what the full polish gets (1,000 courtyards at 1 s, seeds 0-5: 511-818 m
    off the week, against 511-908 m in 0.16-0.22 s; seeds 0-8: 392,151 m
    against 392,868 m without either).
    """
    return _reordered(data, members, plan, two_opt)


def two_opt(metres: npt.NDArray[np.int64], sites: Sequence[int], office: int = 0) -> list[int]:
    """A better order of a route office -> ``sites`` -> office: positions into ``sites``, at a 2-opt optimum.

    Repeatedly reverses the stretch of the route whose reversal saves the most
    metres, until none saves any (or, as a guard, after as many reversals as
    the route has pairs of stops). The metres may differ by direction (one-way
    streets): a reversed stretch is costed as ridden backwards.
    """
    order = list(range(len(sites)))
    i, j = np.triu_indices(len(sites) + 1, k=1)  # the stretches: reverse tour[i + 1 .. j]
    for _move in range(len(sites) ** 2):
        tour = np.array([office, *(sites[p] for p in order), office])
        forward = np.concatenate(([0], np.cumsum(metres[tour[:-1], tour[1:]])))
        backward = np.concatenate(([0], np.cumsum(metres[tour[1:], tour[:-1]])))
        saved = (
            metres[tour[i], tour[i + 1]]
            + (forward[j] - forward[i + 1])
            + metres[tour[j], tour[j + 1]]
            - metres[tour[i], tour[j]]
            - (backward[j] - backward[i + 1])
            - metres[tour[i + 1], tour[j + 1]]
        )
        best = int(np.argmax(saved))
        if saved[best] <= 0:
            return order
        first, last = int(i[best]), int(j[best])  # tour position t is order position t - 1
        order[first:last] = order[first:last][::-1]
    return order


def _num_neighbours(data: pyvrp.ProblemData, *, long_run: bool = False) -> int:
    """How many neighbours per client this model's search looks at: :func:`search_params`' count, in places.

    A visit's alternatives at one gate (its days, its start windows) are
    copies of one place that crowd each other's neighbour lists, so the count
    grows with the alternatives per place, up to :data:`_MOST_NEIGHBOURS`.
    The 200-courtyard week around lunch (a morning and an afternoon
    alternative at each gate), seeds 0-5: 43,087 m at 1 s and 41,403 m at
    5 s with 60 neighbours, against 45,050 and 42,762 m with 30. Gates are
    places of their own: growing the count for them made the default week's
    score worse (14,599 against 14,520 at 1 s).
    """
    count = int(search_params(0, _visits_per_vehicle(data), long_run=long_run).neighbourhood.num_neighbours)
    return min(_MOST_NEIGHBOURS, round(count * data.num_clients / max(1, _num_places(data))))


def _num_places(data: pyvrp.ProblemData) -> int:
    """The model's distinct places: alternatives of one visit at no distance from each other are one."""
    metres = np.asarray(data.distance_matrix(0))
    copies = 0
    for group in data.groups():
        sites = [data.client(c).location for c in group.clients]
        copies += sum(1 for i, s in enumerate(sites) if any(metres[t, s] == 0 for t in sites[:i]))
    return int(data.num_clients - copies)


def _num_visits(data: pyvrp.ProblemData) -> int:
    """The model's visits: a group of alternatives is one."""
    return int(data.num_clients - sum(len(group.clients) for group in data.groups()) + data.num_groups)


def _visits_per_vehicle(data: pyvrp.ProblemData) -> float:
    """How many visits a vehicle of this model makes on average.

    Alternatives are not visits: the synthetic 200-courtyard week ridden as
    whole days around lunch has 480 alternatives (a visit in the morning or
    in the afternoon) for 12 riders, but 20 visits a route, not 40.
    """
    return _num_visits(data) / max(1, data.num_vehicles)


def _neighbours(data: pyvrp.ProblemData, k: int) -> dict[Activity, list[Activity]]:
    """Each client's ``k`` nearest other clients, the local search's granular neighbourhood.

    Without time windows PyVRP's proximity is the shortest distance either way
    between two clients (the smallest over the routing profiles), ties going
    to the lower index; numpy finds the same neighbours in the same order
    several times faster than PyVRP's ``compute_neighbours`` (about 40 ms
    against 170 ms for 1,200 clients), which matters in a 1 s budget. Two
    clients that can never share a route are not each other's neighbours:
    members of one group (the alternatives of one visit), which are never
    both routed, and clients pinned to different days (:func:`_apart`), such
    as a hot spot's visits on each duty day, all at one gate. On the
    1,000-courtyard weeks at 1 s, a quarter of whose clients are pinned, that
    rode less on four of five layouts (2026-12-06, seeds 0-8 or 0-5: street
    network 594,978 to 591,348 m). With time windows, PyVRP's own computation
    weighs the waiting and lateness between them, and its lists are kept as
    they are: taking such pairs out of them (or out of lists twice as long,
    keeping ``k``) moved the 200-courtyard weeks of
    ``benchmarks/bench_windows.py`` both ways (seeds 0-5, 1 s and 5 s: around
    lunch -0.8 % and -0.8 %, with windows +1.6 % and +1.2 %).
    """
    clients = data.clients()
    if any(c.tw_early > 0 or c.tw_late < _BIG for c in clients):
        return compute_neighbours(data, NeighbourhoodParams(num_neighbours=k))
    n = len(clients)
    k = min(k, n - 1)
    if k < 1:
        return {Activity(ActivityType.CLIENT, i): [] for i in range(n)}
    sites = np.array([c.location for c in clients])
    near = np.min([np.asarray(data.distance_matrix(p))[np.ix_(sites, sites)] for p in range(data.num_profiles)], axis=0)
    near = np.minimum(np.minimum(near, near.T), 2**40).astype(np.int64)
    # one key per pair, distance first and index second, so that there are no ties to break
    key = near * n + np.arange(n, dtype=np.int64)[None, :]
    never = np.int64(2**62)
    np.fill_diagonal(key, never)
    for group in data.groups():
        members = np.asarray(group.clients)
        key[np.ix_(members, members)] = never
    key[_apart(clients)] = never
    nearest = np.argpartition(key, k - 1, axis=1)[:, :k]
    keys = np.take_along_axis(key, nearest, axis=1)
    order = keys.argsort(axis=1)
    nearest = np.take_along_axis(nearest, order, axis=1)
    # a small week may have fewer than k others that can be neighbours (not itself, not a group-mate)
    allowed = np.take_along_axis(keys, order, axis=1) < never
    activity = [Activity(ActivityType.CLIENT, i) for i in range(n)]
    return {
        activity[i]: [activity[j] for j, ok in zip(row, oks, strict=True) if ok]
        for i, (row, oks) in enumerate(zip(nearest.tolist(), allowed.tolist(), strict=True))
    }


def _apart(clients: Sequence[pyvrp.Client]) -> npt.NDArray[np.bool_]:
    """Which pairs of clients are pinned to different days: no route can hold both.

    A client pinned to a day delivers one unit in that day's dimension, which
    only that day's vehicles carry (:meth:`_Week.build`); a free one delivers none.
    """
    day = np.array([int(np.argmax(c.delivery)) if any(c.delivery) else -1 for c in clients], dtype=np.int64)
    pinned = day >= 0
    return np.asarray(pinned[:, None] & pinned[None, :] & (day[:, None] != day[None, :]))


def _type_of(members: Sequence[Sequence[int]]) -> dict[int, int]:
    """Each vehicle's type in the model, from each type's vehicles."""
    return {k: t for t, ks in enumerate(members) for k in ks}


def _as_plan(solution: pyvrp.Solution, members: Sequence[Sequence[int]]) -> Plan:
    """A solution's routes as (vehicle, clients): a type's routes take its vehicles in order."""
    used = [0] * len(members)
    plan: Plan = []
    for route in solution.routes():
        t = route.vehicle_type()
        plan.append((members[t][used[t]], [int(act.idx) for act in route.schedule() if act.is_client()]))
        used[t] += 1
    return plan


def _engine_routes(data: pyvrp.ProblemData, members: Sequence[Sequence[int]], plan: Plan) -> list[EngineRoute]:
    """The plan's routes with PyVRP's schedule (arrivals); the caller repairs and re-times them.

    A short search may leave a route that breaks a group, a window, a day or
    a shift; the caller drops the offending stops and reports them.
    """
    type_of = _type_of(members)
    out = []
    for k, stops in plan:
        if not stops:
            continue
        route = pyvrp.Route(data, stops, type_of[k])
        arrivals = tuple((int(act.idx), int(act.start_time)) for act in route.schedule() if act.is_client())
        out.append(EngineRoute(k, arrivals, int(route.end_time())))
    return out
