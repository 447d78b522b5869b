"""Proper scores of forecasts against outcomes, and the backtest.

- Brier score: the mean of (p - y)^2 over questions, y = 1 if the event happened else 0; 0 is
  perfect, 0.25 is always saying 0.5, 1 is certain and wrong.
- Log score: the mean of -ln(p) if the event happened, -ln(1 - p) if not (natural log; lower is
  better; 0.693 is always saying 0.5). Probabilities are clipped to [EPS, 1 - EPS] first, so a
  forecast of 0 for an event that happened (infinitely bad unclipped) scores -ln(EPS) = 6.91 and is
  counted in `clipped`: a score with `clipped` > 0 has at least one certain forecast that was wrong
  or, equally clipped, certain and right.
- Murphy decomposition in BINS equal bins of the forecast (0-0.1, 0.1-0.2, ..., 0.9-1.0, the last
  closed): Brier ~ reliability - resolution + uncertainty, with reliability = sum_k n_k (pbar_k -
  ybar_k)^2 / n, resolution = sum_k n_k (ybar_k - ybar)^2 / n, uncertainty = ybar (1 - ybar); exact
  when the forecasts within each bin are equal, else off by the within-bin spread.

`score_log` scores each forecaster's last forecast of each resolved question made while it was open
(`Question.is_open`) and logged before it was resolved (`hindsight` lists the others; `unscored` those
as of a day the question was not open, or a day that had not come when they were logged), beside two references on the same questions: always 0.5 (`even`), and the model
as of each question's `opens` date without observations (`model_at_opens`). `backtest` replays the
observation log: on each date it forecasts every open question from only the observations reported
by then (`model`) and without any (`model_without_observations`), and scores the resolved ones.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from toolkit.errors import ParameterError

if TYPE_CHECKING:
    from toolkit.pack.load import Pack
    from toolkit.track.forecasts import Forecast
    from toolkit.track.questions import Question
    from toolkit.track.tracker import Observations

EPS: Final = 1e-3
BINS: Final = 10
DIGITS: Final = 4
EVEN: Final = "even"
AT_OPENS: Final = "model_at_opens"
NO_OBS: Final = "model_without_observations"
# days between a backtest's as-of dates, for `toolkit backtest` and the scorecard report alike
DEFAULT_EVERY: Final = "14d"
MAX_EVERY_DAYS: Final = 18_263  # 600 months (the engine's MAX_MONTHS) of 365.25/12 days


def brier(ps: Sequence[float], ys: Sequence[bool]) -> float:
    """Mean Brier score (0-1)."""
    _check(ps, ys)
    return sum((p - float(y)) ** 2 for p, y in zip(ps, ys, strict=True)) / len(ps)


def log_score(ps: Sequence[float], ys: Sequence[bool], eps: float = EPS) -> tuple[float, int]:
    """(mean -ln of the probability given to what happened, clipped to [eps, 1 - eps]; how many
    forecasts were clipped)."""
    _check(ps, ys)
    total, clipped = 0.0, 0
    for p, y in zip(ps, ys, strict=True):
        q = min(max(p, eps), 1.0 - eps)
        clipped += q != p
        total -= math.log(q if y else 1.0 - q)
    return total / len(ps), clipped


def murphy(ps: Sequence[float], ys: Sequence[bool], bins: int = BINS) -> dict[str, Any]:
    """{"reliability", "resolution", "uncertainty", "bins": [{"low", "high", "n", "forecast",
    "observed"}]} over `bins` equal bins of the forecast (non-empty bins only)."""
    _check(ps, ys)
    n = len(ps)
    ybar = sum(map(float, ys)) / n
    groups: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for p, y in zip(ps, ys, strict=True):
        groups[min(int(p * bins), bins - 1)].append((p, float(y)))
    rel = res = 0.0
    table = []
    for k in sorted(groups):
        g = groups[k]
        pk = sum(p for p, _ in g) / len(g)
        yk = sum(y for _, y in g) / len(g)
        rel += len(g) * (pk - yk) ** 2
        res += len(g) * (yk - ybar) ** 2
        table.append(
            {"low": k / bins, "high": (k + 1) / bins, "n": len(g), "forecast": pk, "observed": yk}
        )
    return {
        "reliability": rel / n,
        "resolution": res / n,
        "uncertainty": ybar * (1 - ybar),
        "bins": table,
    }


def score(ps: Sequence[float], ys: Sequence[bool]) -> dict[str, Any]:
    """{"brier", "log", "n", "clipped", "reliability", "resolution", "uncertainty", "bins"};
    {"n": 0} for no forecasts."""
    if not ps:
        return {"n": 0}
    log, clipped = log_score(ps, ys)
    out: dict[str, Any] = {"brier": brier(ps, ys), "log": log, "n": len(ps), "clipped": clipped}
    out |= murphy(ps, ys)
    return _rounded(out)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DIGITS) + 0.0
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _check(ps: Sequence[float], ys: Sequence[bool]) -> None:
    if len(ps) != len(ys) or not ps:
        raise ParameterError("scores need as many outcomes as forecasts, and at least one")
    bad = [p for p in ps if not 0.0 <= p <= 1.0]
    if bad:
        raise ParameterError(f"a probability must be in [0, 1], got {bad[0]!r}")


def latest(
    forecasts: Sequence[Forecast], questions: Sequence[Question], now: dt.datetime | None = None
) -> dict[str, dict[str, float]]:
    """forecaster -> question id -> its last forecast made while the question was open, for the
    resolved questions (the log's order breaks ties on the same as-of date). A forecast logged after
    its question was resolved is left out (`hindsight`), whatever its as-of date, and so is one
    whose as-of date had not come when it was logged or has not come at `now` (`unscored` lists
    both kinds)."""
    from toolkit.track.forecasts import misdated

    moment = now if now is not None else dt.datetime.now(dt.UTC)
    by_id = {q.id: q for q in questions if q.outcome is not None}
    late = {id(f) for f in hindsight(forecasts, questions)}
    out: dict[str, dict[str, tuple[dt.date, float]]] = defaultdict(dict)
    for f in forecasts:
        q = by_id.get(f.question)
        if q is None or not q.is_open(f.as_of) or id(f) in late or misdated(f, moment):
            continue
        seen = out[f.forecaster].get(q.id)
        if seen is None or f.as_of >= seen[0]:
            out[f.forecaster][q.id] = (f.as_of, f.probability)
    return {name: {k: v[1] for k, v in rows.items()} for name, rows in sorted(out.items())}


def hindsight(forecasts: Sequence[Forecast], questions: Sequence[Question]) -> list[Forecast]:
    """The forecasts logged (`logged_at`, UTC) on or after the day their question was resolved (as
    `Question.is_open`, which closes a question on that day): possibly made with the outcome to
    hand, so never scored. A legacy log's rows (no `logged_at`) cannot be told."""
    resolved = {q.id: q.resolved for q in questions if q.resolved is not None}
    return [
        f
        for f in forecasts
        if f.logged_at is not None
        and f.question in resolved
        and f.logged_at.date() >= resolved[f.question]
    ]


def unscored(
    forecasts: Sequence[Forecast], questions: Sequence[Question], now: dt.datetime | None = None
) -> list[tuple[Forecast, str]]:
    """The forecasts of resolved questions that `latest` leaves out, each with why, besides the
    `hindsight` ones and those a later forecast replaced: as of a day that had not come when it
    was logged or has not come yet (`misdated`), or as of a day the question was not open. Such a
    forecast was dropped without a word, so a mistyped date lowered the count scored unseen (found
    in a bug hunt)."""
    from toolkit.track.forecasts import misdated

    moment = now if now is not None else dt.datetime.now(dt.UTC)
    by_id = {q.id: q for q in questions if q.outcome is not None}
    late = {id(f) for f in hindsight(forecasts, questions)}
    out = []
    for f in forecasts:
        q = by_id.get(f.question)
        if q is None or id(f) in late:
            continue
        why = misdated(f, moment) or _outside(f.as_of, q)
        if why is not None:
            out.append((f, why))
    return out


def _outside(day: dt.date, question: Question) -> str | None:
    """Why `question` was not open for forecasts on `day` (`Question.is_open`), or None."""
    if day < question.opens:
        return f"before the question opened ({question.opens})"
    if day > question.closes:
        return f"after the question closed ({question.closes})"
    if question.resolved is not None and day >= question.resolved:
        return f"on or after the day the question was resolved ({question.resolved})"
    return None


def at_opens(pack: Pack, questions: Sequence[Question], **run: Any) -> dict[str, float]:
    """question id -> the model's forecast as of its `opens` date without observations."""
    from toolkit.track.forecasts import model_forecasts

    by_day: dict[dt.date, list[Question]] = defaultdict(list)
    for q in questions:
        by_day[q.opens].append(q)
    out: dict[str, float] = {}
    for day, qs in sorted(by_day.items()):
        out |= model_forecasts(pack, qs, day, [], **run)
    return out


def score_log(
    pack: Pack,
    questions: Sequence[Question],
    forecasts: Sequence[Forecast],
    now: dt.datetime | None = None,
    **run: Any,
) -> dict[str, Any]:
    """{"forecasters": {name: score}, "references": {"even": score, "model_at_opens": score}}; each
    forecaster's entry also holds the references' Brier on its own questions (`brier_even`,
    `brier_model_at_opens`). The references cover every question any forecaster was scored on."""
    outcome = {q.id: bool(q.outcome) for q in questions if q.outcome is not None}
    chosen = latest(forecasts, questions, now)
    scored = sorted({qid for rows in chosen.values() for qid in rows})
    ref = at_opens(pack, [q for q in questions if q.id in scored], **run) if scored else {}
    out: dict[str, Any] = {"forecasters": {}, "references": {}}
    for name, rows in chosen.items():
        ids = sorted(rows)
        ys = [outcome[i] for i in ids]
        entry = score([rows[i] for i in ids], ys)
        entry["brier_even"] = 0.25
        entry["brier_model_at_opens"] = round(brier([ref[i] for i in ids], ys), DIGITS)
        out["forecasters"][name] = entry
    ys = [outcome[i] for i in scored]
    out["references"][EVEN] = score([0.5] * len(scored), ys)
    out["references"][AT_OPENS] = score([ref[i] for i in scored], ys)
    out["outcomes"] = {i: outcome[i] for i in scored}
    out["hindsight"] = [
        {"question": f.question, "forecaster": f.forecaster, "as_of": f.as_of.isoformat(),
         "logged_at": f.logged_at.isoformat() if f.logged_at is not None else None}
        for f in hindsight(forecasts, questions)
    ]  # fmt: skip
    out["unscored"] = [
        {"question": f.question, "forecaster": f.forecaster, "as_of": f.as_of.isoformat(),
         "why": why}
        for f, why in unscored(forecasts, questions, now)
    ]  # fmt: skip
    return out


def parse_every(text: str, name: str = "--every") -> int:
    """'7d', '2w' or '7' as a number of days, from 1 to MAX_EVERY_DAYS (a backtest spans at most the
    engine's horizon; a step of millions of days overflowed the date arithmetic with a traceback,
    found in a bug hunt); errors name the setting `name`."""
    s = text.strip().lower()
    unit = {"d": 1, "w": 7}.get(s[-1:])
    digits = s[:-1] if unit else s
    if not digits.isascii() or not digits.isdigit() or int(digits) < 1:
        raise ParameterError(f"{name} expects days like 7d or weeks like 2w, got {text!r}")
    days = int(digits) * (unit or 1)
    if days > MAX_EVERY_DAYS:
        raise ParameterError(
            f"{name} {text!r} is more than {MAX_EVERY_DAYS:,} days (the engine's horizon)"
        )
    return days


def backtest_dates(
    pack: Pack,
    questions: Sequence[Question],
    observations: Observations = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
) -> tuple[dt.date, dt.date]:
    """The first and last as-of dates of a backtest: each as given (a date, or YYYY-MM-DD), else
    pack.yaml's `report.backtest_from` / `report.backtest_to`, else the pack's date (publication) for
    the first and, for the last, the latest date something was learnt: an observation reported or a
    question resolved (the first date when there is neither). Empty strings count as not given."""
    from toolkit.track.tracker import observation_frame, parse_date

    report = pack.meta.report
    first = (
        parse_date(start, "backtest_from")
        if start
        else report.backtest_from or pack.meta.publication.date
    )
    if end:
        return first, parse_date(end, "backtest_to")
    if report.backtest_to is not None:
        return first, report.backtest_to
    learnt = [q.resolved for q in questions if q.resolved is not None]
    reported = observation_frame(pack, observations)["reported"].max()
    if isinstance(reported, dt.date):
        learnt.append(reported)
    return first, max([first, *learnt])


def backtest(
    pack: Pack,
    questions: Sequence[Question],
    start: dt.date,
    end: dt.date,
    every: int = 14,
    observations: Observations = None,
    **run: Any,
) -> dict[str, Any]:
    """Forecast every open question on each date from `start` to `end` (every `every` days) from
    the observations reported by then (`model`) and from none (`model_without_observations`), and
    score the resolved ones: {"dates": {"from", "to", "every_days", "count"}, "questions" (their
    ids in the question file's order), "forecasters", "references", "outcomes", "by_date":
    [{"as_of", "n", "brier": {name: x}, "forecasts": {question: {name: p}}}]}. Overall scores pool
    every (date, question)."""
    from toolkit.track.forecasts import MODEL, model_forecasts
    from toolkit.track.tracker import observation_frame

    if end < start:
        raise ParameterError(f"--to {end} is before --from {start}")
    if not 1 <= every <= MAX_EVERY_DAYS:
        raise ParameterError(f"every must be 1 to {MAX_EVERY_DAYS:,} days, got {every}")
    rows = observation_frame(pack, observations)
    ref = at_opens(pack, [q for q in questions if q.outcome is not None], **run)
    outcome = {q.id: bool(q.outcome) for q in questions if q.outcome is not None}
    pooled: dict[str, tuple[list[float], list[bool]]] = defaultdict(lambda: ([], []))
    by_date = []
    # the dates up to `end`, computed from the start (never a step past it)
    for k in range((end - start).days // every + 1):
        day = start + dt.timedelta(days=k * every)
        open_qs = [q for q in questions if q.is_open(day)]
        with_obs = model_forecasts(pack, open_qs, day, rows, **run)
        without = model_forecasts(pack, open_qs, day, [], **run)
        named = {MODEL: with_obs, NO_OBS: without, EVEN: dict.fromkeys(with_obs, 0.5)}
        named[AT_OPENS] = {k: ref[k] for k in with_obs if k in ref}
        resolved = sorted(k for k in with_obs if k in outcome)
        entry: dict[str, Any] = {"as_of": day.isoformat(), "n": len(resolved), "brier": {}}
        for name, probs in named.items():
            ps = [probs[k] for k in resolved]
            ys = [outcome[k] for k in resolved]
            pooled[name][0].extend(ps)
            pooled[name][1].extend(ys)
            if resolved:
                entry["brier"][name] = round(brier(ps, ys), DIGITS)
        entry["forecasts"] = {
            k: {MODEL: round(with_obs[k], DIGITS), NO_OBS: round(without[k], DIGITS)}
            for k in sorted(with_obs)
        }
        by_date.append(entry)
    return {
        "dates": {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "every_days": every,
            "count": len(by_date),
        },
        "questions": [q.id for q in questions],
        "forecasters": {n: score(*pooled[n]) for n in (MODEL, NO_OBS)},
        "references": {n: score(*pooled[n]) for n in (EVEN, AT_OPENS)},
        "outcomes": outcome,
        "by_date": by_date,
    }


def forecast_paths(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A backtest's forecasts as rows {"as_of", "question", "forecaster", "probability"}."""
    rows = []
    for entry in result["by_date"]:
        for qid, probs in entry["forecasts"].items():
            for name, p in probs.items():
                rows.append(
                    {"as_of": entry["as_of"], "question": qid, "forecaster": name, "probability": p}
                )
    return rows
