"""Forecast questions: `questions.yaml` in a pack (optional) or any file of the same shape.

A question names a modelled event in the engine's trigger language, extended with `decided: TIER`:
`{reached: PHASE}`, `{transferred: TECHNOLOGY}`, `{tier_transferred: TIER}` or `{decided: RESPONSE}`,
and a window `opens`..`closes` (ISO dates; the event must happen on or before `closes`). `outcome` is
true, false or null while open; a resolved question has `resolved` (a date) and `resolution` (source
and reasoning in words). `load_questions` checks every record and raises one PackError listing
every problem (one line each): unknown fields or event ids, `closes` before `opens`, an outcome
without `resolved`, duplicate ids.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from toolkit.errors import PackError, Problem
from toolkit.files import not_a_file
from toolkit.pack.records.base import control_character, is_id

if TYPE_CHECKING:
    from toolkit.engine.model import Model
    from toolkit.pack.load import Pack, PackSummary

QUESTIONS_FILE: Final = "questions.yaml"
EVENT_KINDS: Final = ("reached", "transferred", "tier_transferred", "decided")
FIELDS: Final = ("id", "text", "event", "opens", "closes", "outcome", "resolved", "resolution")

QuestionsSource = str | os.PathLike[str] | Sequence[Mapping[str, Any]] | None


@dataclass(frozen=True)
class Question:
    """One forecast question; `kind` and `target` are its event (`decided`, `lethal_weapons`)."""

    id: str
    text: str
    kind: str
    target: str
    opens: dt.date
    closes: dt.date
    outcome: bool | None = None
    resolved: dt.date | None = None
    resolution: str | None = None

    def is_open(self, day: dt.date) -> bool:
        """Open for forecasts on `day`: opened, not closed, not yet resolved."""
        if not self.opens <= day <= self.closes:
            return False
        return self.resolved is None or day < self.resolved

    @property
    def event(self) -> dict[str, str]:
        return {self.kind: self.target}


def event_ids(model: Model) -> dict[str, tuple[str, ...]]:
    """The ids each event kind may name."""
    return {
        "reached": tuple(model.phases),
        "transferred": tuple(model.technologies),
        "tier_transferred": tuple(model.tech_tiers),
        "decided": tuple(model.responses),
    }


def load_questions(pack: Pack, source: QuestionsSource = None) -> list[Question]:
    """The questions of `source` (a YAML file, a list of mappings) or of the pack's questions.yaml
    (none if the pack has no such file), checked against the pack's scenario model."""
    from toolkit.engine.compile import compile_model
    from toolkit.pack.safe_yaml import load_yaml

    name = QUESTIONS_FILE
    items: Any
    if source is None or isinstance(source, str | os.PathLike):
        path = Path(source) if source is not None else pack.path / QUESTIONS_FILE
        name = str(path)
        missing = not_a_file(path, pipes=source is not None)  # a user's file may be a pipe
        if source is None and missing == "file not found":
            return []  # a pack without questions
        if missing is not None:
            raise PackError([Problem(name, None, None, str(path), missing)])
        try:
            raw = load_yaml(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PackError(
                [Problem(name, None, None, str(path), exc.strerror or "cannot read")]
            ) from None
        except UnicodeDecodeError as exc:
            raise PackError([Problem(name, None, None, exc.reason, "not UTF-8 text")]) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise PackError([Problem(name, where, None, reason, "malformed YAML")]) from None
        items = raw.get("questions") if isinstance(raw, dict) else raw
        if isinstance(raw, dict):
            extra = sorted(set(raw) - {"questions"})
            if extra:
                raise PackError(
                    [
                        Problem(
                            name, None, extra[0], extra[0], "unknown section (expected questions)"
                        )
                    ]
                )
    else:
        items = list(source)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise PackError([Problem(name, None, "questions", type(items).__name__, "expected a list")])
    ids = event_ids(compile_model(pack, "baseline"))
    problems: list[Problem] = []
    out: list[Question] = []
    seen: set[str] = set()
    start = pack.meta.publication.date
    for i, item in enumerate(items):
        q = _question(item, i, ids, name, problems, start)
        if q is None:
            continue
        if q.id in seen:
            problems.append(Problem(name, q.id, "id", q.id, "duplicate question id"))
        seen.add(q.id)
        out.append(q)
    if problems:
        raise PackError(problems)
    return out


def check_questions(checked: PackSummary) -> list[Problem]:
    """The problems of the pack's questions.yaml (none without one), for `toolkit validate`: the
    question set checked against the pack's model as `load_questions` checks it. Remembered like the
    engine's checks (`toolkit.engine.check`): a question set found valid for this pack content and
    toolkit code is not checked again, so validating it again builds no frames."""
    import hashlib

    from toolkit.cache import cache_dir, code_fingerprint, write_atomic_text

    path = checked.path / QUESTIONS_FILE
    missing = not_a_file(path)
    if missing is not None and missing != "file not found":
        return [Problem(QUESTIONS_FILE, None, None, str(path), missing)]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [Problem(QUESTIONS_FILE, None, None, str(path), exc.strerror or "cannot read")]
    key = f"{checked.content_hash}\0{hashlib.sha256(data).hexdigest()}\0{code_fingerprint()}"
    mark = cache_dir() / f"questions-valid-{hashlib.sha256(key.encode()).hexdigest()[:24]}"
    if mark.is_file():
        return []
    try:
        load_questions(checked.pack())
    except PackError as exc:
        return exc.problems
    write_atomic_text(mark, "")
    return []


def read_date(value: object) -> dt.date | None:
    """An ISO date from YAML, CSV or the command line (a date or datetime passes through), else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _question(
    item: object,
    index: int,
    ids: Mapping[str, Sequence[str]],
    name: str,
    problems: list[Problem],
    start: dt.date,
) -> Question | None:
    """One question, checked; None (and its problems appended) if it has any. `start` is the pack's
    date (month 0): a question opens on or after it and closes within the engine's horizon."""
    from toolkit.engine.validate import MAX_MONTHS
    from toolkit.track.chain import DAYS_PER_MONTH

    before = len(problems)
    if not isinstance(item, dict):
        problems.append(Problem(name, f"#{index + 1}", None, item, "a question is a mapping"))
        return None
    qid = item.get("id")
    rec = str(qid) if qid else f"#{index + 1}"

    def problem(fld: str | None, value: object, message: str) -> None:
        problems.append(Problem(name, rec, fld, value, message))

    for key in sorted(set(item) - set(FIELDS)):
        problem(key, item[key], f"unknown field (expected {', '.join(FIELDS)})")
    if not is_id(qid):
        problem(
            "id", qid, "a question's id is lower-case letters, digits and _, a letter first "
            "(at most 120 characters)",
        )  # fmt: skip
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        problem("text", text, "a question needs its text in words")
    for key in ("text", "resolution"):
        value = item.get(key)
        bad = control_character(value) if isinstance(value, str) else None
        if bad is not None:
            problem(key, value, f"contains the control character {bad}")
    event = item.get("event")
    kind = target = ""
    if not isinstance(event, dict) or len(event) != 1:
        problem("event", event, f"an event is one of {{{': ID}, {'.join(EVENT_KINDS)}: ID}}")
    else:
        kind, value = next(iter(event.items()))
        target = str(value)
        if kind not in EVENT_KINDS:
            problem("event", kind, f"unknown event kind (expected {', '.join(EVENT_KINDS)})")
        elif target not in ids[kind]:
            problem(f"event.{kind}", target, f"unknown id (expected {', '.join(ids[kind])})")
    dates: dict[str, dt.date | None] = {}
    for key in ("opens", "closes", "resolved"):
        value = item.get(key)
        dates[key] = None if value is None else read_date(value)
        if key != "resolved" and value is None:
            problem(key, None, "a question needs this date (YYYY-MM-DD)")
        elif value is not None and dates[key] is None:
            problem(key, value, "expects a date YYYY-MM-DD")
    opens, closes, resolved = dates["opens"], dates["closes"], dates["resolved"]
    if opens and closes and closes < opens:
        problem("closes", str(closes), f"closes before opens ({opens})")
    if opens and opens < start:
        problem("opens", str(opens), f"opens before the pack's date {start} (publication.date)")
    if closes and (closes - start).days > MAX_MONTHS * DAYS_PER_MONTH:
        problem(
            "closes", str(closes), f"more than {MAX_MONTHS} months after the pack's date {start}"
        )
    outcome = item.get("outcome")
    if outcome is not None and not isinstance(outcome, bool):
        problem("outcome", outcome, "expects true, false or null (open)")
    if outcome is not None and resolved is None:
        problem("resolved", None, "an outcome needs the date it was resolved")
    if outcome is None and resolved is not None:
        problem("outcome", None, "resolved but no outcome (true or false)")
    if outcome is not None and not item.get("resolution"):
        problem("resolution", None, "an outcome needs its resolution (source and reasoning)")
    if resolved and opens and resolved < opens:
        problem("resolved", str(resolved), f"resolved before opens ({opens})")
    if outcome is False and resolved and closes and resolved < closes:
        problem("resolved", str(resolved), f"resolved false before it closes ({closes})")
    if len(problems) > before or opens is None or closes is None:
        return None
    resolution = item.get("resolution")
    return Question(
        id=str(qid),
        text=str(text),
        kind=str(kind),
        target=target,
        opens=opens,
        closes=closes,
        outcome=outcome,
        resolved=resolved,
        resolution=None if resolution is None else str(resolution),
    )
