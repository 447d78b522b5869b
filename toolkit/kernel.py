"""The vectorized Monte Carlo kernel: one chunk of paths, start to horizon, as integer counts.

Semantics (the per-path reference in tests/reference_engine.py does the same month by month):

- Month 0 is the start state: every path is in the first phase, nothing is transferred, and only
  `active` response tiers can be decided. Each month m = 1..M the phase moves first (monthly Markov
  chain: probability `p` per transition, what is left of 1 is staying), then technology transfers, then
  triggers and decisions are evaluated on the state at the end of month m.
- Compensation: while troops are in phase k during month m, technology t of tier X is transferred with
  probability 1 - exp(-h), h = intensity_k * troops / large_scale_troops * r_X / n_X, where
  r_X = -ln(1 - transfer_X) / compensation_horizon and n_X is the number of technologies in X (so
  transfer_X is the chance of at least one transfer of the tier within the horizon at intensity 1 and
  the reference troop number). Transfers stay transferred.
- Responses: a trigger latches the first month tau it holds. A tier is decidable from month
  tau + lag (and not before month 1 unless it is `active`); from then on it is decided each month with
  probability `will`. `ruled_out` tiers are never decided.

The kernel never steps month by month. A path is a sequence of phase visits: the stay in a phase is
geometric and the next phase categorical, so one vectorized round handles one visit of every path
still inside the horizon. The compensation hazard is an exponential clock: technology t is transferred
in the first month the accumulated intensity G(m) = sum of intensity*troops/reference over months 1..m
reaches E_t / (r_X / n_X) with E_t ~ Exp(1), which has the same law as the monthly coin flips and
makes transfers latch by construction. Decision months are tau + lag plus a geometric number of
months. Outputs are histograms (integer counts), so chunks add up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toolkit.model import Condition, Model, Trigger
from toolkit.sampling import Values, sample_parameters

MONTH = np.int32  # months, phases and path indices inside a chunk
IntArray = NDArray[np.integer[Any]]
FloatArray = NDArray[np.float64]


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
    extra: dict[str, IntArray] = field(default_factory=dict)


PRE_DRAWN_VISITS = 8


@dataclass
class _Draws:
    """Random numbers, by fixed RNG block so results do not depend on how blocks are chunked.

    Each path owns the draws for its first PRE_DRAWN_VISITS phase visits (an Exp(1) for the stay and
    a uniform for the next phase), drawn up front: a path's walk then depends on its own numbers only,
    so runs that differ in one parameter share their random numbers path by path (common random
    numbers). Later visits, rare within a few years' horizon, draw from the block's stream in order.
    """

    rngs: Sequence[np.random.Generator]
    sizes: Sequence[int]
    stay: FloatArray = field(init=False)  # (PRE_DRAWN_VISITS, n) Exp(1)
    step: FloatArray = field(init=False)  # (PRE_DRAWN_VISITS, n) uniform

    def initial(self, uniforms: int, exponentials: int) -> tuple[FloatArray, FloatArray]:
        """(uniforms, n) and (exponentials, n) arrays for the path-level draws, item-major."""
        parts = []
        for g, s in zip(self.rngs, self.sizes, strict=True):
            parts.append(
                (
                    g.random((uniforms + PRE_DRAWN_VISITS, s)),
                    g.standard_exponential((exponentials + PRE_DRAWN_VISITS, s)),
                )
            )
        if len(parts) == 1:
            us, es = parts[0]
        else:
            us = np.concatenate([u for u, _ in parts], axis=1)
            es = np.concatenate([e for _, e in parts], axis=1)
        self.step, self.stay = us[uniforms:], es[exponentials:]
        return us[:uniforms], es[:exponentials]

    def per_visit(self, idx: IntArray, visit: int) -> tuple[FloatArray, FloatArray]:
        """An Exp(1) and a uniform for each active path in `idx` (sorted ascending)."""
        if visit < PRE_DRAWN_VISITS:
            if visit == 0:
                return self.stay[0], self.step[0]
            return self.stay[visit][idx], self.step[visit][idx]
        if len(self.rngs) == 1:
            g = self.rngs[0]
            return g.standard_exponential(idx.size), g.random(idx.size)
        starts = np.cumsum([0, *self.sizes[:-1]])
        counts = np.diff(np.concatenate(([0], np.searchsorted(idx, starts[1:]), [idx.size])))
        es, us = [], []
        for g, c in zip(self.rngs, counts, strict=True):
            es.append(g.standard_exponential(c))
            us.append(g.random(c))
        return np.concatenate(es), np.concatenate(us)


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
    draws = _Draws(rngs, sizes)
    uniforms, exponentials = draws.initial(n_par, n_tech + len(model.responses))
    values = sample_parameters(model.parameters, uniforms)
    thresholds = _thresholds(model, values, exponentials[:n_tech], n)
    walk = _walk(model, values, thresholds, draws, n, months)
    tier_first = _tier_first(model, walk.transfer, never)
    trigger = _trigger_months(model, walk, tier_first, never)
    decided = _decisions(model, values, trigger, exponentials[n_tech:], months)
    level = np.minimum.accumulate(decided[::-1], axis=0)[::-1]
    counts = Counts(
        occupancy=walk.occupancy,
        reached=_histogram(walk.first, never),
        transfer=_histogram(walk.transfer, never),
        tier_transfer=_histogram(tier_first, never),
        decided=_histogram(decided, never),
        level=_histogram(level, never),
    )
    samples = None
    if keep > 0:
        k = min(keep, n)
        sampled = model.parameters.sampled()
        samples = PathSamples(
            values={
                pid: _as_array(values[i], n)[:k].copy()
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


def _histogram(months: IntArray, never: int) -> IntArray:
    """(items, n) event months -> (items, never + 1) counts."""
    items = months.shape[0]
    width = never + 1
    keys = months + (np.arange(items, dtype=np.int64) * width)[:, None]
    return np.bincount(keys.ravel(), minlength=items * width).reshape(items, width)


def _as_array(x: float | FloatArray, n: int) -> FloatArray:
    return np.broadcast_to(np.asarray(x, dtype=np.float64), (n,))


def _thresholds(model: Model, values: Values, exp1: FloatArray, n: int) -> FloatArray:
    """(technologies, n): accumulated intensity at which each technology is transferred."""
    counts = np.bincount(model.technology_tier, minlength=len(model.tech_tiers))
    horizon = _as_array(values[model.horizon_param], n)
    out = np.empty((len(model.technologies), n))
    with np.errstate(divide="ignore", invalid="ignore"):
        for t, tier in enumerate(model.technology_tier):
            p = _as_array(values[model.transfer_param[tier]], n)
            rate = -np.log1p(-p) / horizon / counts[tier]  # p = 1 -> inf -> threshold 0
            out[t] = np.where(rate > 0, exp1[t] / rate, np.inf)
    return out


@dataclass
class _Walk:
    first: IntArray  # (phases, n) first month in each phase
    transfer: IntArray  # (technologies, n)
    occupancy: IntArray  # (M+1, phases)
    final: IntArray  # (n,) phase at month M
    visits: list[tuple[IntArray, IntArray, IntArray, IntArray]]  # (idx, phase, start, end)


@dataclass
class _Tables:
    """Per path and phase, flattened phase-major (index phase * n + path)."""

    inv_rate: FloatArray  # -1 / ln(1 - q): floor(Exp(1) * inv_rate) is geometric
    gain: FloatArray  # intensity * troops / reference
    split: list[FloatArray]  # cumulative share of the first d targets among the exits
    target: IntArray  # (phases * width): next phase for (phase, choice)
    width: int


def _tables(model: Model, values: Values, n: int) -> _Tables:
    n_ph = len(model.phases)
    width = max(model.out_degree(), 1)
    probs = np.zeros((width, n_ph, n))
    target = np.repeat(np.arange(n_ph, dtype=MONTH)[:, None], width, axis=1)
    slot = np.zeros(n_ph, dtype=np.int64)
    for f, t, p in zip(model.trans_from, model.trans_to, model.trans_param, strict=True):
        probs[slot[f], f] = _as_array(values[p], n)
        target[f, slot[f]] = t
        slot[f] += 1
    cum = np.cumsum(probs, axis=0)
    q = cum[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_rate = -1.0 / np.log1p(-q)  # q = 0 -> inf (never leaves), q = 1 -> 0
        split = [np.where(q > 0, cum[d] / q, 1.0).ravel() for d in range(width - 1)]
    scale = _as_array(values[model.troops_param], n) / _as_array(values[model.reference_param], n)
    gain = np.empty((n_ph, n))
    for k in range(n_ph):
        gain[k] = _as_array(values[model.intensity_param[k]], n) * scale
    return _Tables(inv_rate.ravel(), gain.ravel(), split, target.ravel(), width)


def _walk(
    model: Model,
    values: Values,
    thresholds: FloatArray,
    draws: _Draws,
    n: int,
    months: int,
) -> _Walk:
    """Phase visits of every path, with transfer months, in vectorized rounds (one visit each)."""
    n_ph, n_tech, never = len(model.phases), len(model.technologies), months + 1
    tab = _tables(model, values, n)
    first = np.full((n_ph, n), never, dtype=MONTH)
    first[0] = 0
    first_flat = first.reshape(-1)
    transfer = np.full((n_tech, n), never, dtype=MONTH)
    final = np.zeros(n, dtype=MONTH)
    minlength = (months + 2) * n_ph
    enter = np.zeros(minlength, dtype=np.int64)
    leave = np.zeros(minlength, dtype=np.int64)
    visits: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
    keep_visits = model.needs_visits
    remaining = thresholds.copy()  # thresholds of technologies not yet transferred (else inf)
    nxt = np.minimum.reduce(remaining, axis=0) if n_tech else np.full(n, np.inf)

    idx = np.arange(n, dtype=MONTH)
    phase = np.zeros(n, dtype=MONTH)
    start = np.zeros(n, dtype=MONTH)
    accrued = np.zeros(n)
    visit = 0
    while idx.size:
        e, u = draws.per_visit(idx, visit)
        visit += 1
        pos = phase * n + idx
        stay = np.floor(e * tab.inv_rate[pos])  # geometric: months after the first
        end = np.fmin(stay + (start + 1), never).astype(MONTH)
        first_hazard = np.maximum(start, 1)
        hazard_months = end - first_hazard
        g = tab.gain[pos]
        new_accrued = accrued + hazard_months * g
        cross = np.flatnonzero(new_accrued >= nxt)
        if cross.size:
            _record_transfers(
                remaining, transfer, nxt, cross, idx, accrued, new_accrued, g,
                first_hazard, hazard_months,
            )  # fmt: skip
        accrued = new_accrued
        enter += np.bincount(start * n_ph + phase, minlength=minlength)
        leave += np.bincount(end * n_ph + phase, minlength=minlength)
        if keep_visits:
            visits.append((idx, phase, start, end))
        if tab.width == 2:
            choice = (u >= tab.split[0][pos]).view(np.int8)
        else:
            choice = np.zeros(idx.size, dtype=np.int8)
            for split in tab.split:
                choice += u >= split[pos]
        new_phase = tab.target[phase * tab.width + choice]
        live = end <= months
        if not live.all():
            final[idx[~live]] = phase[~live]
            rows = np.flatnonzero(live)
            idx, new_phase, end = idx[rows], new_phase[rows], end[rows]
            accrued, nxt = accrued[rows], nxt[rows]
        phase, start = new_phase, end
        pos = phase * n + idx
        first_flat[pos] = np.minimum(first_flat[pos], start)
    diff = (enter - leave).reshape(months + 2, n_ph)
    occupancy = np.cumsum(diff, axis=0)[: months + 1]
    return _Walk(first, transfer, occupancy, final, visits)


def _record_transfers(
    remaining: FloatArray,
    transfer: IntArray,
    nxt: FloatArray,
    cross: IntArray,
    idx: IntArray,
    before: FloatArray,
    after: FloatArray,
    gain: FloatArray,
    first_hazard: IntArray,
    hazard_months: IntArray,
) -> None:
    """Transfers during this visit for rows `cross`: thresholds crossed, smallest first."""
    cross = cross[hazard_months[cross] * gain[cross] > 0]  # no hazard accrued: nothing happens
    while cross.size:
        paths = idx[cross]
        rem = remaining[:, paths]
        tech = rem.argmin(axis=0)
        need = np.ceil((nxt[cross] - before[cross]) / gain[cross])
        need = np.clip(need, 1, hazard_months[cross]).astype(MONTH)
        transfer[tech, paths] = first_hazard[cross] + need - 1
        remaining[tech, paths] = np.inf
        rem[tech, np.arange(paths.size)] = np.inf
        nxt[cross] = rem.min(axis=0)
        cross = cross[after[cross] >= nxt[cross]]


def _tier_first(model: Model, transfer: IntArray, never: int) -> IntArray:
    """(tech tiers, n): first transfer month of any technology of the tier."""
    out = np.full((len(model.tech_tiers), transfer.shape[1]), never, dtype=MONTH)
    for x in range(len(model.tech_tiers)):
        rows = np.flatnonzero(model.technology_tier == x)
        if rows.size:
            out[x] = np.minimum.reduce(transfer[rows], axis=0)
    return out


def _trigger_months(model: Model, walk: _Walk, tier_first: IntArray, never: int) -> IntArray:
    """(responses, n): the month each tier's trigger first holds (never = M+1)."""
    n = walk.first.shape[1]
    out = np.full((len(model.responses), n), never, dtype=MONTH)
    for r, trig in enumerate(model.triggers):
        if trig is None:
            continue
        firsts = [
            _condition_first(model, c, walk, tier_first) for c in trig.conditions
        ]  # fmt: skip
        if trig.combinator == "any":
            out[r] = np.minimum.reduce(firsts)
        elif not trig.needs_visits:
            out[r] = np.maximum.reduce(firsts)
        else:
            out[r] = _first_joint(model, trig, firsts, walk, never)
    return out


