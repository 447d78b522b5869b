"""A table of contents for an exported report, built from the notebook's own headings.

nbconvert gives every Markdown heading an id and an anchor link (`<h2 id="Bottom-line">…<a
class="anchor-link" href="#Bottom-line">¶</a></h2>`). `add_contents` reads the level-2 and level-3
headings of the report's body (the notebook's Markdown cells, and the section headings the toolkit
writes into outputs: pack text in outputs is escaped, so it cannot make a heading of its own) and puts a list of links to them where a Markdown cell says
`<!-- toolkit:contents -->` (an HTML comment: invisible in JupyterLab), else after the cell holding the
title. The links are fragments of the same file: they work offline, in a file opened from disk.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Final

MIN_HEADINGS: Final = 3  # a shorter document gets no contents
_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_ANCHOR = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
_CELL = '<div class="jp-Cell '
MARKER: Final = "<!-- toolkit:contents -->"  # where a notebook wants its contents


@dataclass(frozen=True)
class Heading:
    level: int
    id: str  # as in the document (attribute-escaped)
    text: str  # plain text, HTML-escaped


def headings(document: str) -> list[Heading]:
    """The level-2 and level-3 headings with ids between `<main>` and the footer, in order."""
    start = document.find("<main")
    end = document.find("<footer", max(start, 0))
    body = document[max(start, 0) : end if end >= 0 else len(document)]
    found = []
    for m in _HEADING.finditer(body):
        text = " ".join(html.unescape(_TAG.sub("", _ANCHOR.sub("", m.group(3)))).split())
        found.append(Heading(int(m.group(1)), m.group(2), html.escape(text)))
    return found


def contents_html(items: list[Heading]) -> str:
    """The contents as a nav of nested lists (level 3 under its level 2)."""
    out = [
        '<nav class="tk-contents" aria-label="Contents">',
        '<p class="tk-contents-title">Contents</p>',
    ]
    out.append("<ol>")
    open_sub = False
    for i, h in enumerate(items):
        link = f'<a href="#{h.id}">{h.text}</a>'
        if h.level == 3 and i > 0:
            if not open_sub:
                out.append("<ol>")
                open_sub = True
            out.append(f"<li>{link}</li>")
            continue
        if open_sub:
            out.append("</ol></li>")
            open_sub = False
        elif i > 0:
            out.append("</li>")
        out.append(f"<li>{link}")
    out.append("</ol></li>" if open_sub else "</li>")
    out += ["</ol>", "</nav>"]
    return "\n".join(out)


_ANY_HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.S)


def unique_heading_ids(document: str) -> str:
    """`document` with every heading id used once: a later heading of the same text (nbconvert
    gives both one id) gets `-2`, `-3`, ... in its id and its anchor link, so the contents and
    the anchors lead to it rather than to the first (found in a bug hunt)."""
    taken = {m.group(2) for m in _ANY_HEADING.finditer(document)}
    seen: set[str] = set()

    def rename(m: re.Match[str]) -> str:
        level, old, inner = m.groups()
        if old not in seen:
            seen.add(old)
            return m.group(0)
        n = 2
        while f"{old}-{n}" in taken:
            n += 1
        new = f"{old}-{n}"
        taken.add(new)
        seen.add(new)
        inner = inner.replace(f'href="#{old}"', f'href="#{new}"')
        return f'<h{level} id="{new}">{inner}</h{level}>'

    return _ANY_HEADING.sub(rename, document)


def add_contents(document: str) -> str:
    """`document` with its heading ids made unique (`unique_heading_ids`) and its contents in place
    of the first MARKER, else after the first cell holding an `<h1>` (else at the top of
    `<main>`); unchanged (but for the marker and the ids) with fewer than MIN_HEADINGS headings."""
    document = unique_heading_ids(document)
    items = headings(document)
    if len(items) < MIN_HEADINGS:
        return document.replace(MARKER, "", 1)
    nav = contents_html(items)
    if MARKER in document:
        return document.replace(MARKER, nav, 1)
    title = document.find("<h1")
    at = document.find(_CELL, title) if title >= 0 else -1
    if at < 0:
        main = document.find("<main")
        at = document.find(">", main) + 1 if main >= 0 else 0
    return document[:at] + nav + "\n" + document[at:]
