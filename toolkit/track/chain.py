"""The tracker's hidden state: the deployment chain, augmented with what each target needs to know.

The engine's deployment ladder is a continuous-time Markov chain with monthly rates. For the tracker
each quantity it reports is computed jointly with the phase, on a small augmented chain:

- the phases alone (`PhaseTarget` with no flag);
- a technology: (phase, transferred?) with the engine's hazard in each phase and its up-front payment
  at time 0 (`PhaseTarget` with one flag);
- a response tier: (phase, the flags its trigger reads, stage) where the stage is unlatched, the
  days since the trigger latched (the lag, counted down in days), decidable, decided, or "never" (the
  tier's never-decide share) (`TierTarget`).

A flag is a latching bit: `reached` a phase, or an atom of technologies transferred (the technologies a
trigger names, split into groups that every condition either holds whole or not at all; an atom's
hazard is the sum of its technologies', its up-front chance 1 - prod(1 - u)). Between observations a
state vector moves by expm(G * months) of the chain's generator G (scipy.linalg.expm, cached per
interval length; scipy is imported at the first step, so a tracker that never steps, as of the
article's date with an empty log, costs a report kernel no scipy import, ~0.15 s); the trigger
latches the moment the chain enters a state where it holds, as the engine's triggers see every visit. Lags and decisions run on the interval grid (a day by default): a
trigger that latched within an interval starts its lag at the interval's end, a tier that becomes
decidable within one is decided from the next. Parameters are the scenario's point values (bands are
not sampled).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from toolkit.engine.ladder import phase_rows
from toolkit.engine.model import Condition, Model, TierStart
from toolkit.engine.validate import DAYS_PER_MONTH  # the engine's month, in calendar days
from toolkit.errors import ParameterError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


# -- the model's numbers at their point values ---------------------------------------------------
def value(model: Model, index: int, default: float = 0.0) -> float:
    """The point value of parameter `index` (`default` for -1, no parameter)."""
    return float(model.parameters.value[index]) if index >= 0 else default


def rate_matrix(model: Model) -> FloatArray:
    """(phases, phases): monthly rate of each move (diagonal zero)."""
    n = len(model.phases)
    rates = np.zeros((n, n))
    for f, t, p in zip(model.trans_from, model.trans_to, model.trans_param, strict=True):
        rates[int(f), int(t)] += value(model, int(p))
    return rates


def transfer_hazards(model: Model) -> FloatArray:
    """(technologies, phases): monthly transfer hazard of each technology in each phase, as the
    engine computes it (intensity x troops / reference x -ln(1 - transfer_X) / horizon x weight
    share)."""
    weights = np.asarray(model.tech_weight, dtype=np.float64)
    tier_weight = np.bincount(
        model.technology_tier, weights=weights, minlength=len(model.tech_tiers)
    )
    scale = value(model, model.troops_param) / value(model, model.reference_param)
    horizon = value(model, model.horizon_param)
    intensity = np.array([value(model, int(i)) for i in model.intensity_param])
    out = np.zeros((len(model.technologies), len(model.phases)))
    for t, x in enumerate(model.technology_tier):
        p = min(value(model, int(model.transfer_param[x])), 1 - 1e-12)
        share = weights[t] / tier_weight[x] if tier_weight[x] > 0 else 0.0
        out[t] = intensity * scale * (-math.log1p(-p) / horizon) * share
    return out


def upfront(model: Model) -> FloatArray:
    """(technologies,): probability that each is transferred at time 0: the mean of its up-front
    parameter's band, as the engine draws it per path (its point value differs from that mean for a
    skewed band, and an as-of start on the pack's own date then missed the engine's month 0)."""
    return np.array([model.parameters.mean(int(i)) if i >= 0 else 0.0 for i in model.upfront_param])


# -- the augmented chain ---------------------------------------------------------------------
@dataclass(frozen=True)
class Flag:
    """A latching bit: `reached` phase `phase`, or technologies `techs` (an atom) transferred."""

    kind: str
    phase: int = -1
    techs: tuple[int, ...] = ()


class Chain:
    """The deployment chain over (phase, flags): state index = phase * 2**len(flags) + bits."""

    def __init__(self, model: Model, flags: Sequence[Flag] = ()) -> None:
        self.model = model
        self.flags = tuple(flags)
        self.k = len(model.phases)
        self.s = 2 ** len(self.flags)
        self.n = self.k * self.s
        rates = rate_matrix(model)
        hazards = transfer_hazards(model)
        paid = upfront(model)
        reached_bits = np.zeros(self.k, dtype=np.int64)  # bits set on entering each phase
        hazard = np.zeros((len(self.flags), self.k))
        paid_up = np.zeros(len(self.flags))
        for j, flag in enumerate(self.flags):
            if flag.kind == "reached":
                reached_bits[flag.phase] |= 1 << j
            else:
                hazard[j] = hazards[list(flag.techs)].sum(axis=0)
                paid_up[j] = 1 - np.prod(1 - paid[list(flag.techs)])
        gen = np.zeros((self.n, self.n))
        for k, bits in itertools.product(range(self.k), range(self.s)):
            i = k * self.s + bits
            for k2 in np.flatnonzero(rates[k]):
                gen[i, int(k2) * self.s + (bits | int(reached_bits[k2]))] += rates[k, k2]
            for j in range(len(self.flags)):
                if not bits >> j & 1 and hazard[j, k] > 0:
                    gen[i, k * self.s + (bits | 1 << j)] += hazard[j, k]
        np.fill_diagonal(gen, 0.0)
        gen -= np.diag(gen.sum(axis=1))
        self.generator = gen
        init = np.zeros(self.n)
        for k in range(self.k):
            share = float(model.start[k])
            if share <= 0:
                continue
            for bits in range(self.s):
                if bits & int(reached_bits[k]) != int(reached_bits[k]):
                    continue
                p = share
                for j, flag in enumerate(self.flags):
                    if flag.kind == "transfer":
                        p *= paid_up[j] if bits >> j & 1 else 1 - paid_up[j]
                    elif (bits >> j & 1) != (reached_bits[k] >> j & 1):
                        p = 0.0
                init[k * self.s + bits] += p
        self.initial = init
        self.phase_of = np.repeat(np.arange(self.k), self.s)
        self.bits_of = np.tile(np.arange(self.s), self.k)
        self._step = cache(self._matrix)

    def _matrix(self, days: int) -> FloatArray:
        from scipy.linalg import expm

        return np.asarray(expm(self.generator * (days / DAYS_PER_MONTH)))

    def step(self, days: int) -> FloatArray:
        """The transition matrix over `days` days (cached)."""
        return self._step(days)

    def by_phase(self, per_phase: FloatArray) -> FloatArray:
        """A per-phase vector spread over the chain's states."""
        return np.asarray(per_phase)[self.phase_of]

    def phases(self, x: FloatArray) -> FloatArray:
        """The phase marginal of a state vector (or of the last axis of an array of them)."""
        return np.asarray(x.reshape(*x.shape[:-1], self.k, self.s).sum(axis=-1))

    def flag_set(self, j: int) -> BoolArray:
        return np.asarray((self.bits_of >> j & 1).astype(bool))


