"""The vectorized engine: output frames, determinism, bounded samples, agreement with the reference."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.reference_engine import run_reference
from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model
from toolkit.engine.result import SimulationResult
from toolkit.engine.simulation import BLOCK, simulate
from toolkit.errors import ParameterError
from toolkit.pack.load import Pack


@pytest.fixture(scope="module")
def model(pack: Pack) -> Model:
    return compile_model(pack)


@pytest.fixture(scope="module")
def result(model: Model) -> SimulationResult:
    return simulate(model, paths=4_000, months=24, seed=7, keep_samples=300)


def test_frames_are_tidy_long_format_with_ordered_enums(result: SimulationResult) -> None:
    phases = list(result.model.phases)
    assert result.phases.columns == ["month", "phase", "probability"]
    assert result.phases.schema["month"] == pl.Int32
    assert result.phases.schema["phase"] == pl.Enum(phases)
    assert result.phases.height == 25 * len(phases)
    assert result.reached.columns == ["month", "phase", "probability"]
    assert result.transfers.columns == ["month", "technology", "tier", "probability"]
    assert result.transfers.schema["tier"] == pl.Enum(["conventional", "strategic"])
    assert result.transfer_tiers.columns == ["month", "tier", "probability"]
    assert result.responses.columns == ["month", "level", "probability"]
    assert result.responses.schema["level"].categories.to_list() == [  # type: ignore[attr-defined]
        "none",
        *result.model.responses,
    ]
    assert result.time_to_response.columns == ["tier", "month", "probability"]
    assert (result.scenario, result.paths, result.months, result.seed) == ("baseline", 4000, 24, 7)
    assert {"id", "value", "low", "high", "source", "claim", "assumption"} <= set(
        result.parameters.columns
    )


@pytest.mark.parametrize(("months", "step"), [(24, 1), (12, 3), (6, 0.25)])
def test_chart_rows_are_the_charts_plain_frames(model: Model, months: int, step: float) -> None:
    """`chart_rows` (the explorer's, made from the same grids without a frame) gives exactly the rows
    a chart inlines from a frame (`plain`, then `rows(named=True)`): values, key order and types."""
    from toolkit.charts.theme import plain

    run = simulate(model, paths=3_000, months=months, step=step, seed=3)
    for output in ("phases", "reached", "transfers", "transfer_tiers", "responses"):
        for digits in (3, 4):
            expected = plain(getattr(run, output), digits=digits).rows(named=True)
            rows = run.chart_rows(output, digits)
            assert rows == expected, output
            assert [list(r.items()) for r in rows] == [list(r.items()) for r in expected]
            assert [type(v) for r in rows for v in r.values()] == [
                type(v) for r in expected for v in r.values()
            ]


def test_distributions_sum_to_one(result: SimulationResult) -> None:
    for frame in (result.phases, result.responses):
        sums = frame.group_by("month").agg(pl.col("probability").sum())["probability"]
        assert np.allclose(sums.to_numpy(), 1.0)
    sums = result.time_to_response.group_by("tier").agg(pl.col("probability").sum())
    assert np.allclose(sums["probability"].to_numpy(), 1.0)
    assert result.time_to_response["month"].null_count() == len(result.model.responses)


def test_month_zero_is_the_articles_state(result: SimulationResult) -> None:
    start = result.phases.filter(pl.col("month") == 0)
    assert start["probability"].to_list() == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    level0 = result.responses.filter(pl.col("month") == 0)
    assert dict(zip(level0["level"].cast(pl.String), level0["probability"], strict=False)) == {
        "none": 0.0,
        "diplomatic_pressure": 1.0,  # the only active tier
        "economic_measures": 0.0,
        "recovery_support": 0.0,
        "defensive_support": 0.0,
        "lethal_weapons": 0.0,
        "personnel_troops": 0.0,
    }
    at_start = result.transfers.filter(pl.col("month") == 0)
    paid = dict(zip(at_start["technology"].cast(pl.String), at_start["probability"], strict=True))
    assert 0.0 < paid.pop("air_defence") < 0.15  # paid up front: upfront_air_defence's band
    assert set(paid.values()) == {0.0}  # nothing else is


def test_cumulative_outputs_never_decrease_and_ruled_out_never_happens(
    result: SimulationResult,
) -> None:
    for frame, key in (
        (result.transfers, "technology"),
        (result.transfer_tiers, "tier"),
        (result.reached, "phase"),
    ):
        diffs = frame.sort(key, "month").group_by(key).agg(pl.col("probability").diff().min())
        assert (diffs["probability"].fill_null(0) >= 0).all()
    troops = result.responses.filter(pl.col("level") == "personnel_troops")
    assert troops["probability"].max() == 0.0
    assert result.probability_by("personnel_troops", 24) == 0.0


def test_same_seed_same_numbers_whatever_the_chunk_size(model: Model) -> None:
    paths = 2 * BLOCK + 1_000
    runs = [
        simulate(model, paths=paths, months=8, seed=11, chunk_size=size, keep_samples=BLOCK + 50)
        for size in (1, BLOCK, 2 * BLOCK, 10 * BLOCK)
    ]
    for other in runs[1:]:
        for name in ("occupancy", "reached", "transfer", "tier_transfer", "decided", "level"):
            assert np.array_equal(getattr(runs[0].counts, name), getattr(other.counts, name))
        assert runs[0].phases.equals(other.phases)
        assert runs[0].samples is not None
        assert other.samples is not None
        assert runs[0].samples.equals(other.samples)
    different = simulate(model, paths=paths, months=8, seed=12)
    assert not np.array_equal(runs[0].counts.transfer, different.counts.transfer)


def test_samples_are_bounded_and_consistent(result: SimulationResult, model: Model) -> None:
    samples = result.samples
    assert samples is not None
    assert samples.height == 300
    assert "param.lethal_will" in samples.columns
    assert "param.compensation_horizon" not in samples.columns  # a point, not drawn
    assert samples["reached.adaptation_training"].to_list() == [0] * 300
    assert simulate(model, paths=50, months=6).samples is None
    # all paths kept: the histograms can be rebuilt from the samples
    small = simulate(model, paths=500, months=12, seed=3, keep_samples=10_000)
    assert small.samples is not None
    assert small.samples.height == 500
    for r, tier in enumerate(model.responses):
        months = small.samples[f"decided.{tier}"].fill_null(13).to_numpy()
        assert np.array_equal(np.bincount(months, minlength=14), small.counts.decided[r])
    for t, tech in enumerate(model.technologies):
        months = small.samples[f"transfer.{tech}"].fill_null(13).to_numpy()
        assert np.array_equal(np.bincount(months, minlength=14), small.counts.transfer[t])
    final = small.samples["final_phase"].value_counts().sort("final_phase")
    at_end = dict(zip(model.phases, small.counts.occupancy[-1], strict=False))
    assert {str(k): v for k, v in final.iter_rows()} == {k: v for k, v in at_end.items() if v}


def test_overrides_and_scenarios_change_the_outcome(pack: Pack, model: Model) -> None:
    base = simulate(model, paths=3_000, months=12, seed=1)
    keen = simulate(pack, paths=3_000, months=12, seed=1, lethal_will=0.9, lethal_lag=0)
    assert keen.probability_by("lethal_weapons", 12) > base.probability_by("lethal_weapons", 12)
    rear = simulate(pack, "rear_support_only", paths=3_000, months=12, seed=1)
    assert rear.probability_by("frontline_combat", 12) == 0.0
    assert rear.probability_by("lethal_weapons", 12) == 0.0
    assert rear.scenario == "rear_support_only"
    origin = rear.parameters.filter(pl.col("id") == "rate_rear_to_frontline")["origin"].item()
    assert origin == "scenario:rear_support_only"


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"paths": 0}, r"paths = 0 is out of its valid range \[1, "),
        ({"months": 1000}, r"months = 1000 is out of its valid range \[1, 600\]"),
        ({"seed": -1}, r"seed = -1 is out of its valid range"),
        ({"paths": 10.5}, r"paths expects a whole number"),
        ({"lethal_will": 7}, r"'lethal_will' = 7 is out of its valid range \[0, 1\]"),
        ({"bogus": 1}, r"unknown parameter 'bogus'"),
    ],
)
def test_invalid_inputs_raise_parameter_error(
    model: Model, kwargs: dict[str, object], pattern: str
) -> None:
    with pytest.raises(ParameterError, match=pattern):
        simulate(model, **kwargs)  # type: ignore[arg-type]


def test_summary_refuses_a_within_outside_the_run(result: SimulationResult) -> None:
    """`within` past the horizon (or before month 0) is an error, not silently the horizon."""
    assert result.months == 24
    for within in (-1, 25, 10**400, 2.5, "12"):
        with pytest.raises(ParameterError, match="within") as info:
            result.summary(within)  # type: ignore[arg-type]
        assert len(str(info.value)) < 120
    assert result.summary(0)["within"] == 0
    assert result.summary(24)["within"] == 24
    assert result.summary()["within"] == 12  # the default: 12 months, or the horizon if shorter


def test_never_decided_share_is_the_mean_draw_and_matches_the_paths(model: Model) -> None:
    """The share reported for a tier's never-decide parameter is the mean of its draws (a point's
    value; a triangular band's (low + mode + high) / 3), and it is what the paths show: with combat in
    Ukraine from the start, no way out and a quick decision, the undecided share at a long horizon."""
    from toolkit.engine.result import share_in_words

    never = simulate(model, paths=200, months=6).never_decided()
    assert set(never) == {"lethal_weapons"}
    lethal = never["lethal_weapons"]
    assert lethal["parameter"] == "lethal_never"
    assert lethal["sampled"]
    assert lethal["share"] == pytest.approx((lethal["low"] + lethal["value"] + lethal["high"]) / 3)
    stay = {"rate_ukraine_to_rear": 0.0, "rate_ukraine_to_withdrawal": 0.0, "lethal_will": 0.9}
    for spec, share in (({"value": 0.3, "low": 0.1, "high": 0.5}, 0.3), (0.6, 0.6), (1.0, 1.0)):
        res = simulate(
            model,
            paths=20_000,
            months=60,
            seed=5,
            start={"combat_in_ukraine": 1.0},
            lethal_never=spec,
            lethal_lag=0,
            **stay,
        )
        assert res.never_decided()["lethal_weapons"]["share"] == pytest.approx(share)
        undecided = 1 - res.probability_by("lethal_weapons", 60)
        assert abs(undecided - share) < 4 * np.sqrt(share * (1 - share) / 20_000) + 1e-9
        entry = next(r for r in res.summary()["responses"] if r["tier"] == "lethal_weapons")
        assert entry["never_share"] == pytest.approx(share)
        assert entry["never_parameter"] == "lethal_never"
    assert share_in_words(0.35) == "about a third of paths (35 %)"
    assert share_in_words(0.5) == "about half of paths (50 %)"
    assert share_in_words(0.43) == "43 % of paths"
    assert share_in_words(0.0) == "no paths"
    assert share_in_words(1.0) == "every path"


def test_progress_and_summary(model: Model) -> None:
    calls: list[tuple[int, int]] = []
    res = simulate(model, paths=BLOCK + 10, months=6, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(BLOCK, BLOCK + 10), (BLOCK + 10, BLOCK + 10)]
    s = res.summary(within=3)
    assert s["within"] == 3
    assert s["months"] == 6
    assert res.summary()["within"] == 6  # the default 12 follows a shorter horizon
    assert [r["tier"] for r in s["responses"]] == list(model.responses)
    assert s["responses"][0]["median_month"] == 0
    assert s["responses"][-1]["median_month"] is None
    assert [r["never_parameter"] for r in s["responses"]] == [
        None if i < 0 else model.parameters.ids[i] for i in model.never_param
    ]
    assert abs(sum(s["level_at_horizon"].values()) - 1) < 1e-9
    long = res.to_long()
    assert set(long["output"]) == {
        "phases",
        "reached",
        "transfers",
        "transfer_tiers",
        "responses",
        "time_to_response",
    }
    assert long["scenario"].unique().to_list() == ["baseline"]
    # ladder order survives the string column: sorting by item_order gives the phases in order
    phases = long.filter((pl.col("output") == "phases") & (pl.col("month") == 0))
    assert phases.sort("item_order")["item"].to_list() == list(model.phases)
    with pytest.raises(ParameterError, match="unknown outcome"):
        res.probability_by("nothing", 3)


# -- agreement with the per-path reference -------------------------------------------------------
# Each probability (phase occupancy, first reach, transfers, decisions, response level, month by
# month) must agree within 4.5 combined binomial standard errors plus 1.5/n_ref. Under the null the
# chance of one false alarm across all compared cells is below 1%; both sides use fixed seeds.
REFERENCE_PATHS, ENGINE_PATHS, MONTHS = 2_500, 50_000, 18


def _compare(name: str, ref: np.ndarray, eng: np.ndarray) -> None:
    a, b = ref / REFERENCE_PATHS, eng / ENGINE_PATHS
    p = (ref + eng) / (REFERENCE_PATHS + ENGINE_PATHS)
    se = np.sqrt(p * (1 - p) * (1 / REFERENCE_PATHS + 1 / ENGINE_PATHS))
    excess = np.abs(a - b) - (4.5 * se + 1.5 / REFERENCE_PATHS)
    assert excess.max() <= 0, f"{name}: worst cell off by {np.abs(a - b).max():.4f}"


@pytest.mark.parametrize(
    "scenario", ["baseline", "rear_support_only", "rapid_frontline", "strategic_transfer"]
)
def test_engine_agrees_with_the_per_path_reference(pack: Pack, scenario: str) -> None:
    model = compile_model(pack, scenario)
    ref = run_reference(model, REFERENCE_PATHS, MONTHS, seed=2024)
    eng = simulate(model, paths=ENGINE_PATHS, months=MONTHS, seed=2024).counts
    _compare("occupancy", np.array(ref.occupancy), eng.occupancy)
    _compare("reached", np.cumsum(ref.reached, axis=1), np.cumsum(eng.reached, axis=1))
    _compare("transfer", np.cumsum(ref.transfer, axis=1), np.cumsum(eng.transfer, axis=1))
    _compare(
        "tier_transfer", np.cumsum(ref.tier_transfer, axis=1), np.cumsum(eng.tier_transfer, axis=1)
    )
    _compare("decided", np.cumsum(ref.decided, axis=1), np.cumsum(eng.decided, axis=1))
    levels = np.cumsum(eng.level[:, : MONTHS + 1], axis=1)  # paths with level >= tier
    at_least = np.vstack([np.full(MONTHS + 1, ENGINE_PATHS), levels, np.zeros(MONTHS + 1)])
    _compare("level", np.array(ref.level), (at_least[:-1] - at_least[1:]).T)


def test_within_must_end_a_reporting_period_and_defaults_to_one(model: Model) -> None:
    """A `within` between two ends of reporting periods reported the earlier one under its own
    month (step 3, within 4: the figure of month 3; step 36: 0 for "within 12"). Found in a bug hunt."""
    quarterly = simulate(model, paths=2_000, months=12, seed=3, step=3)
    with pytest.raises(ParameterError, match="within = 4 is not the end of a reporting period"):
        quarterly.summary(4)
    assert quarterly.summary()["within"] == 12
    coarse = simulate(model, paths=2_000, months=36, seed=3, step=36)
    summary = coarse.summary()
    assert summary["within"] == 36
    westward = next(p for p in summary["phases"] if p["phase"] == "westward_movement")
    assert westward["p_reached_within"] == westward["p_reached_horizon"] > 0.5
    weekly = simulate(model, paths=2_000, months=12, seed=3, step=0.25)
    assert weekly.summary()["within"] == 12


@pytest.mark.parametrize("month", [-5, 13, 100, float("nan"), float("inf"), "6", True, None])
def test_probability_by_refuses_a_month_outside_the_run(
    result: SimulationResult, month: object
) -> None:
    """It clipped 100 to the horizon and -5 to 0, silently, and nan, inf and "6" were tracebacks."""
    short = simulate(result.model, paths=500, months=12, seed=1)
    with pytest.raises(ParameterError, match=r"month expects a number in \[0, 12\]"):
        short.probability_by("westward_movement", month)  # type: ignore[arg-type]


def test_numpy_integers_are_run_settings_like_ints(model: Model) -> None:
    """`paths=np.int64(1000)` passed the check, then overflowed the generator's jump (found in a bug
    hunt)."""
    plain = simulate(model, paths=1_000, months=6, seed=2)
    numpy = simulate(model, paths=np.int64(1_000), months=np.int32(6), seed=np.uint16(2))
    assert np.array_equal(plain.counts.occupancy, numpy.counts.occupancy)
