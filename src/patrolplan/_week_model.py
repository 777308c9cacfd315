"""The routing week's pieces, shared by ``routing`` and its OR-Tools engine.

A *rider* is one officer on one shift (or the whole day) of one duty day; a
*visit* is one required pass of a courtyard, at one of its gates; OR-Tools'
*nodes* are the office and one node per (visit, gate); an *assigned* plan gives
each rider its stops (visit, gate node, arrival) and its return time. The
rotation surcharge is the cost, per pair of sites, of riding the streets ridden
on the same weekday last week.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from patrolplan.courtyards import Courtyard
from patrolplan.matrix import UNREACHABLE
from patrolplan.problem import WeekProblem


@dataclass(frozen=True)
class Rider:
    """One officer on one shift (or the whole day) of one duty day: a vehicle of the model."""

    date: dt.date
    day_index: int
    officer: str
    slot: int
    shift: str
    start_s: int
    end_s: int
    gaps: tuple[tuple[int, int], ...]  # times of day with no visits (lunch)


@dataclass(frozen=True)
class Visit:
    """One required pass of a courtyard, at one of its gates, on one of its days (``purpose``: patrol or desk)."""

    courtyard: Courtyard
    gates: tuple[int, ...]
    dwell_s: int
    days: tuple[int, ...]  # day indexes it may be on
    purpose: str
    windows: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Nodes:
    """OR-Tools' routing nodes: node 0 is the office, then one node per (visit, gate).

    ``site``: each node's matrix row; ``visit``: each node's visit index (-1
    for the office); ``secs``, ``metres``: riding between nodes; ``dwell``: at each node.
    """

    site: list[int]
    visit: list[int]
    secs: npt.NDArray[np.int64]
    metres: npt.NDArray[np.int64]
    dwell: npt.NDArray[np.int64]

    @classmethod
    def of(cls, problem: WeekProblem, visits: Sequence[Visit]) -> Nodes:
        """The nodes of ``visits``: one per gate of each."""
        matrix = problem.matrix
        site = [matrix.index(problem.district.office)]
        visit = [-1]
        for v, one in enumerate(visits):
            for gate in one.gates:
                site.append(matrix.index(gate))
                visit.append(v)
        rows = np.array(site)
        dwell = np.array([0] + [visits[v].dwell_s for v in visit[1:]], dtype=np.int64)
        secs = matrix.seconds[np.ix_(rows, rows)].astype(np.int64)
        return cls(site, visit, secs, matrix.metres[np.ix_(rows, rows)].astype(np.int64), dwell)

    def part(self, visit_ids: Sequence[int]) -> Nodes:
        """The office and the nodes of these visits, numbered as ``visit_ids`` lists them."""
        local = {v: i for i, v in enumerate(visit_ids)}
        nodes = [0] + [n for n in range(1, len(self.visit)) if self.visit[n] in local]
        rows = np.array(nodes)
        return Nodes(
            [self.site[n] for n in nodes],
            [-1] + [local[self.visit[n]] for n in nodes[1:]],
            self.secs[np.ix_(rows, rows)],
            self.metres[np.ix_(rows, rows)],
            self.dwell[rows],
        )


# each rider's solved route, by rider index: (visit index, gate node, arrival s) per stop, and the return time
Assigned = dict[int, tuple[list[tuple[int, int, int]], int]]


def nodes_by_visit(node_visit: Sequence[int]) -> dict[int, list[int]]:
    """Each visit's routing nodes (one per gate); node 0, the office, belongs to none."""
    out: dict[int, list[int]] = {}
    for node, v in enumerate(node_visit):
        if node:
            out.setdefault(v, []).append(node)
    return out


def rotation_surcharge(
    problem: WeekProblem, sites: list[int], weekday: int, before: dt.date
) -> npt.NDArray[np.int64] | None:
    """Metres of each site-to-site path that were ridden on this weekday last week."""
    past = problem.past.routes_on(weekday, before)
    if not past or problem.options.rotation_weight <= 0:
        return None
    ridden: set[tuple[int, int]] = set()
    for route in past:
        ridden.update(route.edges)
    if not ridden:
        return None
    graph = problem.district.graph
    matrix = problem.matrix
    n = len(sites)
    shared = np.zeros((n, n), dtype=np.int64)
    for i, a in enumerate(sites):
        for j, b in enumerate(sites):
            if i == j or matrix.seconds[matrix.index(a), matrix.index(b)] >= UNREACHABLE:
                continue
            path = matrix.path(a, b)
            total = 0.0
            for u, v in itertools.pairwise(path):
                if (u, v) in ridden or (v, u) in ridden:
                    total += min(d["length"] for d in graph[u][v].values())
            shared[i, j] = round(total)
    return shared


def imbalance(loads: Mapping[tuple[Any, str], int]) -> float:
    """Per day, how far its busiest officer rides above its average officer, times its officers; summed.

    ``loads`` are the metres of each (day, officer) on duty, 0 for one who rides nothing.
    """
    days: dict[Any, list[int]] = {}
    for (day, _officer), metres in loads.items():
        days.setdefault(day, []).append(metres)
    return sum(max(day) * len(day) - sum(day) for day in days.values())
