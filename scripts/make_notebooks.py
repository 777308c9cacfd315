"""Write the coordinator notebooks (outputs stripped) from the cells below: python scripts/make_notebooks.py."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parents[1] / "notebooks"

PLAN_THE_WEEK = [
    new_markdown_cell(
        "# Plan the week\n\n"
        "This notebook does a coordinator's weekly job on the embedded Tiexi Village district "
        "(a reconstruction from the 2013 report): look at the district and the staff, put someone on "
        "leave, mark a hot spot, plan the week (desk rotation, roster and bicycle patrol routes), look "
        "at the result and export the files the staff use."
    ),
    new_code_cell(
        "import matplotlib\nmatplotlib.use('Agg')\nimport patrolplan as pp\n\ndistrict = pp.load_district()\nprint(district.summary())"
    ),
    new_markdown_cell(
        "## The district\nA static map (streets, courtyards, gates, the office; hot spots in red) and an interactive one."
    ),
    new_code_cell("pp.plot.district_map(district);"),
    new_code_cell("pp.plot.interactive_map(district)"),
    new_markdown_cell("## The staff\nThe default pool, then Wang Fang on leave on Wednesday of week 2026-W49."),
    new_code_cell("staff = pp.load_staff()\n[(m.id, m.label, sorted(r.value for r in m.roles)) for m in staff]"),
    new_code_cell(
        "week = pp.Week.parse('2026-W49')\nstaff = staff.with_leave('Wang Fang', week.day(2))\nstaff.get('Wang Fang').leave"
    ),
    new_markdown_cell(
        "## Plan the week\nChunhui (春暉小區), where the report's patrol settled a quarrel, is a hot spot: visited every duty day."
    ),
    new_code_cell(
        "problem = pp.WeekProblem(district, staff, week, hot_spots=['Chunhui'])\n"
        "plan = pp.plan_week(problem, params=pp.SolveParams(time_limit=3, seed=0))\n"
        "print(plan.summary())\n"
        "assert plan.check() == []"
    ),
    new_markdown_cell("## The roster, the routes, the visits"),
    new_code_cell("plan.roster.to_frame()"),
    new_code_cell("pp.plot.plan_map(plan);"),
    new_code_cell("pp.plot.visits_chart(plan);"),
    new_code_cell("plan.to_frame().head(10)"),
    new_markdown_cell("## Export\nThe printable roster, calendar, GPX tracks, GeoJSON and the map, in one call."),
    new_code_cell(
        "import tempfile\nout = tempfile.mkdtemp(prefix='patrolplan-')\nfiles = pp.export.write_all(plan, out)\nsorted(p.name for p in files)[:12]"
    ),
    new_markdown_cell(
        "## Next\nTry another week (`pp.Week.parse('2026-W50')`), save plans to a history "
        "(`pp.History(path).save(plan.to_json())`) so the desk rotates and duties stay fair, or open "
        "`02_what_if.ipynb` to compare scenarios."
    ),
]

WHAT_IF = [
    new_markdown_cell(
        "# What if…?\n\n"
        "Compare plans side by side for the same week: a specialist absent, a new courtyard, a shorter "
        "shift, three riders instead of two, and heavier rotation against last week's routes. Each "
        "scenario is one changed input; the table and the chart show the trade-offs."
    ),
    new_code_cell(
        "import dataclasses\nimport matplotlib\nmatplotlib.use('Agg')\nimport pandas as pd\n"
        "from shapely.geometry import box\nimport patrolplan as pp\n\n"
        "district = pp.load_district()\nstaff = pp.load_staff()\nweek = pp.Week.parse('2026-W49')\n"
        "params = pp.SolveParams(time_limit=2, seed=0)\nbase = pp.WeekProblem(district, staff, week)"
    ),
    new_code_cell(
        "def row(name, plan):\n"
        "    return {'scenario': name, 'km': plan.distance_m / 1000, 'longest_km': plan.longest_route_m / 1000,\n"
        "            'routes': len(plan.routes), 'dropped': len(plan.dropped), 'coverage': plan.coverage(),\n"
        "            'staff_days': len(plan.roster.entries), 'valid': plan.check() == []}\n\n"
        "baseline = pp.plan_week(base, params=params)\nrows = [row('baseline', baseline)]"
    ),
    new_markdown_cell("### A specialist absent all week"),
    new_code_cell(
        "absent = staff.with_leave('Li Na', week.duty_dates())\nrows.append(row('specialist absent', pp.plan_week(base.replace(staff=absent), params=params)))"
    ),
    new_markdown_cell(
        "### A new courtyard\nA new compound east of the office, with one gate on the nearest street node."
    ),
    new_code_cell(
        "ref = district.courtyard('C25')\nminx, miny, maxx, maxy = ref.polygon.bounds\n"
        "new = dataclasses.replace(ref, id='C41', name='新建小區', name_en='New Compound', polygon=box(minx, miny, maxx, maxy), hot_spot=False)\n"
        "bigger = district.with_courtyards([*district.courtyards, new])\n"
        "rows.append(row('new courtyard', pp.plan_week(base.replace(district=bigger), params=params)))"
    ),
    new_markdown_cell("### A shorter shift\nMornings only, 09:00–11:00."),
    new_code_cell(
        "short = dataclasses.replace(base.options, shifts=(pp.Shift.parse('morning', '09:00', '11:00'),))\n"
        "rows.append(row('shorter shift', pp.plan_week(base.replace(options=short), params=params)))"
    ),
    new_markdown_cell("### Three riders instead of two"),
    new_code_cell(
        "three = dataclasses.replace(base.options, officers_per_day=3)\n"
        "rows.append(row('three riders', pp.plan_week(base.replace(options=three), params=params)))"
    ),
    new_markdown_cell(
        "### Heavier rotation\nLast week's routes are given as history; a heavy rotation weight avoids riding the same streets."
    ),
    new_code_cell(
        "last = pp.plan_week(pp.WeekProblem(district, staff, week.next(-1)), params=params)\n"
        "past = pp.PastWeeks(routes=tuple(pp.PastRoute(r.date, r.rider, r.edges(), r.slot) for r in last.routes))\n"
        "heavy = dataclasses.replace(base.options, rotation_weight=4.0)\n"
        "rows.append(row('heavier rotation', pp.plan_week(base.replace(options=heavy, past=past), params=params)))"
    ),
    new_markdown_cell("## Side by side"),
    new_code_cell("table = pd.DataFrame(rows)\ntable"),
    new_code_cell("pp.plot.compare_chart(rows);"),
    new_markdown_cell(
        "## Next\nCombine scenarios (three riders *and* a shorter shift), change `balance_weight` to trade "
        "total distance for even routes, or re-plan mid-week with `pp.replan(plan, from_date=..., absent=[...])`."
    ),
]

OWN_DISTRICT = [
    new_markdown_cell(
        "# Your own district\n\n"
        "Load a real OpenStreetMap extract (Beijing Haidian, around Xueqing Road and Liudaokou; © "
        "OpenStreetMap contributors, ODbL), derive its courtyards from the `landuse=residential` areas, "
        "check that every courtyard can be reached by bicycle and back, and plan a week for it."
    ),
    new_code_cell(
        "import matplotlib\nmatplotlib.use('Agg')\nfrom pathlib import Path\nimport patrolplan as pp\n\n"
        "osm = Path('..') / 'tests' / 'data' / 'beijing_haidian_cau.osm'\n"
        "district = pp.district_from_file(osm, name='學清路', name_en='Xueqing Road')\nprint(district.summary())"
    ),
    new_markdown_cell(
        "## The derived courtyards\nNames come from the OSM `name` / `name:zh` tags; gates from tagged entrances or the nearest street node."
    ),
    new_code_cell("[(y.id, y.name, y.gates, round(y.area_m2)) for y in district.courtyards]"),
    new_code_cell("pp.plot.district_map(district, labels=False);"),
    new_markdown_cell("## Plan it\nThe default staff pool works here too; one courtyard is a hot spot."),
    new_code_cell(
        "problem = pp.WeekProblem(district, pp.load_staff(), '2026-W49', hot_spots=[district.courtyards[0].id])\n"
        "plan = pp.plan_week(problem, params=pp.SolveParams(time_limit=3, seed=0))\nprint(plan.summary())\nassert plan.check() == []"
    ),
    new_code_cell("pp.plot.plan_map(plan);"),
    new_markdown_cell(
        "## Next\nExport your own area from openstreetmap.org (Export → .osm) or a Geofabrik .pbf, give "
        "your courtyards as GeoJSON with attributes (`courtyards=...`), and write your staff as CSV."
    ),
]


def main() -> None:
    """Write the three notebooks."""
    HERE.mkdir(exist_ok=True)
    for name, cells in [
        ("01_plan_the_week.ipynb", PLAN_THE_WEEK),
        ("02_what_if.ipynb", WHAT_IF),
        ("03_your_own_district.ipynb", OWN_DISTRICT),
    ]:
        nb = new_notebook(
            cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        )
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
