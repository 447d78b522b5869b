"""The explorer's view: the ipywidgets app around an `ExplorerState`, and its event wiring (ipywidgets 8).

`explore(pack=None, scenario="baseline", ...)` returns the app: a preset dropdown and reset button, one
slider per model parameter in tabs (deployment, compensation, responses), the simulation tab (as-of
date, start state, horizon, paths), a readout in words, and the engine's charts (phases, transfers,
responses, policy table) that follow the sliders. `Explorer` builds the widgets (their parts and markup:
`toolkit.explore.parts`) from its state (`toolkit.explore.state`: the rules and the runs), passes their
events to it and shows the outcome; its `set`, `set_start`, `set_as_of`, `reset` and `pick` move the
widgets as a user would. Slider events are debounced (`debounce` seconds, on the kernel's event loop):
a drag triggers one simulation when it pauses; Python calls update at once. A rejected combination
shows why and keeps the last good readout and charts; no exception from an update reaches the
notebook. The charts (`parts.ChartPanel`) are one anywidget (`live_charts`) that embeds each chart once
per structure; a slider move sends only new rows, which replace the old ones in the live Vega views.
Without anywidget, or with $TOOLKIT_EXPLORER_CHARTS=output, they are Vega-Lite outputs in
`ipywidgets.Output` widgets, re-embedded on every update by JupyterLab's and Voilà's own Vega-Lite 5
renderer (so their copy of each spec is labelled v5; `specs` keeps Altair's own spec).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import html
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast

import ipywidgets as widgets

from toolkit.engine.defaults import (
    DEFAULT_EXPLORER_PATHS,
    DEFAULT_MONTHS,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
)
from toolkit.explore.knobs import Knob, Setting
from toolkit.explore.parts import (
    CHARTS_ENV,
    VEGALITE_MIME,
    ChartPanel,
    RunControls,
    knob_slider,
    message_markup,
    note_markup,
    preset_markup,
    readout_markup,
)
from toolkit.explore.specs import CHART_NAMES
from toolkit.explore.state import ExplorerState

if TYPE_CHECKING:
    from toolkit.engine.result import SimulationResult
    from toolkit.pack.load import Pack
    from toolkit.track.tracker import Observations

#: Sliders still this long (s) before a run: longer than an update (~8 ms) and its in-place redraw
#: (~45 ms), so a key press is answered in ~0.1 s (bench_explore_browser.py; 0.2 s gave 0.25 s).
DEBOUNCE: Final = 0.05
__all__ = ["CHARTS_ENV", "GROUPS", "VEGALITE_MIME", "Explorer", "ExplorerWidget", "explore"]
GROUPS: Final = {
    "deployment": "Deployment: monthly moves between phases",
    "compensation": "Compensation: technology transfers",
    "responses": "Responses: decision lag, political will and the share never decided",
    "simulation": "Simulation",
}


T = TypeVar("T")


class _FromState(Generic[T]):
    """An `Explorer` attribute that reads the same attribute of its `state`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, explorer: Explorer, owner: type | None = None) -> T:
        return cast(T, getattr(explorer.state, self.name))


