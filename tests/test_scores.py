"""Forecast questions, the forecast log, proper scores and the backtest (issue 13)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli.app import app
from toolkit.errors import PackError, ParameterError, Problem
from toolkit.pack.load import Pack, load_pack
from toolkit.report import scores_text
from toolkit.track import forecasts as fc
from toolkit.track.questions import load_questions
from toolkit.track.scores import backtest, brier, log_score, murphy, parse_every, score
from toolkit.track.tracker import track

from .conftest import ROOT, point_values

FIX = ROOT / "tests" / "fixtures" / "tracker"
QUESTIONS = FIX / "questions.yaml"  # illustrative
STORY = FIX / "story.yaml"  # illustrative
RUN = {"paths": 800, "seed": 3}


# ---- scores, by hand ------------------------------------------------------------------------
def test_brier_by_hand() -> None:
    # (0.9-1)^2 = 0.01, (0.2-0)^2 = 0.04, (0.6-0)^2 = 0.36, (0.5-1)^2 = 0.25 -> 0.66 / 4
    assert brier([0.9, 0.2, 0.6, 0.5], [True, False, False, True]) == pytest.approx(0.165)
    assert brier([1.0], [False]) == 1.0
    assert brier([0.5, 0.5], [True, False]) == 0.25


def test_log_score_by_hand_and_clipped() -> None:
    mean, clipped = log_score([0.8, 0.25], [True, False])
    assert mean == pytest.approx((-math.log(0.8) - math.log(0.75)) / 2)
    assert clipped == 0
    # a forecast of 0 for an event that happened scores -ln(0.001), and is counted as clipped
    mean, clipped = log_score([0.0], [True])
    assert mean == pytest.approx(-math.log(1e-3))
    assert clipped == 1


def test_murphy_by_hand() -> None:
    ps = [0.1, 0.1, 0.7, 0.7, 0.7]
    ys = [False, True, True, True, False]
    m = murphy(ps, ys)
    # ybar = 3/5; bins [0.1, 0.2): pbar 0.1, ybar 0.5; [0.7, 0.8): pbar 0.7, ybar 2/3
    rel = (2 * (0.1 - 0.5) ** 2 + 3 * (0.7 - 2 / 3) ** 2) / 5
    res = (2 * (0.5 - 0.6) ** 2 + 3 * (2 / 3 - 0.6) ** 2) / 5
    assert m["reliability"] == pytest.approx(rel)
    assert m["resolution"] == pytest.approx(res)
    assert m["uncertainty"] == pytest.approx(0.24)
    assert [b["n"] for b in m["bins"]] == [2, 3]
    # forecasts equal within bins: the decomposition is exact
    assert brier(ps, ys) == pytest.approx(rel - res + 0.24)
    assert score(ps, ys)["n"] == 5
    assert score([], [])["n"] == 0


def test_every() -> None:
    assert parse_every("7d") == 7
    assert parse_every("2w") == 14
    assert parse_every("3") == 3
    with pytest.raises(Exception, match="--every"):
        parse_every("0d")


# ---- questions ------------------------------------------------------------------------------
def test_fixture_and_default_questions_load(pack: Pack) -> None:
    qs = load_questions(pack, QUESTIONS)
    assert len(qs) == 6
    assert all(q.outcome is not None for q in qs)
    default = load_questions(pack)
    assert default
    assert all(q.outcome is None for q in default)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event": {"reached": "moon"}}, "unknown id"),
        ({"event": {"arrived": "frontline_combat"}}, "unknown event kind"),
        ({"closes": "2024-10-01"}, "closes before opens"),
        ({"outcome": True, "resolution": "x"}, "needs the date it was resolved"),
        ({"colour": "red"}, "unknown field"),
        # found in review: a control character, and an id that is no id
        ({"text": "Reached?\x1b[2J"}, r"text: contains the control character U\+001B"),
        ({"id": "=q\x1b]0;x\x07"}, r"\] id: a question's id is lower-case letters"),
        # found in a bug hunt: each validated, then broke scoring or forecasting of the whole log
        ({"opens": "2024-10-01"}, r"opens before the pack's date 2024-10-27"),
        ({"closes": "9999-12-31"}, "more than 600 months after the pack's date"),
        (
            {"outcome": False, "resolved": "2024-11-15", "resolution": "x"},
            r"resolved false before it closes \(2024-12-31\)",
        ),
    ],
)
def test_question_errors_are_one_line(pack: Pack, change: dict, message: str) -> None:
    base = {
        "id": "q1", "text": "A question?", "event": {"reached": "frontline_combat"},
        "opens": "2024-11-01", "closes": "2024-12-31",
    }  # fmt: skip
    with pytest.raises(PackError, match=message) as info:
        load_questions(pack, [base | change])
    assert "\n" not in str(info.value)


# ---- forecasts and the log --------------------------------------------------------------------
def test_no_look_ahead(pack: Pack) -> None:
    qs = load_questions(pack, QUESTIONS)
    day = dt.date(2024, 11, 20)
    open_qs = [q for q in qs if q.is_open(day)]
    import yaml

    story = yaml.safe_load(STORY.read_text())["observations"]
    later = {
        "id": "o_later", "observed": "2024-11-10", "reported": "2024-11-21",
        "indicator": "i_actual_combat_confirmed", "source": "illustrative", "reliability": "A",
        "credibility": 1,
    }  # fmt: skip
    before = fc.model_forecasts(pack, open_qs, day, story, **RUN)
    after = fc.model_forecasts(pack, open_qs, day, [*story, later], **RUN)
    assert before == after
    moved = fc.model_forecasts(pack, open_qs, day + dt.timedelta(days=1), [*story, later], **RUN)
    assert moved != fc.model_forecasts(pack, open_qs, day + dt.timedelta(days=1), story, **RUN)


def test_log_is_append_only_and_bad_input_changes_nothing(
    pack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    base = ["--pack", str(pack_dir), "--questions", str(QUESTIONS), "--paths", "500"]
    ok = runner.invoke(
        app, ["forecast", *base, "--as-of", "2024-11-20", "--observations", str(STORY)]
    )
    assert ok.exit_code == 0, ok.output
    log = pack_dir / fc.LOG_FILE
    first = log.read_bytes()
    assert first.startswith(b"question,forecaster,as_of,probability,pack_hash")
    assert first.count(b"\n") == 7
    # bad inputs: unknown question, p out of range
    for extra in (
        ["--p", "0.3", "--question", "nope", "--by", "ana"],
        ["--p", "1.5", "--question", "q_ukraine_by_jan", "--by", "ana"],
        # an analyst's forecast logged under the model's name once mixed into the model's score
        ["--p", "0.3", "--question", "q_ukraine_by_jan"],
        ["--p", "0.3", "--question", "q_ukraine_by_jan", "--by", "model"],
    ):
        bad = runner.invoke(app, ["forecast", *base, "--as-of", "2024-11-21", *extra])
        assert bad.exit_code == 2
        assert "\n" not in bad.output.strip()
        assert log.read_bytes() == first
    # a crash in the middle of the model's forecasts
    from toolkit.track import forecast as engine_bridge

    calls = {"n": 0}
    real = engine_bridge.simulate_from

    def crash(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        raise RuntimeError("crash mid-way")

    monkeypatch.setattr(engine_bridge, "simulate_from", crash)
    crashed = runner.invoke(app, ["forecast", *base, "--as-of", "2024-11-22"])
    assert crashed.exit_code != 0
    assert calls["n"] == 1
    assert log.read_bytes() == first
    monkeypatch.setattr(engine_bridge, "simulate_from", real)
    # a refused row among good ones appends none of them
    qs = load_questions(load_pack(pack_dir), QUESTIONS)
    rows = [
        fc.Forecast("q_ukraine_by_jan", "ana", dt.date(2024, 11, 23), 0.2),
        fc.Forecast("q_ukraine_by_jan", "ana", dt.date(2024, 11, 23), 2.0),
    ]
    with pytest.raises(PackError):
        fc.append_forecasts(load_pack(pack_dir), rows, qs)
    assert log.read_bytes() == first
    good = runner.invoke(
        app,
        [
            "forecast",
            *base,
            "--as-of",
            "2024-11-23",
            "--p",
            "0.3",
            "--question",
            "q_ukraine_by_jan",
            "--by",
            "ana",
        ],
    )
    assert good.exit_code == 0, good.output
    assert log.read_bytes().startswith(first)


def logged_on(log: Path, when: str) -> None:
    """Set every row's logged_at (the last field) to `when`: the log as if written then."""
    lines = log.read_text(encoding="utf-8").splitlines()
    rows = [lines[0], *(line.rsplit(",", 1)[0] + "," + when for line in lines[1:])]
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_score_json_shape(pack_dir: Path) -> None:
    runner = CliRunner()
    base = ["--pack", str(pack_dir), "--questions", str(QUESTIONS), "--paths", "500"]
    runner.invoke(app, ["forecast", *base, "--as-of", "2024-11-20", "--observations", str(STORY)])
    runner.invoke(
        app,
        [
            "forecast",
            *base,
            "--as-of",
            "2024-11-20",
            "--p",
            "0.9",
            "--question",
            "q_frontline_by_dec",
            "--by",
            "ana",
        ],
    )
    # the illustrative story's forecasts, as if logged on their as-of date (logged today, after
    # the questions were resolved, they are hindsight and not scored: see the test below)
    logged_on(pack_dir / fc.LOG_FILE, "2024-11-20T12:00:00Z")
    out = runner.invoke(app, ["score", *base, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data["forecasters"]) == {"model", "ana"}
    assert data["forecasters"]["ana"]["n"] == 1
    assert data["forecasters"]["ana"]["brier"] == pytest.approx(0.01)
    assert data["forecasters"]["model"]["n"] == 6
    assert data["references"]["even"]["brier"] == 0.25
    assert 0 <= data["references"]["model_at_opens"]["brier"] <= 1


def test_backtest(pack: Pack) -> None:
    qs = load_questions(pack, QUESTIONS)
    result = backtest(pack, qs, dt.date(2024, 11, 1), dt.date(2024, 12, 15), 14, STORY, **RUN)
    dates = [e["as_of"] for e in result["by_date"]]
    assert dates == ["2024-11-01", "2024-11-15", "2024-11-29", "2024-12-13"]
    assert set(result["forecasters"]) == {"model", "model_without_observations"}
    assert set(result["references"]) == {"even", "model_at_opens"}
    # on the questions' opening day, with nothing reported yet, the model is its reference
    first = result["by_date"][0]
    assert first["brier"]["model"] == first["brier"]["model_at_opens"]
    # the air-defence question resolved on 2024-11-28 is no longer forecast after it
    assert "q_air_defence_by_dec" not in result["by_date"][2]["forecasts"]


def test_score_charts(pack: Pack) -> None:
    from toolkit.charts.score_charts import (
        chart_brier_over_time,
        chart_question_paths,
        chart_reliability,
    )

    qs = load_questions(pack, QUESTIONS)
    result = backtest(pack, qs, dt.date(2024, 11, 1), dt.date(2024, 11, 15), 14, STORY, **RUN)
    source = scores_text.score_source(str(QUESTIONS), str(STORY))
    assert source == (
        "a backtest of the questions in questions.yaml against their recorded outcomes, "
        "replaying story.yaml"
    )
    assert scores_text.score_source("", "") == (
        "a backtest of the pack's questions against their recorded outcomes, "
        "replaying the pack's observation log"
    )
    for chart in (
        chart_reliability(result, source),
        chart_brier_over_time(result, source),
        chart_question_paths(result, source),
    ):
        text = " ".join(chart.to_dict()["title"]["subtitle"])
        assert (
            "Scores from toolkit.track.scores: a backtest of the questions in questions.yaml"
            in text
        )
    assert '"n"' in json.dumps(chart_reliability(result).to_dict())


def test_score_charts_claim_no_fixtures_and_keep_the_question_files_order(pack: Pack) -> None:
    """Found in a bug hunt: every scorecard's charts said "the fixture questions and story are
    illustrative", the shipped pack's real open questions too; the captions name where the scores
    come from instead. The question panels were in the order of the ids, not the question file's
    (the scorecard's table), as listed in the backtest's `questions`."""
    from toolkit.charts.score_charts import (
        chart_brier_over_time,
        chart_question_paths,
        chart_reliability,
    )

    qs = load_questions(pack, QUESTIONS)
    result = backtest(pack, qs, dt.date(2024, 11, 1), dt.date(2024, 11, 15), 14, STORY, **RUN)
    assert result["questions"] == [q.id for q in qs]
    for chart in (
        chart_reliability(result),
        chart_brier_over_time(result),
        chart_question_paths(result),
    ):
        text = json.dumps(chart.to_dict()).lower()
        assert "illustrative" not in text
        assert "fixture" not in text
        assert "toolkit.track.scores" in text
    facet = chart_question_paths(result).to_dict()["facet"]
    drawn = {q for e in result["by_date"] for q in e["forecasts"]}
    assert facet["sort"] == [q.id for q in qs if q.id in drawn]
    assert facet["sort"] != sorted(facet["sort"])  # the file's order is not the ids'


def test_an_analyst_forecast_needs_an_open_question_and_a_log_whole_rows(pack_dir: Path) -> None:
    """Found in a bug hunt: `--p` on a question already closed or resolved was logged and never
    scored; a row cut short (a crash, a bad edit) was read and scored with what was left of it;
    `score --log` of a file that is not there scored nothing and exited 0."""
    runner = CliRunner()
    base = ["--pack", str(pack_dir), "--questions", str(QUESTIONS)]
    late = runner.invoke(
        app,
        ["forecast", *base, "--as-of", "2024-12-25", "--p", "0.9", "--by", "ana",
         "--question", "q_frontline_by_dec"],
    )  # fmt: skip
    assert late.exit_code == 2
    assert "not open on 2024-12-25" in late.output
    assert not (pack_dir / fc.LOG_FILE).exists()
    log = pack_dir / fc.LOG_FILE
    header = ",".join(fc.COLUMNS)
    log.write_text(f"{header}\nq_air_defence_by_dec,model,2024-11-15,0.0", encoding="utf-8")
    cut = runner.invoke(app, ["score", *base, "--paths", "300"])
    assert cut.exit_code == 2
    assert cut.output.count("\n") == 1
    assert f"{log} [line 2]" in cut.output
    assert "4 fields, expected 11" in cut.output
    missing = runner.invoke(app, ["score", *base, "--log", str(pack_dir / "typo.csv")])
    assert missing.exit_code == 2
    assert "typo.csv" in missing.output
    assert "no such file" in missing.output


def test_track_refuses_a_date_beyond_the_horizon(pack_dir: Path) -> None:
    """`track --as-of 9999-12-31` stepped its filter day by day for minutes (found in a bug hunt)."""
    with pytest.raises(ParameterError, match="more than 600 months after the pack's start date"):
        track(load_pack(pack_dir), "9999-12-31")
    done = CliRunner().invoke(app, ["track", "--pack", str(pack_dir), "--as-of", "9999-12-31"])
    assert done.exit_code == 2
    assert "--as-of 9999-12-31 is after today" in done.output


def test_forecast_on_a_day_with_no_open_question_names_the_day(pack_dir: Path) -> None:
    done = CliRunner().invoke(
        app,
        ["forecast", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--as-of",
         "2025-06-30", "--paths", "200"],
    )  # fmt: skip
    assert done.exit_code == 2
    assert "no question is open on 2025-06-30" in done.output
    help_text = CliRunner().invoke(app, ["forecast", "--help"]).output
    assert "capped" not in help_text  # forecast's default date is today, not capped


def test_validate_reads_the_pack_forecast_log(pack_dir: Path) -> None:
    """A forecast log `score` cannot read no longer validates (found in a bug hunt)."""
    log = pack_dir / fc.LOG_FILE
    log.write_text(",".join(fc.COLUMNS) + "\nq1,model,2024-11-15,0.0\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["validate", "--pack", str(pack_dir)])
    assert done.exit_code == 1
    assert "forecasts.csv [line 2]" in done.output
    assert "4 fields, expected 11" in done.output


@pytest.mark.parametrize(
    ("fields", "field", "value", "message"),
    [
        ({"probability": "1.4"}, "probability", 1.4, "must be in [0, 1]"),
        ({"probability": "abc"}, "probability", "abc", "expects a number from 0 to 1"),
        ({"probability": "nan"}, "probability", math.nan, "must be in [0, 1]"),
        ({"as_of": "2024-13-15"}, "as_of", "2024-13-15", "expects a date YYYY-MM-DD"),
        ({"overrides": "notjson"}, "overrides", "notjson", "expects a JSON object"),
        ({"overrides": "[1]"}, "overrides", "[1]", "expects a JSON object"),
        ({"seed": "x"}, "seed", "x", "expects a whole number"),
        ({"paths": "1.5"}, "paths", "1.5", "expects a whole number"),
        ({"forecaster": ""}, "forecaster", "", "a forecast needs a forecaster"),
    ],
)
def test_a_forecast_log_problem_names_its_field_and_value(
    pack_dir: Path, fields: dict[str, str], field: str, value: object, message: str
) -> None:
    """Every problem of a log row named no field and the question id as its value, and a field that
    is no number, or overrides that are no JSON, gave Python's own message or passed (found in a
    bug hunt)."""
    good = {
        "question": "q_a", "forecaster": "model", "as_of": "2024-11-15", "probability": "0.3",
        "pack_hash": "h", "scenario": "baseline", "overrides": "{}", "seed": "1", "paths": "2",
        "version": "v", "logged_at": "2024-11-15T10:00:00Z",
    }  # fmt: skip
    row = ",".join({**good, **fields}[c] for c in fc.COLUMNS)
    problems: list[Problem] = []
    fc.parse_forecasts(f"{','.join(fc.COLUMNS)}\n{row}\n".encode(), "forecasts.csv", problems)
    assert [(p.record, p.field) for p in problems] == [("line 2", field)]
    assert problems[0].message.startswith(message)
    assert str(problems[0].value) == str(value)


def test_a_forecast_log_saved_with_a_bom_and_an_empty_forecaster(pack_dir: Path) -> None:
    """A spreadsheet's "CSV UTF-8" (with a byte-order mark) failed the header check; `--by ""` was
    logged as the model (found in review)."""
    log = pack_dir / fc.LOG_FILE
    log.write_text(",".join(fc.COLUMNS) + "\n", encoding="utf-8-sig")
    assert fc.read_forecasts(load_pack(pack_dir)) == []
    done = CliRunner().invoke(
        app,
        ["forecast", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--as-of",
         "2024-11-20", "--p", "0.3", "--question", "q_ukraine_by_jan", "--by", " "],
    )  # fmt: skip
    assert done.exit_code == 2
    assert "--by expects a forecaster's name" in done.output


def test_a_reached_forecast_counts_the_paths_that_went_through_the_phase(pack: Pack) -> None:
    """With every parameter at its point value (the tracker's own rates) and no observation, a
    forecast made on day 150 of "reached PHASE by day 300" is the engine's own P(reached by day 300)
    from the pack's date (a Markov chain forgets nothing it needs). It counted only the paths in the
    phase on day 150 or entering it later: westward movement 0.32 against 0.96, 487 standard errors
    (found in a bug hunt)."""
    import math

    from toolkit.engine.compile import compile_model
    from toolkit.engine.simulation import simulate
    from toolkit.track.chain import DAYS_PER_MONTH

    point = point_values(pack)
    start = pack.meta.publication.date
    closes = start + dt.timedelta(days=300)
    phases = ("westward_movement", "frontline_combat", "combat_in_ukraine")
    qs = load_questions(
        pack,
        [
            {"id": f"q_{x}", "text": "?", "event": {"reached": x}, "opens": str(start),
             "closes": str(closes)}
            for x in phases
        ],
    )  # fmt: skip
    paths = 20_000
    got = fc.model_forecasts(pack, qs, start + dt.timedelta(days=150), [], overrides=point, paths=paths, seed=3)  # fmt: skip
    direct = simulate(
        compile_model(pack, "baseline", point), paths=paths, seed=4, step=1 / 30,
        months=math.ceil(300 / DAYS_PER_MONTH),
    )  # fmt: skip
    for q in qs:
        want = direct.probability_by(q.target, 300 / DAYS_PER_MONTH, "reached")
        se = math.sqrt(2 * want * (1 - want) / paths)
        assert abs(got[q.id] - want) <= 4 * se, (q.target, got[q.id], want)


def test_a_malformed_question_file_names_the_line_and_the_reason(pack_dir: Path) -> None:
    """It said only "malformed YAML (value: 'ScannerError')" (found in a bug hunt)."""
    bad = pack_dir / "q.yaml"
    bad.write_text("questions:\n  - id: q1\n      text: x\n", encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_questions(load_pack(pack_dir), bad)
    message = str(info.value)
    assert f"{bad} [line 3, column 11]: malformed YAML" in message
    assert "mapping values are not allowed" in message


def test_the_question_table_traces_each_outcome(pack: Pack) -> None:
    """The scorecard showed yes/no without when or why it was resolved (found in a bug hunt)."""
    from toolkit.report.scores_text import describe_questions

    qs = load_questions(
        pack,
        [
            {"id": "q1", "text": "Reached?", "event": {"reached": "frontline_combat"},
             "opens": "2024-11-01", "closes": "2024-12-31", "outcome": True,
             "resolved": "2024-12-18", "resolution": "ILLUSTRATIVE: confirmed by a wire report"},
        ],
    )  # fmt: skip
    import html

    shown = html.unescape(describe_questions(qs))  # table cells are escaped for Markdown
    assert "yes, resolved 2024-12-18: ILLUSTRATIVE: confirmed by a wire report" in shown


@pytest.mark.parametrize("name", ["=1+2", "+cmd", "-x", "@SUM(A1)", "ana\x1b]0;x\x07", "a,b"])
def test_a_forecaster_name_a_spreadsheet_or_terminal_would_act_on_is_refused(
    pack_dir: Path, name: str
) -> None:
    """`--by "=1+2"` went into forecasts.csv as written: a spreadsheet opening the log runs it as a
    formula (found in a bug hunt)."""
    log = pack_dir / fc.LOG_FILE
    before = log.read_bytes() if log.exists() else None
    done = CliRunner().invoke(
        app,
        ["forecast", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--as-of",
         "2024-11-20", "--p", "0.3", "--question", "q_ukraine_by_jan", "--by", name],
    )  # fmt: skip
    assert done.exit_code == 2
    assert "forecaster: a plain name" in done.output
    assert (log.read_bytes() if log.exists() else None) == before


def test_forecast_names_an_unknown_question_as_the_option_given(pack_dir: Path) -> None:
    """`forecast --question q_nope` blamed the log (`seeds/forecasts.csv [q_nope] question: unknown
    question id`), though the id came from the command line (found in a bug hunt)."""
    done = CliRunner().invoke(
        app,
        ["forecast", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--as-of",
         "2024-11-30", "--p", "0.5", "--question", "q_nope", "--by", "x"],
    )  # fmt: skip
    assert done.exit_code == 2
    ids = ", ".join(q.id for q in load_questions(load_pack(pack_dir), QUESTIONS))
    assert done.output.strip() == f"error: --question 'q_nope': no such question (questions: {ids})"
    assert not (pack_dir / fc.LOG_FILE).exists()


def test_each_forecast_records_when_it_was_logged_and_hindsight_is_not_scored(
    pack_dir: Path,
) -> None:
    """The log said what a forecast was "as of", not when it was written: a forecast made after
    the outcome was known, dated back, was scored like any other. Each row now records when it was
    appended (UTC, by the toolkit); one logged after its question was resolved is listed, not
    scored."""
    pack = load_pack(pack_dir)
    qs = load_questions(pack, QUESTIONS)
    q = next(q for q in qs if q.id == "q_frontline_by_dec")
    assert q.resolved is not None
    row = fc.Forecast(question=q.id, forecaster="ana", as_of=q.opens, probability=0.9)
    before = dt.datetime.combine(q.resolved, dt.time(23, 59), tzinfo=dt.UTC) - dt.timedelta(days=1)
    after = before + dt.timedelta(minutes=1)  # the resolution day: the question has closed
    fc.append_forecasts(pack, [row], qs, now=before)
    fc.append_forecasts(pack, [dataclasses.replace(row, forecaster="bob")], qs, now=after)
    text = (pack_dir / fc.LOG_FILE).read_text(encoding="utf-8")
    assert text.splitlines()[0].endswith(",version,logged_at")
    assert f",{before:%Y-%m-%d}T23:59:00Z" in text
    logged = fc.read_forecasts(pack)
    assert [f.logged_at for f in logged] == [before, after]
    from toolkit.track.scores import hindsight, latest

    assert hindsight(logged, qs) == [logged[1]]
    assert set(latest(logged, qs)) == {"ana"}
    done = CliRunner().invoke(
        app, ["score", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--paths", "300"]
    )
    assert done.exit_code == 0, done.output
    assert (
        "not scored: 1 forecast(s) logged on or after the day their question was resolved"
        in done.output
    )
    assert "bob on q_frontline_by_dec" in done.output


def test_a_log_begun_without_logged_at_is_read_and_appended_as_it_is(pack_dir: Path) -> None:
    pack = load_pack(pack_dir)
    qs = load_questions(pack, QUESTIONS)
    log = pack_dir / fc.LOG_FILE
    legacy = ",".join(fc.LEGACY_COLUMNS)
    old = f"{legacy}\nq_frontline_by_dec,ana,2024-11-15,0.4,,,,,,\n"
    log.write_text(old, encoding="utf-8")
    row = fc.Forecast(
        question="q_frontline_by_dec",
        forecaster="bob",
        as_of=dt.date(2024, 11, 16),
        probability=0.5,
    )
    fc.append_forecasts(pack, [row], qs)
    text = log.read_text(encoding="utf-8")
    assert text.startswith(old)  # append-only: the header stays, and the new row fits it
    assert text.splitlines()[-1] == "q_frontline_by_dec,bob,2024-11-16,0.5,,,,,,"
    assert [f.logged_at for f in fc.read_forecasts(pack)] == [None, None]


def test_the_scorecard_says_which_forecasts_were_hindsight() -> None:
    from toolkit.report.scores_text import describe_scores

    late = [{"forecaster": "bob", "question": "q1", "as_of": "2024-11-01", "logged_at": "x"}]
    text = describe_scores({"forecasters": {}, "references": {}, "hindsight": late}, "The log")
    assert "1 forecast(s) logged on or after the day their question was resolved" in text
    assert "are not scored: bob on q1." in text


def test_the_scorecard_says_which_forecasts_were_left_out_for_their_date() -> None:
    """The scorecard notebook's table dropped a misdated forecast without a word, like `score` (found
    in a bug hunt); it now names each, with why."""
    from toolkit.report.scores_text import describe_scores

    left = [{"forecaster": "bob", "question": "q1", "as_of": "2030-01-01", "why": "after today"}]
    text = describe_scores({"forecasters": {}, "references": {}, "unscored": left}, "The log")
    assert "1 forecast(s) of a resolved question are not scored for their as-of date: " in text
    assert "bob on q1 as of 2030-01-01 (after today)." in text


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("q_frontline_by_dec,\x1b]0;PWNED\x07evil,2024-11-20,0.3", "forecaster"),
        ("q_frontline_by_dec,=HYPERLINK(1),2024-11-20,0.3", "forecaster"),
        ("=q1,ana,2024-11-20,0.3", "question"),
    ],
)
def test_a_log_edited_by_hand_is_checked_as_forecast_writes_it(
    pack_dir: Path, row: str, field: str
) -> None:
    """A hand-edited or merged log passed validate with a forecaster name holding an escape
    sequence or a formula, and `score` printed it raw (found in review)."""
    log = pack_dir / fc.LOG_FILE
    log.write_text(
        ",".join(fc.COLUMNS) + "\n" + row + ",,,,,,,2024-11-20T10:00:00Z\n", encoding="utf-8"
    )
    done = CliRunner().invoke(app, ["validate", "--pack", str(pack_dir)])
    assert done.exit_code == 1
    assert f"forecasts.csv [line 2] {field}:" in done.output
    assert "\x1b" not in done.output


def test_score_says_why_nothing_is_scored_when_every_forecast_is_hindsight(
    pack_dir: Path,
) -> None:
    """With every forecast of a resolved question logged after it was resolved, `score` said
    "even: no resolved questions", though the questions are resolved (found in a bug hunt). The
    forecast is ILLUSTRATIVE (invented)."""
    pack = load_pack(pack_dir)
    qs = load_questions(pack, QUESTIONS)
    q = next(q for q in qs if q.id == "q_frontline_by_dec")
    assert q.resolved is not None
    row = fc.Forecast(question=q.id, forecaster="bob", as_of=q.opens, probability=0.9)
    late = dt.datetime.combine(q.resolved, dt.time(12), tzinfo=dt.UTC)
    fc.append_forecasts(pack, [row], qs, now=late)
    done = CliRunner().invoke(
        app, ["score", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--paths", "300"]
    )
    assert done.exit_code == 0, done.output
    assert "no resolved questions" not in done.output
    why = "every forecast of a resolved question was logged on or after the day it was resolved"
    assert f"  (none: {why}, see below)" in done.output
    assert f"  even: nothing scored ({why}, see below)" in done.output
    assert "bob on q_frontline_by_dec" in done.output


def test_a_negative_zero_probability_is_logged_as_zero(pack_dir: Path) -> None:
    """`forecast --p -0.0` was logged as "-0" (found in a bug hunt); it is 0. The forecast is
    ILLUSTRATIVE (invented)."""
    done = CliRunner().invoke(
        app,
        ["forecast", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--as-of",
         "2024-11-15", "--p", "-0.0", "--by", "ana", "--question", "q_air_defence_by_dec"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "q_air_defence_by_dec: 0.000 (ana" in done.output
    (row,) = (pack_dir / fc.LOG_FILE).read_text(encoding="utf-8").splitlines()[1:]
    assert row.split(",")[:4] == ["q_air_defence_by_dec", "ana", "2024-11-15", "0"]
    assert (
        fc.Forecast(
            question="q", forecaster="x", as_of=dt.date(2024, 11, 15), probability=-0.0
        ).row()[3]
        == "0"
    )


def test_backtest_command_defaults_to_the_packs_dates(pack_dir: Path) -> None:
    """`toolkit backtest` required --from and --to while the scorecard report took the pack's dates
    (`report.backtest_from`/`backtest_to`); it now takes them too, says which dates it used, and an
    error about a date the user left out names it as the pack's."""
    runner = CliRunner()
    base = ["backtest", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--paths", "200"]
    ran = runner.invoke(app, [*base, "--every", "30d", "--json"])
    assert ran.exit_code == 0, ran.output
    # the shipped pack.yaml's report.backtest_from / backtest_to
    assert json.loads(ran.output)["dates"] == {
        "from": "2024-11-01", "to": "2025-01-31", "every_days": 30, "count": 4,
    }  # fmt: skip
    text = runner.invoke(app, [*base, "--every", "30d", "--to", "2024-12-01"])
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0] == (
        "backtest: 2 date(s) from 2024-11-01 to 2024-12-01, every 30 day(s)"
    )
    late = runner.invoke(app, [*base, "--from", "2025-02-10"])
    assert late.exit_code == 2
    assert late.output.strip() == (
        "error: --to (the pack's default) 2025-01-31 is before --from 2025-02-10"
    )


def test_a_huge_backtest_step_is_one_line_not_a_traceback(pack: Pack) -> None:
    """`--every 3000000d` overflowed the date arithmetic (OverflowError, a traceback, exit 1), and
    `-p every=3000000d` failed the scorecard inside the kernel (found in a bug hunt). A step up to
    the engine's horizon is one date past the first; more is refused in one line."""
    from toolkit.track.scores import MAX_EVERY_DAYS

    assert parse_every(f"{MAX_EVERY_DAYS}d") == MAX_EVERY_DAYS
    for text in ("3000000d", "2147483648d", "400000w"):
        with pytest.raises(ParameterError, match=f"--every '{text}' is more than 18,263 days"):
            parse_every(text)
    qs = load_questions(pack, QUESTIONS)
    one = backtest(pack, qs, dt.date(2024, 11, 1), dt.date(2024, 11, 2), MAX_EVERY_DAYS, **RUN)
    assert [e["as_of"] for e in one["by_date"]] == ["2024-11-01"]
    with pytest.raises(ParameterError, match="every must be 1 to 18,263 days, got 3000000"):
        backtest(pack, qs, dt.date(2024, 11, 1), dt.date(2024, 11, 2), 3_000_000, **RUN)
    ran = CliRunner().invoke(app, ["backtest", "--from", "2024-11-01", "--every", "3000000d"])
    assert (ran.exit_code, ran.output.count("\n")) == (2, 1), ran.output


def test_misdated_allows_the_time_zones_ahead_of_utc() -> None:
    """A forecast's as-of date is the forecaster's local date and `logged_at` is UTC: east of UTC the
    date is a day ahead, so only a date no time zone had reached is misdated. `now` is given, not
    read from the clock."""
    logged = dt.datetime(2024, 11, 20, 11, 0, tzinfo=dt.UTC)  # 01:00 on the 21st at UTC+14
    row = fc.Forecast(
        question="q", forecaster="ana", as_of=dt.date(2024, 11, 20), probability=0.5,
        logged_at=logged,
    )  # fmt: skip
    now = dt.datetime(2024, 11, 25, 12, 0, tzinfo=dt.UTC)  # 02:00 on the 26th at UTC+14
    assert fc.misdated(row, now) is None
    assert fc.misdated(dataclasses.replace(row, as_of=dt.date(2024, 11, 21)), now) is None
    late = fc.misdated(dataclasses.replace(row, as_of=dt.date(2024, 11, 22)), now)
    assert late == "after the day it was logged (2024-11-20T11:00:00Z)"
    before_midnight = dataclasses.replace(row, logged_at=logged - dt.timedelta(hours=2))
    assert fc.misdated(dataclasses.replace(before_midnight, as_of=dt.date(2024, 11, 21)), now)
    legacy = dataclasses.replace(row, logged_at=None, as_of=dt.date(2024, 11, 27))
    assert fc.misdated(legacy, now) == "after today (2024-11-25 UTC)"
    assert fc.misdated(dataclasses.replace(legacy, as_of=dt.date(2024, 11, 26)), now) is None


def test_a_forecast_dated_after_it_was_logged_is_named_by_validate_and_listed_by_score(
    pack_dir: Path,
) -> None:
    """A hand-edited forecasts.csv row as of 2030 (after its own logged_at, and after today) was
    valid, and `score` dropped it without a word (n fell from 2 to 1). `validate` now names the
    line, field and value; `score` lists it under "not scored" with why, as it lists a forecast as
    of a day its question was not open (found in a bug hunt). ILLUSTRATIVE forecasts; dates ahead
    are computed from today."""
    pack = load_pack(pack_dir)
    qs = load_questions(pack, QUESTIONS)
    q = next(q for q in qs if q.id == "q_frontline_by_dec")
    assert q.resolved is not None
    logged = dt.datetime.combine(q.opens, dt.time(12), tzinfo=dt.UTC)
    rows = [
        fc.Forecast(question=q.id, forecaster=name, as_of=q.opens, probability=0.8)
        for name in ("ana", "bob", "cy")
    ]
    fc.append_forecasts(pack, rows, qs, now=logged)
    log = pack_dir / fc.LOG_FILE
    lines = log.read_text(encoding="utf-8").splitlines()
    ahead = dt.date.today() + dt.timedelta(days=400)
    lines[2] = lines[2].replace(f",{q.opens},", f",{ahead},", 1)  # bob: after logged_at, today
    early = q.opens - dt.timedelta(days=1)
    lines[3] = lines[3].replace(f",{q.opens},", f",{early},", 1)  # cy: before the question opened
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["validate", "--pack", str(pack_dir)])
    assert done.exit_code == 1
    assert (
        f"forecasts.csv [line 3] as_of: after the day it was logged ({logged:%Y-%m-%dT%H:%M:%SZ}) "
        f"(value: '{ahead}')"
    ) in done.output
    assert "[line 4]" not in done.output  # a question's window is the question file's business
    done = CliRunner().invoke(
        app, ["score", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--paths", "300"]
    )
    assert done.exit_code == 0, done.output
    assert "ana: Brier" in done.output
    assert "not scored: 2 forecast(s) of a resolved question, for their as-of date:" in done.output
    assert f"  bob on {q.id} as of {ahead}: after the day it was logged" in done.output
    assert f"  cy on {q.id} as of {early}: before the question opened ({q.opens})" in done.output
    done = CliRunner().invoke(
        app,
        ["score", "--pack", str(pack_dir), "--questions", str(QUESTIONS), "--paths", "300",
         "--json"],
    )  # fmt: skip
    data = json.loads(done.output)
    assert data["forecasters"]["ana"]["n"] == 1
    assert set(data["forecasters"]) == {"ana"}
    assert [u["forecaster"] for u in data["unscored"]] == ["bob", "cy"]


def test_questions_can_come_through_a_pipe(pack: Pack, tmp_path: Path) -> None:
    """`--questions /dev/stdin` or `<(...)` was refused as "is not a regular file" (a review
    finding): a pipe is read as the file it stands for; a device such as /dev/zero still is not."""
    from toolkit.track.questions import load_questions

    fifo = tmp_path / "questions.fifo"
    os.mkfifo(fifo)
    data = QUESTIONS.read_bytes()

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        piped = load_questions(pack, fifo)
    finally:
        if writer.is_alive():  # refused before reading: let the writer's open return
            with open(fifo, "rb") as fh:
                fh.read()
        writer.join()
    assert piped == load_questions(pack, QUESTIONS)
    with pytest.raises(PackError, match="is not a regular file"):
        load_questions(pack, "/dev/zero")
