"""What validating a pack means end to end: the loader's checks, then the engine's on every scenario.

`toolkit.pack` checks a pack's files and records but may not import the engine (the stage order,
docs/architecture.md). The engine checks more when it compiles a model: that the engine parameters
exist, that each parameter's valid range is one the engine can use (a transition needs a rate of at
least 0, a transfer share a probability), and that a scenario's overrides fit.
`check_pack_models` compiles every scenario of a loaded pack and returns each failure as a `Problem`,
so `toolkit validate` and `toolkit.check_pack` accept exactly the packs `simulate` and `params` accept.

`check_checked_pack` runs them on a pack `validate_pack` has checked (rows, no frames) and remembers a
pack they found nothing in, by its content hash and the toolkit's code fingerprint (`toolkit.cache`):
validating that pack again with the same code imports neither polars nor the model compiler.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from toolkit.cache import cache_dir, code_fingerprint, write_atomic_text
from toolkit.errors import PackError, ParameterError, Problem

if TYPE_CHECKING:
    from pathlib import Path

    from toolkit.pack.load import Pack
    from toolkit.pack.summary import PackSummary

SCENARIO_FILE = "scenarios.yaml"


def check_pack(path: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every problem with the pack at `path`, the engine's included; an empty list when it is valid.

    The loader's problems come first and alone: the engine checks need a pack that loads.
    """
    from toolkit.pack.load import validate_pack

    try:
        checked = validate_pack(path)
    except PackError as exc:
        return exc.problems
    return check_checked_pack(checked)


def check_checked_pack(checked: PackSummary) -> list[Problem]:
    """`check_pack_models` on the pack `validate_pack` checked; at once `[]` for a pack of the same
    content this code has found valid before (see the module doc)."""
    mark = _valid_mark(checked.content_hash)
    if mark.is_file():
        return []
    problems = check_pack_models(checked.pack())
    if not problems:
        write_atomic_text(mark, "")
    return problems


def _valid_mark(content_hash: str) -> Path:
    key = hashlib.sha256(f"{content_hash}\0{code_fingerprint()}".encode()).hexdigest()[:24]
    return cache_dir() / f"engine-valid-{key}"


def check_pack_models(pack: Pack) -> list[Problem]:
    """The problems the engine finds compiling each scenario of `pack`, each reported once."""
    import polars as pl

    from toolkit.engine.compile import compile_model

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
    return problems or _report_problems(pack)


def _report_problems(pack: Pack) -> list[Problem]:
    """pack.yaml `report.explorer_grid`: every value one the engine accepts for its parameter, and
    no more points than a report inlines (`toolkit.engine.grid.MAX_POINTS`); `report.backtest_from`
    and `backtest_to`: dates a backtest accepts (on or after the pack's date, in order)."""
    import math

    import polars as pl

    from toolkit.engine.compile import compile_model
    from toolkit.engine.grid import MAX_POINTS
    from toolkit.engine.validate import check_day

    report = pack.meta.report
    problems: list[Problem] = []
    for key in ("backtest_from", "backtest_to"):
        day = getattr(report, key)
        if day is None:
            continue
        try:
            check_day(day, pack.meta.publication.date, key)
        except ParameterError as exc:
            problems.append(Problem("pack.yaml", "report", key, day.isoformat(), str(exc)))
    first, last = report.backtest_from, report.backtest_to
    if first is not None and last is not None and last < first:
        problems.append(
            Problem(
                "pack.yaml",
                "report",
                "backtest_to",
                last.isoformat(),
                f"before backtest_from {first}",
            )
        )
    declared = report.explorer_grid
    if not declared:
        return problems
    points = math.prod(len(set(values)) for values in declared.values())
    if points > MAX_POINTS:
        problems.append(
            Problem("pack.yaml", "report", "explorer_grid", points, f"at most {MAX_POINTS} points")
        )
    scenario = pack.scenarios.get_column("id").cast(pl.String).to_list()[0]
    model = compile_model(pack, scenario)
    for name, values in declared.items():
        integer = model.parameters.is_int[model.parameters.index(name)]
        for value in values:
            try:
                if integer and value != int(value):
                    raise ParameterError(f"{name} takes whole numbers, got {value!r}")
                model.with_overrides({name: int(value) if integer else value})
            except ParameterError as exc:
                problems.append(
                    Problem("pack.yaml", "report", f"explorer_grid.{name}", value, str(exc))
                )
                break
    return problems


def _overrides(pack: Pack, scenario: str) -> dict[str, Any]:
    import polars as pl

    rows = pack.overrides.filter(pl.col("scenario").cast(pl.String) == scenario)
    return {
        row["parameter"]: row["value"]
        if row["low"] is None
        else {k: row[k] for k in ("value", "low", "high")}
        for row in rows.iter_rows(named=True)
    }
