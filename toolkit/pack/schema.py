"""Declared schemas of the pack's frames: column, dtype, meaning.

Dtypes are written as short names; `enum:NAME` is an ordered `polars.Enum` whose categories come from
the pack (phases, tiers and bands in file order; fixed vocabularies otherwise). `toolkit frames --schema`
prints this table, and the loader builds every frame with exactly these columns and dtypes.
"""

from __future__ import annotations

from typing import Final

from toolkit.pack import records

Column = tuple[str, str, str]

_SOURCE: Final[list[Column]] = [
    (
        "evidence",
        "str",
        "verbatim quote from the article (null when the row rests on an assumption)",
    ),
    ("evidence_start", "int", "character offset of the quote in the article body"),
    ("evidence_end", "int", "character offset just past the quote"),
    ("evidence_sentence", "str", "id of the sentence where the quote starts"),
]
_ASSUMPTION: Final[list[Column]] = [
    ("assumption", "str", "analyst assumption and its rationale (null when fully sourced)"),
]

SCHEMAS: Final[dict[str, list[Column]]] = {
    "sentences": [
        ("id", "str", "sentence id, s01 upwards in reading order"),
        ("paragraph", "int", "paragraph number (one per line of the article), from 1"),
        ("start", "int", "character offset in the article body"),
        ("end", "int", "character offset just past the sentence"),
        ("text", "str", "the sentence"),
    ],
    "entities": [
        ("id", "str", "entity id"),
        ("kind", "enum:entity_kind", "state, person, organisation, place, agreement, force"),
        ("name", "str", "canonical name"),
        ("title", "str", "a person's title as the article gives it"),
        ("affiliation", "str", "entity id this one belongs to"),
        ("cameo_actor", "str", "CAMEO actor code used in the GDELT-style export"),
        ("aliases", "list[str]", "surface forms matched in the text"),
        ("mention_count", "int", "how often the aliases occur in the article"),
        *_SOURCE,
    ],
    "aliases": [
        ("alias", "str", "surface form"),
        ("entity", "str", "entity id"),
    ],
    "mentions": [
        ("entity", "str", "entity id"),
        ("alias", "str", "the surface form found"),
        ("sentence", "str", "sentence id"),
        ("start", "int", "character offset in the article body"),
        ("end", "int", "character offset just past the mention"),
    ],
    "relations": [
        ("id", "str", "relation id"),
        ("subject", "str", "entity id"),
        ("predicate", "str", "kebab-case verb phrase"),
        ("object", "str", "entity id"),
        ("modality", "enum:modality", "asserted, possible, conditional, planned, denied"),
        *_SOURCE,
        ("assumption", "str", "what the analyst infers beyond the quote (null: the quote says it)"),
    ],
    "events": [
        ("id", "str", "event id"),
        ("label", "str", "what happened"),
        ("date", "date", "resolved date (first day of the span for coarse precision)"),
        ("date_end", "date", "last day, for spans"),
        ("precision", "enum:precision", "day, month, year, span"),
        ("date_note", "str", "how the article's relative date was resolved; ambiguity"),
        ("location", "str", "place entity id"),
        ("actors", "list[str]", "entity ids; the first two are GDELT Actor1/Actor2"),
        ("cameo", "str", "CAMEO event code"),
        ("plover", "str", "PLOVER event type"),
        *_SOURCE,
    ],
    "gdelt": [
        ("GLOBALEVENTID", "int", "row number in this export"),
        ("SQLDATE", "int", "resolved date as YYYYMMDD"),
        ("DatePrecision", "str", "day, month, year, span (not in GDELT; kept for honesty)"),
        ("Actor1Code", "str", "CAMEO actor code of the first actor"),
        ("Actor1Name", "str", "name of the first actor"),
        ("Actor2Code", "str", "CAMEO actor code of the second actor"),
        ("Actor2Name", "str", "name of the second actor"),
        ("IsRootEvent", "int", "1: every event here is from the article's own reporting"),
        ("EventCode", "str", "CAMEO event code"),
        ("EventBaseCode", "str", "first three digits of the code"),
        ("EventRootCode", "str", "first two digits of the code"),
        (
            "QuadClass",
            "int",
            "1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict",
        ),
        ("PLOVER", "str", "PLOVER event type (not in GDELT)"),
        ("ActionGeo_FullName", "str", "place name"),
        ("SOURCEURL", "str", "source address, where known"),
    ],
    "yardstick": [
        ("id", "enum:band", "ICD 203 band id, in order"),
        ("label", "str", "the words of the band"),
        ("low", "float", "lower probability bound"),
        ("high", "float", "upper probability bound"),
        ("terms", "list[str]", "words that place a judgement in this band"),
    ],
    "phrases": [
        ("phrase", "str", "estimative word as used in claims"),
        ("on_yardstick", "bool", "whether ICD 203 defines the word"),
        ("vague", "bool", "not on the yardstick: the band below is the pack's mapping"),
        ("band", "enum:band", "the band the word is on or mapped to"),
        ("low", "float", "modelling lower bound"),
        ("high", "float", "modelling upper bound"),
        ("rationale", "str", "why this mapping"),
    ],
    "claims": [
        ("id", "str", "claim id"),
        ("source", "str", "entity id of who asserts it"),
        ("statement", "str", "plain paraphrase"),
        ("phrase", "str", "estimative word used (null for a flat assertion)"),
        ("on_yardstick", "bool", "whether the phrase is an ICD 203 term"),
        ("vague", "bool", "the phrase is off the yardstick"),
        ("band", "enum:band", "ICD 203 band of the phrase (on or mapped)"),
        ("low", "float", "probability lower bound from the phrase"),
        ("high", "float", "probability upper bound from the phrase"),
        (
            "topic",
            "enum:topic",
            "compensation, deployment, response, cooperation, china, diplomacy",
        ),
        ("about", "list[str]", "ids the claim concerns"),
        *_SOURCE,
        (
            "event_kind",
            "enum:event",
            "modelled event the claim speaks of: reached, transferred, tier_transferred, decided",
        ),
        ("event_target", "str", "the phase, technology, technology tier or response tier"),
        ("event_within", "int", "months after the article the event is read over"),
        ("event_assumption", "str", "why this event and horizon stand for the claim (analyst's)"),
    ],
    "tech_tiers": [
        ("id", "enum:tech_tier", "technology tier, lowest first"),
        ("order", "int", "position in the ladder, from 0"),
        ("label", "str", "plain words"),
        *_SOURCE,
    ],
    "technologies": [
        ("id", "str", "technology id"),
        ("order", "int", "position in the file, from 0"),
        ("name", "str", "plain words"),
        ("tier", "enum:tech_tier", "tier"),
        ("weight", "float", "share of the tier's hazard relative to the tier's other technologies"),
        ("upfront", "str", "parameter: probability it is transferred at time 0 (null: none)"),
        *_SOURCE,
        *_ASSUMPTION,
    ],
    "phases": [
        ("id", "enum:phase", "deployment phase, in ladder order"),
        ("order", "int", "position in the ladder, from 0; the first is the start state"),
        ("label", "str", "plain words"),
        ("description", "str", "more words"),
        ("escalation", "int", "rank used by phase_at_least / reached triggers"),
        (
            "compensation_intensity",
            "str",
            "parameter scaling the compensation hazard in this phase",
        ),
        ("location", "str", "entity id of where the phase happens (null: not stated)"),
        *_SOURCE,
        *_ASSUMPTION,
    ],
    "transitions": [
        ("from_phase", "enum:phase", "phase left"),
        ("to_phase", "enum:phase", "phase entered"),
        ("parameter", "str", "parameter holding the monthly rate of this move"),
    ],
    "start": [
        ("phase", "enum:phase", "phase at time 0"),
        ("probability", "float", "share of paths in it at time 0 (the shares sum to 1)"),
        *_SOURCE,
        *_ASSUMPTION,
    ],
    "indicators": [
        ("id", "str", "indicator id"),
        ("phase", "enum:phase", "phase the indicator signals"),
        ("description", "str", "what an analyst would observe"),
        *_SOURCE,
        *_ASSUMPTION,
    ],
    "response_tiers": [
        ("id", "enum:response_tier", "response tier, lowest first"),
        ("order", "int", "position in the ladder, from 0"),
        ("label", "str", "plain words"),
        ("description", "str", "more words"),
        ("status", "enum:status", "active, considered, ruled_out"),
        ("combinator", "str", "all or any: how the trigger's conditions combine"),
        ("lag", "str", "parameter: months from trigger to earliest decision"),
        ("will", "str", "parameter: monthly probability of deciding once the lag has passed"),
        ("never", "str", "parameter: probability the decision never comes (null: none)"),
        *_SOURCE,
        *_ASSUMPTION,
    ],
    "triggers": [
        ("tier", "enum:response_tier", "response tier the condition belongs to"),
        ("combinator", "str", "all or any"),
        (
            "kind",
            "enum:condition",
            "always, phase_at_least, reached, tier_transferred, transferred",
        ),
        ("target", "str", "phase, technology tier or technology id the condition names"),
        ("location", "str", "with phase_at_least: the location the phase must have (null: any)"),
    ],
    "parameters": [
        ("id", "str", "parameter id"),
        ("label", "str", "plain words for sliders"),
        ("description", "str", "what it means"),
        ("unit", "str", "unit"),
        ("type", "str", "float or int"),
        ("min", "float", "lowest valid value"),
        ("max", "float", "highest valid value"),
        ("value", "float", "point estimate"),
        ("low", "float", "band lower bound (null: a point)"),
        ("high", "float", "band upper bound (null: a point)"),
        ("distribution", "str", "uniform or triangular (mode = value), with a band"),
        ("band_source", "str", "explicit, claim (from the claim's phrase band), or null"),
        ("claim", "str", "claim id the value rests on"),
        ("assumption", "str", "rationale when no claim supports it"),
        ("sourced", "bool", "rests on a claim rather than an analyst assumption"),
        (
            "plausible_low",
            "float",
            "without a band: low end of the range a sensitivity swings over",
        ),
        ("plausible_high", "float", "without a band: high end of that range"),
    ],
    "scenarios": [
        ("id", "str", "scenario (preset) id; baseline first"),
        ("order", "int", "position in the file"),
        ("label", "str", "plain words"),
        ("description", "str", "what the preset represents"),
    ],
    "overrides": [
        ("scenario", "str", "scenario id"),
        ("parameter", "str", "parameter id"),
        ("value", "float", "point value"),
        ("low", "float", "band lower bound (null: the override is a point)"),
        ("high", "float", "band upper bound"),
    ],
    "sources": [
        ("file", "str", "pack file"),
        ("record", "str", "record id"),
        ("kind", "str", "evidence or assumption"),
        ("text", "str", "the quote or the rationale"),
        ("start", "int", "quote offset in the article body (null for assumptions)"),
        ("end", "int", "quote end offset"),
        ("sentence", "str", "sentence id of the quote"),
    ],
}

FIXED_ENUMS: Final[dict[str, tuple[str, ...]]] = {
    "entity_kind": records.ENTITY_KINDS,
    "modality": records.MODALITIES,
    "precision": records.PRECISIONS,
    "topic": records.CLAIM_TOPICS,
    "status": records.RESPONSE_STATUSES,
    "condition": records.CONDITION_KINDS,
    "event": records.EVENT_KINDS,
}
