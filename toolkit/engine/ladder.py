"""The response ladder: when each tier's trigger first holds, and when the tier is decided.

A trigger latches the first time tau its structured condition holds (`always`, `phase_at_least`
optionally at a `location`, `reached`, `tier_transferred`, `transferred`, combined with `all` or
`any`; never `eval`). Times are continuous (months). The tier is decidable from tau + lag and is then
decided at a constant hazard -ln(1 - will) per month (so `will` is the chance of a decision within a
month once decidable), unless the path is one where the decision never comes (the tier's `never`
fraction). A `considered` tier is never decided at time 0 itself: its earliest reporting period is 1.
A run started as of a later date may have a tier decided already: at time 0, with the probability the
tracker gives (the top of the tier's never-decide uniform; "never" is then drawn among the others).
With the tier's state by start phase (`TierStart`, from the tracker), that one uniform picks, given
the path's start phase, decided, never, latched some months ago (decidable once the rest of the lag
has passed, then decided at the same hazard: the wait is memoryless) or not yet latched (as from the
pack's date, without drawing "never" again).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.draws import FloatArray, IntArray
from toolkit.engine.fastmath import hazard, set_where
from toolkit.engine.model import Condition, Model, Trigger
from toolkit.engine.sampling import Values
from toolkit.engine.walk import Walk


def first_tier_transfers(model: Model, transfer: FloatArray) -> FloatArray:
    """(tech tiers, n): first transfer time of any technology of the tier (inf: never)."""
    out = np.full((len(model.tech_tiers), transfer.shape[1]), np.inf)
    for x in range(len(model.tech_tiers)):
        rows = np.flatnonzero(model.technology_tier == x)
        if rows.size:
            out[x] = np.minimum.reduce(transfer[rows], axis=0)
    return out


def trigger_times(model: Model, walk: Walk, tier_first: FloatArray) -> FloatArray:
    """(responses, n): the time each tier's trigger first holds (inf: never)."""
    n = walk.first.shape[1]
    out = np.full((len(model.responses), n), np.inf)
    for r, trig in enumerate(model.triggers):
        if trig is None:
            continue
        firsts = [_condition_first(model, c, walk, tier_first) for c in trig.conditions]
        if trig.combinator == "any":
            out[r] = np.minimum.reduce(firsts)
        elif not trig.needs_visits:
            out[r] = np.maximum.reduce(firsts)
        else:
            out[r] = _first_joint(model, trig, firsts, walk)
    return out


def phase_rows(model: Model, cond: Condition) -> np.ndarray:
    """The phases a `phase_at_least` condition accepts: escalation at least its phase's, and at its
    location if it names one."""
    inside = model.escalation >= model.escalation[cond.target]
    if cond.location is not None:
        inside &= np.asarray([loc == cond.location for loc in model.location])
    return inside


def _condition_first(
    model: Model, cond: Condition, walk: Walk, tier_first: FloatArray
) -> FloatArray:
    """(n,): first time the condition holds on its own."""
    if cond.kind == "always":
        return np.zeros(walk.first.shape[1])
    if cond.kind == "reached":
        return walk.first[cond.target]
    if cond.kind == "phase_at_least":
        rows = np.flatnonzero(phase_rows(model, cond))
        if not rows.size:
            return np.full(walk.first.shape[1], np.inf)
        return np.minimum.reduce(walk.first[rows], axis=0)
    if cond.kind == "tier_transferred":
        return tier_first[cond.target]
    if cond.kind == "transferred":
        return walk.transfer[cond.target]
    raise ValueError(f"unknown condition kind {cond.kind!r}")


def _first_joint(
    model: Model, trig: Trigger, firsts: Sequence[FloatArray], walk: Walk
) -> FloatArray:
    """`all` with phase_at_least conditions that can lapse: scan the recorded visits for the first
    time at or after every lasting condition holds at which the phase is inside every lapsing
    condition's set."""
    n = walk.first.shape[1]
    pairs = list(zip(trig.conditions, trig.leavable, firsts, strict=True))
    settled = [f for _, leave, f in pairs if not leave]
    t0 = np.maximum.reduce(settled) if settled else np.zeros(n)
    inside = np.ones(len(model.phases), dtype=bool)
    for cond, leave, _ in pairs:
        if leave:
            inside &= phase_rows(model, cond)
    out = np.full(n, np.inf)
    for idx, phase, start, end in walk.visits:
        cand = np.maximum(start, t0[idx])
        ok = inside[phase] & (cand < end)
        out[idx] = np.minimum(out[idx], np.where(ok, cand, np.inf))
    return out


def tier_waits(model: Model, r: int) -> bool:
    """Whether tier `r`'s decision waits Exp(1) / -ln(1 - will) after its trigger and lag: its
    will is banded or a point below 1 (a will of 1, or none, decides at once)."""
    i = int(model.will_param[r])
    return i >= 0 and (bool(model.parameters.sampled()[i]) or model.parameters.value[i] < 1.0)


NOT_LATCHED = -1  # `start_stages`: the trigger has not latched by time 0


