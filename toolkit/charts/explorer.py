"""The in-report explorer: Vega-bound sliders pick a slice of a precomputed grid of engine runs.

The whole grid travels inside the spec once, as compact inline CSV; each slider is a Vega-Lite
parameter bound to an HTML input, and every panel filters the rows of the chosen slice. A reader of a
static HTML file moves the sliders and the charts follow, with no kernel and no network.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl

from toolkit.charts.model_charts import judged_labels, judged_note
from toolkit.charts.theme import (
    MAX_ROWS,
    NEUTRAL,
    category_colours,
    legend,
    month_axis,
    percent_axis,
    sequential_colours,
    titled,
)
from toolkit.pack.units import label_with_unit, whole_percents

if TYPE_CHECKING:
    from toolkit.engine.grid import ExplorerGrid, GridAxis
    from toolkit.pack.load import Pack

# per panel: title, y title, stacked area (True) or lines
_PANELS: dict[str, tuple[str, str, bool]] = {
    "phases": ("Deployment phase (share of paths)", "Share of paths", True),
    "transfers": ("Technology transferred by tier (cumulative)", "P(transferred)", False),
    "responses": ("Highest response decided (share of paths)", "Share of paths", True),
}


def _signal(axis: GridAxis) -> str:
    return f"slider_{axis.parameter}"


def _binding(axis: GridAxis) -> alt.BindRange | alt.BindRadioSelect:
    name = f"{label_with_unit(axis.label, axis.unit)} "
    step = axis.step
    if step is not None:
        # max half a step past the top value: the browser steps in decimal from min, and a top
        # value a rounding error above min + k * step was out of reach (found in a bug hunt)
        top = axis.values[-1] + step / 2
        return alt.binding_range(min=axis.values[0], max=top, step=step, name=name)
    return alt.binding_select(options=list(axis.values), name=name)


def _slice_filter(axes: tuple[GridAxis, ...]) -> str:
    """Rows of the slice the sliders select (with a tolerance: slider steps are floats)."""
    parts = []
    for axis in axes:
        gaps = [b - a for a, b in zip(axis.values, axis.values[1:], strict=False)]
        tol = min(gaps) / 2 if gaps else 0.5
        parts.append(f"abs(datum['{axis.parameter}'] - {_signal(axis)}) < {tol!r}")
    return " && ".join(parts)


def _wide_csv(grid: ExplorerGrid) -> tuple[str, dict[str, list[str]]]:
    """One CSV row per grid point and month; one column per panel series (`panel:series`)."""
    keys = [a.parameter for a in grid.axes]
    frame = grid.frame.with_columns(
        column=pl.col("panel").cast(pl.String) + pl.lit(":") + pl.col("series").cast(pl.String)
    )
    columns = {panel: [f"{panel}:{s}" for s in grid.series(panel)] for panel in _PANELS}
    ordered = [c for cols in columns.values() for c in cols]
    wide = (
        frame.pivot(on="column", index=[*keys, "month"], values="probability")
        .sort([*keys, "month"])
        .select(*keys, "month", *ordered)
    )
    if wide.height > MAX_ROWS:
        raise ValueError(f"explorer grid has {wide.height} rows; keep it under {MAX_ROWS}")
    ints = [a.parameter for a in grid.axes if a.integer]
    wide = wide.with_columns(pl.col(c).round(0).cast(pl.Int64) for c in ints)
    # compact numbers: 0.380 -> .38, 1.000 -> 1, 0.000 -> 0 (Vega parses them as numbers)
    compact = wide.with_columns(
        pl.col(c)
        .round(3)
        .cast(pl.String)
        .str.replace(r"\.0$", "")
        .str.replace(r"^0\.", ".")
        .str.replace(r"^-0\.", "-.")
        for c in ordered
    )
    return compact.write_csv(), columns


def chart_explorer_grid(grid: ExplorerGrid, pack: Pack | None = None) -> alt.VConcatChart:
    """Three stacked panels (phases, transfers by tier, highest response) for the slice the sliders pick.

    The grid (see `toolkit.engine.grid.compute_explorer_grid`) is inlined once as CSV; one slider per grid
    parameter (a range slider for evenly spaced values, else a drop-down) starts at the scenario's value.
    With the `pack`, a series that rests on an analyst assumption is marked † in its legend, as in the
    other model charts. Tooltips name each series in words (they showed "phases:rear_support").
    """
    csv, columns = _wide_csv(grid)
    keys = [a.parameter for a in grid.axes]
    parse = dict.fromkeys(
        [*keys, "month", *[c for cols in columns.values() for c in cols]], "number"
    )
    data = alt.InlineData(values=csv, format=alt.DataFormat(type="csv", parse=parse))
    params = [alt.param(name=_signal(a), value=a.default, bind=_binding(a)) for a in grid.axes]
    where = _slice_filter(grid.axes)
    words = {**grid.labels, **_judged(pack)}
    labels = {f"{p}:{s}": words.get(s, s) for p in _PANELS for s in grid.series(p)}
    panels = []
    last = [p for p in _PANELS if columns[p]][-1]
    for panel, (title, y_title, stacked) in _PANELS.items():
        fields: list[Any] = columns[panel]
        if not fields:
            continue
        colours = _colours(panel, fields)
        base = (
            alt.Chart(title=alt.Title(title, fontSize=12, fontWeight="normal", anchor="start"))
            .transform_filter(where)
            .transform_fold(fields, as_=["series", "probability"])
            .transform_calculate(
                rank=f"indexof({json.dumps(fields)}, datum.series)",
                label=f"{json.dumps({f: labels[f] for f in fields})}[datum.series]",
            )
        )
        encoding = {
            "x": alt.X(
                "month:Q",
                scale=alt.Scale(domain=[0, grid.months], nice=False),
                axis=month_axis(grid.start, title=panel == last, what=_month0_words(grid)),
            ),
            "y": alt.Y(
                "probability:Q",
                stack="zero" if stacked else None,
                scale=alt.Scale(domain=[0, 1]),
                axis=percent_axis(y_title),
            ),
            "color": alt.Color(
                "series:N",
                scale=alt.Scale(domain=fields, range=colours),
                sort=fields,
                legend=legend(panel.capitalize(), fields, labels, labelLimit=300),
            ),
            "tooltip": [
                alt.Tooltip("month:Q"),
                alt.Tooltip("label:N", title=panel.rstrip("s")),
                alt.Tooltip("probability:Q", format=".1%"),
            ],
        }
        if stacked:
            mark = base.mark_area(interpolate="step-after")
            chart = mark.encode(order=alt.Order("rank:Q", sort="descending"), **encoding)
        else:
            chart = base.mark_line(interpolate="step-after", strokeWidth=2.5).encode(**encoding)
        panels.append(chart.properties(width=480, height=130))
    explorer = alt.VConcatChart(vconcat=panels, data=data, spacing=14).add_params(*params)
    explorer = explorer.resolve_scale(color="independent")
    names = " and ".join(a.label for a in grid.axes)
    n_points = grid.frame.select(keys).unique().height
    fixed = ", ".join(f"{k} = {v}" for k, v in grid.overrides) or "none"
    shown = whole_percents([float(v) for _, v in grid.start_state])  # adds up to 100
    start = ", ".join(
        f"“{grid.labels.get(k, k)}” {p.replace(' ', '')}"
        for (k, _), p in zip(grid.start_state, shown, strict=True)
    )
    start_words = (
        "start"
        if grid.as_of is None
        else f"start (the tracker's estimate on {grid.as_of:%d %b %Y})"
    )
    inputs = f"overrides: {fixed}" + (f"; {start_words}: {start}" if start else "")
    return titled(
        explorer,
        f"Explore: move the sliders to change {names}",
        f"Precomputed: {n_points} engine runs ({grid.paths:,} paths, {grid.months} months, seed {grid.seed}, scenario “{grid.scenario}”; {inputs}); the sliders pick a run, nothing is recomputed in the page.",
        judged_note(labels)
        + "The slider parameters are fixed at each grid point; every other parameter keeps its value or band under the scenario and overrides. Analyst assumptions: parameters.yaml.",
    )


def _judged(pack: Pack | None) -> dict[str, str]:
    """The pack's phase, technology tier and response tier labels, † where they rest on an
    assumption ({} without a pack: the grid's own labels)."""
    if pack is None:
        return {}
    return {
        **judged_labels(pack, "phases"),
        **judged_labels(pack, "tech_tiers"),
        **judged_labels(pack, "response_tiers"),
    }


def _month0_words(grid: ExplorerGrid) -> str:
    """What month 0 is, for the month axis: the as-of date of a run started there, as the other
    model charts say (the axis called it the article's date in every as-of report), else the
    article's date."""
    if grid.as_of is not None:
        return f"the as-of date {grid.as_of:%d %b %Y}"
    return "the article's date"


def _colours(panel: str, fields: list[str]) -> list[str]:
    if panel == "responses" and fields and fields[0].endswith(":none"):
        return [NEUTRAL, *sequential_colours(len(fields) - 1)]
    if panel == "responses":
        return sequential_colours(len(fields))
    return category_colours(len(fields))
