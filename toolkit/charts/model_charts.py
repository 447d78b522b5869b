"""Charts of the scenario engine's outputs: phases, transfers and responses month by month.

Inputs are the engine's tidy frames (`SimulationResult.phases`, `.transfers`, `.transfer_tiers`,
`.responses`). Ladders keep their Enum order on every axis, legend and stack. An optional pack supplies
plain-word labels for legends (ids otherwise). The sensitivity and policy charts are in
`toolkit.charts.analysis_charts`; they share `pack_labels` and `response_scale` from here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal, Protocol

import altair as alt
import polars as pl

from toolkit.charts.theme import (
    NEUTRAL,
    category_scale,
    expr_literal,
    legend,
    month_axis,
    order_of,
    percent_axis,
    plain,
    sequential_colours,
    titled,
)

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

PROB_DIGITS = 3  # probabilities in specs: 0.1 % resolution is finer than any chart shows


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


# The charts' titles in words that fit any pack; a pack names its own story's in pack.yaml
# (`report.chart_titles`: the default pack's troops, Russia and the trilateral response).
GENERIC_TITLES: Final = {
    "phases": "Where the deployed troops are, month by month",
    "transfers": "Will technology be transferred? Cumulative probability by tier",
    "responses": "How far the response goes, month by month",
}


def chart_title(pack: Pack | None, chart: Literal["phases", "transfers", "responses"]) -> str:
    """The title of the phase, transfer or response chart: the pack's own, else the generic one."""
    own = pack.meta.report.chart_titles.get(chart) if pack is not None else None
    return own or GENERIC_TITLES[chart]


def run_caption(result: ResultLike) -> str:
    """The run a chart comes from: scenario, paths, horizon, seed."""
    return (
        f"Scenario “{result.scenario}”: {result.paths:,} simulated paths over {result.months} months, "
        f"seed {result.seed}."
    )


def pack_labels(pack: Pack | None, frame_name: str) -> dict[str, str]:
    """id -> plain-words label of a pack frame's rows (empty without a pack: charts show ids)."""
    if pack is None:
        return {}
    frame = pack.frames[frame_name]
    return dict(zip(frame["id"].cast(pl.String), frame["label"], strict=True))


JUDGED_MARK: Final = " †"
JUDGED_NOTE: Final = "† the analyst's reading, not the article's words (an assumption in the pack)."


def judged_labels(pack: Pack | None, frame_name: str) -> dict[str, str]:
    """`pack_labels`, with rows that rest on an analyst assumption marked † (see `JUDGED_NOTE`)."""
    if pack is None:
        return {}
    frame = pack.frames[frame_name]
    judged = set(frame.filter(pl.col("assumption").is_not_null())["id"].cast(pl.String))
    return {
        k: v + (JUDGED_MARK if k in judged else "")
        for k, v in pack_labels(pack, frame_name).items()
    }


def judged_note(*labels: Mapping[str, str]) -> str:
    """`JUDGED_NOTE` plus a space when any label is marked, else nothing (for a caption)."""
    marked = any(v.endswith(JUDGED_MARK) for m in labels for v in m.values())
    return JUDGED_NOTE + " " if marked else ""


def _rank(key: str, order: Sequence[str]) -> str:
    """A Vega expression: the position of `datum[key]` in the ladder (for stack order)."""
    return f"indexof({expr_literal(list(order))}, datum[{json.dumps(key)}])"


def _lookup_labels(chart: alt.Chart, key: str, labels: Mapping[str, str], as_: str) -> alt.Chart:
    """Add the plain-words label of `key` as field `as_` (a small inline lookup, not a column)."""
    table = [{key: k, as_: v} for k, v in labels.items()]
    if not table:
        return chart.transform_calculate(**{as_: f"datum[{json.dumps(key)}]"})
    return chart.transform_lookup(
        lookup=key,
        from_=alt.LookupData(data=alt.InlineData(values=table), key=key, fields=[as_]),
    ).transform_calculate(**{as_: f"datum[{json.dumps(as_)}] || datum[{json.dumps(key)}]"})


def _month_x(pack: Pack | None, month0: dt.date | None = None) -> alt.X:
    """Months on the x axis, labelled as calendar months from month 0: `month0` (a run started on an
    as-of date) or the pack's publication date."""
    if month0 is not None:
        axis = month_axis(month0, what=f"the as-of date {month0:%d %b %Y}")
    else:
        axis = month_axis(pack.meta.publication.date if pack is not None else None)
    return alt.X("month:Q", scale=alt.Scale(nice=False), axis=axis)


