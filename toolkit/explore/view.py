"""The interactive explorer: move an assumption, see the consequence at once (ipywidgets 8).

`explore(pack=None, scenario="baseline")` returns the app: a preset dropdown, one slider per model
parameter (grouped: deployment, compensation, responses) plus the horizon and the number of paths, a
reset-to-preset button, a readout in words, and the engine's charts (phase fan, transfers by tier,
response tiers, policy table) that follow the sliders.

The logic lives in `Explorer`, which tests drive from Python (`set`, `reset`, `pick`, then `readout`,
`specs`, `message`); the widgets only call into it. Semantics:

- A preset is a scenario of the pack. A parameter keeps its preset value *and band* (sampled per path)
  until its slider is moved; a moved slider fixes it at the chosen point (the pack's rule for a numeric
  override). Moving it back to the preset value restores the band.
- Slider events are debounced (`debounce` seconds, on the kernel's event loop): a drag triggers one
  simulation when it pauses. Python calls (`set`, `reset`, `pick`) update at once.
- Every run uses the same seed (common random numbers), so a change in the charts is the effect of the
  change in assumptions, not Monte Carlo noise.
- Invalid combinations (e.g. transition probabilities out of one phase summing above 1) are rejected by
  the engine with a `ParameterError`; the app shows its message and keeps the last good readout and
  charts. No exception from an update reaches the notebook.

Charts are shown as Vega-Lite outputs inside `ipywidgets.Output` widgets, drawn by the Vega renderer that
JupyterLab and Voilà bundle (no CDN, no extra extension). That renderer is Vega-Lite 5, so the display
copy of each spec is labelled v5 (`specs` keeps Altair's own spec).

Speed (budget: <= 50 ms median from a slider change to new specs at 10,000 paths x 24 months, see
benchmarks/bench_explore.py): the model is compiled once per preset; a chart is rebuilt only when its input
frames changed; after each chart's first, schema-validated build, Altair's debug mode (validation of every
object at creation) is off while it is rebuilt.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as widgets
import polars as pl

from toolkit.errors import ParameterError, ToolkitError
from toolkit.fastimport import block_slow_optional_imports

if TYPE_CHECKING:
    from toolkit.engine.model import Model
    from toolkit.engine.simulation import SimulationResult
    from toolkit.pack.load import Pack

DEFAULT_PATHS: Final = 10_000
DEFAULT_MONTHS: Final = 24
DEFAULT_SEED: Final = 1
READOUT_MONTH: Final = 12
PATH_CHOICES: Final = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
MONTH_RANGE: Final = (1, 60)
DEBOUNCE: Final = 0.2
CHART_NAMES: Final = ("phases", "transfers", "responses", "policy")

VEGALITE_MIME: Final = "application/vnd.vegalite.v5+json"
VEGALITE_V5_SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v5.json"
GROUPS: Final = {
    "deployment": "Deployment: monthly moves between phases",
    "compensation": "Compensation: technology transfers",
    "responses": "Responses: decision lag and political will",
    "simulation": "Simulation",
}


# -- what a slider shows ------------------------------------------------------------------------
@dataclass(frozen=True)
class Knob:
    """One model parameter as a slider: plain-words label, unit, source, range and step."""

    id: str
    group: str
    label: str
    unit: str
    integer: bool
    minimum: float
    maximum: float
    step: float
    sourced: bool
    source: str  # one line: the claim and its estimative word, or "analyst assumption"
    tooltip: str  # description, then the claim's evidence or the assumption's rationale

    def clean(self, value: float) -> float:
        """A slider value without float noise (0.35000000000000003 -> 0.35)."""
        return float(round(value)) if self.integer else round(float(value), _decimals(self.step))


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def _step(minimum: float, maximum: float, integer: bool, values: list[float]) -> float:
    """The coarsest step with enough positions that still lands on the range start and every preset
    value (a slider snaps to its step grid; a value off the grid would move by itself)."""
    span = maximum - minimum
    candidates = (1000, 500, 100, 50, 10, 5, 1) if integer else (0.1, 0.05, 0.01, 0.005, 0.001)
    for step in candidates:
        if span / step < (20 if integer else 50):
            continue
        offsets = [(v - minimum) / step for v in values]
        if all(abs(o - round(o)) < 1e-6 for o in offsets):
            return float(step)
    return 1.0 if integer else span / 1000


def knobs(pack: Pack) -> list[Knob]:
    """Every model parameter as a `Knob`, grouped by what it drives and in ladder order."""
    params = {row["id"]: row for row in pack.parameters.iter_rows(named=True)}
    claims = {row["id"]: row for row in pack.claims.iter_rows(named=True)}
    preset_values: dict[str, list[float]] = {}
    for row in pack.overrides.iter_rows(named=True):
        preset_values.setdefault(row["parameter"], []).append(row["value"])

    deployment = [p for p in pack.transitions.get_column("parameter").to_list() if p]
    tiers = pack.response_tiers.filter(pl.col("status").cast(pl.String) != "ruled_out")
    responses = [p for pair in zip(tiers["lag"], tiers["will"], strict=True) for p in pair if p]
    group_of = dict.fromkeys(deployment, "deployment") | dict.fromkeys(responses, "responses")
    ordered = [
        *dict.fromkeys(deployment),
        *[p for p in params if group_of.get(p) is None],
        *dict.fromkeys(responses),
    ]
    out = []
    for pid in ordered:
        row = params[pid]
        integer = row["type"] == "int"
        values = [row["value"], *preset_values.get(pid, [])]
        claim = claims.get(row["claim"]) if row["claim"] else None
        if claim is not None:
            phrase = f" “{claim['phrase']}”" if claim.get("phrase") else ""
            source = f"sourced claim{phrase} ({claim['id']})"
            why = f"Claim: {claim['statement']}\nEvidence: “{claim['evidence']}”"
            if row["assumption"]:
                why += f"\nAnalyst's reading: {row['assumption']}"
        else:
            source = "analyst assumption"
            why = f"Analyst assumption: {row['assumption'] or 'no rationale given'}"
        out.append(
            Knob(
                id=pid,
                group=group_of.get(pid, "compensation"),
                label=row["label"],
                unit=row["unit"],
                integer=integer,
                minimum=float(row["min"]),
                maximum=float(row["max"]),
                step=_step(float(row["min"]), float(row["max"]), integer, values),
                sourced=bool(row["sourced"]),
                source=source,
                tooltip=f"{row['description']}\n\n{why}",
            )
        )
    return out


@dataclass(frozen=True)
class Setting:
    """A parameter's value in a preset: the point, and the band it is sampled from (if any)."""

    value: float
    low: float | None = None
    high: float | None = None

    def band(self, knob: Knob) -> str:
        if self.low is None or self.high is None or self.low == self.high:
            return ""
        return f"{_number(self.low, knob)}–{_number(self.high, knob)}"


