"""Charts of the article's events and claims, one row per item: what happened when, and how sure the
speakers are.

`chart_event_timeline` puts the events on a time line with their date precision; `chart_claims` puts
the estimative claims on the ICD 203 probability yardstick. Both key their rows by id and label them
with `_row_axis`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Final, cast

import altair as alt
import polars as pl

from toolkit.charts.theme import (
    MUTED,
    OKABE_ITO,
    label_expr,
    order_of,
    plain,
    rows_height,
    scale_domain,
    short_name,
    titled,
)

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

NARROW_PLOT: Final = 300  # px: a plot narrower than this (a phone's column) thins its axis labels
DATE_ROOM: Final = 64  # px: the room a date label ("June 2024") needs left of its event


def _row_axis(ids: list[str], labels: list[str], *, width: int, grid: bool | None = None) -> alt.Y:
    """The y encoding of one-row-per-item charts: one row per id in the order of `ids`, showing its
    label in up to two lines of `width` characters; `grid` None keeps the theme's choice.

    Rows are keyed by id, not by label: labels need not be unique, and two items with one label
    were drawn on one row."""
    return alt.Y(
        "id:N",
        sort=ids,
        scale=alt.Scale(domain=ids),
        title=None,
        axis=alt.Axis(
            labelExpr=label_expr(ids, labels, wrap=width, max_lines=2),
            labelLimit=420,
            labelFontSize=10.5,
            grid=alt.Undefined if grid is None else grid,
            domain=False,
            ticks=False,
        ),
    )


# --------------------------------------------------------------------------------------------
def chart_event_timeline(pack: Pack) -> alt.LayerChart:
    """The article's events on a time line, with their date precision shown.

    A day-precision event is a point; a month-, year- or span-precision event is a bar over the whole
    period it may have happened in, labelled with that period. A rule marks the assumed publication date.
    """
    ev = pack.events
    present = set(ev["precision"].cast(pl.String).to_list())
    precisions = [p for p in order_of(ev, "precision") if p in present]
    end = (
        pl.when(pl.col("date_end").is_not_null())
        .then(pl.col("date_end"))
        .when(pl.col("precision") == "month")
        .then(pl.col("date").dt.month_end())
        .when(pl.col("precision") == "year")
        .then(pl.date(pl.col("date").dt.year(), 12, 31))
        .otherwise(pl.col("date"))
    )
    short = (
        pl.when(pl.col("precision") == "day")
        .then(pl.col("date").dt.to_string("%a %-d %b"))
        .when(pl.col("precision") == "month")
        .then(pl.col("date").dt.to_string("%B %Y"))
        .when(pl.col("precision") == "year")
        .then(pl.col("date").dt.to_string("%Y"))
        .otherwise(
            pl.col("date").dt.to_string("%-d %b")
            + pl.lit("–")
            + pl.col("end").dt.to_string("%-d %b")
        )
    )
    rows = (
        ev.with_columns(end=end)
        .with_columns(
            bar_end=pl.col("end") + pl.duration(days=1),
            short=short,
            when=pl.when(pl.col("end") == pl.col("date"))
            .then(pl.col("date").dt.to_string("%a %-d %b %Y"))
            .otherwise(
                pl.col("date").dt.to_string("%-d %b %Y")
                + pl.lit(" – ")
                + pl.col("end").dt.to_string("%-d %b %Y")
            ),
        )
        .sort("date", "end", "id")
    )
    order = rows["id"].cast(pl.String).to_list()
    first = cast(dt.date, rows["date"].min())
    last = cast(dt.date, rows["bar_end"].max())
    data = plain(
        rows.select(
            "id",
            "label",
            "date",
            "bar_end",
            "short",
            "when",
            "precision",
            "date_note",
            "evidence",
        )
    )
    published = pack.meta.publication.date
    lo, hi = first - dt.timedelta(days=28), max(last, published) + dt.timedelta(days=6)
    # the domain's ends as milliseconds since the epoch (UTC), as domainMin/domainMax: an explicit
    # domain of dates is parsed per channel and the bars' x2 took it unparsed, which the browser's
    # console reported as a conflict
    lo_ms, hi_ms = (
        dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp() * 1000 for d in (lo, hi)
    )
    utc = alt.Scale(type="utc", domainMin=lo_ms, domainMax=hi_ms)
    x_axis = alt.Axis(title=None, format="%b %Y", labelAngle=0, tickCount="month")
    y = _row_axis(order, rows["label"].to_list(), width=58, grid=True)
    colour = alt.Color(
        "precision:N",
        title="Date known to the",
        scale=scale_domain(precisions, range=list(OKABE_ITO[: len(precisions)])),
        sort=precisions,
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )
    tip = [
        alt.Tooltip("label:N", title="event"),
        alt.Tooltip("when:N", title="date"),
        alt.Tooltip("precision:N"),
        alt.Tooltip("date_note:N", title="how dated"),
        alt.Tooltip("evidence:N", title="article"),
    ]
    base = alt.Chart(data)
    # the layers share one x scale: its domain is given once
    x = alt.X("date:T", axis=x_axis)
    bars = (
        base.transform_filter(alt.datum.precision != "day")
        .mark_bar(height=12, opacity=0.8, cornerRadius=2)
        .encode(
            x=alt.X("date:T", scale=utc, axis=x_axis),
            x2=alt.X2("bar_end:T"),
            y=y,
            color=colour,
            tooltip=tip,
        )
    )
    points = (
        base.transform_filter(alt.datum.precision == "day")
        .mark_point(filled=True, size=90, opacity=1)
        .encode(x=x, y=y, color=colour, tooltip=tip)
    )
    # the date goes left of its point or bar; where that would leave the plot (a narrow one, on a
    # phone), right of the bar's end instead
    room = f"scale('x', datum.date) < {DATE_ROOM}"
    after = "scale('x', datum.bar_end) - scale('x', datum.date) + 8"
    dates = base.mark_text(
        align={"expr": f"{room} ? 'left' : 'right'"},
        dx={"expr": f"{room} ? {after} : -8"},
        fontSize=10,
        color=MUTED,
    ).encode(x=x, y=y, text=alt.Text("short:N"))
    pub = alt.Chart(
        alt.Data(values=[{"date": published.isoformat(), "label": "published (assumed)"}])
    )
    rule = pub.mark_rule(color=MUTED, strokeDash=[4, 3]).encode(x=alt.X("date:T"))
    rule_label = pub.mark_text(align="right", dx=-4, dy=-4, fontSize=10, color=MUTED).encode(
        x=alt.X("date:T"), y=alt.YValue(0), text=alt.Text("label:N")
    )
    return titled(
        alt.LayerChart(layer=[bars, points, dates, rule, rule_label]),
        "What happened when: the article's events",
        "Point: the day is known; bar: only the month (or span) is known, drawn over all of it.",
        f"Source: events.yaml; relative dates resolved against an assumed publication date of {published:%-d %b %Y} ({pack.meta.publication.timezone}), see pack.yaml.",
        width=440,
        height=rows_height(len(order), 34),
    )


# --------------------------------------------------------------------------------------------
def chart_claims(pack: Pack) -> alt.LayerChart:
    """Every estimative claim on the ICD 203 probability yardstick.

    The yardstick's bands are background rectangles in their order; each claim is a bar over the
    probability range its wording supports. Words on the yardstick take their band; vague words (off
    the yardstick) are drawn hollow and dashed over the range the pack maps them to.
    """
    bands = pack.yardstick
    claims = pack.claims.filter(pl.col("phrase").is_not_null())
    n_flat = pack.claims.height - claims.height
    names = dict(pack.entities.select("id", "name").iter_rows())
    claims = (
        claims.with_columns(
            band_rank=pl.col("band").to_physical(),
            who=pl.col("source").replace_strict(names, return_dtype=pl.String),
        )
        .sort("band_rank", "low", "high", "id")
        .with_columns(
            who=pl.col("who").map_elements(short_name, return_dtype=pl.String),
            word=pl.when(pl.col("vague"))
            .then(pl.lit("“") + pl.col("phrase") + pl.lit("” (vague)"))
            .otherwise(pl.lit("“") + pl.col("phrase") + pl.lit("”")),
            kind=pl.when(pl.col("vague"))
            .then(pl.lit("vague word, pack's mapping"))
            .otherwise(pl.lit("ICD 203 word")),
        )
    )
    order = claims["id"].cast(pl.String).to_list()
    data = plain(
        claims.select(
            "id",
            "who",
            "phrase",
            "word",
            "kind",
            "vague",
            "band",
            "low",
            "high",
            "topic",
            "evidence",
        )
    )
    band_data = plain(
        bands.select("id", "label", "low", "high").with_columns(
            mid=(pl.col("low") + pl.col("high")) / 2, shade=pl.col("id").to_physical() % 2
        )
    )
    mids = band_data["mid"].to_list()
    prob = alt.Scale(domain=[0, 1], nice=False)
    # bottom axis: the band edges as percentages; top axis: the band names at the band centres
    edges = sorted({0.0, *band_data["low"].to_list(), *band_data["high"].to_list()} - {0.01, 0.99})
    # in a narrow plot (a phone's column) labels that would overlap are left out, band names stand up
    narrow_overlap = {"expr": f"width < {NARROW_PLOT} ? 'greedy' : false"}
    x_axis = alt.Axis(
        format=".0%", values=edges, grid=False, labelOverlap=narrow_overlap, labelFontSize=10
    )
    top_axis = alt.Axis(
        orient="top",
        values=mids,
        labelExpr=f"{json.dumps(band_data['label'].to_list())}[indexof({json.dumps(mids)}, datum.value)]",
        labelAngle={"expr": f"width < {NARROW_PLOT} ? -90 : -30"},
        labelAlign="left",
        labelOverlap=narrow_overlap,
        labelFontSize=10,
        ticks=True,
        domain=False,
        title="ICD 203 band",
    )
    background = (
        alt.Chart(band_data)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("low:Q", scale=prob, axis=top_axis),
            x2=alt.X2("high:Q"),
            color=alt.Color(
                "shade:N", scale=alt.Scale(domain=[0, 1], range=["#EFEFEF", "#E0E0E0"]), legend=None
            ),
            tooltip=[
                alt.Tooltip("label:N", title="band"),
                alt.Tooltip("low:Q", format=".0%"),
                alt.Tooltip("high:Q", format=".0%"),
            ],
        )
    )
    y = _row_axis(order, claims["statement"].to_list(), width=64)
    tip = [
        alt.Tooltip("who:N", title="who"),
        alt.Tooltip("word:N", title="word"),
        alt.Tooltip("band:N", title="band"),
        alt.Tooltip("low:Q", format=".0%"),
        alt.Tooltip("high:Q", format=".0%"),
        alt.Tooltip("evidence:N", title="article"),
    ]
    kinds = ["ICD 203 word", "vague word, pack's mapping"]
    ranges = (
        alt.Chart(data)
        .mark_bar(height=12, strokeWidth=1.5, color="#333333")
        .encode(
            x=alt.X("low:Q", scale=prob, axis=x_axis, title="Probability"),
            x2=alt.X2("high:Q"),
            y=y,
            fillOpacity=alt.FillOpacity(
                "kind:N",
                title="Claim wording",
                scale=alt.Scale(domain=kinds, range=[0.85, 0.0]),
                sort=kinds,
                legend=None,  # the caption says it, and each vague word is labelled "(vague)"
            ),
            strokeDash=alt.StrokeDash(
                "kind:N",
                title="Claim wording",
                scale=alt.Scale(domain=kinds, range=[[1, 0], [4, 2]]),
                sort=kinds,
                legend=None,
            ),
            stroke=alt.StrokeValue("#333333"),
            tooltip=tip,
        )
    )
    words = (
        alt.Chart(data)
        .mark_text(align="left", dx=5, fontSize=10.5)
        .encode(
            x=alt.X("high:Q", scale=prob, axis=None),
            y=y,
            text=alt.Text("word:N"),
            color=alt.ColorValue(
                "#111111", condition={"test": alt.datum.vague, "value": "#882255"}
            ),
            tooltip=tip,
        )
    )
    return titled(
        alt.LayerChart(layer=[background, ranges, words]).resolve_axis(x="independent"),
        "How sure are the speakers? Estimative claims on the ICD 203 yardstick",
        "Bar: the probability range the wording supports. Solid: an ICD 203 term (its band's bounds); hollow, dashed: a vague word, placed by the pack's mapping.",
        f"Source: claims.yaml, estimative.yaml (yardstick: ICD 203; mapping of vague words: pack rationale). {n_flat} flat assertions without an estimative word are not shown.",
        width=500,
        height=rows_height(len(order), 32),
    )
