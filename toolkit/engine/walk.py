"""Deployment phases and technology transfers of every path, one phase visit per vectorized round.

A path is a sequence of phase visits: the stay in a phase is geometric (`floor(Exp(1) / -ln(1 - q))`
extra months, q the path's monthly chance of leaving) and the next phase categorical, so one round
handles one visit of every path still inside the horizon, and the cost does not grow with the months.
Compensation is an exponential clock: technology t is transferred in the first month m >= 1 in which
the accumulated hazard G(m) = sum over months 1..m of intensity * troops / reference reaches its
threshold E_t / rate_t, E_t ~ Exp(1). That has the law of a monthly coin flip with probability
1 - exp(-hazard), and a transfer, once made, stays made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.engine.draws import MONTH, Draws, FloatArray, IntArray
from toolkit.engine.model import Model
from toolkit.engine.sampling import Values


def as_array(x: float | FloatArray, n: int) -> FloatArray:
    """A per-path view of a value: a point broadcast, or the per-path draws as they are."""
    return np.broadcast_to(np.asarray(x), (n,))


def transfer_thresholds(model: Model, values: Values, exp1: FloatArray, n: int) -> FloatArray:
    """(technologies, n): accumulated intensity at which each technology is transferred."""
    counts = np.bincount(model.technology_tier, minlength=len(model.tech_tiers))
    horizon = values[model.horizon_param]
    out = np.empty((len(model.technologies), n))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for x, param in enumerate(model.transfer_param):
            if not counts[x]:
                continue
            p = np.asarray(values[param])
            # mean months of hazard per technology: p = 1 -> 0 (threshold 0), p = 0 -> inf
            scale = horizon * counts[x] / -np.log1p(-p)
            for t in np.flatnonzero(model.technology_tier == x):
                np.multiply(exp1[t], scale, out=out[t])
    # a threshold is crossed in the first month the accrued hazard reaches it; keeping it above 0
    # makes "not crossed yet" the same as "above what has accrued", even for p = 1
    return np.maximum(out, np.finfo(np.float64).tiny, out=out)


@dataclass
class Walk:
    first: IntArray  # (phases, n) first month in each phase
    transfer: IntArray  # (technologies, n)
    occupancy: IntArray  # (M+1, phases)
    final: IntArray  # (n,) phase at month M
    visits: list[tuple[IntArray, IntArray, IntArray, IntArray]]  # (idx, phase, start, end)


@dataclass
class Tables:
    """Per path and phase, flattened phase-major (index phase * n + path)."""

    inv_rate: FloatArray  # 1 / -ln(1 - q): floor(Exp(1) * inv_rate) extra months in the phase
    gain: FloatArray  # intensity * troops / reference
    split: list[FloatArray]  # cumulative share of the first d targets among the exits
    target: IntArray  # (phases * width): next phase for (phase, choice)
    width: int


def build_tables(model: Model, values: Values, n: int) -> Tables:
    n_ph = len(model.phases)
    width = max(model.out_degree(), 1)
    target = np.repeat(np.arange(n_ph, dtype=MONTH)[:, None], width, axis=1)
    inv_rate = np.empty((n_ph, n))
    split = np.ones((width - 1, n_ph, n))  # a padded slot is never chosen (u < 1)
    for k in range(n_ph):
        rows = np.flatnonzero(model.trans_from == k)
        target[k, : rows.size] = model.trans_to[rows]
        probs = [values[model.trans_param[r]] for r in rows]
        if not probs:
            inv_rate[k] = np.inf  # absorbing: never leaves
            continue
        # single-precision draws can sum a hair above 1 where the bands allow exactly 1
        q = np.minimum(np.asarray(sum(probs[1:], start=probs[0])), 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            inv_rate[k] = -1.0 / np.log1p(-q)  # q = 0 -> inf, q = 1 -> 0
            cum = np.asarray(probs[0])
            for d in range(len(probs) - 1):
                split[d, k] = np.where(q > 0, cum / q, 1.0)
                cum = cum + probs[d + 1]
    scale = as_array(values[model.troops_param], n) / as_array(values[model.reference_param], n)
    gain = np.empty((n_ph, n))
    for k in range(n_ph):
        np.multiply(values[model.intensity_param[k]], scale, out=gain[k])
    return Tables(inv_rate.ravel(), gain.ravel(), [x.ravel() for x in split], target.ravel(), width)


def walk_paths(
    model: Model,
    values: Values,
    thresholds: FloatArray,
    draws: Draws,
    n: int,
    months: int,
    want_final: bool = True,
) -> Walk:
    """Phase visits of every path, with transfer months, in vectorized rounds (one visit each).
    `want_final`: also record each path's phase at the horizon (for samples)."""
    n_ph, n_tech, never = len(model.phases), len(model.technologies), months + 1
    tab = build_tables(model, values, n)
    transfer = np.full((n_tech, n), never, dtype=MONTH)
    final = np.zeros(n, dtype=MONTH)
    minlength = (months + 2) * n_ph
    enter = np.zeros(minlength, dtype=np.int64)
    leave = np.zeros(minlength, dtype=np.int64)
    entries: list[tuple[IntArray, IntArray]] = []  # (row, month) of each visit after the first
    visits: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
    keep_visits = model.needs_visits
    nxt = np.minimum.reduce(thresholds, axis=0) if n_tech else np.full(n, np.inf)

    idx = np.arange(n, dtype=MONTH)
    phase = np.zeros(n, dtype=MONTH)
    start = np.zeros(n, dtype=MONTH)
    pos = idx.copy()  # row of (phase, path) in the tables
    enter_key = phase.copy()  # start * n_ph + phase
    accrued = np.zeros(n)
    visit = 0
    while idx.size:
        e, u = draws.per_visit(idx, visit)
        if visit == 0:  # every path is in the first phase: rows 0..n-1 of the tables
            inv_rate, g, splits = tab.inv_rate[:n], tab.gain[:n], [x[:n] for x in tab.split]
        else:
            inv_rate, g, splits = tab.inv_rate[pos], tab.gain[pos], [x[pos] for x in tab.split]
        visit += 1
        # geometric: months after the first (a stay past float range is past the horizon: capped)
        with np.errstate(over="ignore"):
            stay = np.floor(e * inv_rate)
        end = np.fmin(stay + (start + 1), never).astype(MONTH)
        first_hazard = np.maximum(start, 1)
        hazard_months = end - first_hazard
        new_accrued = accrued + hazard_months * g
        cross = np.flatnonzero(new_accrued >= nxt)
        if cross.size:
            record_transfers(
                thresholds, transfer, nxt, cross, idx, accrued, new_accrued, g,
                first_hazard, hazard_months,
            )  # fmt: skip
        accrued = new_accrued
        end_key = end * n_ph
        enter += np.bincount(enter_key, minlength=minlength)
        leave += np.bincount(end_key + phase, minlength=minlength)
        if keep_visits:
            visits.append((idx, phase, start, end))
        if len(splits) == 1:
            choice = (u >= splits[0]).view(np.int8)
        else:
            choice = np.zeros(idx.size, dtype=np.int8)
            for split in splits:
                choice += u >= split
        following = tab.target[phase * tab.width + choice]
        live = end <= months
        if live.all():
            phase = following
        else:
            if want_final:
                final[idx[~live]] = phase[~live]
            keep = np.flatnonzero(live)
            idx, phase, end, end_key = idx[keep], following[keep], end[keep], end_key[keep]
            accrued, nxt = accrued[keep], nxt[keep]
        start = end
        enter_key = end_key + phase
        pos = phase * n + idx
        entries.append((pos, start))
    first = np.full((n_ph, n), never, dtype=MONTH)
    first_flat = first.reshape(-1)
    for rows, month in reversed(entries):  # the earliest visit of a phase writes last
        first_flat[rows] = month
    first[0] = 0
    diff = (enter - leave).reshape(months + 2, n_ph)
    occupancy = np.cumsum(diff, axis=0)[: months + 1]
    return Walk(first, transfer, occupancy, final, visits)


