"""Planning options and solver parameters: validation and TOML loading."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from patrolplan.errors import InvalidInputError
from patrolplan.options import ENGINES, PlanOptions, SolveParams
from patrolplan.week import Shift

TIEXI_TOML = Path(__file__).resolve().parents[1] / "data" / "tiexi" / "district.toml"


def test_defaults_follow_the_report() -> None:
    """Tue-Thu, two 2.5 h shifts, 2 officers and 2 specialists, 5 min visits, 13 min at hot spots."""
    opts = PlanOptions()
    assert opts.duty_days == (1, 2, 3)
    assert opts.shift_seconds == 5 * 3600
    assert (opts.officers_per_day, opts.specialists_per_day, opts.desks_per_day) == (2, 2, 1)
    assert (opts.dwell_s, opts.hot_spot_dwell_s) == (300, 780)


def test_options_are_frozen() -> None:
    """Options change only through dataclasses.replace (which validates again)."""
    opts = PlanOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.dwell_s = 1  # type: ignore[misc]
    with pytest.raises(InvalidInputError, match=r"dwell_s must be >= 0 seconds"):
        dataclasses.replace(opts, dwell_s=-1)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"duty_days": ()}, r"duty_days \(\) must be distinct weekdays"),
        ({"duty_days": (1, 1)}, r"duty_days \(1, 1\) must be distinct weekdays"),
        ({"duty_days": (1, 9)}, r"must be 0 \(Mon\) to 6 \(Sun\)"),
        ({"shifts": ()}, r"at least one shift is needed"),
        ({"officers_per_day": 0}, r"officers_per_day must be at least 1: someone rides the patrol"),
        ({"specialists_per_day": -1}, r"specialists_per_day must be >= 0"),
        ({"hot_spot_dwell_s": -5}, r"hot_spot_dwell_s must be >= 0 seconds"),
        ({"balance_weight": -0.5}, r"balance_weight and rotation_weight must be >= 0"),
        ({"walking_speed_kmh": 0}, r"walking_speed_kmh must be > 0"),
    ],
)
def test_each_bad_option_is_named(changes: dict[str, object], match: str) -> None:
    """Every invalid option raises InvalidInputError naming it."""
    with pytest.raises(InvalidInputError, match=match):
        PlanOptions(**changes)  # type: ignore[arg-type]


def test_overlapping_shifts() -> None:
    """Shifts that overlap are named with their times."""
    shifts = (Shift.parse("a", "09:00", "12:00"), Shift.parse("b", "11:00", "13:00"))
    with pytest.raises(InvalidInputError, match=r"shifts a \(09:00–12:00\) and b \(11:00–13:00\) overlap"):
        PlanOptions(shifts=shifts)


def test_every_problem_in_one_message() -> None:
    """Several bad options are reported together, counted."""
    with pytest.raises(InvalidInputError, match=r"plan options \(4 problems\)") as info:
        PlanOptions(duty_days=(8,), officers_per_day=0, dwell_s=-1, walking_speed_kmh=-1)
    assert len(info.value.items) == 4


def test_from_mapping_reads_names_and_shifts() -> None:
    """Weekday names and shift tables are converted."""
    opts = PlanOptions.from_mapping(
        {"duty_days": ["Mon", "周三"], "shifts": [{"name": "am", "start": "08:00", "end": "10:00"}], "dwell_s": 240}
    )
    assert opts.duty_days == (0, 2)
    assert opts.shifts == (Shift("am", dt.time(8), dt.time(10)),)
    assert opts.dwell_s == 240


def test_from_mapping_unknown_keys() -> None:
    """Unknown option names are listed with the known ones."""
    with pytest.raises(InvalidInputError, match=r"unknown plan options \['dwel_s', 'speed'\]; known: "):
        PlanOptions.from_mapping({"dwel_s": 1, "speed": 2})


def test_from_mapping_bad_values() -> None:
    """A value of the wrong type, a bad weekday and a bad shift time are refused."""
    with pytest.raises(InvalidInputError, match=r"bad plan options: "):
        PlanOptions.from_mapping({"dwell_s": "five minutes"})
    with pytest.raises(InvalidInputError, match=r"unknown weekday 'Funday'"):
        PlanOptions.from_mapping({"duty_days": ["Funday"]})
    with pytest.raises(InvalidInputError, match=r"shift 'am': bad time '8am'"):
        PlanOptions.from_mapping({"shifts": [{"name": "am", "start": "8am", "end": "10:00"}]})


def test_from_toml_options_table(tmp_path: Path) -> None:
    """A TOML file's [options] table is read."""
    path = tmp_path / "plan.toml"
    path.write_text('[options]\nduty_days = ["Tue", "Thu"]\ndesks_per_day = 2\n', encoding="utf-8")
    opts = PlanOptions.from_toml(path)
    assert (opts.duty_days, opts.desks_per_day) == ((1, 3), 2)