def trigger_flags(model: Model, tier: int) -> tuple[list[Flag], list[Condition]]:
    """The flags tier `tier`'s trigger reads: a reached bit per `reached` phase, and transfer atoms
    covering the technologies its transfer conditions name."""
    trig = model.triggers[tier]
    conds = list(trig.conditions) if trig is not None else []
    flags = [Flag("reached", phase=c.target) for c in conds if c.kind == "reached"]
    sets = [_techs(model, c) for c in conds if c.kind in ("tier_transferred", "transferred")]
    union = sorted(set().union(*sets)) if sets else []
    atoms: dict[tuple[bool, ...], list[int]] = {}
    for t in union:
        atoms.setdefault(tuple(t in s for s in sets), []).append(t)
    flags += [Flag("transfer", techs=tuple(ts)) for ts in atoms.values()]
    return flags, conds


def _techs(model: Model, cond: Condition) -> frozenset[int]:
    if cond.kind == "transferred":
        return frozenset({cond.target})
    return frozenset(int(t) for t in np.flatnonzero(model.technology_tier == cond.target))


def holds(chain: Chain, model: Model, tier: int, conds: Sequence[Condition]) -> BoolArray:
    """(states,): where tier `tier`'s trigger holds."""
    trig = model.triggers[tier]
    if trig is None:
        return np.zeros(chain.n, dtype=bool)
    parts = []
    for cond in conds:
        if cond.kind == "always":
            parts.append(np.ones(chain.n, dtype=bool))
        elif cond.kind == "phase_at_least":
            parts.append(chain.by_phase(phase_rows(model, cond)).astype(bool))
        elif cond.kind == "reached":
            j = next(
                i
                for i, f in enumerate(chain.flags)
                if f.kind == "reached" and f.phase == cond.target
            )
            parts.append(chain.flag_set(j))
        else:
            wanted = _techs(model, cond)
            hit = np.zeros(chain.n, dtype=bool)
            for j, f in enumerate(chain.flags):
                if f.kind == "transfer" and set(f.techs) <= wanted:
                    hit |= chain.flag_set(j)
            parts.append(hit)
    combine = np.logical_or if trig.combinator == "any" else np.logical_and
    return np.asarray(combine.reduce(parts))


