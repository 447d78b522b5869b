"""Charts of the scenario engine's outputs: phases, transfers and responses month by month.

Inputs are the engine's tidy frames (`SimulationResult.phases`, `.transfers`, `.transfer_tiers`,
`.responses`). Ladders keep their Enum order on every axis, legend and stack. An optional pack supplies
plain-word labels for legends (ids otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import altair as alt
import polars as pl

from toolkit.charts.theme import (
    NEUTRAL,
    category_scale,
    label_expr,
    legend,
    month_axis,
    order_of,
    percent_axis,
    plain,
    sequential_colours,
    titled,
    wrap_text,
)

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

PROB_DIGITS = 3  # probabilities in specs: 0.1 % resolution is finer than any chart shows
NO_EFFECT = 0.0005  # a tornado leaves out parameters that move the outcome less than this


class ResultLike(Protocol):
    """What the month-by-month charts need from a `SimulationResult` (read-only)."""

    @property
    def scenario(self) -> str: ...
    @property
    def paths(self) -> int: ...
    @property
    def months(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def phases(self) -> pl.DataFrame: ...
    @property
    def transfers(self) -> pl.DataFrame: ...
    @property
    def transfer_tiers(self) -> pl.DataFrame: ...
    @property
    def responses(self) -> pl.DataFrame: ...


def run_caption(result: ResultLike) -> str:
    """The run a chart comes from: scenario, paths, horizon, seed."""
    return (
        f"Scenario “{result.scenario}”: {result.paths:,} simulated paths over {result.months} months, "
        f"seed {result.seed}."
    )


def _labels(pack: Pack | None, frame_name: str) -> dict[str, str]:
    if pack is None:
        return {}
    frame = pack.frames[frame_name]
    return dict(zip(frame["id"].cast(pl.String), frame["label"], strict=True))


def _rank(key: str, order: Sequence[str]) -> str:
    """A Vega expression: the position of `datum[key]` in the ladder (for stack order)."""
    return f"indexof({json.dumps(list(order), ensure_ascii=False)}, datum[{json.dumps(key)}])"


def _lookup_labels(chart: alt.Chart, key: str, labels: Mapping[str, str], as_: str) -> alt.Chart:
    """Add the plain-words label of `key` as field `as_` (a small inline lookup, not a column)."""
    table = [{key: k, as_: v} for k, v in labels.items()]
    if not table:
        return chart.transform_calculate(**{as_: f"datum[{json.dumps(key)}]"})
    return chart.transform_lookup(
        lookup=key,
        from_=alt.LookupData(data=alt.InlineData(values=table), key=key, fields=[as_]),
    ).transform_calculate(**{as_: f"datum[{json.dumps(as_)}] || datum[{json.dumps(key)}]"})


def _month_x(pack: Pack | None) -> alt.X:
    start = pack.meta.publication.date if pack is not None else None  # month 0 (assumed date)
    return alt.X("month:Q", scale=alt.Scale(nice=False), axis=month_axis(start))


def _stacked_area(
    frame: pl.DataFrame,
    key: str,
    order: Sequence[str],
    colour: alt.Scale,
    legend_title: str,
    labels: Mapping[str, str],
    pack: Pack | None,
) -> alt.Chart:
    """Probability of each ladder step per month, stacked in ladder order (first step on top)."""
    data = plain(frame.select("month", key, "probability"), digits=PROB_DIGITS)
    base = _lookup_labels(
        alt.Chart(data).transform_calculate(rank=_rank(key, order)), key, labels, "name"
    )
    return base.mark_area(line=False, interpolate="step-after").encode(
        x=_month_x(pack),
        y=alt.Y(
            "probability:Q",
            stack="zero",
            scale=alt.Scale(domain=[0, 1]),
            axis=percent_axis("Share of paths"),
        ),
        color=alt.Color(
            f"{key}:N",
            scale=colour,
            sort=list(order),
            legend=legend(legend_title, order, labels),
        ),
        order=alt.Order("rank:Q", sort="descending"),
        tooltip=[
            alt.Tooltip("month:Q"),
            alt.Tooltip("name:N", title=legend_title),
            alt.Tooltip("probability:Q", format=".1%"),
        ],
    )


def chart_phases(result: ResultLike, pack: Pack | None = None) -> alt.Chart:
    """Deployment phase probability month by month: share of paths in each phase, stacked in ladder order."""
    frame = result.phases
    order = order_of(frame, "phase")
    chart = _stacked_area(
        frame,
        "phase",
        order,
        category_scale(order),
        "Deployment phase",
        _labels(pack, "phases"),
        pack,
    )
    return titled(
        chart,
        "Where the North Korean troops are, month by month",
        "Share of simulated paths in each deployment phase (stacked; phases in ladder order, first on top).",
        "Analyst assumptions: monthly transition probabilities (parameters.yaml, phases.yaml). "
        + run_caption(result),
        width=560,
        height=280,
    )


def chart_transfers(result: ResultLike, pack: Pack | None = None) -> alt.LayerChart:
    """Cumulative probability that Russia has transferred technology, by tier (thick) and technology (thin)."""
    tiers_frame = result.transfer_tiers
    tiers = order_of(tiers_frame, "tier")
    tech = result.transfers
    tier_labels = _labels(pack, "tech_tiers")
    tech_names = (
        dict(zip(pack.technologies["id"], pack.technologies["name"], strict=True))
        if pack is not None
        else {}
    )
    tier_data = plain(tiers_frame.select("month", "tier", "probability"), digits=PROB_DIGITS)
    tech_data = plain(tech.select("month", "technology", "tier", "probability"), digits=PROB_DIGITS)
    colour_scale = category_scale(tiers)
    tier_legend = legend(
        "Technology tier", tiers, tier_labels, orient="bottom", direction="vertical", labelLimit=640
    )
    y = alt.Y(
        "probability:Q",
        scale=alt.Scale(domain=[0, 1]),
        axis=percent_axis("P(transferred by this month)"),
    )
    per_tech = (
        _lookup_labels(alt.Chart(tech_data), "technology", tech_names, "name")
        .mark_line(strokeWidth=1, strokeDash=[3, 2], opacity=0.7, interpolate="step-after")
        .encode(
            x=_month_x(pack),
            y=y,
            color=alt.Color("tier:N", scale=colour_scale, sort=tiers, legend=tier_legend),
            detail=alt.Detail("technology:N"),
            tooltip=[
                alt.Tooltip("name:N", title="technology"),
                alt.Tooltip("tier:N"),
                alt.Tooltip("month:Q"),
                alt.Tooltip("probability:Q", format=".1%"),
            ],
        )
    )
    per_tier = (
        _lookup_labels(alt.Chart(tier_data), "tier", tier_labels, "label")
        .mark_line(strokeWidth=3, interpolate="step-after")
        .encode(
            x=_month_x(pack),
            y=y,
            color=alt.Color("tier:N", scale=colour_scale, sort=tiers, legend=tier_legend),
            tooltip=[
                alt.Tooltip("label:N", title="tier"),
                alt.Tooltip("month:Q"),
                alt.Tooltip("probability:Q", format=".1%", title="P(any in tier)"),
            ],
        )
    )
    return titled(
        alt.LayerChart(layer=[per_tech, per_tier]),
        "Will Russia transfer technology? Cumulative probability by tier",
        "Thick: any technology of the tier transferred by that month; thin dashed: each technology (a tier's hazard is split equally among its technologies, so their lines coincide). Once transferred, it stays transferred.",
        "Analyst assumptions: compensation hazards by phase and troop scale (parameters.yaml), bands from claims.yaml. "
        + run_caption(result),
        width=560,
        height=280,
    )


def chart_responses(result: ResultLike, pack: Pack | None = None) -> alt.Chart:
    """Highest trilateral response tier decided, month by month (stacked, `none` on top)."""
    frame = result.responses
    order = order_of(frame, "level")
    labels = _labels(pack, "response_tiers")
    if pack is not None:
        status = dict(
            zip(
                pack.response_tiers["id"].cast(pl.String),
                pack.response_tiers["status"].cast(pl.String),
                strict=True,
            )
        )
        labels = {
            k: v + (" (ruled out)" if status.get(k) == "ruled_out" else "")
            for k, v in labels.items()
        }
        labels.setdefault("none", "No response decided yet")
    colour = _response_scale(order)
    chart = _stacked_area(frame, "level", order, colour, "Highest response decided", labels, pack)
    return titled(
        chart,
        "How far the trilateral response goes, month by month",
        "Share of simulated paths by the highest response tier decided so far (tiers are cumulative; darker = further up the ladder).",
        "Analyst assumptions: trigger lags and political will (parameters.yaml); triggers from responses.yaml. "
        + run_caption(result),
        width=560,
        height=280,
    )


def _response_scale(order: Sequence[str]) -> alt.Scale:
    """`none` in neutral grey, the tiers on the sequential ramp in ladder order."""
    if order and order[0] == "none":
        return alt.Scale(domain=list(order), range=[NEUTRAL, *sequential_colours(len(order) - 1)])
    return alt.Scale(domain=list(order), range=sequential_colours(len(order)))


# --------------------------------------------------------------------------------------------
def _column(frame: pl.DataFrame, *candidates: str) -> str:
    for name in candidates:
        if name in frame.columns:
            return name
    raise ValueError(f"frame has none of the columns {candidates}: {frame.columns}")


def chart_policy_table(table: pl.DataFrame, pack: Pack | None = None) -> alt.LayerChart:
    """The deterministic policy table as a heatmap: deployment phase × technology tier transferred →
    the highest response tier whose trigger holds.

    `table` has a `phase` column (Enum, ladder order), a transferred-tier column (`transferred` or
    `tier`; Enum with `none` first) and a response column (`response` or `level`; Enum with `none`
    first). Rows are phases top to bottom in ladder order, columns are tiers left to right.
    """
    phase_col = _column(table, "phase")
    tier_col = _column(table, "transferred", "tier", "tech_tier", "transferred_tier")
    resp_col = _column(table, "response", "level", "response_tier")
    phases = order_of(table, phase_col)
    tiers = order_of(table, tier_col)
    responses = order_of(table, resp_col)
    phase_labels = _labels(pack, "phases")
    tier_labels = {"none": "nothing transferred", **_labels(pack, "tech_tiers")}
    resp_labels = {"none": "no response", **_labels(pack, "response_tiers")}
    opened = (
        pl.col("opened").list.eval(pl.element().replace(resp_labels)).list.join(", ")
        if "opened" in table.columns and table.schema["opened"] == pl.List(pl.String)
        else pl.lit("")
    )
    data = plain(
        table.select(
            pl.col(phase_col).alias("phase"),
            pl.col(tier_col).alias("transferred"),
            pl.col(resp_col).alias("response"),
            opened.alias("opened"),
        ).with_columns(
            response_label=pl.col("response").cast(pl.String).replace(resp_labels),
            cell=pl.col("response")
            .cast(pl.String)
            .replace(resp_labels)
            .map_elements(lambda t: wrap_text(t, 22), return_dtype=pl.String),
            phase_label=pl.col("phase").cast(pl.String).replace(phase_labels),
            tier_label=pl.col("transferred").cast(pl.String).replace(tier_labels),
        )
    )
    colour = _response_scale(responses)
    dark = set(responses[max(1, len(responses) - 3) :]) if len(responses) > 3 else set()
    x = alt.X(
        "transferred:N",
        sort=tiers,
        scale=alt.Scale(domain=tiers),
        title="Technology tier transferred (highest)",
        axis=alt.Axis(
            labelAngle=0,
            labelExpr=label_expr(tiers, [tier_labels.get(t, t) for t in tiers], wrap=26),
            labelLimit=180,
        ),
    )
    y = alt.Y(
        "phase:N",
        sort=phases,
        scale=alt.Scale(domain=phases),
        title="Deployment phase",
        axis=alt.Axis(
            labelExpr=label_expr(phases, [phase_labels.get(p, p) for p in phases], wrap=24)
        ),
    )
    cells = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "response:N",
                scale=colour,
                sort=responses,
                legend=legend("Response decided", responses, resp_labels),
            ),
            tooltip=[
                alt.Tooltip("phase_label:N", title="phase"),
                alt.Tooltip("tier_label:N", title="transferred"),
                alt.Tooltip("response_label:N", title="response"),
                alt.Tooltip("opened:N", title="all tiers open"),
            ],
        )
    )
    # Vega anchors a multi-line text at its first line: lift 2- and 3-line cells by half their height
    texts = [
        alt.Chart(data)
        .transform_calculate(lines="length(split(datum.cell, '\\n'))")
        .transform_filter(f"datum.lines == {n}")
        .mark_text(fontSize=10.5, lineBreak="\n", baseline="middle", dy=-6.5 * (n - 1))
        .encode(
            x=x,
            y=y,
            text=alt.Text("cell:N"),
            color=alt.ColorValue(
                "#111111",
                condition={
                    "test": alt.FieldOneOfPredicate(field="response", oneOf=sorted(dark)),
                    "value": "white",
                },
            ),
        )
        for n in (1, 2, 3)
    ]
    return titled(
        alt.LayerChart(layer=[cells, *texts]),
        "Policy table: which response the triggers call for",
        "Highest response tier whose trigger holds for a deployment phase and the technology transferred (lags and political will ignored).",
        "Source: trigger conditions in responses.yaml (the article's stated triggers; others analyst assumptions).",
        width=alt.Step(170),
        height=alt.Step(48),
    )


def _outcome_words(frame: pl.DataFrame, pack: Pack | None) -> str:
    """ "Lethal weapons for Ukraine by month 12" from the frame's `outcome`/`within` columns."""
    if "outcome" not in frame.columns:
        return "the outcome"
    outcome = str(frame["outcome"][0])
    words = outcome
    if pack is not None:
        for name in ("response_tiers", "phases", "tech_tiers"):
            labels = _labels(pack, name)
            if outcome in labels:
                words = labels[outcome]
                break
        names = dict(zip(pack.technologies["id"], pack.technologies["name"], strict=True))
        words = names.get(outcome, words)
    if "within" in frame.columns:
        words += f" by month {int(frame['within'][0])}"
    return words


