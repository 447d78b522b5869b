"""The interactive explorer, driven from Python: its headless state, then the app (sliders, reset,
presets, invalid input, debouncing)."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from typer.testing import CliRunner

from toolkit.cli.app import app
from toolkit.engine.defaults import (
    DEFAULT_EXPLORER_PATHS,
    DEFAULT_MONTHS,
    DEFAULT_PATHS,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
)
from toolkit.errors import ParameterError, ToolkitError
from toolkit.explore.knobs import preset_settings
from toolkit.explore.servers import (
    EXPLORE_CELLS,
    VOILA_TEMPLATE,
    explore_notebook_json,
    lab_argv,
    voila_argv,
)
from toolkit.explore.specs import CHART_NAMES
from toolkit.explore.state import PATH_CHOICES, ExplorerState
from toolkit.explore.view import CHARTS_ENV, GROUPS, VEGALITE_MIME, Explorer, explore
from toolkit.pack.load import Pack
from toolkit.pack.units import label_with_unit, unit_words

from .conftest import SEEDS, rule_out_every_tier

ROOT = Path(__file__).resolve().parent.parent
PATHS = 2_000  # small and fast; the same seed keeps every comparison free of Monte Carlo noise


@pytest.fixture
def ex(pack: Pack) -> Explorer:
    return Explorer(pack, paths=PATHS, debounce=0)


def headline_percent(ex: Explorer | ExplorerState) -> int:
    """The % in 'Under these assumptions the … tier is reached within 12 months in 23 % of paths'."""
    first = ex.readout.splitlines()[0]
    match = re.search(r"within 12 months in (\d+) % of paths", first)
    assert match, first
    return int(match.group(1))


def datasets(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline probability rows of a Vega-Lite spec (Altair puts inline data under top-level
    `datasets`; label lookup tables there have no `probability`)."""
    rows = [
        row
        for values in spec.get("datasets", {}).values()
        for row in values
        if "probability" in row
    ]
    assert rows, "spec has no inline data"
    return rows


def share(spec: dict[str, Any], key: str, value: str, month: int) -> float:
    rows = [r for r in datasets(spec) if r.get(key) == value and r.get("month") == month]
    return sum(r["probability"] for r in rows)


# -- the state, headless -----------------------------------------------------------------------
@pytest.fixture
def state(pack: Pack) -> ExplorerState:
    return ExplorerState(pack, paths=PATHS)


def shown(ex: Explorer, name: str) -> dict[str, Any]:
    """The spec the browser draws for chart `name`: the live widget's spec with its rows, or the
    Output's."""
    if ex.charts.live is not None:
        spec = dict(ex.charts.live.specs[name])
        datasets = {**spec.get("datasets", {}), **ex.charts.live.data[name]}
        if datasets:
            spec["datasets"] = datasets
        return spec
    (output,) = ex.charts.outputs[name].outputs
    return dict(output["data"][VEGALITE_MIME])


