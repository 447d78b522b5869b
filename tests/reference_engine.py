"""A small, obviously-correct reference for the scenario engine: one path and one event at a time.

It reads the same compiled `Model` but shares no code with the engine: parameters are drawn with
Python's `random` (uniform, triangular, randint); the start phase is drawn from the start state; a
technology with an up-front share is transferred at time 0 by a coin flip; each phase visit lasts an
exponential time at the sum of its exit rates and ends in an exit chosen in proportion to its rate;
during a visit each untransferred technology gets an exponential transfer time at its hazard (the
clock is memoryless, so a fresh draw per visit is exact); a trigger latches at the first event time at
which its condition holds on the state then; a latched tier is decided lag + an exponential wait
later (hazard -ln(1 - will)) unless a coin flip with its never share says never. Times are binned into
months (time 0 is month 0, (k-1, k] is month k). The tests compare its histograms with the engine's.

An as-of start (`Model.with_start`): a technology is transferred at time 0 by a coin flip with its
share for the start phase (instead of the up-front payments); a tier with a `TierStart` draws its state
from the row of its start phase and the atoms transferred at time 0: decided at time 0, never, latched
`elapsed` months ago (decided max(lag - elapsed, 0) + the wait later), or not latched (as above, with
no never flip); a tier with only a share decided is decided at time 0 by a coin flip, else as above;
a phase the path went through before time 0 (`start_reached`, by start phase) is reached at month 0.
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
    weight = [float(w) for w in model.tech_weight]
    tier_weight = [
        sum(w for t, w in enumerate(weight) if model.technology_tier[t] == x) for x in range(n_tt)
    ]

    def month_of(time: float) -> int:
        return 0 if time == 0 else (math.ceil(time) if time <= months else never)

    for _ in range(paths):
        v = sample_values(model, rng)
        scale = v[model.troops_param] / v[model.reference_param]
        horizon = v[model.horizon_param]
        rates = []
        for t in range(n_tech):
            tier = int(model.technology_tier[t])
            p = v[int(model.transfer_param[tier])]
            share = weight[t] / tier_weight[tier]
            rates.append(math.inf if p >= 1 else -math.log(1 - p) / horizon * share)
        u, phase = rng.random(), n_ph - 1
        acc = 0.0
        for k, share in enumerate(model.start):
            acc += float(share)
            if u < acc:
                phase = k
                break
        # an as-of start: the phases gone through before time 0 count as reached then (one uniform
        # against each phase's share, as the engine draws them)
        before: set[int] = set()
        if model.start_reached is not None:
            w = rng.random()
            before = {x for x in range(n_ph) if w < float(model.start_reached[x][phase])}
        transferred: dict[int, float] = {}
        if model.start_transferred is not None:
            for t in range(n_tech):
                if rng.random() < float(model.start_transferred[t][phase]):
                    transferred[t] = 0.0
        else:
            for t, param in enumerate(model.upfront_param):
                if param >= 0 and rng.random() < v[int(param)]:
                    transferred[t] = 0.0
        start_state = _start_states(model, phase, transferred, rng, v)
        visits: list[tuple[int, float, float]] = []  # (phase, start, end)
        time = 0.0
        while time <= months:
            total = sum(v[p] for _, p in exits[phase])
            stay = rng.expovariate(total) if total > 0 else math.inf
            end = time + stay
            g = v[int(model.intensity_param[phase])] * scale
            for t in range(n_tech):
                if t in transferred or g <= 0 or rates[t] == 0:
                    continue
                # an infinite hazard (transfer probability 1) transfers at once, just after the
                # visit starts: time 0 itself holds the up-front payments only
                when = (
                    math.nextafter(time, math.inf)
                    if rates[t] == math.inf
                    else time + rng.expovariate(g * rates[t])
                )
                if when < min(end, months + 1):
                    transferred[t] = when
            visits.append((phase, time, end))
            if total > 0:
                x, acc = rng.random() * total, 0.0
                for to, p in exits[phase]:
                    acc += v[p]
                    if x < acc:
                        phase = to
                        break
            time = end
        entered: dict[int, float] = {}
        for k, start, _ in visits:
            entered.setdefault(k, start)
        events = sorted({0.0, *(s for _, s, _ in visits), *transferred.values()})
        latched: dict[int, float] = {}
        for r in range(n_resp):
            for e in events:
                now = next(k for k, s, end in visits if s <= e < end)
                if _holds(model, r, now, {k for k, s in entered.items() if s <= e},
                          {t for t, w in transferred.items() if w <= e}):  # fmt: skip
                    latched[r] = e
                    break
        decided: dict[int, int] = {}
        for r, status in enumerate(model.status):
            state = start_state.get(r)
            if state == "decided":
                decided[r] = 0
                continue
            if status == "ruled_out" or state == "never":
                continue
            if r not in latched and not isinstance(state, float):
                continue
            lag = v[int(model.lag_param[r])] if model.lag_param[r] >= 0 else 0.0
            will = v[int(model.will_param[r])] if model.will_param[r] >= 0 else 1.0
            never_share = v[int(model.never_param[r])] if model.never_param[r] >= 0 else 0.0
            if (state is None and rng.random() < never_share) or will <= 0:
                continue
            wait = 0.0 if will >= 1 else rng.expovariate(-math.log(1 - will))
            if isinstance(state, float):  # latched `state` months before time 0
                month = month_of(max(lag - state, 0.0) + wait)
            else:
                month = month_of(latched[r] + lag + wait)
            if status != "active":
                month = max(month, 1)
            if month <= months:
                decided[r] = month

        for month in range(months + 1):
            k = next(k for k, s, end in visits if s <= month < end)
            counts.occupancy[month][k] += 1
            top = max((r for r, m in decided.items() if m <= month), default=-1)
            counts.level[month][top + 1] += 1
        for k in range(n_ph):
            counts.reached[k][
                0 if k in before else month_of(entered[k]) if k in entered else never
            ] += 1
        binned = {t: month_of(w) for t, w in transferred.items()}
        for t in range(n_tech):
            counts.transfer[t][binned.get(t, never)] += 1
        for x in range(n_tt):
            first = min(
                (m for t, m in binned.items() if model.technology_tier[t] == x), default=never
            )
            counts.tier_transfer[x][first] += 1
        for r in range(n_resp):
            counts.decided[r][decided.get(r, never)] += 1
    return counts


def _start_states(
    model: Model, phase: int, transferred: dict[int, float], rng: random.Random, v: list[float]
) -> dict[int, str | float | None]:
    """Per response tier at an as-of start: "decided", "never", the months since its trigger latched
    (a float), "free" (not latched: no never flip), or None (no as-of state: as from the pack's date)."""
    out: dict[int, str | float | None] = {}
    for r in range(len(model.responses)):
        ts = model.start_tiers[r] if model.start_tiers is not None else None
        if ts is not None:
            row = phase * 2 ** len(ts.atoms) + sum(
                1 << j for j, atom in enumerate(ts.atoms) if any(t in transferred for t in atom)
            )
            out[r] = _tier_state(model, r, row, rng, v)
        elif model.start_decided is not None and model.start_decided[r] > 0:
            out[r] = "decided" if rng.random() < float(model.start_decided[r]) else None
    return out


def _tier_state(model: Model, r: int, row: int, rng: random.Random, v: list[float]) -> str | float:
    """One path's state of tier r at an as-of start: "never" with the row's never share moved to
    the run's own never value by Bayes' rule on the odds; else decided, latched `elapsed` months ago
    or "free", in proportion to the row's other shares."""
    ts = model.start_tiers[r] if model.start_tiers is not None else None
    assert ts is not None
    base = float(ts.never[row])
    n = v[int(model.never_param[r])] if model.never_param[r] >= 0 else 0.0
    n0 = ts.never_prior
    if n0 is None:
        never = base
    elif 0.0 < n0 < 1.0:
        odds = base * n / n0
        rest = (1.0 - base) * (1.0 - n) / (1.0 - n0)
        never = odds / (odds + rest) if odds + rest > 0 else n
    else:
        never = n
    if rng.random() < never:
        return "never"
    if base >= 1.0:
        return "free"
    x, acc = rng.random() * (1.0 - base), 0.0
    for j, share in enumerate([float(ts.decided[row]), *map(float, ts.latched[row])]):
        acc += share
        if x < acc:
            return "decided" if j == 0 else float(ts.elapsed[j - 1])
    return "free"


def _holds(model: Model, r: int, phase: int, reached: set[int], transferred: set[int]) -> bool:
    trigger = model.triggers[r]
    if trigger is None:
        return False
    results = []
    for c in trigger.conditions:
        if c.kind == "always":
            results.append(True)
        elif c.kind == "phase_at_least":
            high = bool(model.escalation[phase] >= model.escalation[c.target])
            here = c.location is None or model.location[phase] == c.location
            results.append(high and here)
        elif c.kind == "reached":
            results.append(c.target in reached)
        elif c.kind == "tier_transferred":
            results.append(any(model.technology_tier[t] == c.target for t in transferred))
        elif c.kind == "transferred":
            results.append(c.target in transferred)
    return all(results) if trigger.combinator == "all" else any(results)