def test_from_toml_missing_and_broken(tmp_path: Path) -> None:
    """A missing or broken TOML file is named."""
    with pytest.raises(InvalidInputError, match=r"options file .*nope\.toml.* does not exist"):
        PlanOptions.from_toml(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[options\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"bad\.toml: not valid TOML"):
        SolveParams.from_toml(bad)


def test_from_district_settings() -> None:
    """The [week] table of a district.toml sets duty days and shifts."""
    settings = {
        "week": {"duty_days": ["Wed"], "shifts": [{"name": "pm", "start": "14:00", "end": "16:00"}]},
        "options": {"dwell_s": 200},
    }
    opts = PlanOptions.from_district_settings(settings)
    assert (opts.duty_days, opts.shift_seconds, opts.dwell_s) == ((2,), 7200, 200)


@pytest.mark.skipif(not TIEXI_TOML.exists(), reason="data/tiexi not generated yet")
def test_tiexi_settings_give_the_report_week() -> None:
    """The embedded district's settings give Tuesday to Thursday and the report's shifts."""
    import tomllib

    opts = PlanOptions.from_district_settings(tomllib.loads(TIEXI_TOML.read_text(encoding="utf-8")))
    assert opts.duty_days == (1, 2, 3)
    assert [str(s) for s in opts.shifts] == ["09:00–11:30", "14:30–17:00"]


def test_solve_params_defaults_and_engines() -> None:
    """Every solve has a time limit and a seed; engines are listed."""
    params = SolveParams()
    assert params.time_limit > 0
    assert params.seed == 0
    assert params.engine in ENGINES
    assert SolveParams(engine="pyvrp", seed=3).engine == "pyvrp"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time_limit": 0}, r"time_limit must be > 0 seconds, got 0"),
        ({"time_limit": float("nan")}, r"time_limit must be > 0 seconds, got nan"),
        ({"engine": "gurobi"}, r"unknown engine 'gurobi'; use one of auto, ortools, pyvrp"),
        ({"seed": -1}, r"seed must be between 0 and 2147483647, got -1"),
        ({"seed": 2**32}, r"seed must be between 0 and 2147483647, got 4294967296; pick a smaller seed"),
    ],
)
def test_solve_params_errors(kwargs: dict[str, object], match: str) -> None:
    """Bad solver parameters are named."""
    with pytest.raises(InvalidInputError, match=match):
        SolveParams(**kwargs)  # type: ignore[arg-type]


def test_solve_params_from_toml(tmp_path: Path) -> None:
    """[solve] is read; unknown keys are refused."""
    path = tmp_path / "solve.toml"
    path.write_text("[solve]\ntime_limit = 2.5\nseed = 7\n", encoding="utf-8")
    assert SolveParams.from_toml(path) == SolveParams(time_limit=2.5, seed=7)
    path.write_text("[solve]\ntime = 2\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"unknown solve parameters \['time'\]"):
        SolveParams.from_toml(path)


def test_solve_params_from_toml_bad_types(tmp_path: Path) -> None:
    """A time limit written as text is an input error naming the file, not a TypeError."""
    path = tmp_path / "solve.toml"
    path.write_text('[solve]\ntime_limit = "ten seconds"\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"solve\.toml: bad solve parameters .*time_limit and seed are numbers"):
        SolveParams.from_toml(path)
