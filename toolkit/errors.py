"""Errors the toolkit reports to people: one line each, naming file, record, field and value.

A message quotes a value short: `format_number` writes a number as people do (3, 0.25, 1e+308; an
integer of more than 20 digits in e notation), `shown` quotes any value (numbers so, anything else its
repr cut to 80 characters), so a huge number or a pasted text never floods the line.
"""

from __future__ import annotations

import operator
import reprlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, SupportsFloat, SupportsIndex

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
    return short(value, limit)


VALUE_CHARS = 80  # a value in a message shows at most this many characters
NAME_CHARS = 60  # a record or field name this many
PATH_CHARS = 400  # a file's path this many: a path given on the command line is the user's own
MESSAGE_CHARS = 300  # and the message this many


class ToolkitError(Exception):
    """An error meant for the user: its message is one readable line; the CLI exits non-zero."""


ERROR_EXIT: Final = 2
"""The command line's exit status for a `ToolkitError`."""


def error_line(exc: BaseException) -> str:
    """How the command line reports an error meant for the user: one line, no traceback."""
    return f"error: {exc}"


@dataclass(frozen=True)
class Problem:
    """One problem found in a pack: where it is and what is wrong."""

    file: str
    record: str | None
    field: str | None
    value: object
    message: str

    def __str__(self) -> str:
        where = name(self.file, PATH_CHARS)
        if self.record is not None:
            where += f" [{name(self.record)}]"
        if self.field is not None:
            where += f" {name(self.field)}"
        return f"{where}: {name(self.message, MESSAGE_CHARS)} (value: {shown(self.value)})"


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


class _BoundedRepr(reprlib.Repr):
    """`repr` that looks at a bounded prefix of a value: a few items, a few levels, short strings,
    and no decimal expansion of a huge integer (quadratic, and refused above 4,300 digits)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxarray = self.maxset = self.maxfrozenset = 6
        self.maxdeque = 6
        self.maxdict = 4
        self.maxstring = self.maxother = VALUE_CHARS
        self.maxlong = 40

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:
            sign = "-" if x < 0 else ""
            return f"{sign}<an integer of {int(x.bit_length() * 0.30103) + 1:,} digits>"
        return super().repr_int(x, level)

    def repr_str(self, x: str, level: int) -> str:
        return repr(x[: self.maxstring + 1])  # a prefix: `short` cuts it to length

    def repr_bytes(self, x: bytes, level: int) -> str:
        return repr(x[: self.maxstring + 1])

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            return super().repr_instance(x, level)
        except Exception:  # a value from a file: never let showing it fail
            return f"<{type(x).__name__}>"


_REPR = _BoundedRepr()


def short(value: object, limit: int = VALUE_CHARS) -> str:
    """A bounded one-line `repr` of `value`: at most `limit` characters, whatever its size."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def name(text: object, limit: int = NAME_CHARS) -> str:
    """A file, record or field name for a message: one line, at most `limit` characters."""
    s = text if isinstance(text, str) else short(text, limit)
    if not s.isprintable():
        s = repr(s)[1:-1]
    return s if len(s) <= limit else s[: limit - 3] + "..."
