"""Executed notebook -> one self-contained, offline, deterministic HTML file (nbconvert, in-process).

- Template `toolkit/jupyter/templates/toolkit_report` (nbconvert `lab` markup) with no CDN script: no require.js,
  MathJax, Mermaid or widget manager; a small stylesheet instead of JupyterLab's.
- Charts: every output carrying a Vega-Lite spec (`application/vnd.vegalite.v5+json` as
  `toolkit.jupyter.offline.chart_output` writes it, with the spec's own `$schema` restored from the
  output's metadata, or Altair's own mimetypes) becomes a placeholder plus its spec; the vl-convert
  library is inlined once at the end of the document and draws them all (`toolkit.jupyter.offline`).
- Determinism: cell ids, chart ids and any template `uuid4()` are counters; execution counts, timings and
  kernel metadata are cleared (nbconvert's `ClearMetadataPreprocessor`), so the same executed content
  gives the same bytes.
- Provenance footer: versions, pack hash, every parameter value, seed, generated-at (SOURCE_DATE_EPOCH),
  and the run inputs the notebook reported (`toolkit.jupyter.provenance`).
- Contents: a list of links to the notebook's headings after the title (`toolkit.jupyter.contents`).

Text is escaped wherever this module writes it; Markdown outputs are sanitised and nothing may load
from the network (`toolkit.jupyter.sanitise`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.jupyter import offline
from toolkit.jupyter.contents import add_contents
from toolkit.jupyter.provenance import Provenance, footer_html
from toolkit.jupyter.sanitise import check_offline, clean_markdown_html

if TYPE_CHECKING:
    from nbconvert.exporters import HTMLExporter
    from nbformat import NotebookNode

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "toolkit_report"
# Outputs a static page cannot use: widget views need a kernel (their text/plain fallback stays).
DROPPED_MIMETYPES = ("application/vnd.jupyter.widget-view+json",)
# Jupyter Book / nbconvert conventions for hiding parts of a report.
REMOVE_CELL_TAGS = ("remove-cell", "remove_cell")
REMOVE_INPUT_TAGS = ("remove-input", "remove_input", "hide-input", "hide_input")
REMOVE_OUTPUT_TAGS = ("remove-output", "remove_output")


def prepare_notebook(nb: NotebookNode, *, show_code: bool) -> tuple[NotebookNode, list[str]]:
    """Charts to placeholders, deterministic ids, no counts; returns (nb, Vega-Lite versions).

    Works on a copy. Outputs of the live-mode library are dropped; code cells that show nothing
    (no outputs, code hidden) are dropped.
    """
    import copy

    nb = copy.deepcopy(nb)
    charts = itertools.count(1)
    versions: list[str] = []
    cells = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "code":
            cell.execution_count = None
            outputs = []
            for out in cell.get("outputs", []):
                if out.get("metadata", {}).get(offline.BUNDLE_OUTPUT_KEY) == (
                    offline.BUNDLE_OUTPUT_VALUE
                ):
                    continue
                if "execution_count" in out:
                    out["execution_count"] = None
                data = out.get("data")
                if data is not None:
                    spec = offline.output_spec(data, out.get("metadata"))
                    if spec is not None:
                        version = offline.vegalite_version(spec)
                        if version and version not in versions:
                            versions.append(version)
                        out["data"] = {
                            "text/html": offline.chart_markup(spec, f"tk-chart-{next(charts)}")
                        }
                        out["metadata"] = {}
                    else:
                        for mimetype in DROPPED_MIMETYPES:
                            data.pop(mimetype, None)
                        if not data:
                            continue
                        check_offline(data, number)
                outputs.append(out)
            cell.outputs = outputs
            if not show_code and not outputs:
                continue
        elif cell.cell_type == "markdown":
            check_offline({"text/markdown": cell.source}, number)
        cells.append(cell)
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index}"
    nb.cells = cells
    return nb, versions


class _Counter:
    """Stands in for the template's `uuid4()`: deterministic element ids."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def __call__(self) -> str:
        return f"tk-output-{next(self._next)}"


