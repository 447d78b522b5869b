"""What a report's HTML may hold: the sanitiser of Markdown outputs (`clean_markdown_html`) and the
check that no output or Markdown cell loads anything from the network (`check_offline`).

Markdown outputs may carry text from data: the tags Markdown produces stay, anything else is escaped,
and a URL attribute keeps only in-page links and inline images. A report must open offline: an output
or cell that would fetch a URL, a file beside the report, a stylesheet or an image is refused with a
one-line `ToolkitError` naming the cell. `toolkit.jupyter.html_export` uses both.
"""

from __future__ import annotations

import re
from typing import Any

# -- Markdown outputs ---------------------------------------------------------------------------------
# Markdown *outputs* may carry text from data, so their HTML is sanitised: the tags Markdown produces
# stay, anything else (script, iframe, style, event handlers) is escaped and shows as text.
# (nbconvert's own clean_html filter also drops <p>, headings and table headers.)
MARKDOWN_TAGS = frozenset(
    ("a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1",
     "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
     "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul")
)  # fmt: skip
MARKDOWN_ATTRIBUTES = {
    "*": ["class", "id", "title"],
    "a": ["href", "title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan"],
}
# What a URL attribute of a Markdown output may hold: nothing that leaves the file. A link may point
# within the page, an image must be inline data; remote, scheme-relative (//host), slash-less
# (http:host) and relative (a file beside the report) URLs are all dropped.
_LOCAL_HREF = re.compile(r"#[^\s]*\Z")
_INLINE_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml)[;,]", re.I)


def _markdown_attribute(tag: str, name: str, value: str) -> bool:
    if name not in MARKDOWN_ATTRIBUTES.get(tag, []) and name not in MARKDOWN_ATTRIBUTES["*"]:
        return False
    if name == "href":
        return bool(_LOCAL_HREF.match(value.strip()))
    if name == "src":
        return bool(_INLINE_IMAGE.match(value.strip()))
    return True


def clean_markdown_html(text: str) -> str:
    """Sanitise the HTML of a Markdown output (bleach, with the tags Markdown produces and no URL
    that leaves the file)."""
    import bleach

    return bleach.clean(
        text, tags=MARKDOWN_TAGS, attributes=_markdown_attribute, protocols=["data"]
    )


# -- nothing loads from the network ---------------------------------------------------------------
# Anything a browser would fetch on opening the file: a URL attribute of any element but a link
# (<a href> loads only when clicked), CSS url() and @import, a Markdown image or image reference.
# Allowed values are inline data and in-page anchors; every other form (https://, //host, http:host,
# a relative file name) is a request.
_NOT_LOCAL = r"""(?!data:|#|["'>\s]|\Z)"""
_LOADS = (
    re.compile(
        r"""<(?!a[\s>])[a-z][^>]*?\s(?:src|srcset|poster|background|data|action|formaction|"""
        r"""(?:xlink:)?href)\s*=\s*["']?\s*""" + _NOT_LOCAL,
        re.I,
    ),
    re.compile(r"""url\(\s*["']?\s*""" + _NOT_LOCAL, re.I),
    re.compile(r"@import\b", re.I),
    re.compile(r"!\[[^\]]*\]\(\s*<?\s*" + _NOT_LOCAL, re.I),
    re.compile(r"!\[[^\]]*\]\s*\[[^\]]*\]", re.I),  # a reference image: its URL is elsewhere
)


def check_offline(data: dict[str, Any], cell_number: int) -> None:
    """Anything that would load from the network breaks the offline promise: refuse it."""
    found = []
    for mimetype in ("text/html", "text/markdown"):
        value = data.get(mimetype)
        text = "".join(value) if isinstance(value, list) else str(value or "")
        found += [m.group(0) for m in (pattern.search(text) for pattern in _LOADS) if m]
    if found:
        match = found[0]
        from toolkit.errors import ToolkitError

        raise ToolkitError(
            f"cell {cell_number}: loads from the network ({match[:60]}...); "
            "a report must work offline (for Altair charts call toolkit.jupyter.offline."
            "use_offline_renderer())"
        )
