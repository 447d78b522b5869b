"""Markdown building blocks for report prose: pack text made literal, percentages, tables, labels
and sources. Everything here returns Markdown strings; pack text is escaped for HTML and for Markdown
(every character Markdown or its extensions could read as syntax becomes an entity), so it shows
literally: it can never inject markup, script, a link or an image into a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

# HTML's special characters and Markdown syntax (CommonMark, GFM tables and strikethrough, autolinked
# URLs and e-mail addresses, math) as entities, in one pass (a second pass would break the first's
# entities: `'` -> `&#x27;` -> `&&#35;x27;`): rendered, they show the character itself.
_LITERAL = str.maketrans(
    {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~:$@=^"}
    | {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
)


def esc(value: object) -> str:
    """Pack text made literal in Markdown: HTML-escaped, Markdown syntax as entities, one line."""
    return " ".join(str(value).translate(_LITERAL).split())


def percent(p: float | None) -> str:
    """A probability in words-friendly form: '23 %', '<1 %', '>99 %'."""
    if p is None:
        return "n/a"
    if 0 < p < 0.005:
        return "<1 %"
    if 0.995 < p < 1:
        return ">99 %"
    return f"{p * 100:.0f} %"


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; cells are escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def labels(frame: pl.DataFrame) -> dict[str, str]:
    return {
        str(k): str(v) for k, v in frame.select(pl.col("id").cast(pl.String), "label").iter_rows()
    }


JUDGED = "†"  # marks a name that rests on the analyst's reading; the reading follows the list


def assumptions(frame: pl.DataFrame) -> dict[str, str]:
    """id -> the row's assumption, for rows that have one."""
    rows = frame.filter(pl.col("assumption").is_not_null())
    return dict(zip(rows["id"].cast(pl.String), rows["assumption"], strict=True))


def sourced(evidence: str | None, assumption: str | None) -> str:
    """A row's source in words: the quote, and the analyst's reading beside it when there is one."""
    quote = f"“{evidence}”" if evidence else ""
    if assumption is None:
        return quote
    if not quote:
        return f"analyst assumption: {assumption}"
    return f"{quote} — analyst's reading: {assumption}"
