"""Per-path parameter draws: the triangular inverse CDF, and the same numbers whether a parameter is
drawn alone or with the others of its kind."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.compile import compile_model
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
