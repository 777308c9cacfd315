"""Notebook maps and charts: the district, the week's routes and desks, visits per courtyard.

Static maps use matplotlib (they render anywhere, also in the test suite);
interactive maps use folium. Notebook cells call these in one line each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from patrolplan.district import District
from patrolplan.export._common import ROUTE_COLOURS

if TYPE_CHECKING:
    from patrolplan.plan import Plan

__all__ = ["RIDER_COLOURS", "compare_chart", "district_map", "interactive_map", "plan_map", "visits_chart"]

#: One colour per route (rider and shift) on the maps, in order: the exports' palette.
RIDER_COLOURS: tuple[str, ...] = ROUTE_COLOURS
_DAY_COLOURS: tuple[str, ...] = ("#fde0dd", "#deebf7", "#e5f5e0", "#fff7bc", "#efedf5", "#fee6ce", "#f0f0f0")


def _axes(ax: Any | None, figsize: tuple[float, float]) -> Any:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    _fig, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def _draw_streets(district: District, ax: Any) -> None:
    from matplotlib.collections import LineCollection

    segments = [
        [district.lonlat(u), district.lonlat(v)]
        for u, v in district.graph.edges()
        if u < v or not district.graph.has_edge(v, u)
    ]
    ax.add_collection(LineCollection(segments, colors="#9e9e9e", linewidths=0.8, zorder=1))


def district_map(district: District, *, ax: Any | None = None, labels: bool = True) -> Any:
    """A static map of the district: streets, courtyards (hot spots in red), gates and the office.

    Returns the matplotlib Axes.
    """
    from matplotlib.patches import Polygon as MplPolygon

    ax = _axes(ax, (14, 4))
    _draw_streets(district, ax)
    for yard in district.courtyards:
        colour = "#ef9a9a" if yard.hot_spot else "#c5e1a5"
        ax.add_patch(
            MplPolygon(list(yard.polygon.exterior.coords), closed=True, fc=colour, ec="#555", lw=0.5, zorder=2)
        )
        if labels:
            x, y = yard.centroid
            ax.annotate(yard.id, (x, y), ha="center", va="center", fontsize=6, zorder=4)
    gates = [district.lonlat(g) for y in district.courtyards for g in y.gates]
    if gates:
        ax.scatter(*zip(*gates, strict=True), s=6, c="#333", zorder=3, label="gates")
    ox, oy = district.office_lonlat
    ax.scatter([ox], [oy], marker="*", s=220, c="gold", ec="black", zorder=5, label="office")
    ax.set_aspect(1.0 / max(0.2, _cos_lat(oy)))
    ax.autoscale_view()
    ax.set_title(f"{district.name_en or district.name}: {len(district.courtyards)} courtyards")
    ax.legend(loc="upper right", fontsize=7)
    return ax


def _cos_lat(lat: float) -> float:
    import math

    return math.cos(math.radians(lat))


def plan_map(plan: Plan, *, date: Any | None = None, ax: Any | None = None) -> Any:
    """A static map of a plan: courtyards coloured by visit day, desks marked, one colour per route.

    ``date`` limits it to one duty day. Returns the matplotlib Axes.
    """
    from matplotlib.patches import Polygon as MplPolygon

    district = plan.problem.district
    ax = _axes(ax, (14, 4.5))
    _draw_streets(district, ax)
    dates = list(plan.problem.duty_dates)
    first_day: dict[str, int] = {}
    for route in plan.routes:
        for stop in route.stops:
            d = dates.index(route.date)
            first_day[stop.courtyard] = min(first_day.get(stop.courtyard, d), d)
    for yard in district.courtyards:
        fc = _DAY_COLOURS[first_day[yard.id] % len(_DAY_COLOURS)] if yard.id in first_day else "white"
        ax.add_patch(MplPolygon(list(yard.polygon.exterior.coords), closed=True, fc=fc, ec="#777", lw=0.5, zorder=2))
    routes = [r for r in plan.routes if date is None or r.date == date]
    for i, route in enumerate(routes):
        xs, ys = zip(*(district.lonlat(n) for n in route.path), strict=True)
        ax.plot(
            xs,
            ys,
            color=RIDER_COLOURS[i % len(RIDER_COLOURS)],
            lw=2,
            alpha=0.85,
            zorder=3,
            label=f"{route.date:%a} {route.rider} {route.shift} ({route.distance_m / 1000:.1f} km)",
        )
    by_id = {y.id: y for y in district.courtyards}
    for desk in plan.desks:
        if date is None or desk.date == date:
            x, y = by_id[desk.courtyard].centroid
            ax.scatter([x], [y], marker="s", s=90, c="#1565c0", ec="white", zorder=5)
            ax.annotate(
                f"desk {desk.date:%a}",
                (x, y),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                color="#1565c0",
                zorder=6,
            )
    ox, oy = district.office_lonlat
    ax.scatter([ox], [oy], marker="*", s=220, c="gold", ec="black", zorder=6)
    ax.set_aspect(1.0 / max(0.2, _cos_lat(oy)))
    ax.autoscale_view()
    ax.set_title(f"{plan.week}: {plan.distance_m / 1000:.1f} km in {len(plan.routes)} routes")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return ax


def visits_chart(plan: Plan, *, ax: Any | None = None) -> Any:
    """A bar chart of patrol visits per courtyard this week (hot spots in red)."""
    ax = _axes(ax, (14, 3))
    counts = Counter(s.courtyard for r in plan.routes for s in r.stops if s.purpose == "patrol")
    yards = plan.problem.district.courtyards
    ax.bar(
        [y.id for y in yards],
        [counts.get(y.id, 0) for y in yards],
        color=["#e53935" if y.hot_spot else "#7cb342" for y in yards],
    )
    ax.set_ylabel("visits")
    ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    ax.set_title("Patrol visits per courtyard")
    return ax


def compare_chart(
    rows: Sequence[dict[str, Any]], *, x: str = "km", y: str = "longest_km", ax: Any | None = None
) -> Any:
    """A scatter of plans' trade-offs (e.g. total km against the longest route), one labelled point each."""
    ax = _axes(ax, (7, 5))
    for row in rows:
        ax.scatter([row[x]], [row[y]], s=60)
        ax.annotate(
            str(row.get("scenario", "")), (row[x], row[y]), xytext=(4, 4), textcoords="offset points", fontsize=8
        )
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title("What-if scenarios")
    return ax


