"""Draw per-path parameter values from their bands by inverse transform of given uniforms.

Distributions: `uniform` on [low, high]; `triangular` on [low, high] with mode `value`. An int parameter
takes every whole number of [low, high] with equal probability (uniform) or the triangular draw rounded
to the nearest whole number. A point (no band) is the same value on every path and draws nothing.
Each parameter has its own place in the stream of uniforms (`toolkit.engine.draws.Draws.initial`
skips the places of parameters nobody samples), so fixing one parameter leaves the others' draws
unchanged (common random numbers across sensitivity runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toolkit.engine.parameters import TRIANGULAR, UNIFORM, ParameterTable

Values = list[float | NDArray[np.floating[Any]]]


def sample_parameters(
    table: ParameterTable, uniforms: Sequence[NDArray[np.floating[Any]]]
) -> Values:
    """Per parameter: a float (point) or an array of per-path values from its uniforms (read for
    sampled parameters only)."""
    sampled = table.sampled()
    return [sample_parameter(table, i, uniforms[i], sampled[i]) for i in range(len(table.ids))]


def sample_parameter(
    table: ParameterTable, i: int, u: NDArray[np.floating[Any]], sampled: bool | None = None
) -> float | NDArray[np.floating[Any]]:
    """Parameter i: its point value, or its per-path draws from the uniforms `u`."""
    if not (table.sampled()[i] if sampled is None else sampled):
        return float(table.value[i])
    lo, hi, mode = float(table.low[i]), float(table.high[i]), float(table.value[i])
    if table.is_int[i] and table.distribution[i] == UNIFORM:
        return np.minimum(np.floor(lo + u * (hi - lo + 1.0)), hi)
    triangle = table.distribution[i] == TRIANGULAR
    x = triangular(u, lo, mode, hi) if triangle else lo + u * (hi - lo)
    return np.rint(x) if table.is_int[i] else x


def triangular(
    u: NDArray[np.floating[Any]], low: float, mode: float, high: float
) -> NDArray[np.floating[Any]]:
    """Inverse CDF of the triangular distribution on [low, high] with the given mode."""
    width = high - low
    left = np.sqrt(u * (width * (mode - low)))
    left += low
    right = np.subtract(1.0, u)
    right *= width * (high - mode)
    np.sqrt(right, out=right)
    np.subtract(high, right, out=right)
    return np.where(u < (mode - low) / width, left, right)
