"""Charts of forecast scores: a reliability diagram, the Brier score over as-of dates, and each
question's probability path with its outcome marked.

Inputs are the dicts of `toolkit.track.scores` (`score_log`, `backtest`); nothing here computes a
forecast or a score. Each caption names where the scores come from (`source`: the question set and
the observation log, in words) and claims nothing about the questions themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import altair as alt
import polars as pl

from toolkit.charts.theme import category_scale, percent_axis, plain, titled

SOURCE: Final = "the question set's forecasts against the outcomes recorded in it"


def score_caption(source: str | None = None) -> str:
    """The caption line naming the scores' source: `source` (e.g. "questions.yaml, replaying
    observations.yaml") or the question set in general. A fixed caption called every pack's
    questions and observations illustrative fixtures, the shipped pack's real questions too."""
    return f"Scores from toolkit.track.scores: {source or SOURCE}."


def _who_scale(who: Iterable[str]) -> alt.Scale:
    """Forecasters and references in the order first met, each its own colour (`category_scale`:
    distinct however many there are)."""
    return category_scale(list(dict.fromkeys(who)))


def chart_reliability(result: Mapping[str, Any], source: str | None = None) -> alt.LayerChart:
    """Forecast bins (mean forecast) against the observed frequency, per forecaster and reference,
    with each bin's count as the point's size and label; the diagonal is perfect calibration."""
    rows = [
        {"who": name, "forecast": b["forecast"], "observed": b["observed"], "n": b["n"]}
        for group in ("forecasters", "references")
        for name, s in result.get(group, {}).items()
        for b in s.get("bins", [])
    ]
    frame = plain(
        pl.DataFrame(
            rows,
            schema={
                "who": pl.String,
                "forecast": pl.Float64,
                "observed": pl.Float64,
                "n": pl.Int64,
            },
        )
    )
    diagonal = (
        alt.Chart(alt.Data(values=[{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 1.0}]))
        .mark_line(strokeDash=[4, 4], color="#999")
        .encode(x="x:Q", y="y:Q")
    )
    who_scale = _who_scale(frame["who"].to_list())
    base = alt.Chart(alt.Data(values=frame.to_dicts()))
    points = base.mark_point(filled=True).encode(
        x=alt.X(
            "forecast:Q", axis=percent_axis("Forecast (bin mean)"), scale=alt.Scale(domain=[0, 1])
        ),
        y=alt.Y(
            "observed:Q", axis=percent_axis("Observed frequency"), scale=alt.Scale(domain=[0, 1])
        ),
        color=alt.Color("who:N", title="Forecaster", scale=who_scale),
        size=alt.Size("n:Q", title="Forecasts in bin"),
        tooltip=["who:N", "forecast:Q", "observed:Q", "n:Q"],
    )
    labels = base.mark_text(dx=8, align="left").encode(
        x="forecast:Q",
        y="observed:Q",
        text="n:Q",
        color=alt.Color("who:N", legend=None, scale=who_scale),
    )
    return titled(
        alt.LayerChart(layer=[diagonal, points, labels]),
        "Reliability: forecast bins against what happened (bin counts shown)",
        "Ten equal bins of the forecast. " + score_caption(source),
    )


def chart_brier_over_time(backtest: Mapping[str, Any], source: str | None = None) -> alt.Chart:
    """The Brier score of each forecaster and reference on each as-of date of a backtest."""
    rows = [
        {"as_of": e["as_of"], "who": who, "brier": b}
        for e in backtest["by_date"]
        for who, b in e["brier"].items()
    ]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of:T", title="As of"),
            y=alt.Y(
                "brier:Q",
                title="Mean Brier score (lower is better)",
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("who:N", title="Forecaster", scale=_who_scale(r["who"] for r in rows)),
            tooltip=["as_of:T", "who:N", "brier:Q"],
        )
    )
    return titled(chart, "Brier score over as-of dates", score_caption(source))


def chart_question_paths(backtest: Mapping[str, Any], source: str | None = None) -> alt.FacetChart:
    """Each question's forecast over as-of dates, per forecaster, with its outcome as a rule at 0
    or 100 %; one panel per question in the question file's order (the backtest's `questions`), as
    the scorecard's question table lists them (they were in the order of their ids)."""
    outcomes = backtest.get("outcomes", {})
    rows = []
    for e in backtest["by_date"]:
        for qid, probs in e["forecasts"].items():
            for who, p in probs.items():
                outcome = outcomes.get(qid)
                rows.append({
                    "as_of": e["as_of"], "question": qid, "who": who, "probability": p,
                    "outcome": None if outcome is None else float(outcome),
                })  # fmt: skip
    base = alt.Chart(alt.Data(values=rows))
    lines = base.mark_line(point=True).encode(
        x=alt.X("as_of:T", title="As of"),
        y=alt.Y(
            "probability:Q", axis=percent_axis("P(event by close)"), scale=alt.Scale(domain=[0, 1])
        ),
        color=alt.Color("who:N", title="Forecaster", scale=_who_scale(r["who"] for r in rows)),
        tooltip=["question:N", "as_of:T", "who:N", "probability:Q"],
    )
    outcome = base.mark_rule(color="black", strokeWidth=2).encode(
        y="outcome:Q", tooltip=[alt.Tooltip("outcome:Q", title="Outcome (1 = happened)")]
    )
    faceted = alt.LayerChart(layer=[lines, outcome]).facet(
        facet=alt.Facet("question:N", title=None, sort=_question_order(backtest, rows)), columns=3
    )
    title = "Each question's probability over time; the black rule is its outcome"
    return faceted.properties(title=alt.Title(text=title, subtitle=[score_caption(source)]))


def _question_order(backtest: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The questions drawn, in the question file's order (then any the backtest does not list, in
    the order first met)."""
    drawn = list(dict.fromkeys(r["question"] for r in rows))
    listed = [q for q in backtest.get("questions", []) if q in set(drawn)]
    return [*listed, *(q for q in drawn if q not in listed)]
