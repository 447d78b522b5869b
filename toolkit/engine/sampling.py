"""Draw per-path parameter values from their bands by inverse transform of given uniforms.

Distributions: `uniform` on [low, high]; `triangular` on [low, high] with mode `value`. An int parameter
takes every whole number of [low, high] with equal probability (uniform) or the triangular draw rounded
to the nearest whole number. A point (no band) is the same value on every path and draws nothing.
Each parameter has its own place in the stream of uniforms (`toolkit.engine.draws.Draws.initial`
skips the places of parameters nobody samples), so fixing one parameter leaves the others' draws
unchanged (common random numbers across sensitivity runs).

Parameters of one kind (distribution and type) are drawn together, as the rows of one array with
per-row constants: a few whole-array operations instead of a few per parameter. A parameter's draws
are the same numbers whichever others share its array (every operation is elementwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toolkit.engine.memo import per_object
from toolkit.engine.parameters import TRIANGULAR, UNIFORM, ParameterTable

Values = list[float | NDArray[np.floating[Any]]]
Uniforms = NDArray[np.floating[Any]]


def sample_parameters(table: ParameterTable, uniforms: Sequence[Uniforms]) -> Values:
    """Per parameter: a float (point) or an array of per-path values from its uniforms (read for
    sampled parameters only)."""
    values: Values = [float(v) for v in table.value]
    _sample_into(values, _table_kinds(table), uniforms)
    return values


def sample_parameter(
    table: ParameterTable, i: int, u: Uniforms, sampled: bool | None = None
) -> float | NDArray[np.floating[Any]]:
    """Parameter i: its point value, or its per-path draws from the uniforms `u` (the same numbers
    as `sample_parameters` gives it)."""
    if not (table.sampled()[i] if sampled is None else sampled):
        return float(table.value[i])
    values: Values = [float(table.value[i])]
    _sample_into(values, _kinds(_Row(table, i), [0]), [u])
    return values[0]


class _Row:
    """One parameter of a table, as a table of one row."""

    def __init__(self, table: ParameterTable, i: int) -> None:
        self.value, self.low, self.high = (
            table.value[i : i + 1],
            table.low[i : i + 1],
            table.high[i : i + 1],
        )
        self.distribution, self.is_int = table.distribution[i : i + 1], table.is_int[i : i + 1]


Kind = tuple[int, bool, list[int], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def _kinds(table: ParameterTable | _Row, rows: list[int]) -> list[Kind]:
    """The parameters `rows` by kind (distribution, int or not), each kind with its low, high and
    mode as columns."""
    groups: dict[tuple[int, bool], list[int]] = {}
    for i in rows:
        groups.setdefault((int(table.distribution[i]), bool(table.is_int[i])), []).append(i)
    kinds: list[Kind] = []
    for (dist, is_int), group in groups.items():
        lo, hi, mode = (
            np.asarray(a, dtype=np.float64)[group][:, None]
            for a in (table.low, table.high, table.value)
        )
        kinds.append((dist, is_int, group, lo, hi, mode))
    return kinds


@per_object
def _table_kinds(table: ParameterTable) -> list[Kind]:
    return _kinds(table, np.flatnonzero(table.sampled()).tolist())


def _sample_into(values: Values, kinds: list[Kind], uniforms: Sequence[Uniforms]) -> None:
    """Set values[i] to the per-path draws of parameter i for each parameter of `kinds`."""
    for dist, is_int, group, lo, hi, mode in kinds:
        u = uniforms[group[0]] if len(group) == 1 else np.stack([uniforms[i] for i in group])
        u = u.reshape(len(group), -1)
        if is_int and dist == UNIFORM:
            x = u * (hi - lo + 1.0).astype(u.dtype)
            x += lo.astype(u.dtype)
            np.floor(x, out=x)
            np.minimum(x, hi.astype(u.dtype), out=x)
        elif dist == TRIANGULAR:
            x = triangular(u, lo, mode, hi)
        else:
            x = u * (hi - lo).astype(u.dtype)
            x += lo.astype(u.dtype)
        if is_int and dist != UNIFORM:
            np.rint(x, out=x)
        for row, i in zip(x, group, strict=True):
            values[i] = row


def triangular(u: Uniforms, low: Any, mode: Any, high: Any) -> Uniforms:
    """Inverse CDF of the triangular distribution on [low, high] with the given mode (numbers, or
    columns of per-row constants for a 2-d `u`), in the precision of `u`.

    Below the mode's quantile c the draw is low + sqrt(u·width·(mode - low)), above it
    high - sqrt((1 - u)·width·(high - mode)). Both are evaluated with u clamped to their side of c
    (no per-element selection, which costs more than the arithmetic): the left part, plus how far
    the right part has gone past its value at c (exactly 0 below c), capped at high."""
    low, mode, high = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (low, mode, high))
    width = high - low
    dtype = u.dtype
    a = (width * (mode - low)).astype(dtype)
    b = (width * (high - mode)).astype(dtype)
    c = ((mode - low) / width).astype(dtype)
    x = np.minimum(u, c)
    x *= a
    np.sqrt(x, out=x)
    x += low.astype(dtype)
    right = np.maximum(u, c)
    np.subtract(1.0, right, out=right)
    right *= b
    np.sqrt(right, out=right)
    at_c = np.subtract(1.0, c, dtype=dtype)
    at_c *= b
    np.sqrt(at_c, out=at_c)
    np.subtract(at_c, right, out=right)  # >= 0, and 0 below c
    x += right
    return np.minimum(x, high.astype(dtype), out=x)
