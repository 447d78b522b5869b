"""The shape of each record in a pack's YAML files, as pydantic models.

These models check one record at a time (types, enums, required fields, unknown fields). Checks that
span records or files (references, quotes in the article, probability bands) live in `toolkit.pack.frames`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Kebab = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
Text = Annotated[str, Field(min_length=1)]
Alias = Annotated[str, Field(min_length=1, max_length=100)]  # matched through a trie (pack.text)
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]  # what a frame's int column holds
Finite = Annotated[float, Field(allow_inf_nan=False)]

ENTITY_KINDS = ("state", "person", "organisation", "place", "agreement", "force")
MODALITIES = ("asserted", "possible", "conditional", "planned", "denied")
PRECISIONS = ("day", "month", "year", "span")
CLAIM_TOPICS = ("compensation", "deployment", "response", "cooperation", "china", "diplomacy")
RESPONSE_STATUSES = ("active", "considered", "ruled_out")
CONDITION_KINDS = ("always", "phase_at_least", "reached", "tier_transferred", "transferred")
# engine events a claim can be compared with: a phase reached, a technology transferred, any
# technology of a tier transferred, a response tier decided (`SimulationResult.probability_by`)
EVENT_KINDS = ("reached", "transferred", "tier_transferred", "decided")
DISTRIBUTIONS = ("uniform", "triangular")
OBSERVATION_PRECISIONS = ("day", "week", "month")
OBSERVATION_TARGETS = ("indicator", "transferred", "decided")
RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")
CREDIBILITY_GRADES = ("1", "2", "3", "4", "5", "6")


class Record(BaseModel):
    """Base: unknown fields are errors (a typo in a field name must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Record):
    """A record backed by a verbatim quote, an analyst assumption, or both."""

    evidence: Text | None = None
    assumption: Text | None = None

    @model_validator(mode="after")
    def _has_source(self) -> Sourced:
        if self.evidence is None and self.assumption is None:
            raise ValueError("needs `evidence` (a verbatim quote) or `assumption` (a rationale)")
        return self


class DateAssumption(Record):
    id: Id
    text: Text


class Source(Record):
    publisher: str | None = None
    url: str | None = None
    retrieved: str | None = None


class Publication(Record):
    date: dt.date
    timezone: Text
    basis: Text


class PackMeta(Record):
    title: Text
    language: Text
    summary: Text
    article: Text = "article.txt"
    residue_marker: str | None = None
    abbreviations: list[str] = Field(default_factory=list)
    source: Source = Field(default_factory=Source)
    publication: Publication
    date_assumptions: list[DateAssumption] = Field(default_factory=list)


class Entity(Record):
    id: Id
    kind: Literal["state", "person", "organisation", "place", "agreement", "force"]
    name: Text
    title: str | None = None
    affiliation: Id | None = None
    cameo_actor: str | None = None
    aliases: list[Alias] = Field(min_length=1)
    evidence: Text


class Relation(Record):
    id: Id
    subject: Id
    predicate: Kebab
    object: Id
    modality: Literal["asserted", "possible", "conditional", "planned", "denied"]
    evidence: Text
    assumption: Text | None = None  # where the analyst infers part of it (e.g. a party not named)


class Event(Record):
    id: Id
    label: Text
    date: dt.date
    date_end: dt.date | None = None
    precision: Literal["day", "month", "year", "span"]
    date_note: str | None = None
    location: Id | None = None
    actors: list[Id] = Field(min_length=1)
    cameo: Annotated[str, Field(pattern=r"^\d{2,4}$")]
    plover: Annotated[str, Field(pattern=r"^[A-Z_]+$")]
    evidence: Text

    @model_validator(mode="after")
    def _span(self) -> Event:
        if self.date_end is not None and self.date_end < self.date:
            raise ValueError(f"date_end {self.date_end} is before date {self.date}")
        return self


class Band(Record):
    id: Id
    label: Text
    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)
    terms: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self


class Phrase(Record):
    phrase: Text
    on_yardstick: bool
    band: Id | None = None
    low: float | None = Field(default=None, ge=0, le=1)
    high: float | None = Field(default=None, ge=0, le=1)
    rationale: Text

    @model_validator(mode="after")
    def _ordered(self) -> Phrase:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self


