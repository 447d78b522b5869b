"""Deployment phases and technology transfers of every path in continuous time, one phase visit per
vectorized round.

The deployment ladder is a continuous-time Markov chain: out of phase k each transition j has a
monthly *rate* lambda_j, so the stay is Exp(sum_j lambda_j) months and the next phase is j with
probability lambda_j / sum_j lambda_j. A path starts in a phase drawn from the model's start state
at time 0 and may cross several phases within one reporting period. One round handles one visit of
every path still inside the horizon, so the cost does not grow with the number of periods.

Compensation is an exponential clock in continuous time: technology t is transferred when the
accumulated hazard, intensity(phase) * troops / reference over the time spent in each phase, reaches
its threshold E_t / rate_t with E_t ~ Exp(1). A technology may also be paid up front: with its
`upfront` probability it is transferred at time 0; a run started as of a later date replaces that with
the probability it has been transferred by then. A transfer, once made, stays made.

Times are months (float); `bins` turns them into reporting periods of `step` months: time 0 is
period 0, a time in ((k-1)·step, k·step] is period k, and period K+1 means "not within the horizon".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.engine.draws import MONTH, Draws, FloatArray, IntArray
from toolkit.engine.fastmath import hazard, set_where
from toolkit.engine.memo import per_object
from toolkit.engine.model import Model
from toolkit.engine.sampling import Values


def as_array(x: float | FloatArray, n: int) -> FloatArray:
    """A per-path view of a value: a point broadcast, or the per-path draws as they are."""
    return np.broadcast_to(np.asarray(x), (n,))


def bins(times: FloatArray, step: float, periods: int) -> IntArray:
    """Reporting period of each event time (0 for time 0, K+1 past the horizon K·step or never)."""
    with np.errstate(invalid="ignore", over="ignore"):
        k = np.ceil(np.asarray(times) / step)
    return np.fmin(k, periods + 1).astype(MONTH)  # fmin: inf and nan (never) -> periods + 1


def transfer_thresholds(
    model: Model,
    values: Values,
    exp1: Sequence[FloatArray],
    upfront_u: Sequence[FloatArray],
    n: int,
    start_phase: IntArray,
) -> FloatArray:
    """(technologies, n): accumulated intensity at which each technology is transferred; 0 for a
    technology paid up front on that path (transferred at time 0; at an as-of start, transferred by
    then with its probability given the path's `start_phase`). Single precision, as the Exp(1)
    draws and the parameters they are computed from (accrued hazards are double precision)."""
    weights = np.asarray(model.tech_weight, dtype=np.float64)
    tier_weight = np.bincount(
        model.technology_tier, weights=weights, minlength=len(model.tech_tiers)
    )
    horizon = values[model.horizon_param]
    out = np.empty((len(model.technologies), n), dtype=np.float32)
    tier_rate: dict[int, FloatArray] = {}  # -ln(1 - transfer_X), once per tier
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for t, x in enumerate(model.technology_tier):
            if x not in tier_rate:
                tier_rate[x] = hazard(values[model.transfer_param[x]])
            share = weights[t] / tier_weight[x] if tier_weight[x] > 0 else 0.0
            # mean months of hazard for this technology: p = 1 -> 0 (threshold 0), p = 0 -> inf
            scale = horizon / (tier_rate[x] * share)
            np.multiply(exp1[t], scale, out=out[t])
    # a threshold is crossed once the accrued hazard exceeds it; keeping it above 0 makes "not
    # crossed yet" the same as "above what has accrued", even for p = 1
    np.maximum(out, np.finfo(np.float32).tiny, out=out)
    if model.start_transferred is not None:  # an as-of start: transferred by then, or not
        by_phase = np.asarray(model.start_transferred)
        for i in np.flatnonzero(model.paid_at_start()).tolist():
            row = by_phase[i]
            if (row == row[0]).all():
                p: FloatArray | float = float(row[0])
            else:
                p = row[start_phase]
            out[i] = np.where(upfront_u[i] < p, 0.0, out[i])
        return out
    for t, param in enumerate(model.upfront_param):
        if param >= 0:
            set_where(out[t], upfront_u[t] < np.asarray(values[param]), 0.0)
    return out


@dataclass
class Walk:
    first: FloatArray  # (phases, n) first time in each phase (inf: never)
    transfer: FloatArray  # (technologies, n) transfer time (inf: never)
    occupancy: IntArray  # (K+1, phases): paths in each phase at each period boundary
    final: IntArray  # (n,) phase at the horizon
    visits: list[tuple[IntArray, IntArray, FloatArray, FloatArray]]  # (idx, phase, start, end)


@dataclass
class Tables:
    """Per path and phase, flattened phase-major (index phase * n + path)."""

    inv_rate: FloatArray  # 1 / total exit rate: the stay is Exp(1) * inv_rate months (float32)
    gain: FloatArray  # intensity * troops / reference (float32)
    split: list[FloatArray]  # cumulative share of the first d targets among the exits (float32)
    target: IntArray  # (phases * width): next phase for (phase, choice)
    width: int


@per_object
def _layout(model: Model) -> tuple[int, IntArray, tuple[tuple[int, ...], ...]]:
    """The chain's shape: the widest fan-out, the next phase for (phase, choice) flattened, and
    each phase's exit transitions (their parameter indices)."""
    n_ph = len(model.phases)
    width = max(model.out_degree(), 1)
    target = np.repeat(np.arange(n_ph, dtype=np.intp)[:, None], width, axis=1)
    exits = []
    for k in range(n_ph):
        rows = np.flatnonzero(model.trans_from == k)
        target[k, : rows.size] = model.trans_to[rows]
        exits.append(tuple(int(model.trans_param[r]) for r in rows))
    target = target.ravel()
    target.setflags(write=False)
    return width, target, tuple(exits)


def build_tables(model: Model, values: Values, n: int) -> Tables:
    """The per-path tables of the walk, in single precision: the exit shares as the uniforms
    compared with them (`Draws`), the mean stays and hazard gains as the parameter draws they are
    computed from (times and accrued hazards are double precision)."""
    n_ph = len(model.phases)
    width, target, exits = _layout(model)
    inv_rate = np.empty((n_ph, n), dtype=np.float32)
    split = np.empty((width - 1, n_ph, n), dtype=np.float32)
    for k, params in enumerate(exits):
        split[max(len(params) - 1, 0) :, k] = 1.0  # a padded slot is never chosen (u < 1)
        rates = [values[i] for i in params]
        if not rates:
            inv_rate[k] = np.inf  # absorbing: never leaves
            continue
        total = np.asarray(sum(rates[1:], start=rates[0]))
        leaves = bool((total > 0).all())
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # total 0 -> inf; a mean stay beyond single precision (> 1e38 months) -> inf as well
            inv_rate[k] = 1.0 / total
            cum = np.asarray(rates[0])
            for d in range(len(rates) - 1):
                split[d, k] = cum / total if leaves else np.where(total > 0, cum / total, 1.0)
                cum = cum + rates[d + 1]
    scale = as_array(values[model.troops_param], n) / as_array(values[model.reference_param], n)
    gain = np.empty((n_ph, n), dtype=np.float32)
    for k in range(n_ph):
        np.multiply(values[model.intensity_param[k]], scale, out=gain[k])
    return Tables(inv_rate.ravel(), gain.ravel(), [x.ravel() for x in split], target, width)


def start_phases(model: Model, u: FloatArray, n: int) -> IntArray:
    """Each path's phase at time 0, drawn from the model's start state with uniforms `u` (not used,
    and may be empty, when the start state is a single phase)."""
    if np.count_nonzero(model.start) == 1:
        return np.full(n, int(np.flatnonzero(model.start)[0]), dtype=MONTH)
    cum = np.cumsum(np.asarray(model.start, dtype=np.float64))
    cum[-1] = np.inf  # rounding never leaves a path without a phase
    return np.searchsorted(cum, u, side="right").astype(MONTH)


def reached_times(
    model: Model, first: FloatArray, start_phase: IntArray, start_u: FloatArray
) -> FloatArray:
    """The first time in each phase as the run's "reached" outputs count it: `first`, except that a
    phase the path went through before an as-of start (`Model.start_reached`, by start phase) is
    reached at time 0. The triggers read `first` itself: what a phase latched before time 0 is in
    the tiers' start states.

    Which phases: the start phase's uniform, rescaled within the start phase's share of the start
    state (uniform on [0, 1) and independent of the phase), below each phase's P(reached before |
    start phase). One number per path, so a path that went through a phase also went through the
    phases likelier than it; each phase's share, all that a histogram reads, is exact."""
    table = model.start_reached
    if table is None:
        return first
    start = np.asarray(model.start, dtype=np.float64)
    lower = np.concatenate([[0.0], np.cumsum(start)[:-1]])  # the bounds `start_phases` searched
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (np.asarray(start_u, dtype=np.float64) - lower[start_phase]) / start[start_phase]
    np.maximum(v, 0.0, out=v)  # never below 0 by rounding: a share of 0 is never drawn
    out = first.copy()
    for x, row in enumerate(np.asarray(table)):
        out[x, v < row[start_phase]] = 0.0
    return out


def walk_paths(
    model: Model,
    values: Values,
    thresholds: FloatArray,
    draws: Draws,
    first_phase: IntArray,
    periods: int,
    step: float,
    want_final: bool = True,
) -> Walk:
    """Phase visits of every path, with transfer times, in vectorized rounds (one visit each).
    `want_final`: also record each path's phase at the horizon (for samples)."""
    n = first_phase.size
    n_ph, n_tech = len(model.phases), len(model.technologies)
    horizon = periods * step
    tab = build_tables(model, values, n)
    finite_gain = bool(np.isfinite(tab.gain).all())
    transfer = np.full((n_tech, n), np.inf)
    for t in np.flatnonzero(model.paid_at_start()):
        transfer[t, thresholds[t] <= 0] = 0.0  # paid up front (or by the as-of date): time 0
    final = np.zeros(n, dtype=MONTH)
    visits: list[tuple[IntArray, IntArray, FloatArray, FloatArray]] = []
    keep_visits = model.needs_visits
    open_thr = _open_thresholds(model, thresholds)
    nxt = np.minimum.reduce(open_thr, axis=0) if n_tech else np.full(n, np.inf)
    # per round: where each visit starts (for the first time in each phase), and the period
    # boundaries at which phases are entered and left (for the occupancy)
    starts: list[tuple[IntArray | slice, FloatArray]] = []
    entered: list[IntArray] = [first_phase.astype(np.int64)]  # period 0
    left: list[IntArray] = []

    # intp indices and phases: numpy indexes with intp without converting
    idx: IntArray = np.arange(n)
    phase: IntArray = first_phase.astype(np.intp)
    start = np.zeros(n)
    accrued = np.zeros(n)
    visit = 0
    # all paths in one phase (a one-phase start state): the first visit's table entries are a slice
    same = n > 0 and bool((first_phase == first_phase[0]).all())
    while idx.size:
        pos: IntArray | slice = (
            slice(int(phase[0]) * n, int(phase[0]) * n + n)
            if visit == 0 and same
            else phase * n + idx
        )
        starts.append((pos, start))
        e, u = draws.per_visit(idx, visit)
        visit += 1
        end = np.multiply(e, tab.inv_rate[pos], dtype=np.float64)
        end += start
        g = tab.gain[pos]
        accrue = np.fmin(end, horizon)  # hazard accrues up to the horizon only
        accrue -= start
        accrue *= g
        if not finite_gain:
            with np.errstate(invalid="ignore"):  # inf gain over no time
                accrue = np.nan_to_num(accrue, nan=0.0)
        new_accrued = accrue
        new_accrued += accrued
        cross = (new_accrued >= nxt).nonzero()[0]  # (flatnonzero's wrapper costs more, per round)
        if cross.size:
            record_transfers(open_thr, transfer, nxt, cross, idx, accrued, new_accrued, g, start)
        accrued = new_accrued
        key = _period_key(end, step, periods)
        key *= n_ph
        left.append(key + phase)
        if keep_visits:
            visits.append((idx, phase, start, end))
        target = phase * tab.width
        for split in tab.split:
            target += u >= split[pos]
        following = tab.target[target]
        # a path past the horizon enters its next phase at K+1, a row the occupancy never reads
        key += following
        entered.append(key)
        live = end <= horizon
        if not live.all():
            if want_final:
                final[idx[~live]] = phase[~live]
            keep = live.nonzero()[0]
            idx, following, end = idx[keep], following[keep], end[keep]
            accrued, nxt = accrued[keep], nxt[keep]
        phase, start = following, end
    first = np.full((n_ph, n), np.inf)
    first_flat = first.reshape(-1)
    for at, begun in reversed(starts):  # a path's visits are in time order: the earliest wins
        first_flat[at] = begun
    minlength = (periods + 2) * n_ph
    enter = np.bincount(np.concatenate(entered), minlength=minlength)
    leave = np.bincount(np.concatenate(left), minlength=minlength)
    diff = (enter - leave).reshape(periods + 2, n_ph)
    occupancy = np.cumsum(diff, axis=0)[: periods + 1]
    return Walk(first, transfer, occupancy, final, visits)


def _open_thresholds(model: Model, thresholds: FloatArray) -> FloatArray:
    """The thresholds still to cross: those paid up front (0) are done (inf). Only a technology
    that may be paid at time 0 can have one; the others are above 0 (or nan: done as well)."""
    if not len(model.technologies):
        return thresholds
    upfront = model.paid_at_start()
    nan = bool(np.isnan(thresholds).any())
    if not upfront.any() and not nan:
        return thresholds
    out = thresholds.copy()
    for t in range(len(out)) if nan else np.flatnonzero(upfront):
        set_where(out[t], ~(thresholds[t] > 0), np.inf)
    return out


def _period_key(times: FloatArray, step: float, periods: int) -> IntArray:
    """First period boundary k·step at or after each time, K+1 past the horizon. A nan time (an
    Exp(1) draw of 0 times the infinite stay of an absorbing phase) is a stay that never ends: K+1."""
    k = np.divide(times, step) if step != 1.0 else times
    k = np.fmin(k, periods + 1, out=None if k is times else k)
    np.ceil(k, out=k)
    return k.astype(np.int64)


def record_transfers(
    thresholds: FloatArray,
    transfer: FloatArray,
    nxt: FloatArray,
    cross: IntArray,
    idx: IntArray,
    before: FloatArray,
    after: FloatArray,
    gain: FloatArray,
    start: FloatArray,
) -> None:
    """Every threshold crossed during this visit, for the rows `cross` of the active paths.

    `thresholds` and `transfer` are (technologies, paths), item-major so that reductions over
    technologies run along axis 0 (fast in numpy); `nxt` gets the smallest threshold still open.
    Crossed thresholds are set to inf (they are done)."""
    g = gain[cross]
    live = g > 0  # no hazard accrued: nothing happens
    if not live.all():
        cross, g = cross[live], g[live]
    if not cross.size:
        return
    n, c = thresholds.shape[1], cross.size
    paths = idx[cross]
    t = thresholds.take(paths, axis=1)
    crossed = t <= after[cross]
    hit = crossed.ravel().nonzero()[0]  # flat index into (technologies, cross)
    done = hit // c  # the technology (cheaper than divmod)
    col = hit - done * c
    rows = cross[col]  # the active row of each crossing
    begun = start[rows]
    when = np.subtract(t.reshape(-1)[hit], before[rows])  # double precision
    when /= g[col]
    when += begun
    np.maximum(when, begun, out=when)
    done *= n
    done += paths[col]  # flat index into (technologies, paths)
    transfer.reshape(-1)[done] = when
    thresholds.reshape(-1)[done] = np.inf
    t.reshape(-1)[hit] = np.inf
    nxt[cross] = np.minimum.reduce(t, axis=0)
