"""The compiled `Model`: everything the engine needs, as small immutable arrays indexed by position.

Phases (with their location and the start state at time 0), transitions (monthly rates of a
continuous-time chain), technologies with their tiers, weights within a tier and up-front payment,
the response ladder with its structured triggers (`Condition`, `Trigger`) and never-decide fractions,
and the resolved `ParameterTable` (`toolkit.engine.parameters`). A model is made by
`toolkit.engine.compile.compile_model`; `Model.with_overrides` and `Model.with_start` return new ones.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from toolkit.engine.parameters import ParameterTable, frozen
from toolkit.errors import ParameterError

CONDITION_KINDS: Final = ("always", "phase_at_least", "reached", "tier_transferred", "transferred")
STATUSES: Final = ("active", "considered", "ruled_out")

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Condition:
    """One trigger condition; `target` indexes phases, tech tiers or technologies (-1: none);
    `location` (with phase_at_least) restricts the phases to those at that location."""

    kind: str
    target: int
    location: str | None = None


@dataclass(frozen=True)
class Trigger:
    """Conditions combined with `all` or `any`. `open_phase_sets` marks phase_at_least conditions
    whose phase set can be left again (their first time alone does not decide an `all`)."""

    combinator: str
    conditions: tuple[Condition, ...]
    leavable: tuple[bool, ...]

    @property
    def needs_visits(self) -> bool:
        return self.combinator == "all" and len(self.conditions) > 1 and any(self.leavable)


@dataclass(frozen=True, eq=False)
class TierStart:
    """A response tier's state at an as-of start, given what a path starts with: its phase, and which
    of the `atoms` (groups of technologies its trigger reads) have a technology transferred at time 0.
    Row `phase * 2**len(atoms) + bits` (bits: the sum of 1 << j over the atoms j with a transfer)
    holds the shares decided, never to be decided, and latched some months ago, not yet decided;
    they sum to at most 1, and the rest has not latched: the trigger then latches on the path as it
    does from the pack's date, and the tier is decided after it as usual.

    The tracker knows more than "decided or not" on a later date: a trigger may have latched before
    it, and its lag may be running or over. Without this, such a path started its lag afresh at month
    0, which put the tracker's own "decided by" forecasts below the engine's from the pack's date. The
    rows are conditional on the atoms because the engine draws the technologies transferred at time 0
    on their own: a path given a transfer that the trigger reads has its trigger latched already.
    """

    decided: FloatArray  # (rows,): decided by time 0
    never: FloatArray  # (rows,): one of the paths on which the tier is never decided
    latched: FloatArray  # (rows, m): latched, not decided, `elapsed[j]` months ago
    elapsed: FloatArray  # (m,): months since the trigger latched (inf: the lag is over)
    atoms: tuple[tuple[int, ...], ...] = ()  # technology indices of each atom
    # the never-decide share these shares were computed with (the tracker's point value); a run with
    # another never share (an override, a slider, a band) moves them by Bayes' rule
    # (`never_given`); None: take `never` as it is
    never_prior: float | None = None

    def never_given(self, rows: NDArray[np.intp], share: FloatArray | float) -> FloatArray:
        """The never-decide share of each path's row (`rows`) under the run's own never share
        (`share`, a number or one per path). The shares were computed with `never_prior` n0; a path
        is "never" or not from time 0 on, and what was observed since does not depend on that
        share, so the posterior odds move with the prior odds: N' / (1 - N') = N / (1 - N) x
        [n / (1 - n)] / [n0 / (1 - n0)]. With n0 of 0 or 1 the shares hold no such ratio, and the
        run's share is taken as it is (exact when the tier itself was never observed)."""
        base = np.asarray(self.never, dtype=np.float64)[rows]
        n0 = self.never_prior
        if n0 is None:
            return base
        n = np.broadcast_to(np.asarray(share, dtype=np.float64), base.shape)
        if not 0.0 < n0 < 1.0:
            return np.array(n, dtype=np.float64)
        num = base * (n / n0)
        den = num + (1.0 - base) * ((1.0 - n) / (1.0 - n0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.where(den > 0, num / np.where(den > 0, den, 1.0), n))

    def row_weights(self, model: Model) -> FloatArray:
        """(rows,): the share of paths that start in each row under `model`'s start state and its
        chances of a transfer at time 0 given the phase (drawn independently per technology, as
        the engine does)."""
        n_ph = len(model.phases)
        if model.start_transferred is not None:
            paid = np.asarray(model.start_transferred, dtype=np.float64)  # (technologies, phases)
        else:
            means = [model.parameters.mean(int(i)) if i >= 0 else 0.0 for i in model.upfront_param]
            paid = np.repeat(np.array(means, dtype=np.float64)[:, None], n_ph, axis=1)
        weights = np.asarray(model.start, dtype=np.float64)[:, None]  # (phases, bit patterns)
        for atom in reversed(self.atoms):  # row = phase * 2**len(atoms) + sum of bit j << j
            hit = 1.0 - np.prod(1.0 - paid[list(atom)], axis=0)  # (phases,)
            pair = np.stack([1.0 - hit, hit], axis=1)  # (phases, 2)
            weights = (weights[:, :, None] * pair[:, None, :]).reshape(n_ph, -1)
        return np.asarray(weights.reshape(-1))

    def check(self, tier: str, phases: int, technologies: int) -> TierStart:
        """A copy as frozen float arrays; ParameterError (naming the tier) unless the shapes fit
        `phases` phases and the atoms, every atom names technologies among `technologies`, every share
        is in [0, 1], each row sums to at most 1 and every elapsed time is >= 0."""
        atoms = tuple(tuple(int(t) for t in atom) for atom in self.atoms)
        if any(not atom or not all(0 <= t < technologies for t in atom) for atom in atoms):
            raise ParameterError(f"start tiers: {tier!r} atoms must name known technologies")
        rows = phases * 2 ** len(atoms)
        decided, never = (np.array(x, dtype=np.float64) for x in (self.decided, self.never))
        latched = np.array(self.latched, dtype=np.float64)
        elapsed = np.array(self.elapsed, dtype=np.float64)
        if latched.size == 0 and elapsed.size == 0:
            latched = latched.reshape(rows, 0)
        shapes_ok = (
            decided.shape == (rows,)
            and never.shape == (rows,)
            and latched.ndim == 2
            and latched.shape[0] == rows
            and elapsed.shape == (latched.shape[1],)
        )
        if not shapes_ok:
            raise ParameterError(
                f"start tiers: {tier!r} needs {rows} rows (phases x 2**atoms) and one elapsed time "
                "per latched column"
            )
        shares = np.column_stack([decided, never, latched])
        if not np.isfinite(shares).all() or (shares < 0).any() or (shares > 1).any():
            raise ParameterError(f"start tiers: {tier!r} shares must be in [0, 1]")
        if (shares.sum(axis=1) > 1 + 1e-9).any():
            raise ParameterError(f"start tiers: {tier!r} shares of a row must sum to at most 1")
        if np.isnan(elapsed).any() or (elapsed < 0).any():
            raise ParameterError(f"start tiers: {tier!r} elapsed months must be >= 0")
        prior = self.never_prior
        if prior is not None and not (isinstance(prior, numbers.Real) and 0.0 <= prior <= 1.0):
            raise ParameterError(f"start tiers: {tier!r} never_prior must be in [0, 1]")
        return TierStart(
            frozen(decided), frozen(never), frozen(latched), frozen(elapsed), atoms,
            None if prior is None else float(prior),
        )  # fmt: skip


@dataclass(frozen=True)
class Model:
    """Everything the engine needs, as small immutable arrays indexed by position."""

    scenario: str
    phases: tuple[str, ...]
    escalation: IntArray
    location: tuple[str | None, ...]  # entity id per phase (None: not stated)
    start: FloatArray  # share of paths in each phase at time 0 (sums to 1)
    intensity_param: IntArray  # parameter index per phase
    trans_from: IntArray
    trans_to: IntArray
    trans_param: IntArray
    technologies: tuple[str, ...]
    technology_tier: IntArray
    tech_weight: FloatArray  # share of the tier's hazard, relative within the tier
    upfront_param: IntArray  # parameter index per technology: P(transferred at time 0); -1 none
    tech_tiers: tuple[str, ...]
    transfer_param: IntArray  # parameter index per tech tier
    troops_param: int
    reference_param: int
    horizon_param: int
    responses: tuple[str, ...]
    status: tuple[str, ...]
    lag_param: IntArray  # -1: no lag
    will_param: IntArray  # -1: will 1
    never_param: IntArray  # parameter index per response tier: P(never decided); -1 none
    triggers: tuple[Trigger | None, ...]
    parameters: ParameterTable
    content_hash: str | None = None
    # An as-of start (`with_start(..., transferred=, decided=)`): P(transferred at time 0) per
    # technology and start phase (technologies, phases), replacing the up-front payments (which
    # belong to the pack's own time 0), and P(decided at time 0) per response tier. None: the pack's
    # time 0.
    start_transferred: FloatArray | None = None
    start_decided: FloatArray | None = None
    # ... and, per response tier, its state by start phase (`TierStart`; None: decided or not, as
    # `start_decided` gives it, independently of the phase)
    start_tiers: tuple[TierStart | None, ...] | None = None
    # ... and P(phase reached before time 0 | start phase), (phases, start phases): a phase the path
    # went through between the pack's date and the as-of date counts as reached at time 0 (a path
    # has always reached its start phase). None: only the start phase is reached at time 0.
    start_reached: FloatArray | None = None

    def with_overrides(self, overrides: Mapping[str, object], origin: str = "override") -> Model:
        """A new model with validated overrides applied (see `ParameterTable.with_overrides`)."""
        if not overrides:
            return self
        return replace(self, parameters=self.parameters.with_overrides(overrides, origin))

    def with_start(
        self,
        start: Mapping[str, float] | None,
        transferred: Mapping[str, float | Mapping[str, float]] | None = None,
        decided: Mapping[str, float] | None = None,
        tiers: Mapping[str, TierStart] | None = None,
        reached: Mapping[str, float | Mapping[str, float]] | None = None,
    ) -> Model:
        """A new model whose paths start in `start` ({phase: share}, shares summing to 1) at time 0;
        with `transferred` ({technology: p}) each technology is already transferred at time 0 with
        that probability instead of its up-front payment, and with `decided` ({response tier: p})
        each tier is already decided at time 0 with that probability (an as-of start). Each is
        drawn on its own per path: correlations between them and with the phase are not kept, except
        that a technology's p may be given by start phase ({technology: {phase: p}}; a phase left
        out: 0).

        `tiers` ({response tier: TierStart}) gives a tier's state by start phase instead: decided,
        never to be decided, its trigger latched some months ago (the lag counts from then), or not
        yet latched. Its share decided (over the start state) replaces `decided`'s for that tier.

        `reached` ({phase: p}, or {phase: {start phase: p}}) says which phases a path has been through
        before time 0 (an as-of start: between the pack's date and then): they count as reached at
        time 0 in the run's "reached" outputs (not in its triggers: `tiers` holds what they latched).
        A path has always reached its start phase."""
        model = self
        if start:
            shares = np.zeros(len(self.phases))
            for phase, share in start.items():
                if phase not in self.phases:
                    raise ParameterError(
                        f"start: unknown phase {phase!r} (phases: {', '.join(self.phases)})"
                    )
                shares[self.phases.index(phase)] = _share("start", phase, share)
            if abs(shares.sum() - 1.0) > 1e-6:
                raise ParameterError(f"start: shares must sum to 1, got {shares.sum():.6g}")
            model = replace(model, start=frozen(shares / shares.sum()))
        if transferred is not None:
            model = replace(model, start_transferred=self._by_phase(transferred))
        if decided is not None:
            p = _shares("decided", "response tier", self.responses, decided)
            for r in np.flatnonzero(p > 0):
                if self.status[r] == "ruled_out":
                    raise ParameterError(f"decided: tier {self.responses[r]!r} is ruled out")
            model = replace(model, start_decided=p)
        if tiers:
            model = model._with_tiers(tiers)
        if reached is not None:
            table = self._by_start_phase("reached", "phase", self.phases, reached)
            np.fill_diagonal(table, 1.0)
            model = replace(model, start_reached=frozen(table))
        return model

    def _with_tiers(self, tiers: Mapping[str, TierStart]) -> Model:
        table: list[TierStart | None] = [None] * len(self.responses)
        for tier, given in tiers.items():
            if tier not in self.responses:
                raise ParameterError(
                    f"start tiers: unknown response tier {tier!r} (known: {', '.join(self.responses)})"
                )
            r = self.responses.index(tier)
            if self.status[r] == "ruled_out" or self.triggers[r] is None:
                raise ParameterError(f"start tiers: tier {tier!r} is never decided")
            table[r] = given.check(tier, len(self.phases), len(self.technologies))
        decided = (
            np.zeros(len(self.responses))
            if self.start_decided is None
            else np.array(self.start_decided, dtype=np.float64)
        )
        for r, ts in enumerate(table):
            if ts is not None:
                decided[r] = min(float(np.dot(ts.row_weights(self), ts.decided)), 1.0)
        return replace(self, start_decided=frozen(decided), start_tiers=tuple(table))

    def _by_phase(self, given: Mapping[str, float | Mapping[str, float]]) -> FloatArray:
        """(technologies, phases): P(transferred at time 0) by start phase."""
        return frozen(self._by_start_phase("transferred", "technology", self.technologies, given))

    def _by_start_phase(
        self,
        what: str,
        kind: str,
        ids: tuple[str, ...],
        given: Mapping[str, float | Mapping[str, float]],
    ) -> FloatArray:
        """(ids, phases): a probability per item of `ids` and start phase, from {id: p} or
        {id: {phase: p}} (a phase left out: 0)."""
        out = np.zeros((len(ids), len(self.phases)))
        for name, value in given.items():
            if name not in ids:
                raise ParameterError(f"{what}: unknown {kind} {name!r} (known: {', '.join(ids)})")
            i = ids.index(name)
            if isinstance(value, Mapping):
                out[i] = _shares(f"{what}[{name!r}]", "phase", self.phases, value)
            else:
                out[i] = _share(what, name, value)
        return out

    def transferred_at_start(self) -> FloatArray | None:
        """An as-of start's P(transferred at time 0) per technology over the start state; None at the
        pack's own time 0."""
        if self.start_transferred is None:
            return None
        return _mix(self.start_transferred, self.start)

    def reached_at_start(self) -> FloatArray | None:
        """An as-of start's P(reached by time 0) per phase over the start state (the start phase
        itself, or a phase gone through before); None without `start_reached`."""
        if self.start_reached is None:
            return None
        return _mix(self.start_reached, self.start)

    def already(self) -> dict[str, dict[str, float]]:
        """An as-of start's shares already transferred, decided and reached (the start phase, or a
        phase gone through before) at time 0 (non-zero ones), by kind; {} for a start at the pack's
        own time 0."""
        out: dict[str, dict[str, float]] = {}
        for key, ids, p in (
            ("transferred", self.technologies, self.transferred_at_start()),
            ("decided", self.responses, self.start_decided),
            ("reached", self.phases, self.reached_at_start()),
        ):
            if p is not None:
                out[key] = {i: float(x) for i, x in zip(ids, p, strict=True) if x > 0}
        return out

    def paid_at_start(self) -> NDArray[np.bool_]:
        """Per technology: whether a path may have it transferred at time 0 (an up-front payment,
        or a share already transferred at an as-of start)."""
        if self.start_transferred is not None:
            return np.asarray((np.asarray(self.start_transferred) > 0).any(axis=1))
        return np.asarray(self.upfront_param) >= 0

    def decided_at_start(self) -> NDArray[np.bool_]:
        """Per response tier: whether its as-of start state is drawn per path (decided at time 0 with
        some probability, or a `TierStart`)."""
        out = np.zeros(len(self.responses), dtype=bool)
        if self.start_decided is not None:
            out |= np.asarray(self.start_decided) > 0
        if self.start_tiers is not None:
            out |= np.array([ts is not None for ts in self.start_tiers], dtype=bool)
        return out

    def start_state(self) -> dict[str, float]:
        """The start state as {phase: share}, phases with a share only."""
        return {p: float(s) for p, s in zip(self.phases, self.start, strict=True) if s > 0}

    @property
    def needs_visits(self) -> bool:
        return any(t is not None and t.needs_visits for t in self.triggers)

    def out_degree(self) -> int:
        counts = np.bincount(self.trans_from, minlength=len(self.phases))
        return int(counts.max()) if counts.size else 0


def _share(what: str, name: str, value: object) -> float:
    """A share in [0, 1]: any real number (numpy's too), not a boolean."""
    share = (
        float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else None
    )
    if share is None or not 0 <= share <= 1:
        raise ParameterError(f"{what}: share of {name!r} must be in [0, 1], got {value!r}")
    return share


def _shares(what: str, kind: str, ids: tuple[str, ...], given: Mapping[str, float]) -> FloatArray:
    out = np.zeros(len(ids))
    for name, value in given.items():
        if name not in ids:
            raise ParameterError(f"{what}: unknown {kind} {name!r} (known: {', '.join(ids)})")
        out[ids.index(name)] = _share(what, name, value)
    return frozen(out)


def feasible_range(model: Model, name: str) -> tuple[float, float]:
    """The valid range of parameter `name` (transition rates need no joint constraint)."""
    params = model.parameters
    i = params.index(name)
    return float(params.minimum[i]), float(params.maximum[i])


def _mix(table: FloatArray, start: FloatArray) -> FloatArray:
    """An (items, phases) table of probabilities averaged over the start state's shares: each a
    probability again (a sum of shares adding to 1 in floating point can pass it: an as-of report's
    footer read "adaptation_training=1.0000000000000002"; found in a bug hunt)."""
    return np.clip(table @ np.asarray(start, dtype=np.float64), 0.0, 1.0)
