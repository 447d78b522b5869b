"""The forward filter: the posterior over phases, transfers and decisions, day by day.

A hidden Markov model on the continuous-time deployment chain (`toolkit.track.chain`). From the start
state at day 0 the state vector moves by expm(G * interval) to each grid day (every `step_days` days)
and each observation's day; there it is multiplied by the observation's likelihood and normalised.

An observation with trust w (its Admiralty grades) mixes the report's likelihood with an
uninformative 1:

- an indicator seen: w * p_seen[phase] + (1 - w); reported absent: w * (1 - p_seen[phase]) + (1 - w);
- a technology transferred / a tier decided (`present`): w + (1 - w) = 1 where it is done, 1 - w where
  it is not; reported not done (`present: false`): 1 - w where it is done, 1 where it is not. Taken at
  face value (w = 1) such a report settles the question; it never moves it the other way.

Which observations a quantity sees: the phases see the indicators; a technology sees the indicators
and the reports about itself; a response tier sees the indicators and the reports about itself. So a
report that a technology was transferred moves that technology only (not the phases, not the tiers
whose triggers read it): each quantity is computed jointly with the phase on its own small chain,
which keeps every computation exact for its chain and small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from toolkit.engine.model import Model, TierStart
from toolkit.errors import ToolkitError
from toolkit.track.chain import Chain, Flag, FloatArray, PhaseTarget, TierTarget, check_rates

Target = PhaseTarget | TierTarget


@dataclass(frozen=True)
class Evidence:
    """One observation as the filter uses it."""

    id: str
    day: int  # days after the start date at which it is applied
    kind: str  # indicator, transferred, decided
    target: str
    present: bool
    trust: float
    p_seen: FloatArray | None = field(default=None, compare=False)  # (phases,), for an indicator

    def phase_likelihood(self) -> FloatArray | None:
        if self.p_seen is None:
            return None
        p = self.p_seen if self.present else 1 - self.p_seen
        return np.asarray(self.trust * p + (1 - self.trust))

    def yes_no(self) -> tuple[float, float] | None:
        """Likelihood where the technology is transferred / the tier decided, and where not."""
        if self.kind == "indicator":
            return None
        return (1.0, 1 - self.trust) if self.present else (1 - self.trust, 1.0)


@dataclass(frozen=True)
class Forward:
    """A forward pass: the grid days, the phase posterior on each, and the final quantities."""

    days: tuple[int, ...]
    phase_history: FloatArray  # (days, phases)
    phases: FloatArray  # (phases,) on the last day
    transferred: dict[str, float]
    transferred_by_phase: dict[str, FloatArray]  # P(transferred | phase) on the last day
    decided: dict[str, float]
    tiers: dict[str, TierStart]  # each tier's state by phase on the last day (an engine start)
    shift: dict[str, float]  # observation id -> how much its update moved its quantity, then
    influence: dict[str, float]  # observation id -> how much the last day's estimate owes to it


def grid(last: int, evidence: Sequence[Evidence], step_days: int) -> list[int]:
    """Day 0, every `step_days` days, each observation's day and the last day."""
    if step_days < 1:
        raise ToolkitError(f"step_days must be a whole number of days >= 1, got {step_days}")
    days = set(range(0, last + 1, step_days)) | {last} | {e.day for e in evidence}
    return sorted(d for d in days if 0 <= d <= last)


def run(
    target: Target,
    days: Sequence[int],
    evidence: Sequence[Evidence],
    history: bool = False,
    measure: Callable[[Target, FloatArray], FloatArray] | None = None,
) -> tuple[FloatArray, list[FloatArray], dict[str, float]]:
    """One target's forward pass over `days`: the last state, the phase posterior on each day (when
    `history`), and each observation's shift of the target's own quantity."""
    measure = measure or _measure
    by_day: dict[int, list[Evidence]] = {}
    for e in evidence:
        by_day.setdefault(e.day, []).append(e)
    x = target.initial()
    now = 0
    hist: list[FloatArray] = []
    shifts: dict[str, float] = {}
    for d in days:
        if d > now:
            x = target.advance(x, d - now)
            x = x / x.sum()
            now = d
        for e in by_day.get(d, ()):
            before = measure(target, x)
            x = target.weigh(x, e.phase_likelihood(), e.yes_no())
            total = float(x.sum())
            if not total > 0:
                raise ToolkitError(
                    f"observation {e.id!r} is impossible under the model (every state has "
                    "likelihood 0): check its indicator's diagnostic or its grades"
                )
            x = x / total
            shifts[e.id] = distance(before, measure(target, x))
        if history:
            hist.append(target.phases(x))
    return x, hist, shifts


def _measure(target: Target, x: FloatArray) -> FloatArray:
    if isinstance(target, PhaseTarget) and target.flag is None:
        return target.phases(x)
    return np.array([target.value(x)])


def distance(a: FloatArray, b: FloatArray) -> float:
    """Total-variation distance of two distributions (for one probability: |a - b|)."""
    if a.size == 1:
        return float(abs(a[0] - b[0]))
    return float(0.5 * np.abs(a - b).sum())