@functools.cache  # made once, on first use (nbconvert loads lazily)
def _exporter_class() -> type[HTMLExporter]:
    """nbconvert's HTMLExporter, with two start-up costs of each report process removed (same
    documents, byte for byte; tests/test_report.py compares them with nbconvert's own):

    - its last pass (alt text for images that lack one, focusable input and output areas) finds
      those elements with BeautifulSoup's tree search instead of CSS selectors, whose first use
      compiles soupsieve's selector grammar (0.1-0.2 s);
    - the compiled Jinja templates are kept in the toolkit's cache between processes (Jinja's
      bytecode cache, checked against each template's source; an unwritable cache is skipped).

    It also remembers the HTML of the Markdown it renders (`markdown2html`, and the sanitised HTML of
    Markdown outputs), keyed by everything that HTML depends on, so Markdown can be rendered ahead of
    the export (`prerender_markdown`, while the notebook still runs) and a sweep's reports render the
    notebook's Markdown cells once.
    """
    from bs4 import BeautifulSoup
    from jinja2 import FileSystemBytecodeCache, pass_context
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class TemplateCache(FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: Any) -> None:
            with contextlib.suppress(OSError):
                os.makedirs(self.directory, exist_ok=True)
                super().dump_bytecode(bucket)

    class ReportExporter(HTMLExporter):
        def _create_environment(self) -> Any:
            from toolkit.cache import cache_dir

            environment = super()._create_environment()
            environment.bytecode_cache = TemplateCache(str(cache_dir() / "templates"))
            return environment

        @pass_context
        def markdown2html(self, context: Any, source: str) -> str:
            # the inputs of HTMLExporter.markdown2html's result, besides the exporter's own settings
            attachments = (context.get("cell") or {}).get("attachments") or {}
            path = ((context.get("resources") or {}).get("metadata") or {}).get("path", "")
            key = ("md", source, json.dumps(attachments, sort_keys=True), str(path))
            render = super().markdown2html
            if self.embed_images and _MAY_EMBED_A_FILE.search(source):
                return render(context, source)  # inlines a file's bytes now: not in the key
            return _remembered(self, key, lambda: render(context, source))

        def from_notebook_node(  # type: ignore[override]  # a str, as nbconvert's HTMLExporter
            self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            # nbconvert 7's HTMLExporter.from_notebook_node, with its CSS selectors as tree searches
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            soup = BeautifulSoup(html, features="html.parser")
            missing_alt = 0
            for elem in soup.find_all("img"):  # img:not([alt])
                if "alt" not in elem.attrs:
                    elem.attrs["alt"] = "No description has been provided for this image"
                    missing_alt += 1
            if missing_alt:
                self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
            # .jp-Notebook div.jp-Cell-inputWrapper, .jp-Notebook div.jp-OutputArea-output
            for area in ("jp-Cell-inputWrapper", "jp-OutputArea-output"):
                for elem in soup.find_all("div", class_=area):
                    if elem.find_parent(class_="jp-Notebook") is not None:
                        elem.attrs["tabindex"] = "0"
            return str(soup), resources

    return ReportExporter


def make_exporter(*, show_code: bool) -> HTMLExporter:
    """nbconvert's HTMLExporter (`_exporter_class`) with the offline template and the clean-up
    preprocessors."""
    from nbconvert.preprocessors import (
        ClearMetadataPreprocessor,
        CoalesceStreamsPreprocessor,
        TagRemovePreprocessor,
    )

    exporter = _exporter_class()(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        sanitize_html=False,  # chart outputs carry the spec in a <script>; Markdown outputs are cleaned
        # validate the notebook once, after all preprocessors, not after each of the 14 (~50 ms)
        optimistic_validation=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=set(REMOVE_CELL_TAGS),
            remove_input_tags=set(REMOVE_INPUT_TAGS),
            remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
        ),
        enabled=True,
    )
    exporter.register_preprocessor(
        ClearMetadataPreprocessor(
            clear_cell_metadata=True,
            clear_notebook_metadata=True,
            preserve_cell_metadata_mask={"tags"},
            preserve_nb_metadata_mask={"language_info"},
        ),
        enabled=True,
    )
    # one print() can reach the notebook as two stream outputs (ipykernel flushes on a 0.2 s timer):
    # merge consecutive ones so the same inputs give the same bytes
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(), enabled=True)
    exporter.register_filter("tk_clean_markdown", functools.partial(_clean_markdown, exporter))
    _ = exporter.template  # load and compile the template now
    return exporter


RENDERED_LIMIT = 2048  # remembered Markdown renderings per exporter (then forgotten at once)


