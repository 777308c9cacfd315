"""``map.html`` (a self-contained SVG map) and ``map_leaflet.html`` (a folium/Leaflet map).

Neither folium nor branca ships Leaflet's JavaScript: folium's maps load it
from a CDN, so offline they show nothing. ``map.html`` therefore draws the
week with inline SVG and needs no network, no tiles and no scripts to be
seen: an overview panel (courtyards coloured by their first visit day, every
route in its own colour, the desks and the office), then one panel per duty
day, and a legend. A few lines of inline JavaScript add click details and
route toggles. ``map_leaflet.html`` is the interactive folium version (no tile
layer), for when the CDN can be reached.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patrolplan.export._atomic import write_text_atomic
from patrolplan.export._common import (
    Lang,
    bi,
    courtyard_label,
    courtyard_short,
    courtyards_by_id,
    day_label,
    desks_on,
    first_visit_day,
    hhmm,
    km,
    label,
    roster_on,
    route_colour,
    shift_label,
    stop_names,
    weekday_short,
)

__all__ = ["DAY_COLOURS", "Lines", "Projection", "leaflet_map", "svg_map_html", "write_leaflet_map", "write_map"]

#: Fill colour of the courtyards by visit day (index in ``duty_days``).
DAY_COLOURS: tuple[str, ...] = ("#fbd3cf", "#cfe0f3", "#d6efcf", "#fff2a8", "#e3dcf2", "#fde0c0", "#e6e6e6")
_UNVISITED = "#ffffff"
_STREET = "#b0b0b0"
_DESK = "#1565c0"
_OFFICE = "#ffb300"
_PANEL_WIDTH = 1160
_PAD = 14

#: Street lines as sequences of ``(lon, lat)``.
Lines = Sequence[Sequence[Sequence[float]]]


@dataclass(frozen=True)
class Projection:
    """Lon/lat to SVG pixels: equirectangular around the area's middle, north up."""

    lon0: float
    lat1: float
    scale: float
    coslat: float
    width: int
    height: int

    @classmethod
    def fit(cls, points: Iterable[Sequence[float]], width: int = _PANEL_WIDTH) -> Projection:
        """The projection that fits ``points`` into ``width`` pixels (plus padding)."""
        pts = list(points)
        if not pts:
            return cls(0.0, 0.0, 1.0, 1.0, width, 200)
        lons = [p[0] for p in pts]
        lats = [p[1] for p in pts]
        coslat = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - min(lons)) * coslat, 1e-6)
        span_y = max(max(lats) - min(lats), 1e-6)
        scale = min((width - 2 * _PAD) / span_x, 3 * width / span_y)
        height = max(160, round(span_y * scale + 2 * _PAD))
        return cls(min(lons), max(lats), scale, coslat, width, height)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel coordinates of a point."""
        return (
            round(_PAD + (lon - self.lon0) * self.coslat * self.scale, 1),
            round(_PAD + (self.lat1 - lat) * self.scale, 1),
        )

    def points(self, coords: Iterable[Sequence[float]]) -> str:
        """An SVG ``points`` attribute."""
        return " ".join(f"{x},{y}" for x, y in (self.xy(c[0], c[1]) for c in coords))


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _all_points(doc: Mapping[str, Any], streets: Lines) -> list[Sequence[float]]:
    pts: list[Sequence[float]] = [c for y in doc.get("courtyards", []) for c in y.get("polygon", [])]
    pts += [c for r in doc.get("routes", []) for c in r["geometry"]["coordinates"]]
    pts += [c for line in streets for c in line]
    office = doc.get("office")
    if office:
        pts.append((office["lon"], office["lat"]))
    return pts


def _route_info(doc: Mapping[str, Any], route: Mapping[str, Any], lang: Lang) -> str:
    stops = " → ".join(stop_names(doc, route["stops"], lang))
    return (
        f"{route['rider_name']} · {day_label(route['date'], lang)} · {shift_label(str(route['shift']), lang)} "
        f"{hhmm(route['start'])}–{hhmm(route['end'])} · {km(route['distance_m']):.1f} km · "
        f"{len(route['stops'])} {label('stops', lang)}: {stops}"
    )


def _yard_info(doc: Mapping[str, Any], yard: Mapping[str, Any], lang: Lang) -> str:
    days = sorted({r["date"] for r in doc.get("routes", []) for s in r["stops"] if s["courtyard"] == yard["id"]})
    when = ", ".join(day_label(d, lang) for d in days) or "-"
    desk = [d["date"] for d in doc.get("desks", []) if d["courtyard"] == yard["id"]]
    extra = f" · {label('desk', lang)} {', '.join(desk)}" if desk else ""
    return f"{yard['id']} {courtyard_label(doc, yard['id'], lang)} · {label('visit_day', lang)}: {when}{extra}"


def _svg_courtyards(doc: Mapping[str, Any], proj: Projection, fills: Mapping[str, str], lang: Lang) -> list[str]:
    out = ['<g class="yards">']
    for yard in doc.get("courtyards", []):
        fill = fills.get(str(yard["id"]), _UNVISITED)
        info = _esc(_yard_info(doc, yard, lang))
        out.append(
            f'<polygon points="{proj.points(yard.get("polygon", []))}" fill="{fill}" stroke="#666" '
            f'stroke-width="0.6" data-info="{info}"><title>{info}</title></polygon>'
        )
    out.append("</g>")
    return out


def _svg_labels(doc: Mapping[str, Any], proj: Projection, lang: Lang, skip: Iterable[str] = ()) -> list[str]:
    hidden = set(skip)
    out = ['<g class="labels" font-size="8" fill="#333" text-anchor="middle" pointer-events="none">']
    for yard in doc.get("courtyards", []):
        if str(yard["id"]) in hidden:
            continue
        x, y = proj.xy(yard["lon"], yard["lat"])
        name = yard.get("name") if lang == "zh" or not yard.get("name_en") else yard["name_en"]
        out.append(f'<text x="{x}" y="{y}">{_esc(name)}</text>')
    out.append("</g>")
    return out


def _svg_streets(proj: Projection, streets: Lines) -> list[str]:
    if not streets:
        return []
    body = "".join(f'<polyline points="{proj.points(line)}"/>' for line in streets)
    return [f'<g class="streets" fill="none" stroke="{_STREET}" stroke-width="1.2">{body}</g>']


def _svg_routes(
    doc: Mapping[str, Any], proj: Projection, indices: Sequence[int], lang: Lang, *, numbers: bool
) -> list[str]:
    routes = doc.get("routes", [])
    out = ['<g class="routes" fill="none" stroke-linejoin="round" stroke-linecap="round">']
    for rank, i in enumerate(indices):
        route = routes[i]
        colour = route_colour(i)
        width = max(2.0, 7.0 - 1.2 * rank)
        info = _esc(_route_info(doc, route, lang))
        out.append(
            f'<polyline class="route r{i}" points="{proj.points(route["geometry"]["coordinates"])}" '
            f'stroke="{colour}" stroke-width="{width:.1f}" stroke-opacity="0.9" data-info="{info}">'
            f"<title>{info}</title></polyline>"
        )
    for i in indices if numbers else ():
        route = routes[i]
        for order, stop in enumerate(route["stops"], start=1):
            x, y = proj.xy(stop["lon"], stop["lat"])
            info = _esc(f"{order}. {courtyard_label(doc, stop['courtyard'], lang)} {hhmm(stop['arrive'])}")
            out.append(
                f'<g class="route r{i}"><circle cx="{x}" cy="{y}" r="5.5" fill="#fff" stroke="{route_colour(i)}" '
                f'stroke-width="1.6"><title>{info}</title></circle>'
                f'<text x="{x}" y="{y + 2.8}" font-size="7.5" text-anchor="middle" fill="#000">{order}</text></g>'
            )
    out.append("</g>")
    return out


def _svg_desks(doc: Mapping[str, Any], proj: Projection, dates: Sequence[str], lang: Lang) -> list[str]:
    yards = courtyards_by_id(doc)
    out = []
    for date in dates:
        for desk in desks_on(doc, date):
            yard = yards.get(str(desk["courtyard"]))
            if yard is None:
                continue
            x, y = proj.xy(yard["lon"], yard["lat"])
            people = ", ".join(e["name"] for e in roster_on(doc, date, "specialist") if e["staff"] in desk["staff"])
            info = _esc(
                f"{label('desk', lang)} {day_label(date, lang)}: {courtyard_label(doc, yard['id'], lang)} ({people})"
            )
            out.append(
                f'<g data-info="{info}"><title>{info}</title>'
                f'<rect x="{x - 7}" y="{y - 7}" width="14" height="14" fill="{_DESK}" '
                'stroke="#fff" stroke-width="1.5"/>'
                f'<text x="{x}" y="{y - 10}" font-size="10" font-weight="bold" text-anchor="middle" fill="{_DESK}">'
                f"{_esc(label('desk', lang).split(' ')[0])} {_esc(weekday_short(date, lang).split(' ')[0])}</text>"
                f'<text x="{x}" y="{y + 17}" font-size="8" text-anchor="middle" fill="#333">'
                f"{_esc(courtyard_short(doc, yard['id'], lang))}</text></g>"
            )
    return out


def _svg_office(doc: Mapping[str, Any], proj: Projection, lang: Lang) -> list[str]:
    office = doc.get("office")
    if not office:
        return []
    x, y = proj.xy(office["lon"], office["lat"])
    star = " ".join(
        f"{x + r * math.sin(k * math.pi / 5):.1f},{y - r * math.cos(k * math.pi / 5):.1f}"
        for k, r in ((k, 11 if k % 2 == 0 else 4.5) for k in range(10))
    )
    info = _esc(f"{label('office', lang)} {office.get('name', '')}")
    return [f'<polygon points="{star}" fill="{_OFFICE}" stroke="#000" stroke-width="1"><title>{info}</title></polygon>']


def _panel(
    doc: Mapping[str, Any],
    proj: Projection,
    streets: Lines,
    lang: Lang,
    *,
    title: str,
    dates: Sequence[str],
    fills: Mapping[str, str],
    numbers: bool,
) -> str:
    indices = [i for i, r in enumerate(doc.get("routes", [])) if r["date"] in dates]
    parts = [
        f'<section class="panel"><h2>{_esc(title)}</h2>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {proj.width} {proj.height}" '
        f'width="{proj.width}" height="{proj.height}" font-family="sans-serif">',
        f'<rect width="{proj.width}" height="{proj.height}" fill="#fafaf7"/>',
        *_svg_streets(proj, streets),
        *_svg_courtyards(doc, proj, fills, lang),
        *_svg_labels(doc, proj, lang, skip=[str(d["courtyard"]) for x in dates for d in desks_on(doc, x)]),
        *_svg_routes(doc, proj, indices, lang, numbers=numbers),
        *_svg_desks(doc, proj, dates, lang),
        *_svg_office(doc, proj, lang),
        "</svg></section>",
    ]
    return "\n".join(parts)


def _legend(doc: Mapping[str, Any], lang: Lang) -> str:
    rows = []
    for i, route in enumerate(doc.get("routes", [])):
        rows.append(
            f'<tr class="toggle" data-route="r{i}">'
            f'<td><span class="sw" style="background:{route_colour(i)}"></span></td>'
            f"<td>{_esc(day_label(route['date'], lang))}</td><td>{_esc(route['rider_name'])}</td>"
            f"<td>{_esc(shift_label(str(route['shift']), lang))} {hhmm(route['start'])}–{hhmm(route['end'])}</td>"
            f"<td>{len(route['stops'])}</td><td>{km(route['distance_m']):.1f}</td></tr>"
        )
    head = "".join(f"<th>{_esc(label(k, lang))}</th>" for k in ("route", "date", "name", "shift", "stops", "distance"))
    days = "".join(
        f'<span class="key"><span class="sw" style="background:{DAY_COLOURS[k % len(DAY_COLOURS)]}"></span>'
        f"{_esc(day_label(d, lang))}</span>"
        for k, d in enumerate(doc.get("duty_days", []))
    )
    symbols = (
        f'<span class="key"><span class="sw" style="background:{_DESK}"></span>{_esc(label("desk", lang))}</span>'
        f'<span class="key"><span class="sw" style="background:{_OFFICE}"></span>{_esc(label("office", lang))}</span>'
    )
    return (
        f'<section class="legend"><h2>{_esc(label("legend", lang))}</h2>'
        f"<p>{_esc(label('visit_day', lang))}: {days} {symbols}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


_STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:12px;color:#222}
h1{font-size:18px;margin:4px 0 8px} h2{font-size:14px;margin:10px 0 4px}
.panel svg{max-width:100%;height:auto;border:1px solid #ccc}
.sw{display:inline-block;width:14px;height:14px;border:1px solid #555;vertical-align:middle;margin-right:4px}
.key{margin-right:14px;white-space:nowrap} table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:left} tr.toggle{cursor:pointer} tr.off{opacity:.35}
#info{position:fixed;right:12px;bottom:12px;max-width:480px;background:#fff;border:1px solid #888;
padding:6px 10px;font-size:13px;display:none;box-shadow:0 2px 6px rgba(0,0,0,.3)}
"""

