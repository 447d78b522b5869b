"""Offline Vega-Lite charts: one Altair renderer for JupyterLab, papermill and the HTML report.

A chart displayed under the `toolkit` renderer (`use_offline_renderer()`) becomes one small output that
every Jupyter front end draws by itself, also in a notebook nobody has trusted (a papermill output, the
error-annotated notebook a failed report keeps under `reports/failed/`):

- `application/vnd.vegalite.v5+json`: the Vega-Lite spec, drawn by the Vega renderer JupyterLab,
  Notebook 7, Voilà and VS Code bundle (no network, no script in the output, so nothing to trust).
  That renderer is Vega-Lite 5, so this copy of the spec is labelled v5; the spec's own `$schema`
  (Altair's, v6) is kept in the output's metadata (`{"toolkit": {"$schema": ...}}`);
- `text/plain`: a one-line description.

The HTML report (`toolkit.jupyter.html_export`) turns each such output back into the original spec and
inlines the matching Vega, Vega-Lite and Vega-Embed bundle from vl-convert exactly once per document,
with the script that draws every chart fitted to its column (`CHARTS_JS`). Nothing is loaded from a CDN.

Only the standard library is imported at module level; Altair and vl-convert load when used.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
from pathlib import Path
from typing import Any, Final

from toolkit.cache import cache_dir, write_atomic_text

VEGALITE_MIMETYPE: Final = "application/vnd.vegalite.v5+json"
"""Output mimetype carrying a chart's spec: the one JupyterLab's bundled Vega renderer draws untrusted."""
VEGALITE_V5_SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v5.json"
SCHEMA_METADATA_KEY: Final = "toolkit"
"""Output metadata `{"toolkit": {"$schema": ...}}`: the spec's own schema (the output's copy says v5)."""
MIMETYPE: Final = "application/vnd.toolkit.vegalite+json"
"""The mimetype of chart outputs before JupyterLab drew them natively (still read by the exporter)."""
RENDERER_NAME: Final = "toolkit"
REPORT_MODE_ENV: Final = "TOOLKIT_REPORT_MODE"
"""Set to "1" in a report's kernel: chart outputs then carry no JavaScript (the exporter adds it)."""
BUNDLE_OUTPUT_KEY: Final = "toolkit"
BUNDLE_OUTPUT_VALUE: Final = "vega-bundle"
"""Output metadata `{"toolkit": "vega-bundle"}` marked the library output that notebooks run before
the native mimetype displayed (dropped on export)."""

# Vega-Embed options shared by live and report rendering: SVG (crisp in print, text stays text);
# the action menu keeps PNG/SVG export but drops the links that would leave the file.
EMBED_OPTIONS: Final[dict[str, Any]] = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}

CHARTS_JS: Final = (
    Path(__file__).resolve().parent / "templates" / "toolkit_report" / "static" / "charts.js"
)
"""Defines `window.toolkitRenderCharts(embedOptions)`: draws every `.tk-chart` placeholder, fitted to its
column (a phone, a printed page), and again when the column's width changes. Once per page."""

# What the bundle exports: the three libraries as page globals, nothing else.
BUNDLE_SNIPPET: Final = "window.vegaEmbed=vegaEmbed;window.vega=vega;window.vegaLite=vegaLite;"

_SCHEMA_VERSION = re.compile(r"/vega-lite/v(\d+)\.(\d+)")
_bundle_memo: dict[str, str] = {}


# -- spec and markup ------------------------------------------------------------------------------
def spec_json(spec: dict[str, Any]) -> str:
    """The spec as JSON that is safe inside `<script type="application/json">`.

    `<`, `>` and `&` are written as JSON escapes (`\\u003c`, ...), so no data value (an entity named
    `<script>...</script>`, a `<!--`) can end the script element or open a comment; the parsed JSON is
    unchanged. Only the spec is escaped: the library bundle is inlined verbatim (it holds regex
    literals that an escape would break).
    """
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def chart_markup(spec: dict[str, Any], chart_id: str) -> str:
    """Placeholder `<div>` plus the spec; `window.toolkitRenderCharts` draws it."""
    if not re.fullmatch(r"[A-Za-z][\w-]*", chart_id):
        raise ValueError(f"bad chart id {chart_id!r}")
    return (
        f'<div class="tk-chart" id="{chart_id}" data-tk-spec="{chart_id}-spec"></div>\n'
        f'<script type="application/json" id="{chart_id}-spec">{spec_json(spec)}</script>'
    )


