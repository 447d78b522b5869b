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
    # technology, replacing the up-front payments (which belong to the pack's own time 0), and
    # P(decided at time 0) per response tier. None: the pack's time 0.
    start_transferred: FloatArray | None = None
    start_decided: FloatArray | None = None

    def with_overrides(self, overrides: Mapping[str, object], origin: str = "override") -> Model:
        """A new model with validated overrides applied (see `ParameterTable.with_overrides`)."""
        if not overrides:
            return self
        return replace(self, parameters=self.parameters.with_overrides(overrides, origin))

    def with_start(
        self,
        start: Mapping[str, float] | None,
        transferred: Mapping[str, float] | None = None,
        decided: Mapping[str, float] | None = None,
    ) -> Model:
        """A new model whose paths start in `start` ({phase: share}, shares summing to 1) at time 0;
        with `transferred` ({technology: p}) each technology is already transferred at time 0 with
        that probability instead of its up-front payment, and with `decided` ({response tier: p})
        each tier is already decided at time 0 with that probability (an as-of start). Each is
        drawn on its own per path: correlations between them and with the phase are not kept."""
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
            p = _shares("transferred", "technology", self.technologies, transferred)
            model = replace(model, start_transferred=p)
        if decided is not None:
            p = _shares("decided", "response tier", self.responses, decided)
            for r in np.flatnonzero(p > 0):
                if self.status[r] == "ruled_out":
                    raise ParameterError(f"decided: tier {self.responses[r]!r} is ruled out")
            model = replace(model, start_decided=p)
        return model

    def already(self) -> dict[str, dict[str, float]]:
        """An as-of start's shares already transferred and decided at time 0 (non-zero ones), by
        kind; {} for a start at the pack's own time 0."""
        out: dict[str, dict[str, float]] = {}
        for key, ids, p in (
            ("transferred", self.technologies, self.start_transferred),
            ("decided", self.responses, self.start_decided),
        ):
            if p is not None:
                out[key] = {i: float(x) for i, x in zip(ids, p, strict=True) if x > 0}
        return out

    def paid_at_start(self) -> NDArray[np.bool_]:
        """Per technology: whether a path may have it transferred at time 0 (an up-front payment,
        or a share already transferred at an as-of start)."""
        if self.start_transferred is not None:
            return np.asarray(self.start_transferred) > 0
        return np.asarray(self.upfront_param) >= 0

    def decided_at_start(self) -> NDArray[np.bool_]:
        """Per response tier: whether a path may have it decided at time 0 (an as-of start)."""
        if self.start_decided is None:
            return np.zeros(len(self.responses), dtype=bool)
        return np.asarray(self.start_decided) > 0

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
