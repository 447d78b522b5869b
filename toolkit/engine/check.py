"""What validating a pack means end to end: the loader's checks, then the engine's on every scenario.

`toolkit.pack` checks a pack's files and records but may not import the engine (the stage order,
docs/architecture.md). The engine checks more when it compiles a model: that the engine parameters
exist, that each parameter's valid range is one the engine can use (a transition needs a rate of at
least 0, a transfer share a probability), and that a scenario's overrides fit.
`check_pack_models` compiles every scenario of a loaded pack and returns each failure as a `Problem`,
so `toolkit validate` and `toolkit.check_pack` accept exactly the packs `simulate` and `params` accept.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit.engine.compile import compile_model
from toolkit.errors import PackError, ParameterError, Problem
from toolkit.pack.load import load_pack

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

SCENARIO_FILE = "scenarios.yaml"


def check_pack(path: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every problem with the pack at `path`, the engine's included; an empty list when it is valid.

    The loader's problems come first and alone: the engine checks need a pack that loads.
    """
    try:
        pack = load_pack(path)
    except PackError as exc:
        return exc.problems
    return check_pack_models(pack)


def check_pack_models(pack: Pack) -> list[Problem]:
    """The problems the engine finds compiling each scenario of `pack`, each reported once."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for scenario in pack.scenarios.get_column("id").cast(pl.String).to_list():
        try:
            compile_model(pack, scenario)
        except PackError as exc:  # the pack's own data, the same for every scenario
            found = exc.problems
        except ParameterError as exc:  # the scenario's overrides (baseline's: once, as baseline's)
            message = str(exc)
            if message in seen:
                continue
            seen.add(message)
            found = [
                Problem(SCENARIO_FILE, scenario, "overrides", _overrides(pack, scenario), message)
            ]
        else:
            continue
        for problem in found:
            if str(problem) not in seen:
                seen.add(str(problem))
                problems.append(problem)
    return problems


def _overrides(pack: Pack, scenario: str) -> dict[str, Any]:
    rows = pack.overrides.filter(pl.col("scenario").cast(pl.String) == scenario)
    return {
        row["parameter"]: row["value"]
        if row["low"] is None
        else {k: row[k] for k in ("value", "low", "high")}
        for row in rows.iter_rows(named=True)
    }
