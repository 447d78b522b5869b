"""The explorer's charts in the browser, updated in place (issue 16).

Embedding a chart again on every slider move (a Vega-Lite output redrawn from scratch by the front
end) took 30–70 ms of the browser's time per chart; replacing only its data in the live Vega view
takes 4–13 ms and draws the same SVG. `LiveCharts` holds one `ipywidgets.Output` per chart and two
hidden ones; every output is JavaScript, which JupyterLab and Voilà run for a widget's outputs:

- `loader`: Vega, Vega-Lite and Vega-Embed (vl-convert's offline bundle, as the HTML report inlines
  it; no CDN) and `live.js`, which defines `window.tkExplorer`; sent once;
- a chart's output: `tkExplorer.embed(...)` with its full spec, sent again only when the chart's
  structure changes (its spec differs in more than its data, `toolkit.explore.specs`);
- `updates`: `tkExplorer.update(...)` with each chart's latest datasets (those that differ from the
  spec it was embedded with) and a version, replaced on every update; a view applies a version once,
  so a page reloaded in JupyterLab, which runs every output again, ends on the latest data.

A chart's structure is unchanged when every top-level value of its spec but `datasets` is the very
object it was embedded with (a refilled template shares them). `shown(name)` is the spec the browser
shows after the updates sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

import ipywidgets as widgets

LIVE_JS: Final = Path(__file__).with_name("live.js")
Spec = dict[str, Any]


class LiveCharts:
    """One output per chart (`outputs`, by name) plus the hidden `loader` and `updates`."""

    def __init__(self, names: Iterable[str], embed_options: Mapping[str, Any]) -> None:
        self.id = uuid.uuid4().hex[:12]  # charts of two explorers on one page stay apart
        self.options = dict(embed_options)
        self.outputs = {
            name: widgets.Output(layout=widgets.Layout(min_height="300px", overflow="auto"))
            for name in names
        }
        hidden = {"layout": widgets.Layout(display="none")}
        self.loader, self.updates = widgets.Output(**hidden), widgets.Output(**hidden)
        self.loader.add_class("tk-chart-loader")
        self.updates.add_class("tk-chart-updates")
        self._embedded: dict[str, tuple[int, Spec]] = {}  # name -> (token, spec embedded)
        self._latest: dict[str, dict[str, Any]] = {}  # name -> datasets sent since the embed
        self._version: dict[str, int] = {}
        self._tokens = 0
        self.embeds = 0  # charts embedded (a new structure)
        self.updates_sent = 0  # charts updated in place

    def show(self, specs: Mapping[str, Spec]) -> None:
        """Show `specs`: embed a chart whose structure changed, update the others in place."""
        if not self.loader.outputs:
            self.loader.outputs = (_javascript(loader_code(specs), "chart library"),)
        changed = False
        for name, spec in specs.items():
            embedded = self._embedded.get(name)
            if embedded is None or not _same_structure(embedded[1], spec):
                self._embed(name, spec)
                changed = True
                continue
            current = {**embedded[1]["datasets"], **self._latest.get(name, {})}
            new = {k: v for k, v in spec["datasets"].items() if current.get(k) is not v}
            if new:
                self._latest[name] = {**self._latest.get(name, {}), **new}
                self._version[name] = self._version.get(name, 0) + 1
                self.updates_sent += 1
                changed = True
        if changed:
            batch = {
                self._key(name): {
                    "token": self._embedded[name][0],
                    "version": self._version.get(name, 0),
                    "datasets": datasets,
                }
                for name, datasets in self._latest.items()
                if datasets
            }
            code = _when_loaded(f"window.tkExplorer.update({_json(batch)})")
            self.updates.outputs = (_javascript(code, "chart data"),)

    def shown(self, name: str) -> Spec:
        """The spec chart `name` shows once the browser ran the outputs sent."""
        spec = self._embedded[name][1]
        return {**spec, "datasets": {**spec["datasets"], **self._latest.get(name, {})}}

    def _embed(self, name: str, spec: Spec) -> None:
        self._tokens += 1
        self._embedded[name] = (self._tokens, spec)
        self._latest.pop(name, None)
        self._version.pop(name, None)
        self.embeds += 1
        args = ", ".join(
            [_json(self._key(name)), str(self._tokens), _json(spec), _json(self.options)]
        )
        title = spec.get("title")
        text = title.get("text") if isinstance(title, dict) else title
        code = _when_loaded(f"window.tkExplorer.embed(element, {args})")
        self.outputs[name].outputs = (_javascript(code, f"chart: {text or name}"),)

    def _key(self, name: str) -> str:
        return f"{self.id}:{name}"


def _same_structure(old: Spec, new: Spec) -> bool:
    """Whether `new` differs from `old` in its data only (see the module docstring)."""
    if old.keys() != new.keys() or old.get("datasets", {}).keys() != new.get("datasets", {}).keys():
        return False
    return all(new[k] is v for k, v in old.items() if k != "datasets")


def _when_loaded(call: str) -> str:
    """`call` now if `tkExplorer` is defined, else once `live.js` ran (outputs render in any order)."""
    return (
        f"(function (element) {{ const go = () => {call};\n"
        "if (window.tkExplorer) go(); else (window.tkExplorerQueue = window.tkExplorerQueue || [])"
        ".push(go); })(element);"
    )


def _json(value: Any) -> str:
    """`value` as a JavaScript expression: JSON.parse of a string literal (JSON text is not always a
    JavaScript literal: U+2028), safe anywhere in a script."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    literal = json.dumps(text, ensure_ascii=True).replace("<", "\\u003c")
    return f"JSON.parse({literal})"


def _javascript(code: str, label: str) -> dict[str, Any]:
    """A display_data output holding `code` (run by the front end, `element` its node)."""
    return {
        "output_type": "display_data",
        "data": {"application/javascript": code, "text/plain": f"<{label}>"},
        "metadata": {},
    }


def loader_code(specs: Mapping[str, Spec]) -> str:
    """The chart library for `specs`' Vega-Lite version, then `live.js`."""
    from toolkit.jupyter.offline import vegalite_version

    version = next((vegalite_version(s) for s in specs.values() if vegalite_version(s)), None)
    return _library(version) + "\n" + LIVE_JS.read_text(encoding="utf-8")


@cache
def _library(version: str | None) -> str:
    from toolkit.jupyter.offline import bundle_code

    return bundle_code(version)
