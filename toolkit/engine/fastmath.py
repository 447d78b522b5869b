"""Elementwise functions the engine needs per path, where numpy's own is slow in single precision.

numpy's float32 `log1p` has no vectorized loop (about four times the cost of `log`, which has one);
a hazard -ln(1 - p) per path is needed for every banded probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

_ONE = np.float32(1.0)


def hazard(p: Any) -> Any:
    """-ln(1 - p), elementwise (inf for p = 1, 0 for p = 0).

    A float32 array goes through `log` (Goldberg's correction: with u = 1 - p rounded and d = 1 - u
    the p that u stands for exactly, -ln(1 - p) = -ln(u) · p / d to a few ulps); anything else
    through numpy's `log1p`."""
    p = np.asarray(p)
    if p.dtype != np.float32 or p.ndim == 0:
        return -np.log1p(-p)
    u: NDArray[np.float32] = np.subtract(_ONE, p)
    d = np.subtract(_ONE, u)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.log(u)
        np.negative(rate, out=rate)
        rate *= p / d
    exact = d == 0  # p below half an ulp of 1: -ln(1 - p) is p to single precision
    if exact.any():
        np.putmask(rate, exact, p)
    return rate


def set_where(a: NDArray[Any], mask: NDArray[np.bool_], value: float) -> None:
    """a[mask] = value in place, `mask` of a's shape or broadcast to it (np.putmask, the fastest
    numpy has for a scattered mask, takes only a mask of a's size)."""
    if mask.shape == a.shape:
        np.putmask(a, mask, value)
    else:
        np.copyto(a, value, where=mask)