def chart_tornado(
    sensitivity: pl.DataFrame,
    outcome: str | None = None,
    *,
    pack: Pack | None = None,
    top: int = 12,
) -> alt.LayerChart:
    """One-at-a-time sensitivity: how far the outcome moves when each parameter goes from the low to
    the high end of its range, largest swing on top (the `top` largest shown).

    `sensitivity` is `toolkit.engine.analysis.compute_tornado`'s frame: `parameter` (and optionally `label`),
    `low`/`high` (the parameter values tried), `outcome_low`/`outcome_high` (the outcome there),
    `baseline` (the outcome at the scenario's values) and optionally `outcome`/`within`, which name
    the outcome when `outcome` is not given.
    """
    frame = sensitivity
    if outcome is None:
        outcome = _outcome_words(frame, pack)
    if "label" not in frame.columns:
        frame = frame.with_columns(label=pl.col("parameter"))
    base = float(frame["baseline"][0])
    scored = frame.with_columns(
        swing=(pl.col("outcome_high") - pl.col("outcome_low")).abs(),
        effect=pl.max_horizontal(
            (pl.col("outcome_low") - base).abs(), (pl.col("outcome_high") - base).abs()
        ),
    )
    moved = scored.filter(pl.col("effect") >= NO_EFFECT)
    ranked = moved.sort("swing", "effect", "parameter", descending=[True, True, False]).head(top)
    left_out = scored.height - ranked.height
    order = ranked["label"].to_list()
    ends = ["low end", "high end"]
    long = pl.concat(
        [
            ranked.select(
                "parameter",
                "label",
                "swing",
                pl.lit(end).alias("end"),
                pl.col(value).alias("value"),
                pl.col(result).alias("outcome"),
            )
            for end, value, result in (
                ("low end", "low", "outcome_low"),
                ("high end", "high", "outcome_high"),
            )
        ]
    ).with_columns(baseline=pl.lit(base))
    data = plain(long)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=300))
    bars = (
        alt.Chart(data)
        .mark_bar(height=14, opacity=0.9)
        .encode(
            x=alt.X(
                "baseline:Q",
                axis=percent_axis(f"P({outcome})"),
                scale=alt.Scale(zero=False, padding=30),
            ),
            x2=alt.X2("outcome:Q"),
            y=y,
            color=alt.Color(
                "end:N",
                title="Parameter at its",
                scale=alt.Scale(domain=ends, range=["#0072B2", "#D55E00"]),
                sort=ends,
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="parameter"),
                alt.Tooltip("end:N"),
                alt.Tooltip("value:Q", title="value tried"),
                alt.Tooltip("outcome:Q", format=".1%", title="outcome"),
                alt.Tooltip("baseline:Q", format=".1%"),
            ],
        )
    )
    # the parameter value tried, at the outer end of each bar
    sides: tuple[tuple[str, Literal["left", "right"], int], ...] = (
        (">=", "left", 4),
        ("<", "right", -4),
    )
    values = [
        alt.Chart(data)
        .transform_filter(f"datum.outcome {op} datum.baseline")
        .mark_text(align=align, dx=dx, fontSize=9.5, color="#444444")
        .encode(x=alt.X("outcome:Q"), y=y, text=alt.Text("value:Q", format=",.3~r"))
        for op, align, dx in sides
    ]
    rule = (
        alt.Chart(alt.Data(values=[{"baseline": round(base, 4)}]))
        .mark_rule(color="#111111", strokeDash=[4, 3])
        .encode(x=alt.X("baseline:Q"))
    )
    return titled(
        alt.LayerChart(layer=[bars, *values, rule]),
        f"Which assumptions matter most for P({outcome})",
        "Each bar: the outcome with one parameter at the low (blue) or high (vermillion) end of its range (value at the bar's end), all others at the scenario's values; dashed line: the scenario.",
        "Analyst assumptions: parameter ranges from parameters.yaml (bands or valid ranges)."
        + (
            f" {left_out} parameters with a smaller or no effect are not shown." if left_out else ""
        ),
        width=460,
        height=alt.Step(24),
    )
