"""The compiled `Model`: everything the engine needs, as small immutable arrays indexed by position.

Phases, transitions, technologies and their tiers, the response ladder and its structured triggers
(`Condition`, `Trigger`), and the resolved `ParameterTable` (`toolkit.engine.parameters`). A model is
made by `toolkit.engine.compile.compile_model`; `Model.with_overrides` returns a new one, after checking
that the transition probabilities out of a phase cannot sum above 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from toolkit.engine.parameters import ParameterTable
from toolkit.errors import ParameterError, format_number

CONDITION_KINDS: Final = ("always", "phase_at_least", "reached", "tier_transferred", "transferred")
STATUSES: Final = ("active", "considered", "ruled_out")

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Condition:
    """One trigger condition; `target` indexes phases, tech tiers or technologies (-1: none)."""

    kind: str
    target: int


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
    intensity_param: IntArray  # parameter index per phase
    trans_from: IntArray
    trans_to: IntArray
    trans_param: IntArray
    technologies: tuple[str, ...]
    technology_tier: IntArray
    tech_tiers: tuple[str, ...]
    transfer_param: IntArray  # parameter index per tech tier
    troops_param: int
    reference_param: int
    horizon_param: int
    responses: tuple[str, ...]
    status: tuple[str, ...]
    lag_param: IntArray  # -1: no lag
    will_param: IntArray  # -1: will 1
    triggers: tuple[Trigger | None, ...]
    parameters: ParameterTable
    content_hash: str | None = None

    def with_overrides(self, overrides: Mapping[str, object], origin: str = "override") -> Model:
        """A new model with validated overrides applied (see `ParameterTable.with_overrides`)."""
        if not overrides:
            return self
        model = replace(self, parameters=self.parameters.with_overrides(overrides, origin))
        check_transitions(model)
        return model

    @property
    def needs_visits(self) -> bool:
        return any(t is not None and t.needs_visits for t in self.triggers)

    def out_degree(self) -> int:
        counts = np.bincount(self.trans_from, minlength=len(self.phases))
        return int(counts.max()) if counts.size else 0


def check_transitions(model: Model) -> None:
    """ParameterError if the transition probabilities out of a phase can sum above 1 on some path."""
    params = model.parameters
    for k, phase in enumerate(model.phases):
        ids = model.trans_param[model.trans_from == k]
        total = sum(params.upper(int(i)) for i in ids)
        if total > 1 + 1e-9:
            parts = " + ".join(
                f"{params.ids[int(i)]} {format_number(params.upper(int(i)))}" for i in ids
            )
            raise ParameterError(
                f"transition probabilities out of phase {phase!r} can sum to "
                f"{format_number(round(total, 6))} > 1 ({parts}); each is in [0, 1] and together "
                "they must not exceed 1"
            )


def feasible_range(model: Model, name: str) -> tuple[float, float]:
    """The valid range of parameter `name`, narrowed so its transitions still sum to at most 1."""
    params = model.parameters
    i = params.index(name)
    lo, hi = float(params.minimum[i]), float(params.maximum[i])
    for k in np.unique(model.trans_from[model.trans_param == i]):
        others = [int(j) for j in model.trans_param[model.trans_from == k] if int(j) != i]
        hi = min(hi, 1.0 - sum(params.upper(j) for j in others))
    return lo, max(lo, hi)