_SCRIPT = """
document.addEventListener('click',function(e){var t=e.target.closest('[data-info]');
var box=document.getElementById('info');
if(t){box.textContent=t.getAttribute('data-info');box.style.display='block';}else{box.style.display='none';}
var row=e.target.closest('tr.toggle');if(row){row.classList.toggle('off');var off=row.classList.contains('off');
document.querySelectorAll('.'+row.dataset.route).forEach(function(n){n.style.display=off?'none':'';});}});
"""


def svg_map_html(doc: Mapping[str, Any], *, lang: Lang = "zh", streets: Lines = ()) -> str:
    """The self-contained ``map.html`` text (inline SVG, no external resources).

    Parameters
    ----------
    doc
        The ``plan.json`` dict.
    lang
        Which language comes first in labels.
    streets
        Street lines to draw under the routes (``plan.json`` does not carry
        the street graph; :func:`patrolplan.export.write_all` passes them
        when given a Plan).
    """
    proj = Projection.fit(_all_points(doc, streets))
    dates = list(doc.get("duty_days", []))
    firsts = first_visit_day(doc)
    overview_fills = {yard: DAY_COLOURS[k % len(DAY_COLOURS)] for yard, k in firsts.items()}
    title = f"{bi(str(doc.get('community', '')), str(doc.get('community_en', '')), lang)} · {doc['week']}"
    panels = [
        _panel(doc, proj, streets, lang, title=label("summary", lang), dates=dates, fills=overview_fills, numbers=False)
    ]
    for k, date in enumerate(dates):
        visited = {str(s["courtyard"]) for r in doc.get("routes", []) if r["date"] == date for s in r["stops"]}
        fills = dict.fromkeys(visited, DAY_COLOURS[k % len(DAY_COLOURS)])
        panels.append(
            _panel(doc, proj, streets, lang, title=day_label(date, lang), dates=[date], fills=fills, numbers=True)
        )
    return (
        '<!DOCTYPE html>\n<html lang="{0}"><head><meta charset="utf-8">'
        "<title>{1}</title><style>{2}</style></head><body><h1>{1}</h1>\n{3}\n{4}\n"
        '<div id="info"></div><script>{5}</script></body></html>\n'
    ).format("zh-Hant" if lang == "zh" else "en", _esc(title), _STYLE, "\n".join(panels), _legend(doc, lang), _SCRIPT)


