"""`toolkit params` and `toolkit simulate` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from toolkit.cli import engine as cli_engine
from toolkit.cli.app import app

runner = CliRunner()
SMALL = ["--paths", "2000", "--months", "12"]


def test_params_lists_every_parameter_with_its_source() -> None:
    res = runner.invoke(app, ["params"])
    assert res.exit_code == 0, res.output
    assert "Parameters of scenario 'baseline' (34;" in res.stdout
    line = next(x for x in res.stdout.splitlines() if x.startswith("transfer_strategic "))
    assert "[0.2, 0.6]" in line
    assert "triangular" in line
    assert "claim c_may_receive_strategic (band from its phrase)" in line
    lag = next(x for x in res.stdout.splitlines() if x.startswith("lethal_lag "))
    assert "[1, 4]" in lag
    assert "[0, 24]" in lag
    assert "months" in lag
    assert "analyst assumption" in lag


def test_params_details_quote_the_claim_and_the_rationale() -> None:
    res = runner.invoke(app, ["params", "--details"])
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())  # undo the wrapping
    assert (
        "claim c_may_receive_strategic: \u201cNorth Korea may receive satellite technology" in text
    )
    assert "Contemporaneous public reporting outside the article put the deployment" in text
    assert "lethal_will: Lethal weapons, political will (per month)" in text


def test_params_marks_what_a_scenario_sets() -> None:
    res = runner.invoke(app, ["params", "--scenario", "rear_support_only"])
    assert res.exit_code == 0
    assert any(x.startswith("rate_westward_to_frontline* ") for x in res.stdout.splitlines())
    assert any(x.startswith("lethal_will ") for x in res.stdout.splitlines())


def test_simulate_prints_a_readable_summary() -> None:
    res = runner.invoke(app, ["simulate", *SMALL, "--seed", "3", "-p", "lethal_will=0.3"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "Scenario 'baseline': 2,000 paths x 12 months" in out
    assert "lethal_weapons (considered)" in out
    assert "personnel_troops (ruled out)" in out
    assert "lethal_will=0.3 (override)" in out
    assert "never decided, by assumption (share of paths): lethal_weapons 35% (lethal_never)" in out


def test_simulate_json_and_band_override() -> None:
    res = runner.invoke(
        app,
        ["simulate", *SMALL, "--json", "-s", "rapid_frontline", "-p", "lethal_will=0.3,0.1,0.5"],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["scenario"] == "rapid_frontline"
    assert data["paths"] == 2000
    assert [r["tier"] for r in data["responses"]][-1] == "personnel_troops"
    assert 0 <= data["responses"][4]["p_within"] <= 1


def test_simulate_writes_parquet(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "run.parquet"
    res = runner.invoke(app, ["simulate", *SMALL, "--out", str(out)])
    assert res.exit_code == 0, res.output
    frame = pl.read_parquet(out)
    assert {"output", "month", "item", "probability", "scenario", "seed"} <= set(frame.columns)
    assert set(frame["output"]) >= {"phases", "responses", "time_to_response"}
    assert list(tmp_path.glob("deep/.*")) == []  # no temporary file left behind
    # the file names everything the run rests on: step, overrides, start state (found in a bug hunt)
    other = tmp_path / "other.parquet"
    res = runner.invoke(
        app,
        ["simulate", *SMALL, "--step", "0.25", "-p", "troops=9000", "--start",
         "adaptation_training=0.5,westward_movement=0.5", "--out", str(other)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    row = pl.read_parquet(other).row(0, named=True)
    assert row["step"] == 0.25
    assert json.loads(row["overrides"]) == {"troops": 9000}
    assert json.loads(row["start"]) == {
        "start": {"adaptation_training": 0.5, "westward_movement": 0.5}
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-p", "lethal_will=1.5"],
            "parameter 'lethal_will' = 1.5 is out of its valid range [0, 1]",
        ),
        (["-p", "lethal_lag=2.5"], "parameter 'lethal_lag' expects a whole number in [0, 24]"),
        (["-p", "lethal_will=abc"], "parameter 'lethal_will' expects a number in [0, 1]"),
        (["-p", "lethal_will=0.5,0.6,0.9"], "band [0.6, 0.9] must contain the value 0.5"),
        (["-p", "no_such=1"], "unknown parameter 'no_such'"),
        (["-p", "lethal_will"], "-p expects NAME=VALUE"),
        (["-s", "nope"], "unknown scenario 'nope'"),
        (["-p", "rate_westward_to_rear=3.5"], "= 3.5 is out of its valid range [0, 3]"),
        (["--months", "0"], "months = 0 is out of its valid range [1, 600]"),
        (["--within", "-1"], "within = -1 is out of its valid range [0, 600]"),
        (["--within", "13"], "within = 13 is past the horizon (months = 12)"),
        (
            ["-p", "troops=1e308"],
            "parameter 'troops' = 1e+308 is out of its valid range [0, 100000]",
        ),
        (["--out", "x.csv"], "--out: expected a FILE.parquet"),
    ],
)
def test_simulate_errors_are_one_line_and_exit_non_zero(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["simulate", *SMALL, *args])
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]


LONG = "x" * 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "troops=1" + "0" * 400], "parameter 'troops' = 1e+400 is out of its valid range"),
        (["-p", "troops=" + "9" * 40], "parameter 'troops' = 1e+40 is out of its valid range"),
        (["--seed", "-1" + "0" * 100], "seed = -1e+100 is out of its valid range"),
        (["--paths", "1" * 50], "paths = 1.11111e+49 is out of its valid range"),
        (["--within", "1" * 50], "within = 1.11111e+49 is out of its valid range"),
        (["-p", "troops=" + LONG], "parameter 'troops' expects a whole number in [0, 100000]"),
        (["-p", LONG + "=1"], "unknown parameter 'xxx"),
        (["-p", LONG], "-p expects NAME=VALUE, got 'xxx"),
        (["-s", LONG], "unknown scenario 'xxx"),
    ],
)
def test_simulate_errors_quote_numbers_and_values_short(args: list[str], message: str) -> None:
    """A huge number is not echoed digit by digit, a long value is cut: the message stays one short line."""
    res = runner.invoke(app, ["simulate", *SMALL, *args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert len(lines[0]) < 220


def test_simulate_checks_run_settings_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit.pack.load

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pack was loaded")

    monkeypatch.setattr(toolkit.pack.load, "load_pack", refuse)
    for args in (["--within", "-1"], ["--within", "40"], ["--paths", "0"], ["--seed", "-2"]):
        res = runner.invoke(app, ["simulate", "--months", "36", *args])
        assert res.exit_code == 2, (args, res.output)
        assert res.stderr.startswith("error: ")


def test_simulate_within_defaults_to_twelve_or_a_shorter_horizon() -> None:
    short = runner.invoke(app, ["simulate", "--paths", "500", "--months", "6", "--json"])
    assert short.exit_code == 0, short.output
    assert json.loads(short.stdout)["within"] == 6
    long = runner.invoke(app, ["simulate", "--paths", "500", "--months", "24", "--json"])
    assert json.loads(long.stdout)["within"] == 12
    # the text shows one column when within is the horizon: two equal "by 6" columns said
    # nothing more (found in a bug hunt)
    text = runner.invoke(app, ["simulate", "--paths", "500", "--months", "6"]).stdout
    header = next(line for line in text.splitlines() if line.startswith("Deployment phase"))
    assert header.split() == ["Deployment", "phase", "reached", "by", "6"]
    text = runner.invoke(app, ["simulate", "--paths", "500", "--months", "24"]).stdout
    header = next(line for line in text.splitlines() if line.startswith("Deployment phase"))
    assert header.split()[-4:] == ["by", "12", "by", "24"]


def test_simulate_on_another_pack(pack_dir: Path) -> None:
    res = runner.invoke(app, ["simulate", *SMALL, "--pack", str(pack_dir)])
    assert res.exit_code == 0
    missing = runner.invoke(app, ["params", "--pack", str(pack_dir / "nope")])
    assert missing.exit_code == 2
    assert "no such pack" in missing.stderr


def test_long_runs_show_progress_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_engine, "PROGRESS_MIN_PATH_MONTHS", 0)
    res = runner.invoke(app, ["simulate", "--paths", "40000", "--months", "6", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["paths"] == 40000  # the bar never mixes into stdout


def test_start_names_each_phase_once() -> None:
    """`--start a=0.9,b=0.5,a=0.5` ran a 50/50 start: the last share of a phase won (bug hunt)."""
    res = runner.invoke(
        app,
        ["simulate", "--paths", "200", "--start",
         "adaptation_training=0.9,westward_movement=0.5,adaptation_training=0.5"],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "--start gives the phase 'adaptation_training' twice" in res.output


def test_simulate_refuses_a_parameter_given_twice() -> None:
    """`-p troops=5000 -p troops=6000` ran with 6000 and said nothing, where `report` refuses the
    same line: one line now, exit 2, before the run (found in a bug hunt)."""
    res = runner.invoke(
        app, ["simulate", "--paths", "200", "-p", "troops=5000", "-p", "troops=6000,5000,7000"]
    )
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr == "error: parameter 'troops' given twice\n"


def test_within_off_the_reporting_periods_is_refused_before_the_run() -> None:
    res = runner.invoke(
        app, ["simulate", "--paths", "200", "--months", "12", "--step", "3", "--within", "4"]
    )
    assert res.exit_code == 2
    assert "within = 4 is not the end of a reporting period of 3 months" in res.output


def test_the_summary_names_the_band_of_a_band_override() -> None:
    """A band override was shown as its value alone (found in a bug hunt)."""
    res = runner.invoke(
        app, ["simulate", "--paths", "200", "-p", "lethal_never=0.5,0.3,0.7", "-p", "troops=9000"]
    )
    assert res.exit_code == 0, res.output
    assert (
        "Set by scenario/overrides: troops=9000 (override), lethal_never=0.5 in [0.3, 0.7] "
        "(override)" in res.output
    )


@pytest.mark.parametrize("scale", ["0", "-1", "nan", "11", "0.001"])
def test_chart_refuses_a_scale_out_of_range_before_rendering(tmp_path: Path, scale: str) -> None:
    """`--scale 0`, a negative number, nan or 0.001 made vl-convert panic and print a Rust backtrace
    before the error (found in a bug hunt and in review)."""
    out = tmp_path / "claims.png"
    res = runner.invoke(app, ["chart", "claims", "--out", str(out), "--scale", scale])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        f"error: --scale expects a number from 0.1 to 10, not {float(scale)!r}"
    ]
    assert not out.exists()


@pytest.mark.parametrize("months", ["0", "999"])
def test_chart_tornado_refuses_months_out_of_range(tmp_path: Path, months: str) -> None:
    """`chart tornado --months 0` (or 999) was accepted while the other model charts refuse months
    outside [1, 600] (found in a bug hunt)."""
    out = tmp_path / "tornado.svg"
    args = ["chart", "tornado", "--out", str(out), "--months", months, "--paths", "100"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert res.output.strip() == f"error: months = {months} is out of its valid range [1, 600]"
    assert not out.exists()
