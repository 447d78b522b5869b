"""The explorer's widget parts and their markup: a knob's slider, the simulation tab's run controls
(as-of date, start state, horizon, paths), the HTML of a slider's note, the preset's description, the
rejection message and the readout, and the charts (live, or as display outputs). `toolkit.explore.view` assembles them
and wires their events to the state.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as widgets

from toolkit.explore.knobs import Knob, Setting, decimals, number
from toolkit.explore.state import MONTH_RANGE, PATH_CHOICES

if TYPE_CHECKING:
    from toolkit.explore.live_charts import LiveCharts
    from toolkit.explore.readout import Readout
    from toolkit.explore.state import ExplorerState

VEGALITE_MIME: Final = "application/vnd.vegalite.v5+json"
CHARTS_ENV: Final = "TOOLKIT_EXPLORER_CHARTS"
VEGALITE_V5_SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v5.json"


def knob_slider(knob: Knob, value: float) -> widgets.FloatSlider | widgets.IntSlider:
    """A knob's slider at `value`."""
    common: dict[str, Any] = {
        "min": knob.minimum,
        "max": knob.maximum,
        "step": knob.step,
        "continuous_update": True,
        "layout": widgets.Layout(width="250px"),
        "tooltip": knob.tooltip,
    }
    slider: widgets.FloatSlider | widgets.IntSlider
    if knob.integer:
        slider = widgets.IntSlider(value=round(value), readout_format=",d", **common)
    else:
        slider = widgets.FloatSlider(
            value=value, readout_format=f".{decimals(knob.step)}f", **common
        )
    slider.add_class(f"tk-knob-{knob.id}")
    return slider


class RunControls:
    """The simulation tab's controls at the state's values (events are wired by the view): the as-of
    date, the start state, the horizon and the number of paths, then a note (`children`)."""

    def __init__(self, state: ExplorerState) -> None:
        style = {"description_width": "130px"}
        layout = {"width": "470px"}
        self.as_of = widgets.Dropdown(
            options=state.as_of_choices(),
            value=None,
            description="As of (month 0)",
            tooltip="Start the runs from the tracker's posterior over phases on this date, given "
            "the observations reported by then; month 0 of the charts is that date",
            style=style,
            layout=widgets.Layout(**layout),
        )
        self.start = widgets.Dropdown(
            options=state.start_choices(),
            value=state.start,
            description="Start (month 0)",
            style=style,
            layout=widgets.Layout(**layout),
        )
        self.months = widgets.IntSlider(
            value=state.months,
            min=MONTH_RANGE[0],
            max=MONTH_RANGE[1],
            description="Horizon (months)",
            style=style,
            layout=widgets.Layout(**layout),
        )
        self.paths = widgets.SelectionSlider(
            options=[(f"{n:,}", n) for n in PATH_CHOICES],
            value=state.paths,
            description="Paths simulated",
            style=style,
            layout=widgets.Layout(**layout),
        )
        for name, control in (
            ("as-of", self.as_of),
            ("start", self.start),
            ("months", self.months),
            ("paths", self.paths),
        ):
            control.add_class(f"tk-knob-{name}")
        note = widgets.HTML(
            '<div style="line-height:1.3"><small>Paths are Monte Carlo runs. Every run uses the '
            "same seed, so a difference between two settings comes from the assumptions, not "
            "from noise.</small></div>"
        )
        self.children: list[widgets.Widget] = [
            self.as_of,
            self.start,
            self.months,
            self.paths,
            note,
        ]

    def show(self, state: ExplorerState) -> None:
        """The start and as-of drop-downs to the state's values (a date between two reports is
        added to the as-of options)."""
        self.start.value = state.start
        day = state.as_of
        if day is not None and day not in [v for _, v in self.as_of.options]:
            label = f"{day:%d %b %Y}: {state.tracker.used(day)} observations reported"
            self.as_of.options = [*self.as_of.options, (label, day)]
        self.as_of.value = day


