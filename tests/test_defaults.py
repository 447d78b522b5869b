"""One set of run defaults (toolkit.engine.defaults) for every entry point: `toolkit simulate`,
`toolkit chart`, the Python API and the report notebook give the same "baseline" numbers (issue 14)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import typer

from toolkit.engine import defaults
from toolkit.engine.defaults import (
    DEFAULT_MONTHS,
    DEFAULT_PATHS,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    DEFAULT_WITHIN,
)

REPORT = Path(__file__).resolve().parent.parent / "notebooks" / "report.ipynb"
EXPECTED = {
    "scenario": DEFAULT_SCENARIO,
    "paths": DEFAULT_PATHS,
    "months": DEFAULT_MONTHS,
    "seed": DEFAULT_SEED,
}


def _cli_defaults(command: str) -> dict[str, Any]:
    from toolkit.cli.app import app

    group: Any = typer.main.get_command(app)
    return {p.name: p.default for p in group.commands[command].params}


def _signature_defaults(func: Any) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def test_the_commands_share_the_defaults() -> None:
    for command in ("simulate", "chart"):
        found = _cli_defaults(command)
        assert {k: found[k] for k in EXPECTED} == EXPECTED, command


def test_the_python_api_shares_the_defaults() -> None:
    from toolkit.cli.chart import build_chart, export_chart
    from toolkit.engine.analysis import compute_tornado
    from toolkit.engine.grid import compute_explorer_grid
    from toolkit.engine.result import DEFAULT_WITHIN as RESULT_WITHIN
    from toolkit.engine.simulation import simulate, simulate_variants

    for func in (simulate, build_chart, export_chart):
        found = _signature_defaults(func)
        assert {k: found[k] for k in EXPECTED} == EXPECTED, func.__name__
    found = _signature_defaults(simulate_variants)
    assert (found["paths"], found["months"], found["seed"]) == (
        DEFAULT_PATHS,
        DEFAULT_MONTHS,
        DEFAULT_SEED,
    )
    assert _signature_defaults(compute_tornado)["seed"] == DEFAULT_SEED
    assert _signature_defaults(compute_explorer_grid)["seed"] == DEFAULT_SEED
    assert RESULT_WITHIN == DEFAULT_WITHIN


def test_the_report_notebook_starts_from_the_same_defaults() -> None:
    """Its parameters cell holds the values or names them (`seed: int = DEFAULT_SEED`)."""
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import parameter_default

    params = NotebookInfo.read(REPORT).parameters
    found = {name: parameter_default(params[name]) for name in EXPECTED}
    assert found == EXPECTED
    assert parameter_default(params["within"]) == DEFAULT_WITHIN


def test_defaults_by_name_list_every_default() -> None:
    named = {k: v for k, v in vars(defaults).items() if k.startswith("DEFAULT_")}
    assert named == defaults.DEFAULTS


def test_the_report_parameters_cell_holds_the_defaults_as_literals() -> None:
    """papermill reads the parameters cell as written (its `--help-notebook` and the values it
    injects after it), so the cell holds the literal values, and they equal `defaults.py`."""
    import ast
    import json

    cells = json.loads(REPORT.read_text(encoding="utf-8"))["cells"]
    (cell,) = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    tree = ast.parse("".join(cell["source"]))
    literals = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            assert node.value is not None, node.target.id
            literals[node.target.id] = node.value
    expected = EXPECTED | {"within": DEFAULT_WITHIN}
    for name, value in expected.items():
        node = literals[name]
        assert isinstance(node, ast.Constant), f"{name} is not a literal: {ast.unparse(node)}"
        assert node.value == value, name


def test_the_scorecard_notebook_scores_as_the_commands_do() -> None:
    """The scorecard ran 2,000 paths where `toolkit score` and `backtest` run 20,000, so the same
    log scored differently (Brier 0.320 against 0.313; found in a bug hunt)."""
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import parameter_default
    from toolkit.track.scores import DEFAULT_EVERY

    params = NotebookInfo.read(REPORT.with_name("scorecard.ipynb")).parameters
    expected = {"scenario": DEFAULT_SCENARIO, "paths": DEFAULT_PATHS, "seed": DEFAULT_SEED}
    assert {name: parameter_default(params[name]) for name in expected} == expected
    for command in ("score", "backtest"):
        found = _cli_defaults(command)
        assert {k: found[k] for k in expected} == expected, command
    # the backtest's step too: `toolkit backtest` stepped 7 days where the scorecard steps 14, so
    # the same log scored 0.127 (n 67) against 0.135 (n 34) (found in a bug hunt)
    assert parameter_default(params["every"]) == _cli_defaults("backtest")["every"] == DEFAULT_EVERY
