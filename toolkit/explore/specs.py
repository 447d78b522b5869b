"""The explorer's chart specs, fast (issue 16): each chart is built once with Altair, then only its data
is swapped.

Building a chart with Altair and serialising it (`to_dict`: deep copies, merging layer parameters, the
schema walk) took about four fifths of a slider update; the engine run about a fifth. Between two runs
of the same structure (same preset, horizon, paths, seed, month 0 and ladders) a chart's spec
differs only in its data: the engine's frames, inlined as Vega-Lite named datasets. So `ChartSpecs`
keeps, per chart and structure, a *template*: the full spec built once with Altair (validated against
the Vega-Lite schema the first time), its run datasets renamed to stable names (`phases`,
`transfer_tiers`, `transfers`, `responses`, see `SOURCES`). An update makes the rows the chart modules
would inline straight from the run's counts (`SimulationResult.chart_rows`: the same grids the frames
are made from, no frame built) and returns the template with those datasets replaced (a shallow copy:
the rest of the spec is shared and never mutated). `full` builds a spec the old way, with
the same stable names; tests check that both give equal specs, and the benchmark uses it as its
baseline. A chart whose template does not expose one of its sources (a chart function changed what it
inlines) is rebuilt in full on every update, which stays correct, only slower.

A chart whose inputs (the outputs' probability arrays) are equal to the last run's keeps its spec
object (with the same seed, a response slider leaves the phase and transfer outputs identical). No widgets here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from toolkit.engine.result import SimulationResult
    from toolkit.pack.load import Pack

CHART_NAMES: Final = ("phases", "transfers", "responses", "policy")
#: per chart: the result outputs it inlines, each as the named dataset of the same name; the
#: policy table depends on the model's triggers only and has none
SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "phases": ("phases",),
    "transfers": ("transfer_tiers", "transfers"),
    "responses": ("responses",),
    "policy": (),
}

Spec = dict[str, Any]
MAX_TEMPLATES: Final = 256  # structures kept (a few tens of kB each)


class ChartSpecs:
    """The four charts' Vega-Lite specs for a pack, built once per structure and then refilled."""

    def __init__(self, pack: Pack, *, fast: bool = True) -> None:
        self.pack = pack
        self.fast = fast  # False: build every changed chart with Altair (the old path, a baseline)
        self._templates: dict[tuple[Any, ...], Spec | None] = {}  # None: no fast path for it
        self._last: dict[str, tuple[tuple[Any, ...], tuple[np.ndarray, ...], Spec]] = {}
        self._validated: set[str] = set()  # charts whose spec passed schema validation once
        self.refills = 0  # specs made by swapping data into a template (the fast path)
        self.builds = 0  # specs built with Altair

    def specs(self, result: SimulationResult, month0: dt.date | None) -> dict[str, Spec]:
        """Every chart's spec for `result` (month 0 of the axes: `month0`, else the pack's date)."""
        return {name: self.spec(name, result, month0) for name in CHART_NAMES}

    def spec(self, name: str, result: SimulationResult, month0: dt.date | None) -> Spec:
        key = _structure(name, result, month0)
        inputs = tuple(result.grid(output).prob for output in SOURCES[name])
        last = self._last.get(name)
        if last is not None and last[0] == key and _same(last[1], inputs):
            return last[2]
        if not self.fast:
            spec = self.full(name, result, month0)
        elif key not in self._templates:
            spec = self.full(name, result, month0)
            names = set(SOURCES[name])
            if len(self._templates) >= MAX_TEMPLATES:  # e.g. a long drag of the horizon slider
                self._templates.pop(next(iter(self._templates)))  # the oldest
            self._templates[key] = spec if names <= set(spec.get("datasets", {})) else None
        else:
            template = self._templates[key]
            if template is None:
                spec = self.full(name, result, month0)
            else:
                spec = {**template, "datasets": {**template["datasets"], **_rows(name, result)}}
                self.refills += 1
        self._last[name] = (key, inputs, spec)
        return spec

    def full(self, name: str, result: SimulationResult, month0: dt.date | None) -> Spec:
        """The chart built with Altair, its run datasets under their stable names (the slow path:
        the fast path's reference and the benchmark's baseline)."""
        from altair.utils.schemapi import debug_mode

        build = self._builder(name, result, month0)
        if name in self._validated:
            with debug_mode(False):  # no validation of every object at creation
                spec: Spec = build().to_dict(validate=False)
        else:
            spec = build().to_dict(validate=True)
            self._validated.add(name)
        self.builds += 1
        return _renamed(spec, _rows(name, result))

    def _builder(
        self, name: str, result: SimulationResult, month0: dt.date | None
    ) -> Callable[[], Any]:
        from toolkit import charts

        # The chart module's `ResultLike` protocol declares plain (settable) attributes, which a
        # frozen `SimulationResult` does not match for mypy; the charts only read them.
        frames: Any = result
        if name == "phases":
            return lambda: charts.chart_phases(frames, self.pack, month0)
        if name == "transfers":
            return lambda: charts.chart_transfers(frames, self.pack, month0)
        if name == "responses":
            return lambda: charts.chart_responses(frames, self.pack, month0)
        if name == "policy":
            return lambda: self._policy(result)
        raise KeyError(name)

    def _policy(self, result: SimulationResult) -> Any:
        from toolkit import charts
        from toolkit.engine.analysis import tabulate_policy

        return charts.chart_policy_table(tabulate_policy(result.model), self.pack)


