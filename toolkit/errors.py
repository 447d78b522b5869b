"""Errors the toolkit reports to people: one line each, naming file, record, field and value."""

from __future__ import annotations

from dataclasses import dataclass


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
        value = repr(self.value)
        if len(value) > 80:
            value = value[:77] + "..."
        return f"{where}: {self.message} (value: {value})"


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
