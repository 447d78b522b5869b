"""The explorer's four charts as one widget whose Vega views are updated in place (issue 16).

Between two runs of the same structure a chart's spec differs only in its run datasets (the stable
names of `toolkit.explore.specs.SOURCES`). `LiveCharts.show` therefore syncs two things: `specs`, each
chart's spec without its run datasets, which changes only with the structure (a preset, the horizon,
month 0); and `data`, each chart's run datasets as rows. In the browser (`live_charts.js`) a chart
whose spec changed is embedded again; otherwise its live Vega view gets the new rows through a Vega
changeset and re-runs: no new view, no re-parse of the spec, and only the rows cross the wire.

The widget is an anywidget: its front-end module is vl-convert's offline bundle of Vega, Vega-Lite and
Vega-Embed (the one the HTML reports inline, cached on disk) followed by `live_charts.js`, so it works
in JupyterLab and Voilà with no network and no extension beyond anywidget's own. Without anywidget
the explorer falls back to `ipywidgets.Output` outputs drawn by the front end's own Vega renderer,
which re-embeds every chart on every update (`toolkit.explore.view`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import anywidget
import traitlets

from toolkit.explore.specs import CHART_NAMES, SOURCES

JS: Final = Path(__file__).resolve().parent / "live_charts.js"
RUN_DATASETS: Final = {name: frozenset(SOURCES[name]) for name in CHART_NAMES}


@functools.cache
def module_source() -> str:
    """The widget's ES module: the offline Vega bundle (for Altair's Vega-Lite version), then ours."""
    import altair as alt

    from toolkit.jupyter.offline import javascript_bundle, vegalite_version

    _version, bundle = javascript_bundle(vegalite_version({"$schema": alt.SCHEMA_URL}))
    return f"{bundle}\n;\n{JS.read_text(encoding='utf-8')}"


def split_spec(name: str, spec: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the spec without chart `name`'s run datasets, those datasets by name)."""
    datasets = spec.get("datasets") or {}
    run = RUN_DATASETS.get(name, frozenset())
    frame = {key: value for key, value in spec.items() if key != "datasets"}
    static = {key: rows for key, rows in datasets.items() if key not in run}
    if static:
        frame["datasets"] = static
    return frame, {key: rows for key, rows in datasets.items() if key in run}


class LiveCharts(anywidget.AnyWidget):
    """The charts, stacked, each in an element with class `tk-chart-<name>`."""

    _esm = traitlets.Unicode().tag(sync=True)
    names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    specs = traitlets.Dict().tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    embed_options = traitlets.Dict().tag(sync=True)
    reembed = traitlets.Bool(False).tag(sync=True)  # embed afresh on every update (for comparison)

    def __init__(self, names: tuple[str, ...] = CHART_NAMES, **kwargs: Any) -> None:
        from toolkit.jupyter.offline import EMBED_OPTIONS

        super().__init__(
            _esm=module_source(), names=list(names), embed_options=dict(EMBED_OPTIONS), **kwargs
        )
        self.sent_specs = 0  # syncs that carried a changed spec (the browser embeds again)
        self.sent_data = 0  # syncs that carried only new rows (the browser updates in place)

    def show(self, specs: Mapping[str, Mapping[str, Any]]) -> None:
        """Show these specs: a changed structure re-embeds its chart, new rows update it in place."""
        frames: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for name in self.names:
            if name in specs:
                frames[name], data[name] = split_spec(name, specs[name])
        # one message; a trait whose value did not change is not assigned (nor compared twice)
        with self.hold_sync():
            new_specs = frames != self.specs
            if new_specs:
                self.specs = frames
                self.sent_specs += 1
            if data != self.data:
                self.data = data
                self.sent_data += not new_specs
