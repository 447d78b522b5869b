"""The vectorized Monte Carlo kernel: one chunk of paths, start to horizon, as integer counts.

Semantics (tests/reference_engine.py does exactly this, one path and one event at a time):

- Time is continuous, in months; time 0 is the start (the article's date, or an as-of date). Each
  path starts in a phase drawn from the model's start state; technologies with an up-front
  probability are transferred at time 0 with that probability; only `active` response tiers can
  be decided at time 0.
- Phases follow a continuous-time Markov chain: out of phase k, transition j fires at its monthly
  rate; several phases can be crossed within a reporting period, and triggers see every visit.
- Compensation: while troops are in phase k, technology t of tier X is transferred at the hazard
  h = intensity_k * troops / large_scale_troops * r_X * w_t / W_X per month, where
  r_X = -ln(1 - transfer_X) / compensation_horizon and w_t / W_X is t's weight within its tier (so
  transfer_X is the chance of at least one transfer in the tier within the horizon at intensity 1
  and the reference troop number). Transfers stay transferred. A transfer by this hazard happens
  after time 0, even at transfer_X = 1 (at once, in reporting period 1): time 0 holds the up-front
  transfers only.
- Responses: a trigger latches the first time tau it holds. A tier becomes decidable at tau + lag
  and is then decided at the hazard -ln(1 - will) per month, except on the share of paths where it
  never is (the tier's `never` parameter). `ruled_out` tiers are never decided.
- Outputs are counted per reporting period of `step` months (default 1): event times become
  periods (`toolkit.engine.walk.bins`), occupancy is the phase at each period boundary.

How (no per-path Python loop, no time stepping): parameters are drawn per path
(`toolkit.engine.sampling`), phases and transfers are simulated one phase visit per vectorized round
(`toolkit.engine.walk`), trigger and decision times follow in closed form (`toolkit.engine.ladder`),
and every output is a histogram of event periods, so chunks add up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from toolkit.engine.draws import PRE_DRAWN_VISITS, Draws, FloatArray, IntArray
from toolkit.engine.ladder import (
    decision_times,
    first_tier_transfers,
    start_stages,
    start_triggers,
    tier_waits,
    trigger_times,
)
from toolkit.engine.memo import per_object
from toolkit.engine.model import Model
from toolkit.engine.sampling import Values, sample_parameter, sample_parameters
from toolkit.engine.walk import (
    Walk,
    as_array,
    bins,
    reached_times,
    start_phases,
    transfer_thresholds,
    walk_paths,
)

if TYPE_CHECKING:
    from toolkit.engine.drawmemo import DrawMemo

__all__ = [
    "PRE_DRAWN_VISITS",
    "Counts",
    "PathSamples",
    "exponential_items",
    "run_chunk",
    "run_chunk_variants",
    "uniform_items",
]


@dataclass
class Counts:
    """Histograms over periods 0..K, with index K+1 meaning "not within the horizon"."""

    occupancy: IntArray  # (K+1, phases): paths in each phase at each period boundary
    reached: IntArray  # (phases, K+2): first period in each phase
    transfer: IntArray  # (technologies, K+2): transfer period
    tier_transfer: IntArray  # (tech tiers, K+2): first transfer period in the tier
    decided: IntArray  # (responses, K+2): decision period of each tier
    level: IntArray  # (responses, K+2): first period the response level is >= the tier

    def add(self, other: Counts) -> None:
        for name in ("occupancy", "reached", "transfer", "tier_transfer", "decided", "level"):
            getattr(self, name).__iadd__(getattr(other, name))


@dataclass
class PathSamples:
    """Path-level draws and event periods for the first paths of a chunk (NEVER = K+1)."""

    values: dict[str, FloatArray]
    reached: IntArray  # (n, phases)
    transfer: IntArray  # (n, technologies)
    trigger: IntArray  # (n, responses)
    decided: IntArray  # (n, responses)
    final_phase: IntArray  # (n,)


def run_chunk(
    model: Model,
    rngs: Sequence[np.random.Generator],
    sizes: Sequence[int],
    months: int,
    keep: int = 0,
    step: float = 1.0,
    memo: DrawMemo | None = None,
) -> tuple[Counts, PathSamples | None]:
    """Simulate sum(sizes) paths (one RNG block each size) over `months` reporting periods of
    `step` months each; counts and samples. `memo` keeps the up-front draws between runs (the same
    numbers: `toolkit.engine.drawmemo`)."""
    n = int(sum(sizes))
    n_par, n_tech = len(model.parameters.ids), len(model.technologies)
    if memo is None:
        draws = Draws(rngs, sizes)
        uniforms, exponentials = draws.initial(*_items(model))
        values = sample_parameters(model.parameters, uniforms[:n_par])
    else:
        draws, uniforms, exponentials, values = memo.initial(
            rngs, sizes, *_items(model), model.parameters
        )
    extra = _Extra(model, uniforms, n)
    walk, tier_first, trigger = _walk(
        model, values, exponentials, extra, draws, months, step, keep > 0
    )
    stages = start_stages(model, values, extra.never, extra.start, walk.transfer)
    decided = decision_times(model, values, trigger, exponentials[n_tech:], extra.never, stages)
    reached = reached_times(model, walk.first, extra.start, extra.start_u)
    counts = _count(model, walk, reached, tier_first, decided, months, step)
    samples = None
    if keep > 0:
        k = min(keep, n)
        sampled = model.parameters.sampled()
        samples = PathSamples(
            values={
                pid: as_array(values[i], n)[:k].copy()
                for i, pid in enumerate(model.parameters.ids)
                if sampled[i]
            },
            reached=bins(reached[:, :k].T, step, months),
            transfer=bins(walk.transfer[:, :k].T, step, months),
            trigger=bins(start_triggers(model, trigger, stages)[:, :k].T, step, months),
            decided=bins(decided[:, :k].T, step, months),
            final_phase=walk.final[:k].copy(),
        )
    return counts, samples


def run_chunk_variants(
    models: Sequence[Model],
    rngs: Sequence[np.random.Generator],
    sizes: Sequence[int],
    months: int,
    step: float = 1.0,
) -> list[Counts]:
    """`run_chunk` for each of `models` on the same paths and random numbers, sharing what they share.

    The models must differ only in parameter values (`Model.with_overrides` of one model). The random
    numbers are drawn once; a model samples again only the parameters whose entries differ from the
    first model's, and reuses the first model's walk and triggers when those parameters only act on
    decisions (lags and political will). Each result is exactly `run_chunk(model, ...)`'s: the block
    generators are put back to their state after the initial draws before every walk.
    """
    base = models[0]
    for model in models[1:]:
        if (
            model.parameters.ids != base.parameters.ids
            or model.technologies != base.technologies
            or not np.array_equal(model.start, base.start)
        ):
            raise ValueError("run_chunk_variants: models must differ only in parameter values")
    n, n_par, n_tech = int(sum(sizes)), len(base.parameters.ids), len(base.technologies)
    draws = Draws(rngs, sizes)
    uniforms, exponentials = draws.initial(uniform_items(models), exponential_items(models))
    states = [g.bit_generator.state for g in rngs]  # after the initial draws
    walk_free = _decision_only(base)
    base_values = sample_parameters(base.parameters, uniforms[:n_par])
    shared: tuple[Walk, FloatArray, FloatArray] | None = None
    out = []
    for model in models:
        values: Values = list(base_values)
        changed = _changed_parameters(model, base)
        sampled = model.parameters.sampled()
        for i in changed:
            values[i] = sample_parameter(model.parameters, i, uniforms[i], bool(sampled[i]))
        reuse = shared is not None and walk_free.issuperset(changed)
        extra = _Extra(model, uniforms, n)
        if reuse:
            assert shared is not None
            walk, tier_first, trigger = shared
        else:
            for g, state in zip(rngs, states, strict=True):
                g.bit_generator.state = state
            walk, tier_first, trigger = _walk(
                model, values, exponentials, extra, draws, months, step
            )
            if not changed:
                shared = (walk, tier_first, trigger)
        stages = start_stages(model, values, extra.never, extra.start, walk.transfer)
        decided = decision_times(model, values, trigger, exponentials[n_tech:], extra.never, stages)
        reached = reached_times(model, walk.first, extra.start, extra.start_u)
        out.append(_count(model, walk, reached, tier_first, decided, months, step))
    return out


def uniform_items(models: Sequence[Model]) -> NDArray[np.bool_]:
    """Which path-level uniform items the models use, in their fixed order: one per parameter, the
    start phase, up-front payment (or transferred at an as-of start) per technology and never-decide
    (or decided at an as-of start) per response tier. Only these are
    drawn (a parameter sampled by any of the models, a start state with more than one phase, a
    technology or tier with such a parameter); the others are skipped in the stream, so every item
    keeps its numbers whichever are drawn (`Draws.initial`)."""
    base = models[0]
    sampled = np.logical_or.reduce([m.parameters.sampled() for m in models])
    # the start phase's uniform also says which phases a path went through before an as-of start
    start = np.count_nonzero(base.start) > 1 or base.start_reached is not None
    return np.concatenate(
        [
            sampled,
            [start],
            base.paid_at_start(),
            (np.asarray(base.never_param) >= 0) | base.decided_at_start(),
        ]
    )


def exponential_items(models: Sequence[Model]) -> NDArray[np.bool_]:
    """Which path-level Exp(1) items the models use, in their fixed order: one per technology (its
    transfer threshold) and one per response tier (the wait for its decision). A tier that is never
    decided (ruled out, or without a trigger) or decided without a wait (a will of 1 in every model)
    skips its place in the stream (`Draws.initial`)."""
    base = models[0]
    tiers = [
        status != "ruled_out"
        and base.triggers[r] is not None
        and any(tier_waits(model, r) for model in models)
        for r, status in enumerate(base.status)
    ]
    return np.concatenate([np.ones(len(base.technologies), bool), np.asarray(tiers, dtype=bool)])


@per_object
def _items(model: Model) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The uniform and Exp(1) items one model draws."""
    return uniform_items([model]), exponential_items([model])


