"""`toolkit params` and `toolkit simulate`: the scenario engine on the command line.

`register(app)` adds both commands to the lead's Typer app. Heavy imports (numpy, polars, the engine)
happen inside the commands, so `toolkit --help` stays fast. A `ToolkitError` (unknown parameter, wrong
type, value out of range, bad pack) becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from toolkit.cli.describe import describe_parameters, describe_result
from toolkit.cli.options import (
    MonthsOption,
    PackOption,
    PathsOption,
    ScenarioOption,
    SchedulerOption,
    SeedOption,
    handles_errors,
)
from toolkit.engine.defaults import DEFAULT_MONTHS, DEFAULT_PATHS, DEFAULT_SCENARIO, DEFAULT_SEED
from toolkit.errors import ParameterError, ToolkitError, shown
from toolkit.files import atomic_path, check_output_file

if TYPE_CHECKING:
    import datetime as dt

    from toolkit.engine.model import Model
    from toolkit.engine.result import SimulationResult

PROGRESS_MIN_PATH_MONTHS = 10_000_000


def register(app: typer.Typer) -> None:
    """Add `params` and `simulate` to `app`."""
    app.command("params")(params)
    app.command("simulate")(simulate)


# --------------------------------------------------------------------------------------------
@handles_errors
def params(
    scenario: ScenarioOption = DEFAULT_SCENARIO,
    details: Annotated[
        bool,
        typer.Option(
            "--details", help="Also print each description, claim quote and assumption rationale."
        ),
    ] = False,
    pack: PackOption = None,
) -> None:
    """List the model parameters: value, band, distribution, valid range, unit and source."""
    from toolkit.engine.compile import compile_model
    from toolkit.pack.load import load_pack

    model = compile_model(load_pack(pack), scenario)
    typer.echo(describe_parameters(model, details=details))


@handles_errors
def simulate(
    scenario: ScenarioOption = DEFAULT_SCENARIO,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="Override a parameter: NAME=VALUE (a point) or NAME=VALUE,LOW,HIGH (a band). "
            "Repeatable.",
        ),
    ] = None,
    paths: PathsOption = DEFAULT_PATHS,
    months: MonthsOption = DEFAULT_MONTHS,
    seed: SeedOption = DEFAULT_SEED,
    within: Annotated[
        int | None,
        typer.Option(
            help="Month of the 'within' column, in [0, MONTHS] (default 12, or MONTHS if shorter).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write every probability output, long format, to FILE.parquet."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    start: Annotated[
        str | None,
        typer.Option(
            help="Start state at month 0: PHASE=SHARE,... summing to 1 (default: the pack's).",
            show_default=False,
        ),
    ] = None,
    step: Annotated[
        float,
        typer.Option(help="Months per reporting period (e.g. 0.25 for weeks; MONTHS a multiple)."),
    ] = 1.0,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help=(
                "Start from the tracker's posterior on this date, YYYY-MM-DD (month 0 = DATE; a "
                "phase gone through since the pack's date counts as reached)."
            ),
            show_default=False,
        ),
    ] = None,
    observations: Annotated[
        Path | None,
        typer.Option(
            help="With --as-of: observation log instead of the pack's (YAML or CSV).",
            show_default=False,
        ),
    ] = None,
    pack: PackOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Run the scenario engine and print a summary (P by month `within` and by the horizon)."""
    from toolkit.engine.compile import compile_model
    from toolkit.engine.simulation import check_step
    from toolkit.engine.simulation import simulate as run
    from toolkit.engine.validate import check_within, validate_run
    from toolkit.pack.load import load_pack

    settings: dict[str, object] = {"paths": paths, "months": months, "seed": seed}
    if within is not None:
        settings["within"] = within
    validate_run(settings)  # before any work: within in [0, months] too
    if out is not None and out.suffix.lower() != ".parquet":
        raise ToolkitError(f"--out: expected a FILE.parquet, got {str(out)!r}")
    if out is not None:
        check_output_file(out)
    shares = parse_start(start) if start is not None else None
    check_step(step, months)
    if within is not None:
        check_within(within, months, step)  # at the end of a reporting period
    day = _as_of(as_of, start, observations)
    loaded = load_pack(pack)
    model = compile_model(loaded, scenario)
    overrides: dict[str, Any] = parse_overrides(param or [], model)
    tracked = None
    if day is not None:
        from toolkit.track.tracker import track

        tracked = track(loaded, day, observations, scenario=scenario, overrides=overrides)
    with _cluster(scheduler) as client, _Progress(paths, months) as progress:
        if tracked is not None:
            from toolkit.track.forecast import simulate_from

            result = simulate_from(
                tracked, loaded, paths=paths, months=months, seed=seed, progress=progress,
                step=step, client=client, **overrides,
            )  # fmt: skip
        else:
            result = run(
                model, paths=paths, months=months, seed=seed, progress=progress, start=shares,
                step=step, client=client, **overrides,
            )  # fmt: skip
    if out is not None:
        _write_parquet(result, out)
    if as_json:
        summary = result.summary(within)
        if tracked is not None:
            summary["as_of"] = tracked.as_of.isoformat()
            summary["observations_used"] = list(tracked.observations_used)
        typer.echo(json.dumps(summary, indent=2))
    else:
        origin = None
        if tracked is not None:
            origin = (
                f"{tracked.as_of} (the tracker's posterior from "
                f"{len(tracked.observations_used)} observation(s))"
            )
        typer.echo(describe_result(result, within, origin=origin))
    if out is not None:
        typer.echo(f"wrote {out}", err=as_json)


