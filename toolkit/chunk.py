"""The vectorized Monte Carlo kernel: one chunk of paths, start to horizon, as integer counts.

Semantics (tests/reference_engine.py does exactly this, one path and one month at a time):

- Month 0 is the start state: every path is in the first phase, nothing is transferred, and only
  `active` response tiers can be decided. In each month m = 1..M the phase moves first (monthly
  Markov chain: probability `p` per transition, what is left of 1 is staying), then technologies
  are transferred, then triggers and decisions are evaluated on the state at the end of month m.
- Compensation: while troops are in phase k during month m, technology t of tier X is transferred
  with probability 1 - exp(-h), h = intensity_k * troops / large_scale_troops * r_X / n_X, where
  r_X = -ln(1 - transfer_X) / compensation_horizon and n_X is the number of technologies in X (so
  transfer_X is the chance of at least one transfer in the tier within the horizon at intensity 1
  and the reference troop number). Transfers stay transferred.
- Responses: a trigger latches the first month tau it holds. A tier becomes decidable in month
  tau + lag (not before month 1 unless it is `active`) and is then decided in each month with
  probability `will`. `ruled_out` tiers are never decided.

How (no per-path Python loop, no month-by-month stepping): parameters are drawn per path
(`toolkit.sampling`), phases and transfers are simulated one phase visit per vectorized round
(`toolkit.walk`), trigger and decision months follow in closed form (`toolkit.ladder`), and every
output is a histogram of event months, so chunks add up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.draws import PRE_DRAWN_VISITS, Draws, FloatArray, IntArray
from toolkit.ladder import decision_months, first_tier_transfers, trigger_months
from toolkit.model import Model
from toolkit.sampling import sample_parameters
from toolkit.walk import as_array, transfer_thresholds, walk_paths

__all__ = ["PRE_DRAWN_VISITS", "Counts", "PathSamples", "run_chunk"]


@dataclass
class Counts:
    """Histograms over months 0..M, with index M+1 meaning "not within the horizon"."""

    occupancy: IntArray  # (M+1, phases): paths in each phase at each month
    reached: IntArray  # (phases, M+2): first month in each phase
    transfer: IntArray  # (technologies, M+2): transfer month
    tier_transfer: IntArray  # (tech tiers, M+2): first transfer month in the tier
    decided: IntArray  # (responses, M+2): decision month of each tier
    level: IntArray  # (responses, M+2): first month the response level is >= the tier

    def add(self, other: Counts) -> None:
        for name in ("occupancy", "reached", "transfer", "tier_transfer", "decided", "level"):
            getattr(self, name).__iadd__(getattr(other, name))


@dataclass
class PathSamples:
    """Path-level draws and event months for the first paths of a chunk (NEVER = M+1)."""

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
) -> tuple[Counts, PathSamples | None]:
    """Simulate sum(sizes) paths (one RNG block each size) over `months`; counts and samples."""
    n, never = int(sum(sizes)), months + 1
    n_par, n_tech = len(model.parameters.ids), len(model.technologies)
    draws = Draws(rngs, sizes)
    uniforms, exponentials = draws.initial(n_par, n_tech + len(model.responses))
    values = sample_parameters(model.parameters, uniforms)
    thresholds = transfer_thresholds(model, values, exponentials[:n_tech], n)
    walk = walk_paths(model, values, thresholds, draws, n, months, want_final=keep > 0)
    tier_first = first_tier_transfers(model, walk.transfer, never)
    trigger = trigger_months(model, walk, tier_first, never)
    decided = decision_months(model, values, trigger, exponentials[n_tech:], months)
    level = decided.copy()  # first month the level is >= tier r: min of decisions of tiers >= r
    for r in range(len(model.responses) - 2, -1, -1):
        np.minimum(level[r], level[r + 1], out=level[r])
    reached, transfer, tier_transfer, decided_hist, level_hist = _histograms(
        [walk.first, walk.transfer, tier_first, decided, level], never
    )
    counts = Counts(
        occupancy=walk.occupancy,
        reached=reached,
        transfer=transfer,
        tier_transfer=tier_transfer,
        decided=decided_hist,
        level=level_hist,
    )
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
            reached=walk.first[:, :k].T.copy(),
            transfer=walk.transfer[:, :k].T.copy(),
            trigger=trigger[:, :k].T.copy(),
            decided=decided[:, :k].T.copy(),
            final_phase=walk.final[:k].copy(),
        )
    return counts, samples


def _histograms(blocks: Sequence[IntArray], never: int) -> list[IntArray]:
    """Each (items, n) array of event months -> (items, never + 1) counts, in one bincount."""
    width = never + 1
    rows = [b.shape[0] for b in blocks]
    keys = np.empty((sum(rows), blocks[0].shape[1]), dtype=np.int64)
    offset = 0
    for block, k in zip(blocks, rows, strict=True):
        shift = (np.arange(offset, offset + k, dtype=np.int64) * width)[:, None]
        np.add(block, shift, out=keys[offset : offset + k])
        offset += k
    counts = np.bincount(keys.reshape(-1), minlength=sum(rows) * width).reshape(-1, width)
    return np.split(counts, np.cumsum(rows)[:-1])