def _stacked_area(
    frame: pl.DataFrame,
    key: str,
    order: Sequence[str],
    colour: alt.Scale,
    legend_title: str,
    labels: Mapping[str, str],
    pack: Pack | None,
    month0: dt.date | None = None,
) -> alt.Chart:
    """Probability of each ladder step per month, stacked in ladder order (first step on top)."""
    data = plain(frame.select("month", key, "probability"), digits=PROB_DIGITS)
    base = _lookup_labels(
        alt.Chart(data).transform_calculate(rank=_rank(key, order)), key, labels, "name"
    )
    return base.mark_area(line=False, interpolate="step-after").encode(
        x=_month_x(pack, month0),
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


def chart_phases(
    result: ResultLike, pack: Pack | None = None, month0: dt.date | None = None
) -> alt.Chart:
    """Deployment phase probability month by month: share of paths in each phase, stacked in ladder
    order. `month0`: the date of month 0 when the run did not start at the article's date."""
    frame = result.phases
    order = order_of(frame, "phase")
    labels = judged_labels(pack, "phases")
    chart = _stacked_area(
        frame,
        "phase",
        order,
        category_scale(order),
        "Deployment phase",
        labels,
        pack,
        month0,
    )
    return titled(
        chart,
        chart_title(pack, "phases"),
        "Share of simulated paths in each deployment phase (stacked; phases in ladder order, first on top).",
        judged_note(labels)
        + "Analyst assumptions: monthly transition rates (parameters.yaml, phases.yaml). "
        + run_caption(result),
        width=560,
        height=280,
    )


def _split_words(pack: Pack | None) -> str:
    """How a tier's hazard is shared among its technologies, as the pack sets it."""
    if pack is None:
        return "a tier's hazard is shared among its technologies by their weights"
    techs = pack.technologies
    equal = techs.group_by("tier").agg(pl.col("weight").n_unique() == 1)["weight"].all()
    paid = techs["upfront"].is_not_null().any()
    if equal and not paid:
        return "a tier's hazard is split equally among its technologies, so their lines coincide"
    words = "a tier's hazard is shared among its technologies by their weights"
    return words + ("; some may be paid up front, at month 0" if paid else "")


def chart_transfers(
    result: ResultLike, pack: Pack | None = None, month0: dt.date | None = None
) -> alt.LayerChart:
    """Cumulative probability that Russia has transferred technology, by tier (thick) and technology
    (thin). `month0` as in `chart_phases`."""
    tiers_frame = result.transfer_tiers
    tiers = order_of(tiers_frame, "tier")
    tech = result.transfers
    tier_labels = judged_labels(pack, "tech_tiers")
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
            x=_month_x(pack, month0),
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
            x=_month_x(pack, month0),
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
        chart_title(pack, "transfers"),
        "Thick: any technology of the tier transferred by that month; thin dashed: each technology ("
        + _split_words(pack)
        + "). Once transferred, it stays transferred.",
        judged_note(tier_labels)
        + "Analyst assumptions: compensation hazards by phase and troop scale (parameters.yaml), bands from claims.yaml. "
        + run_caption(result),
        width=560,
        height=280,
    )


def chart_responses(
    result: ResultLike, pack: Pack | None = None, month0: dt.date | None = None
) -> alt.Chart:
    """Highest trilateral response tier decided, month by month (stacked, `none` on top). `month0` as
    in `chart_phases`."""
    frame = result.responses
    order = order_of(frame, "level")
    labels = judged_labels(pack, "response_tiers")
    if pack is not None:
        status = dict(
            zip(
                pack.response_tiers["id"].cast(pl.String),
                pack.response_tiers["status"].cast(pl.String),
                strict=True,
            )
        )
        labels = {
            k: (
                v.removesuffix(JUDGED_MARK) + " (ruled out)" + JUDGED_MARK * v.endswith(JUDGED_MARK)
                if status.get(k) == "ruled_out"
                else v
            )
            for k, v in labels.items()
        }
        labels.setdefault("none", "No response decided yet")
    colour = response_scale(order)
    chart = _stacked_area(
        frame, "level", order, colour, "Highest response decided", labels, pack, month0
    )
    return titled(
        chart,
        chart_title(pack, "responses"),
        "Share of simulated paths by the highest response tier decided so far (tiers are cumulative; darker = further up the ladder).",
        judged_note(labels)
        + "Analyst assumptions: trigger lags, political will and never-decide shares (parameters.yaml); triggers from responses.yaml. "
        + run_caption(result),
        width=560,
        height=280,
    )


def response_scale(order: Sequence[str]) -> alt.Scale:
    """`none` in neutral grey, the tiers on the sequential ramp in ladder order."""
    if order and order[0] == "none":
        return alt.Scale(domain=list(order), range=[NEUTRAL, *sequential_colours(len(order) - 1)])
    return alt.Scale(domain=list(order), range=sequential_colours(len(order)))
