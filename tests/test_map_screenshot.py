"""map.html opened in headless Chromium, offline: the screenshot is not blank and shows every route colour."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import patrolplan as pp
from patrolplan.export import write_map
from patrolplan.export._common import route_colour
from patrolplan.export.html_map import DAY_COLOURS

CHROMIUM = "/usr/bin/chromium"
WEEK = "2026-W49"
#: Pixels of a colour (within the tolerance) that count as "shown".
MIN_PIXELS = 40
TOLERANCE = 40


def _chromium() -> str:
    """The chromium binary, or skip with the reason printed."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        reason = "chromium is not installed (Debian package 'chromium'; .ci/run installs it)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return path


def screenshot(html: Path, png: Path, profile: Path, size: tuple[int, int]) -> None:
    """Render ``html`` with headless Chromium, no network, into ``png``."""
    args = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={size[0]},{size[1]}",
        html.resolve().as_uri(),
    ]
    subprocess.run(args, capture_output=True, timeout=90, check=False)
    if not png.exists():
        pytest.fail(f"chromium wrote no screenshot for {html}")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _pixels_near(counts: Counter[tuple[int, int, int]], colour: tuple[int, int, int]) -> int:
    return sum(n for rgb, n in counts.items() if max(abs(a - b) for a, b in zip(rgb, colour, strict=True)) <= TOLERANCE)


@pytest.fixture(scope="session")
def shot_doc() -> dict[str, Any]:
    """The default district's 2026-W49, planned once with a short time limit."""
    problem = pp.WeekProblem(pp.load_district(), pp.load_staff(), WEEK)
    return pp.plan_week(problem, params=pp.SolveParams(time_limit=3, seed=0)).to_json()


@pytest.fixture(scope="session")
def pixels(shot_doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Counter[tuple[int, int, int]]:
    """Colour counts of a screenshot of map.html (tall enough for every panel)."""
    _chromium()
    folder = tmp_path_factory.mktemp("map")
    html = write_map(shot_doc, folder / "map.html")
    png = folder / "map.png"
    screenshot(html, png, folder / "profile", (1200, 1600))
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
        return Counter({colour: count for count, colour in colours})


def test_map_screenshot_is_not_blank(pixels: Counter[tuple[int, int, int]]) -> None:
    """The page is not one colour: the most common colour covers well under all of it, many colours appear."""
    total = sum(pixels.values())
    assert pixels.most_common(1)[0][1] < 0.9 * total
    assert len(pixels) > 50


def test_map_screenshot_shows_every_route_colour(
    pixels: Counter[tuple[int, int, int]], shot_doc: dict[str, Any]
) -> None:
    """Each route's colour is drawn (a visible number of pixels near it), as are the visit-day fills."""
    missing = [
        route_colour(i)
        for i in range(len(shot_doc["routes"]))
        if _pixels_near(pixels, _rgb(route_colour(i))) < MIN_PIXELS
    ]
    assert not missing, f"route colours not visible: {missing}"
    for k in range(len(shot_doc["duty_days"])):
        assert _pixels_near(pixels, _rgb(DAY_COLOURS[k])) > MIN_PIXELS
