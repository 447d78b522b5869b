"""Properties of the engine over random parameters (hypothesis)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine_factory import chain_pack, compile_fake, count, make_pack, param
from toolkit.engine.chunk import PRE_DRAWN_VISITS
from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model
from toolkit.engine.simulation import simulate
from toolkit.pack.load import Pack

SETTINGS = settings(
    max_examples=25,
    deadline=None,
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
    for a, b in (
        ("p_training_to_westward", "p_training_to_withdrawal"),
        ("p_westward_to_rear", "p_westward_to_frontline"),
        ("p_rear_to_frontline", "p_rear_to_withdrawal"),
        ("p_frontline_to_rear", "p_frontline_to_withdrawal"),
    ):
        x = draw(prob)
        out[a], out[b] = x, draw(st.floats(0.0, 1.0 - x))
    for name in ("transfer_strategic", "transfer_conventional", "lethal_will", "defensive_will"):
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
    into=st.sampled_from(["p_westward_to_frontline", "p_rear_to_frontline"]),
    raise_by=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**32),
)
def test_raising_a_transition_toward_frontline_never_lowers_reaching_it(
    model: Model, overrides: dict[str, object], into: str, raise_by: float, seed: int
) -> None:
    """Same seed, so the same random numbers path by path: for its first PRE_DRAWN_VISITS visits a
    path owns its draws, and within 5 months it makes at most 6 visits, so the claim holds path by
    path (exactly, not just in distribution)."""
    assert PRE_DRAWN_VISITS >= 6
    sibling = {"p_westward_to_frontline": "p_westward_to_rear"}.get(into, "p_rear_to_withdrawal")
    low = float(overrides[into])  # type: ignore[arg-type]
    room = 1.0 - float(overrides[sibling])  # type: ignore[arg-type]
    high = min(room, low + raise_by)
    frontline = model.phases.index("frontline_combat")
    reached = []
    for value in (low, high):
        res = simulate(model, paths=600, months=5, seed=seed, **{**overrides, into: value})
        reached.append(res.counts.reached[frontline].cumsum())
    assert (reached[1] >= reached[0]).all()


@SETTINGS
@given(overrides=pack_overrides(), months=st.integers(1, 30), seed=st.integers(0, 2**32))
def test_transfers_stay_and_responses_never_skip_the_lag(
    model: Model, overrides: dict[str, object], months: int, seed: int
) -> None:
    res = simulate(model, paths=300, months=months, seed=seed, keep_samples=300, **overrides)
    s = res.samples
    assert s is not None
    never = months + 1
    # a transfer, once made, stays: the cumulative share of paths never falls
    assert (np.diff(res.counts.transfer[:, : months + 1].cumsum(axis=1), axis=1) >= 0).all()
    for tier in model.tech_tiers:
        techs = [
            t
            for t, x in zip(model.technologies, model.technology_tier, strict=False)
            if model.tech_tiers[x] == tier
        ]
        first = np.min([s[f"transfer.{t}"].fill_null(never).to_numpy() for t in techs], axis=0)
        assert first.min() >= 1  # nothing is transferred at month 0
    used = res.model  # the model with the overrides applied
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
    """Moves with probability 1, transfer 0 or 1, will 0 or 1: every path is the same."""
    model = compile_fake(chain_pack(steps=steps, transfer=transfer, lag=lag, will=will))
    res = simulate(model, paths=200, months=months, seed=seed)
    top = steps - 1
    for month in range(months + 1):
        expected = np.zeros(steps)
        expected[min(month, top)] = 200
        assert np.array_equal(res.counts.occupancy[month], expected)
    t1 = res.counts.transfer[0]
    if transfer == 1.0:
        assert t1[1] == 200  # transferred in the first month with a positive hazard
    else:
        assert t1[months + 1] == 200
    decided = res.counts.decided
    assert decided[0, 0] == 200  # the active tier: decided at month 0
    assert decided[2, months + 1] == 200  # ruled out: never
    due = top + lag
    if will == 1.0 and due <= months:
        assert decided[1, due] == 200
    else:
        assert decided[1, months + 1] == 200
    # staying put forever: nothing moves, nothing is triggered
    still = simulate(compile_fake(chain_pack(steps=steps, move=0.0)), paths=50, months=months)
    assert still.counts.occupancy[:, 0].tolist() == [50] * (months + 1)
    assert still.counts.decided[1, months + 1] == 50


@SETTINGS
@given(lag=st.integers(0, 4), months=st.integers(4, 12), seed=st.integers(0, 2**32))
def test_all_trigger_with_a_lapsing_phase_condition(lag: int, months: int, seed: int) -> None:
    """`all` of phase_at_least (which lapses when troops withdraw) and a transfer: deterministic
    ladder up, then down at month 3; the transfer happens at month 1, so the trigger latches at
    month 2 (phase high enough and transferred) and stays latched after the phase falls back."""
    params = {
        "troops": param(1, kind="int", lo=0, hi=10, unit="troops"),
        "large_scale_troops": param(1, kind="int", lo=1, hi=10, unit="troops"),
        "compensation_horizon": count(12, lo=1, hi=60),
        "move": param(1.0),
        "intensity": param(1.0, lo=0, hi=5, unit="ratio"),
        "transfer_hi": param(1.0, unit="probability"),
        "lag": count(lag),
        "one": param(1.0),
    }
    fake = make_pack(
        phases=[("low", 0, "intensity"), ("mid", 1, "intensity"), ("top", 2, "intensity"),
                ("out", 0, "intensity")],
        transitions=[("low", "mid", "move"), ("mid", "top", "move"), ("top", "out", "move")],
        technologies={"hi": ["t1"]},
        responses=[{"id": "r", "lag": "lag", "will": "one", "combinator": "all",
                    "conditions": [("phase_at_least", "mid"), ("tier_transferred", "hi")]}],
        params=params,
    )  # fmt: skip
    model = compile_fake(fake)
    assert model.needs_visits
    res = simulate(model, paths=100, months=months, seed=seed, keep_samples=100)
    assert res.samples is not None
    assert res.samples["trigger.r"].to_list() == [1] * 100
    assert res.counts.decided[0, 1 + lag if 1 + lag <= months else months + 1] == 100


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
