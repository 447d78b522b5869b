"""What the `toolkit` commands share: their common options (declared once) and one-line errors.

Only typer is imported here, so every command module can use it without slowing `toolkit --help`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from toolkit.errors import ERROR_EXIT, ToolkitError, error_line

F = TypeVar("F", bound=Callable[..., Any])

PackOption = Annotated[
    Path | None,
    typer.Option(
        "--pack",
        help="Pack directory (default: $TOOLKIT_PACK, else the clone's seeds/ or the installed copy).",
        show_default=False,
    ),
]

ScenarioOption = Annotated[
    str, typer.Option("--scenario", "-s", help="Scenario (preset) from scenarios.yaml.")
]
PathsOption = Annotated[int, typer.Option("--paths", help="Simulated paths.")]
MonthsOption = Annotated[int, typer.Option("--months", help="Horizon in months after month 0.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same numbers).")]
ObservationsOption = Annotated[
    Path | None,
    typer.Option(
        "--observations",
        help="Observation log to use instead of the pack's observations.yaml (YAML or CSV).",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Date YYYY-MM-DD (default: today, capped at the last observation reported).",
        show_default=False,
    ),
]
ForecastAsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Date YYYY-MM-DD of the forecast (default: today).", show_default=False
    ),
]
ObservationLogOption = Annotated[
    Path | None,
    typer.Option(
        "--log", help="YAML observation log to append to (default: the pack's).", show_default=False
    ),
]

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on Dask: a scheduler ADDRESS (tcp://host:8786) or local[:N] (a cluster of N "
        "worker processes here); needs the `distributed` extra.",
        show_default=False,
    ),
]


def handles_errors(func: F) -> F:
    """Turn a ToolkitError into one line on stderr and exit status 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ToolkitError as exc:
            typer.echo(error_line(exc), err=True)
            raise typer.Exit(ERROR_EXIT) from None

    return wrapper  # type: ignore[return-value]
