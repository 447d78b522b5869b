"""A small precomputed grid of engine runs, for the in-report explorer (sliders without a kernel).

`compute_explorer_grid(pack, scenario, grid={param: values, ...})` runs the engine once per grid point
(one or two parameters fixed at each combination of values; every other parameter keeps its value or
band under the scenario and any `overrides`, from the pack's or a given `start` state) on the same random numbers everywhere, so neighbouring slices differ by the assumption,
not by Monte Carlo noise. The result is an `ExplorerGrid`: one long frame of month-by-month probabilities (phase
occupancy, cumulative transfer by technology tier, highest response tier decided) plus what the sliders
need to know about each axis. `toolkit.charts.chart_explorer_grid` draws it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from toolkit.engine.defaults import DEFAULT_SEED
from toolkit.errors import ParameterError, shown

if TYPE_CHECKING:
    from toolkit.engine.model import TierStart
    from toolkit.pack.load import Pack

MAX_AXES: Final = 2
GENERIC_VALUES: Final = 5  # values per axis of a grid the pack does not declare
MAX_POINTS: Final = 49  # the explorer's data must stay small: it is inlined in the report
PANELS: Final = ("phases", "transfers", "responses")


def decimal_float(x: float) -> float:
    """`x` at 12 significant digits: 0.1 + 4 * 0.0825 is 0.42999999999999994 in binary, and a range
    slider (the browser steps in decimal from its min) whose max and step are written that way
    cannot reach its top value (found in a bug hunt); 0.43 and 0.0825 can."""
    return float(f"{x:.12g}")


@dataclass(frozen=True)
class GridAxis:
    """One slider: the parameter, its words and unit, the grid values and where the slider starts."""

    parameter: str
    label: str
    unit: str
    integer: bool
    values: tuple[float, ...]
    default: float

    @property
    def step(self) -> float | None:
        """The spacing of evenly spaced values (a range slider), or None (a drop-down)."""
        if len(self.values) < 2:
            return None
        gaps = [b - a for a, b in itertools.pairwise(self.values)]
        first = gaps[0]
        if first > 0 and all(math.isclose(g, first, rel_tol=1e-9, abs_tol=1e-12) for g in gaps):
            return decimal_float(first)
        return None


@dataclass(frozen=True)
class ExplorerGrid:
    """Engine outputs over a grid of one or two parameters.

    `frame` has one Float64 column per axis (named by the parameter id), then `month` (Int32), `panel`
    (Enum: phases, transfers, responses), `series` (Enum: phase ids, technology tier ids, `none` and
    response tier ids, in ladder order within each panel) and `probability` (Float64). For `phases`,
    the share of paths in the phase; for `transfers`, P(any technology of the tier transferred by the
    month); for `responses`, the share of paths whose highest decided tier is the series.
    """

    frame: pl.DataFrame
    axes: tuple[GridAxis, ...]
    labels: Mapping[str, str]
    scenario: str
    paths: int
    months: int
    seed: int
    start: dt.date | None = None  # month 0: the pack's publication date (calendar labels)
    overrides: tuple[tuple[str, object], ...] = ()  # on top of the scenario, at every point
    start_state: tuple[tuple[str, float], ...] = ()  # shares of paths per phase at month 0
    # the as-of date month 0 is (a run started from the tracker's estimate then), None: the pack's date
    as_of: dt.date | None = None

    def series(self, panel: str) -> list[str]:
        """The series of one panel, in ladder order."""
        categories = self.frame.schema["series"]
        assert isinstance(categories, pl.Enum)
        present = set(
            self.frame.filter(pl.col("panel") == panel)["series"].cast(pl.String).unique().to_list()
        )
        return [str(c) for c in categories.categories.to_list() if c in present]


Progress = Callable[[int, int], None]


def explorer_parameters(pack: Pack) -> dict[str, tuple[float, ...]]:
    """The grid a report's explorer shows unless told: pack.yaml's `report.explorer_grid` (the
    assumptions the pack's story turns on), else the first two parameters of parameters.yaml with a
    band, each at GENERIC_VALUES evenly spaced values from its low to its high end (whole numbers for
    an int parameter). Empty for a pack with neither: it has nothing to explore."""
    declared = pack.meta.report.explorer_grid
    if declared:
        return {name: tuple(values) for name, values in declared.items()}
    grid: dict[str, tuple[float, ...]] = {}
    for row in pack.parameters.iter_rows(named=True):
        low, high = row["low"], row["high"]
        if low is None or high is None or not low < high:
            continue
        step = (high - low) / (GENERIC_VALUES - 1)
        values = [decimal_float(low + k * step) for k in range(GENERIC_VALUES)]
        if row["type"] == "int":
            values = [float(round(v)) for v in values]
        grid[str(row["id"])] = tuple(dict.fromkeys(values))
        if len(grid) == MAX_AXES:
            break
    return grid


def default_grid(pack: Pack) -> dict[str, tuple[float, ...]]:
    """`explorer_parameters(pack)`; for a pack with nothing to explore, ParameterError saying what
    to declare."""
    grid = explorer_parameters(pack)
    if not grid:
        raise ParameterError(
            "the pack has no banded parameter for the explorer grid: declare one or two in "
            "pack.yaml (report: explorer_grid: {parameter: [values]})"
        )
    return grid


def compute_explorer_grid(
    pack: Pack,
    scenario: str = "baseline",
    *,
    grid: Mapping[str, Sequence[float]] | None = None,
    paths: int = 2_000,
    months: int = 24,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    overrides: Mapping[str, object] | None = None,
    start: Mapping[str, float] | None = None,
    start_transferred: Mapping[str, float | Mapping[str, float]] | None = None,
    start_decided: Mapping[str, float] | None = None,
    start_tiers: Mapping[str, TierStart] | None = None,
    start_reached: Mapping[str, float | Mapping[str, float]] | None = None,
    month0: dt.date | None = None,
) -> ExplorerGrid:
    """Run the engine at every point of `grid` (default: the pack's, `default_grid`) and collect the
    outputs.

    `overrides` (on top of the scenario) and `start`, `start_transferred`, `start_decided`,
    `start_tiers`, `start_reached` (a start state; an as-of start, see `Model.with_start`) apply at
    every point, as in
    `simulate`; the grid's own parameters are set at each point. `month0`: the date of month 0 (default: the pack's
    publication date).

    All points go through the engine in one pass on the same random numbers
    (`toolkit.engine.simulation.simulate_variants`); `progress(paths done, paths)` follows that pass.
    """
    from toolkit.engine.compile import compile_model
    from toolkit.engine.simulation import simulate_variants

    spec = dict(default_grid(pack) if grid is None else grid)
    if not 1 <= len(spec) <= MAX_AXES:
        raise ParameterError(f"an explorer grid has 1 or 2 parameters, got {len(spec)}")
    params = {str(r["id"]): r for r in pack.parameters.iter_rows(named=True)}
    scenario_values = _scenario_values(pack, scenario)
    for name, value in (overrides or {}).items():
        point = value.get("value") if isinstance(value, Mapping) else value
        if isinstance(point, int | float) and not isinstance(point, bool):
            scenario_values[name] = float(point)
    axes: list[GridAxis] = []
    for name, raw in spec.items():
        if name not in params:
            known = ", ".join(sorted(params))
            raise ParameterError(
                f"unknown parameter {shown(name)} in the explorer grid (known: {known})"
            )
        values = tuple(sorted({float(v) for v in raw}))
        if not values:
            raise ParameterError(f"explorer grid parameter {name!r} has no values")
        row = params[name]
        base = scenario_values.get(name, float(row["value"]))
        axes.append(
            GridAxis(
                parameter=name,
                label=str(row["label"]),
                unit=str(row["unit"]),
                integer=row["type"] == "int",
                values=values,
                default=min(values, key=lambda v: (abs(v - base), v)),
            )
        )
    n_points = math.prod(len(a.values) for a in axes)
    if n_points > MAX_POINTS:
        raise ParameterError(f"explorer grid has {n_points} points; at most {MAX_POINTS}")

    phase_enum = pack.enums["phase"]
    tier_enum = pack.enums["tech_tier"]
    # once; each point only overrides the grid's parameters
    model = compile_model(pack, scenario, overrides).with_start(
        start, start_transferred, start_decided, start_tiers, start_reached
    )
    points = list(itertools.product(*(a.values for a in axes)))
    variants = [
        model.with_overrides(
            {a.parameter: int(v) if a.integer else v for a, v in zip(axes, point, strict=True)}
        )
        for point in points
    ]
    # one engine pass over the same random numbers (each run equal to its own `simulate`)
    results = simulate_variants(variants, paths=paths, months=months, seed=seed, progress=progress)
    parts: list[pl.DataFrame] = []
    for point, result in zip(points, results, strict=True):
        long = pl.concat(
            [
                _panel(result.phases, "phase", "phases"),
                _panel(result.transfer_tiers, "tier", "transfers"),
                _panel(result.responses, "level", "responses"),
            ]
        )
        parts.append(
            long.with_columns(
                pl.lit(float(v)).alias(a.parameter) for a, v in zip(axes, point, strict=True)
            )
        )
        response_levels = result.responses.schema["level"]

    assert isinstance(response_levels, pl.Enum)
    series_order = _unique(
        [
            *[str(c) for c in phase_enum.categories.to_list()],
            *[str(c) for c in tier_enum.categories.to_list()],
            *[str(c) for c in response_levels.categories.to_list()],
        ]
    )
    frame = (
        pl.concat(parts)
        .with_columns(
            pl.col("panel").cast(pl.Enum(list(PANELS))),
            pl.col("series").cast(pl.Enum(series_order)),
            pl.col("month").cast(pl.Int32),
        )
        .select(*(a.parameter for a in axes), "month", "panel", "series", "probability")
    )
    labels = {
        **_id_labels(pack.phases),
        **_id_labels(pack.tech_tiers),
        **_id_labels(pack.response_tiers),
        "none": "No response decided yet",
    }
    return ExplorerGrid(
        frame=frame,
        axes=tuple(axes),
        labels=labels,
        scenario=scenario,
        paths=paths,
        months=months,
        seed=seed,
        start=month0 or pack.meta.publication.date,
        overrides=tuple(sorted((overrides or {}).items())),
        start_state=tuple(model.start_state().items()),
        as_of=month0,
    )


def _panel(frame: pl.DataFrame, key: str, panel: str) -> pl.DataFrame:
    return frame.select(
        pl.col("month").cast(pl.Int32),
        pl.lit(panel).alias("panel"),
        pl.col(key).cast(pl.String).alias("series"),
        pl.col("probability").cast(pl.Float64),
    )


def _id_labels(frame: pl.DataFrame) -> dict[str, str]:
    return dict(zip(frame["id"].cast(pl.String), frame["label"], strict=True))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _scenario_values(pack: Pack, scenario: str) -> dict[str, float]:
    """The point values a scenario sets (its overrides); unknown scenario -> ParameterError."""
    known = pack.scenarios["id"].to_list()
    if scenario not in known:
        raise ParameterError(f"unknown scenario {shown(scenario)} (known: {', '.join(known)})")
    rows = pack.overrides.filter(pl.col("scenario") == scenario)
    return dict(zip(rows["parameter"], rows["value"], strict=True))
