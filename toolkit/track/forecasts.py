"""The model's forecasts of questions, and the append-only forecast log (`forecasts.csv`).

`model_forecasts(pack, questions, as_of, observations)` is the probability, for each question, that
its event happens by `closes`, from the tracker's state on `as_of` (only observations reported by
then; month 0 = `as_of`): one engine run of daily steps (`STEP`, 1/30 month) over the longest
horizon, read at each question's `closes` (the last step that ends on or before it). An event the
tracker says may already have happened by `as_of` counts: the run starts with each technology
transferred and each response tier decided at month 0 with the tracker's probability
(`toolkit.track.forecast`), so the run's figure includes it. A phase is `reached` by `closes` if it
was reached by `as_of` (the path is in it then, or went through it since the pack's date: the tracker
follows that too, `TrackResult.reached_by_phase`, and the run counts it at month 0), or the path
enters it by `closes`.

The log has one row per forecast (`COLUMNS`). `append_forecasts` validates every row and the log it
joins, then appends them after the existing bytes (`toolkit.files.append_durably`): a bad row, or a
failure before the append, leaves the log byte-identical. Each row records when it was appended
(`logged_at`, UTC, set by `append_forecasts` itself): a forecast logged on or after the day its question was
resolved had its outcome to hand and is not scored (`toolkit.track.scores.latest`). A log begun
before that column existed (`LEGACY_COLUMNS`) is read as it is, and appended to without it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from toolkit.dates import latest_date
from toolkit.engine.defaults import DEFAULT_PATHS, DEFAULT_SEED
from toolkit.errors import PackError, ParameterError, Problem
from toolkit.files import append_durably, not_a_file
from toolkit.pack.records.base import control_character, is_id
from toolkit.track.chain import DAYS_PER_MONTH

if TYPE_CHECKING:
    from toolkit.pack.load import Pack
    from toolkit.track.questions import Question
    from toolkit.track.tracker import Observations

LOG_FILE: Final = "forecasts.csv"
LEGACY_COLUMNS: Final = (
    "question", "forecaster", "as_of", "probability", "pack_hash", "scenario", "overrides", "seed",
    "paths", "version",
)  # fmt: skip
COLUMNS: Final = (*LEGACY_COLUMNS, "logged_at")
STEP: Final = 1 / 30  # the engine's reporting step for forecasts: about a day
PATHS: Final = DEFAULT_PATHS  # one set of run defaults (toolkit.engine.defaults)
SEED: Final = DEFAULT_SEED
MODEL: Final = "model"  # the forecaster name of the model's forecasts
NAME_RULE: Final = (
    "a plain name: no commas, quotes or control characters, and not starting with = + - @ "
    "(a spreadsheet would read a formula)"
)


@dataclass(frozen=True)
class Forecast:
    """One row of the forecast log."""

    question: str
    forecaster: str
    as_of: dt.date
    probability: float
    pack_hash: str = ""
    scenario: str = ""
    overrides: str = ""  # JSON object, "" for an analyst's forecast
    seed: int | None = None
    paths: int | None = None
    version: str = ""
    logged_at: dt.datetime | None = None  # UTC, when appended (None: a legacy log's row)

    def row(self, columns: Sequence[str] = COLUMNS) -> list[str]:
        """The row's fields for a log of `columns` (`COLUMNS`, or `LEGACY_COLUMNS`)."""
        fields = [
            self.question, self.forecaster, self.as_of.isoformat(), _number(self.probability),
            self.pack_hash, self.scenario, self.overrides,
            "" if self.seed is None else str(self.seed),
            "" if self.paths is None else str(self.paths), self.version,
        ]  # fmt: skip
        if len(columns) > len(LEGACY_COLUMNS):
            fields.append("" if self.logged_at is None else timestamp(self.logged_at))
        return fields


def _number(p: float) -> str:
    """A probability as the log writes it: six significant digits, and -0 as 0."""
    return f"{p + 0.0:.6g}"


def timestamp(moment: dt.datetime) -> str:
    """A UTC moment as the log writes it: 2024-11-20T09:15:02Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def model_forecasts(
    pack: Pack,
    questions: Sequence[Question],
    as_of: dt.date,
    observations: Observations = None,
    *,
    scenario: str = "baseline",
    overrides: Mapping[str, object] | None = None,
    paths: int = PATHS,
    seed: int = SEED,
) -> dict[str, float]:
    """question id -> P(event by closes) from the tracker's state on `as_of` (see the module)."""
    from toolkit.track.forecast import simulate_from
    from toolkit.track.tracker import track

    if not questions:
        return {}
    late = [q.id for q in questions if q.closes < as_of]
    if late:
        raise ParameterError(f"question {late[0]!r} closed before the as-of date {as_of}")
    over = dict(overrides or {})
    tracked = track(pack, as_of, observations, scenario=scenario, overrides=over)
    days = max((q.closes - as_of).days for q in questions)
    months = max(1, math.ceil(days / DAYS_PER_MONTH))
    result = simulate_from(tracked, pack, paths=paths, months=months, seed=seed, step=STEP, **over)
    # the run starts from what the tracker holds done by as_of (month 0): transferred, decided, and
    # the phases gone through since the pack's date; so P(by closes) is the run's own figure
    out: dict[str, float] = {}
    for q in questions:
        p = result.probability_by(q.target, (q.closes - as_of).days / DAYS_PER_MONTH, q.kind)
        out[q.id] = min(max(p, 0.0), 1.0)
    return out


