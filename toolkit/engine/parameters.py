"""A model's resolved parameters (`ParameterTable`) and the checks an override must pass.

Values, bands and distributions as numeric columns for the engine, with where each came from for
people. An override is a number (a point) or `{value, low, high}`; an unknown name, a wrong type or a
value out of its valid range raises `ParameterError` with a one-line message naming the parameter and
its valid range.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import polars as pl
from numpy.typing import NDArray

from toolkit.errors import ParameterError, format_number, shown

POINT, UNIFORM, TRIANGULAR = 0, 1, 2
DISTRIBUTIONS: Final = {None: POINT, "uniform": UNIFORM, "triangular": TRIANGULAR}
DISTRIBUTION_NAMES: Final = {POINT: None, UNIFORM: "uniform", TRIANGULAR: "triangular"}

FloatArray = NDArray[np.float64]


def frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class ParameterTable:
    """Resolved parameters: numeric columns for the engine, provenance for people.

    `low`/`high` are NaN for a point; `distribution` holds POINT, UNIFORM or TRIANGULAR; `origin` says
    where the resolved value came from (`pack`, `scenario:<id>`, `override`).
    """

    ids: tuple[str, ...]
    is_int: NDArray[np.bool_]
    minimum: FloatArray
    maximum: FloatArray
    value: FloatArray
    low: FloatArray
    high: FloatArray
    distribution: NDArray[np.int8]
    origin: tuple[str, ...]
    info: pl.DataFrame

    def index(self, name: str) -> int:
        """Position of parameter `name`; ParameterError if unknown."""
        try:
            return self.ids.index(name)
        except ValueError:
            raise ParameterError(_unknown_message(name, self.ids)) from None

    def sampled(self) -> NDArray[np.bool_]:
        """Which parameters are drawn per path (a band with low < high)."""
        return (self.distribution != POINT) & (self.high > self.low)

    def mean(self, i: int) -> float:
        """The mean of parameter `i`'s draws: its value for a point, else the mean of its uniform or
        triangular (mode `value`) band."""
        if not self.sampled()[i]:
            return float(self.value[i])
        lo, hi = float(self.low[i]), float(self.high[i])
        if self.distribution[i] == TRIANGULAR:
            return (lo + float(self.value[i]) + hi) / 3
        return (lo + hi) / 2

    def upper(self, i: int) -> float:
        """The largest value parameter i can take on a path."""
        return float(self.high[i]) if self.sampled()[i] else float(self.value[i])

    def valid_range(self, i: int) -> str:
        return f"[{format_number(self.minimum[i])}, {format_number(self.maximum[i])}]"

    def with_overrides(self, overrides: Mapping[str, object], origin: str) -> ParameterTable:
        """A new table with `overrides` applied: a number (a point) or {value, low, high}."""
        if not overrides:
            return self
        value, low, high = self.value.copy(), self.low.copy(), self.high.copy()
        dist, orig = self.distribution.copy(), list(self.origin)
        for name, spec in overrides.items():
            i = self.index(name)
            v, lo, hi = self._check(i, name, spec)
            value[i], low[i], high[i] = v, lo, hi
            if math.isnan(lo):
                dist[i] = POINT
            elif dist[i] == POINT:
                dist[i] = UNIFORM
            orig[i] = origin
        return replace(
            self,
            value=frozen(value),
            low=frozen(low),
            high=frozen(high),
            distribution=frozen(dist),
            origin=tuple(orig),
        )

    def _check(self, i: int, name: str, spec: object) -> tuple[float, float, float]:
        rng = self.valid_range(i)
        kind = "a whole number" if self.is_int[i] else "a number"
        if isinstance(spec, Mapping):
            extra = set(spec) - {"value", "low", "high"}
            if extra or "value" not in spec or ("low" in spec) != ("high" in spec):
                raise ParameterError(
                    f"parameter {name!r} expects {kind} in {rng} or {{value, low, high}}, "
                    f"got {shown(spec)}"
                )
            v = self._number(i, name, spec["value"])
            if "low" not in spec or spec["low"] is None:
                return v, math.nan, math.nan
            lo, hi = self._number(i, name, spec["low"]), self._number(i, name, spec["high"])
            if not lo <= v <= hi:
                raise ParameterError(
                    f"parameter {name!r}: band [{format_number(lo)}, {format_number(hi)}] must "
                    f"contain the value {format_number(v)} (valid range {rng})"
                )
            return v, lo, hi
        return self._number(i, name, spec), math.nan, math.nan

    def _number(self, i: int, name: str, x: object) -> float:
        rng = self.valid_range(i)
        kind = "a whole number" if self.is_int[i] else "a number"
        if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
            raise ParameterError(f"parameter {name!r} expects {kind} in {rng}, got {shown(x)}")
        out_of_range = f"parameter {name!r} = {format_number(x)} is out of its valid range {rng}"
        try:
            v = float(x)
        except OverflowError:  # an integer past the float range
            raise ParameterError(out_of_range) from None
        if math.isnan(v) or (self.is_int[i] and not v.is_integer()):
            raise ParameterError(f"parameter {name!r} expects {kind} in {rng}, got {shown(x)}")
        if not self.minimum[i] <= v <= self.maximum[i]:
            raise ParameterError(out_of_range)
        return v

    def to_frame(self) -> pl.DataFrame:
        """Resolved values and bands with their sources, one row per parameter."""
        dist = [DISTRIBUTION_NAMES[int(d)] for d in self.distribution]
        band = ~np.isnan(self.low)
        resolved = pl.DataFrame(
            {
                "id": list(self.ids),
                "value": self.value,
                "low": np.where(band, self.low, np.nan),
                "high": np.where(band, self.high, np.nan),
                "distribution": dist,
                "sampled": self.sampled(),
                "origin": list(self.origin),
            }
        ).with_columns(pl.col("low", "high").fill_nan(None))
        return self.info.join(resolved, on="id", how="left", maintain_order="left").select(
            "id",
            "label",
            "unit",
            "type",
            "value",
            "low",
            "high",
            "distribution",
            "sampled",
            "min",
            "max",
            "origin",
            "source",
            "claim",
            "claim_evidence",
            "band_source",
            "assumption",
            "description",
        )


def _unknown_message(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown parameter {shown(name)} ({hint}`toolkit params` lists the {len(known)} parameters)"