def start_stages(
    model: Model,
    values: Values,
    never_u: Sequence[FloatArray],
    start_phase: IntArray,
    transfer: FloatArray,
) -> dict[int, IntArray]:
    """Per tier with a `TierStart`: each path's state at time 0, drawn with the tier's never-decide
    uniform given its start phase and which of the tier's atoms have a technology transferred at time 0
    (`transfer`: (technologies, n) transfer times): 0 decided, 1 never, 2 + j latched `elapsed[j]`
    months ago, NOT_LATCHED otherwise. "Never" takes the run's own never share (`values`; see
    `TierStart.never_given`); the other states keep their shares among the remaining paths."""
    out: dict[int, IntArray] = {}
    if model.start_tiers is None:
        return out
    for r, ts in enumerate(model.start_tiers):
        if ts is None:
            continue
        row = start_phase.astype(np.intp) << len(ts.atoms)
        for j, atom in enumerate(ts.atoms):
            hit = np.logical_or.reduce([transfer[t] == 0.0 for t in atom])
            row |= hit.astype(np.intp) << j
        share = values[model.never_param[r]] if model.never_param[r] >= 0 else 0.0
        never = ts.never_given(row, share)
        u = np.asarray(never_u[r], dtype=np.float64)
        col = np.where(u < never, 1, NOT_LATCHED).astype(np.intp)
        rest = np.column_stack([ts.decided, ts.latched])  # (rows, 1 + m): not "never"
        left = 1.0 - np.asarray(ts.never, dtype=np.float64)
        for k in np.unique(row).tolist():
            paths = np.flatnonzero((row == k) & (col != 1))
            if not paths.size or left[k] <= 0:
                continue  # no share but "never" known: the rest have not latched
            cum = np.cumsum(rest[k]) / left[k]
            with np.errstate(invalid="ignore", divide="ignore"):
                v = (u[paths] - never[paths]) / (1.0 - never[paths])
            got = np.searchsorted(cum, v, side="right")
            col[paths] = np.where(got == 0, 0, np.where(got < cum.size, got + 1, NOT_LATCHED))
        out[r] = col
    return out


def start_triggers(model: Model, trigger: FloatArray, stages: dict[int, IntArray]) -> FloatArray:
    """`trigger` with time 0 where a path's tier was decided, or its trigger latched, by time 0."""
    if not stages:
        return trigger
    out = trigger.copy()
    for r, col in stages.items():
        out[r] = np.where((col == 0) | (col >= 2), 0.0, out[r])
    return out


def decision_times(
    model: Model,
    values: Values,
    trigger: FloatArray,
    exp1: Sequence[FloatArray],
    never_u: Sequence[FloatArray],
    stages: dict[int, IntArray] | None = None,
) -> FloatArray:
    """(responses, n): decision time = tau + lag + an exponential wait (inf: never). `stages`: the
    as-of states `start_stages` drew."""
    out = np.full_like(trigger, np.inf)
    already = model.start_decided
    table = model.parameters
    n = trigger.shape[1]
    for r, status in enumerate(model.status):
        if status == "ruled_out" or model.triggers[r] is None:
            continue
        lag = values[model.lag_param[r]] if model.lag_param[r] >= 0 else 0.0
        np.add(trigger[r], lag, out=out[r])
        will_param = model.will_param[r]
        will = values[will_param] if will_param >= 0 else 1.0
        wait: FloatArray | float = 0.0
        if tier_waits(model, r):  # the Exp(1) item `exponential_items` draws for it
            # the wait is Exp(1) / -ln(1 - will); will 0 -> never (inf)
            rate = np.atleast_1d(hazard(will))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                waits = np.divide(exp1[r], rate)
            lowest = table.low[will_param] if table.sampled()[will_param] else will
            if np.asarray(lowest, dtype=rate.dtype) <= 0:  # will 0 (0 / 0 is nan): never
                set_where(waits, rate == 0, np.inf)
            np.add(out[r], waits, out=out[r])
            wait = waits
        if stages and r in stages:
            _from_stage(model, r, out[r], stages[r], lag, wait, n)
            continue
        # a considered tier is decided after time 0 (period 1 at the earliest)
        if status != "active":
            np.maximum(out[r], np.finfo(np.float64).tiny, out=out[r])
        if model.never_param[r] >= 0:
            share = np.asarray(values[model.never_param[r]])
            if already is not None and already[r] > 0:  # never among the paths not yet decided
                share = share * (1.0 - already[r])
            set_where(out[r], never_u[r] < share, np.inf)
    if already is not None:  # an as-of start: decided by then (the top of the same uniform)
        for k in np.flatnonzero(already > 0).tolist():
            if not (stages and k in stages):
                out[k] = np.where(never_u[k] >= 1.0 - already[k], 0.0, out[k])
    return out


def _from_stage(
    model: Model,
    r: int,
    out: FloatArray,
    col: IntArray,
    lag: FloatArray | float,
    wait: FloatArray | float,
    n: int,
) -> None:
    """Tier `r`'s decision times (in place) from each path's state at time 0 (`start_stages`); a path
    whose trigger has not latched keeps the time `out` holds (trigger + lag + wait)."""
    ts = model.start_tiers[r] if model.start_tiers is not None else None
    assert ts is not None
    latched = np.flatnonzero(col >= 2)
    if latched.size:
        elapsed = ts.elapsed[col[latched] - 2]
        left = np.maximum(
            np.broadcast_to(np.asarray(lag, dtype=np.float64), (n,))[latched] - elapsed, 0.0
        )
        out[latched] = left + np.broadcast_to(np.asarray(wait, dtype=np.float64), (n,))[latched]
    if model.status[r] != "active":  # a considered tier is decided after time 0
        np.maximum(out, np.finfo(np.float64).tiny, out=out)
    out[col == 0] = 0.0  # decided by time 0
    out[col == 1] = np.inf  # never
