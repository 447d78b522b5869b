"""What every pack record shares: field types (ids, text, finite numbers), the closed vocabularies
of enum fields, and the base models (unknown fields are errors; sourced records need a quote or a
rationale)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# Ids, names and labels end up in chart axes, legends and slider captions: a bound keeps a
# hostile or mistaken pack from making a chart take minutes and hundreds of MB (a bug hunt
# rendered a 200,000-character phase label).
# Text holds no control characters: an escape sequence (ESC) in a label or a source is printed raw
# by the command line (a bug hunt changed the terminal's title and clipboard through `toolkit
# frames --show`); a label is one line, and a line or paragraph separator (U+2028, U+2029) in one
# broke the charts whose Vega expressions or sort orders hold it (a JavaScript string cannot). A line
# break in a label is read as a space (`_unfold`).
_LINE_BREAKS = frozenset("\n\r\t")


def _control(text: str, *, lines: bool) -> str | None:
    """The first control character in `text` (with `lines`, a line break or tab is allowed)."""
    if text.isprintable():  # the common case, at C speed
        return None
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") and not (
            lines and char in _LINE_BREAKS
        ):
            return char
    return None


def control_character(text: str, *, lines: bool = True) -> str | None:
    """ "U+XXXX" of the first control character in `text` (`lines`: line breaks and tabs allowed),
    or None: for text checked outside the pack's records (questions, forecast names)."""
    bad = _control(text, lines=lines)
    return None if bad is None else f"U+{ord(bad):04X}"


def is_id(text: object) -> bool:
    """Whether `text` is an id as the pack writes them (`Id`): for ids read outside its records."""
    return isinstance(text, str) and len(text) <= ID_MAX and re.match(ID_PATTERN, text) is not None


def _plain(text: str) -> str:
    """Text: no control character but line breaks and tabs."""
    bad = control_character(text, lines=True)
    if bad is not None:
        raise ValueError(f"contains the control character {bad}")
    return text


def _one_line(text: str) -> str:
    """A name, label or title: one line of plain text."""
    bad = control_character(text, lines=False)
    if bad is not None:
        raise ValueError(
            f"contains the control character {bad} (a name, label or title is one line of plain "
            "text)"
        )
    return text


ID_PATTERN = r"^[a-z][a-z0-9_]*$"  # lower-case letters, digits and _, a letter first
ID_MAX = 120
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=ID_MAX)]
Kebab = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
Plain = Annotated[str, AfterValidator(_plain)]  # free text, possibly empty
Text = Annotated[str, Field(min_length=1), AfterValidator(_plain)]


_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)(?:[ \t]*(?:\r\n|\r|\n))*[ \t]*")


def _unfold(value: object) -> object:
    """A label is one line: line breaks in it (a YAML block, `>` or `|`, ends in one; a quoted
    "\\n"), with the spaces around them, are one space, as a folded YAML line is; at either end,
    none."""
    if not isinstance(value, str) or ("\n" not in value and "\r" not in value):
        return value
    return _BREAKS.sub(" ", value).strip(" ")


# a name, label or title
Label = Annotated[
    str, Field(min_length=1, max_length=300), BeforeValidator(_unfold), AfterValidator(_one_line)
]
# matched through a trie (pack.text)
Alias = Annotated[
    str, Field(min_length=1, max_length=100), BeforeValidator(_unfold), AfterValidator(_one_line)
]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]  # what a frame's int column holds


def _not_a_boolean(value: object) -> object:
    """A number is written as a number: pydantic would read `true` as 1."""
    if isinstance(value, bool):
        raise ValueError(f"expects a number, not {str(value).lower()}")
    return value


Finite = Annotated[float, BeforeValidator(_not_a_boolean), Field(allow_inf_nan=False)]
Whole = Annotated[Int64, BeforeValidator(_not_a_boolean)]  # an integer written as a number


def _not_a_number(value: object) -> object:
    """A date is written as a date: pydantic would read a number, or a text of digits (a CSV
    log's), as seconds since 1970 (so `date: 20241024` became 1970-08-23, silently)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and value.strip().lstrip("+-").replace(".", "").isdigit()):
        raise ValueError(f"expects a date YYYY-MM-DD, not the number {value!r}")
    return value


Date = Annotated[dt.date, BeforeValidator(_not_a_number)]

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
