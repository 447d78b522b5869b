"""`ResultFrames`: how a run's histograms become tidy Polars frames (months, ordered enums, counts as
probabilities). `SimulationResult` builds one on first use; this module knows nothing of summaries.

A month-by-month output is first a `Grid` (its probabilities as a numpy array), then a frame
(`frame`) or, for a chart that only inlines it, the chart's rows (`rows`) without a frame: the live
explorer's update path (issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import polars as pl

from toolkit.engine.chunk import PathSamples
from toolkit.engine.model import Model

#: a column read off a grid's item: (name, dtype, its value for each item in ladder order)
Column = tuple[str, pl.Enum, tuple[str, ...]]


@dataclass(frozen=True, eq=False)  # an array field: compared by identity, never by ==
class Grid:
    """One month-by-month output before it is a frame: `prob[i, t]` is the probability of item `i`
    of the `key` ladder (`dtype`'s order) in period `t`; `extra` columns are read off the item (the
    transfers' tier). `ResultFrames.frame` makes it a frame, `ResultFrames.rows` a chart's rows."""

    key: str
    dtype: pl.Enum
    prob: np.ndarray  # (items, periods + 1)
    extra: tuple[Column, ...] = ()

    @cached_property
    def items(self) -> tuple[str, ...]:
        return tuple(self.dtype.categories.to_list())


@dataclass(frozen=True)
class ResultFrames:
    """Tidy frames of one run's histograms, with the model's ordered enums on every key column."""

    model: Model
    months: int  # reporting periods after month 0
    paths: int
    step: float = 1.0

    def month_values(self, n: int) -> pl.Series:
        """The `month` column's values of periods 0..n-1: whole months, or period ends in months."""
        months = self._months(n)
        return pl.Series(months, dtype=month_dtype(self.step))

    def _months(self, n: int) -> np.ndarray:
        return period_months(np.arange(n), self.step)

    @property
    def phase(self) -> pl.Enum:
        return enum(tuple(self.model.phases))

    @property
    def tech(self) -> pl.Enum:
        return enum(tuple(self.model.technologies))

    @property
    def tech_tier(self) -> pl.Enum:
        return enum(tuple(self.model.tech_tiers))

    @property
    def response(self) -> pl.Enum:
        return enum(tuple(self.model.responses))

    def by_month(self, counts: np.ndarray, key: str, dtype: pl.Enum) -> Grid:
        """counts is (items, periods+1): the share of paths on each item each period."""
        return Grid(key, dtype, counts / self.paths)

    def cumulative(
        self, hist: np.ndarray, key: str, dtype: pl.Enum, extra: tuple[Column, ...] = ()
    ) -> Grid:
        """hist is (items, periods+): the share of paths whose event fell in each period; cumulated."""
        cum = np.cumsum(hist[:, : self.months + 1], axis=1) / self.paths
        return Grid(key, dtype, cum, extra)

    def levels(self, level_hist: np.ndarray) -> Grid:
        """Distribution of the highest tier decided; `none` first."""
        at_least = np.cumsum(level_hist[:, : self.months + 1], axis=1) / self.paths  # (R, M+1)
        padded = np.vstack(
            [np.ones((1, self.months + 1)), at_least, np.zeros((1, self.months + 1))]
        )
        prob = padded[:-1] - padded[1:]
        names = ("none", *self.model.responses)
        return Grid("level", enum(names), np.clip(prob, 0.0, 1.0))

    def frame(self, grid: Grid) -> pl.DataFrame:
        """A grid as a tidy frame: month, key, its extra columns, probability; rows month-major,
        items in ladder order."""
        m, n = self.months + 1, grid.prob.shape[0]
        month = np.repeat(np.arange(m), n)
        item = np.tile(np.arange(n), m)
        cols = {"month": self.month_values(m).gather(month)}
        for name, dtype, values in ((grid.key, grid.dtype, grid.items), *grid.extra):
            cols[name] = pl.Series(name, values, dtype=dtype).gather(item)
        cols["probability"] = pl.Series(grid.prob.T.ravel())
        return pl.DataFrame(cols)

    def rows(self, grid: Grid, digits: int) -> list[dict[str, Any]]:
        """A grid's frame as the rows a chart inlines (`toolkit.charts.theme.plain`, then
        `rows(named=True)`: strings, floats rounded to `digits`), without the frame: a slider
        update of the explorer needs only these. Floats are rounded as Polars rounds a Float64
        (x * 10**digits rounded half to even, then divided back), which is what `np.round` does."""
        months = self._months(self.months + 1)
        if self.step != 1:
            months = np.round(months, digits)
        columns = (grid.key, *(name for name, _, _ in grid.extra))
        items = tuple(zip(grid.items, *(values for _, _, values in grid.extra), strict=True))
        keys = _row_keys(tuple(months.tolist()), self.step == 1, columns, items)
        probs = np.round(grid.prob.T.ravel(), digits).tolist()
        return [{**key, "probability": p} for key, p in zip(keys, probs, strict=True)]

    def times(self, decided: np.ndarray) -> pl.DataFrame:
        """Distribution of the decision month of each tier; a null month is beyond the horizon."""
        r, m = len(self.model.responses), self.months + 2
        months = [*self.month_values(self.months + 1).to_list(), None]
        return pl.DataFrame(
            {
                "tier": pl.Series(np.repeat(list(self.model.responses), m), dtype=self.response),
                "month": pl.Series(months * r, dtype=month_dtype(self.step)),
                "probability": (decided / self.paths).ravel(),
            }
        )

    def samples(self, parts: list[PathSamples]) -> pl.DataFrame:
        model, never = self.model, self.months + 1

        def months(a: np.ndarray) -> pl.Series:
            periods = pl.Series(np.where(a >= never, -1, a), dtype=pl.Int32).replace(-1, None)
            return period_months(periods, self.step)

        def cat(name: str, arrays: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(arrays) if arrays else np.zeros((0,))

        cols: dict[str, Any] = {}
        n = sum(p.final_phase.size for p in parts)
        cols["path"] = pl.Series(np.arange(n), dtype=pl.Int64)
        for pid in parts[0].values:
            cols[f"param.{pid}"] = cat(pid, [p.values[pid] for p in parts]).astype(np.float64)
        finals = cat("final", [p.final_phase for p in parts]).astype(np.int64)
        cols["final_phase"] = pl.Series([model.phases[i] for i in finals], dtype=self.phase)
        for label, attr, names in (
            ("reached", "reached", model.phases),
            ("transfer", "transfer", model.technologies),
            ("trigger", "trigger", model.responses),
            ("decided", "decided", model.responses),
        ):
            data = np.concatenate([getattr(p, attr) for p in parts], axis=0)
            for j, name in enumerate(names):
                cols[f"{label}.{name}"] = months(data[:, j])
        return pl.DataFrame(cols)


@lru_cache(maxsize=64)
def _row_keys(
    months: tuple[float, ...],
    whole: bool,  # months are ints (a key of its own: 1.0 == 1 for the cache)
    columns: tuple[str, ...],
    items: tuple[tuple[str, ...], ...],
) -> tuple[dict[str, Any], ...]:
    """The rows' month and item columns, month-major (shared between runs: copied, never changed)."""
    return tuple(
        {"month": m, **dict(zip(columns, item, strict=True))} for m in months for item in items
    )


def period_months(periods: Any, step: float) -> Any:
    """The months reporting periods end at (a number, a numpy array or a Polars series of periods):
    the periods themselves, whole months, when a period is one month; else periods × step, floats."""
    return periods if step == 1 else periods * float(step)


def month_dtype(step: float) -> pl.DataType:
    """The `month` column's type: whole months (Int32) when the reporting period is one month,
    else the periods' ends in months (Float64)."""
    return pl.Int32() if step == 1 else pl.Float64()


@lru_cache(maxsize=64)
def enum(names: tuple[str, ...]) -> pl.Enum:
    """The Enum of a ladder (made once: a Polars Enum takes tens of microseconds to make)."""
    return pl.Enum(list(names))
