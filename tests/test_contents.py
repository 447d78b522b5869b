"""The report's table of contents (issue 14): generated from the notebook's headings, links to the
headings' own anchors, in the same file."""

from __future__ import annotations

import re

from toolkit.jupyter.contents import add_contents, contents_html, headings

_CELL = '<div class="jp-Cell jp-MarkdownCell" id="cell-{n}">{body}</div>\n'


def _document(*cells: str) -> str:
    body = "".join(_CELL.format(n=i, body=c) for i, c in enumerate(cells))
    return f"<html><body><main>\n{body}<footer><h2 id='p'>Provenance</h2></footer></main></body></html>"


def _h(level: int, text: str, id_: str) -> str:
    return f'<h{level} id="{id_}">{text}<a class="anchor-link" href="#{id_}">¶</a></h{level}>'


DOC = _document(
    _h(1, "Title", "Title") + "<p>intro</p>",
    _h(2, "Bottom line", "Bottom-line"),
    "<p>text</p>",
    _h(2, "Where &amp; when?", "Where-&amp;-when?"),
    _h(3, "A <em>detail</em>", "A-detail"),
    _h(2, "Last", "Last"),
)


def test_headings_are_read_in_order_without_their_anchor_links() -> None:
    found = headings(DOC)
    assert [(h.level, h.id, h.text) for h in found] == [
        (2, "Bottom-line", "Bottom line"),
        (2, "Where-&amp;-when?", "Where &amp; when?"),
        (3, "A-detail", "A detail"),
        (2, "Last", "Last"),
    ]  # the title (h1) and the footer's heading are not in the contents


def test_contents_follow_the_title_and_link_to_every_heading() -> None:
    out = add_contents(DOC)
    nav = out.index('<nav class="tk-contents"')
    assert out.index("intro") < nav < out.index('id="cell-1"')
    links = re.findall(r'<a href="#([^"]+)">', out)
    ids = set(re.findall(r'<h[23] id="([^"]+)"', out))
    assert links == ["Bottom-line", "Where-&amp;-when?", "A-detail", "Last"]
    assert set(links) <= ids
    html = contents_html(headings(DOC))
    assert html.count("<ol>") == 2  # the h3 nested under its h2
    assert html.count("</ol>") == 2
    assert html.count("<li>") == html.count("</li>") == 4


def test_a_short_document_gets_no_contents() -> None:
    short = _document(_h(1, "Title", "Title"), _h(2, "Only", "Only"))
    assert add_contents(short) == short


def test_a_marker_places_the_contents() -> None:
    marked = DOC.replace("<p>text</p>", "<!-- toolkit:contents --><p>text</p>")
    out = add_contents(marked)
    assert "<!-- toolkit:contents -->" not in out
    assert out.index('id="Bottom-line"') < out.index('<nav class="tk-contents"') < out.index("text")
    short = _document(_h(1, "Title", "Title"), "<!-- toolkit:contents -->")
    assert "toolkit:contents" not in add_contents(short)


def test_a_repeated_heading_gets_its_own_id_and_link() -> None:
    """Two headings of one text got one id from nbconvert: the contents' second link, and the
    second heading's own anchor, led to the first (a pack's section heading "Overview" twice made
    a section unreachable from the contents; found in a bug hunt)."""
    doc = _document(
        _h(1, "Title", "Title"),
        _h(2, "Overview", "Overview"),
        _h(2, "Overview", "Overview"),
        _h(2, "Overview-2", "Overview-2"),  # an id the renaming must not take
        _h(2, "Overview", "Overview"),
    )
    out = add_contents(doc)
    ids = re.findall(r'<h2 id="([^"]+)">', out)
    assert ids == ["Overview", "Overview-3", "Overview-2", "Overview-4"]
    for id_ in ids:
        assert out.count(f'href="#{id_}"') == 2  # the heading's own anchor and the contents' link