def preset_settings(pack: Pack, preset: str) -> dict[str, Setting]:
    """Every parameter's value and band under `preset` (the baseline plus the preset's overrides)."""
    ids = pack.scenarios.get_column("id").cast(pl.String).to_list()
    if preset not in ids:
        raise ParameterError(f"unknown preset {preset!r} (presets: {', '.join(ids)})")
    settings = {
        row["id"]: Setting(row["value"], row["low"], row["high"])
        for row in pack.parameters.iter_rows(named=True)
    }
    chain = ["baseline", preset] if preset != "baseline" else [preset]
    for name in chain:
        rows = pack.overrides.filter(pl.col("scenario").cast(pl.String) == name)
        for row in rows.iter_rows(named=True):
            settings[row["parameter"]] = Setting(row["value"], row["low"], row["high"])
    return settings


def _number(value: float, knob: Knob | None = None) -> str:
    if knob is not None and knob.integer:
        return f"{round(value):,}"
    decimals = _decimals(knob.step) if knob is not None else 2
    return f"{value:.{decimals}f}"


def _percent(p: float) -> str:
    if 0 < p < 0.005:
        return "under 1 %"
    if 0.995 < p < 1:
        return "over 99 %"
    return f"{p * 100:.0f} %"


# -- the logic ----------------------------------------------------------------------------------
ChartFunction = Callable[["SimulationResult"], Any]