def write_map(doc: Mapping[str, Any], path: str | Path, *, lang: Lang = "zh", streets: Lines = ()) -> Path:
    """Write the self-contained ``map.html``.

    Parameters
    ----------
    doc
        The ``plan.json`` dict.
    path
        The file to write.
    lang
        Which language comes first in labels.
    streets
        Street lines to draw (optional).

    Returns
    -------
    Path
        The file written.
    """
    return write_text_atomic(path, svg_map_html(doc, lang=lang, streets=streets))


def leaflet_map(doc: Mapping[str, Any], *, lang: Lang = "zh", streets: Lines = ()) -> Any:
    """The folium map (no tile layer): courtyards by visit day, routes with popups, desks, office.

    Leaflet itself comes from folium's CDN links, so it needs the network to show.
    """
    import folium

    office = doc.get("office") or {}
    fmap = folium.Map(location=[office.get("lat", 0.0), office.get("lon", 0.0)], zoom_start=16, tiles=None)
    if streets:
        layer = folium.FeatureGroup(name=label("route", lang) + " / streets")
        for line in streets:
            folium.PolyLine([(c[1], c[0]) for c in line], color=_STREET, weight=2).add_to(layer)
        layer.add_to(fmap)
    firsts = first_visit_day(doc)
    yards = folium.FeatureGroup(name=label("courtyard", lang))
    for yard in doc.get("courtyards", []):
        k = firsts.get(str(yard["id"]))
        folium.Polygon(
            [(c[1], c[0]) for c in yard.get("polygon", [])],
            color="#666",
            weight=1,
            fill=True,
            fill_color=_UNVISITED if k is None else DAY_COLOURS[k % len(DAY_COLOURS)],
            fill_opacity=0.8,
            popup=folium.Popup(_esc(_yard_info(doc, yard, lang)), max_width=320),
        ).add_to(yards)
    yards.add_to(fmap)
    for date in doc.get("duty_days", []):
        group = folium.FeatureGroup(name=day_label(date, lang))
        for i, route in enumerate(doc.get("routes", [])):
            if route["date"] == date:
                folium.PolyLine(
                    [(c[1], c[0]) for c in route["geometry"]["coordinates"]],
                    color=route_colour(i),
                    weight=5,
                    opacity=0.85,
                    popup=folium.Popup(_esc(_route_info(doc, route, lang)), max_width=420),
                ).add_to(group)
        for desk in desks_on(doc, date):
            yard = courtyards_by_id(doc).get(str(desk["courtyard"]))
            if yard is not None:
                folium.RegularPolygonMarker(
                    [yard["lat"], yard["lon"]],
                    number_of_sides=4,
                    radius=9,
                    color=_DESK,
                    fill=True,
                    fill_color=_DESK,
                    fill_opacity=1.0,
                    popup=f"{_esc(label('desk', lang))} {_esc(day_label(date, lang))}",
                ).add_to(group)
        group.add_to(fmap)
    if office:
        folium.CircleMarker(
            [office["lat"], office["lon"]],
            radius=9,
            color="#000",
            fill=True,
            fill_color=_OFFICE,
            fill_opacity=1.0,
            popup=_esc(f"{label('office', lang)} {office.get('name', '')}"),
        ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    points = _all_points(doc, ())
    if points:
        fmap.fit_bounds(
            [
                [min(p[1] for p in points), min(p[0] for p in points)],
                [max(p[1] for p in points), max(p[0] for p in points)],
            ]
        )
    return fmap


def write_leaflet_map(doc: Mapping[str, Any], path: str | Path, *, lang: Lang = "zh", streets: Lines = ()) -> Path:
    """Write ``map_leaflet.html`` (folium; needs the network for Leaflet itself).

    Parameters
    ----------
    doc
        The ``plan.json`` dict.
    path
        The file to write.
    lang
        Which language comes first in labels.
    streets
        Street lines to draw (optional).

    Returns
    -------
    Path
        The file written.
    """
    return write_text_atomic(path, leaflet_map(doc, lang=lang, streets=streets).get_root().render())