class _Extra:
    """The uniforms after the parameters' ones, by purpose."""

    def __init__(self, model: Model, uniforms: Sequence[FloatArray], n: int) -> None:
        n_par, n_tech = len(model.parameters.ids), len(model.technologies)
        self.start_u = uniforms[n_par]
        self.start = start_phases(model, self.start_u, n)
        self.upfront = uniforms[n_par + 1 : n_par + 1 + n_tech]
        self.never = uniforms[n_par + 1 + n_tech :]


def _walk(
    model: Model,
    values: Values,
    exponentials: Sequence[FloatArray],
    extra: _Extra,
    draws: Draws,
    months: int,
    step: float,
    want_final: bool = False,
) -> tuple[Walk, FloatArray, FloatArray]:
    """Phase walk with transfers, first transfer per tier, and trigger times of every path."""
    n, n_tech = extra.start.size, len(model.technologies)
    thresholds = transfer_thresholds(
        model, values, exponentials[:n_tech], extra.upfront, n, extra.start
    )
    walk = walk_paths(
        model, values, thresholds, draws, extra.start, months, step, want_final=want_final
    )
    tier_first = first_tier_transfers(model, walk.transfer)
    return walk, tier_first, trigger_times(model, walk, tier_first)


def _decision_only(model: Model) -> frozenset[int]:
    """Parameters that act on decisions only (lags, will), not on the walk or the triggers.

    An index of -1 (no parameter) is read by the walk as the last parameter, hence `% n`."""
    n = len(model.parameters.ids)
    walk = {
        int(i) % n
        for group in (
            model.trans_param,
            model.intensity_param,
            model.transfer_param,
            model.upfront_param,
            (model.troops_param, model.reference_param, model.horizon_param),
        )
        for i in group
    }
    decision = {int(i) for i in (*model.lag_param, *model.will_param, *model.never_param) if i >= 0}
    return frozenset(decision - walk)