def model_rows(
    pack: Pack,
    probabilities: Mapping[str, float],
    as_of: dt.date,
    *,
    forecaster: str = MODEL,
    scenario: str = "baseline",
    overrides: Mapping[str, object] | None = None,
    paths: int = PATHS,
    seed: int = SEED,
) -> list[Forecast]:
    """The log rows of the model's forecasts, with the run's inputs."""
    from toolkit import __version__

    return [
        Forecast(
            question=qid,
            forecaster=forecaster,
            as_of=as_of,
            probability=p,
            pack_hash=pack.content_hash or "",
            scenario=scenario,
            overrides=json.dumps(dict(overrides or {}), sort_keys=True),
            seed=seed,
            paths=paths,
            version=__version__,
        )
        for qid, p in probabilities.items()
    ]


def log_path(pack: Pack, log: str | Path | None = None) -> Path:
    return Path(log) if log is not None else pack.path / LOG_FILE


def parse_forecasts(
    data: bytes, name: str, problems: list[Problem], now: dt.datetime | None = None
) -> list[Forecast]:
    """The rows of a forecast log's bytes; problems appended to `problems`. Given `now` (UTC), a row
    as of a day that had not come when it was logged, or has not yet (`misdated`), is one too: the
    check of `toolkit validate`; `score` reads such a row and lists it as not scored."""
    if not data:
        return []
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError:
        problems.append(Problem(name, None, None, None, "not UTF-8 text"))
        return []
    reader = csv.DictReader(io.StringIO(text))
    columns = tuple(reader.fieldnames or ())
    if columns not in (COLUMNS, LEGACY_COLUMNS):
        problems.append(
            Problem(name, "header", None, reader.fieldnames, f"expected {','.join(COLUMNS)}")
        )
        return []
    out = []
    for n, row in enumerate(reader, start=2):
        try:
            forecast = _forecast(row, columns)
        except FieldError as exc:
            problems.append(Problem(name, f"line {n}", exc.field, exc.value, exc.message))
            continue
        out.append(forecast)
        why = misdated(forecast, now) if now is not None else None
        if why is not None:
            problems.append(Problem(name, f"line {n}", "as_of", forecast.as_of.isoformat(), why))
    return out


def misdated(forecast: Forecast, now: dt.datetime) -> str | None:
    """Why `forecast`'s as-of date cannot be the day it was made, or None: after the day it was
    logged (`logged_at`), or after today (`now`), anywhere on Earth. Such a row (a hand-edited
    2030 for 2024) would be forecast "as of" a day whose news it could not have had, and it falls
    outside its question's window, so score left it out without a word (found in a bug hunt)."""
    if forecast.logged_at is not None and forecast.as_of > latest_date(forecast.logged_at):
        return f"after the day it was logged ({timestamp(forecast.logged_at)})"
    if forecast.as_of > latest_date(now):
        return f"after today ({now.astimezone(dt.UTC):%Y-%m-%d} UTC)"
    return None


class FieldError(ValueError):
    """A field of a forecast log row that cannot be read: its name, its text and what is wrong (the
    field None for a row of the wrong number of fields, its value the number given)."""

    def __init__(self, field: str | None, value: object, message: str) -> None:
        super().__init__(message)
        self.field, self.value, self.message = field, value, message


def _fields(row: Mapping[str | None, Any], columns: Sequence[str]) -> None:
    given = sum(1 for key, value in row.items() if key is not None and value is not None)
    if None in row or given != len(columns):  # csv gives a missing field None, extras under None
        extra = len(row.get(None) or ())
        raise FieldError(
            None,
            given + extra,
            f"{given + extra} fields, expected {len(columns)} (a line cut short or run together?)",
        )


def _name(row: Mapping[str | None, Any], field: str) -> str:
    text = str(row[field])
    if not text:
        raise FieldError(field, text, f"a forecast needs a {field}")
    # read as they are written (a log edited by hand, or merged from elsewhere, is checked too)
    if field == "forecaster" and not plain_name(text):
        raise FieldError(field, text, NAME_RULE)
    if field == "question" and not is_id(text):
        raise FieldError(field, text, "a question id: lower-case letters, digits and _")
    return text


