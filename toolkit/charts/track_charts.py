"""Charts of the indicator tracker: how the assessment moved, and what to watch next.

Inputs are a `toolkit.track.tracker.TrackResult` (its `history`, `evidence` and `watch` frames);
nothing here computes the model. Phases keep the ladder's order on every axis, legend and stack; an
optional pack supplies plain-word labels.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

import altair as alt
import polars as pl

from toolkit.charts.model_charts import PROB_DIGITS, _lookup_labels, _rank, pack_labels
from toolkit.charts.theme import (
    INK,
    MUTED,
    category_scale,
    label_expr,
    legend,
    percent_axis,
    plain,
    titled,
    wrap_text,
)
from toolkit.pack.names import names
from toolkit.track.tracker import SHIFT_DIGITS, still_estimate

if TYPE_CHECKING:
    from toolkit.pack.load import Pack
    from toolkit.track.tracker import TrackResult

MAX_DATES: Final = 600  # history rows are dates x phases: at most this many dates are drawn
TARGETS: Final = ["indicator", "transferred", "decided"]
TARGET_NAMES: Final = {
    "indicator": "Indicator",
    "transferred": "Technology transferred",
    "decided": "Response decided",
}
SHAPES: Final = ["circle", "triangle-up", "square"]
# characters of a 12 px note's line: ~300 px, within the panel fitted to a phone's column (a text
# mark keeps its width when the chart is fitted)
NOTE_CHARS: Final = 48


def _thin(history: pl.DataFrame) -> pl.DataFrame:
    """At most MAX_DATES dates of the daily history, evenly spaced, the first and last kept."""
    dates = history["date"].unique(maintain_order=True)
    if dates.len() <= MAX_DATES:
        return history
    step = -(-dates.len() // MAX_DATES)
    keep = set(dates[::step].to_list()) | {dates[-1]}
    return history.filter(pl.col("date").is_in(list(keep)))


def _date_x(title: str | None = "Date") -> alt.X:
    return alt.X("date:T", title=title, axis=alt.Axis(format="%d %b %Y", labelAngle=0))


def chart_track(result: TrackResult, pack: Pack | None = None) -> alt.LayerChart:
    """The posterior over deployment phases day by day (stacked, ladder order), with every
    observation used as a marker in a band at its top: shape by what it reports, opacity by its grades' trust,
    hollow when reported absent; the tooltip gives source, grade and quote."""
    history = result.history
    order = [str(c) for c in history.schema["phase"].categories.to_list()]  # type: ignore[attr-defined]
    labels = pack_labels(pack, "phases")
    data = plain(_thin(history), digits=PROB_DIGITS)
    area = (
        _lookup_labels(
            alt.Chart(data).transform_calculate(rank=_rank("phase", order)), "phase", labels, "name"
        )
        .mark_area(line=False, interpolate="step-after")
        .encode(
            x=_date_x(None),
            y=alt.Y(
                "probability:Q",
                stack="zero",
                scale=alt.Scale(domain=[0, 1]),
                axis=percent_axis("Posterior probability"),
            ),
            color=alt.Color(
                "phase:N",
                scale=category_scale(order),
                sort=order,
                legend=legend("Deployment phase", order, labels),
            ),
            order=alt.Order("rank:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("date:T", format="%d %b %Y"),
                alt.Tooltip("name:N", title="phase"),
                alt.Tooltip("probability:Q", format=".1%"),
            ],
        )
        .properties(height=260)
    )
    ev = result.evidence
    marks = plain(
        ev.select(
            pl.col("applied").alias("date"),
            "reported",
            "id",
            pl.col("target_kind").cast(pl.String).alias("target_kind"),
            "target",
            pl.col("phase").cast(pl.String).alias("phase"),
            pl.when(pl.col("present"))
            .then(pl.lit("seen"))
            .otherwise(pl.lit("absent"))
            .alias("report"),
            (pl.col("reliability") + pl.col("credibility").cast(pl.String)).alias("grade"),
            "trust",
            "source",
            pl.col("quote").fill_null("(no quote)"),
            "influence",
        ),
        digits=PROB_DIGITS,
    )
    kinds = alt.Scale(domain=TARGETS, range=SHAPES)
    y = alt.Y(
        "target_kind:N",
        sort=TARGETS,
        scale=alt.Scale(domain=TARGETS),
        axis=alt.Axis(title=None, labelExpr=_names_expr()),
    )
    common = {
        "x": _date_x(),
        "y": y,
        "shape": alt.Shape(
            "target_kind:N",
            scale=kinds,
            sort=TARGETS,
            legend=alt.Legend(title="Observation of", labelExpr=_names_expr()),
        ),
        "opacity": alt.Opacity(
            "trust:Q",
            scale=alt.Scale(domain=[0, 1], range=[0.15, 1]),
            legend=alt.Legend(
                title="Trust (grades)",
                format=".0%",
                orient="bottom",
                direction="vertical",
                values=[0.25, 0.5, 0.75, 1],
            ),
        ),
        "tooltip": [
            alt.Tooltip("id:N"),
            alt.Tooltip("date:T", title="applied", format="%d %b %Y"),
            alt.Tooltip("reported:N"),
            alt.Tooltip("target_kind:N", title="kind"),
            alt.Tooltip("target:N"),
            alt.Tooltip("report:N"),
            alt.Tooltip("grade:N"),
            alt.Tooltip("trust:Q", format=".0%"),
            alt.Tooltip("source:N"),
            alt.Tooltip("quote:N"),
            alt.Tooltip("influence:Q", format=".3f", title="influence today"),
        ],
    }
    base = alt.Chart(marks)
    seen = base.transform_filter(alt.datum.report == "seen").mark_point(
        filled=True, size=90, color=INK
    )
    absent = base.transform_filter(alt.datum.report == "absent").mark_point(
        filled=False, size=90, color=INK, strokeWidth=1.5
    )
    # the markers sit in a band at the top of the same chart (one layered chart, not a
    # concatenation: it narrows to a phone's column like every other chart)
    on_top = {k: v for k, v in common.items() if k != "y"} | {"y": alt.YValue(6)}
    n = len(result.observations_used)
    note = (
        f"updated by {n} observation(s) on the days they apply"
        if n
        else "no observation reported by then: the pack's start state moved by the chain alone"
    )
    # without observations the marker layers would be empty (Vega warns of an infinite date extent)
    markers = [seen.encode(**on_top), absent.encode(**on_top)] if n else []
    chart = alt.LayerChart(layer=[area, *markers]).properties(width=560, height=260)
    return titled(
        chart,
        f"How the assessment moved: posterior over deployment phases to {result.as_of:%d %B %Y}",
        f"Stacked share of probability per phase (ladder order, first on top), {note}; markers "
        "along the top: filled = seen, hollow = reported absent, fainter = less trusted.",
        "Analyst assumptions: indicator diagnostics (indicators.yaml), trust per Admiralty grade "
        f"(admiralty.yaml), the {result.scenario!r} scenario's transition rates (parameters.yaml).",
    )


def _names_expr() -> str:
    names = [TARGET_NAMES[t] for t in TARGETS]
    return f"{json.dumps(names)}[indexof({json.dumps(TARGETS)}, datum.label)] || datum.label"


def _note(title: str, text: str) -> alt.Chart:
    """A panel that says why it has no bars (an empty bar chart leaves Vega an infinite extent),
    wrapped to the panel's width."""
    lines = wrap_text(text, NOTE_CHARS, max_lines=4)
    return (
        alt.Chart(alt.Data(values=[{"text": lines}]))
        .mark_text(align="left", baseline="top", x=0, y=2, fontSize=12, color=MUTED, lineBreak="\n")
        .encode(text=alt.Text("text:N"))
        .properties(width=420, height=18 * (lines.count("\n") + 1), title=title)
    )


