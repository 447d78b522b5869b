"""Records that annotate the article: its metadata, entities, relations, dated events, estimative
phrases with their probability bands, and the claims the article makes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from toolkit.pack.records.base import (
    EVENT_KINDS,
    Alias,
    Date,
    Finite,
    Id,
    Kebab,
    Label,
    Plain,
    Record,
    Text,
    Whole,
)


class DateAssumption(Record):
    id: Id
    text: Text


class Source(Record):
    publisher: Plain | None = None
    url: Plain | None = None
    retrieved: Plain | None = None


class Publication(Record):
    date: Date
    timezone: Text
    basis: Text


class ReportSection(Record):
    """A report section's heading and opening prose in the story's own words."""

    heading: Label
    text: Text


class ReportDefaults(Record):
    """What a report looks at unless its parameters say otherwise (pack.yaml `report`): the outcome
    its sensitivity analysis explains (a response tier, phase, technology or technology tier), the
    titles of its phase, transfer and response charts and the headings and opening prose of those
    sections in the story's own words, the one or two parameters, with their values, of its
    in-file explorer grid, and the first and last as-of dates of a scorecard's backtest."""

    sensitivity_outcome: Id | None = None
    chart_titles: dict[Literal["phases", "transfers", "responses"], Label] = Field(
        default_factory=dict
    )
    sections: dict[Literal["phases", "transfers", "responses"], ReportSection] = Field(
        default_factory=dict
    )
    explorer_grid: dict[Id, Annotated[list[Finite], Field(min_length=1, max_length=25)]] | None = (
        Field(default=None, min_length=1, max_length=2)
    )
    backtest_from: Date | None = None
    backtest_to: Date | None = None


class PackMeta(Record):
    title: Label
    language: Text
    summary: Text
    article: Text = "article.txt"
    residue_marker: str | None = None
    abbreviations: list[str] = Field(default_factory=list)
    source: Source = Field(default_factory=Source)
    publication: Publication
    date_assumptions: list[DateAssumption] = Field(default_factory=list)
    report: ReportDefaults = Field(default_factory=ReportDefaults)


class Entity(Record):
    id: Id
    kind: Literal["state", "person", "organisation", "place", "agreement", "force"]
    name: Label
    title: Label | None = None
    affiliation: Id | None = None
    cameo_actor: Plain | None = None
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
    label: Label
    date: Date
    date_end: Date | None = None
    precision: Literal["day", "month", "year", "span"]
    date_note: Plain | None = None
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
    label: Label
    low: Finite = Field(ge=0, le=1)
    high: Finite = Field(ge=0, le=1)
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
    low: Finite | None = Field(default=None, ge=0, le=1)
    high: Finite | None = Field(default=None, ge=0, le=1)
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
    within: Whole = Field(ge=0)
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
    phrase: Plain | None = None
    topic: Literal["compensation", "deployment", "response", "cooperation", "china", "diplomacy"]
    about: list[Id] = Field(default_factory=list)
    evidence: Text
    event: ClaimEvent | None = None  # the modelled event the claim speaks of (words vs model)