# -- targets: what a forward pass carries, and how it moves and updates ---------------------------
class PhaseTarget:
    """The phases, or a technology jointly with the phases (`flag`: its transferred bit)."""

    def __init__(self, chain: Chain, flag: int | None = None) -> None:
        self.chain = chain
        self.flag = flag
        self._set = chain.flag_set(flag) if flag is not None else None

    def initial(self) -> FloatArray:
        return self.chain.initial.copy()

    def advance(self, x: FloatArray, days: int) -> FloatArray:
        return np.asarray(x @ self.chain.step(days))

    def weigh(
        self, x: FloatArray, phase_l: FloatArray | None, yes_no: tuple[float, float] | None
    ) -> FloatArray:
        """`x` times the likelihood of an observation: per phase, or of the flag (yes, no)."""
        if phase_l is not None:
            x = x * self.chain.by_phase(phase_l)
        if yes_no is not None and self._set is not None:
            x = x * np.where(self._set, yes_no[0], yes_no[1])
        return x

    def phases(self, x: FloatArray) -> FloatArray:
        return self.chain.phases(x)

    def value(self, x: FloatArray) -> float:
        """P(transferred) (the flag), or nan for the phase-only target."""
        return float(x[self._set].sum()) if self._set is not None else math.nan

    def by_phase(self, x: FloatArray) -> FloatArray:
        """(phases,): P(the flag | phase); a phase with no weight takes the overall P(flag)."""
        chain = self.chain
        x = np.clip(x, 0.0, None)
        flagged = np.where(self._set, x, 0.0) if self._set is not None else np.zeros_like(x)
        hit, weight = chain.phases(flagged), chain.phases(x)
        total = weight.sum()
        overall = hit.sum() / total if total > 0 else 0.0
        ok = weight > 1e-15
        return np.asarray(np.clip(np.where(ok, hit / np.where(ok, weight, 1.0), overall), 0, 1))