def note_markup(knob: Knob, setting: Setting, moved: bool) -> str:
    """A slider's note: its title (with the unit), its source, and its band or preset value."""
    parts = [html.escape(knob.source)]  # the unit is in the title
    band = setting.band(knob)
    if moved:
        preset = number(setting.value, knob) + (f", sampled {band}" if band else "")
        parts.append(f'<span style="color:#D55E00">fixed by you (preset {preset})</span>')
    elif band:
        parts.append(f"sampled {band}")
    colour = "#0072B2" if knob.sourced else "#666"
    return (
        f'<div style="line-height:1.25;margin:3px 0"><b>{html.escape(knob.title)}</b><br>'
        f'<small style="color:{colour}">{" · ".join(parts)}</small></div>'
    )


def preset_markup(description: str) -> str:
    return (
        f'<div style="line-height:1.3;margin:2px 0 6px"><small>{html.escape(description)}'
        "</small></div>"
    )


def message_markup(message: str) -> str:
    """Why the last change was rejected, and that the last valid outcome is still shown."""
    return (
        '<div class="tk-message" style="border-left:4px solid #D55E00;background:#FDF0E8;'
        'padding:6px 10px;margin:4px 0">'
        f"<b>These settings cannot be simulated.</b> {html.escape(message)}<br>"
        "<small>The readout and charts still show the last valid settings.</small></div>"
    )


def readout_markup(words: Readout) -> str:
    """The readout as HTML: the headline in bold, the other sentences as a list, the basis small."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in words.details)
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in words.notes)
    readings = (
        '<details class="tk-readings" style="margin:4px 0 0"><summary><small>'
        f"The analyst's readings behind these figures, not the article's words ({len(words.notes)})"
        f'</small></summary><ul style="margin:2px 0 0;padding-left:18px;font-size:0.85em">{notes}'
        "</ul></details>"
        if words.notes
        else ""
    )
    return (
        '<div class="tk-readout" style="line-height:1.4;margin-top:8px">'
        '<p class="tk-headline" style="font-size:1.15em;font-weight:bold;margin:0 0 6px">'
        f"{html.escape(words.headline)}</p>"
        f'<ul style="margin:0 0 6px 0;padding-left:18px">{items}</ul>'
        f'<p style="color:#666;margin:0"><small>{html.escape(words.basis)}</small></p>'
        f"{readings}</div>"
    )


def display_output(spec: Mapping[str, Any]) -> dict[str, Any]:
    """An nbformat display_data output that JupyterLab's and Voilà's bundled Vega renderer draws."""
    from toolkit.jupyter.offline import EMBED_OPTIONS

    data = {**spec, "$schema": VEGALITE_V5_SCHEMA}
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return {
        "output_type": "display_data",
        "data": {VEGALITE_MIME: data, "text/plain": f"<chart: {text or 'Vega-Lite'}>"},
        "metadata": {VEGALITE_MIME: {"embed_options": dict(EMBED_OPTIONS)}},
    }


class ChartPanel:
    """The four charts: one `LiveCharts` widget updated in place (`live`), or, without anywidget or
    with $TOOLKIT_EXPLORER_CHARTS=output (the old way, for comparison), one `ipywidgets.Output` per
    chart (`outputs`) whose output the front end's own Vega renderer re-embeds on every update.
    $TOOLKIT_EXPLORER_CHARTS=reembed: the `LiveCharts` widget embeds every chart afresh on each
    update (the same widget and bundle without the in-place update, for comparison)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.live: LiveCharts | None = None
        self.outputs: dict[str, widgets.Output] = {}
        mode = os.environ.get(CHARTS_ENV, "").strip().lower()
        if mode != "output":
            try:
                from toolkit.explore.live_charts import LiveCharts
            except ImportError:  # anywidget is not installed
                pass
            else:
                self.live = LiveCharts(tuple(names), reembed=mode == "reembed")
        if self.live is None:
            for name in names:
                out = widgets.Output(layout=widgets.Layout(min_height="300px", overflow="auto"))
                out.add_class(f"tk-chart-{name}")
                self.outputs[name] = out

    @property
    def widgets(self) -> list[widgets.Widget]:
        return [self.live] if self.live is not None else list(self.outputs.values())

    def show(self, specs: Mapping[str, Mapping[str, Any]]) -> None:
        if self.live is not None:
            self.live.show(specs)
            return
        for name, spec in specs.items():
            self.outputs[name].outputs = (display_output(spec),)