class ClaimEvent(Record):
    """The engine event a claim speaks of, `within` months of the article: exactly one of `reached`
    (a phase), `transferred` (a technology), `tier_transferred` (any technology of a tier) or
    `decided` (a response tier), with the analyst's rationale for the mapping and the horizon."""

    reached: Id | None = None
    transferred: Id | None = None
    tier_transferred: Id | None = None
    decided: Id | None = None
    within: int = Field(ge=0)
    assumption: Text

    @model_validator(mode="after")
    def _exactly_one(self) -> ClaimEvent:
        if sum(getattr(self, k) is not None for k in EVENT_KINDS) != 1:
            raise ValueError(f"an event has exactly one of {', '.join(EVENT_KINDS)}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in EVENT_KINDS if getattr(self, k) is not None)

    @property
    def target(self) -> str:
        return str(getattr(self, self.kind))


class Claim(Record):
    id: Id
    source: Id
    statement: Text
    phrase: str | None = None
    topic: Literal["compensation", "deployment", "response", "cooperation", "china", "diplomacy"]
    about: list[Id] = Field(default_factory=list)
    evidence: Text
    event: ClaimEvent | None = None  # the modelled event the claim speaks of (words vs model)


class TechTier(Record):
    id: Id
    label: Text
    evidence: Text


class Technology(Record):
    id: Id
    name: Text
    tier: Id
    evidence: Text
    weight: float = Field(default=1.0, gt=0)  # share of the tier's hazard, relative to the others
    upfront: Id | None = None  # parameter: probability it is transferred at time 0
    assumption: Text | None = None  # the rationale of a weight other than 1

    @model_validator(mode="after")
    def _weight_has_rationale(self) -> Technology:
        if self.weight != 1.0 and self.assumption is None:
            raise ValueError("a weight other than 1 needs an `assumption` saying why")
        return self


class Phase(Sourced):
    id: Id
    label: Text
    escalation: Int64
    compensation_intensity: Id
    description: str | None = None
    location: Id | None = None  # entity id of where the phase happens (a state or place)


class StartState(Sourced):
    """Share of paths in `phase` at time 0 (the article's date); the shares sum to 1."""

    phase: Id
    probability: float = Field(ge=0, le=1)


class Transition(Record):
    from_: Id = Field(alias="from")
    to: Id
    parameter: Id


class Diagnostic(Record):
    """How diagnostic an indicator is: the probability that it is reported seen, given the phase the
    troops are in when it would be seen. Phases not listed take `seen_otherwise`."""

    seen_given_phase: dict[Id, Annotated[float, Field(ge=0, le=1)]] = Field(min_length=1)
    seen_otherwise: float | None = Field(default=None, ge=0, le=1)
    assumption: Text  # the rationale: these numbers are the analyst's


class Indicator(Sourced):
    id: Id
    phase: Id
    description: Text
    diagnostic: Diagnostic | None = None  # needed before an observation may name the indicator
    cues: list[Text] = Field(default_factory=list)  # phrases `toolkit ingest` looks for


class Grade(Record):
    """One grade of the Admiralty (NATO) system and how much a report with it is trusted."""

    grade: Annotated[str, Field(pattern=r"^([A-F]|[1-6])$")]
    label: Text
    trust: float = Field(ge=0, le=1)
    rationale: Text

    @field_validator("grade", mode="before")
    @classmethod
    def _grade_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Observation(Record):
    """One entry of the observation log: something seen (or reported absent) on a date."""

    id: Id
    observed: dt.date
    precision: Literal["day", "week", "month"] = "day"
    reported: dt.date
    indicator: Id | None = None
    transferred: Id | None = None
    decided: Id | None = None
    present: bool = True
    source: Text
    reliability: Literal["A", "B", "C", "D", "E", "F"]
    credibility: int = Field(ge=1, le=6)
    quote: Text | None = None
    text: Text | None = None  # file under the pack holding the source article of `quote`
    url: str | None = None
    note: str | None = None

    @field_validator("credibility", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        if isinstance(v, bool | float):
            raise ValueError("must be a whole number from 1 to 6")
        return v

    @model_validator(mode="after")
    def _one_target(self) -> Observation:
        given = [k for k in OBSERVATION_TARGETS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "an observation names exactly one of indicator, transferred, decided"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.reported < self.observed:
            raise ValueError(f"reported {self.reported} is before observed {self.observed}")
        if self.quote is not None and self.text is None:
            raise ValueError("a quote needs `text`: the file under the pack it is quoted from")
        return self

    @property
    def target_kind(self) -> str:
        return next(k for k in OBSERVATION_TARGETS if getattr(self, k) is not None)

    @property
    def target(self) -> str:
        return str(getattr(self, self.target_kind))


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
    label: Text
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
    label: Text
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
    plausible_low: float | None = None
    plausible_high: float | None = None

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


class Scenario(Record):
    id: Id
    label: Text
    description: Text
    overrides: dict[Id, float | dict[str, float]] = Field(default_factory=dict)