def _remembered(exporter: Any, key: tuple[str, ...], render: Any) -> str:
    """`render()`, or the result remembered under `key` on `exporter` (see `_exporter_class`)."""
    memo: dict[tuple[str, ...], str] = exporter.__dict__.setdefault("_tk_rendered", {})
    found = memo.get(key)
    if found is None:
        found = render()
        if len(memo) >= RENDERED_LIMIT:
            memo.clear()
        memo[key] = found
    return found


def _clean_markdown(exporter: HTMLExporter, html: str) -> str:
    """`clean_markdown_html(html)`, remembered on `exporter` (the template's `tk_clean_markdown`)."""
    return _remembered(exporter, ("clean", html), lambda: clean_markdown_html(html))


# Markdown that may name an image file (`![..](file)`, `<img src=..>`): with embed_images, nbconvert
# inlines the file's bytes as it renders, so the rendering depends on a file the notebook may write.
_MAY_EMBED_A_FILE = re.compile(r"!\[|<img", re.IGNORECASE)


def prerender_markdown(exporter: HTMLExporter, cells: list[Any]) -> None:
    """Render the Markdown of `cells` (notebook cells: Markdown cells' source, code cells' Markdown
    outputs) as the export will, so that the export finds it done (run while the notebook executes;
    anything not rendered here, or rendered with other inputs, is simply rendered by the export)."""
    render: Any = exporter.markdown2html  # HTMLExporter's filter, the remembering one above
    resources = {"metadata": {"path": ""}}  # export_html's resources name no path
    for cell in cells:
        context = {"cell": cell, "resources": resources}
        if cell.get("cell_type") == "markdown":
            render(context, cell.get("source", ""))
            continue
        for out in cell.get("outputs", ()):
            text = (out.get("data") or {}).get("text/markdown")
            if isinstance(text, str):
                _clean_markdown(exporter, render(context, text))


def warm_exporter(exporter: HTMLExporter) -> None:
    """Export a tiny notebook once, so the first real export does not pay for lazy imports and
    compilation (Markdown, Pygments, bleach, BeautifulSoup: ~0.4 s here). Meant to run while the
    kernel boots."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="x\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<b>x</b>"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "**x** <i>y</i>"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nSome *text*."), cell]
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    resources = {
        "metadata": {"name": "warm-up"},
        "toolkit": {"footer_html": "", "scripts_html": "", "generator": ""},
    }
    exporter.from_notebook_node(prepare_notebook(nb, show_code=True)[0], resources=resources)


def export_html(
    nb: NotebookNode,
    *,
    title: str,
    provenance: Provenance,
    show_code: bool = False,
    exporter: HTMLExporter | None = None,
    assets: Path | None = None,
) -> str:
    """The report's HTML (a str) from an executed notebook.

    `exporter` (from `make_exporter(show_code=...)`, same `show_code`) may be reused across reports
    in one thread; a new one is made otherwise. `assets`: the folder the report is written to, where
    the chart library goes as one shared file (`offline.bundle_file_script`) instead of inline.
    """
    import dataclasses

    prepared, versions = prepare_notebook(nb, show_code=show_code)
    scripts: list[str] = []
    vl_version: str | None = None
    if versions:
        if len(versions) > 1:
            from toolkit.errors import ToolkitError

            raise ToolkitError(
                f"charts use several Vega-Lite versions ({', '.join(versions)}); "
                "one library is inlined per report"
            )
        vl_version, _ = offline.javascript_bundle(versions[0])
        scripts.append(
            offline.bundle_script(vl_version)
            if assets is None
            else offline.bundle_file_script(assets, vl_version)
        )
        scripts.append(f"<script>\n{offline.render_call_js()}\n</script>")
    provenance = dataclasses.replace(provenance, vega_lite=vl_version)
    if exporter is None:
        exporter = make_exporter(show_code=show_code)
    exporter.environment.globals["uuid4"] = _Counter()
    resources = {
        "metadata": {"name": title},
        "toolkit": {
            "footer_html": footer_html(provenance),
            "scripts_html": "\n".join(scripts),
            "generator": f"toolkit {provenance.toolkit_version} (nbconvert, offline template)",
        },
    }
    body, _ = exporter.from_notebook_node(prepared, resources=resources)
    return add_contents(body)


def iter_chart_specs(document: str) -> Iterator[dict[str, Any]]:
    """The Vega-Lite specs embedded in a report (for tests and tools)."""
    for match in re.finditer(
        r'<script[^>]*\sid="tk-chart-\d+-spec"[^>]*>(.*?)</script>', document, re.S
    ):
        yield json.loads(match.group(1))
