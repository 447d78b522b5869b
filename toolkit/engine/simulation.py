"""Running the scenario engine: `simulate` (one model) and `simulate_variants` (many parameter variants
of one model in one pass on the same random numbers: sensitivity, grids), each returning
`toolkit.engine.result.SimulationResult`s.

Paths are grouped in fixed RNG blocks of `BLOCK` paths; block b draws from
`PCG64(SeedSequence(seed, spawn_key=(b,)))`. A chunk is a whole number of blocks processed together, so
the same seed gives identical results whatever the chunk size. Memory is bounded by the chunk size:
only histograms (and, when asked, the first `keep_samples` paths) outlive a chunk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from toolkit.engine.chunk import Counts, PathSamples, run_chunk, run_chunk_variants
from toolkit.engine.compile import compile_model
from toolkit.engine.heap import steady_heap
from toolkit.engine.model import Model
from toolkit.engine.result import SimulationResult
from toolkit.engine.validate import check_whole, validate_run
from toolkit.errors import ParameterError, shown

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
    start: Mapping[str, float] | None = None,
    step: float = 1.0,
    **overrides: object,
) -> SimulationResult:
    """Simulate `paths` paths over `months` months under `scenario` plus `overrides`.

    Each path draws every banded parameter once (uniform, or triangular with mode `value`; int
    parameters rounded), starts in a phase drawn from the start state (the pack's, or `start`:
    {phase: share} summing to 1), moves along the continuous-time deployment chain, accrues the
    compensation hazard (transfers latch; some may be paid up front), and decides response tiers from
    latched triggers after their lag at the hazard of `will`, unless never (see `toolkit.engine.chunk`
    for the exact semantics). Outputs are reported at month 0 and every `step` months (default 1;
    `months` must be a whole number of steps, e.g. step=0.25 for weeks).

    `pack` may be a loaded pack or an already compiled `Model` (then `scenario` must be the model's or
    left at its default). `overrides` map parameter ids to a number (a point) or {value, low, high};
    invalid ones raise `ParameterError`. `chunk_size` (rounded up to whole blocks of `BLOCK` paths)
    bounds memory and never changes the numbers. `keep_samples` keeps path-level draws and event
    months for the first that many paths. `progress(done, total)` is called after each chunk.
    """
    validate_run({"paths": paths, "months": months, "seed": seed})
    check_whole("chunk_size", chunk_size, 1, 10**8)
    check_whole("keep_samples", keep_samples, 0, MAX_SAMPLES)
    periods = check_step(step, months)
    model = _model(pack, scenario, overrides).with_start(start)
    steady_heap()
    total: Counts | None = None
    kept: list[PathSamples] = []
    kept_n = 0
    done = 0
    for sizes, rngs in _chunks(paths, seed, chunk_size):
        counts, samples = run_chunk(
            model, rngs, sizes, periods, keep=keep_samples - kept_n, step=step
        )
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
    return SimulationResult.build(
        model, total, kept, paths=paths, months=months, seed=seed, step=step, overrides=overrides
    )


MIN_STEP = 1 / 31  # a day of the longest month


def check_step(step: float, months: int) -> int:
    """The number of reporting periods: `months` must be a whole number of `step`s, and a step at
    least a day and at most the horizon (else ParameterError)."""
    if isinstance(step, bool) or not isinstance(step, int | float) or not math.isfinite(step):
        raise ParameterError(f"step expects a number of months, got {shown(step)}")
    if not MIN_STEP - 1e-12 <= step <= months:
        raise ParameterError(f"step = {shown(step)} must be in [1/31, {months}] months")
    periods = round(months / step)
    if abs(periods * step - months) > 1e-9 * max(1, months):
        raise ParameterError(f"months = {months} is not a whole number of steps of {shown(step)}")
    return periods


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
    steady_heap()
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
                f"scenario {shown(scenario)} given with a model compiled for {pack.scenario!r}"
            )
        return pack.with_overrides(overrides)
    return compile_model(pack, scenario, overrides)