def record_transfers(
    thresholds: FloatArray,
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
    """Every threshold crossed during this visit, for the rows `cross` of the active paths.

    `thresholds` and `transfer` are (technologies, paths), item-major so that reductions over
    technologies run along axis 0 (fast in numpy); `nxt` gets the smallest threshold still open."""
    g, months = gain[cross], hazard_months[cross]
    live = g * months > 0  # no hazard accrued: nothing happens
    if not live.all():
        cross, g, months = cross[live], g[live], months[live]
    if not cross.size:
        return
    n = thresholds.shape[1]
    paths = idx[cross]
    t = np.take(thresholds, paths, axis=1)
    crossed = t <= after[cross]
    # thresholds <= `before` were crossed in earlier visits (thresholds are > 0, accrual only grows)
    hit = np.flatnonzero(crossed & (t > before[cross]))  # flat index into (technologies, cross)
    tech, col = np.divmod(hit, cross.size)
    rows = cross[col]
    need = np.ceil((t.reshape(-1)[hit] - before[rows]) / g[col])
    need = np.minimum(np.maximum(need, 1), months[col])
    transfer.reshape(-1)[tech * n + paths[col]] = first_hazard[rows] + need.astype(MONTH) - 1
    np.putmask(t, crossed, np.inf)
    nxt[cross] = np.minimum.reduce(t, axis=0)
