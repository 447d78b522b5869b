"""The explorer's state and rules, headless: what the sliders hold and what the app must show.

`ExplorerState` holds the preset, every parameter's value, the start state, the horizon and the number of
paths. `set`, `set_start`, `reset` and `pick` change them (checked against the knobs' ranges and the
phases) and run the engine; the last good run leaves `result`, `readout` (text; `words` has its parts)
and `specs` (Vega-Lite dicts by chart name). No
widgets here: `toolkit.explore.view` builds the ipywidgets around a state, and tests drive one directly.

- A preset is a scenario of the pack. A parameter keeps its preset value *and band* (sampled per path)
  until it is moved; a moved parameter is fixed at the chosen point (the pack's rule for a numeric
  override). Moving it back to the preset value restores the band.
- The start state (month 0) is the pack's, or every path in one phase (`set_start`), or the tracker's
  posterior on an as-of date (`set_as_of`, `toolkit.explore.asof`: month 0 of the charts is then that
  date); like the horizon and the number of paths it is not part of a preset, so `reset` and `pick`
  keep it.
- The readout names what the run rests on (preset, every parameter you fixed, the start state), each
  tier's never-decide share, and the analyst's readings behind the phases and tiers it names.
- Every run uses the same seed (common random numbers), so a change in the charts is the effect of the
  change in assumptions, not Monte Carlo noise. Seed, horizon and preset start from
  `toolkit.engine.defaults`; the paths from its `DEFAULT_EXPLORER_PATHS` (fewer than a report's, for
  speed).
- Invalid combinations are rejected by the engine with a `ParameterError`; `update` then sets `message`
  to why and keeps the last good readout and charts. No exception from an update escapes.

Speed (goal, issue 16: median <= 25 ms, p95 <= 40 ms from a slider change to new specs at the default
paths and horizon; benchmarks/bench_explore.py measures it): the model is compiled once per preset; a
run takes the up-front random numbers and the unmoved parameters' per-path draws of the last runs
from a memo (`toolkit.engine.drawmemo`: same seed, same numbers); the charts are built with Altair once
per structure and then only their data is swapped, made from the run's counts without frames
(`toolkit.explore.specs`); a chart whose inputs did not change keeps its spec.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from toolkit.engine.defaults import (
    DEFAULT_EXPLORER_PATHS,
    DEFAULT_MONTHS,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    DEFAULT_WITHIN,
)
from toolkit.errors import ParameterError, ToolkitError, shown
from toolkit.explore.asof import AsOf
from toolkit.explore.knobs import Setting, knobs, number, preset_settings
from toolkit.explore.readout import Readout, Words, percent
from toolkit.explore.specs import ChartSpecs
from toolkit.fastimport import block_slow_optional_imports

if TYPE_CHECKING:
    from toolkit.engine.drawmemo import DrawMemo
    from toolkit.engine.model import Model
    from toolkit.engine.result import SimulationResult
    from toolkit.pack.load import Pack
    from toolkit.track.tracker import Observations

READOUT_MONTH: Final = DEFAULT_WITHIN
PATH_CHOICES: Final = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
MONTH_RANGE: Final = (1, 60)


class ExplorerState:
    """The explorer's settings and the last good outcome; see the module docstring.

    `set(name, value)` moves one control (`name` is a parameter id, `months` or `paths`), `reset()`
    returns to the preset, `pick(preset)` chooses another preset; each runs the engine and returns
    False when it rejects the combination. `check`, `assign`, `to_preset` and `choose` make the same
    changes without running, for a view that runs `update` later (debounced).
    """

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
    ) -> None:
        from toolkit.engine.drawmemo import DrawMemo
        from toolkit.pack.load import load_pack

        block_slow_optional_imports()
        self.pack = pack if pack is not None else load_pack()
        self.seed = seed
        self.knobs = {k.id: k for k in knobs(self.pack)}
        self.preset = scenario
        self.settings: dict[str, Setting] = preset_settings(self.pack, scenario)
        self.values: dict[str, float] = {}  # every parameter's value, as its slider holds it
        self.to_preset()
        self.start: str | None = None  # None: the pack's start state; else every path in this phase
        self._preset_rows: dict[str, dict[str, Any]] = {}  # the scenarios' rows by id, read once
        self.tracker = AsOf(self.pack, observations)  # the as-of dates and the tracker's posteriors
        self.as_of: dt.date | None = self.tracker.check(as_of)  # None: month 0 = the article's date
        self.check("months", months)  # a value its slider cannot take is an error, not replaced
        self.check("paths", paths)
        self.months, self.paths = int(months), int(paths)
        self.result: SimulationResult | None = None
        self.words: Readout | None = None
        self.readout = ""  # `words` as text
        self.specs: dict[str, dict[str, Any]] = {}
        self.message = ""  # empty, or why the last change was rejected
        self.latency: float | None = None  # seconds of the last successful update (to specs)
        self.timings: dict[str, float] = {}  # the last run's parts, in seconds
        self.updates = 0
        self._models: dict[str, Model] = {}
        self.memo: DrawMemo = (
            DrawMemo()
        )  # the up-front draws of the last runs (the same seed every run)
        self.words_for = Words(self.pack, READOUT_MONTH)  # the readout's sentences
        self.charts = ChartSpecs(self.pack)  # the charts' templates (built once, data swapped)
        self.update()

    # -- settings ---------------------------------------------------------------------------------
    def moved(self, pid: str) -> bool:
        """Whether parameter `pid` is away from its preset value (then fixed, not sampled)."""
        # the preset's own value, or where its slider shows it (the grid point nearest to it)
        value, preset = self.values[pid], self.settings[pid].value
        return abs(value - preset) > 1e-9 and abs(value - self.knobs[pid].snap(preset)) > 1e-9

    @property
    def overrides(self) -> dict[str, float]:
        """The parameters moved away from the preset: fixed at their values."""
        return {
            pid: (int(v) if self.knobs[pid].integer else v)
            for pid, v in self.values.items()
            if self.moved(pid)
        }

    def check(self, name: str, value: float) -> None:
        """Raise `ParameterError` unless control `name` (a parameter id, `months` or `paths`) can
        take `value`."""
        if name == "months":
            lo, hi = MONTH_RANGE
            if not (isinstance(value, int) and lo <= value <= hi):
                raise ParameterError(
                    f"months expects a whole number in [{lo}, {hi}], got {shown(value)}"
                )
        elif name == "paths":
            if value not in PATH_CHOICES:
                raise ParameterError(
                    f"paths expects one of {list(PATH_CHOICES)}, got {shown(value)}"
                )
        else:
            knob = self.knobs.get(name)
            if knob is None:
                raise ParameterError(
                    f"unknown parameter {shown(name)} (sliders: {', '.join(self.knobs)})"
                )
            if knob.integer and not (isinstance(value, int) or float(value).is_integer()):
                raise ParameterError(
                    f"parameter {name!r} expects a whole number, got {shown(value)}"
                )
            if not knob.minimum <= value <= knob.maximum:
                raise ParameterError(
                    f"parameter {name!r} = {shown(value)} is out of its valid range "
                    f"[{number(knob.minimum, knob)}, {number(knob.maximum, knob)}]"
                )

    def assign(self, name: str, value: float) -> None:
        """Put control `name` at `value` (a value its slider holds) without running."""
        if name == "months":
            self.months = int(value)
        elif name == "paths":
            self.paths = int(value)
        else:
            self.values[name] = self.knobs[name].clean(value)

    def to_preset(self) -> None:
        """Every parameter back to the preset's value (bands restored), without running."""
        self.values = {
            pid: knob.clean(self.settings[pid].value) for pid, knob in self.knobs.items()
        }

    def choose(self, preset: str) -> None:
        """Another preset, its values and bands, without running. Raises on an unknown preset."""
        self.settings = preset_settings(self.pack, preset)
        self.preset = preset
        self.to_preset()

    def start_choices(self) -> list[tuple[str, str | None]]:
        """The start states on offer, as (words, value): the pack's (None), then each phase."""
        phases = self.pack.phases
        labels = dict(zip(phases["id"].cast(pl.String), phases["label"], strict=True))
        start = self.pack.start.select(pl.col("phase").cast(pl.String), "probability")
        shares = ", ".join(f"{percent(p)} {labels[ph]}" for ph, p in start.iter_rows() if p > 0)
        return [
            (f"The pack's ({shares})", None),
            *[(f"All paths: {label}", pid) for pid, label in labels.items()],
        ]

    def assign_start(self, phase: str | None) -> None:
        """Start every path in `phase` (None: the pack's start state), without running. An unknown
        phase raises `ParameterError`."""
        phases = self.pack.phases["id"].cast(pl.String).to_list()
        if phase is not None and phase not in phases:
            raise ParameterError(
                f"start: unknown phase {shown(phase)} (phases: {', '.join(phases)})"
            )
        self.start = phase
        if phase is not None:
            self.as_of = None  # a start state chosen by hand replaces the tracker's

    def as_of_choices(self) -> list[tuple[str, dt.date | None]]:
        """The as-of dates on offer, as (words, value): None (the article's date), then each date an
        observation was reported (see `toolkit.explore.asof`)."""
        return self.tracker.choices()

    def assign_as_of(self, day: dt.date | str | None) -> None:
        """Start the runs from the tracker's posterior on `day` (month 0 = `day`; None: the article's
        date and the start state of `start`), without running. A date outside the tracker's range
        raises `ParameterError`. A date replaces a start state chosen by hand."""
        self.as_of = self.tracker.check(day)
        if self.as_of is not None:
            self.start = None

    def set_as_of(self, day: dt.date | str | None) -> bool:
        """`assign_as_of`, then run."""
        self.assign_as_of(day)
        return self.update()

    def set_start(self, phase: str | None) -> bool:
        """Start every path in `phase` (None: the pack's start state) and run."""
        self.assign_start(phase)
        return self.update()

    def set(self, name: str, value: float) -> bool:
        """Move control `name` to `value` and run. An unknown name or a value its slider cannot take
        raises `ParameterError`; False means the engine rejected the combination (see `message`)."""
        self.check(name, value)
        self.assign(name, value)
        return self.update()

    def reset(self) -> bool:
        """Every parameter back to the preset, then run."""
        self.to_preset()
        return self.update()

    def pick(self, preset: str) -> bool:
        """Choose another preset, then run."""
        self.choose(preset)
        return self.update()

    def preset_row(self) -> dict[str, Any]:
        """The current preset's row of the pack's scenarios (id, label, description, ...)."""
        if not self._preset_rows:
            scenarios = self.pack.scenarios.iter_rows(named=True)
            self._preset_rows.update({str(row["id"]): row for row in scenarios})
        return self._preset_rows[self.preset]

    # -- the run ----------------------------------------------------------------------------------
    def update(self) -> bool:
        """Run now. On failure set `message` and keep the last good outcome; never raises."""
        started = time.perf_counter()
        try:
            result, words, specs = self.compute()
        except ToolkitError as exc:
            self.message = str(exc)
            return False
        except Exception as exc:  # never raise into the notebook
            self.message = f"unexpected error ({type(exc).__name__}): {exc}"
            return False
        self.latency = time.perf_counter() - started
        self.result, self.words, self.readout, self.specs = result, words, words.text, specs
        self.message = ""
        self.updates += 1
        return True

    def compute(self) -> tuple[SimulationResult, Readout, dict[str, dict[str, Any]]]:
        """Simulate the current settings: the result, the readout and the chart specs.

        Raises what the engine raises (`ParameterError` for invalid combinations).
        """
        from toolkit.engine.simulation import simulate

        overrides: dict[str, Any] = self.overrides
        start = {self.start: 1.0} if self.start is not None else None
        transferred = decided = tiers = reached = None
        if self.as_of is not None:
            begin = self.tracker.start(self.as_of, self.preset, overrides)
            start, transferred, decided = begin.phases, begin.transferred, begin.decided
            tiers, reached = begin.tiers, begin.reached
        started = time.perf_counter()
        result = simulate(
            self.model(), paths=self.paths, months=self.months, seed=self.seed, start=start,
            start_transferred=transferred, start_decided=decided, start_tiers=tiers,
            start_reached=reached, memo=self.memo, **overrides,
        )  # fmt: skip
        simulated = time.perf_counter()
        words = self._describe(result)
        described = time.perf_counter()
        specs = self.charts.specs(result, self.as_of)
        self.timings = {
            "simulate": simulated - started,
            "readout": described - simulated,
            "charts": time.perf_counter() - described,
        }
        return result, words, specs

    def model(self) -> Model:
        """The preset's compiled model (compiled once per preset)."""
        from toolkit.engine.compile import compile_model

        if self.preset not in self._models:
            self._models[self.preset] = compile_model(self.pack, self.preset)
        return self._models[self.preset]

    # -- words --------------------------------------------------------------------------------------
    def _describe(self, result: SimulationResult) -> Readout:
        """The readout: the run in words, and the basis of the run (what it rests on)."""
        moved = self.overrides
        fixed = (
            "You fixed "
            + "; ".join(
                f"{self.knobs[k].label} = {number(v, self.knobs[k])}" for k, v in moved.items()
            )
            + "."
            if moved
            else "All parameters at the preset."
        )
        whose = "the pack's start state" if self.start is None else "set by you"
        if self.as_of is not None:
            n = self.tracker.used(self.as_of)
            whose = (
                f"the tracker's posterior on {self.as_of:%d %B %Y}, from the {n} observation"
                f"{'s' * (n != 1)} reported by then; month 0 is that date, and a phase gone "
                "through since the pack's date counts as reached"
            )
        return self.words_for.describe(
            result, preset=str(self.preset_row()["label"]), fixed=fixed, whose=whose
        )
