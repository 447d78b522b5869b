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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from toolkit.engine.chunk import Counts, PathSamples, run_chunk, run_chunk_variants
from toolkit.engine.compile import compile_model
from toolkit.engine.defaults import DEFAULT_MONTHS, DEFAULT_PATHS, DEFAULT_SCENARIO, DEFAULT_SEED
from toolkit.engine.heap import steady_heap
from toolkit.engine.model import Model, TierStart
from toolkit.engine.result import SimulationResult
from toolkit.engine.validate import check_whole, validate_run
from toolkit.errors import ParameterError, shown

if TYPE_CHECKING:
    from distributed import Client

    from toolkit.engine.drawmemo import DrawMemo
    from toolkit.pack.load import Pack

BLOCK = 16_384
MAX_SAMPLES = 1_000_000
Progress = Callable[[int, int], None]


def simulate(
    pack: Pack | Model,
    scenario: str = DEFAULT_SCENARIO,
    *,
    paths: int = DEFAULT_PATHS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
    chunk_size: int = BLOCK,
    keep_samples: int = 0,
    progress: Progress | None = None,
    start: Mapping[str, float] | None = None,
    step: float = 1.0,
    client: Client | None = None,
    start_transferred: Mapping[str, float | Mapping[str, float]] | None = None,
    start_decided: Mapping[str, float] | None = None,
    start_tiers: Mapping[str, TierStart] | None = None,
    start_reached: Mapping[str, float | Mapping[str, float]] | None = None,
    memo: DrawMemo | None = None,
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

    `start_transferred` ({technology: p}) and `start_decided` ({response tier: p}) start a run as of a
    later date: each technology is already transferred at month 0 with its probability (instead of the
    up-front payments of the pack's own month 0; or {technology: {phase: p}}, by start phase), each
    tier already decided (`Model.with_start`).
    `start_tiers` ({response tier: `toolkit.engine.model.TierStart`}) gives a tier's state by start
    phase instead: decided, never, its trigger latched some months before month 0, or not yet (the
    tracker's, `toolkit.track.forecast.simulate_from`). `start_reached` ({phase: p}, or
    {phase: {start phase: p}}) counts a phase gone through before month 0 as reached at month 0.

    `client` (a `distributed.Client`) runs the chunks on its Dask workers and adds their counts up:
    the same result, array for array (`toolkit.engine.cluster`; the `distributed` extra).

    `memo` (a `toolkit.engine.drawmemo.DrawMemo`, without a client) keeps each chunk's up-front random
    numbers and parameter draws for the next run that draws the same ones: the same result, faster
    for repeated runs of one seed (the live explorer).
    """
    validate_run({"paths": paths, "months": months, "seed": seed})
    paths, months, seed = int(paths), int(months), int(seed)  # numpy integers too, as Python ints
    check_whole("chunk_size", chunk_size, 1, 10**8)
    check_whole("keep_samples", keep_samples, 0, MAX_SAMPLES)
    periods = check_step(step, months)
    if client is not None and memo is not None:
        raise ParameterError(
            "memo keeps draws in this process and cannot serve a Dask client's workers: "
            "pass one or the other"
        )
    model = _model(pack, scenario, overrides).with_start(
        start, start_transferred, start_decided, start_tiers, start_reached
    )
    if client is not None:
        from toolkit.engine.cluster import run_on_cluster

        summed, kept_paths = run_on_cluster(
            client, model, paths=paths, seed=seed, chunk_size=chunk_size, periods=periods,
            step=step, keep=keep_samples, progress=progress,
        )  # fmt: skip
        return SimulationResult.build(
            model, summed, kept_paths, paths=paths, months=months, seed=seed, step=step,
            overrides=overrides,
        )  # fmt: skip
    steady_heap()
    chunks = _chunks(paths, seed, chunk_size)
    done = None if progress is None else (lambda n: progress(n, paths))
    total, kept = run_chunks(
        model, chunks, periods, keep=keep_samples, step=step, done=done, memo=memo
    )
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
    paths: int = DEFAULT_PATHS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
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
    paths, months, seed = int(paths), int(months), int(seed)  # numpy integers too, as Python ints
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


def run_chunks(
    model: Model,
    chunks: Iterable[tuple[list[int], list[np.random.Generator]]],
    periods: int,
    *,
    keep: int,
    step: float,
    done: Callable[[int], None] | None = None,
    memo: DrawMemo | None = None,
) -> tuple[Counts, list[PathSamples]]:
    """The summed counts of `chunks` (from `_chunks`) and up to `keep` kept paths, first paths first;
    `done(n)` after each chunk with the paths run so far; `memo` as in `simulate`. `simulate` and a
    cluster's tasks both run through this."""
    total: Counts | None = None
    kept: list[PathSamples] = []
    n = 0
    for sizes, rngs in chunks:
        counts, samples = run_chunk(model, rngs, sizes, periods, keep=keep, step=step, memo=memo)
        if total is None:
            total = counts
        else:
            total.add(counts)
        if samples is not None:
            kept.append(samples)
            keep -= samples.final_phase.size
        n += sum(sizes)
        if done is not None:
            done(n)
    if total is None:
        raise ValueError("run_chunks needs at least one chunk")
    return total, kept


def _chunks(
    paths: int, seed: int, chunk_size: int, within: range | None = None
) -> Iterator[tuple[list[int], list[np.random.Generator]]]:
    """Per chunk: the sizes of its RNG blocks and their generators (block b: spawn key (b,));
    `within` limits them to a range of blocks (a task of a run on a cluster)."""
    n_blocks = -(-paths // BLOCK)
    per_chunk = max(1, -(-chunk_size // BLOCK))
    span = within if within is not None else range(n_blocks)
    for first in range(span.start, min(span.stop, n_blocks), per_chunk):
        blocks = range(first, min(first + per_chunk, span.stop, n_blocks))
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
