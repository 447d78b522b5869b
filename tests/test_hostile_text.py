"""Pack text is data: whatever Markdown or HTML it holds shows literally, and nothing in a report can
make the browser fetch anything (issue 10, item 2)."""

from __future__ import annotations

import html
import re

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from toolkit.errors import ToolkitError
from toolkit.jupyter.html_export import prepare_notebook
from toolkit.jupyter.sanitise import clean_markdown_html
from toolkit.report.narrative import esc, table

HOSTILE = [
    "![](http:host/x.png)",
    "![x](//host/x.png)",
    "![x](https://host/x.png)",
    "![x][r]\n\n[r]: http://host/x.png",
    "[click](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "http://host/x and www.host.example and a@b.example",
    "**bold** _it_ `code` ~~del~~ $x^2$ # not a heading",
    "a | b | c",
    '<a href="https://host">x</a> &amp; &lt;',
    "Ukraine's \"stages\" & North Korea's",  # quotes: entities no later pass breaks
]


def _rendered(markdown: str) -> str:
    return clean_markdown_html(markdown2html_mistune(markdown))


def _text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_pack_text_renders_literally(text: str) -> None:
    rendered = _rendered(f"Label: **{esc(text)}**")
    for tag in ("<img", "<a ", "<script", "<code", "<del", "<em", "<h1"):
        assert tag not in rendered, (text, rendered)
    assert _text(rendered) == "Label: " + " ".join(text.split())


def test_pack_text_stays_in_its_table_cell() -> None:
    rendered = _rendered(table(["name", "value"], [[HOSTILE[9], HOSTILE[0]]]))
    assert rendered.count("<td>") == 2
    assert "<img" not in rendered


@pytest.mark.parametrize(
    "snippet",
    [
        '<img src="//host/x.png">',
        '<img src="http:host/x.png">',
        '<img src="https://host/x.png">',
        '<img src="x.png">',
        '<a href="https://host/">x</a>',
        '<a href="//host/">x</a>',
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_sanitiser_keeps_no_url_that_leaves_the_file(snippet: str) -> None:
    cleaned = clean_markdown_html(snippet)
    assert "src=" not in cleaned
    assert "href=" not in cleaned


def test_sanitiser_keeps_inline_images_and_anchors() -> None:
    cleaned = clean_markdown_html('<img src="data:image/png;base64,AAAA"><a href="#top">t</a>')
    assert 'src="data:image/png;base64,AAAA"' in cleaned
    assert 'href="#top"' in cleaned


@pytest.mark.parametrize(
    "markdown",
    [
        "![](http:host/x.png)",
        "![](//host/x.png)",
        "![](<https://host/x.png>)",
        "![](x.png)",
        "![a][r]\n\n[r]: x.png",
        '<img src="http:host/x.png">',
        "<img srcset='//host/x.png 2x'>",
        '<div style="background: url(//host/x.png)"></div>',
        "<style>@import 'x.css';</style>",
        '<link rel="stylesheet" href="http:host/x.css">',
        '<svg><image href="//host/x.png"/></svg>',
        '<video poster="x.jpg"></video>',
    ],
)
def test_offline_check_refuses_every_url_form(markdown: str) -> None:
    for nb in _markdown_cell(markdown), _markdown_output(markdown), _html_output(markdown):
        with pytest.raises(ToolkitError, match="loads from the network"):
            prepare_notebook(nb, show_code=False)


def test_offline_check_lets_local_content_through() -> None:
    ok = '![](data:image/png;base64,AAAA) [top](#top) <a href="https://host/">a link</a>'
    for nb in _markdown_cell(ok), _markdown_output(ok), _html_output(ok):
        prepare_notebook(nb, show_code=False)


def _markdown_cell(source: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(source)]
    return nb


def _output(mimetype: str, value: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={mimetype: value})]
    nb.cells = [cell]
    return nb


def _markdown_output(value: str) -> nbformat.NotebookNode:
    return _output("text/markdown", value)


def _html_output(value: str) -> nbformat.NotebookNode:
    return _output("text/html", value)
