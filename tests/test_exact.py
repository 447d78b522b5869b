"""The engine against exact results of its own model (issue 11): the phase distribution of a
continuous-time chain with point rates is pi0 · expm(Q t), whatever the start state; a never-decide
share of 1 decides nothing; a start concentrated on a phase is that phase at time 0."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model
from toolkit.engine.simulation import simulate
from toolkit.pack.load import Pack

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None)


@pytest.fixture(scope="module")
def model(pack: Pack) -> Model:
    return compile_model(pack)


def point_rates(model: Model) -> Model:
    """The model with every transition rate fixed at its point value (no bands)."""
    p = model.parameters
    return model.with_overrides({p.ids[int(i)]: float(p.value[int(i)]) for i in model.trans_param})


def generator(model: Model) -> np.ndarray:
    """Q: Q[i, j] the rate from phase i to j, rows summing to 0."""
    n = len(model.phases)
    q = np.zeros((n, n))
    for f, t, i in zip(model.trans_from, model.trans_to, model.trans_param, strict=True):
        rate = float(model.parameters.value[int(i)])
        q[f, t] += rate
        q[f, f] -= rate
    return q


@pytest.mark.parametrize(
    "start",
    [
        None,  # the pack's: all in adaptation training
        {"adaptation_training": 0.5, "westward_movement": 0.3, "frontline_combat": 0.2},
    ],
)
def test_phase_distribution_is_pi0_expm_qt(model: Model, start: dict[str, float] | None) -> None:
    fixed = point_rates(model).with_start(start)
    paths, months, step = 200_000, 6, 0.25
    res = simulate(fixed, paths=paths, months=months, step=step, seed=11)
    q, pi0 = generator(fixed), np.asarray(fixed.start)
    for k in range(res.periods + 1):
        exact = pi0 @ expm(q * k * step)
        got = res.counts.occupancy[k] / paths
        se = np.sqrt(exact * (1 - exact) / paths)
        assert np.all(np.abs(got - exact) <= 4.5 * se + 1e-4), (k * step, got, exact)


def test_several_phases_can_be_crossed_within_a_month(model: Model) -> None:
    """P(combat in Ukraine within one month) is not 0 (the monthly chain made it exactly 0)."""
    res = simulate(model, paths=50_000, months=3, seed=2, rate_training_to_westward=3.0)
    assert res.probability_by("combat_in_ukraine", 1) > 0


@SETTINGS
@given(never=st.just(1.0), seed=st.integers(0, 2**32), lethal_will=st.floats(0.0, 1.0))
def test_a_never_share_of_one_decides_nothing(
    model: Model, never: float, seed: int, lethal_will: float
) -> None:
    res = simulate(
        model, paths=2_000, months=24, seed=seed, lethal_never=never, lethal_will=lethal_will,
        rate_westward_to_ukraine=2.0,
    )  # fmt: skip
    assert res.probability_by("lethal_weapons", 24) == 0.0


@SETTINGS
@given(phase=st.integers(0, 5), seed=st.integers(0, 2**32))
def test_a_concentrated_start_is_that_phase_at_time_zero(
    model: Model, phase: int, seed: int
) -> None:
    name = model.phases[phase]
    res = simulate(model, paths=1_000, months=3, seed=seed, start={name: 1.0})
    assert res.counts.occupancy[0].tolist() == [1_000 if k == phase else 0 for k in range(6)]
    assert res.counts.reached[phase, 0] == 1_000
    assert res.inputs["start"] == {name: 1.0}


def test_a_bad_start_or_step_is_one_line(model: Model) -> None:
    from toolkit.errors import ParameterError

    with pytest.raises(ParameterError, match="start: unknown phase 'front'"):
        simulate(model, paths=10, months=3, start={"front": 1.0})
    with pytest.raises(ParameterError, match="start: shares must sum to 1"):
        simulate(model, paths=10, months=3, start={"frontline_combat": 0.5})
    with pytest.raises(ParameterError, match="not a whole number of steps"):
        simulate(model, paths=10, months=3, step=0.4)


def test_a_certain_transfer_happens_at_once_after_time_0_as_in_the_reference(model: Model) -> None:
    """Transfer probability 1: every technology not paid up front is transferred in reporting
    period 1, in the engine and in the per-path reference alike (the reference put them at time 0,
    the engine just after it; found in a bug hunt)."""
    from tests.reference_engine import run_reference

    certain = model.with_overrides({"transfer_strategic": 1, "transfer_conventional": 1})
    engine = simulate(certain, paths=5_000, months=3, seed=5).counts.transfer
    reference = np.array(run_reference(certain, 500, 3, 1).transfer)
    upfront = model.paid_at_start()
    for counts, paths in ((engine, 5_000), (reference, 500)):
        assert counts[:, 2:].sum() == 0  # nothing left for later periods
        assert (counts[~upfront, 1] == paths).all()  # not paid up front: all in period 1
        assert (counts[upfront, 0] > 0).all()  # month 0: the up-front payments only