@functools.cache
def render_js() -> str:
    """The renderer's script (`CHARTS_JS`)."""
    return CHARTS_JS.read_text(encoding="utf-8")


def render_call_js() -> str:
    """Script text: define the renderer (once) and draw all pending charts."""
    return f"{render_js()}\nwindow.toolkitRenderCharts({json.dumps(EMBED_OPTIONS)});"


def vegalite_version(spec: dict[str, Any]) -> str | None:
    """`"6.4"` for a spec whose `$schema` is `.../vega-lite/v6.4.1.json`; None if it names none."""
    match = _SCHEMA_VERSION.search(str(spec.get("$schema", "")))
    return f"{match.group(1)}.{match.group(2)}" if match else None


# -- the JavaScript bundle ------------------------------------------------------------------------
def _pick_version(wanted: str | None) -> str:
    import vl_convert

    versions: list[str] = list(vl_convert.get_vegalite_versions())
    if wanted in versions:
        return wanted
    major = (wanted or "").split(".")[0]
    same_major = [v for v in versions if v.split(".")[0] == major]
    return (same_major or versions)[-1]


def javascript_bundle(vl_version: str | None = None) -> tuple[str, str]:
    """(Vega-Lite version, vl-convert's offline bundle of Vega + Vega-Lite + Vega-Embed).

    Generating the bundle takes ~2 s and holds the GIL, so it is memoised per process and cached on
    disk (keyed by the vl-convert and Vega-Lite versions; written atomically).
    """
    import vl_convert

    version = _pick_version(vl_version)
    if version in _bundle_memo:
        return version, _bundle_memo[version]
    from importlib.metadata import version as dist_version

    tag = hashlib.sha256(BUNDLE_SNIPPET.encode()).hexdigest()[:8]
    name = f"vega-bundle-vlc{dist_version('vl-convert-python')}-vl{version}-{tag}.js"
    path = cache_dir() / name
    bundle: str | None = None
    try:
        bundle = path.read_text(encoding="utf-8")
    except OSError:
        bundle = None
    if not bundle or not bundle.rstrip().endswith(";"):
        bundle = vl_convert.javascript_bundle(BUNDLE_SNIPPET, vl_version=version)
        write_atomic_text(path, bundle)  # a read-only cache is fine: regenerated next time
    _check_bundle(bundle)
    _bundle_memo[version] = bundle
    return version, bundle


def _check_bundle(bundle: str) -> None:
    lowered = bundle.lower()
    if "</script" in lowered or "<!--" in lowered:  # would end or derail the <script> element
        raise RuntimeError("the vl-convert bundle cannot be inlined in a <script> element")


def bundle_script(vl_version: str | None = None) -> str:
    """One `<script>` holding the library, wrapped so it cannot collide with anything on the page.

    The bundle is an ES module body (top-level `const`s); inside a strict-mode function its names are
    local, so a second copy on the same page (or the page's own scripts) cannot clash ("Identifier has
    already been declared"). It only exports `window.vegaEmbed`, `window.vega` and `window.vegaLite`,
    and is skipped when `vegaEmbed` is already defined.
    """
    version, bundle = javascript_bundle(vl_version)
    digest = hashlib.sha256(bundle.encode()).hexdigest()[:16]
    return (
        f'<script data-toolkit="vega-bundle" data-vega-lite="{version}" data-sha256="{digest}">\n'
        f"{_wrapped(bundle)}</script>"
    )


def _wrapped(bundle: str) -> str:
    return (
        "if (!window.vegaEmbed) { (function () {\n'use strict';\n"
        f"{bundle}\n"
        "}).call(window); }\n"
    )


def bundle_file_script(directory: Path, vl_version: str | None = None) -> str:
    """The library as a file beside the reports instead of inside each (`toolkit sweep
    --shared-assets`): writes `directory/vega-bundle-<version>-<digest>.js` (the same wrapped script
    `bundle_script` inlines) unless it is there, and returns the `<script src>` that loads it by its
    relative name. The folder then works offline as a whole, not each file on its own."""
    from toolkit.files import write_atomic

    version, bundle = javascript_bundle(vl_version)
    digest = hashlib.sha256(bundle.encode()).hexdigest()[:16]
    name = f"vega-bundle-{version}-{digest}.js"
    body = _wrapped(bundle).encode("utf-8")
    path = directory / name
    try:
        current = path.read_bytes()
    except OSError:
        current = None
    if current != body:
        write_atomic(path, body)
    return (
        f'<script src="{name}" data-toolkit="vega-bundle" data-vega-lite="{version}" '
        f'data-sha256="{digest}" onerror="{_missing_library_handler(name)}"></script>'
    )


