"""The response ladder: when each tier's trigger first holds, and when the tier is decided.

A trigger latches the first month tau its structured condition holds (`always`, `phase_at_least`,
`reached`, `tier_transferred`, `transferred`, combined with `all` or `any`; never `eval`). The tier is
decidable from month tau + lag (from month 1 unless it is `active`) and is then decided in each month
with probability `will`: the decision month is tau + lag plus a geometric number of months.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.draws import MONTH, FloatArray, IntArray
from toolkit.engine.model import Condition, Model, Trigger
from toolkit.engine.sampling import Values
from toolkit.engine.walk import Walk


def first_tier_transfers(model: Model, transfer: IntArray, never: int) -> IntArray:
    """(tech tiers, n): first transfer month of any technology of the tier."""
    out = np.full((len(model.tech_tiers), transfer.shape[1]), never, dtype=MONTH)
    for x in range(len(model.tech_tiers)):
        rows = np.flatnonzero(model.technology_tier == x)
        if rows.size:
            out[x] = np.minimum.reduce(transfer[rows], axis=0)
    return out


def trigger_months(model: Model, walk: Walk, tier_first: IntArray, never: int) -> IntArray:
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


def _condition_first(model: Model, cond: Condition, walk: Walk, tier_first: IntArray) -> IntArray:
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
    model: Model, trig: Trigger, firsts: Sequence[IntArray], walk: Walk, never: int
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


def decision_months(
    model: Model, values: Values, trigger: IntArray, exp1: FloatArray, months: int
) -> IntArray:
    """(responses, n): decision month = tau + lag + a geometric wait (never = M+1)."""
    never = months + 1
    out = np.full_like(trigger, never)
    for r, status in enumerate(model.status):
        if status == "ruled_out" or model.triggers[r] is None:
            continue
        lag = values[model.lag_param[r]] if model.lag_param[r] >= 0 else 0.0
        will = np.asarray(values[model.will_param[r]] if model.will_param[r] >= 0 else 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # will 1 -> no wait; will 0 -> never (inf, capped below)
            wait = np.floor(exp1[r] * (-1.0 / np.log1p(-will)))
        # months after the trigger: the lag (a whole number), then the wait; never past M + 1
        after = np.fmin(wait + lag, never)
        month = trigger[r] + after.astype(MONTH)
        if status != "active":  # a considered tier is decided in month 1 at the earliest
            np.maximum(month, np.fmin(1 + wait, never).astype(MONTH), out=month)
        out[r] = np.minimum(month, never)
    return out