class Explorer:
    """The explorer's state and widgets. Drive it from Python or through `widget`.

    `set(name, value)` moves a slider (`name` is a parameter id, `months` or `paths`), `reset()`
    returns to the preset, `pick(preset)` chooses another preset; each updates at once. `readout`
    (text), `specs` (Vega-Lite dicts by chart name), `message` (empty, or why the last change was
    rejected) and `result` describe the last good state.
    """

    def __init__(
        self,
        pack: Pack | None = None,
        scenario: str = "baseline",
        *,
        paths: int = DEFAULT_PATHS,
        months: int = DEFAULT_MONTHS,
        seed: int = DEFAULT_SEED,
        debounce: float = DEBOUNCE,
    ) -> None:
        from toolkit.pack.load import load_pack

        block_slow_optional_imports()
        self.pack = pack if pack is not None else load_pack()
        self.seed = seed
        self.debounce = debounce
        self.knobs = {k.id: k for k in knobs(self.pack)}
        self.preset = scenario
        self.settings = preset_settings(self.pack, scenario)
        self.result: SimulationResult | None = None
        self.specs: dict[str, dict[str, Any]] = {}
        self.readout = ""
        self.message = ""
        self.latency: float | None = None  # seconds of the last successful update (to specs)
        self.updates = 0
        self._models: dict[str, Model] = {}
        self._chart_cache: dict[str, tuple[tuple[Any, ...], tuple[Any, ...], dict[str, Any]]] = {}
        self._validated: set[str] = set()  # charts whose spec passed schema validation once
        self._quiet = False
        self._pending: asyncio.TimerHandle | None = None
        self._build_widgets(paths, months)
        self.update()

    # -- state ----------------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, float]:
        """Every parameter's slider value."""
        return {pid: self.knobs[pid].clean(s.value) for pid, s in self.sliders.items()}

    @property
    def overrides(self) -> dict[str, float]:
        """The parameters moved away from the preset: fixed at the slider's value."""
        return {
            pid: (int(v) if self.knobs[pid].integer else v)
            for pid, v in self.values.items()
            if abs(v - self.settings[pid].value) > 1e-9
        }

    @property
    def months(self) -> int:
        return int(self.months_slider.value)

    @property
    def paths(self) -> int:
        return int(self.paths_slider.value)

    # -- Python API -------------------------------------------------------------------------------
    def set(self, name: str, value: float) -> bool:
        """Move slider `name` (a parameter id, `months` or `paths`) to `value` and update now.

        Returns False when the engine rejects the combination (then `message` says why). An unknown
        name or a value outside the slider's range raises `ParameterError`.
        """
        if name == "months":
            lo, hi = MONTH_RANGE
            if not (isinstance(value, int) and lo <= value <= hi):
                raise ParameterError(
                    f"months expects a whole number in [{lo}, {hi}], got {value!r}"
                )
            self.months_slider.value = value
        elif name == "paths":
            if value not in PATH_CHOICES:
                raise ParameterError(f"paths expects one of {list(PATH_CHOICES)}, got {value!r}")
            self.paths_slider.value = int(value)
        else:
            knob = self.knobs.get(name)
            if knob is None:
                raise ParameterError(
                    f"unknown parameter {name!r} (sliders: {', '.join(self.knobs)})"
                )
            if knob.integer and not float(value).is_integer():
                raise ParameterError(f"parameter {name!r} expects a whole number, got {value!r}")
            if not knob.minimum <= value <= knob.maximum:
                raise ParameterError(
                    f"parameter {name!r} = {value} is out of its valid range "
                    f"[{_number(knob.minimum, knob)}, {_number(knob.maximum, knob)}]"
                )
            self.sliders[name].value = int(value) if knob.integer else float(value)
        self.flush()
        return not self.message

    def reset(self) -> bool:
        """Move every slider back to the preset (bands restored) and update now."""
        self._cancel()
        self._show_preset()
        return self.update()

    def pick(self, preset: str) -> bool:
        """Choose another preset: its values and bands, then update now."""
        self.settings = preset_settings(self.pack, preset)  # raises on an unknown preset
        self.preset = preset
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

    # -- the update -------------------------------------------------------------------------------
    def compute(self) -> tuple[SimulationResult, str, str, dict[str, dict[str, Any]]]:
        """Simulate the current settings: result, readout (text and HTML) and chart specs.

        Raises what the engine raises (`ParameterError` for invalid combinations).
        """
        from toolkit.engine.simulation import simulate

        overrides: dict[str, Any] = self.overrides
        result = simulate(
            self._model(), paths=self.paths, months=self.months, seed=self.seed, **overrides
        )
        text, markup = self._describe(result)
        return result, text, markup, self._chart_specs(result)

    def update(self) -> bool:
        """Recompute now. On failure show why and keep the last good readout and charts."""
        self._pending = None
        started = time.perf_counter()
        try:
            result, text, markup, specs = self.compute()
        except ToolkitError as exc:
            self._fail(str(exc))
            return False
        except Exception as exc:  # never raise into the notebook
            self._fail(f"unexpected error ({type(exc).__name__}): {exc}")
            return False
        self.latency = time.perf_counter() - started
        self.result, self.readout, self.specs, self.message = result, text, specs, ""
        self.updates += 1
        self._render(markup)
        return True

    def _model(self) -> Model:
        from toolkit.engine.compile import compile_model

        if self.preset not in self._models:
            self._models[self.preset] = compile_model(self.pack, self.preset)
        return self._models[self.preset]

    def _fail(self, reason: str) -> None:
        self.message = reason
        self.message_html.value = (
            '<div class="tk-message" style="border-left:4px solid #D55E00;background:#FDF0E8;'
            'padding:6px 10px;margin:4px 0">'
            f"<b>These settings cannot be simulated.</b> {html.escape(reason)}<br>"
            "<small>The readout and charts still show the last valid settings.</small></div>"
        )
        self.message_html.layout.display = None

    # -- words --------------------------------------------------------------------------------------
    def _describe(self, result: SimulationResult) -> tuple[str, str]:
        """The readout: one headline sentence, then a few more, as text and as HTML."""
        within = min(READOUT_MONTH, result.months)
        tiers = self.pack.response_tiers.filter(pl.col("status").cast(pl.String) != "ruled_out")
        labels = dict(zip(tiers["id"].cast(pl.String), tiers["label"], strict=True))
        timing = _decision_times(result)
        top = tiers["id"].cast(pl.String)[-1]
        lines = [_tier_sentence(result, top, labels[top], within, timing, headline=True)]
        phases = self.pack.phases.sort("escalation", descending=True, maintain_order=True)
        highest = str(phases["id"][0])
        lines.append(
            f"Troops reach “{phases['label'][0]}” within {within} months in "
            f"{_percent(result.probability_by(highest, within))} of paths "
            f"({_percent(result.probability_by(highest, result.months))} within "
            f"{result.months} months)."
        )
        lines += [
            f"At least one {tier} technology is transferred within {within} months in "
            f"{_percent(result.probability_by(tier, within))} of paths."
            for tier in self.pack.tech_tiers["id"].cast(pl.String)
        ]
        lines += [
            _tier_sentence(result, tier, labels[tier], within, timing, headline=False)
            for tier in reversed(list(labels)[:-1])
        ]
        moved = self.overrides
        fixed = (
            "You fixed "
            + "; ".join(
                f"{self.knobs[k].label} = {_number(v, self.knobs[k])}" for k, v in moved.items()
            )
            + "."
            if moved
            else "All parameters at the preset."
        )
        basis = (
            f"Preset “{self._preset_label()}”. {fixed} {result.paths:,} paths × {result.months} "
            f"months, seed {result.seed}; parameters with a band are sampled per path."
        )
        text = "\n".join([*lines, basis])
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines[1:])
        markup = (
            '<div class="tk-readout" style="line-height:1.4;margin-top:8px">'
            '<p class="tk-headline" style="font-size:1.15em;font-weight:bold;margin:0 0 6px">'
            f"{html.escape(lines[0])}</p>"
            f'<ul style="margin:0 0 6px 0;padding-left:18px">{items}</ul>'
            f'<p style="color:#666;margin:0"><small>{html.escape(basis)}</small></p></div>'
        )
        return text, markup

    def _preset_label(self) -> str:
        row = self.pack.scenarios.filter(pl.col("id").cast(pl.String) == self.preset).row(
            0, named=True
        )
        return str(row["label"])

    # -- charts -------------------------------------------------------------------------------------
    def _chart_specs(self, result: SimulationResult) -> dict[str, dict[str, Any]]:
        """Vega-Lite specs of the four charts.

        A chart whose inputs did not change keeps its spec (with the same seed, moving a response
        slider leaves the phase and transfer frames identical). The first spec of each chart is
        validated against the Vega-Lite schema; later ones differ only in their data and are built
        with Altair's debug mode off (no validation of every object at creation), which halves the
        time Altair takes.
        """
        from altair.utils.schemapi import debug_mode

        from toolkit import charts

        # The chart module's `ResultLike` protocol declares plain (settable) attributes, which a
        # frozen `SimulationResult` does not match for mypy; the charts only read them.
        frames: Any = result
        builders: dict[str, tuple[tuple[Any, ...], Callable[[], Any]]] = {
            "phases": ((result.phases,), lambda: charts.chart_phases(frames, self.pack)),
            "transfers": (
                (result.transfers, result.transfer_tiers),
                lambda: charts.chart_transfers(frames, self.pack),
            ),
            "responses": ((result.responses,), lambda: charts.chart_responses(frames, self.pack)),
            "policy": ((), lambda: self._policy_chart(result)),  # triggers only: fixed per pack
        }
        run = (result.scenario, result.paths, result.months, result.seed)
        specs = {}
        for name, (inputs, build) in builders.items():
            cached = self._chart_cache.get(name)
            if cached is not None and cached[0] == run and _same(cached[1], inputs):
                specs[name] = cached[2]
                continue
            if name in self._validated:
                with debug_mode(False):
                    specs[name] = _spec(build(), validate=False)
            else:
                specs[name] = _spec(build(), validate=True)
                self._validated.add(name)
            self._chart_cache[name] = (run, inputs, specs[name])
        return specs

    def _policy_chart(self, result: SimulationResult) -> Any:
        from toolkit import charts
        from toolkit.engine.analysis import tabulate_policy

        return charts.chart_policy_table(tabulate_policy(result.model), self.pack)

    # -- widgets ------------------------------------------------------------------------------------
    def _build_widgets(self, paths: int, months: int) -> None:
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
            slider = self._slider(knob)
            note = widgets.HTML(tooltip=knob.tooltip, layout=widgets.Layout(width="290px"))
            self.sliders[knob.id] = slider
            self.notes[knob.id] = note
            slider.observe(self._on_slider, names="value")
            rows[knob.group].append(
                widgets.HBox([note, slider], layout=widgets.Layout(align_items="center"))
            )
        style = {"description_width": "130px"}
        self.months_slider = widgets.IntSlider(
            value=months,
            min=MONTH_RANGE[0],
            max=MONTH_RANGE[1],
            description="Horizon (months)",
            style=style,
            layout=widgets.Layout(width="470px"),
        )
        self.paths_slider = widgets.SelectionSlider(
            options=[(f"{n:,}", n) for n in PATH_CHOICES],
            value=paths if paths in PATH_CHOICES else DEFAULT_PATHS,
            description="Paths simulated",
            style=style,
            layout=widgets.Layout(width="470px"),
        )
        self.months_slider.add_class("tk-knob-months")
        self.paths_slider.add_class("tk-knob-paths")
        self.months_slider.observe(self._on_slider, names="value")
        self.paths_slider.observe(self._on_slider, names="value")
        rows["simulation"] += [
            self.months_slider,
            self.paths_slider,
            widgets.HTML(
                '<div style="line-height:1.3"><small>Paths are Monte Carlo runs. Every run uses the '
                "same seed, so a difference between two settings comes from the assumptions, not "
                "from noise.</small></div>"
            ),
        ]
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
        self.outputs = {
            name: widgets.Output(layout=widgets.Layout(min_height="300px", overflow="auto"))
            for name in CHART_NAMES
        }
        for name, out in self.outputs.items():
            out.add_class(f"tk-chart-{name}")
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
            list(self.outputs.values()), layout=widgets.Layout(flex="1 1 720px", min_width="0")
        )
        self.widget = ExplorerWidget(self, [left, right])
        self._show_preset()

    def _slider(self, knob: Knob) -> widgets.FloatSlider | widgets.IntSlider:
        value = self.settings[knob.id].value
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
                value=value, readout_format=f".{_decimals(knob.step)}f", **common
            )
        slider.add_class(f"tk-knob-{knob.id}")
        return slider

    def _show_preset(self) -> None:
        """Sliders to the preset's values, without triggering updates."""
        self._quiet = True
        try:
            for pid, slider in self.sliders.items():
                value = self.settings[pid].value
                slider.value = round(value) if self.knobs[pid].integer else value
        finally:
            self._quiet = False
        row = self.pack.scenarios.filter(pl.col("id").cast(pl.String) == self.preset)
        description = str(row["description"][0]) if row.height else ""
        self.preset_note.value = (
            f'<div style="line-height:1.3;margin:2px 0 6px"><small>{html.escape(description)}'
            "</small></div>"
        )
        for pid in self.sliders:
            self._note(pid)

    def _note(self, pid: str) -> None:
        knob, setting = self.knobs[pid], self.settings[pid]
        parts = [html.escape(knob.unit), html.escape(knob.source)]
        value = knob.clean(self.sliders[pid].value)
        band = setting.band(knob)
        if abs(value - setting.value) > 1e-9:
            preset = _number(setting.value, knob) + (f", sampled {band}" if band else "")
            parts.append(f'<span style="color:#D55E00">fixed by you (preset {preset})</span>')
        elif band:
            parts.append(f"sampled {band}")
        colour = "#0072B2" if knob.sourced else "#666"
        self.notes[pid].value = (
            f'<div style="line-height:1.25;margin:3px 0"><b>{html.escape(knob.label)}</b><br>'
            f'<small style="color:{colour}">{" · ".join(parts)}</small></div>'
        )

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        owner = change.get("owner")
        for pid, slider in self.sliders.items():
            if slider is owner:
                self._note(pid)
        self._schedule()

    def _on_preset(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        try:
            self.pick(str(change["new"]))
        except Exception as exc:  # never raise into the notebook
            self._fail(str(exc))

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

    def _render(self, markup: str) -> None:
        self.message_html.value = ""
        self.message_html.layout.display = "none"
        self.readout_html.value = markup
        ms = (self.latency or 0.0) * 1000
        self.status_html.value = f'<small style="color:#666">Updated in {ms:.0f} ms.</small>'
        for name, spec in self.specs.items():
            self.outputs[name].outputs = (_display_output(spec),)


def _decision_times(result: SimulationResult) -> dict[str, tuple[float, int | None]]:
    """Per response tier: P(decided within the horizon) and the median decision month of those paths."""
    frame = (
        result.time_to_response.filter(pl.col("month").is_not_null())
        .sort("tier", "month", maintain_order=True)
        .group_by("tier", maintain_order=True)
        .agg(
            pl.col("probability").sum().alias("reached"),
            pl.col("month")
            .filter(pl.col("probability").cum_sum() >= 0.5 * pl.col("probability").sum() - 1e-12)
            .first()
            .alias("median"),
        )
    )
    return {
        str(row["tier"]): (float(row["reached"]), row["median"] if row["reached"] > 0 else None)
        for row in frame.iter_rows(named=True)
    }


def _tier_sentence(
    result: SimulationResult,
    tier: str,
    label: str,
    within: int,
    timing: Mapping[str, tuple[float, int | None]],
    *,
    headline: bool,
) -> str:
    """ "Under these assumptions the … tier is reached within 12 months in 23 % of paths …" """
    reached, median = timing.get(tier, (0.0, None))
    where = (
        f"; where it is reached within {result.months} months, the median is month {median}"
        if median is not None
        else ""
    )
    start = "Under these assumptions the" if headline else "The"
    return (
        f"{start} “{label}” tier is reached within {within} months in "
        f"{_percent(result.probability_by(tier, within))} of paths "
        f"({_percent(reached)} within {result.months} months){where}."
    )


class ExplorerWidget(widgets.HBox):
    """The explorer app; `explorer` is the `Explorer` behind it (for scripting and tests)."""

    def __init__(self, explorer: Explorer, children: list[widgets.Widget]) -> None:
        super().__init__(children, layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        self.explorer = explorer


def _same(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """Equal chart inputs: frames by value, anything else by `==`."""
    if len(old) != len(new):
        return False
    for a, b in zip(old, new, strict=True):
        if isinstance(a, pl.DataFrame) and isinstance(b, pl.DataFrame):
            if not a.equals(b):
                return False
        elif isinstance(a, pl.DataFrame) or isinstance(b, pl.DataFrame) or a != b:
            return False
    return True


def _spec(chart: Any, *, validate: bool) -> dict[str, Any]:
    """A chart (Altair object or spec dict) as a Vega-Lite dict."""
    if isinstance(chart, dict):
        return chart
    spec: dict[str, Any] = chart.to_dict(validate=validate)
    return spec


def _display_output(spec: Mapping[str, Any]) -> dict[str, Any]:
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


def explore(pack: Pack | None = None, scenario: str = "baseline") -> ExplorerWidget:
    """The explorer app for `pack` (default: the project's pack), starting from preset `scenario`."""
    return Explorer(pack, scenario).widget
