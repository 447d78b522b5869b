"""Offline Vega-Lite charts: one Altair renderer for JupyterLab, papermill and the HTML report.

A chart displayed under the `toolkit` renderer (`use_offline_renderer()`) becomes one small output:

- `application/vnd.toolkit.vegalite+json`: the Vega-Lite spec itself (a JSON mimetype, so the notebook
  stays valid nbformat; Altair 6's own `mimetype` renderer emits `application/vnd.vegalite.v6.json`,
  which fails nbformat validation);
- `text/html`: a placeholder `<div>` plus the spec as `<script type="application/json">` and, live in
  JupyterLab, a few lines of script that draw it with `vegaEmbed` once the library is on the page;
- `text/plain`: a one-line description.

The JavaScript library (Vega, Vega-Lite and Vega-Embed, bundled offline by vl-convert) is never loaded
from a CDN. Live, it is put on the page once per kernel session (by `use_offline_renderer()`, or by the
first chart). In a report (`TOOLKIT_REPORT_MODE=1`, set by `toolkit report`) the outputs carry no
library at all: the HTML exporter inlines it exactly once per document (`toolkit.jupyter.html_export`).

Only the standard library is imported at module level; Altair and vl-convert load when used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Final

from toolkit.cache import cache_dir, write_atomic_text

MIMETYPE: Final = "application/vnd.toolkit.vegalite+json"
"""Output mimetype carrying a chart's Vega-Lite spec."""
RENDERER_NAME: Final = "toolkit"
REPORT_MODE_ENV: Final = "TOOLKIT_REPORT_MODE"
"""Set to "1" in a report's kernel: chart outputs then carry no JavaScript (the exporter adds it)."""
BUNDLE_OUTPUT_KEY: Final = "toolkit"
BUNDLE_OUTPUT_VALUE: Final = "vega-bundle"
"""Output metadata `{"toolkit": "vega-bundle"}` marks the live-mode library output (dropped on export)."""

# Vega-Embed options shared by live and report rendering: SVG (crisp in print, text stays text);
# the action menu keeps PNG/SVG export but drops the links that would leave the file.
EMBED_OPTIONS: Final[dict[str, Any]] = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}

# Draws every `.tk-chart` placeholder not drawn yet. Idempotent; defined once per page.
RENDER_JS: Final = (
    "window.toolkitRenderCharts=window.toolkitRenderCharts||function(opts){"
    "document.querySelectorAll('.tk-chart:not([data-tk-drawn])').forEach(function(el){"
    "var s=document.getElementById(el.getAttribute('data-tk-spec'));if(!s)return;"
    "el.setAttribute('data-tk-drawn','1');"
    "window.vegaEmbed(el,JSON.parse(s.textContent),opts).catch(function(e){"
    "el.setAttribute('data-tk-error',String(e));el.textContent='Chart could not be drawn: '+e;"
    "console.error(e);});});};"
)

# What the bundle exports: the three libraries as page globals, nothing else.
BUNDLE_SNIPPET: Final = "window.vegaEmbed=vegaEmbed;window.vega=vega;window.vegaLite=vegaLite;"

_SCHEMA_VERSION = re.compile(r"/vega-lite/v(\d+)\.(\d+)")
_bundle_memo: dict[str, str] = {}
_live_bundle_shown = False


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


def render_call_js() -> str:
    """Script text: define the renderer (once) and draw all pending charts."""
    return f"{RENDER_JS}window.toolkitRenderCharts({json.dumps(EMBED_OPTIONS)});"


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
        f'data-sha256="{digest}"></script>'
    )


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

    def display_chart(chart: Any, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return offline_renderer(chart.to_dict(validate=False, context={"pre_transform": False}))

    ip.display_formatter.mimebundle_formatter.for_type(alt.TopLevelMixin, display_chart)


def report_mode() -> bool:
    """True inside a kernel run by `toolkit report` / `toolkit sweep`."""
    return os.environ.get(REPORT_MODE_ENV) == "1"


def offline_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    """Altair renderer: the spec as data, plus HTML that draws it without a network."""
    global _live_bundle_shown  # noqa: PLW0603 - one library per live page
    text = "<toolkit offline Vega-Lite chart>"
    if report_mode():
        html = (
            '<div class="tk-chart-pending">Vega-Lite chart: drawn in the HTML report '
            "(<code>toolkit report</code>).</div>"
        )
        return {MIMETYPE: spec, "text/html": html, "text/plain": text}
    chart_id = f"tk-live-{uuid.uuid4().hex[:12]}"
    parts = []
    if not _live_bundle_shown:
        parts.append(bundle_script(vegalite_version(spec)))
        _live_bundle_shown = True
    parts.append(chart_markup(spec, chart_id))
    # Wait for the library (its output may still be rendering), then draw.
    missing = "The chart library is not on this page: run toolkit.use_offline_renderer() again."
    wait = (
        "(function(){var n=0;function go(){"
        "if(window.vegaEmbed){" + render_call_js() + "}"
        "else if(n++<400){setTimeout(go,50);}"
        "else{var el=document.getElementById(" + json.dumps(chart_id) + ");"
        "if(el){el.textContent=" + json.dumps(missing) + ";}}"
        "}go();})();"
    )
    parts.append(f"<script>{wait}</script>")
    return {MIMETYPE: spec, "text/html": "\n".join(parts), "text/plain": text}


def use_offline_renderer(*, show_library: bool = True) -> None:
    """Register and enable the `toolkit` Altair renderer (offline, one library per page).

    Live in Jupyter, this also displays the JavaScript library once (as this cell's output), so every
    later chart draws without a network; pass `show_library=False` to leave that to the first chart.
    In a report kernel it displays nothing: the exporter inlines the library once per document.
    """
    global _live_bundle_shown  # noqa: PLW0603
    import altair as alt

    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, offline_renderer)
    alt.renderers.enable(RENDERER_NAME)
    if report_mode():
        _skip_spec_validation(alt)
        return
    if not show_library or _live_bundle_shown:
        return
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        return
    if get_ipython() is None:
        return
    display(
        {"text/html": bundle_script(), "text/plain": "<Vega, Vega-Lite and Vega-Embed (offline)>"},
        raw=True,
        metadata={BUNDLE_OUTPUT_KEY: BUNDLE_OUTPUT_VALUE},
    )
    _live_bundle_shown = True
