"""The compiled `Model`: everything the engine needs, as small immutable arrays indexed by position.

Phases (with their location and the start state at time 0), transitions (monthly rates of a
continuous-time chain), technologies with their tiers, weights within a tier and up-front payment,
the response ladder with its structured triggers (`Condition`, `Trigger`) and never-decide fractions,
and the resolved `ParameterTable` (`toolkit.engine.parameters`). A model is made by
`toolkit.engine.compile.compile_model`; `Model.with_overrides` and `Model.with_start` return new ones.
"""

from __future__ import annotations

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

    def with_overrides(self, overrides: Mapping[str, object], origin: str = "override") -> Model:
        """A new model with validated overrides applied (see `ParameterTable.with_overrides`)."""
        if not overrides:
            return self
        return replace(self, parameters=self.parameters.with_overrides(overrides, origin))

    def with_start(self, start: Mapping[str, float] | None) -> Model:
        """A new model whose paths start in `start` ({phase: share}, shares summing to 1) at time 0."""
        if not start:
            return self
        shares = np.zeros(len(self.phases))
        for phase, share in start.items():
            if phase not in self.phases:
                raise ParameterError(
                    f"start: unknown phase {phase!r} (phases: {', '.join(self.phases)})"
                )
            if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
                raise ParameterError(f"start: share of {phase!r} must be in [0, 1], got {share!r}")
            shares[self.phases.index(phase)] = float(share)
        if abs(shares.sum() - 1.0) > 1e-6:
            raise ParameterError(f"start: shares must sum to 1, got {shares.sum():.6g}")
        return replace(self, start=frozen(shares / shares.sum()))

    def start_state(self) -> dict[str, float]:
        """The start state as {phase: share}, phases with a share only."""
        return {p: float(s) for p, s in zip(self.phases, self.start, strict=True) if s > 0}

    @property
    def needs_visits(self) -> bool:
        return any(t is not None and t.needs_visits for t in self.triggers)

    def out_degree(self) -> int:
        counts = np.bincount(self.trans_from, minlength=len(self.phases))
        return int(counts.max()) if counts.size else 0


def feasible_range(model: Model, name: str) -> tuple[float, float]:
    """The valid range of parameter `name` (transition rates need no joint constraint)."""
    params = model.parameters
    i = params.index(name)
    return float(params.minimum[i]), float(params.maximum[i])
