"""Per-path parameter draws: the triangular inverse CDF, every kind of band against an independent
reference, and the same numbers whether a parameter is drawn alone or with the others of its kind."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from toolkit.engine.compile import compile_model
from toolkit.engine.parameters import TRIANGULAR, UNIFORM
from toolkit.engine.sampling import sample_parameter, sample_parameters, triangular
from toolkit.pack.load import Pack


@pytest.mark.parametrize(
    ("low", "mode", "high"), [(0.0, 0.3, 1.0), (0.0, 0.0, 0.06), (2.0, 5.0, 5.0)]
)
def test_triangular_is_the_inverse_cdf(low: float, mode: float, high: float) -> None:
    u = np.random.default_rng(3).random(100_000, dtype=np.float32)
    u[:3] = np.array([0.0, 1 - 2**-24, (mode - low) / (high - low)], dtype=np.float32)
    x = triangular(u, low, mode, high)
    assert x.dtype == np.float32
    assert (x >= low).all()
    assert (x <= high).all()
    uu = u.astype(np.float64)
    c = (mode - low) / (high - low)
    with np.errstate(invalid="ignore"):
        exact = np.where(
            uu < c,
            low + np.sqrt(uu * (high - low) * (mode - low)),
            high - np.sqrt((1 - uu) * (high - low) * (high - mode)),
        )
    assert np.abs(x - exact).max() <= 4e-7 * max(abs(high), 1.0)
    assert x[0] == np.float32(low)


def test_a_parameter_drawn_alone_equals_its_draws_with_the_others(pack: Pack) -> None:
    table = compile_model(pack).parameters
    u = list(np.random.default_rng(5).random((len(table.ids), 1000), dtype=np.float32))
    values = sample_parameters(table, u)
    for i in range(len(table.ids)):
        alone = sample_parameter(table, i, u[i])
        assert np.array_equal(np.asarray(alone), np.asarray(values[i]))


def _reference(
    dist: int, is_int: bool, lo: float, mode: float, hi: float, u: np.ndarray
) -> np.ndarray:
    """The module's documented draws, computed independently in double precision."""
    u = u.astype(np.float64)
    if dist == UNIFORM:
        if is_int:  # every whole number of [lo, hi] equally likely
            return np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)
        return lo + u * (hi - lo)
    c = (mode - lo) / (hi - lo)
    with np.errstate(invalid="ignore"):
        x = np.where(
            u < c,
            lo + np.sqrt(u * (hi - lo) * (mode - lo)),
            hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)),
        )
    return np.rint(x) if is_int else x


def test_every_kind_of_band_draws_its_documented_distribution(pack: Pack) -> None:
    """Uniform and triangular, float and whole-number parameters (the pack's, and its whole-number
    ones made triangular) against an independent double-precision reference of the same uniforms:
    equal up to single precision, whole numbers equal but where the uniform sits within rounding of
    a step; every whole number of a uniform band drawn about equally often."""
    table = compile_model(pack).parameters
    triangular_ints = dataclasses.replace(
        table,
        distribution=np.where(table.is_int & table.sampled(), TRIANGULAR, table.distribution),
    )
    n = 200_000
    seen = set()
    for t in (table, triangular_ints):
        sampled = t.sampled()
        u = list(np.random.default_rng(11).random((len(t.ids), n), dtype=np.float32))
        values = sample_parameters(t, u)
        for i in np.flatnonzero(sampled):
            dist, is_int = int(t.distribution[i]), bool(t.is_int[i])
            lo, mode, hi = float(t.low[i]), float(t.value[i]), float(t.high[i])
            seen.add((dist, is_int))
            x = np.asarray(values[i])
            ref = _reference(dist, is_int, lo, mode, hi, u[i])
            assert x.shape == (n,)
            assert (x >= lo).all(), t.ids[i]
            assert (x <= hi).all(), t.ids[i]
            if is_int:
                off = x != ref
                # single precision rounds lo + u * steps by up to ~2**-24 * |hi|: near a step
                assert off.mean() <= 1e-4 + 4 * 2**-24 * max(abs(hi), 1.0), (t.ids[i], off.mean())
                assert np.abs(x - ref).max() <= 1, t.ids[i]
            else:
                assert np.abs(x - ref).max() <= 1e-6 * max(abs(hi), 1.0), t.ids[i]
            if is_int and dist == UNIFORM:
                whole = np.arange(lo, hi + 1)
                counts = np.array([(x == k).sum() for k in whole])
                p = 1 / whole.size
                assert np.abs(counts - n * p).max() <= 5 * np.sqrt(n * p * (1 - p)), t.ids[i]
                assert counts.sum() == n
    assert seen == {(UNIFORM, False), (UNIFORM, True), (TRIANGULAR, False), (TRIANGULAR, True)}