class TierTarget:
    """A response tier jointly with the phases: stages unlatched (0), lag days (1..L), decidable
    (L+1), decided (L+2), never (L+3); each a vector over the chain's states."""

    def __init__(self, model: Model, tier: int) -> None:
        flags, conds = trigger_flags(model, tier)
        self.chain = chain = Chain(model, flags)
        self.model = model
        self.holding = holds(chain, model, tier, conds)
        lag = value(model, int(model.lag_param[tier]))
        will = value(model, int(model.will_param[tier]), 1.0)
        self.never = value(model, int(model.never_param[tier]))
        self.lag_days = max(round(lag * DAYS_PER_MONTH), 0)
        self.hazard = math.inf if will >= 1 else -math.log1p(-will)  # per month
        self.active = model.status[tier] == "active"
        self.decidable = model.status[tier] != "ruled_out" and model.triggers[tier] is not None
        n = chain.n
        gen = chain.generator
        off = gen - np.diag(np.diag(gen))
        out = ~self.holding
        # unlatched mass moves among the states where the trigger does not hold (its exit rate is the
        # whole row's); entering a state where it holds latches (the second block)
        top = np.where(out[:, None] & out[None, :], off, 0.0)
        top[np.diag_indices(n)] = np.where(out, np.diag(gen), 0.0)
        latch = np.where(out[:, None] & self.holding[None, :], off, 0.0)
        full = np.zeros((2 * n, 2 * n))
        full[:n, :n], full[:n, n:], full[n:, n:] = top, latch, gen
        self._latch_gen = full
        self._latch = cache(self._latch_matrix)
        self.L = self.lag_days
        self.D, self.X, self.N = self.L + 1, self.L + 2, self.L + 3

    def _latch_matrix(self, days: int) -> tuple[FloatArray, FloatArray]:
        from scipy.linalg import expm

        m = np.asarray(expm(self._latch_gen * (days / DAYS_PER_MONTH)))
        n = self.chain.n
        return m[:n, :n], m[:n, n:]

    def initial(self) -> FloatArray:
        chain = self.chain
        x = np.zeros((self.L + 4, chain.n))
        init = chain.initial
        if not self.decidable:
            x[0] = init
            return x
        x[self.N] = self.never * init
        rest = (1 - self.never) * init
        x[0] = np.where(self.holding, 0.0, rest)
        latched = np.where(self.holding, rest, 0.0)
        if self.L > 0:
            x[1] = latched
        elif self.active and self.hazard == math.inf:
            x[self.X] = latched  # an active tier with no lag and will 1 is decided at time 0
        else:
            x[self.D] = latched
        return x

    def advance(self, x: FloatArray, days: int) -> FloatArray:
        if not self.decidable:
            return np.asarray(x @ self.chain.step(days))
        p = self.chain.step(days)
        out = np.zeros_like(x)
        decided = (
            1.0 if self.hazard == math.inf else -math.expm1(-self.hazard * days / DAYS_PER_MONTH)
        )
        stay, newly = self._latch(days)
        out[0] = x[0] @ stay
        latched = x[0] @ newly
        moved = x[1:] @ p  # lag days, decidable, decided, never: the phase moves on
        lag, dec, done, never = moved[: self.L], moved[self.L], moved[self.L + 1], moved[self.L + 2]
        out[self.X] = done + decided * dec
        out[self.D] = (1 - decided) * dec
        out[self.N] = never
        if self.L > 0:
            # lag stage 1 + a holds mass latched a days ago; after `days` more, a reaching L is decidable
            shift = min(days, self.L)
            out[self.D] += lag[self.L - shift :].sum(axis=0)
            out[1 + shift : 1 + self.L] = lag[: self.L - shift]
            out[1] += latched  # latched within the interval: its lag starts at the interval's end
        else:
            out[self.D] += latched
        return out

    def weigh(
        self, x: FloatArray, phase_l: FloatArray | None, yes_no: tuple[float, float] | None
    ) -> FloatArray:
        if phase_l is not None:
            x = x * self.chain.by_phase(phase_l)[None, :]
        if yes_no is not None:
            scale = np.full(x.shape[0], yes_no[1])
            scale[self.X] = yes_no[0]
            x = x * scale[:, None]
        return x

    def phases(self, x: FloatArray) -> FloatArray:
        return self.chain.phases(x.sum(axis=0))

    def value(self, x: FloatArray) -> float:
        """P(decided)."""
        return float(x[self.X].sum()) if self.decidable else 0.0

    def start(self, x: FloatArray) -> TierStart | None:
        """The tier's state `x` as an engine start (`TierStart`): by phase and by which of the
        trigger's transfer atoms hold, the shares decided, never to be decided, and latched with the
        lag run so far (lag day s: s - 1 days; decidable: the lag is over); the rest has not latched.
        None for a tier that is never decided. A row the tier's posterior gives no weight takes its
        phase's shares, and a phase with none the tier's overall shares."""
        if not self.decidable:
            return None
        chain = self.chain
        atoms = [j for j, f in enumerate(chain.flags) if f.kind == "transfer"]
        size = 2 ** len(atoms)
        bits = np.zeros(chain.n, dtype=np.int64)
        for i, j in enumerate(atoms):
            bits |= (chain.bits_of >> j & 1) << i
        key = chain.phase_of * size + bits
        rows = chain.k * size
        x = np.clip(x, 0.0, None)
        joint = np.stack(
            [np.bincount(key, weights=xs, minlength=rows) for xs in x], axis=1, dtype=np.float64
        )
        by_phase = joint.reshape(chain.k, size, -1).sum(axis=1)  # (phases, stages)
        total = by_phase.sum()
        overall = by_phase.sum(axis=0) / total if total > 0 else np.eye(x.shape[0])[0]
        phase_cond = _rows(by_phase, overall)
        cond = _rows(joint, np.repeat(phase_cond, size, axis=0))  # (rows, stages)
        return TierStart(
            decided=cond[:, self.X],
            never=cond[:, self.N],
            latched=cond[:, 1 : self.D + 1],  # lag days 1..L, then decidable
            elapsed=np.append(np.arange(self.L) / DAYS_PER_MONTH, math.inf),
            atoms=tuple(chain.flags[j].techs for j in atoms),
            never_prior=self.never,
        )


def _rows(weights: FloatArray, fallback: FloatArray) -> FloatArray:
    """Each row of `weights` normalised to sum to 1; a row with no weight takes `fallback`'s."""
    total = weights.sum(axis=1, keepdims=True)
    ok = total > 1e-15
    return np.asarray(np.where(ok, weights / np.where(ok, total, 1.0), fallback))


def check_rates(model: Model) -> None:
    """ParameterError if a rate is not a finite number (the tracker needs a proper generator)."""
    rates = rate_matrix(model)
    if not np.isfinite(rates).all():
        raise ParameterError("the tracker needs finite transition rates")
