"""Properties of the engine over random parameters (hypothesis)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine_factory import chain_pack, compile_fake, count, make_pack, param
from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model
from toolkit.engine.simulation import simulate
from toolkit.pack.load import Pack

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible, never a fluke
    database=None,  # tests write nothing outside tmp dirs
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
prob = st.floats(0.0, 1.0, allow_nan=False)


@pytest.fixture(scope="module")
def model(pack: Pack) -> Model:
    return compile_model(pack)


@st.composite
def pack_overrides(draw: st.DrawFn) -> dict[str, object]:
    """Random point values for the deployment, compensation and response parameters."""
    out: dict[str, object] = {}
    rate = st.floats(0.0, 3.0, allow_nan=False)
    for name in (
        "rate_training_to_westward", "rate_training_to_withdrawal", "rate_westward_to_rear",
        "rate_westward_to_frontline", "rate_westward_to_ukraine", "rate_rear_to_frontline",
        "rate_rear_to_withdrawal", "rate_frontline_to_rear", "rate_frontline_to_withdrawal",
        "rate_frontline_to_ukraine",
    ):  # fmt: skip
        out[name] = draw(rate)
    for name in (
        "transfer_strategic", "transfer_conventional", "lethal_will", "defensive_will",
        "lethal_never", "upfront_air_defence",
    ):  # fmt: skip
        out[name] = draw(prob)
    out["lethal_lag"] = draw(st.integers(0, 6))
    out["intensity_frontline"] = draw(st.floats(0.0, 5.0))
    return out


@SETTINGS
@given(overrides=pack_overrides(), months=st.integers(1, 24), seed=st.integers(0, 2**32))
def test_distributions_sum_to_one(
    model: Model, overrides: dict[str, object], months: int, seed: int
) -> None:
    res = simulate(model, paths=400, months=months, seed=seed, **overrides)
    for frame in (res.phases, res.responses):
        sums = frame.group_by("month").agg(pl.col("probability").sum())["probability"]
        assert np.allclose(sums.to_numpy(), 1.0)
        assert frame["probability"].min() >= 0  # type: ignore[operator]
    sums = res.time_to_response.group_by("tier").agg(pl.col("probability").sum())["probability"]
    assert np.allclose(sums.to_numpy(), 1.0)
    assert (res.counts.occupancy.sum(axis=1) == 400).all()
    # P(any technology of a tier) lies between its most likely technology and the sum of them
    for x in range(len(model.tech_tiers)):
        techs = res.counts.transfer[model.technology_tier == x].cumsum(axis=1)
        tier_cum = res.counts.tier_transfer[x].cumsum()
        assert (tier_cum >= techs.max(axis=0)).all()
        assert (tier_cum <= techs.sum(axis=0)).all()


@SETTINGS
@given(
    overrides=pack_overrides(),
    into=st.sampled_from(["rate_westward_to_frontline", "rate_rear_to_frontline"]),
    raise_by=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**32),
)
def test_raising_a_transition_toward_frontline_never_lowers_reaching_it(
    model: Model, overrides: dict[str, object], into: str, raise_by: float, seed: int
) -> None:
    """A higher rate into combat never lowers P(combat by t). Continuous time couples paths only
    loosely (a shorter stay, another split of the exits), so the claim is checked in distribution:
    never lower by more than Monte Carlo error, on common random numbers."""
    low = float(overrides[into])  # type: ignore[arg-type]
    high = min(3.0, low + raise_by)
    frontline = model.phases.index("frontline_combat")
    paths, reached = 4_000, []
    for value in (low, high):
        res = simulate(model, paths=paths, months=5, seed=seed, **{**overrides, into: value})
        reached.append(res.counts.reached[frontline].cumsum()[:6] / paths)
    se = np.sqrt((reached[0] * (1 - reached[0]) + reached[1] * (1 - reached[1])) / paths)
    assert (reached[1] >= reached[0] - 4 * se - 1e-9).all()


@SETTINGS
@given(overrides=pack_overrides(), months=st.integers(1, 30), seed=st.integers(0, 2**32))
def test_transfers_stay_and_responses_never_skip_the_lag(
    model: Model, overrides: dict[str, object], months: int, seed: int
) -> None:
    res = simulate(model, paths=300, months=months, seed=seed, keep_samples=300, **overrides)
    s = res.samples
    assert s is not None
    never = months + 1
    used = res.model  # the model with the overrides applied
    # a transfer, once made, stays: the cumulative share of paths never falls
    assert (np.diff(res.counts.transfer[:, : months + 1].cumsum(axis=1), axis=1) >= 0).all()
    for tier in model.tech_tiers:
        techs = [
            t
            for t, x in zip(model.technologies, model.technology_tier, strict=False)
            if model.tech_tiers[x] == tier
        ]
        later = [t for t in techs if used.upfront_param[used.technologies.index(t)] < 0]
        if later:
            first = np.min([s[f"transfer.{t}"].fill_null(never).to_numpy() for t in later], axis=0)
            assert first.min() >= 1  # only what is paid up front is transferred at month 0
    lag_of = {
        r: int(used.parameters.value[used.lag_param[i]]) for i, r in enumerate(used.responses)
        if used.lag_param[i] >= 0
    }  # fmt: skip
    for i, tier in enumerate(model.responses):
        decided = s[f"decided.{tier}"].to_numpy().astype(float)
        trigger = s[f"trigger.{tier}"].to_numpy().astype(float)
        if model.status[i] == "ruled_out":
            assert np.isnan(decided).all()
            continue
        lag_column = f"param.{model.parameters.ids[model.lag_param[i]]}"
        lag = s[lag_column].to_numpy() if lag_column in s.columns else lag_of[tier]
        done = ~np.isnan(decided)
        assert (~np.isnan(trigger[done])).all()  # no decision without a trigger
        assert (decided[done] - trigger[done] >= np.broadcast_to(lag, decided.shape)[done]).all()
        if model.status[i] == "considered":
            assert (decided[done] >= 1).all()


@SETTINGS
@given(
    steps=st.integers(2, 5),
    lag=st.integers(0, 6),
    months=st.integers(1, 15),
    transfer=st.sampled_from([0.0, 1.0]),
    will=st.sampled_from([0.0, 1.0]),
    seed=st.integers(0, 2**32),
)
def test_degenerate_parameters_give_exact_outcomes(
    steps: int, lag: int, months: int, transfer: float, will: float, seed: int
) -> None:
    """Transfer 0 or 1, will 0 or 1, rates 0: outcomes that no random number can change."""
    model = compile_fake(chain_pack(steps=steps, transfer=transfer, lag=lag, will=will))
    res = simulate(model, paths=200, months=months, seed=seed, keep_samples=200)
    assert res.samples is not None
    assert res.counts.occupancy[0, 0] == 200  # every path starts in the first phase
    t1 = res.counts.transfer[0]
    if transfer == 1.0:
        assert t1[1] == 200  # a certain transfer happens as soon as hazard accrues: period 1
    else:
        assert t1[months + 1] == 200
    decided = res.counts.decided
    assert decided[0, 0] == 200  # the active tier: decided at month 0
    assert decided[2, months + 1] == 200  # ruled out: never
    trigger = res.samples["trigger.r"].to_numpy().astype(float)
    done = res.samples["decided.r"].to_numpy().astype(float)
    if will == 1.0:  # decided exactly `lag` months after the trigger, when within the horizon
        expected = np.where(trigger + lag <= months, trigger + lag, np.nan)
        np.testing.assert_array_equal(done, expected)
    else:
        assert decided[1, months + 1] == 200
    # staying put forever: nothing moves, nothing is triggered
    still = simulate(compile_fake(chain_pack(steps=steps, move=0.0)), paths=50, months=months)
    assert still.counts.occupancy[:, 0].tolist() == [50] * (months + 1)
    assert still.counts.decided[1, months + 1] == 50


def test_all_trigger_with_a_lapsing_phase_condition_agrees_with_the_reference() -> None:
    """`all` of phase_at_least (which lapses when troops move on) and a transfer: the trigger
    latches only at a time when both hold at once, as the per-path reference evaluates it."""
    from tests.reference_engine import run_reference

    params = {
        "troops": param(1, kind="int", lo=0, hi=10, unit="troops"),
        "large_scale_troops": param(1, kind="int", lo=1, hi=10, unit="troops"),
        "compensation_horizon": count(12, lo=1, hi=60),
        "up": param(0.8, lo=0, hi=3, unit="rate/month"),
        "down": param(0.6, lo=0, hi=3, unit="rate/month"),
        "intensity": param(1.0, lo=0, hi=5, unit="ratio"),
        "transfer_hi": param(0.5, unit="probability"),
        "lag": count(1),
        "one": param(1.0),
    }
    fake = make_pack(
        phases=[("low", 0, "intensity"), ("mid", 1, "intensity"), ("top", 2, "intensity"),
                ("out", 0, "intensity")],
        transitions=[("low", "mid", "up"), ("mid", "top", "up"), ("top", "out", "down")],
        technologies={"hi": ["t1"]},
        responses=[{"id": "r", "lag": "lag", "will": "one", "combinator": "all",
                    "conditions": [("phase_at_least", "mid"), ("tier_transferred", "hi")]}],
        params=params,
    )  # fmt: skip
    model = compile_fake(fake)
    assert model.needs_visits
    months, n_ref, n_eng = 12, 4_000, 40_000
    ref = np.cumsum(run_reference(model, n_ref, months, seed=5).decided, axis=1) / n_ref
    eng = np.cumsum(simulate(model, paths=n_eng, months=months, seed=5).counts.decided, axis=1)
    eng = eng / n_eng
    se = np.sqrt(ref * (1 - ref) / n_ref + eng * (1 - eng) / n_eng)
    assert (np.abs(ref - eng) <= 4.5 * se + 1e-3).all()
    assert 0.05 < eng[0, months] < 0.95  # the condition lapses on a real share of paths


COUNTS = ("occupancy", "reached", "transfer", "tier_transfer", "decided", "level")


@SETTINGS
@given(
    variants=st.lists(pack_overrides(), min_size=1, max_size=3),
    decision_only=st.lists(
        st.sampled_from(["lethal_will", "lethal_lag", "economic_will", "defensive_lag"]),
        max_size=3,
    ),
    months=st.integers(1, 60),
    seed=st.integers(0, 2**32),
    blocks=st.integers(1, 2),
)
def test_variants_equal_their_own_runs_exactly(
    model: Model,
    variants: list[dict[str, object]],
    decision_only: list[str],
    months: int,
    seed: int,
    blocks: int,
) -> None:
    """`simulate_variants` (shared draws, shared walk for lag/will changes) is `simulate`, run by run:
    over several RNG blocks, and over long horizons where paths outlive their pre-drawn visits."""
    from toolkit.engine.simulation import BLOCK, simulate_variants

    models = [model] + [model.with_overrides(v) for v in variants]
    models += [model.with_overrides({name: 1 if "lag" in name else 0.5}) for name in decision_only]
    paths = 300 if blocks == 1 else BLOCK + 200
    together = simulate_variants(models, paths=paths, months=months, seed=seed)
    for one, run in zip(models, together, strict=True):
        alone = simulate(one, paths=paths, months=months, seed=seed)
        for name in COUNTS:
            assert np.array_equal(getattr(alone.counts, name), getattr(run.counts, name)), name
