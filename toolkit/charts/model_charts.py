"""Charts of the scenario engine's outputs: phases, transfers and responses month by month.

Inputs are the engine's tidy frames (`SimulationResult.phases`, `.transfers`, `.transfer_tiers`,
`.responses`). Ladders keep their Enum order on every axis, legend and stack. An optional pack supplies
plain-word labels for legends (ids otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import altair as alt
import polars as pl

from toolkit.charts.theme import (
    NEUTRAL,
    category_scale,
    legend,
    order_of,
    percent_axis,
    plain,
    rank_column,
    sequential_colours,
    titled,
)

if TYPE_CHECKING:
    from toolkit.pack import Pack

MONTH_TITLE = "Months after the article (month 0 = the situation it reports)"


class ResultLike(Protocol):
    """What the month-by-month charts need from a `SimulationResult`."""

    scenario: str
    paths: int
    months: int
    seed: int
    phases: pl.DataFrame
    transfers: pl.DataFrame
    transfer_tiers: pl.DataFrame
    responses: pl.DataFrame


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


def _month_x() -> alt.X:
    return alt.X(
        "month:Q", title=MONTH_TITLE, scale=alt.Scale(nice=False), axis=alt.Axis(tickMinStep=1)
    )


def _stacked_area(
    frame: pl.DataFrame,
    key: str,
    order: Sequence[str],
    colour: alt.Scale,
    legend_title: str,
    labels: Mapping[str, str],
) -> alt.Chart:
    """Probability of each ladder step per month, stacked in ladder order (first step on top)."""
    data = plain(
        frame.select("month", key, "probability").with_columns(rank_column(order, key, "rank"))
    )
    return (
        alt.Chart(data)
        .mark_area(line=False, interpolate="step-after")
        .encode(
            x=_month_x(),
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
                alt.Tooltip(f"{key}:N"),
                alt.Tooltip("probability:Q", format=".1%"),
            ],
        )
    )


def chart_phases(result: ResultLike, pack: Pack | None = None) -> alt.Chart:
    """Deployment phase probability month by month: share of paths in each phase, stacked in ladder order."""
    frame = result.phases
    order = order_of(frame, "phase")
    chart = _stacked_area(
        frame, "phase", order, category_scale(order), "Deployment phase", _labels(pack, "phases")
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
    tier_data = plain(
        tiers_frame.select("month", "tier", "probability").with_columns(
            label=pl.col("tier").cast(pl.String).replace(tier_labels)
        )
    )
    tech_data = plain(
        tech.select("month", "technology", "tier", "probability").with_columns(
            name=pl.col("technology").cast(pl.String).replace(tech_names)
        )
    )
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
        alt.Chart(tech_data)
        .mark_line(strokeWidth=1, strokeDash=[3, 2], opacity=0.7, interpolate="step-after")
        .encode(
            x=_month_x(),
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
        alt.Chart(tier_data)
        .mark_line(strokeWidth=3, interpolate="step-after")
        .encode(
            x=_month_x(),
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
        "Thick: any technology of the tier transferred by that month; thin dashed: each technology. Once transferred, it stays transferred.",
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
    chart = _stacked_area(frame, "level", order, colour, "Highest response decided", labels)
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