def _probability(text: str) -> float:
    try:
        p = float(text)
    except ValueError:
        raise FieldError("probability", text, "expects a number from 0 to 1") from None
    if not 0.0 <= p <= 1.0:  # nan too
        raise FieldError("probability", p, "must be in [0, 1]")
    return p + 0.0  # -0 is 0


def _as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldError("as_of", text, "expects a date YYYY-MM-DD") from None


def _overrides(text: str) -> str:
    """A model forecast's overrides: a JSON object of parameter values; "" for an analyst's."""
    if not text:
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise FieldError("overrides", text, 'expects a JSON object such as {} or {"troops": 5000}')
    return text


def _whole(text: str, field: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise FieldError(field, text, "expects a whole number") from None


def _logged_at(text: str | None) -> dt.datetime | None:
    if text is None:  # a legacy log
        return None
    try:
        moment = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise FieldError(
            "logged_at",
            text,
            "expects a UTC time like 2024-11-20T09:15:02Z (the toolkit writes it)",
        ) from None
    return moment.replace(tzinfo=dt.UTC)


def _forecast(row: Mapping[str | None, Any], columns: Sequence[str] = COLUMNS) -> Forecast:
    """One log row as a Forecast; FieldError names the first field that cannot be read."""
    _fields(row, columns)
    return Forecast(
        question=_name(row, "question"), forecaster=_name(row, "forecaster"),
        as_of=_as_of(row["as_of"]), probability=_probability(row["probability"]),
        pack_hash=row["pack_hash"], scenario=row["scenario"],
        overrides=_overrides(row["overrides"]), seed=_whole(row["seed"], "seed"),
        paths=_whole(row["paths"], "paths"), version=row["version"],
        logged_at=_logged_at(row.get("logged_at")),
    )  # fmt: skip


def _header(old: bytes) -> tuple[str, ...]:
    """The columns of the log being appended to (`COLUMNS` for a new one)."""
    first = old.decode("utf-8-sig").split("\n", 1)[0].strip() if old else ""
    return LEGACY_COLUMNS if tuple(first.split(",")) == LEGACY_COLUMNS else COLUMNS


def read_forecasts(pack: Pack, log: str | Path | None = None) -> list[Forecast]:
    """The forecast log's rows (none if it does not exist); PackError if it is malformed."""
    path = log_path(pack, log)
    missing = not_a_file(path)
    if missing == "file not found":
        if log is not None:  # a log asked for by name must be there (a typo is no empty log)
            raise ParameterError(f"--log {str(path)!r}: no such file")
        return []
    if missing is not None:  # a directory is no empty log (it was read as one: a bug hunt)
        raise PackError([Problem(path.name, None, None, str(path), missing)])
    problems: list[Problem] = []
    rows = parse_forecasts(path.read_bytes(), str(path), problems)
    if problems:
        raise PackError(problems)
    return rows


def plain_name(name: str) -> bool:
    """A forecaster's name the log and a spreadsheet opening it read as written."""
    return (
        bool(name.strip())
        and not any(c in name for c in ',"')
        and control_character(name, lines=False) is None
        and not name.lstrip().startswith(("=", "+", "-", "@"))
    )


def append_forecasts(
    pack: Pack,
    rows: Sequence[Forecast],
    questions: Sequence[Question],
    log: str | Path | None = None,
    now: dt.datetime | None = None,
) -> Path:
    """Append `rows` to the forecast log after checking each (a known question, a probability in
    [0, 1], a forecaster name) and the log they join; PackError and no change otherwise. Each row is
    logged at `now` (default: the clock's time, UTC), whatever the row says."""
    path = log_path(pack, log)
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    known = {q.id for q in questions}
    if not rows:
        raise ParameterError("no forecast to log: no question is open on that date")

    def make(old: bytes) -> bytes:
        problems: list[Problem] = []
        parse_forecasts(old, str(path), problems)
        for f in rows:
            if f.question not in known:
                problems.append(
                    Problem(str(path), f.question, "question", f.question, "unknown question id")
                )
            if not (isinstance(f.probability, float | int) and 0.0 <= f.probability <= 1.0):
                problems.append(
                    Problem(
                        str(path), f.question, "probability", f.probability, "must be in [0, 1]"
                    )
                )
            if not plain_name(f.forecaster):
                problems.append(
                    Problem(
                        str(path),
                        f.question,
                        "forecaster",
                        f.forecaster,
                        NAME_RULE,
                    )
                )
        if problems:
            raise PackError(problems)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        head = b""
        columns = _header(old)
        if not old:
            writer.writerow(COLUMNS)
        elif not old.endswith(b"\n"):
            head = b"\n"
        for f in rows:
            writer.writerow(replace(f, logged_at=moment).row(columns))
        return head + buf.getvalue().encode("utf-8")

    append_durably(path, make)
    return path


def row_dict(f: Forecast) -> dict[str, Any]:
    return dict(zip(COLUMNS, f.row(), strict=True))