def _condition_first(model: Model, cond: Condition, walk: _Walk, tier_first: IntArray) -> IntArray:
    """(n,): first month the condition holds on its own."""
    if cond.kind == "always":
        return np.zeros(walk.first.shape[1], dtype=MONTH)
    if cond.kind == "reached":
        return walk.first[cond.target]
    if cond.kind == "phase_at_least":
        rows = np.flatnonzero(model.escalation >= model.escalation[cond.target])
        return np.minimum.reduce(walk.first[rows], axis=0)
    if cond.kind == "tier_transferred":
        return tier_first[cond.target]
    if cond.kind == "transferred":
        return walk.transfer[cond.target]
    raise ValueError(f"unknown condition kind {cond.kind!r}")


def _first_joint(
    model: Model, trig: Trigger, firsts: Sequence[IntArray], walk: _Walk, never: int
) -> IntArray:
    """`all` with phase_at_least conditions that can lapse: scan the recorded visits for the first
    month at or after every lasting condition holds in which the phase is high enough."""
    n = walk.first.shape[1]
    pairs = list(zip(trig.conditions, trig.leavable, firsts, strict=True))
    settled = [f for _, leave, f in pairs if not leave]
    t0 = np.maximum.reduce(settled) if settled else np.zeros(n, dtype=MONTH)
    level = max(int(model.escalation[c.target]) for c, leave, _ in pairs if leave)
    inside = model.escalation >= level
    out = np.full(n, never, dtype=MONTH)
    for idx, phase, start, end in walk.visits:
        cand = np.maximum(start, t0[idx])
        ok = inside[phase] & (cand < end)
        out[idx] = np.minimum(out[idx], np.where(ok, cand, never))
    return out


def _decisions(
    model: Model, values: Values, trigger: IntArray, exp1: FloatArray, months: int
) -> IntArray:
    """(responses, n): decision month = tau + lag + a geometric wait (never = M+1)."""
    n, never = trigger.shape[1], months + 1
    out = np.full_like(trigger, never)
    for r, status in enumerate(model.status):
        if status == "ruled_out" or model.triggers[r] is None:
            continue
        lag = _as_array(values[model.lag_param[r]], n) if model.lag_param[r] >= 0 else 0.0
        will = _as_array(values[model.will_param[r]], n) if model.will_param[r] >= 0 else 1.0
        earliest = trigger[r] + lag
        if status != "active":
            earliest = np.maximum(earliest, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            wait = np.floor(exp1[r] / -np.log1p(-np.asarray(will)))  # will 1 -> 0, will 0 -> inf
        month = np.fmin(earliest + wait, never)
        out[r] = np.where(trigger[r] <= months, month, never).astype(MONTH)
    return out
