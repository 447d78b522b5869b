"""`toolkit forecast`, `toolkit score`, `toolkit backtest`: forecasts kept and scored (issue 13).

Each parses and checks its options, then calls `toolkit.track.forecasts` or `toolkit.track.scores`;
heavy imports happen inside the commands so `toolkit --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from toolkit.cli.options import (
    ForecastAsOfOption,
    ObservationsOption,
    PackOption,
    PathsOption,
    ScenarioOption,
    SeedOption,
    handles_errors,
)
from toolkit.engine.defaults import DEFAULT_PATHS, DEFAULT_SCENARIO, DEFAULT_SEED
from toolkit.errors import ParameterError, shown
from toolkit.track.scores import DEFAULT_EVERY

QuestionsOption = Annotated[
    Path | None,
    typer.Option(
        "--questions",
        help="Question set (YAML) to use instead of the pack's questions.yaml.",
        show_default=False,
    ),
]
LogOption = Annotated[
    Path | None,
    typer.Option(
        "--log", help="Forecast log (CSV) instead of the pack's forecasts.csv.", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")]


def register(app: typer.Typer) -> None:
    """Add `forecast`, `score` and `backtest` to `app`."""
    app.command("forecast")(forecast)
    app.command("score")(score)
    app.command("backtest")(backtest)


@handles_errors
def forecast(
    as_of: ForecastAsOfOption = None,
    questions: QuestionsOption = None,
    observations: ObservationsOption = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Forecaster name logged (default: model); required with --p, and not `model`.",
            show_default=False,
        ),
    ] = None,
    p: Annotated[
        float | None,
        typer.Option(
            "--p", help="An analyst's own probability (with --question).", show_default=False
        ),
    ] = None,
    question: Annotated[
        str | None,
        typer.Option("--question", help="Question id of an analyst's --p.", show_default=False),
    ] = None,
    scenario: ScenarioOption = DEFAULT_SCENARIO,
    paths: PathsOption = DEFAULT_PATHS,
    seed: SeedOption = DEFAULT_SEED,
    log: LogOption = None,
    pack: PackOption = None,
) -> None:
    """Forecast every question open on --as-of (the model from the tracker's state on that date),
    or log an analyst's --p for one --question; appends to the forecast log."""
    import datetime as dt

    from toolkit.pack.load import load_pack
    from toolkit.track import forecasts as fc
    from toolkit.track.questions import load_questions
    from toolkit.track.tracker import check_not_after_today, parse_date

    if (p is None) != (question is None):
        raise ParameterError("--p and --question go together (an analyst's own forecast)")
    if p is not None and not 0.0 <= p <= 1.0:
        raise ParameterError(f"--p expects a probability in [0, 1], got {p}")
    if by is not None and not by.strip():
        raise ParameterError("--by expects a forecaster's name, got an empty one")
    if p is not None and by in (None, fc.MODEL):
        raise ParameterError(
            f"--p needs --by NAME, the analyst's name (`{fc.MODEL}` is the model's own forecasts)"
        )
    day = parse_date(as_of, "--as-of") if as_of is not None else dt.date.today()
    check_not_after_today(day, "--as-of")
    loaded = load_pack(pack)
    qs = load_questions(loaded, questions)
    if p is not None and question is not None:
        asked = next((q for q in qs if q.id == question), None)
        if asked is None:
            raise ParameterError(_unknown_question(question, [q.id for q in qs]))
        if not asked.is_open(day):
            raise ParameterError(
                f"question {question!r} is not open on {day} (opens {asked.opens}, closes "
                f"{asked.closes}{'' if asked.resolved is None else f', resolved {asked.resolved}'})"
            )
        rows = [fc.Forecast(question=question, forecaster=str(by), as_of=day, probability=p + 0.0)]
    else:
        open_qs = [q for q in qs if q.is_open(day)]
        if not open_qs:
            raise ParameterError(f"no question is open on {day}: nothing to forecast")
        probs = fc.model_forecasts(
            loaded, open_qs, day, observations, scenario=scenario, paths=paths, seed=seed
        )
        rows = fc.model_rows(
            loaded, probs, day, forecaster=by or fc.MODEL, scenario=scenario, paths=paths, seed=seed
        )
    path = fc.append_forecasts(loaded, rows, qs, log)
    for row in rows:
        typer.echo(f"{row.question}: {row.probability:.3f} ({row.forecaster}, as of {day})")
    typer.echo(f"appended {len(rows)} forecast(s) to {path}")


@handles_errors
def score(
    questions: QuestionsOption = None,
    log: LogOption = None,
    as_json: JsonOption = False,
    scenario: ScenarioOption = DEFAULT_SCENARIO,
    paths: PathsOption = DEFAULT_PATHS,
    seed: SeedOption = DEFAULT_SEED,
    pack: PackOption = None,
) -> None:
    """Score the forecast log against resolved questions: mean Brier and log score, Murphy
    decomposition, per forecaster and for two references (always 0.5; the model at opens)."""
    from toolkit.pack.load import load_pack
    from toolkit.track.forecasts import read_forecasts
    from toolkit.track.questions import load_questions
    from toolkit.track.scores import score_log

    loaded = load_pack(pack)
    qs = load_questions(loaded, questions)
    result = score_log(
        loaded, qs, read_forecasts(loaded, log), scenario=scenario, paths=paths, seed=seed
    )
    typer.echo(json.dumps(result, indent=2) if as_json else describe(result))


@handles_errors
def backtest(
    start: Annotated[
        str,
        typer.Option(
            "--from",
            help="First as-of date, YYYY-MM-DD; default: pack.yaml's report.backtest_from, "
            "else the pack's date.",
        ),
    ] = "",
    end: Annotated[
        str,
        typer.Option(
            "--to",
            help="Last as-of date, YYYY-MM-DD; default: pack.yaml's report.backtest_to, else the "
            "last observation reported or question resolved.",
        ),
    ] = "",
    every: Annotated[
        str, typer.Option("--every", help="Days between dates: 7d, 2w (the scorecard's step).")
    ] = DEFAULT_EVERY,
    questions: QuestionsOption = None,
    observations: ObservationsOption = None,
    as_json: JsonOption = False,
    scenario: ScenarioOption = DEFAULT_SCENARIO,
    paths: PathsOption = DEFAULT_PATHS,
    seed: SeedOption = DEFAULT_SEED,
    pack: PackOption = None,
) -> None:
    """Replay the observation log: forecast the open questions on each date from only what was
    reported by then, with and without observations, and score the resolved ones. The dates
    default to the pack's, as the scorecard report's do; the first line says which were used."""
    from toolkit.pack.load import load_pack
    from toolkit.track.questions import load_questions
    from toolkit.track.scores import backtest as run
    from toolkit.track.scores import backtest_dates, parse_every
    from toolkit.track.tracker import check_as_of, check_not_after_today, parse_date

    if start:
        parse_date(start, "--from")
    if end:
        check_not_after_today(parse_date(end, "--to"), "--to")
    step = parse_every(every)
    loaded = load_pack(pack)
    qs = load_questions(loaded, questions)
    first, last = backtest_dates(loaded, qs, observations, start, end)
    # a date from the pack is named as the pack's, so the message points where to change it
    names = [
        flag if given else f"{flag} (the pack's default)"
        for flag, given in (("--from", start), ("--to", end))
    ]
    for name, day in zip(names, (first, last), strict=True):
        check_as_of(day, loaded.meta.publication.date, name)
        check_not_after_today(day, name)
    if last < first:
        raise ParameterError(f"{names[1]} {last} is before {names[0]} {first}")
    result = run(
        loaded, qs, first, last, step, observations, scenario=scenario, paths=paths, seed=seed
    )
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    dates = result["dates"]
    typer.echo(
        f"backtest: {dates['count']} date(s) from {dates['from']} to {dates['to']}, "
        f"every {dates['every_days']} day(s)"
    )
    typer.echo(describe(result))
    for entry in result["by_date"]:
        briers = ", ".join(f"{k} {v:.3f}" for k, v in entry["brier"].items())
        typer.echo(f"  {entry['as_of']}: {entry['n']} resolved open question(s)  {briers}")


def describe(result: dict[str, Any]) -> str:
    """Scores in words: one line per forecaster and reference."""
    lines = []
    late = result.get("hindsight") or []
    left_out = result.get("unscored") or []
    # why nothing is scored: no forecast of a resolved question, or every one was left out
    why = "no forecast of a resolved question"
    if left_out:
        why = "every forecast of a resolved question was left out, see below"
    elif late:
        why = (
            "every forecast of a resolved question was logged on or after the day it was "
            "resolved, see below"
        )
    for group in ("forecasters", "references"):
        lines.append(f"{group}:")
        if not result[group]:
            lines.append(f"  (none: {why})")
        for name, s in result[group].items():
            if not s.get("n"):
                lines.append(f"  {name}: nothing scored ({why})")
                continue
            lines.append(
                f"  {name}: Brier {s['brier']:.3f}, log {s['log']:.3f}, n {s['n']}"
                f" (reliability {s['reliability']:.3f}, resolution {s['resolution']:.3f},"
                f" uncertainty {s['uncertainty']:.3f}; {s['clipped']} clipped)"
            )
    if late:
        lines.append(
            f"not scored: {len(late)} forecast(s) logged on or after the day their question was resolved "
            "(the outcome may have been known): "
            + ", ".join(f"{h['forecaster']} on {h['question']}" for h in late[:5])
            + (" …" if len(late) > 5 else "")
        )
    if left_out:
        lines.append(
            f"not scored: {len(left_out)} forecast(s) of a resolved question, for their as-of date:"
        )
        lines += [
            f"  {u['forecaster']} on {u['question']} as of {u['as_of']}: {u['why']}"
            for u in left_out
        ]
    return "\n".join(lines)


def _unknown_question(question: str, known: list[str]) -> str:
    """The error for a `--question` that names no question: the id given and the ones there are."""
    listed = ", ".join(known[:8]) + (f", … ({len(known)} in all)" if len(known) > 8 else "")
    return f"--question {shown(question)}: no such question (questions: {listed or 'none'})"