def interactive_map(district: District, plan: Plan | None = None) -> Any:
    """A folium map of the district (and a plan's routes), with popups; no tile layer, so it works offline."""
    import folium

    lon, lat = district.office_lonlat
    fmap = folium.Map(location=[lat, lon], zoom_start=16, tiles=None)
    for u, v in district.graph.edges():
        a, b = district.lonlat(u), district.lonlat(v)
        folium.PolyLine([(a[1], a[0]), (b[1], b[0])], color="#9e9e9e", weight=2).add_to(fmap)
    for yard in district.courtyards:
        folium.Polygon(
            [(y, x) for x, y in yard.polygon.exterior.coords],
            color="#555",
            weight=1,
            fill=True,
            fill_color="#ef9a9a" if yard.hot_spot else "#c5e1a5",
            fill_opacity=0.6,
            popup=f"{yard.id} {yard.label}<br>households {yard.households}",
        ).add_to(fmap)
    if plan is not None:
        for i, route in enumerate(plan.routes):
            folium.PolyLine(
                [(district.lonlat(n)[1], district.lonlat(n)[0]) for n in route.path],
                color=RIDER_COLOURS[i % len(RIDER_COLOURS)],
                weight=4,
                opacity=0.85,
                popup=f"{route.date} {route.rider} {route.shift}: {len(route.stops)} stops, {route.distance_m} m",
            ).add_to(fmap)
    folium.Marker([lat, lon], popup=district.name, icon=folium.Icon(color="orange", icon="home")).add_to(fmap)
    return fmap