def _structure(name: str, result: SimulationResult, month0: dt.date | None) -> tuple[Any, ...]:
    """What a chart's spec depends on besides its data: the run's caption, month 0 and its outputs'
    ladders (the frames' Enum orders: axes, legends, stack order) and month type (the step)."""
    ladders = []
    for output in SOURCES[name]:
        grid = result.grid(output)
        extra = tuple((col, tuple(dtype.categories.to_list())) for col, dtype, _ in grid.extra)
        ladders.append((grid.key, grid.items, extra))
    return (
        name, result.scenario, result.paths, result.months, result.seed, result.step, month0,
        tuple(ladders),
    )  # fmt: skip


def _rows(name: str, result: SimulationResult) -> dict[str, list[dict[str, Any]]]:
    """A chart's run datasets by stable name, as the rows the chart modules inline (their `plain`
    frame: strings, whole months and rounded probabilities, which Altair's data transformer passes
    as they are), made from the run's counts without a frame (`SimulationResult.chart_rows`). A
    template is only kept when its datasets equal these rows, so a difference from what Altair
    inlines costs the fast path, never a wrong chart."""
    from toolkit.charts.model_charts import PROB_DIGITS

    return {output: result.chart_rows(output, PROB_DIGITS) for output in SOURCES[name]}


def _renamed(spec: Spec, rows: Mapping[str, list[dict[str, Any]]]) -> Spec:
    """`spec` with each dataset equal to one of `rows` renamed to its stable name (Altair names
    datasets by a hash of their values), and every reference to it."""
    datasets = spec.get("datasets", {})
    names = {old: new for new, values in rows.items() for old, v in datasets.items() if v == values}
    if not names:
        return spec
    out = _rename_refs(spec, names)
    out["datasets"] = {names.get(k, k): v for k, v in datasets.items()}
    return out


def _rename_refs(node: Any, names: Mapping[str, str]) -> Any:
    """A copy of a spec's dicts and lists with `{"name": old}` data references renamed."""
    if isinstance(node, dict):
        out = {k: _rename_refs(v, names) for k, v in node.items() if k != "datasets"}
        if "datasets" in node:
            out["datasets"] = node["datasets"]
        if isinstance(out.get("name"), str) and out["name"] in names:  # a hash: no other name
            out["name"] = names[out["name"]]
        return out
    if isinstance(node, list):
        return [_rename_refs(v, names) for v in node]
    return node


def _same(old: tuple[np.ndarray, ...], new: tuple[np.ndarray, ...]) -> bool:
    """Equal chart inputs (the outputs' probabilities), array by array."""
    return len(old) == len(new) and all(np.array_equal(a, b) for a, b in zip(old, new, strict=True))
