"""Exports of a week's plan: the files that staff use.

Every writer takes the ``plan.json`` dict (``Plan.to_json()``, or a plan read
back from the history) and writes atomically (a temporary file in the same
folder, then a rename). Labels come in Chinese and English; ``lang`` says
which comes first.

Typical use::

    from patrolplan.export import write_all

    paths = write_all(plan, "out/2026-W49")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from patrolplan.export._atomic import write_bytes_atomic, write_text_atomic
from patrolplan.export._common import as_doc, check_lang
from patrolplan.export.csv_ import write_csv
from patrolplan.export.geojson import routes_geojson, write_geojson
from patrolplan.export.gpx import gpx_name, write_gpx
from patrolplan.export.html_map import Lines, svg_map_html, write_leaflet_map, write_map
from patrolplan.export.ics import write_ics
from patrolplan.export.json_ import write_json
from patrolplan.export.summary_md import summary_markdown, write_summary
from patrolplan.export.xlsx import write_xlsx

__all__ = [
    "FILES",
    "GPX_FOLDER",
    "as_doc",
    "gpx_name",
    "routes_geojson",
    "street_lines",
    "summary_markdown",
    "svg_map_html",
    "write_all",
    "write_bytes_atomic",
    "write_csv",
    "write_geojson",
    "write_gpx",
    "write_ics",
    "write_json",
    "write_leaflet_map",
    "write_map",
    "write_summary",
    "write_text_atomic",
    "write_xlsx",
]

#: The files :func:`write_all` writes in the output folder (besides the GPX folder).
FILES: tuple[str, ...] = (
    "plan.json",
    "roster.xlsx",
    "roster.csv",
    "week.ics",
    "routes.geojson",
    "map.html",
    "map_leaflet.html",
    "summary.md",
)

#: Sub-folder of the output folder with one ``<date>_<rider>.gpx`` per rider per day.
GPX_FOLDER = "gpx"


def street_lines(plan: Any) -> list[list[tuple[float, float]]]:
    """The street segments of a Plan's district as ``(lon, lat)`` pairs (each two-way street once).

    Returns an empty list for anything that is not a Plan (a ``plan.json``
    dict carries no street graph).
    """
    district = getattr(getattr(plan, "problem", None), "district", None)
    return [] if district is None else district.street_lines()


def write_all(plan_or_doc: Any, out_dir: str | Path, *, lang: str = "zh", streets: Lines | None = None) -> list[Path]:
    """Write every export of a plan into ``out_dir``.

    Parameters
    ----------
    plan_or_doc
        A :class:`~patrolplan.Plan` or its ``plan.json`` dict.
    out_dir
        The output folder (created if missing).
    lang
        ``"zh"`` (Chinese first) or ``"en"`` (English first).
    streets
        The street segments the maps draw under the routes
        (``District.street_lines()``); by default the Plan's district's. A
        ``plan.json`` dict carries no streets, so pass them with one (a week
        read back from the history) to get the same maps as from the Plan.

    Returns
    -------
    list of Path
        The files written: ``plan.json``, ``roster.xlsx``, ``roster.csv``,
        ``week.ics``, ``routes.geojson``, ``map.html``, ``map_leaflet.html``,
        ``summary.md``, then ``gpx/<date>_<rider>.gpx``.

    Raises
    ------
    InvalidInputError
        If ``lang`` is unknown or ``plan_or_doc`` is not a plan.
    """
    language = check_lang(lang)
    doc = as_doc(plan_or_doc)
    lines: Lines = street_lines(plan_or_doc) if streets is None else streets
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: Sequence[Path] = [
        write_json(doc, out / "plan.json"),
        write_xlsx(doc, out / "roster.xlsx", lang=language),
        write_csv(doc, out / "roster.csv", lang=language),
        write_ics(doc, out / "week.ics", lang=language),
        write_geojson(doc, out / "routes.geojson"),
        write_map(doc, out / "map.html", lang=language, streets=lines),
        write_leaflet_map(doc, out / "map_leaflet.html", lang=language, streets=lines),
        write_summary(doc, out / "summary.md", lang=language),
    ]
    return [*written, *write_gpx(doc, out / GPX_FOLDER, lang=language)]
