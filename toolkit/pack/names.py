"""Pack ids in words, for text a reader sees: `names(pack)` maps every id of the pack's frames to its
label or name, and `in_words(text, names)` puts those words in place of the ids inside free text (an
assumption that says "combat on Russian soil (frontline_combat) does not meet it").

A row without a label or name (an indicator, a claim, an observation) gets its id in words: the
one-letter kind prefix dropped and the underscores made spaces (`i_further_arrivals` -> "further
arrivals"). Ids stay in tooltips and the report's appendix, where an analyst looks them up.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

# frames whose rows a reader meets, and the column that names a row, in order of preference
_WORD_COLUMNS: Final = ("label", "name")
_PREFIX = re.compile(r"^[a-z]_(?=[a-z0-9])")


def humanise(identifier: str) -> str:
    """An id in words: "i_further_arrivals" -> "further arrivals"."""
    return _PREFIX.sub("", identifier).replace("_", " ")


def names(pack: Pack) -> dict[str, str]:
    """Every id of the pack's frames -> its words (label, else name, else `humanise`). Where two
    frames share an id, the first frame with a label or name wins."""
    out: dict[str, str] = {}
    for frame in pack.frames.values():
        if "id" not in frame.columns or frame.height == 0:
            continue
        ids = frame["id"].cast(pl.String)
        column = next((c for c in _WORD_COLUMNS if c in frame.columns), None)
        words = frame[column].cast(pl.String) if column else pl.Series([None] * frame.height)
        for i, w in zip(ids, words, strict=True):
            if i is None:
                continue
            if i not in out or (w is not None and out[i] == humanise(i)):
                out[i] = w if w is not None else humanise(i)
    return out


def snake_ids(pack: Pack) -> set[str]:
    """The pack's ids a reader would take for code: those with an underscore."""
    return {i for i in names(pack) if "_" in i}


def in_words(text: str, words: dict[str, str]) -> str:
    """`text` with every pack id (a whole word with an underscore) replaced by its words in quotes."""
    if "_" not in text:
        return text

    def swap(m: re.Match[str]) -> str:
        found = words.get(m.group(0))
        return f"“{found}”" if found is not None else m.group(0)

    return re.sub(r"(?<![\w])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w])", swap, text)