def chart_watch(result: TrackResult, pack: Pack | None = None) -> alt.VConcatChart:
    """What we have seen (indicators reported seen, with how much their reports still move today's
    estimate) and what to watch (indicators not yet seen, ranked by how far a B2 report of each
    would move the phase estimate), coloured by the indicator's phase in ladder order."""
    watch = result.watch
    order = [str(c) for c in watch.schema["phase"].categories.to_list()]  # type: ignore[attr-defined]
    labels = pack_labels(pack, "phases")
    ev = result.evidence
    lead = dict(
        zip(ev["id"], ev["influence"], strict=True)
    )  # one report: its influence is each one's
    ev = ev.with_columns(
        pl.when(pl.col("one_report").is_not_null())
        .then(pl.col("one_report").replace_strict(lead, default=0.0, return_dtype=pl.Float64))
        .otherwise(pl.col("influence"))
        .alias("influence")
    )
    influence = (
        ev.filter(pl.col("target_kind").cast(pl.String) == "indicator")
        .group_by("target")
        .agg(pl.col("influence").sum().alias("influence"), pl.len().alias("reports"))
        .rename({"target": "indicator"})
    )
    frame = watch.join(influence, on="indicator", how="left").with_columns(
        pl.col("influence").fill_null(0.0),
        pl.col("reports").fill_null(0).cast(pl.Int64),
        pl.col("p_seen_now").alias("p_seen"),
    )
    colour = alt.Color(
        "phase:N",
        scale=category_scale(order),
        sort=order,
        legend=legend(
            "Phase it signals", order, labels, orient="bottom", direction="vertical", labelLimit=200
        ),
    )
    tooltip = [
        alt.Tooltip("name:N", title="indicator"),
        alt.Tooltip("indicator:N", title="id"),
        alt.Tooltip("phase_name:N", title="phase"),
        alt.Tooltip("description:N"),
        alt.Tooltip("p_seen:Q", format=".0%", title="chance it is reported now"),
        alt.Tooltip("shift_if_seen:Q", format=".3f", title="shift if a B2 report sees it"),
        alt.Tooltip(
            "shift_if_absent:Q", format=".3f", title="shift if a B2 report finds it absent"
        ),
    ]

    words = names(pack) if pack is not None else {}

    def bars(data: pl.DataFrame, x: str, title: str, what: str) -> alt.Chart:
        rows = plain(
            data.select(
                "indicator", pl.col("phase").cast(pl.String), "description", "p_seen",
                "shift_if_seen", "shift_if_absent", "influence", "reports", "last_seen",
            ).with_columns(
                pl.col("indicator").replace_strict(words, default=pl.col("indicator")).alias("name")
            ),
            digits=PROB_DIGITS,
        )  # fmt: skip
        chart = _lookup_labels(alt.Chart(rows), "phase", labels, "phase_name")
        ids = rows["indicator"].to_list()  # rows keyed by id (names need not be unique), named
        return (
            chart.mark_bar()
            .encode(
                y=alt.Y(
                    "indicator:N",
                    sort=ids,
                    scale=alt.Scale(domain=ids),
                    title=None,
                    axis=alt.Axis(
                        labelExpr=label_expr(ids, rows["name"].to_list()), labelLimit=100
                    ),
                ),
                x=alt.X(f"{x}:Q", title=what),
                color=colour,
                tooltip=[*tooltip, alt.Tooltip("reports:Q"), alt.Tooltip("last_seen:N")],
            )
            .properties(width=420, height=max(18 * rows.height, 18), title=title)
        )

    # ties in the ladder order of the phase signalled, then in the watch list's order (`watch_list`:
    # the shift, then indicators.yaml's order), never in the order of the ids
    seen = frame.filter(pl.col("seen")).sort(
        pl.col("influence").round(SHIFT_DIGITS),
        "phase",
        descending=[True, False],
        maintain_order=True,
    )
    unseen = frame.filter(~pl.col("seen"))
    still = still_estimate(result)
    top: alt.Chart = (
        bars(seen, "influence", "What we have seen", "Influence on today's estimate")
        if seen.height
        else _note("What we have seen", "No indicator reported seen yet.")
    )
    bottom = (
        _note("What to watch", still)
        if still is not None
        else bars(unseen, "shift_if_seen", "What to watch", "Shift if a B2 report saw it")
    )
    return titled(
        alt.vconcat(top, bottom, spacing=16).resolve_scale(color="shared"),
        f"What we have seen and what to watch, as of {result.as_of:%d %B %Y}",
        f"{seen.height} of {frame.height} indicators reported seen. Influence: how far the phase "
        "estimate moves without its reports (total variation, leave one out); the others ranked by "
        "how far a B2 report of it would move the estimate today (total variation).",
        "Analyst assumptions: indicator diagnostics (indicators.yaml); a B2 report is trusted "
        "as admiralty.yaml says.",
    )
