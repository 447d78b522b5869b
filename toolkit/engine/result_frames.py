"""`ResultFrames`: how a run's histograms become tidy Polars frames (months, ordered enums, counts as
probabilities). `SimulationResult` builds one on first use; this module knows nothing of summaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from toolkit.engine.chunk import PathSamples
from toolkit.engine.model import Model


@dataclass(frozen=True)
class ResultFrames:
    """Tidy frames of one run's histograms, with the model's ordered enums on every key column."""

    model: Model
    months: int  # reporting periods after month 0
    paths: int
    step: float = 1.0

    def month_values(self, n: int) -> pl.Series:
        """The `month` column's values of periods 0..n-1: whole months, or period ends in months."""
        if self.step == 1:
            return pl.Series(np.arange(n), dtype=pl.Int32)
        return pl.Series(np.arange(n) * self.step, dtype=pl.Float64)

    @property
    def phase(self) -> pl.Enum:
        return pl.Enum(list(self.model.phases))

    @property
    def tech(self) -> pl.Enum:
        return pl.Enum(list(self.model.technologies))

    @property
    def tech_tier(self) -> pl.Enum:
        return pl.Enum(list(self.model.tech_tiers))

    @property
    def response(self) -> pl.Enum:
        return pl.Enum(list(self.model.responses))

    def _grid(
        self, items: tuple[str, ...], key: str, dtype: pl.Enum, prob: np.ndarray
    ) -> pl.DataFrame:
        """prob is (items, months+1); rows month-major, items in ladder order."""
        m = self.months + 1
        return pl.DataFrame(
            {
                "month": self.month_values(m).gather(np.repeat(np.arange(m), len(items))),
                key: pl.Series(list(items) * m, dtype=dtype),
                "probability": prob.T.ravel(),
            }
        )

    def by_month(self, counts: np.ndarray, key: str, dtype: pl.Enum) -> pl.DataFrame:
        items = tuple(dtype.categories.to_list())
        return self._grid(items, key, dtype, counts / self.paths)

    def cumulative(self, hist: np.ndarray, key: str, dtype: pl.Enum) -> pl.DataFrame:
        items = tuple(dtype.categories.to_list())
        cum = np.cumsum(hist[:, : self.months + 1], axis=1) / self.paths
        return self._grid(items, key, dtype, cum)

    def levels(self, level_hist: np.ndarray) -> pl.DataFrame:
        """Distribution of the highest tier decided; `none` first."""
        at_least = np.cumsum(level_hist[:, : self.months + 1], axis=1) / self.paths  # (R, M+1)
        padded = np.vstack(
            [np.ones((1, self.months + 1)), at_least, np.zeros((1, self.months + 1))]
        )
        prob = padded[:-1] - padded[1:]
        names = ("none", *self.model.responses)
        return self._grid(names, "level", pl.Enum(list(names)), np.clip(prob, 0.0, 1.0))

    def times(self, decided: np.ndarray) -> pl.DataFrame:
        """Distribution of the decision month of each tier; a null month is beyond the horizon."""
        r, m = len(self.model.responses), self.months + 2
        months = [*self.month_values(self.months + 1).to_list(), None]
        return pl.DataFrame(
            {
                "tier": pl.Series(np.repeat(list(self.model.responses), m), dtype=self.response),
                "month": pl.Series(months * r, dtype=pl.Int32 if self.step == 1 else pl.Float64),
                "probability": (decided / self.paths).ravel(),
            }
        )

    def samples(self, parts: list[PathSamples]) -> pl.DataFrame:
        model, never = self.model, self.months + 1

        def months(a: np.ndarray) -> pl.Series:
            periods = pl.Series(np.where(a >= never, -1, a), dtype=pl.Int32).replace(-1, None)
            return periods if self.step == 1 else periods.cast(pl.Float64) * self.step

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
