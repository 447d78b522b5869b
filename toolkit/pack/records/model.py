"""Records of the scenario model: technology tiers, deployment phases and their transitions, the start
state, indicators with their diagnostics, the response ladder with its triggers, parameters and
scenarios."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from toolkit.pack.records.base import (
    CONDITION_KINDS,
    Finite,
    Id,
    Label,
    Plain,
    Record,
    Sourced,
    Text,
    Whole,
)


class TechTier(Sourced):
    id: Id
    label: Label


class Technology(Sourced):
    """A technology; `assumption` is the analyst's rationale: for a weight other than 1, an up-front
    share, or a technology the article does not name (then without `evidence`)."""

    id: Id
    name: Label
    tier: Id
    weight: Finite = Field(default=1.0, gt=0)  # share of the tier's hazard, relative to the others
    upfront: Id | None = None  # parameter: probability it is transferred at time 0

    @model_validator(mode="after")
    def _weight_has_rationale(self) -> Technology:
        if self.weight != 1.0 and self.assumption is None:
            raise ValueError("a weight other than 1 needs an `assumption` saying why")
        return self


class Phase(Sourced):
    id: Id
    label: Label
    escalation: Whole
    compensation_intensity: Id
    description: Plain | None = None
    location: Id | None = None  # entity id of where the phase happens (a state or place)


class StartState(Sourced):
    """Share of paths in `phase` at time 0 (the article's date); the shares sum to 1."""

    phase: Id
    probability: Finite = Field(ge=0, le=1)


class Transition(Record):
    from_: Id = Field(alias="from")
    to: Id
    parameter: Id


class Diagnostic(Record):
    """How diagnostic an indicator is: the probability that it is reported seen, given the phase the
    troops are in when it would be seen. Phases not listed take `seen_otherwise`."""

    seen_given_phase: dict[Id, Annotated[Finite, Field(ge=0, le=1)]] = Field(min_length=1)
    seen_otherwise: Finite | None = Field(default=None, ge=0, le=1)
    assumption: Text  # the rationale: these numbers are the analyst's


class Indicator(Sourced):
    id: Id
    phase: Id
    description: Text
    diagnostic: Diagnostic | None = None  # needed before an observation may name the indicator
    cues: list[Text] = Field(default_factory=list)  # phrases `toolkit ingest` looks for


class Condition(Record):
    always: Literal[True] | None = None
    phase_at_least: Id | None = None
    reached: Id | None = None
    tier_transferred: Id | None = None
    transferred: Id | None = None
    location: Id | None = None  # with phase_at_least: only phases at this location count

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        set_ = [k for k in CONDITION_KINDS if getattr(self, k) is not None]
        if len(set_) != 1:
            raise ValueError(f"a condition has exactly one of {', '.join(CONDITION_KINDS)}")
        if self.location is not None and set_[0] != "phase_at_least":
            raise ValueError("`location` qualifies a phase_at_least condition only")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CONDITION_KINDS if getattr(self, k) is not None)

    @property
    def target(self) -> str | None:
        value = getattr(self, self.kind)
        return None if value is True else str(value)


class Trigger(Record):
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="before")
    @classmethod
    def _single(cls, data: Any) -> Any:
        if isinstance(data, dict) and not ({"all", "any"} & set(data)):
            return {"all": [data]}
        return data

    @model_validator(mode="after")
    def _one_combinator(self) -> Trigger:
        if (self.all is None) == (self.any is None):
            raise ValueError("a trigger is {all: [...]} or {any: [...]} or a single condition")
        if not (self.all or self.any):
            raise ValueError("a trigger needs at least one condition")
        return self

    @property
    def combinator(self) -> str:
        return "all" if self.all is not None else "any"

    @property
    def conditions(self) -> list[Condition]:
        return self.all if self.all is not None else (self.any or [])


class ResponseTier(Sourced):
    id: Id
    label: Label
    description: Text
    status: Literal["active", "considered", "ruled_out"]
    trigger: Trigger | None = None
    lag: Id | None = None
    will: Id | None = None
    never: Id | None = None  # parameter: probability the decision never comes, whatever the trigger

    @model_validator(mode="after")
    def _trigger_matches_status(self) -> ResponseTier:
        if self.status == "ruled_out" and self.trigger is not None:
            raise ValueError("a ruled_out tier has no trigger (the engine never reaches it)")
        if self.status != "ruled_out" and (
            self.trigger is None or self.lag is None or self.will is None
        ):
            raise ValueError("an active or considered tier needs trigger, lag and will")
        return self


class Parameter(Record):
    id: Id
    label: Label
    description: Text
    unit: Text
    type: Literal["float", "int"] = "float"
    min: Finite
    max: Finite
    value: Finite
    low: Finite | None = None
    high: Finite | None = None
    distribution: Literal["uniform", "triangular"] | None = None
    claim: Id | None = None
    assumption: Text | None = None
    # for a parameter without a band: the range a sensitivity analysis swings it over (the
    # assumption says why); without it the tornado leaves the parameter out
    plausible_low: Finite | None = None
    plausible_high: Finite | None = None

    @model_validator(mode="after")
    def _plausible_range(self) -> Parameter:
        lo, hi = self.plausible_low, self.plausible_high
        if (lo is None) != (hi is None):
            raise ValueError("give both plausible_low and plausible_high, or neither")
        if lo is not None and hi is not None:
            if self.low is not None:
                raise ValueError("a parameter with a band swings over its band: no plausible range")
            if not self.min <= lo <= self.value <= hi <= self.max:
                raise ValueError("need min <= plausible_low <= value <= plausible_high <= max")
        return self

    @field_validator(
        "value", "low", "high", "min", "max", "plausible_low", "plausible_high", mode="before"
    )
    @classmethod
    def _number(cls, v: Any) -> Any:
        if isinstance(v, bool) or (v is not None and not isinstance(v, int | float)):
            raise ValueError(f"must be a number, not {type(v).__name__}")
        return v

    @model_validator(mode="after")
    def _sourced(self) -> Parameter:
        if self.claim is None and self.assumption is None:
            raise ValueError("needs `claim` (a claim id) or `assumption` (a rationale)")
        if (self.low is None) != (self.high is None):
            raise ValueError("give both `low` and `high`, or neither")
        return self


def _override_kind(value: Any) -> str:
    return "band" if isinstance(value, dict) else "point"


# A scenario's override of a parameter: a number (a point value) or {value, low, high} (a band);
# tagged, so that a bad number is one problem (`overrides.ID.point`, `overrides.ID.band.value`)
Override = Annotated[
    Annotated[Finite, Tag("point")] | Annotated[dict[str, Finite], Tag("band")],
    Discriminator(_override_kind),
]


class Scenario(Record):
    id: Id
    label: Label
    description: Text
    overrides: dict[Id, Override] = Field(default_factory=dict)