def _changed_parameters(model: Model, base: Model) -> list[int]:
    """Indices whose value, band, distribution or type differ between the two models' tables."""
    a, b = model.parameters, base.parameters
    if a is b:
        return []

    def differs(x: NDArray[Any], y: NDArray[Any]) -> NDArray[np.bool_]:
        same = x == y
        if x.dtype.kind == "f":
            same |= np.isnan(x) & np.isnan(y)
        return ~same

    mask = (
        differs(a.value, b.value)
        | differs(a.low, b.low)
        | differs(a.high, b.high)
        | differs(np.asarray(a.distribution), np.asarray(b.distribution))
        | differs(np.asarray(a.is_int), np.asarray(b.is_int))
    )
    return [int(i) for i in np.flatnonzero(mask)]


def _count(
    model: Model,
    walk: Walk,
    reached_first: FloatArray,
    tier_first: FloatArray,
    decided: FloatArray,
    periods: int,
    step: float,
) -> Counts:
    level = decided.copy()  # first time the level is >= tier r: min of decisions of tiers >= r
    for r in range(len(model.responses) - 2, -1, -1):
        np.minimum(level[r], level[r + 1], out=level[r])
    reached, transfer, tier_transfer, decided_hist, level_hist = _histograms(
        (reached_first, walk.transfer, tier_first, decided, level), step, periods
    )
    return Counts(
        occupancy=walk.occupancy.copy(),  # a walk may be shared by several results' counts
        reached=reached,
        transfer=transfer,
        tier_transfer=tier_transfer,
        decided=decided_hist,
        level=level_hist,
    )


_TWO52 = 2.0**52
_TWO52_BITS = np.float64(_TWO52).view(np.int64)


def _histograms(blocks: Sequence[FloatArray], step: float, periods: int) -> list[IntArray]:
    """Each (items, n) array of event times -> (items, periods + 2) counts of their reporting
    periods (as `bins` gives them), in one bincount."""
    width = periods + 2
    rows = [b.shape[0] for b in blocks]
    n = blocks[0].shape[1]
    times = np.empty((sum(rows), n))
    offset = 0
    for block, k in zip(blocks, rows, strict=True):
        out = times[offset : offset + k]
        if block.dtype != np.float64:
            out[...] = bins(block, step, periods)
        else:
            if step == 1.0:  # t / 1.0 is t
                np.ceil(block, out=out)
            else:
                np.divide(block, step, out=out)
                np.ceil(out, out=out)
            np.fmin(out, periods + 1, out=out)  # inf and nan (never) -> periods + 1
        offset += k
    # key = row * width + period, as an integer without a float-to-int conversion: a whole number
    # x < 2**52 plus 2**52 is a double whose bit pattern is that of 2**52 plus x
    times += (np.arange(sum(rows), dtype=np.float64) * width + _TWO52)[:, None]
    keys = times.view(np.int64)
    keys -= _TWO52_BITS
    counts = np.bincount(keys.reshape(-1), minlength=sum(rows) * width).reshape(-1, width)
    return np.split(counts, np.cumsum(rows)[:-1])
