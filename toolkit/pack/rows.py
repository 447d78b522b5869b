"""A pack frame from its rows: a polars frame with `toolkit.pack.schema`'s columns and dtypes, or,
for a check that builds no frames (`FrameBuilder(loader, None)`, `toolkit.pack.load.validate_pack`),
the rows themselves as dicts, so that polars is not imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from toolkit.pack.schema import SCHEMAS

if TYPE_CHECKING:
    import polars as pl


class Rows(list[dict[str, Any]]):
    """A frame's rows as dicts: its columns, ints and floats as the frame would hold them, and the
    frame's `iter_rows(named=True)`."""

    def iter_rows(self, *, named: bool = True) -> Iterator[dict[str, Any]]:
        return iter(self)


Frame: TypeAlias = "pl.DataFrame | Rows"


def make_frame(
    name: str,
    rows: Iterable[dict[str, Any]],
    enums: Mapping[str, pl.Enum] | None,
    *,
    problems_found: bool,
) -> Frame:
    """The frame `name` of `rows`; `Rows` when `enums` is None (no polars).

    A row polars refuses is a bug in the checks unless `problems_found` (the problems already found
    explain it): an empty frame then.
    """
    if enums is None:
        kinds = {col: kind for col, kind, _ in SCHEMAS[name]}
        return Rows({c: _plain(row.get(c), kind) for c, kind in kinds.items()} for row in rows)
    import polars as pl

    schema = {col: _dtype(kind, enums) for col, kind, _ in SCHEMAS[name]}
    data = [{c: row.get(c) for c in schema} for row in rows]
    try:
        return pl.DataFrame(data, schema=schema)
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        if not problems_found:  # a value the checks should have caught: a bug there
            raise
        return pl.DataFrame(schema=schema)


def _plain(value: Any, kind: str) -> Any:
    """A value as a frame column of `kind` would give it back (ints in a float column as floats)."""
    if value is None or isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, int | float):
        return float(value)
    return value


def _dtype(name: str, enums: Mapping[str, pl.Enum]) -> pl.DataType:
    import polars as pl

    if name.startswith("enum:"):
        return enums[name.removeprefix("enum:")]
    simple: dict[str, pl.DataType] = {
        "str": pl.String(),
        "int": pl.Int64(),
        "float": pl.Float64(),
        "bool": pl.Boolean(),
        "date": pl.Date(),
        "list[str]": pl.List(pl.String()),
    }
    return simple[name]