class Filter:
    """The targets of one model: phases, each technology, each response tier."""

    def __init__(self, model: Model) -> None:
        check_rates(model)
        self.model = model
        self.phase = PhaseTarget(Chain(model))
        self.techs = {
            t: PhaseTarget(Chain(model, [Flag("transfer", techs=(i,))]), flag=0)
            for i, t in enumerate(model.technologies)
        }
        self.tiers = {r: TierTarget(model, i) for i, r in enumerate(model.responses)}

    def forward(
        self, last: int, evidence: Sequence[Evidence], step_days: int = 1, influence: bool = True
    ) -> Forward:
        """The filter from day 0 to day `last` with `evidence` (all of it is used: filter by
        reported date before)."""
        evidence = sorted(evidence, key=_order)
        days = grid(last, evidence, step_days)
        indicators = [e for e in evidence if e.kind == "indicator"]
        x, hist, shifts = run(self.phase, days, indicators, history=True)
        phases = self.phase.phases(x)
        transferred: dict[str, float] = {}
        by_phase: dict[str, FloatArray] = {}
        decided: dict[str, float] = {}
        tiers: dict[str, TierStart] = {}
        own: dict[tuple[str, str], list[Evidence]] = {}
        for e in evidence:
            if e.kind != "indicator":
                own.setdefault((e.kind, e.target), []).append(e)
        for name, tgt in self.techs.items():
            ev = sorted([*indicators, *own.get(("transferred", name), [])], key=_order)
            xt, _, s = run(tgt, days, ev)
            transferred[name] = tgt.value(xt)
            by_phase[name] = tgt.by_phase(xt)
            shifts.update({k: v for k, v in s.items() if k not in shifts})
        for name, tier in self.tiers.items():
            ev = sorted([*indicators, *own.get(("decided", name), [])], key=_order)
            xr, _, s = run(tier, days, ev)
            decided[name] = tier.value(xr)
            begin = tier.start(xr)
            if begin is not None:
                tiers[name] = begin
            shifts.update({k: v for k, v in s.items() if k not in shifts})
        infl: dict[str, float] = {}
        if influence:
            infl = self._influence(days, evidence, indicators, own, phases, transferred, decided)
        return Forward(
            days=tuple(days),
            phase_history=np.asarray(hist),
            phases=phases,
            transferred=transferred,
            transferred_by_phase=by_phase,
            decided=decided,
            tiers=tiers,
            shift=shifts,
            influence=infl,
        )

    def _influence(
        self,
        days: Sequence[int],
        evidence: Sequence[Evidence],
        indicators: Sequence[Evidence],
        own: Mapping[tuple[str, str], Sequence[Evidence]],
        phases: FloatArray,
        transferred: Mapping[str, float],
        decided: Mapping[str, float],
    ) -> dict[str, float]:
        """Leave one out: how far the last day's estimate of the observation's quantity (the phases
        for an indicator) moves when the observation is dropped."""
        out: dict[str, float] = {}
        for e in evidence:
            if e.kind == "indicator":
                rest = [o for o in indicators if o.id != e.id]
                x, _, _ = run(self.phase, days, rest)
                out[e.id] = distance(phases, self.phase.phases(x))
                continue
            tgt: Target = self.techs[e.target] if e.kind == "transferred" else self.tiers[e.target]
            rest = sorted(
                [*indicators, *(o for o in own[(e.kind, e.target)] if o.id != e.id)], key=_order
            )
            x, _, _ = run(tgt, days, rest)
            now = transferred[e.target] if e.kind == "transferred" else decided[e.target]
            out[e.id] = abs(now - tgt.value(x))
        return out


def reached_given_phase(
    model: Model, last: int, evidence: Sequence[Evidence], phase: int, step_days: int = 1
) -> FloatArray:
    """On day `last`, from the indicators among `evidence`: for each phase k, P(phase `phase` has
    been reached since day 0, in it or through it | the path is in k now); 0 where no path is. The
    tracker's phase posterior alone cannot say this: a path in combat in Ukraine may or may not have
    fought on Russian soil first. Only the chain of that one flag is built."""
    target = PhaseTarget(Chain(model, [Flag("reached", phase=phase)]), flag=0)
    indicators = sorted((e for e in evidence if e.kind == "indicator"), key=_order)
    x, _, _ = run(target, grid(last, indicators, step_days), indicators)
    chain = target.chain
    done = chain.flag_set(0)
    yes = np.bincount(chain.phase_of[done], weights=x[done], minlength=chain.k)
    every = np.bincount(chain.phase_of, weights=x, minlength=chain.k)
    share = np.divide(yes, every, out=np.zeros(chain.k), where=every > 0)
    return np.asarray(np.clip(share, 0.0, 1.0), dtype=np.float64)


def _order(e: Evidence) -> tuple[int, str]:
    return (e.day, e.id)


def posterior_after(
    phases: FloatArray, p_seen: FloatArray, trust: float, present: bool = True
) -> FloatArray:
    """The phase posterior after one more indicator report on the same day (for what to watch)."""
    p = p_seen if present else 1 - p_seen
    post = phases * (trust * p + (1 - trust))
    total = post.sum()
    return post / total if total > 0 else phases


def expected_seen(phases: FloatArray, p_seen: FloatArray) -> float:
    """The chance the indicator is reported seen now, given the posterior."""
    return float(np.dot(phases, p_seen)) if not math.isnan(float(phases.sum())) else math.nan
