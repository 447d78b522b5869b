"""Prose of the scorecard: the question set and the scores of forecasters and references, as
Markdown (pack text escaped by `toolkit.report.markdown`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.report.markdown import esc, table

if TYPE_CHECKING:
    from toolkit.track.questions import Question


def describe_scores(result: dict[str, Any], what: str) -> str:
    """A score dict of `toolkit.track.scores` (`score_log` or `backtest`) as a table: mean Brier and
    log score, count and Murphy terms per forecaster and reference; in words when nothing resolved."""
    rows = [
        (
            name,
            group,
            s["n"],
            f"{s['brier']:.3f}",
            f"{s['log']:.3f}",
            f"{s['reliability']:.3f}",
            f"{s['resolution']:.3f}",
            f"{s['uncertainty']:.3f}",
            s["clipped"],
        )
        for group in ("forecasters", "references")
        for name, s in result.get(group, {}).items()
        if s.get("n")
    ]
    notes = hindsight_note(result) + unscored_note(result) + replayed_note(result)
    if not rows:
        return (
            f"**{what}: no scores.** No question of this set has resolved with a forecast to score "
            "(a question is scored once its outcome is recorded in the questions file)." + notes
        )
    header = [
        "Forecaster", "Kind", "Forecasts", "Brier", "Log score", "Reliability", "Resolution",
        "Uncertainty", "Clipped",
    ]  # fmt: skip
    note = (
        f"**{what}.** Lower Brier and log scores are better; always saying 50 % scores Brier 0.250 "
        "and log 0.693. Brier ≈ reliability − resolution + uncertainty (Murphy, ten bins)."
    )
    return note + notes + "\n\n" + table(header, rows)


def replayed_note(result: dict[str, Any]) -> str:
    """ " Replayed on N dates from ... to ..., every K days." for a backtest, else ""."""
    dates = result.get("dates")
    if not dates:
        return ""
    return (
        f" Replayed on {dates['count']} date(s) from {dates['from']} to {dates['to']}, "
        f"every {dates['every_days']} day(s)."
    )


def hindsight_note(result: dict[str, Any]) -> str:
    """ " N forecasts logged after ... were not scored: ..." for a log's hindsight rows, else ""."""
    late = result.get("hindsight") or []
    if not late:
        return ""
    named = ", ".join(f"{esc(h['forecaster'])} on {esc(h['question'])}" for h in late[:5])
    more = f" and {len(late) - 5} more" if len(late) > 5 else ""
    return (
        f" {len(late)} forecast(s) logged on or after the day their question was resolved (the outcome may have been known) "
        f"are not scored: {named}{more}."
    )


def unscored_note(result: dict[str, Any]) -> str:
    """ " N forecasts ... are not scored: ..." for the log's forecasts as of a day their question was
    not open, or a day not come when logged (`toolkit.track.scores.unscored`), else ""."""
    left_out = result.get("unscored") or []
    if not left_out:
        return ""
    named = "; ".join(
        f"{esc(u['forecaster'])} on {esc(u['question'])} as of {u['as_of']} ({esc(u['why'])})"
        for u in left_out[:5]
    )
    more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
    return (
        f" {len(left_out)} forecast(s) of a resolved question are not scored for their as-of "
        f"date: {named}{more}."
    )


def describe_questions(questions: Sequence[Question]) -> str:
    """The question set as a table: id, question, window and outcome, with the date it was resolved
    and the resolution's source and reasoning, so every scored outcome can be traced (pack text
    escaped)."""
    if not questions:
        return "**No questions.** The pack has no `questions.yaml` and none was given."
    rows = [
        (
            q.id,
            q.text,
            f"{q.opens} to {q.closes}",
            "open"
            if q.outcome is None
            else f"{'yes' if q.outcome else 'no'}, resolved {q.resolved}: {q.resolution}",
        )
        for q in questions
    ]
    resolved = sum(q.outcome is not None for q in questions)
    head = f"{len(questions)} question(s), {resolved} resolved."
    if not resolved:
        head += (
            " **None has resolved yet, so nothing can be scored:** the tables below say so and the"
            " charts show the model's forecasts only."
        )
    return head + "\n\n" + table(["Question", "Text", "Open", "Outcome"], rows)


def score_source(questions: str, observations: str) -> str:
    """Where a backtest's scores come from, for the score charts' captions: the question file and
    the observation log given (by file name), else the pack's own."""
    asked = f"the questions in {Path(questions).name}" if questions else "the pack's questions"
    seen = f"{Path(observations).name}" if observations else "the pack's observation log"
    return f"a backtest of {asked} against their recorded outcomes, replaying {seen}"