def _missing_library_handler(name: str) -> str:
    """An `onerror` for the shared library's script: a report copied out of its sweep's folder drew
    blank chart areas with no word why (found in a bug hunt); it now says so at the top of the page.
    Attribute-escaped; `name` is the toolkit's own file name (no quotes in it)."""
    message = (
        f"The charts of this report need {name} beside it: the report was rendered with "
        "--shared-assets. Open it from its sweep's folder (copy the whole folder), or render it "
        "without --shared-assets for one self-contained file."
    )
    script = (
        "function tkMissing(){var p=document.createElement('p');p.className='tk-missing-library';"
        f"p.setAttribute('role','alert');p.textContent={json.dumps(message)};"
        "document.body.insertBefore(p,document.body.firstChild);}"
        "if(document.body){tkMissing();}else{document.addEventListener('DOMContentLoaded',tkMissing);}"
    )
    return html.escape(script, quote=True)


# -- the Altair renderer --------------------------------------------------------------------------
def _skip_spec_validation(alt: Any) -> None:
    """In a report kernel, build and display charts without validating them against the Vega-Lite schema.

    Validation (jsonschema) is most of the cost of drawing a chart in a report: once for the whole spec
    on display (~0.3 s of a report's nine charts) and, in Altair's default "debug mode", once more for
    every schema object as it is built (~0.3 s). The chart functions' specs are validated by the test
    suite (debug mode on), and the report's browser checks draw every one; a report run only needs the
    spec, which validation never changes. Display goes through IPython's mimebundle formatter, which
    takes a type printer before Altair's own `_repr_mimebundle_`.
    """
    from altair.utils.schemapi import disable_debug_mode
    from IPython import get_ipython

    disable_debug_mode()
    ip = get_ipython()
    if ip is None:
        return

    def display_chart(
        chart: Any, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return offline_renderer(chart.to_dict(validate=False, context={"pre_transform": False}))

    ip.display_formatter.mimebundle_formatter.for_type(alt.TopLevelMixin, display_chart)


def report_mode() -> bool:
    """True inside a kernel run by `toolkit report` / `toolkit sweep`."""
    return os.environ.get(REPORT_MODE_ENV) == "1"


def chart_output(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, metadata) of a chart's display output: the spec under the Vega-Lite 5 mimetype (labelled
    v5, drawn with the SVG renderer and the toolkit's embed options), its own `$schema` in metadata."""
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    if isinstance(text, list):
        text = " ".join(str(t) for t in text)
    data = {
        VEGALITE_MIMETYPE: {**spec, "$schema": VEGALITE_V5_SCHEMA},
        "text/plain": f"<Vega-Lite chart: {text}>" if text else "<Vega-Lite chart>",
    }
    metadata: dict[str, Any] = {VEGALITE_MIMETYPE: {"embed_options": dict(EMBED_OPTIONS)}}
    if "$schema" in spec:
        metadata[SCHEMA_METADATA_KEY] = {"$schema": spec["$schema"]}
    return data, metadata


def output_spec(
    data: dict[str, Any], metadata: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The Vega-Lite spec a display output carries, with its own `$schema` restored; None if none.

    Reads `chart_output`'s outputs, Altair's own mimetypes and the toolkit's earlier custom one."""
    for mimetype in (VEGALITE_MIMETYPE, "application/vnd.vegalite.v6+json", MIMETYPE):
        spec = data.get(mimetype)
        if isinstance(spec, dict):
            own = ((metadata or {}).get(SCHEMA_METADATA_KEY) or {}).get("$schema")
            if mimetype == VEGALITE_MIMETYPE and isinstance(own, str):
                return {**spec, "$schema": own}
            return dict(spec)
    return None


def offline_renderer(
    spec: dict[str, Any], **metadata: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Altair renderer: `chart_output(spec)`, the same live and in a report."""
    return chart_output(spec)


def use_offline_renderer(*, show_library: bool = False) -> None:
    """Register and enable the `toolkit` Altair renderer (`chart_output`: Jupyter front ends draw the
    charts with their own bundled Vega, offline, in trusted and untrusted notebooks alike).

    In a report kernel it also skips schema validation on display (the tests validate every chart).
    `show_library` is accepted for old notebooks and ignored: no library is displayed any more.
    """
    import altair as alt

    del show_library
    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, offline_renderer)
    alt.renderers.enable(RENDERER_NAME)
    if report_mode():
        _skip_spec_validation(alt)