class Explorer:
    """The explorer's widgets around its `state`. Drive it from Python (`set`, `reset`, `pick`, each
    updating at once) or through `widget`; `readout`, `specs`, `message`, `result`, ... read the state
    (`explorer.readout` is `explorer.state.readout`).
    """

    pack: _FromState[Pack] = _FromState()
    seed: _FromState[int] = _FromState()
    knobs: _FromState[dict[str, Knob]] = _FromState()
    preset: _FromState[str] = _FromState()
    settings: _FromState[dict[str, Setting]] = _FromState()
    values: _FromState[dict[str, float]] = _FromState()  # every parameter's slider value
    overrides: _FromState[dict[str, float]] = _FromState()  # the moved ones, fixed at their value
    start: _FromState[str | None] = _FromState()  # None: the pack's start state
    as_of: _FromState[dt.date | None] = _FromState()  # None: month 0 = the article's date
    months: _FromState[int] = _FromState()
    paths: _FromState[int] = _FromState()
    result: _FromState[SimulationResult | None] = _FromState()
    readout: _FromState[str] = _FromState()
    specs: _FromState[dict[str, dict[str, Any]]] = _FromState()
    message: _FromState[str] = _FromState()
    latency: _FromState[float | None] = _FromState()  # seconds of the last successful update
    updates: _FromState[int] = _FromState()

    def __init__(
        self,
        pack: Pack | None = None,
        scenario: str = DEFAULT_SCENARIO,
        *,
        paths: int = DEFAULT_EXPLORER_PATHS,
        months: int = DEFAULT_MONTHS,
        seed: int = DEFAULT_SEED,
        as_of: dt.date | str | None = None,
        observations: Observations = None,
        debounce: float = DEBOUNCE,
    ) -> None:
        self.state = ExplorerState(
            pack,
            scenario,
            paths=paths,
            months=months,
            seed=seed,
            as_of=as_of,
            observations=observations,
        )
        self.debounce = debounce
        self._quiet = False
        self._pending: asyncio.TimerHandle | None = None
        self._build_widgets()
        self._show_start()
        self._show(not self.message)

    # -- Python API -------------------------------------------------------------------------------
    def set(self, name: str, value: float) -> bool:
        """Move slider `name` (a parameter id, `months` or `paths`) to `value` and update now. False
        when the engine rejects the combination (`message` says why); a value the slider cannot take
        (or an unknown name) raises `ParameterError`."""
        self.state.check(name, value)
        if name == "months":
            self.months_slider.value = value
        elif name == "paths":
            self.paths_slider.value = int(value)
        else:
            self.sliders[name].value = int(value) if self.knobs[name].integer else float(value)
        self.flush()
        return not self.message

    def set_start(self, phase: str | None) -> bool:
        """Start every path in `phase` (None: the pack's start state), as the drop-down does, and
        update now. An unknown phase raises `ParameterError`."""
        self.state.assign_start(phase)
        self._show_start()
        self._cancel()
        return self.update()

    def set_as_of(self, day: dt.date | str | None) -> bool:
        """Start from the tracker's posterior on `day` (None: the article's date), as the as-of
        drop-down does, and update now. A date outside the tracker's range raises `ParameterError`."""
        self.state.assign_as_of(day)
        self._show_start()
        self._cancel()
        return self.update()

    def _show_start(self) -> None:
        """The start and as-of drop-downs to the state's values, without triggering updates."""
        self._quiet = True
        try:
            self.run.show(self.state)
        finally:
            self._quiet = False

    def reset(self) -> bool:
        """Move every slider back to the preset (bands restored) and update now."""
        self._cancel()
        self.state.to_preset()
        self._show_preset()
        return self.update()

    def pick(self, preset: str) -> bool:
        """Choose another preset: its values and bands, then update now."""
        self.state.choose(preset)  # raises on an unknown preset
        self._quiet = True
        try:
            self.preset_dropdown.value = preset
        finally:
            self._quiet = False
        return self.reset()

    def flush(self) -> None:
        """Run a pending (debounced) update now."""
        if self._pending is not None:
            self._cancel()
            self.update()

    def update(self) -> bool:
        """Recompute now and show the outcome (or why it failed, keeping the last good one)."""
        self._pending = None
        ok = self.state.update()
        self._show(ok)
        return ok

    # -- widgets ------------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        """Left: preset, sliders in tabs, the readout. Right: the four charts, stacked."""
        presets = [
            (str(row["label"]), str(row["id"])) for row in self.pack.scenarios.iter_rows(named=True)
        ]
        self.preset_dropdown = widgets.Dropdown(
            options=presets,
            value=self.preset,
            description="Preset",
            style={"description_width": "50px"},
            layout=widgets.Layout(width="390px"),
        )
        self.preset_note = widgets.HTML()
        self.reset_button = widgets.Button(
            description="Reset to preset",
            tooltip="Move every slider back to the preset's value (bands sampled again)",
            layout=widgets.Layout(width="140px"),
        )
        self.sliders: dict[str, widgets.FloatSlider | widgets.IntSlider] = {}
        self.notes: dict[str, widgets.HTML] = {}
        rows: dict[str, list[widgets.Widget]] = {
            g: [widgets.HTML(f"<small>{html.escape(title)}</small>")] for g, title in GROUPS.items()
        }
        for knob in self.knobs.values():
            slider = knob_slider(knob, self.values[knob.id])
            note = widgets.HTML(tooltip=knob.tooltip, layout=widgets.Layout(width="290px"))
            self.sliders[knob.id] = slider
            self.notes[knob.id] = note
            slider.observe(functools.partial(self._on_change, knob.id), names="value")
            rows[knob.group].append(
                widgets.HBox([note, slider], layout=widgets.Layout(align_items="center"))
            )
        self.run = run = RunControls(self.state)
        self.as_of_dropdown, self.start_dropdown = run.as_of, run.start
        self.months_slider, self.paths_slider = run.months, run.paths
        self.as_of_dropdown.observe(self._on_as_of, names="value")
        self.start_dropdown.observe(self._on_start, names="value")
        self.months_slider.observe(functools.partial(self._on_change, "months"), names="value")
        self.paths_slider.observe(functools.partial(self._on_change, "paths"), names="value")
        rows["simulation"] += run.children
        self.tabs = widgets.Tab(
            children=[widgets.VBox(rows[g]) for g in GROUPS],
            titles=[GROUPS[g].split(":")[0] for g in GROUPS],
        )
        self.readout_html = widgets.HTML()
        self.readout_html.add_class("tk-readout-box")
        self.message_html = widgets.HTML(layout=widgets.Layout(display="none"))
        self.message_html.add_class("tk-message-box")
        self.status_html = widgets.HTML()
        self.status_html.add_class("tk-status")
        self.charts = ChartPanel(CHART_NAMES)
        self.preset_dropdown.observe(self._on_preset, names="value")
        self.reset_button.on_click(lambda _button: self.reset())
        title = html.escape(str(self.pack.meta.title))
        header = widgets.HTML(
            '<div style="line-height:1.3"><span style="font-size:1.5em;font-weight:bold">'
            f"Explorer</span><br><small>{title}</small></div>"
        )
        left = widgets.VBox(
            [
                header,
                widgets.HBox([self.preset_dropdown, self.reset_button]),
                self.preset_note,
                self.tabs,
                self.message_html,
                self.readout_html,
                self.status_html,
            ],
            layout=widgets.Layout(width="560px", margin="0 24px 0 0"),
        )
        right = widgets.VBox(
            self.charts.widgets, layout=widgets.Layout(flex="1 1 720px", min_width="0")
        )
        self.widget = ExplorerWidget(self, [left, right])
        self._show_preset()

    def _show_preset(self) -> None:
        """Sliders to the state's (preset) values, without triggering updates."""
        self._quiet = True
        try:
            for pid, slider in self.sliders.items():
                value = self.values[pid]
                slider.value = round(value) if self.knobs[pid].integer else value
        finally:
            self._quiet = False
        description = str(self.state.preset_row()["description"])
        self.preset_note.value = preset_markup(description)
        for pid in self.sliders:
            self._note(pid)

    def _note(self, pid: str) -> None:
        knob = self.knobs[pid]
        self.notes[pid].value = note_markup(knob, self.settings[pid], self.state.moved(pid))

    # -- events -------------------------------------------------------------------------------------
    def _on_change(self, name: str, change: Mapping[str, Any]) -> None:
        """A slider moved (in the browser or from `set`): to the state at once, run debounced."""
        if self._quiet:
            return
        self.state.assign(name, change["new"])
        if name in self.notes:
            self._note(name)
        self._schedule()

    def _on_start(self, change: Mapping[str, Any]) -> None:
        """The start drop-down moved: a phase chosen by hand clears the as-of date."""
        self._on_month0(self.state.assign_start, change)

    def _on_as_of(self, change: Mapping[str, Any]) -> None:
        """The as-of drop-down moved: a date clears a start phase chosen by hand."""
        self._on_month0(self.state.assign_as_of, change)

    def _on_month0(self, assign: Callable[[Any], None], change: Mapping[str, Any]) -> None:
        """What month 0 is changed: to the state at once (both drop-downs shown again), run
        debounced; an invalid choice is a message, never an exception into the notebook."""
        if self._quiet:
            return
        try:
            assign(change["new"])
        except Exception as exc:  # never raise into the notebook
            self.state.message = str(exc)
            self._show(False)
            return
        self._show_start()
        self._schedule()

    def _on_preset(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        try:
            self.pick(str(change["new"]))
        except Exception as exc:  # never raise into the notebook
            self.state.message = str(exc)
            self._show(False)

    def _schedule(self) -> None:
        """Debounce: run `update` once the sliders have been still for `debounce` seconds."""
        self._cancel()
        if self.debounce <= 0:
            self.update()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # plain Python, no event loop: update at once
            self.update()
            return
        self._pending = loop.call_later(self.debounce, self.update)

    def _cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _show(self, ok: bool) -> None:
        """The last good outcome (readout, status, charts), or why the last change was rejected."""
        if not ok:
            self.message_html.value = message_markup(self.message)
            self.message_html.layout.display = None
            return
        self.message_html.value = ""
        self.message_html.layout.display = "none"
        if self.state.words is not None:
            self.readout_html.value = readout_markup(self.state.words)
        ms = (self.latency or 0.0) * 1000
        self.status_html.value = f'<small style="color:#666">Updated in {ms:.0f} ms.</small>'
        self.charts.show(self.specs)


class ExplorerWidget(widgets.HBox):
    """The explorer app; `explorer` is the `Explorer` behind it (for scripting and tests)."""

    def __init__(self, explorer: Explorer, children: list[widgets.Widget]) -> None:
        super().__init__(children, layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        self.explorer = explorer


def explore(
    pack: Pack | None = None,
    scenario: str = DEFAULT_SCENARIO,
    *,
    paths: int = DEFAULT_EXPLORER_PATHS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
    as_of: dt.date | str | None = None,
    observations: Observations = None,
) -> ExplorerWidget:
    """The explorer app for `pack` (default: the project's pack), starting from preset `scenario`
    with `paths` (one of the paths slider's choices), `months` and `seed`; `as_of` starts it from the
    tracker's posterior on that date, given `observations` (default: the pack's log)."""
    return Explorer(
        pack,
        scenario,
        paths=paths,
        months=months,
        seed=seed,
        as_of=as_of,
        observations=observations,
    ).widget
