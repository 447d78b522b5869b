"""Charts of the engine's analyses: the one-at-a-time sensitivity tornado and the deterministic policy
table (which response the triggers call for).

Inputs are `toolkit.engine.analysis` frames (`compute_tornado`, `tabulate_policy`). Ladders keep their
Enum order on every axis and legend. An optional pack supplies plain-word labels (ids otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import altair as alt
import polars as pl

from toolkit.charts.model_charts import judged_labels, judged_note, pack_labels, response_scale
from toolkit.charts.theme import (
    label_expr,
    legend,
    needs_white_text,
    order_of,
    percent_axis,
    plain,
    rows_height,
    titled,
    wrap_text,
)

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

NO_EFFECT = 0.0005  # a tornado leaves out parameters that move the outcome less than this
MAX_NAMED = 6  # a tornado's caption names the parameters it could not vary up to this many


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
    phase_labels = judged_labels(pack, "phases")
    tier_labels = {"none": "nothing transferred", **pack_labels(pack, "tech_tiers")}
    resp_labels = {"none": "no response", **judged_labels(pack, "response_tiers")}
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
    colour = response_scale(responses)
    # white text on the fills too dark for black, read from the fill itself (the last three tiers
    # was right for a 6-tier ladder only: white on pale yellow for 3 tiers; found in a bug hunt)
    fills = dict(zip(colour.domain, colour.range, strict=True))
    dark = {r for r in responses if needs_white_text(str(fills[r]))}
    x = alt.X(
        "transferred:N",
        sort=tiers,
        scale=alt.Scale(domain=tiers),
        title="Technology tier transferred (highest)",
        axis=alt.Axis(
            labelAngle=0,
            labelExpr=label_expr(tiers, [tier_labels.get(t, t) for t in tiers], wrap=26),
            labelLimit=alt.ExprRef("min(180, bandwidth('x') - 4)"),  # a cell's width, when fitted
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
    # Vega anchors a multi-line text at its first line: lift 2- and 3-line cells by half their height.
    # Cells narrower than drawn (the chart fitted to a phone or a page) get smaller text, cut to the
    # cell; too narrow to read, none (the legend names the colours).
    small = "bandwidth('x') < 130"
    texts = [
        alt.Chart(data)
        .transform_calculate(lines="length(split(datum.cell, '\\n'))")
        .transform_filter(f"datum.lines == {n}")
        .mark_text(
            lineBreak="\n",
            baseline="middle",
            fontSize=alt.ExprRef(f"{small} ? 9 : 10.5"),
            dy=alt.ExprRef(f"-{n - 1} * ({small} ? 5.5 : 6.5)"),
            limit=alt.ExprRef("bandwidth('x') - 6"),
            opacity=alt.ExprRef("bandwidth('x') < 64 ? 0 : 1"),
        )
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
        judged_note(phase_labels, resp_labels)
        + "Source: trigger conditions in responses.yaml (the article's stated triggers; others analyst assumptions).",
        width=alt.Step(170),
        height=rows_height(len(phases), 48),
    )


def _outcome_words(frame: pl.DataFrame, pack: Pack | None) -> str:
    """ "Lethal weapons for Ukraine by month 12" from the frame's `outcome`/`within` columns."""
    if "outcome" not in frame.columns:
        return "the outcome"
    outcome = str(frame["outcome"][0])
    words = outcome
    if pack is not None:
        for name in ("response_tiers", "phases", "tech_tiers"):
            labels = pack_labels(pack, name)
            if outcome in labels:
                words = labels[outcome]
                break
        names = dict(zip(pack.technologies["id"], pack.technologies["name"], strict=True))
        words = names.get(outcome, words)
    if "within" in frame.columns:
        words += f" by month {int(frame['within'][0])}"
    return words


def _not_shown(smaller: int, unvaried: list[str]) -> str:
    """The caption's account of the parameters the tornado leaves out: those with a smaller or no
    effect (a count), and those with no band or plausible range to vary (by name, if few)."""
    words = ""
    if smaller:
        words += (
            f" {smaller} parameter{'s' if smaller > 1 else ''} with a smaller or no effect "
            f"{'are' if smaller > 1 else 'is'} not shown."
        )
    if len(unvaried) > MAX_NAMED:
        words += f" {len(unvaried)} parameters with no band or plausible range are left out."
    elif unvaried:
        names = "; ".join(unvaried)  # labels may hold commas
        words += f" Left out for having no band or plausible range: {names}."
    return words


