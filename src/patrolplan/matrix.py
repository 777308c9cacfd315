"""Travel matrix: integer seconds and metres between sites, with the street paths.

One Dijkstra per site (``scipy.sparse.csgraph.dijkstra`` on the whole graph),
never pairwise networkx calls. Paths are the quickest by bicycle; among equally
quick paths, the shortest. Both figures come out of the *same* search: each
edge weight packs the travel time in milliseconds into the high bits and the
length in decimetres into the low bits of one exactly representable float,
so the sums along a path carry both, exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from patrolplan.errors import DuplicateIdError, InvalidInputError

__all__ = ["UNREACHABLE", "TravelMatrix"]

#: Value of an entry when no bicycle path exists.
UNREACHABLE = 10**9

_LEN_BITS = 22  # decimetres in the low bits: paths up to 419 km
_LEN_SCALE = float(2**_LEN_BITS)

IntArray = npt.NDArray[np.int64]


def _read_only(values: npt.ArrayLike) -> IntArray:
    array = np.array(values, dtype=np.int64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Read-only travel times and distances between sites, with their paths.

    Attributes
    ----------
    sites
        The site node ids (the office first, then every courtyard gate).
    seconds
        ``seconds[i, j]``: riding time from ``sites[i]`` to ``sites[j]``.
    metres
        ``metres[i, j]``: length of that same path.
    """

    sites: tuple[int, ...]
    seconds: IntArray
    metres: IntArray
    _nodes: npt.NDArray[Any] = field(repr=False)
    _pred: npt.NDArray[np.int32] | None = field(repr=False)
    _index: dict[int, int] = field(repr=False)
    _position: dict[int, int] = field(repr=False)

    @classmethod
    def build(cls, graph: nx.MultiDiGraph, sites: Sequence[int]) -> TravelMatrix:
        """Compute the matrix between ``sites`` on ``graph``: one Dijkstra per site.

        Parameters
        ----------
        graph
            Street graph with ``travel_time`` (s) and ``length`` (m) on edges.
        sites
            Graph node ids; duplicates are an error.

        Raises
        ------
        InvalidInputError
            If a site is not a node of the graph.
        """
        site_list = list(sites)
        _check_unique(site_list)
        nodes = np.array(list(graph.nodes), dtype=object)
        position = {node: i for i, node in enumerate(nodes)}
        missing = [s for s in site_list if s not in position]
        if missing:
            msg = f"sites {missing[:10]} are not nodes of the street graph; snap them to the graph first"
            raise InvalidInputError(msg, items=missing)
        csr = _packed_csr(graph, position)
        indices = np.array([position[s] for s in site_list], dtype=np.int64)
        dist, pred = dijkstra(csr, directed=True, indices=indices, return_predecessors=True)
        packed = dist[:, indices]
        reachable = np.isfinite(packed)
        safe = np.where(reachable, packed, 0.0)
        time_ms = np.floor(safe / _LEN_SCALE)
        length_dm = safe - time_ms * _LEN_SCALE
        seconds = np.where(reachable, np.rint(time_ms / 1000.0), UNREACHABLE)
        metres = np.where(reachable, np.rint(length_dm / 10.0), UNREACHABLE)
        return cls(
            sites=tuple(site_list),
            seconds=_read_only(seconds),
            metres=_read_only(metres),
            _nodes=nodes,
            _pred=pred.astype(np.int32),
            _index={s: i for i, s in enumerate(site_list)},
            _position=position,
        )

    @classmethod
    def from_arrays(
        cls, sites: Sequence[int], seconds: npt.ArrayLike, metres: npt.ArrayLike | None = None
    ) -> TravelMatrix:
        """A matrix given directly (your own distances); each path is the direct hop.

        ``metres`` defaults to ``seconds`` (a distance-only instance). An
        infinite entry (or one of at least :data:`UNREACHABLE`) means no path.
        """
        site_list = list(sites)
        _check_unique(site_list)
        sec = np.asarray(seconds, dtype=float)
        met = np.asarray(metres if metres is not None else seconds, dtype=float)
        n = len(site_list)
        if sec.shape != (n, n) or met.shape != (n, n):
            msg = f"matrix shape {sec.shape} does not match {n} sites; give an {n}x{n} matrix"
            raise InvalidInputError(msg, items=[sec.shape])
        if np.isnan(sec).any() or np.isnan(met).any():
            msg = "matrix has NaN entries; give a number, or inf where there is no path"
            raise InvalidInputError(msg)
        if (sec < 0).any() or (met < 0).any():
            msg = "matrix has negative entries; travel times and distances must be >= 0"
            raise InvalidInputError(msg)
        return cls(
            sites=tuple(site_list),
            seconds=_read_only(np.where(sec >= UNREACHABLE, UNREACHABLE, np.rint(np.minimum(sec, UNREACHABLE)))),
            metres=_read_only(np.where(met >= UNREACHABLE, UNREACHABLE, np.rint(np.minimum(met, UNREACHABLE)))),
            _nodes=np.array(site_list, dtype=object),
            _pred=None,
            _index={s: i for i, s in enumerate(site_list)},
            _position={s: i for i, s in enumerate(site_list)},
        )

    def __len__(self) -> int:
        return len(self.sites)

    def index(self, node: int) -> int:
        """Row/column of a site node id."""
        try:
            return self._index[node]
        except KeyError:
            msg = f"node {node} is not a site of this travel matrix"
            raise InvalidInputError(msg, items=[node]) from None

    def reachable(self, a: int, b: int) -> bool:
        """Whether a bicycle can get from site ``a`` to site ``b``."""
        return bool(self.seconds[self.index(a), self.index(b)] < UNREACHABLE)

    def path(self, a: int, b: int) -> list[int]:
        """The street path from site ``a`` to site ``b`` as graph node ids (both ends included)."""
        i, j = self.index(a), self.index(b)
        if a == b:
            return [a]
        if self.seconds[i, j] >= UNREACHABLE:
            msg = f"no bicycle path from node {a} to node {b}"
            raise InvalidInputError(msg, items=[a, b])
        if self._pred is None:
            return [a, b]
        row = self._pred[i]
        pos = self._position[b]
        steps: list[int] = []
        while pos >= 0:
            steps.append(pos)
            pos = int(row[pos])
        return [self._nodes[p] for p in reversed(steps)]

    def route_path(self, stops: Iterable[int]) -> list[int]:
        """The whole street path through ``stops`` in order (no repeated joints)."""
        full: list[int] = []
        previous: int | None = None
        for stop in stops:
            if previous is not None:
                leg = self.path(previous, stop)
                full.extend(leg[1:] if full else leg)
            previous = stop
        return full


def _check_unique(sites: list[int]) -> None:
    seen: set[int] = set()
    dupes = sorted({s for s in sites if s in seen or seen.add(s)})  # type: ignore[func-returns-value]
    if dupes:
        msg = f"duplicate sites {dupes[:10]}; each site node may appear once"
        raise DuplicateIdError(msg, items=dupes)


def _packed_csr(graph: nx.MultiDiGraph, position: dict[Any, int]) -> csr_array:
    """Sparse adjacency whose weights pack (time ms, length dm); parallel edges keep the best."""
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    for u, v, data in graph.edges(data=True):
        time_ms = max(1, round(float(data["travel_time"]) * 1000.0))
        length_dm = round(float(data["length"]) * 10.0)
        rows.append(position[u])
        cols.append(position[v])
        weights.append(time_ms * _LEN_SCALE + length_dm)
    r = np.array(rows, dtype=np.int64)
    c = np.array(cols, dtype=np.int64)
    w = np.array(weights, dtype=np.float64)
    order = np.lexsort((w, c, r))
    r, c, w = r[order], c[order], w[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    n = len(position)
    return csr_array((w[first], (r[first], c[first])), shape=(n, n))
