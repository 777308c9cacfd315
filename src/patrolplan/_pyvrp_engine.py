"""The PyVRP engine for the patrol routes (used by ``routing`` where the week's rules fit it).

PyVRP's hybrid genetic search reaches better routes than a plain OR-Tools
model at the same budget (see ``docs/benchmarks.md``), and it stops after a
fixed number of iterations, so the same inputs and seed give the same routes
on any machine. The week maps onto it like this:

- one vehicle type per (duty day, shift), as many vehicles as officers ride;
- one capacity dimension per duty day: a visit pinned to a day delivers one
  unit in that day's dimension, and only that day's vehicles carry it; a
  visit free to fall on any duty day delivers nothing, so any rider may take it;
- a visit with several gates (or several allowed days) is a mutually
  exclusive client group of its alternatives;
- one routing profile per duty day, whose distances carry the rotation
  surcharge for that weekday;
- a visit is optional with a large prize, so one that cannot fit is left out
  (and reported) instead of making the whole week infeasible.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

__all__ = ["Alternative", "EngineRoute", "solve_pyvrp"]

_PRIZE = 10_000_000
_BIG = 10**9


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


def iterations_for(time_limit: float, n_clients: int) -> int:
    """A fixed search budget (iterations) that fits the time limit on a 2-core machine.

    Measured here under a load of about 3.5 on 2 cores (``benchmarks``
    machine): 633 iterations a second at 150 clients, 294 at 600, 118 at
    2,000, i.e. about ``633 * (150 / n) ** 0.65``. The budget takes 50 % of
    the limit at that loaded rate, so on an idle machine the run ends by
    iterations well before the clock, and the same inputs and seed give the
    same routes. The runtime cap (:func:`runtime_cap`) only guards against
    a machine far busier than that.
    """
    per_second = 633.0 * (150.0 / max(20.0, float(n_clients))) ** 0.65
    return max(100, int(0.5 * time_limit * per_second))


def runtime_cap(time_limit: float) -> float:
    """Wall-clock cap of a solve: twice its share, so load rarely makes it stop by the clock."""
    return 2.0 * time_limit


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
) -> list[EngineRoute]:
    """Solve with PyVRP; ``vehicles`` are (day, start_s, end_s), one per rider.

    ``repeatable`` stops by a fixed iteration budget (same routes on any
    machine); otherwise the search uses the whole ``time_limit``.

    Returns one :class:`EngineRoute` per used vehicle (index into ``vehicles``).
    """
    n_profiles = len(metres_by_day)  # one per duty day, or one shared when they are all the same
    # locations: the office, then each alternative's own copy of its site
    sites = [office_site] + [a.site for a in alternatives]
    idx = np.array(sites)
    durations = np.minimum(seconds[np.ix_(idx, idx)], _BIG).astype(np.int64)
    distances = [np.minimum(m[np.ix_(idx, idx)], _BIG).astype(np.int64) for m in metres_by_day]
    locations = [pyvrp.Location(x=0, y=0) for _ in sites]
    depot = pyvrp.Depot(location=0)

    by_visit: dict[int, list[int]] = {}
    for i, alt in enumerate(alternatives):
        by_visit.setdefault(alt.visit, []).append(i)
    groups: list[pyvrp.ClientGroup] = []
    group_of: dict[int, int] = {}
    for members in by_visit.values():
        if len(members) > 1:
            for m in members:
                group_of[m] = len(groups)
            groups.append(pyvrp.ClientGroup(clients=list(members), required=False))
    clients = []
    for i, alt in enumerate(alternatives):
        delivery = [0] * n_days
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
                prize=_PRIZE,
                required=False,
                group=group_of.get(i),
            )
        )
    # one vehicle type per (day, start, end) with as many vehicles as riders
    kinds: dict[tuple[int, int, int], list[int]] = {}
    for k, vehicle in enumerate(vehicles):
        kinds.setdefault(vehicle, []).append(k)
    types = []
    members_of_type: list[list[int]] = []
    for (day, start, end), members in kinds.items():
        capacity = [0] * n_days
        capacity[day] = n_visits + 1
        cap = _BIG if max_distance is None else int(max_distance[day])
        types.append(
            pyvrp.VehicleType(
                num_available=len(members),
                capacity=capacity,
                tw_early=start,
                tw_late=end,
                shift_duration=end - start,
                max_distance=cap,
                profile=day if n_profiles > 1 else 0,
            )
        )
        members_of_type.append(members)
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=[depot],
        vehicle_types=types,
        distance_matrices=distances,
        duration_matrices=[durations] * n_profiles,
        groups=groups,
    )
    if repeatable:
        iterations = MaxIterations(iterations_for(time_limit, len(clients)))
        stop: Any = MultipleCriteria([iterations, MaxRuntime(runtime_cap(time_limit))])
    else:
        stop = MaxRuntime(time_limit)
    with warnings.catch_warnings():
        # every visit is optional (a prize), so a week that cannot hold all its
        # visits is expected: the ones left out are reported by the caller
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(data, stop=stop, seed=seed, display=False, collect_stats=False)
    solution = result.best
    # PyVRP's best may still break a group, a window, a day or a shift when the budget is
    # short; the caller repairs such routes (drops the offending stops and reports them)
    used = dict.fromkeys(range(len(types)), 0)
    out: list[EngineRoute] = []
    for route in solution.routes():
        t = route.vehicle_type()
        rider = members_of_type[t][used[t]]
        used[t] += 1
        stops = tuple((int(act.idx), int(act.start_time)) for act in route.schedule() if act.is_client())
        out.append(EngineRoute(rider, stops, int(route.end_time())))
    return out