def _as_of(as_of: str | None, start: str | None, observations: Path | None) -> dt.date | None:
    """The --as-of date, checked with --start and --observations before any work."""
    if as_of is None:
        if observations is not None:
            raise ParameterError("--observations needs --as-of (the date to start from)")
        return None
    if start is not None:
        raise ParameterError("give --start or --as-of, not both: --as-of sets the start state")
    from toolkit.track.tracker import check_not_after_today, parse_date

    day = parse_date(as_of, "--as-of")
    check_not_after_today(day, "--as-of")
    return day


# --------------------------------------------------------------------------------------------
def parse_overrides(items: list[str], model: Model) -> dict[str, object]:
    """`NAME=VALUE` or `NAME=VALUE,LOW,HIGH` strings -> overrides; errors name the parameter."""
    out: dict[str, object] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"-p expects NAME=VALUE, got {shown(item)}")
        i = model.parameters.index(name)  # unknown name -> ParameterError
        if name in out:  # keeping the last would drop a value silently; `report` refuses it too
            raise ParameterError(f"parameter {name!r} given twice")
        numbers = [_number(part.strip()) for part in text.split(",")]
        if len(numbers) not in (1, 3) or any(x is None for x in numbers):
            kind = "a whole number" if model.parameters.is_int[i] else "a number"
            raise ParameterError(
                f"parameter {name!r} expects {kind} in {model.parameters.valid_range(i)} "
                f"(or VALUE,LOW,HIGH), got {shown(text)}"
            )
        if len(numbers) == 1:
            out[name] = numbers[0]
        else:
            out[name] = dict(zip(("value", "low", "high"), numbers, strict=True))
    return out


def parse_start(text: str) -> dict[str, float]:
    """`PHASE=SHARE,PHASE=SHARE` -> {phase: share}; the model checks phases and the sum."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        number = _number(value.strip())
        if not sep or not name.strip() or number is None:
            raise ParameterError(f"--start expects PHASE=SHARE,..., got {shown(part)}")
        if name.strip() in out:
            raise ParameterError(f"--start gives the phase {shown(name.strip())} twice")
        out[name.strip()] = float(number)
    if not out:
        raise ParameterError("--start expects PHASE=SHARE,... (shares summing to 1)")
    return out


def _number(text: str) -> float | int | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _cluster(scheduler: str | None) -> Any:
    """A Dask client for `--scheduler` (the dashboard line on stderr), or no client."""
    if scheduler is None:
        return contextlib.nullcontext(None)
    from toolkit.distributed.cluster import connect

    return connect(scheduler, announce=lambda line: typer.echo(line, err=True))


class _Progress:
    """A rich progress bar on stderr for long runs; a no-op context otherwise."""

    def __init__(self, paths: int, months: int) -> None:
        self.paths = paths
        self.enabled = paths * months >= PROGRESS_MIN_PATH_MONTHS
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "simulating",
            BarColumn(),
            "{task.completed:,}/{task.total:,} paths",
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("simulate", total=self.paths)

        def update(done: int, total: int) -> None:
            self.bar.update(self.task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _write_parquet(result: SimulationResult, out: Path) -> None:
    with atomic_path(out) as tmp:
        result.to_long().write_parquet(tmp)
