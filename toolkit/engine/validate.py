"""The engine's checks of a run's inputs, without simulating: run settings, scenario and overrides.

`toolkit.report` calls `validate_overrides`, `validate_start` and `validate_run` on a report's parameters
before a kernel starts, `toolkit simulate` calls `validate_run` before it loads the pack; `toolkit.engine.simulation`
checks its own settings with `validate_run` and `check_whole`, `SimulationResult.summary` its `within`
with `check_within`. Each raises a one-line `ParameterError` naming the setting or parameter and its
valid range, with the value quoted short (`toolkit.errors.shown`).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, SupportsIndex, cast

from toolkit.errors import ParameterError, format_number, shown

if TYPE_CHECKING:
    from toolkit.engine.model import Model
    from toolkit.pack.load import Pack

MAX_MONTHS: Final = 600
DAYS_PER_MONTH: Final = 365.25 / 12  # the engine's month, in calendar days
RUN_LIMITS: Final[dict[str, tuple[int, int]]] = {
    "paths": (1, 10**9),
    "months": (1, MAX_MONTHS),
    "within": (0, MAX_MONTHS),
    "seed": (0, 2**63 - 1),
}
"""Valid ranges of a run's settings; a name ending in `_paths` is checked like `paths`."""


def validate_run(parameters: Mapping[str, object]) -> None:
    """Check the run settings among `parameters` (paths, months, within, seed, *_paths); ignore the
    rest. `within` given with `months` must lie within the horizon. Raises a one-line ParameterError
    naming the setting and its valid range."""
    for name, value in parameters.items():
        limits = RUN_LIMITS.get(name) or (RUN_LIMITS["paths"] if name.endswith("_paths") else None)
        if limits is None:
            continue
        check_whole(name, value, *limits)
    if "within" in parameters and "months" in parameters:
        months = check_whole("months", parameters["months"], *RUN_LIMITS["months"])
        check_within(parameters["within"], months)


def check_within(within: object, months: int, step: float = 1.0) -> int:
    """`within` is a month of a run of `months` months (a whole number in [0, months]) at the end
    of a reporting period of `step` months, or a one-line ParameterError says so; returns it."""
    w = check_whole("within", within, *RUN_LIMITS["within"])
    if w > months:
        raise ParameterError(
            f"within = {w} is past the horizon (months = {months}); give a month in [0, {months}]"
        )
    if not _on_boundary(w, step):
        raise ParameterError(
            f"within = {w} is not the end of a reporting period of {format_number(step)} months "
            f"(step); give a multiple of the step"
        )
    return w


def check_day(day: dt.date, start: dt.date, name: str = "as_of") -> None:
    """ParameterError (naming the date `name`) unless `day` is on or after the pack's start date and
    within the engine's horizon of it (MAX_MONTHS: the tracker's filter steps day by day, so a far
    date would run for minutes)."""
    if day < start:
        raise ParameterError(
            f"{name} {day} is before the pack's start date {start} (pack.yaml publication.date)"
        )
    if (day - start).days > MAX_MONTHS * DAYS_PER_MONTH:
        raise ParameterError(
            f"{name} {day} is more than {MAX_MONTHS} months after the pack's start date {start}"
        )


def default_within(months: int, step: float = 1.0, within: int = 12) -> int:
    """The month a summary reports unless told: `within` (12), or the first whole month at the end
    of a reporting period after it (a quarterly step and 12 months: 12; a step of 36: 36), capped at
    the horizon."""
    k = math.ceil(min(within, months) / step - 1e-9)
    while k * step < months - 1e-9 and not _on_boundary(round(k * step), step):
        k += 1
    month = round(k * step)
    return month if month <= months and _on_boundary(month, step) else months


def _on_boundary(month: int, step: float) -> bool:
    periods = month / step
    return abs(periods - round(periods)) <= 1e-9 * max(1.0, periods)


def check_whole(name: str, value: object, lo: int, hi: int) -> int:
    """`value` is a whole number in [lo, hi], or a one-line ParameterError says so (numbers and values
    quoted short: `toolkit.errors.shown`); returns it as an int."""
    if isinstance(value, bool) or not isinstance(value, _whole_types()):
        raise ParameterError(f"{name} expects a whole number in [{lo}, {hi}], got {shown(value)}")
    number = int(cast("SupportsIndex", value))
    if not lo <= number <= hi:
        raise ParameterError(
            f"{name} = {format_number(number)} is out of its valid range [{lo}, {hi}]"
        )
    return number


def _whole_types() -> tuple[type, ...]:
    """int, and numpy's integers once numpy is loaded (a value cannot be one before): the run
    checks import neither numpy nor the rest of the engine."""
    numpy = sys.modules.get("numpy")
    return (int, numpy.integer) if numpy is not None else (int,)


def validate_overrides(
    pack: Pack, scenario: str | None = None, overrides: Mapping[str, object] | None = None
) -> Model:
    """Check a scenario and overrides without simulating: the compiled model, or ParameterError."""
    from toolkit.engine.compile import compile_model

    return compile_model(pack, scenario or "baseline", overrides)


def validate_start(
    pack: Pack, scenario: str | None = None, start: Mapping[str, float] | None = None
) -> Model:
    """Check a start state ({phase: share}, shares summing to 1) without simulating: the model that
    starts there, or ParameterError."""
    from toolkit.engine.compile import compile_model

    return compile_model(pack, scenario or "baseline").with_start(start)
