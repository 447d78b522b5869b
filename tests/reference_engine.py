"""A small, obviously-correct reference for the scenario engine: one path at a time, month by month.

It reads the same compiled `Model` but shares no code with the engine: parameters are drawn with
Python's `random` (uniform, triangular, randint), the phase moves by a monthly draw, each untransferred
technology is a monthly coin flip with probability 1 - exp(-hazard), triggers are evaluated on the
state of each month and latch, and a latched tier is decided in each month from tau + lag on with
probability `will` (`considered` tiers not before month 1). The tests compare its histograms with the
vectorized engine's.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from toolkit.engine.model import Model


@dataclass
class ReferenceCounts:
    """Same layout as `toolkit.engine.chunk.Counts`, as nested lists (index months+1 = never)."""

    occupancy: list[list[int]]  # [month][phase]
    reached: list[list[int]]  # [phase][month]
    transfer: list[list[int]]  # [technology][month]
    tier_transfer: list[list[int]]  # [tech tier][month]
    decided: list[list[int]]  # [response tier][month]
    level: list[list[int]]  # [month][level], level 0 = none, r + 1 = response tier r


def sample_values(model: Model, rng: random.Random) -> list[float]:
    """One path's parameter values."""
    p = model.parameters
    out = []
    for i in range(len(p.ids)):
        value = float(p.value[i])
        if p.sampled()[i]:
            low, high = float(p.low[i]), float(p.high[i])
            uniform = p.distribution[i] == 1
            if p.is_int[i]:
                if uniform:
                    value = float(rng.randint(int(low), int(high)))
                else:
                    value = float(round(rng.triangular(low, high, value)))
            else:
                value = rng.uniform(low, high) if uniform else rng.triangular(low, high, value)
        out.append(value)
    return out


def run_reference(model: Model, paths: int, months: int, seed: int) -> ReferenceCounts:
    """Simulate `paths` paths of `months` months, one path and one month at a time."""
    rng = random.Random(seed)
    n_ph, n_tech = len(model.phases), len(model.technologies)
    n_tt, n_resp = len(model.tech_tiers), len(model.responses)
    never = months + 1
    counts = ReferenceCounts(
        occupancy=[[0] * n_ph for _ in range(months + 1)],
        reached=[[0] * (never + 1) for _ in range(n_ph)],
        transfer=[[0] * (never + 1) for _ in range(n_tech)],
        tier_transfer=[[0] * (never + 1) for _ in range(n_tt)],
        decided=[[0] * (never + 1) for _ in range(n_resp)],
        level=[[0] * (n_resp + 1) for _ in range(months + 1)],
    )
    exits: list[list[tuple[int, int]]] = [[] for _ in range(n_ph)]
    for f, t, p in zip(model.trans_from, model.trans_to, model.trans_param, strict=True):
        exits[int(f)].append((int(t), int(p)))
    per_tier = [int((model.technology_tier == x).sum()) for x in range(n_tt)]

    for _ in range(paths):
        v = sample_values(model, rng)
        scale = v[model.troops_param] / v[model.reference_param]
        horizon = v[model.horizon_param]
        rates = []
        for t in range(n_tech):
            tier = int(model.technology_tier[t])
            p = v[int(model.transfer_param[tier])]
            rates.append(math.inf if p >= 1 else -math.log(1 - p) / horizon / per_tier[tier])
        lag = [v[int(i)] if i >= 0 else 0.0 for i in model.lag_param]
        will = [v[int(i)] if i >= 0 else 1.0 for i in model.will_param]

        phase = 0
        reached = {0: 0}
        transferred: dict[int, int] = {}
        latched: dict[int, int] = {}
        decided: dict[int, int] = {}
        for month in range(months + 1):
            if month > 0:
                u, acc = rng.random(), 0.0
                for to, p in exits[phase]:
                    acc += v[p]
                    if u < acc:
                        phase = to
                        break
                reached.setdefault(phase, month)
                g = v[int(model.intensity_param[phase])] * scale
                for t in range(n_tech):
                    if t not in transferred:
                        hazard = g * rates[t]
                        chance = 1.0 if hazard == math.inf else 1.0 - math.exp(-hazard)
                        if g > 0 and rng.random() < chance:
                            transferred[t] = month
            for r in range(n_resp):
                if r not in latched and _holds(model, r, phase, reached, transferred):
                    latched[r] = month
            for r, status in enumerate(model.status):
                if status == "ruled_out" or r in decided or r not in latched:
                    continue
                if month < 1 and status != "active":
                    continue
                if month - latched[r] >= lag[r] and rng.random() < will[r]:
                    decided[r] = month
            counts.occupancy[month][phase] += 1
            top = max(decided, default=-1)
            counts.level[month][top + 1] += 1

        for k in range(n_ph):
            counts.reached[k][reached.get(k, never)] += 1
        for t in range(n_tech):
            counts.transfer[t][transferred.get(t, never)] += 1
        for x in range(n_tt):
            first = min(
                (m for t, m in transferred.items() if model.technology_tier[t] == x), default=never
            )
            counts.tier_transfer[x][first] += 1
        for r in range(n_resp):
            counts.decided[r][decided.get(r, never)] += 1
    return counts


def _holds(
    model: Model, r: int, phase: int, reached: dict[int, int], transferred: dict[int, int]
) -> bool:
    trigger = model.triggers[r]
    if trigger is None:
        return False
    results = []
    for c in trigger.conditions:
        if c.kind == "always":
            results.append(True)
        elif c.kind == "phase_at_least":
            results.append(bool(model.escalation[phase] >= model.escalation[c.target]))
        elif c.kind == "reached":
            results.append(c.target in reached)
        elif c.kind == "tier_transferred":
            results.append(any(model.technology_tier[t] == c.target for t in transferred))
        elif c.kind == "transferred":
            results.append(c.target in transferred)
    return all(results) if trigger.combinator == "all" else any(results)