NOISE_SE = 2  # a tornado fades a swing below this many standard errors of the scenario's level


def _noise(sensitivity: pl.DataFrame, base: float) -> float:
    """The Monte Carlo noise a tornado's swing is held against: `NOISE_SE` standard errors of the
    scenario's level at the runs' paths (0 when the frame does not say its paths). The runs share
    their random numbers, so a difference is less noisy than the level; a swing below this is still
    not told apart from noise (found in a bug hunt: swings of 0.1 point drawn as effects)."""
    if "paths" not in sensitivity.columns:
        return 0.0
    paths = int(sensitivity["paths"][0])
    return NOISE_SE * (base * (1 - base) / paths) ** 0.5


def _runs_note(sensitivity: pl.DataFrame, noise: float, faded: bool) -> str:
    """The end of the caption's first sentence and what follows: the runs behind a tornado (paths
    and seed), that the dashed line is their figure (found in a bug hunt: it lay outside the report's
    own interval for the same outcome with nothing saying why), and which bars are within noise."""
    if "paths" not in sensitivity.columns:
        return "."
    paths = int(sensitivity["paths"][0])
    seed = f", seed {int(sensitivity['seed'][0])}" if "seed" in sensitivity.columns else ""
    words = (
        f" in these runs of {paths:,} simulated paths{seed} (another run's figure for the same "
        "outcome, the report's own included, differs from it by Monte Carlo error)."
    )
    if faded:
        words += (
            f" Faded bars swing less than the noise of that figure ({NOISE_SE} standard errors at "
            f"{paths:,} paths, {noise * 100:.1f} points): not told apart from noise."
        )
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
    noise = _noise(frame, base)
    scored = scored.with_columns(within_noise=pl.col("swing") < noise)
    moved = scored.filter(pl.col("effect") >= NO_EFFECT)
    ranked = moved.sort("swing", "effect", "parameter", descending=[True, True, False]).head(top)
    # compute_tornado's rows for parameters it could not vary: no outcomes (`range` says why)
    unvaried = scored.filter(pl.col("outcome_low").is_null())["label"].to_list()
    left_out = scored.height - ranked.height - len(unvaried)
    # rows keyed by parameter id, the label shown: labels need not be unique, and two parameters
    # with one label were drawn on one row, one's bars over the other's
    order = ranked["parameter"].to_list()
    shown = ranked.select(pl.coalesce(pl.col("label").cast(pl.String), "parameter")).to_series()
    ends = ["low end", "high end"]
    long = pl.concat(
        [
            ranked.select(
                "parameter",
                "label",
                "swing",
                "within_noise",
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
    y = alt.Y(
        "parameter:N",
        sort=order,
        scale=alt.Scale(domain=order),
        title=None,
        axis=alt.Axis(labelExpr=label_expr(order, shown.to_list()), labelLimit=300),
    )
    bars = (
        alt.Chart(data)
        .mark_bar(height=14)
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
            # a swing within Monte Carlo noise is faded, not drawn as an effect
            # (a condition, not an opacity scale on a discrete field, which Vega-Lite warns about)
            opacity=alt.OpacityValue(0.9, condition={"test": "datum.within_noise", "value": 0.3}),
            tooltip=[
                alt.Tooltip("label:N", title="parameter"),
                alt.Tooltip("end:N"),
                alt.Tooltip("value:Q", title="value tried"),
                alt.Tooltip("outcome:Q", format=".1%", title="outcome"),
                alt.Tooltip("baseline:Q", format=".1%"),
                alt.Tooltip("within_noise:N", title="within Monte Carlo noise"),
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
        "Each bar: the outcome with one parameter at the low (blue) or high (vermillion) end of its range (value at the bar's end), all others at the scenario's values; dashed line: the scenario"
        + _runs_note(frame, noise, bool(ranked["within_noise"].any())),
        "Analyst assumptions: parameter ranges from parameters.yaml (bands, else plausible ranges)."
        + _not_shown(left_out, unvaried),
        width=460,
        height=rows_height(len(order), 24),
    )
