"""Records of the observation log: the Admiralty grading table and one observation (a target seen or
reported absent on a date, with its source's grades)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from toolkit.pack.records.base import (
    OBSERVATION_TARGETS,
    Date,
    Finite,
    Id,
    Label,
    Plain,
    Record,
    Text,
)


class Grade(Record):
    """One grade of the Admiralty (NATO) system and how much a report with it is trusted."""

    grade: Annotated[str, Field(pattern=r"^([A-F]|[1-6])$")]
    label: Label
    trust: Finite = Field(ge=0, le=1)
    rationale: Text

    @field_validator("grade", mode="before")
    @classmethod
    def _grade_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Observation(Record):
    """One entry of the observation log: something seen (or reported absent) on a date."""

    id: Id
    observed: Date
    precision: Literal["day", "week", "month"] = "day"
    reported: Date
    indicator: Id | None = None
    transferred: Id | None = None
    decided: Id | None = None
    present: bool = True
    source: Text
    reliability: Literal["A", "B", "C", "D", "E", "F"]
    credibility: int = Field(ge=1, le=6)
    quote: Text | None = None
    text: Text | None = None  # file under the pack holding the source article of `quote`
    url: Plain | None = None
    note: Plain | None = None

    @field_validator("credibility", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        if isinstance(v, bool | float):
            raise ValueError("must be a whole number from 1 to 6")
        return v

    @field_validator("reported")
    @classmethod
    def _not_before_observed(cls, v: dt.date, info: ValidationInfo) -> dt.date:
        # a field's check, so that the error names the field and its value (as a check of the
        # whole record it named neither: found in a bug hunt)
        observed = info.data.get("observed")
        if isinstance(observed, dt.date) and v < observed:
            raise ValueError(f"reported {v} is before observed {observed}")
        return v

    @model_validator(mode="after")
    def _one_target(self) -> Observation:
        given = [k for k in OBSERVATION_TARGETS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "an observation names exactly one of indicator, transferred, decided"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.quote is not None and self.text is None:
            raise ValueError("a quote needs `text`: the file under the pack it is quoted from")
        return self

    @property
    def target_kind(self) -> str:
        return next(k for k in OBSERVATION_TARGETS if getattr(self, k) is not None)

    @property
    def target(self) -> str:
        return str(getattr(self, self.target_kind))