def test_state_imports_no_widgets(tmp_path: Path) -> None:
    """The state runs in plain Python: building it and moving a parameter loads no ipywidgets or
    IPython (checked in a fresh interpreter, where nothing else has loaded them).

    Altair itself imports anywidget (and with it ipywidgets and IPython) whenever anywidget is
    installed, as it is for the explorer's live charts; the probe hides it as an environment
    without it would, so what is checked is the toolkit's own code."""
    probe = (
        "import sys\n"
        "sys.modules['anywidget'] = None  # Altair's optional import, not the toolkit's\n"
        "from toolkit.explore.state import ExplorerState\n"
        "from toolkit.pack.load import load_pack\n"
        f"state = ExplorerState(load_pack({str(SEEDS)!r}), paths=1_000, months=6)\n"
        "assert state.set('lethal_will', 0.6), state.message\n"
        "assert state.specs and state.readout\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'IPython')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_state_shows_what_the_app_shows(state: ExplorerState, pack: Pack) -> None:
    ex = Explorer(pack, paths=PATHS, debounce=0)
    assert state.message == ""
    assert state.updates == 1
    assert state.readout == ex.readout
    assert state.specs == ex.specs
    assert set(state.specs) == set(CHART_NAMES)
    assert state.words is not None
    assert state.readout == state.words.text
    assert state.readout.splitlines()[0] == state.words.headline
    assert state.words.headline in ex.readout_html.value
    assert "All parameters at the preset." in state.words.basis


def test_state_readout_names_inputs_never_share_and_readings(state: ExplorerState) -> None:
    words = state.words
    assert words is not None
    never = "“Lethal weapons for Ukraine”: never decided on about a third of paths (35 %), by assumption (lethal_never)."
    assert never in words.details
    assert (
        "Start (month 0): 100 % in “Adaptation training in eastern Russia” (the pack's start state)."
        in words.basis
    )
    readings = "\n".join(words.notes)
    assert '“Lethal weapons for Ukraine”: The analyst reads "actual combat in Ukraine"' in readings
    assert (
        "“Combat on Russian soil”: The article does not say where the battlefields are" in readings
    )
    assert "Analyst's reading, not the article's: “Combat in Ukraine”" in state.readout
    assert state.set("lethal_never", 0.5)
    assert "never decided on about half of paths (50 %)" in state.readout
    assert "You fixed Lethal weapons, never decided = 0.50." in state.words.basis


def test_state_start_state_moves_month_zero_and_survives_reset(state: ExplorerState) -> None:
    choices = state.start_choices()
    assert choices[0] == ("The pack's (100 % Adaptation training in eastern Russia)", None)
    assert ("All paths: Combat in Ukraine", "combat_in_ukraine") in choices
    before = headline_percent(state)
    assert state.set_start("combat_in_ukraine")
    assert state.result is not None
    assert state.result.inputs["start"] == {"combat_in_ukraine": 1.0}
    assert share(state.specs["phases"], "phase", "combat_in_ukraine", 0) == 1.0
    assert headline_percent(state) > before  # the lethal trigger holds from month 0
    assert "Start (month 0): 100 % in “Combat in Ukraine” (set by you)." in state.readout
    assert state.reset()
    assert state.start == "combat_in_ukraine"  # like the horizon, not part of a preset
    with pytest.raises(ParameterError, match="start: unknown phase 'nowhere'"):
        state.set_start("nowhere")
    assert state.set_start(None)
    assert share(state.specs["phases"], "phase", "adaptation_training", 0) == 1.0


STORY = ROOT / "tests" / "fixtures" / "tracker" / "story.yaml"  # an illustrative observation log


def test_state_as_of_with_the_packs_empty_log_is_the_start_state(state: ExplorerState) -> None:
    start = state.pack.meta.publication.date
    assert state.as_of is None
    assert state.as_of_choices() == [(f"{start:%d %b %Y}: the article (no observations)", None)]
    phases = datasets(state.specs["phases"])
    assert state.set_as_of(start)  # the only date the empty log offers: the pack's start state
    assert state.as_of == start
    assert datasets(state.specs["phases"]) == phases
    with pytest.raises(ParameterError, match="outside the tracker's dates"):
        state.set_as_of(start + dt.timedelta(days=1))
    with pytest.raises(ParameterError, match="as_of expects a date"):
        state.set_as_of("27/10/2024")


def test_state_later_as_of_date_moves_the_phase_chart(pack: Pack) -> None:
    """With the illustrative fixture log, a later as-of date starts the paths further up the ladder:
    month 0 of the phase chart is the tracker's posterior on that date, and its axis says so."""
    from toolkit.track.forecast import start_state
    from toolkit.track.tracker import track

    state = ExplorerState(pack, paths=PATHS, observations=STORY)
    choices = {value: words for words, value in state.as_of_choices()}
    last = dt.date(2024, 12, 18)  # the last observation reported in the fixture
    assert next(iter(choices)) is None
    assert last in choices
    assert choices[last] == "18 Dec 2024: 10 observations reported"
    assert list(choices) == sorted(choices, key=lambda d: d or dt.date.min)
    training = share(state.specs["phases"], "phase", "adaptation_training", 0)
    assert training == 1.0
    assert state.set_as_of(last)
    posterior = start_state(track(pack, last, STORY).phases)
    assert state.result is not None
    assert state.result.inputs["start"] == pytest.approx(posterior)
    for phase, p in posterior.items():  # month 0 is sampled from it: Monte Carlo noise only
        assert share(state.specs["phases"], "phase", phase, 0) == pytest.approx(p, abs=0.04)
    assert share(state.specs["phases"], "phase", "adaptation_training", 0) < 0.2
    assert share(state.specs["phases"], "phase", "frontline_combat", 0) > 0.4
    title = state.specs["phases"]["encoding"]["x"]["axis"]["title"]
    assert "the as-of date 18 Dec 2024" in title
    assert "tracker's posterior on 18 December 2024, from the 10 observations" in state.readout
    earlier = dt.date(2024, 11, 9)
    assert state.set_as_of(earlier)
    assert (
        share(state.specs["phases"], "phase", "frontline_combat", 0) < posterior["frontline_combat"]
    )
    # a start phase chosen by hand replaces the tracker's posterior, and the other way round
    assert state.set_start("withdrawal")
    assert state.as_of is None
    assert state.set_as_of(last)
    assert state.start is None
    assert state.set_as_of(None)
    assert share(state.specs["phases"], "phase", "adaptation_training", 0) == 1.0


def test_as_of_dropdown_drives_the_state(pack: Pack) -> None:
    ex = Explorer(pack, paths=PATHS, debounce=0, observations=STORY)
    assert ex.as_of_dropdown in ex.tabs.children[list(GROUPS).index("simulation")].children
    assert "tk-knob-as-of" in ex.as_of_dropdown._dom_classes
    before = share(ex.specs["phases"], "phase", "frontline_combat", 0)
    ex.as_of_dropdown.value = dt.date(2024, 12, 18)  # as the browser would
    assert ex.as_of == dt.date(2024, 12, 18)
    assert share(ex.specs["phases"], "phase", "frontline_combat", 0) > before + 0.4
    assert "18 Dec 2024" in json.dumps(shown(ex, "phases"))
    ex.start_dropdown.value = "withdrawal"  # clears the date
    assert ex.as_of is None
    assert ex.as_of_dropdown.value is None
    assert ex.set_as_of("2024-12-04")
    assert ex.start_dropdown.value is None
    assert ex.as_of_dropdown.value == dt.date(2024, 12, 4)
    opened = Explorer(pack, paths=PATHS, debounce=0, observations=STORY, as_of="2024-12-01")
    assert opened.as_of_dropdown.value == dt.date(2024, 12, 1)  # a date between reports, added
    assert opened.message == ""


def test_state_set_fixes_a_parameter_and_reuses_unchanged_charts(state: ExplorerState) -> None:
    before = headline_percent(state)
    specs = dict(state.specs)
    assert state.set("lethal_will", 0.6) is True
    assert state.values["lethal_will"] == 0.6
    assert state.moved("lethal_will")
    assert not state.moved("troops")
    assert state.overrides == {"lethal_will": 0.6}
    assert headline_percent(state) > before
    assert "You fixed Lethal weapons, political will (per month) = 0.60." in state.readout
    assert state.specs["responses"] != specs["responses"]
    # a response parameter leaves the deployment and transfer frames as they were: same spec objects
    assert state.specs["phases"] is specs["phases"]
    assert state.specs["transfers"] is specs["transfers"]
    assert state.specs["policy"] is specs["policy"]


def test_fast_specs_equal_the_full_rebuild(pack: Pack) -> None:
    """The fast path (templates built once, data swapped) gives the same specs, data and all, as
    building every chart with Altair, through moves of every kind (issue 16)."""
    state = ExplorerState(pack, paths=PATHS, observations=STORY)
    charts = state.charts

    def check() -> None:
        assert state.message == ""
        assert state.result is not None
        for name in CHART_NAMES:
            assert state.specs[name] == charts.full(name, state.result, state.as_of), name

    check()
    moves: list[tuple[str, Any]] = [
        ("rate_westward_to_frontline", 0.3),  # deployment: every run chart changes
        ("transfer_strategic", 0.9),  # compensation
        ("troops", 30_000),
        ("lethal_will", 0.6),  # responses
        ("months", 12),  # a new structure: its templates are built
        ("rate_westward_to_frontline", 0.4),
        ("months", DEFAULT_MONTHS),
    ]
    for name, value in moves:
        refills = charts.refills
        assert state.set(name, value), state.message
        check()
        if name != "months":
            assert charts.refills > refills, name  # the fast path was taken
    assert state.set_as_of("2024-12-18")
    check()
    assert state.set("rate_westward_to_rear", 0.6)
    check()
    assert state.set_start("combat_in_ukraine")
    check()
    assert state.pick("lethal_on_table")
    check()
    assert state.set("lethal_lag", 2)
    check()


def test_fast_specs_use_stable_dataset_names(state: ExplorerState) -> None:
    """Run data sits in named datasets the spec refers to by name (`phases`, `transfers`, ...), so a
    view can swap only the data; the specs stay valid Vega-Lite."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    from toolkit.explore.specs import SOURCES

    assert state.set("rate_westward_to_frontline", 0.3)
    schema = load_schema()
    for name in CHART_NAMES:
        spec = state.specs[name]
        validate_jsonschema(spec, schema)
        for stable in SOURCES[name]:
            assert stable in spec["datasets"]
            assert f'{{"name": "{stable}"}}' in json.dumps(spec)
    assert state.specs["phases"]["data"] == {"name": "phases"}


def test_explorer_refuses_a_path_count_its_slider_cannot_take(pack: Pack) -> None:
    """Not silently replaced by the default: a benchmark at --paths 500 measured 10,000 paths."""
    with pytest.raises(ParameterError, match="paths expects one of"):
        ExplorerState(pack, paths=500)
    with pytest.raises(ParameterError, match="months expects"):
        ExplorerState(pack, paths=PATHS, months=0)


def test_state_assign_waits_for_update(state: ExplorerState) -> None:
    """What a debounced view does: apply each slider event at once, run once later."""
    readout, updates = state.readout, state.updates
    for value in (0.2, 0.3, 0.4):
        state.assign("lethal_will", value)
    state.assign("troops", 12_000.0)
    assert state.updates == updates
    assert state.readout == readout
    assert state.overrides == {"lethal_will": 0.4, "troops": 12_000}
    assert isinstance(state.overrides["troops"], int)
    assert state.update() is True
    assert state.updates == updates + 1
    assert "Lethal weapons, political will (per month) = 0.40" in state.readout


def test_state_horizon_and_paths(state: ExplorerState) -> None:
    assert state.set("months", 6) is True
    assert state.set("paths", 1_000) is True
    assert state.result is not None
    assert (state.result.months, state.result.paths) == (6, 1_000)
    assert "1,000 paths × 6 months" in state.readout
    assert max(r["month"] for r in datasets(state.specs["phases"])) == 6


def test_state_reset_and_pick(state: ExplorerState, pack: Pack) -> None:
    first, specs = state.readout, dict(state.specs)
    state.set("troops", 30_000)
    assert state.reset() is True
    assert state.overrides == {}
    assert state.readout == first
    assert state.specs == specs
    assert state.pick("rear_support_only") is True
    assert state.preset == "rear_support_only"
    assert state.values["rate_westward_to_frontline"] == 0
    assert state.values == {
        pid: state.knobs[pid].clean(s.value)
        for pid, s in preset_settings(pack, "rear_support_only").items()
    }
    assert state.preset_row()["label"] == "Rear support only"
    assert headline_percent(state) == 0
    with pytest.raises(ParameterError, match="unknown preset"):
        state.pick("no_such_preset")
    assert state.preset == "rear_support_only"


@pytest.fixture
def engine_rejects_high_rear_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine refuses rate_westward_to_rear above 2 (as it would a combination it cannot
    simulate): rates have no joint limit any more, so the refusal is injected."""
    from toolkit.engine.model import Model
    from toolkit.errors import ParameterError

    original = Model.with_overrides

    def refuse(self: Model, overrides: Any, origin: str = "override") -> Model:
        if float(overrides.get("rate_westward_to_rear", 0) or 0) > 2:
            raise ParameterError("phase 'westward_movement': this combination cannot be run")
        return original(self, overrides, origin)

    monkeypatch.setattr(Model, "with_overrides", refuse)


@pytest.mark.usefixtures("engine_rejects_high_rear_rates")
def test_state_rejects_invalid_combinations_and_keeps_the_last_good_outcome(
    state: ExplorerState,
) -> None:
    result, readout, specs = state.result, state.readout, dict(state.specs)
    assert state.set("rate_westward_to_rear", 2.5) is False
    assert "westward_movement" in state.message
    assert (state.result, state.readout, state.specs) == (result, readout, specs)
    assert state.set("rate_westward_to_rear", 0.5) is True
    assert state.message == ""


def test_state_check_rejects_values_no_slider_can_take(state: ExplorerState) -> None:
    values, updates = dict(state.values), state.updates
    for name, value, match in [
        ("no_such", 1, "unknown parameter 'no_such'"),
        ("lethal_will", 1.5, r"out of its valid range \[0.00, 1.00\]"),
        ("troops", 11_000.5, "whole number"),
        ("months", 0, "months"),
        ("months", 6.0, "months"),
        ("paths", 123, "paths"),
    ]:
        with pytest.raises(ParameterError, match=match):
            state.set(name, value)
    assert state.values == values
    assert state.updates == updates


# -- building the app --------------------------------------------------------------------------
def test_explore_returns_the_app_with_charts_and_readout(pack: Pack) -> None:
    app_widget = explore(pack)
    assert isinstance(app_widget, widgets.Widget)
    ex = app_widget.explorer
    assert ex.message == ""
    assert ex.readout.startswith("Under these assumptions the “Lethal weapons for Ukraine” tier")
    assert "median is month" in ex.readout.splitlines()[0]
    assert set(ex.specs) == set(CHART_NAMES)
    assert ex.charts.live is not None  # anywidget is installed: the charts update in place
    assert ex.charts.outputs == {}
    for name in CHART_NAMES:
        assert shown(ex, name) == ex.specs[name]
        json.dumps(ex.charts.live.specs[name])  # plain JSON, as a widget message must be
        json.dumps(ex.charts.live.data[name])
    assert "Lethal weapons" in ex.readout_html.value


def test_without_live_charts_the_charts_are_outputs(
    pack: Pack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$TOOLKIT_EXPLORER_CHARTS=output (or no anywidget): Output widgets, drawn by the front end's own
    Vega-Lite 5 renderer and re-embedded on every update."""
    monkeypatch.setenv(CHARTS_ENV, "output")
    ex = Explorer(pack, paths=PATHS, debounce=0)
    assert ex.charts.live is None
    for name in CHART_NAMES:
        (output,) = ex.charts.outputs[name].outputs
        assert output["output_type"] == "display_data"
        spec = output["data"][VEGALITE_MIME]
        assert spec["$schema"].endswith("/vega-lite/v5.json")  # what the bundled renderers draw
        assert spec["datasets"] == ex.specs[name]["datasets"]
        json.dumps(output)  # plain JSON, as a widget message must be
    assert ex.set("lethal_will", 0.6)
    assert shown(ex, "responses")["datasets"] == ex.specs["responses"]["datasets"]


def test_live_charts_send_rows_only_until_the_structure_changes(pack: Pack) -> None:
    ex = Explorer(pack, paths=PATHS, debounce=0)
    live = ex.charts.live
    assert live is not None
    for name in CHART_NAMES:  # the synced specs carry no run dataset: those are `data`
        assert not set(live.specs[name].get("datasets", {})) & set(live.data[name])
    specs, sent = dict(live.specs), (live.sent_specs, live.sent_data)
    assert ex.set("rate_westward_to_frontline", 0.3)
    assert live.specs == specs  # the same structure: only rows were sent
    assert (live.sent_specs, live.sent_data) == (sent[0], sent[1] + 1)
    assert shown(ex, "phases") == ex.specs["phases"]
    assert ex.set("months", 24)  # a new horizon: new axes, the specs are sent again
    assert live.sent_specs == sent[0] + 1
    assert live.specs["phases"] != specs["phases"]
    for name in CHART_NAMES:
        assert shown(ex, name) == ex.specs[name]


def test_every_parameter_has_a_labelled_slider_with_unit_and_source(
    ex: Explorer, pack: Pack
) -> None:
    ids = pack.parameters["id"].to_list()
    assert set(ex.sliders) == set(ids)
    for row in pack.parameters.iter_rows(named=True):
        slider, note, knob = ex.sliders[row["id"]], ex.notes[row["id"]], ex.knobs[row["id"]]
        assert slider.min == row["min"]
        assert slider.max == row["max"]
        assert slider.value == pytest.approx(row["value"])
        assert knob.label == row["label"]
        assert knob.title == label_with_unit(row["label"], row["unit"])
        assert html.escape(knob.title) in note.value
        if row["claim"]:
            assert "sourced claim" in note.value
            assert row["claim"] in note.value
        else:
            assert "analyst assumption" in note.value
        if row["low"] is not None and row["high"] is not None and row["low"] < row["high"]:
            assert "sampled" in note.value
    claim = pack.claims.filter(pack.claims["id"] == "c_may_receive_strategic").row(0, named=True)
    assert claim["evidence"] in ex.knobs["transfer_strategic"].tooltip
    assert ex.knobs["rate_training_to_westward"].group == "deployment"
    assert ex.knobs["lethal_will"].group == "responses"
    assert ex.knobs["troops"].group == "compensation"
    assert ex.knobs["lethal_never"].group == "responses"
    order = list(ex.knobs)
    assert order.index("lethal_lag") < order.index("lethal_will") < order.index("lethal_never")
    responses = ex.tabs.children[list(GROUPS).index("responses")]
    assert ex.sliders["lethal_never"] in [
        w for row in responses.children for w in getattr(row, "children", ())
    ]


def test_preset_values_sit_on_the_slider_grid(ex: Explorer, pack: Pack) -> None:
    """A value off a slider's step grid would be moved by the browser and trigger a spurious run."""
    for preset in pack.scenarios["id"].to_list():
        for pid, setting in preset_settings(pack, preset).items():
            knob = ex.knobs[pid]
            steps = (setting.value - knob.minimum) / knob.step
            assert steps == pytest.approx(round(steps), abs=1e-6), (preset, pid, knob.step)


# -- moving sliders ----------------------------------------------------------------------------
def test_raising_political_will_raises_the_headline_and_changes_only_dependent_charts(
    ex: Explorer,
) -> None:
    before = headline_percent(ex)
    specs = dict(ex.specs)
    assert ex.set("lethal_will", 0.6) is True
    assert headline_percent(ex) > before
    assert ex.overrides == {"lethal_will": 0.6}
    assert "You fixed Lethal weapons, political will (per month) = 0.60." in ex.readout
    assert "fixed by you" in ex.notes["lethal_will"].value
    assert datasets(ex.specs["responses"]) != datasets(specs["responses"])
    top = "lethal_weapons"
    assert share(ex.specs["responses"], "level", top, 24) > share(
        specs["responses"], "level", top, 24
    )
    # same seed: a response slider does not touch deployment or transfers
    assert ex.specs["phases"] == specs["phases"]
    assert ex.specs["transfers"] == specs["transfers"]


def test_specs_built_on_the_fast_path_are_valid_vega_lite(ex: Explorer) -> None:
    """After the first (validated) build, charts are rebuilt with Altair's debug mode off."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    first = dict(ex.specs)
    ex.set("rate_westward_to_frontline", 0.3)  # every run chart is rebuilt
    schema = load_schema()
    for name in CHART_NAMES:
        validate_jsonschema(ex.specs[name], schema)
    assert all(ex.specs[name] != first[name] for name in ("phases", "transfers", "responses"))


def test_closing_the_way_to_the_front_empties_frontline_and_lethal_aid(ex: Explorer) -> None:
    assert share(ex.specs["phases"], "phase", "combat_in_ukraine", 24) > 0.1
    for route in ("westward_to_frontline", "rear_to_frontline", "westward_to_ukraine",
                  "rear_to_ukraine"):  # fmt: skip
        ex.set(f"rate_{route}", 0.0)
    assert ex.message == ""
    assert share(ex.specs["phases"], "phase", "frontline_combat", 24) == 0
    assert share(ex.specs["phases"], "phase", "combat_in_ukraine", 24) == 0
    assert headline_percent(ex) == 0
    assert f"in 0 % of paths (0 % within {DEFAULT_MONTHS} months)." in ex.readout.splitlines()[0]


def test_transfer_slider_changes_the_transfer_chart(ex: Explorer) -> None:
    before = share(ex.specs["transfers"], "tier", "strategic", 12)
    ex.set("transfer_strategic", 0.9)
    assert share(ex.specs["transfers"], "tier", "strategic", 12) > before + 0.2


def test_horizon_and_paths_sliders(ex: Explorer) -> None:
    ex.set("months", 6)
    assert "within 6 months in" in ex.readout.splitlines()[0]
    assert max(r["month"] for r in datasets(ex.specs["phases"])) == 6
    ex.set("paths", 1_000)
    assert ex.result is not None
    assert ex.result.paths == 1_000
    assert "1,000 paths × 6 months" in ex.readout


def test_moving_back_to_the_preset_value_restores_the_band(ex: Explorer) -> None:
    first = ex.readout
    ex.set("rate_training_to_westward", 0.5)
    assert ex.overrides == {"rate_training_to_westward": 0.5}
    ex.set("rate_training_to_westward", 0.43)
    assert ex.overrides == {}
    assert ex.readout == first


def test_ui_events_drive_the_same_logic(ex: Explorer) -> None:
    """What the browser does: change a widget's value, click the button, pick in the dropdown."""
    first, specs, updates = ex.readout, dict(ex.specs), ex.updates
    ex.sliders["lethal_lag"].value = 0
    assert ex.updates == updates + 1
    assert ex.readout != first
    ex.reset_button.click()
    assert ex.readout == first
    assert ex.specs == specs
    ex.preset_dropdown.value = "lethal_on_table"
    assert ex.preset == "lethal_on_table"
    assert ex.sliders["lethal_will"].value == pytest.approx(0.5)
    assert "Lethal aid on the table" in ex.readout


# -- reset and presets -------------------------------------------------------------------------
def test_start_dropdown_drives_the_state(ex: Explorer) -> None:
    assert ex.start_dropdown in ex.tabs.children[list(GROUPS).index("simulation")].children
    assert "tk-knob-start" in ex.start_dropdown._dom_classes
    assert ex.start_dropdown.value is None
    ex.start_dropdown.value = "westward_movement"  # as the browser would: debounce 0 runs at once
    assert ex.start == "westward_movement"
    assert share(ex.specs["phases"], "phase", "westward_movement", 0) == 1.0
    assert "(set by you)" in ex.readout_html.value
    assert ex.set_start(None)
    assert ex.start_dropdown.value is None
    assert "(the pack&#x27;s start state)" in ex.readout_html.value
    assert "The analyst's readings behind these figures" in ex.readout_html.value


def test_reset_returns_to_the_preset(ex: Explorer) -> None:
    first, specs = ex.readout, dict(ex.specs)
    ex.set("troops", 30_000)
    ex.set("lethal_will", 0.4)
    assert ex.readout != first
    assert ex.reset() is True
    assert ex.overrides == {}
    assert ex.readout == first
    assert ex.specs == specs
    assert ex.sliders["troops"].value == 11_000


def test_pick_a_preset_moves_the_sliders_and_the_results(ex: Explorer, pack: Pack) -> None:
    baseline = headline_percent(ex)
    assert ex.pick("rear_support_only") is True
    assert ex.preset_dropdown.value == "rear_support_only"
    assert ex.sliders["rate_westward_to_frontline"].value == 0
    assert ex.sliders["rate_westward_to_rear"].value == pytest.approx(0.43)
    assert ex.overrides == {}
    assert headline_percent(ex) == 0
    assert "Preset “Rear support only”" in ex.readout
    description = pack.scenarios.filter(pack.scenarios["id"] == "rear_support_only")["description"][
        0
    ]
    assert description.split()[0] in ex.preset_note.value
    ex.pick("lethal_on_table")
    assert headline_percent(ex) > baseline
    ex.pick("baseline")
    assert headline_percent(ex) == baseline
    with pytest.raises(ParameterError, match="unknown preset"):
        ex.pick("no_such_preset")


def test_explorer_can_start_from_another_preset(pack: Pack) -> None:
    ex = Explorer(pack, "strategic_transfer", paths=PATHS, debounce=0)
    assert ex.preset_dropdown.value == "strategic_transfer"
    assert ex.sliders["troops"].value == 15_000


# -- invalid input -----------------------------------------------------------------------------
@pytest.mark.usefixtures("engine_rejects_high_rear_rates")
def test_invalid_combination_shows_a_message_and_keeps_the_last_good_charts(ex: Explorer) -> None:
    ex.set("lethal_will", 0.3)
    readout, specs, drawn = ex.readout, dict(ex.specs), shown(ex, "phases")
    assert ex.set("rate_westward_to_rear", 2.5) is False
    assert "westward_movement" in ex.message
    assert ex.message_html.layout.display != "none"
    assert "cannot be simulated" in ex.message_html.value
    assert "last valid settings" in ex.message_html.value
    assert ex.readout == readout
    assert ex.specs == specs
    assert shown(ex, "phases") == drawn
    # fixing it clears the message
    assert ex.set("rate_westward_to_rear", 0.5) is True
    assert ex.message == ""
    assert ex.message_html.layout.display == "none"
    assert ex.specs["phases"] != specs["phases"]


@pytest.mark.usefixtures("engine_rejects_high_rear_rates")
def test_invalid_combination_through_the_widget_never_raises(ex: Explorer) -> None:
    ex.sliders["rate_westward_to_rear"].value = 2.5
    assert "westward_movement" in ex.message


def test_unexpected_failure_is_shown_not_raised(
    ex: Explorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.charts

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("chart exploded")

    monkeypatch.setattr(toolkit.charts, "chart_phases", broken)
    specs = dict(ex.specs)
    assert ex.set("months", 12) is False  # a new horizon builds the charts with Altair
    assert "chart exploded" in ex.message
    assert ex.specs == specs


def test_python_api_rejects_unknown_names_and_out_of_range_values(ex: Explorer) -> None:
    with pytest.raises(ParameterError, match="unknown parameter 'no_such'"):
        ex.set("no_such", 1)
    with pytest.raises(ParameterError, match=r"out of its valid range \[0.00, 1.00\]"):
        ex.set("lethal_will", 1.5)
    with pytest.raises(ParameterError, match="whole number"):
        ex.set("troops", 11_000.5)
    with pytest.raises(ParameterError, match="months"):
        ex.set("months", 0)
    with pytest.raises(ParameterError, match="paths"):
        ex.set("paths", 123)


# -- debouncing --------------------------------------------------------------------------------
def test_slider_events_are_debounced_on_the_event_loop(pack: Pack) -> None:
    """A drag is many slider events: each replaces the update the one before scheduled on the event
    loop, so one update runs, `debounce` seconds after the last event. The debounce is long here and
    the test reads the scheduled timers, not the clock: with a short one, a machine stalled for longer
    than it between two events would rightly update mid-drag (a timing test failed that way)."""
    ex = Explorer(pack, paths=PATHS, debounce=30)

    async def drag() -> None:
        loop = asyncio.get_running_loop()
        start = ex.updates
        handles = []
        for value in (0.2, 0.3, 0.4, 0.5):
            ex.sliders["lethal_will"].value = value
            assert isinstance(ex._pending, asyncio.TimerHandle)
            handles.append(ex._pending)
            await asyncio.sleep(0)  # the loop runs between events, as in a kernel
        assert ex.updates == start  # nothing ran during the drag
        assert ex.overrides == {"lethal_will": 0.5}  # each event reached the state at once
        assert [h.cancelled() for h in handles] == [True, True, True, False]
        assert handles[-1].when() - loop.time() > 20  # the whole debounce after the last event

    asyncio.run(drag())


def test_a_debounced_update_runs_on_the_event_loop(pack: Pack) -> None:
    """The scheduled update does run, by itself, once the sliders are still."""
    ex = Explorer(pack, paths=PATHS, debounce=0.05)

    async def move() -> int:
        start = ex.updates
        ex.sliders["lethal_will"].value = 0.5
        for _ in range(1_000):  # until it has run (a liveness bound, not a timing check)
            if ex.updates > start:
                break
            await asyncio.sleep(0.01)
        return ex.updates - start

    assert asyncio.run(move()) == 1
    assert ex._pending is None
    assert "= 0.50" in ex.readout


def test_set_flushes_a_pending_update(pack: Pack) -> None:
    ex = Explorer(pack, paths=PATHS, debounce=10)

    async def go() -> None:
        ex.set("lethal_will", 0.5)

    asyncio.run(go())
    assert ex.overrides == {"lethal_will": 0.5}
    assert "= 0.50" in ex.readout


# -- notebook and commands ---------------------------------------------------------------------
def test_explore_notebook_is_stripped_cells_with_a_parameters_cell() -> None:
    import nbformat

    from toolkit.report.notebook import NotebookInfo

    path = ROOT / "notebooks" / "explore.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert [c.source for c in nb.cells] == list(EXPLORE_CELLS)
    for cell in nb.cells:
        assert cell.cell_type == "code"
        assert cell.outputs == []
        assert cell.execution_count is None
    assert [c.metadata.get("tags", []) for c in nb.cells] == [["parameters"], [], []]
    assert {"as_of", "observations"} <= set(NotebookInfo.read(path).parameters)
    assert json.loads(path.read_text(encoding="utf-8")) == explore_notebook_json()


def test_explore_notebook_parameters_are_the_run_defaults() -> None:
    """The notebook's parameters cell (papermill's) holds the explorer's defaults, which are
    toolkit.engine.defaults' (issue 14)."""
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import parameter_default

    params = NotebookInfo.read(ROOT / "notebooks" / "explore.ipynb").parameters
    found = {
        name: parameter_default(params[name]) for name in ("scenario", "paths", "months", "seed")
    }
    assert found == {
        "scenario": DEFAULT_SCENARIO,
        "paths": DEFAULT_EXPLORER_PATHS,
        "months": DEFAULT_MONTHS,
        "seed": DEFAULT_SEED,
    }


def test_the_explorer_starts_from_the_run_defaults(state: ExplorerState) -> None:
    """Seed and horizon are the engine's defaults; paths a documented fraction of them, on the slider."""
    import inspect

    assert (state.seed, state.months, state.preset) == (
        DEFAULT_SEED,
        DEFAULT_MONTHS,
        DEFAULT_SCENARIO,
    )
    assert DEFAULT_EXPLORER_PATHS <= DEFAULT_PATHS
    assert DEFAULT_EXPLORER_PATHS in PATH_CHOICES
    assert DEFAULT_PATHS in PATH_CHOICES
    for func in (ExplorerState, Explorer, explore):
        found = {
            n: p.default
            for n, p in inspect.signature(func).parameters.items()
            if n in ("scenario", "paths", "months", "seed")
        }
        assert found == {
            "scenario": DEFAULT_SCENARIO,
            "paths": DEFAULT_EXPLORER_PATHS,
            "months": DEFAULT_MONTHS,
            "seed": DEFAULT_SEED,
        }, func


def test_slider_titles_say_their_unit_once(pack: Pack) -> None:
    """Every knob's title names each word of its unit exactly once (no "(per month) (probability/month)")."""
    from toolkit.explore.knobs import knobs

    for knob in knobs(pack):
        words = unit_words(knob.title)
        for word in set(unit_words(knob.unit)):
            assert words.count(word) == 1, (knob.id, knob.title)
        assert knob.title.count("(") <= 1, knob.title
    assert label_with_unit("Lethal weapons, political will (per month)", "probability/month") == (
        "Lethal weapons, political will (probability/month)"
    )
    assert label_with_unit("Westward → frontline (per month)", "probability/month") == (
        "Westward → frontline (probability/month)"
    )
    assert label_with_unit("Training → westward move (rate per month)", "rate/month") == (
        "Training → westward move (rate/month)"
    )
    assert label_with_unit("Lethal weapons, lag", "months") == "Lethal weapons, lag (months)"
    assert (
        label_with_unit("North Korean troops deployed", "troops") == "North Korean troops deployed"
    )
    assert label_with_unit("Intensity (training)", "ratio") == "Intensity (training) (ratio)"


def test_voila_runs_offline_with_code_hidden() -> None:
    argv = voila_argv(Path("nb.ipynb"), port=9999, host="127.0.0.1", open_browser=False)
    assert "--port=9999" in argv
    assert "--Voila.ip=127.0.0.1" in argv
    assert f"--template={VOILA_TEMPLATE}" in argv
    assert "--VoilaConfiguration.strip_sources=True" in argv
    assert "--no-browser" in argv
    assert "--preheat_kernel=True" in argv
    template = ROOT / "toolkit" / "explore" / "share" / "voila" / "templates" / VOILA_TEMPLATE
    assert json.loads((template / "conf.json").read_text())["base_template"] == "lab"
    text = (template / "index.html.j2").read_text()
    assert "//cdn." in text  # the filter that drops the base template's CDN links
    assert "https://" not in text
    lab = lab_argv(ROOT / "notebooks", port=8899, open_browser=False)
    assert "--LabApp.news_url=None" in lab
    assert "--LabApp.extension_manager=readonly" in lab
    assert "--ServerApp.port=8899" in lab
    assert "--no-browser" in lab


def test_serve_environment_points_the_kernel_at_the_pack_and_jupyter_at_the_template(
    pack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.explore.servers import _environment

    monkeypatch.setenv("TOOLKIT_PACK", "unset")
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    _environment(pack_dir)
    assert os.environ["TOOLKIT_PACK"] == str(pack_dir.resolve())
    first, *rest = os.environ["JUPYTER_PATH"].split(os.pathsep)
    assert (Path(first) / "voila" / "templates" / VOILA_TEMPLATE / "index.html.j2").is_file()
    assert rest == ["/elsewhere"]
    with pytest.raises(ToolkitError, match="not a directory"):
        _environment(pack_dir / "missing")


def test_cli_lists_lab_and_serve() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "lab" in result.output
    assert "serve" in result.output
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert "--port" in result.output
    assert "--no-browser" in result.output


def test_widgets_extension_is_prebuilt_for_jupyterlab() -> None:
    """ipywidgets 8 ships its JupyterLab 4 extension in the `jupyterlab_widgets` wheel: no build step."""
    from jupyter_core.paths import jupyter_path

    found = [
        Path(p) / "@jupyter-widgets" / "jupyterlab-manager" / "package.json"
        for p in jupyter_path("labextensions")
    ]
    manifests = [p for p in found if p.is_file()]
    assert manifests, "ipywidgets' JupyterLab extension is not installed"
    assert json.loads(manifests[0].read_text())["name"] == "@jupyter-widgets/jupyterlab-manager"


def _edited(pack_dir: Path, file: str, old: str, new: str) -> Pack:
    from toolkit.pack.load import load_pack

    path = pack_dir / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_pack(pack_dir)


def _one_value_range(pack_dir: Path) -> None:
    """intensity_withdrawal with min = max = its value (a pack `toolkit validate` accepts)."""
    path = pack_dir / "parameters.yaml"
    text = path.read_text(encoding="utf-8")
    i = text.index("  - id: intensity_withdrawal\n")
    j = text.index("    min: 0\n", i)
    text = text[:j] + "    min: 0.25\n" + text[j + len("    min: 0\n") :]
    text = text.replace(
        "    max: 5\n    value: 0.25\n    low: 0.0\n    high: 0.5\n    distribution: uniform\n",
        "    max: 0.25\n    value: 0.25\n",  # a point: no band, so no distribution
        1,
    )
    path.write_text(text, encoding="utf-8")


def test_the_explorer_opens_on_packs_that_validate(pack_dir: Path) -> None:
    """Found in a bug hunt, each with a pack `toolkit validate` accepts: a float parameter with
    min = max crashed start-up (log10 of a zero step); a pack value off the slider's grid counted
    as "fixed by you", dropping its band; every tier ruled out crashed the readout."""

    from toolkit.pack.load import load_pack

    # a value with more decimals than any coarse grid: not "moved" at start-up
    fine = _edited(pack_dir, "parameters.yaml", "    value: 0.43\n", "    value: 0.4321\n")
    assert ExplorerState(fine, paths=PATHS).overrides == {}
    # min = max: a slider that cannot move
    _one_value_range(pack_dir)
    assert ExplorerState(load_pack(pack_dir), paths=PATHS).overrides == {}
    # every tier ruled out: the readout leads with the phases
    rule_out_every_tier(pack_dir)
    meta = pack_dir / "pack.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("  sensitivity_outcome: lethal_weapons\n", ""),
        encoding="utf-8",
    )
    ruled_out = ExplorerState(load_pack(pack_dir), paths=PATHS)
    assert ruled_out.readout.startswith("Troops reach")


def test_the_readout_names_technology_tiers_by_label_and_one_month_in_the_singular(
    state: ExplorerState,
) -> None:
    """It named tiers by id ("At least one zt9_tt0 technology", with a pack of such ids) and said
    "within 1 months" (found in a bug hunt)."""
    assert "At least one technology of the tier “Sensitive strategic technology" in state.readout
    state.set("months", 1)
    assert "1 months" not in state.readout
    assert "within 1 month " in state.readout


def test_a_move_off_the_grid_is_a_move_and_a_one_value_range_keeps_its_value(
    state: ExplorerState, pack_dir: Path
) -> None:
    """A value set between two grid points counted as the preset's (the half-step tolerance), and
    a range of one value was shown as 0 (its step's decimals): found in review."""
    from toolkit.pack.load import load_pack

    preset = state.settings["troops"].value
    state.set("troops", preset + 400)
    assert state.overrides == {"troops": round(preset + 400)}
    _one_value_range(pack_dir)
    fixed = ExplorerState(load_pack(pack_dir), paths=PATHS)
    assert fixed.values["intensity_withdrawal"] == 0.25
    assert fixed.overrides == {}
