"""Errors the toolkit reports to people: one line each, naming file, record, field and value.

A message quotes a value short: `format_number` writes a number as people do (3, 0.25, 1e+308; an
integer of more than 20 digits in e notation), `shown` quotes any value (numbers so, anything else its
repr cut to 80 characters), so a huge number or a pasted text never floods the line.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, SupportsFloat, SupportsIndex

MAX_SHOWN: Final = 80  # characters of a value quoted in a message
EXACT_DIGITS: Final = 20  # an integer up to this many digits is written out (2**64 has 20)
EXACT_FLOAT: Final = 1e16  # a whole float below this is written as an integer (float spacing < 2)


def format_number(x: SupportsFloat | SupportsIndex) -> str:
    """A number as people write it, and short: 3, 0.25, 11000, 1e+308, 1.23457e+48."""
    if isinstance(x, SupportsIndex) and not isinstance(x, float):  # int, numpy integer
        n = operator.index(x)
        if abs(n) < 10**EXACT_DIGITS:
            return str(n)
        mantissa, _, exponent = format(Decimal(n), ".6g").partition("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exponent}"
    v = float(x)
    return str(int(v)) if v.is_integer() and abs(v) < EXACT_FLOAT else f"{v:g}"


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """`value` as a message quotes it: an integer by `format_number`, anything else its repr, cut to
    `limit` characters."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, SupportsIndex) and not isinstance(value, float):
        return format_number(value)
    if isinstance(value, float):
        return repr(float(value))  # short by nature: 0.1, 1e+308 (a numpy float without its type)
    try:
        text = repr(value)
    except ValueError:  # e.g. an integer past Python's digit limit inside a container
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ToolkitError(Exception):
    """An error meant for the user: its message is one readable line; the CLI exits non-zero."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a pack: where it is and what is wrong."""

    file: str
    record: str | None
    field: str | None
    value: object
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.record is not None:
            where += f" [{self.record}]"
        if self.field is not None:
            where += f" {self.field}"
        return f"{where}: {self.message} (value: {shown(self.value)})"


class PackError(ToolkitError):
    """A pack failed validation; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid pack"
        more = f" (+{len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first + more)


class OutputError(ToolkitError):
    """An output path cannot be written (a directory, a path under a file, a read-only place)."""


class ParameterError(ToolkitError):
    """A model or report parameter is unknown, of the wrong type, or out of range."""
