"""`SimulationResult`: one run's outputs as tidy Polars frames, built from the run's histograms on first
use, plus the figures read from them (`probability_by`, `median_month`, `summary`, `to_long`).

`toolkit.engine.simulation` runs the engine and returns these; a result holds only the counts (and the
kept paths, if any), so a caller that wants a few numbers never pays for the frames.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import numpy as np
import polars as pl

from toolkit.engine.chunk import Counts, PathSamples
from toolkit.engine.defaults import DEFAULT_WITHIN  # the "within" month when none is asked for
from toolkit.engine.model import Model
from toolkit.engine.result_frames import Grid, ResultFrames, month_dtype, period_months
from toolkit.engine.validate import check_within, default_within
from toolkit.errors import ParameterError, shown

_FRACTIONS: Final = (
    (1 / 10, "a tenth"), (1 / 8, "an eighth"), (1 / 5, "a fifth"), (1 / 4, "a quarter"),
    (1 / 3, "a third"), (2 / 5, "two fifths"), (1 / 2, "half"), (3 / 5, "three fifths"),
    (2 / 3, "two thirds"), (3 / 4, "three quarters"), (4 / 5, "four fifths"),
    (9 / 10, "nine tenths"),
)  # fmt: skip


def share_in_words(p: float) -> str:
    """A share of paths in words: "about a third of paths (35 %)", "no paths", "every path"."""
    if p <= 0:
        return "no paths"
    if p >= 1:
        return "every path"
    percent = f"{p * 100:.0f} %" if p >= 0.005 else "<1 %"
    fraction, words = min(_FRACTIONS, key=lambda f: abs(f[0] - p))
    if abs(fraction - p) <= 0.025:
        return f"about {words} of paths ({percent})"
    return f"{percent} of paths"


@dataclass(frozen=True)
class SimulationResult:
    """Outputs of one run as tidy long-format frames (phases and tiers as ordered Enums).

    Month 0 is the start state (the article's date); then one row per reporting period of `step`
    months up to the horizon `months` (the `month` column holds whole months when `step` is 1, else
    the period's end in months). Probabilities are fractions of paths. `time_to_response` has a null
    month for "not within the horizon". `overrides` and `start` are the run's inputs on top of the
    scenario, so every output can say what it rests on.
    """

    scenario: str
    paths: int
    months: int
    seed: int
    model: Model = field(repr=False)
    counts: Counts = field(repr=False)
    kept: tuple[PathSamples, ...] = field(default=(), repr=False)
    step: float = 1.0
    overrides: tuple[tuple[str, object], ...] = ()

    @property
    def periods(self) -> int:
        """Reporting periods after month 0."""
        return round(self.months / self.step)

    def period(self, month: float) -> int:
        """The reporting period that ends at `month` (clipped to the run)."""
        return min(max(int(np.floor(month / self.step + 1e-9)), 0), self.periods)

    def month(self, period: int) -> int | float:
        """The month reporting period `period` ends at: a whole month when `step` is 1 (as the
        frames' `month` column, `toolkit.engine.result_frames.month_dtype`)."""
        return period_months(int(period), self.step)

    @property
    def inputs(self) -> dict[str, Any]:
        """What the run rests on beyond the pack: scenario, overrides and start state."""
        return {
            "scenario": self.scenario,
            "overrides": dict(self.overrides),
            "start": self.model.start_state(),
            **{f"start_{k}": v for k, v in self.model.already().items()},
        }

    @classmethod
    def build(
        cls,
        model: Model,
        counts: Counts,
        samples: list[PathSamples],
        *,
        paths: int,
        months: int,
        seed: int,
        step: float = 1.0,
        overrides: Mapping[str, object] | None = None,
    ) -> SimulationResult:
        return cls(
            scenario=model.scenario,
            paths=paths,
            months=months,
            seed=seed,
            model=model,
            counts=counts,
            kept=tuple(samples),
            step=step,
            overrides=tuple(sorted((overrides or {}).items())),
        )

    # Frames are built from the counts on first use: a run whose caller only wants a few numbers
    # (the tornado's 50-odd runs, `probability_by`) never pays for them.
    @cached_property
    def _frames(self) -> ResultFrames:
        return ResultFrames(self.model, self.periods, self.paths, self.step)

    @cached_property
    def parameters(self) -> pl.DataFrame:
        """The parameters used: values, bands, distributions and sources."""
        return self.model.parameters.to_frame()

    # Each month-by-month output is a `Grid` first; its frame, or a chart's rows (`chart_rows`), are
    # made from the same grid.
    @cached_property
    def _grids(self) -> dict[str, Grid]:
        f, model, c = self._frames, self.model, self.counts
        tier_of = tuple(model.tech_tiers[t] for t in model.technology_tier)
        return {
            "phases": f.by_month(c.occupancy.T, "phase", f.phase),
            "reached": f.cumulative(c.reached, "phase", f.phase),
            "transfers": f.cumulative(
                c.transfer, "technology", f.tech, (("tier", f.tech_tier, tier_of),)
            ),
            "transfer_tiers": f.cumulative(c.tier_transfer, "tier", f.tech_tier),
            "responses": f.levels(c.level),
        }

    def grid(self, output: str) -> Grid:
        """A month-by-month output (`phases`, `reached`, `transfers`, `transfer_tiers`,
        `responses`) before it is a frame: its ladder and probabilities as an array."""
        return self._grids[output]

    def chart_rows(self, output: str, digits: int) -> list[dict[str, Any]]:
        """The rows of a month-by-month output (see `grid`) as a chart inlines its frame: ladders
        as strings, probabilities rounded to `digits` (see `ResultFrames.rows`). Builds no frame."""
        return self._frames.rows(self._grids[output], digits)

    @cached_property
    def phases(self) -> pl.DataFrame:
        """month, phase, probability of being in the phase that month."""
        return self._frames.frame(self._grids["phases"])

    @cached_property
    def reached(self) -> pl.DataFrame:
        """month, phase, probability of having reached the phase by that month."""
        return self._frames.frame(self._grids["reached"])

    @cached_property
    def transfers(self) -> pl.DataFrame:
        """month, technology, tier, cumulative probability of the technology's transfer."""
        return self._frames.frame(self._grids["transfers"])

    @cached_property
    def transfer_tiers(self) -> pl.DataFrame:
        """month, tier, cumulative probability of any transfer in the tier."""
        return self._frames.frame(self._grids["transfer_tiers"])

    @cached_property
    def responses(self) -> pl.DataFrame:
        """month, level, probability that the highest response tier decided is `level`."""
        return self._frames.frame(self._grids["responses"])

    @cached_property
    def time_to_response(self) -> pl.DataFrame:
        """tier, month (null: not within the horizon), probability of first decision then."""
        return self._frames.times(self.counts.decided)

    @cached_property
    def samples(self) -> pl.DataFrame | None:
        """Path-level draws and event months of the kept paths, if any were kept."""
        return self._frames.samples(list(self.kept)) if self.kept else None

    def probability_by(self, item: str, month: float, kind: str | None = None) -> float:
        """P(event `item` by `month`): a response tier decided, a phase reached, a technology or a
        technology tier transferred. `kind` (`decided`, `reached`, `transferred`,
        `tier_transferred`) says which, where an id could name more than one. `month` is in
        [0, months]; between two ends of reporting periods, the events counted are those of the
        periods that end at or before it (with a weekly step, month 1 counts the first 4 weeks)."""
        number = isinstance(month, int | float | np.integer | np.floating)
        if isinstance(month, bool) or not number or not 0 <= month <= self.months + 1e-9:
            raise ParameterError(
                f"month expects a number in [0, {self.months}] (the run's horizon), got "
                f"{shown(month)}"
            )
        c, m = self.counts, self.period(month)
        events = {
            "decided": (self.model.responses, c.decided),
            "reached": (self.model.phases, c.reached),
            "transferred": (self.model.technologies, c.transfer),
            "tier_transferred": (self.model.tech_tiers, c.tier_transfer),
        }
        if kind is not None and kind not in events:
            raise ParameterError(f"unknown event kind {shown(kind)} ({', '.join(events)})")
        for name, (names, hist) in events.items():
            if kind in (None, name) and item in names:
                return float(hist[names.index(item), : m + 1].sum() / self.paths)
        raise ParameterError(
            f"unknown outcome {shown(item)}: name a response tier, phase, technology or tier"
        )

    def never_decided(self) -> dict[str, dict[str, Any]]:
        """Per response tier with a never-decide parameter: `parameter`, `share` (the share of paths
        on which the tier is never decided, whatever its trigger: the mean of the parameter's draws),
        `value`, `low`, `high` (None for a point) and `sampled`."""
        model, table = self.model, self.model.parameters
        already = model.already().get("decided", {})
        states = model.start_tiers or (None,) * len(model.responses)
        out = {}
        for tier, i, state in zip(model.responses, model.never_param, states, strict=True):
            if i < 0:
                continue
            sampled = bool(table.sampled()[i])
            # an as-of start: "never" among the paths not decided by then, or as the tracker holds it
            share = (
                table.mean(int(i)) * (1.0 - already.get(tier, 0.0))
                if state is None
                else float(
                    np.dot(
                        state.row_weights(model),
                        state.never_given(
                            np.arange(state.never.size, dtype=np.intp), table.mean(int(i))
                        ),
                    )
                )
            )
            out[tier] = {
                "parameter": table.ids[i],
                "share": share,
                "value": float(table.value[i]),
                "low": float(table.low[i]) if sampled else None,
                "high": float(table.high[i]) if sampled else None,
                "sampled": sampled,
            }
        return out

    def median_month(self, tier: str) -> float | None:
        """Median decision month of a response tier (the end of the period it falls in); None if half
        the paths do not reach it."""
        hist = self.counts.decided[self.model.responses.index(tier)]
        cum = np.cumsum(hist[: self.periods + 1])
        hits = np.flatnonzero(cum >= self.paths / 2)
        if not hits.size:
            return None
        return self.month(int(hits[0]))

    def summary(self, within: int | None = None) -> dict[str, Any]:
        """Key figures: P(reached/transferred/decided within `within` months and the horizon),
        median decision months, each tier's never-decide share (`never_share`, by its parameter
        `never_parameter`; None without one), and the response level at the horizon.

        `within` is a month of the run, in [0, months], at the end of a reporting period (else
        ParameterError); by default `DEFAULT_WITHIN`, or the first period's end after it, or the
        horizon if that is shorter (`toolkit.engine.validate.default_within`).
        """
        model = self.model
        w = (
            default_within(self.months, self.step, DEFAULT_WITHIN)
            if within is None
            else check_within(within, self.months, self.step)
        )
        level = self.responses.filter(pl.col("month") == self.months)
        never = self.never_decided()
        return {
            "scenario": self.scenario,
            "overrides": dict(self.overrides),
            "start": model.start_state(),
            **{f"start_{k}": v for k, v in model.already().items()},
            "paths": self.paths,
            "months": self.months,
            "step": self.step,
            "seed": self.seed,
            "within": w,
            "content_hash": model.content_hash,
            "phases": [
                {
                    "phase": p,
                    "p_reached_within": self.probability_by(p, w, "reached"),
                    "p_reached_horizon": self.probability_by(p, self.months, "reached"),
                }
                for p in model.phases
            ],
            "transfers": [
                {
                    "tier": t,
                    "p_within": self.probability_by(t, w, "tier_transferred"),
                    "p_horizon": self.probability_by(t, self.months, "tier_transferred"),
                }
                for t in model.tech_tiers
            ],
            "responses": [
                {
                    "tier": r,
                    "status": s,
                    "p_within": self.probability_by(r, w, "decided"),
                    "p_horizon": self.probability_by(r, self.months, "decided"),
                    "median_month": self.median_month(r),
                    "never_share": never[r]["share"] if r in never else None,
                    "never_parameter": never[r]["parameter"] if r in never else None,
                }
                for r, s in zip(model.responses, model.status, strict=True)
            ],
            "level_at_horizon": {
                str(row["level"]): row["probability"] for row in level.iter_rows(named=True)
            },
        }

    def to_long(self) -> pl.DataFrame:
        """All probability outputs in one long frame (output, month, item, item_order, probability)
        for export, each row carrying the run's settings: scenario, paths, months, step, seed, the
        pack's content hash, and its overrides and start state (JSON objects). `item` is a string
        (one column holds phases, tiers and technologies), so `item_order` keeps each output's
        ladder order (0 first): a file sorted by `item` alone was alphabetical (found in a bug hunt)."""
        parts = []
        for name, key in (
            ("phases", "phase"),
            ("reached", "phase"),
            ("transfers", "technology"),
            ("transfer_tiers", "tier"),
            ("responses", "level"),
            ("time_to_response", "tier"),
        ):
            frame: pl.DataFrame = getattr(self, name)
            parts.append(
                frame.select(
                    pl.lit(name).alias("output"),
                    pl.col("month").cast(month_dtype(self.step)),
                    pl.col(key).cast(pl.String).alias("item"),
                    pl.col(key).to_physical().cast(pl.Int32).alias("item_order"),
                    pl.col("probability"),
                )
            )
        inputs = self.inputs
        meta: dict[str, tuple[object, pl.DataType]] = {
            "scenario": (self.scenario, pl.String()),
            "paths": (self.paths, pl.Int64()),
            "months": (self.months, pl.Int64()),
            "step": (float(self.step), pl.Float64()),
            "seed": (self.seed, pl.Int64()),
            "content_hash": (self.model.content_hash, pl.String()),
            # what else the run rests on, as JSON: overrides, start state, as-of start
            "overrides": (
                json.dumps(inputs["overrides"], sort_keys=True, default=str),
                pl.String(),
            ),
            "start": (
                json.dumps(
                    {k: v for k, v in inputs.items() if k.startswith("start")},
                    sort_keys=True,
                    default=str,
                ),
                pl.String(),
            ),
        }
        return pl.concat(parts).with_columns(
            pl.lit(v, dtype=dtype).alias(k) for k, (v, dtype) in meta.items()
        )
