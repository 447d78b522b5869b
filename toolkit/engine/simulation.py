"""`simulate`: run the scenario engine and return tidy Polars frames; `simulate_variants`: many
parameter variants of one model in one pass on the same random numbers (sensitivity, grids).

Paths are grouped in fixed RNG blocks of `BLOCK` paths; block b draws from
`PCG64(SeedSequence(seed, spawn_key=(b,)))`. A chunk is a whole number of blocks processed together, so
the same seed gives identical results whatever the chunk size. Memory is bounded by the chunk size:
only histograms (and, when asked, the first `keep_samples` paths) outlive a chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from toolkit.engine.chunk import Counts, PathSamples, run_chunk, run_chunk_variants
from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model
from toolkit.engine.validate import check_whole, validate_run
from toolkit.errors import ParameterError

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

BLOCK = 16_384
MAX_SAMPLES = 1_000_000
Progress = Callable[[int, int], None]


def simulate(
    pack: Pack | Model,
    scenario: str = "baseline",
    *,
    paths: int = 10_000,
    months: int = 36,
    seed: int = 0,
    chunk_size: int = BLOCK,
    keep_samples: int = 0,
    progress: Progress | None = None,
    **overrides: object,
) -> SimulationResult:
    """Simulate `paths` paths of `months` months under `scenario` plus `overrides`.

    Each path draws every banded parameter once (uniform, or triangular with mode `value`; int
    parameters rounded), walks the monthly deployment chain from the first phase, accrues the
    compensation hazard (transfers latch), and decides response tiers from latched triggers after
    their lag with monthly probability `will` (see `toolkit.engine.chunk` for the exact semantics).

    `pack` may be a loaded pack or an already compiled `Model` (then `scenario` must be the model's or
    left at its default). `overrides` map parameter ids to a number (a point) or {value, low, high};
    invalid ones raise `ParameterError`. `chunk_size` (rounded up to whole blocks of `BLOCK` paths)
    bounds memory and never changes the numbers. `keep_samples` keeps path-level draws and event
    months for the first that many paths. `progress(done, total)` is called after each chunk.
    """
    validate_run({"paths": paths, "months": months, "seed": seed})
    check_whole("chunk_size", chunk_size, 1, 10**8)
    check_whole("keep_samples", keep_samples, 0, MAX_SAMPLES)
    model = _model(pack, scenario, overrides)
    total: Counts | None = None
    kept: list[PathSamples] = []
    kept_n = 0
    done = 0
    for sizes, rngs in _chunks(paths, seed, chunk_size):
        counts, samples = run_chunk(model, rngs, sizes, months, keep=keep_samples - kept_n)
        if total is None:
            total = counts
        else:
            total.add(counts)
        if samples is not None:
            kept.append(samples)
            kept_n += samples.final_phase.size
        done += sum(sizes)
        if progress is not None:
            progress(done, paths)
    assert total is not None
    return SimulationResult.build(model, total, kept, paths=paths, months=months, seed=seed)


def simulate_variants(
    models: Sequence[Model],
    *,
    paths: int = 10_000,
    months: int = 36,
    seed: int = 0,
    chunk_size: int = BLOCK,
    progress: Progress | None = None,
) -> list[SimulationResult]:
    """`simulate(model, paths=..., months=..., seed=...)` for each model, with the same random numbers.

    The models differ only in parameter values (`Model.with_overrides` of one model), as in a
    sensitivity analysis; each result equals its own `simulate` run exactly, but the random numbers
    are drawn once and a walk is shared where only lags and political will differ
    (`toolkit.engine.chunk.run_chunk_variants`). `progress(done, paths)` is called after each chunk.
    """
    validate_run({"paths": paths, "months": months, "seed": seed})
    check_whole("chunk_size", chunk_size, 1, 10**8)
    if not models:
        return []
    totals: list[Counts] | None = None
    done = 0
    for sizes, rngs in _chunks(paths, seed, chunk_size):
        counts = run_chunk_variants(models, rngs, sizes, months)
        if totals is None:
            totals = counts
        else:
            for total, more in zip(totals, counts, strict=True):
                total.add(more)
        done += sum(sizes)
        if progress is not None:
            progress(done, paths)
    assert totals is not None
    return [
        SimulationResult.build(model, total, [], paths=paths, months=months, seed=seed)
        for model, total in zip(models, totals, strict=True)
    ]


def _chunks(
    paths: int, seed: int, chunk_size: int
) -> Iterator[tuple[list[int], list[np.random.Generator]]]:
    """Per chunk: the sizes of its RNG blocks and their generators (block b: spawn key (b,))."""
    n_blocks = -(-paths // BLOCK)
    per_chunk = max(1, -(-chunk_size // BLOCK))
    for first in range(0, n_blocks, per_chunk):
        blocks = range(first, min(first + per_chunk, n_blocks))
        sizes = [min(BLOCK, paths - b * BLOCK) for b in blocks]
        rngs = [
            np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,))))
            for b in blocks
        ]
        yield sizes, rngs


def _model(pack: Pack | Model, scenario: str, overrides: Mapping[str, object]) -> Model:
    if isinstance(pack, Model):
        if scenario not in ("baseline", pack.scenario):
            raise ParameterError(
                f"scenario {scenario!r} given with a model compiled for {pack.scenario!r}"
            )
        return pack.with_overrides(overrides)
    return compile_model(pack, scenario, overrides)


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SimulationResult:
    """Outputs of one run as tidy long-format frames (phases and tiers as ordered Enums).

    Month 0 is the start state (the article's date); months 1..M follow. Probabilities are fractions
    of paths. `time_to_response` has a null month for "not within the horizon".
    """

    scenario: str
    paths: int
    months: int
    seed: int
    model: Model = field(repr=False)
    counts: Counts = field(repr=False)
    kept: tuple[PathSamples, ...] = field(default=(), repr=False)

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
    ) -> SimulationResult:
        return cls(
            scenario=model.scenario,
            paths=paths,
            months=months,
            seed=seed,
            model=model,
            counts=counts,
            kept=tuple(samples),
        )

    # Frames are built from the counts on first use: a run whose caller only wants a few numbers
    # (the tornado's 50-odd runs, `probability_by`) never pays for them.
    @cached_property
    def _frames(self) -> _Frames:
        return _Frames(self.model, self.months, self.paths)

    @cached_property
    def parameters(self) -> pl.DataFrame:
        """The parameters used: values, bands, distributions and sources."""
        return self.model.parameters.to_frame()

    @cached_property
    def phases(self) -> pl.DataFrame:
        """month, phase, probability of being in the phase that month."""
        f = self._frames
        return f.by_month(self.counts.occupancy.T, "phase", f.phase)

    @cached_property
    def reached(self) -> pl.DataFrame:
        """month, phase, probability of having reached the phase by that month."""
        f = self._frames
        return f.cumulative(self.counts.reached, "phase", f.phase)

    @cached_property
    def transfers(self) -> pl.DataFrame:
        """month, technology, tier, cumulative probability of the technology's transfer."""
        f, model = self._frames, self.model
        tier_of = dict(
            zip(
                model.technologies,
                [model.tech_tiers[t] for t in model.technology_tier],
                strict=True,
            )
        )
        return (
            f.cumulative(self.counts.transfer, "technology", f.tech)
            .with_columns(
                pl.col("technology")
                .cast(pl.String)
                .replace_strict(tier_of, return_dtype=f.tech_tier)
                .alias("tier")
            )
            .select("month", "technology", "tier", "probability")
        )

    @cached_property
    def transfer_tiers(self) -> pl.DataFrame:
        """month, tier, cumulative probability of any transfer in the tier."""
        f = self._frames
        return f.cumulative(self.counts.tier_transfer, "tier", f.tech_tier)

    @cached_property
    def responses(self) -> pl.DataFrame:
        """month, level, probability that the highest response tier decided is `level`."""
        return self._frames.levels(self.counts.level)

    @cached_property
    def time_to_response(self) -> pl.DataFrame:
        """tier, month (null: not within the horizon), probability of first decision then."""
        return self._frames.times(self.counts.decided)

    @cached_property
    def samples(self) -> pl.DataFrame | None:
        """Path-level draws and event months of the kept paths, if any were kept."""
        return self._frames.samples(list(self.kept)) if self.kept else None

    def probability_by(self, item: str, month: int) -> float:
        """P(event `item` by `month`): a response tier decided, a phase reached, a technology or a
        technology tier transferred."""
        c, m = self.counts, min(max(month, 0), self.months)
        for names, hist in (
            (self.model.responses, c.decided),
            (self.model.phases, c.reached),
            (self.model.technologies, c.transfer),
            (self.model.tech_tiers, c.tier_transfer),
        ):
            if item in names:
                return float(hist[names.index(item), : m + 1].sum() / self.paths)
        raise ParameterError(
            f"unknown outcome {item!r}: name a response tier, phase, technology or tier"
        )

    def median_month(self, tier: str) -> int | None:
        """Median decision month of a response tier; None if half the paths do not reach it."""
        hist = self.counts.decided[self.model.responses.index(tier)]
        cum = np.cumsum(hist[: self.months + 1])
        hits = np.flatnonzero(cum >= self.paths / 2)
        return int(hits[0]) if hits.size else None

    def summary(self, within: int = 12) -> dict[str, Any]:
        """Key figures: P(reached/transferred/decided within `within` months and the horizon),
        median decision months, and the response level at the horizon."""
        w, model = min(within, self.months), self.model
        level = self.responses.filter(pl.col("month") == self.months)
        return {
            "scenario": self.scenario,
            "paths": self.paths,
            "months": self.months,
            "seed": self.seed,
            "within": w,
            "content_hash": model.content_hash,
            "phases": [
                {
                    "phase": p,
                    "p_reached_within": self.probability_by(p, w),
                    "p_reached_horizon": self.probability_by(p, self.months),
                }
                for p in model.phases
            ],
            "transfers": [
                {
                    "tier": t,
                    "p_within": self.probability_by(t, w),
                    "p_horizon": self.probability_by(t, self.months),
                }
                for t in model.tech_tiers
            ],
            "responses": [
                {
                    "tier": r,
                    "status": s,
                    "p_within": self.probability_by(r, w),
                    "p_horizon": self.probability_by(r, self.months),
                    "median_month": self.median_month(r),
                }
                for r, s in zip(model.responses, model.status, strict=True)
            ],
            "level_at_horizon": {
                str(row["level"]): row["probability"] for row in level.iter_rows(named=True)
            },
        }

    def to_long(self) -> pl.DataFrame:
        """All probability outputs in one long frame (output, month, item, probability) for export."""
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
                    pl.col("month").cast(pl.Int32),
                    pl.col(key).cast(pl.String).alias("item"),
                    pl.col("probability"),
                )
            )
        meta = {
            "scenario": self.scenario,
            "paths": self.paths,
            "months": self.months,
            "seed": self.seed,
            "content_hash": self.model.content_hash,
        }
        return pl.concat(parts).with_columns(
            pl.lit(v, dtype=pl.Int64 if isinstance(v, int) else pl.String).alias(k)
            for k, v in meta.items()
        )


@dataclass(frozen=True)
class _Frames:
    model: Model
    months: int
    paths: int

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
                "month": pl.Series(np.repeat(np.arange(m), len(items)), dtype=pl.Int32),
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
        months = [*range(self.months + 1), None]
        return pl.DataFrame(
            {
                "tier": pl.Series(np.repeat(list(self.model.responses), m), dtype=self.response),
                "month": pl.Series(months * r, dtype=pl.Int32),
                "probability": (decided / self.paths).ravel(),
            }
        )

    def samples(self, parts: list[PathSamples]) -> pl.DataFrame:
        model, never = self.model, self.months + 1

        def months(a: np.ndarray) -> pl.Series:
            return pl.Series(np.where(a >= never, -1, a), dtype=pl.Int32).replace(-1, None)

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
