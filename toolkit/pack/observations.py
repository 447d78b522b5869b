"""The tracker's pack data: indicator diagnostics, the Admiralty grading table and the observation log.

Checks that span records or files, and the rows of their frames (`diagnostics`, `admiralty`,
`observations`). The pack loader calls these through `toolkit.pack.frames.FrameBuilder`; a log given
apart from the pack (`toolkit track --observations FILE`) is read and checked by `read_log` against a
loaded pack with the same rules. Every problem is reported as one `Problem` (file, record, field,
value) through a callback, never raised one at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from toolkit.errors import PackError, Problem
from toolkit.files import not_a_file
from toolkit.pack import records as r
from toolkit.pack.safe_yaml import load_yaml
from toolkit.pack.text import find_quote, quote_not_found

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

LOG_FILE = "observations.yaml"
ADMIRALTY_FILE = "admiralty.yaml"
INDICATORS_FILE = "indicators.yaml"
TEXTS_DIR = "texts"  # where source articles of observation quotes are kept, under the pack
# a source article of an observation (the pack's own article may hold 2 M characters)
MAX_TEXT_BYTES = 10_000_000

ProblemSink = Callable[[str, str | None, str | None, object, str], None]


# -- indicator diagnostics -------------------------------------------------------------------
def diagnostic_rows(
    indicators: Sequence[r.Indicator],
    phases: Sequence[str],
    problem: ProblemSink,
    dropped: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, Any]]:
    """One row per (indicator with a diagnostic, phase): P(reported seen | phase).

    Every phase gets a probability: listed ones their own, the others `seen_otherwise` (required
    when a phase is left out). An indicator is most likely seen in its own phase: its probability
    there is listed and at least as high as in any other phase. A diagnostic naming a phase that was
    dropped for its own problem (`dropped`, reported already) is skipped, not reported again."""
    file = INDICATORS_FILE
    rows: list[dict[str, Any]] = []
    known = set(phases)
    for ind in indicators:
        diag = ind.diagnostic
        if diag is None or ind.phase not in known or dropped & set(diag.seen_given_phase):
            continue
        label = f"{ind.id}"
        bad = False
        for phase in diag.seen_given_phase:
            if phase not in known:
                problem(
                    file, label, f"diagnostic.seen_given_phase.{phase}", phase, "unknown phase id"
                )
                bad = True
        missing = [p for p in phases if p not in diag.seen_given_phase]
        if missing and diag.seen_otherwise is None:
            problem(
                file, label, "diagnostic.seen_otherwise", None,
                f"phases {', '.join(missing)} are not listed: give seen_otherwise",
            )  # fmt: skip
            bad = True
        if ind.phase not in diag.seen_given_phase:
            problem(
                file, label, "diagnostic.seen_given_phase", sorted(diag.seen_given_phase),
                f"list the indicator's own phase {ind.phase}",
            )  # fmt: skip
            bad = True
        if bad:
            continue
        p = {ph: diag.seen_given_phase.get(ph, diag.seen_otherwise) for ph in phases}
        own = p[ind.phase]
        above = [ph for ph in phases if (p[ph] or 0.0) > (own or 0.0)]
        if above:
            problem(
                file, label, f"diagnostic.seen_given_phase.{ind.phase}", own,
                f"an indicator is most likely seen in its own phase; higher in {', '.join(above)}",
            )  # fmt: skip
            continue
        rows += [
            {
                "indicator": ind.id,
                "phase": ph,
                "p_seen": p[ph],
                "listed": ph in diag.seen_given_phase,
            }
            for ph in phases
        ]
    return rows


# -- the Admiralty grading table -----------------------------------------------------------------
def grade_rows(
    reliability: Sequence[r.Grade], credibility: Sequence[r.Grade], problem: ProblemSink
) -> list[dict[str, Any]]:
    """The two scales of the grading table, in order: A-F and 1-6, each grade once. Trust may not
    rise from a grade to the next weaker one (A to E, 1 to 5); F and 6 ("cannot be judged") are
    free, and mean little weight, not "false"."""
    file = ADMIRALTY_FILE
    rows: list[dict[str, Any]] = []
    scales = (
        ("reliability", reliability, r.RELIABILITY_GRADES),
        ("credibility", credibility, r.CREDIBILITY_GRADES),
    )
    for scale, grades, expected in scales:
        if not grades:  # the loader has reported the empty section
            continue
        got = [g.grade for g in grades]
        if got != list(expected):
            problem(
                file, scale, "grade", got, f"expected the grades {', '.join(expected)} in order"
            )
            continue
        for order, (prev, cur) in enumerate(zip([None, *grades], grades, strict=False)):
            judged = cur.grade not in ("F", "6")
            if prev is not None and judged and cur.trust > prev.trust:
                problem(
                    file, f"{scale}.{cur.grade}", "trust", cur.trust,
                    f"a weaker grade may not be trusted more than {prev.grade} ({prev.trust})",
                )  # fmt: skip
            rows.append(
                {
                    "scale": scale,
                    "grade": cur.grade,
                    "order": order,
                    "label": cur.label,
                    "trust": cur.trust,
                    "rationale": cur.rationale,
                }
            )
    return rows


def trust_of(rows: Iterable[Mapping[str, Any]]) -> tuple[dict[str, float], dict[str, float]]:
    """(reliability grade -> trust, credibility grade -> trust) from `grade_rows`' rows."""
    out: dict[str, dict[str, float]] = {"reliability": {}, "credibility": {}}
    for row in rows:
        out[row["scale"]][str(row["grade"])] = float(row["trust"])
    return out["reliability"], out["credibility"]


# -- the observation log -----------------------------------------------------------------------
@dataclass(frozen=True)
class LogContext:
    """What an observation is checked against: the pack's ids, start date, grading table, folder."""

    root: Path
    start: dt.date  # the pack's publication date: the tracker's time 0
    indicator_phase: Mapping[str, str]  # indicator id -> its phase
    diagnosed: frozenset[str]  # indicators with a diagnostic
    technologies: frozenset[str]
    tier_status: Mapping[str, str]  # response tier id -> status
    reliability: Mapping[str, float] = field(default_factory=dict)
    credibility: Mapping[str, float] = field(default_factory=dict)
    has_grades: bool = True

    @classmethod
    def of(cls, pack: Pack) -> LogContext:
        ind = pack.indicators
        diag = pack.frames.get("diagnostics")
        status = pack.response_tiers.select("id", "status")
        adm = pack.frames.get("admiralty")
        rel, cred = trust_of(adm.iter_rows(named=True)) if adm is not None else ({}, {})
        return cls(
            root=pack.path,
            start=pack.meta.publication.date,
            indicator_phase={str(i): str(p) for i, p in ind.select("id", "phase").iter_rows()},
            diagnosed=frozenset(
                str(x) for x in (diag["indicator"].unique() if diag is not None else [])
            ),
            technologies=frozenset(str(t) for t in pack.technologies["id"]),
            tier_status={str(i): str(s) for i, s in status.iter_rows()},
            reliability=rel,
            credibility=cred,
            has_grades=bool(rel),
        )


def observation_rows(
    observations: Sequence[r.Observation], ctx: LogContext, file: str, problem: ProblemSink
) -> list[dict[str, Any]]:
    """The log's rows, each checked against the pack: its target exists (an indicator with a
    diagnostic, a technology, a tier the model can decide), it was observed on or after the pack's
    start date, its grades are in the grading table, and its quote is found verbatim in its text."""
    rows = []
    texts: dict[str, str | None] = {}
    for ob in observations:
        label, kind, target = ob.id, ob.target_kind, ob.target
        ok = True
        if kind == "indicator":
            if target not in ctx.indicator_phase:
                problem(file, label, kind, target, "unknown indicator id")
                ok = False
            elif target not in ctx.diagnosed:
                problem(
                    file, label, kind, target,
                    "the indicator has no diagnostic in indicators.yaml (how likely it is seen in each phase)",
                )  # fmt: skip
                ok = False
        elif kind == "transferred" and target not in ctx.technologies:
            problem(file, label, kind, target, "unknown technology id")
            ok = False
        elif kind == "decided":
            status = ctx.tier_status.get(target)
            if status is None:
                problem(file, label, kind, target, "unknown response tier id")
                ok = False
            elif status == "ruled_out":
                problem(
                    file, label, kind, target,
                    "the tier is ruled_out in responses.yaml: the model cannot represent its decision",
                )  # fmt: skip
                ok = False
        if ob.observed < ctx.start:
            problem(
                file, label, "observed", str(ob.observed),
                f"before the pack's start date {ctx.start} (pack.yaml publication.date)",
            )  # fmt: skip
            ok = False
        trust = None
        if not ctx.has_grades:
            problem(file, label, "reliability", ob.reliability, f"the pack has no {ADMIRALTY_FILE}")
            ok = False
        else:
            rel = ctx.reliability.get(ob.reliability)
            cred = ctx.credibility.get(str(ob.credibility))
            if rel is None:
                problem(file, label, "reliability", ob.reliability, "grade not in admiralty.yaml")
            if cred is None:
                problem(file, label, "credibility", ob.credibility, "grade not in admiralty.yaml")
            trust = rel * cred if rel is not None and cred is not None else None
            ok = ok and trust is not None
        span = None
        if ob.text is not None:
            body = _read_text(ctx.root, ob.text, texts, file, label, problem)
            if body is None:
                ok = False
            elif ob.quote is not None:
                span = find_quote(body, ob.quote)
                if span is None:
                    problem(
                        file, label, "quote", ob.quote, quote_not_found(body, ob.quote, ob.text)
                    )
                    ok = False
        if ok:
            rows.append(
                ob.model_dump(exclude={"indicator", "transferred", "decided"})
                | {
                    "target_kind": kind,
                    "target": target,
                    "phase": ctx.indicator_phase.get(target) if kind == "indicator" else None,
                    "trust": trust,
                    "quote_start": span[0] if span else None,
                    "quote_end": span[1] if span else None,
                }
            )
    return rows


def _text_refused(root: Path, name: str) -> str | None:
    """Why the text `name` cannot be read as a source under the pack, or None."""
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or "\\" in name:
        return "a path relative to the pack, inside it (e.g. texts/x.txt)"
    path = root / rel
    try:
        inside = path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte
        inside = False
    if not inside:
        return "a link out of the pack: the text must be inside it"
    missing = not_a_file(path)
    if missing is not None:
        return f"text {missing} under the pack"
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        return f"longer than {MAX_TEXT_BYTES:,} bytes ({size:,})"
    return None


def _read_text(
    root: Path,
    name: str,
    cache: dict[str, str | None],
    file: str,
    label: str,
    problem: ProblemSink,
) -> str | None:
    """The text of a source article under the pack (a relative path that stays inside it, a
    symbolic link included, of at most MAX_TEXT_BYTES)."""
    if name in cache:
        return cache[name]
    cache[name] = None
    path = root / PurePosixPath(name)
    refused = _text_refused(root, name)
    if refused is not None:
        problem(file, label, "text", name, refused)
        return None
    try:
        body = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        problem(file, label, "text", name, f"not UTF-8 text ({exc.reason})")
        return None
    cache[name] = body
    return body


# -- a log read from a file (YAML or CSV) ------------------------------------------------------
def parse_log(data: bytes, name: str, problems: list[Problem]) -> list[r.Observation]:
    """The observation records of a log file's bytes (YAML `observations:` list, a bare YAML list,
    or CSV with a header row of the same field names); shape problems are appended to `problems`."""

    def problem(rec: str | None, fld: str | None, value: object, message: str) -> None:
        problems.append(Problem(name, rec, fld, value, message))

    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        problem(None, None, exc.reason, "not UTF-8 text")
        return []
    if name.lower().endswith(".csv"):
        items: list[Any] = []
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            # cells past the header's (csv puts them under None) are a row run together with the
            # next, or a shifted row: read without a word, they dropped a record (a bug hunt)
            surplus = [cell for cell in row.get(None) or () if cell.strip()]
            if surplus:
                problem(
                    f"line {reader.line_num}", None, ",".join(surplus),
                    f"{len(reader.fieldnames or ()) + len(row[None])} cells, the header has "
                    f"{len(reader.fieldnames or ())} (two rows run together?)",
                )  # fmt: skip
                continue
            items.append({k: v for k, v in row.items() if k is not None and v not in (None, "")})
    else:
        try:
            raw = load_yaml(text)  # bounded, and a key given twice is refused
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
            problem(where, None, getattr(exc, "problem", None) or str(exc), "malformed YAML")
            return []
        if isinstance(raw, dict):
            unknown = sorted(set(raw) - {"observations"})
            for key in unknown:
                problem(None, key, key, "unknown section (expected observations)")
            raw = raw.get("observations")
        if raw is None:
            return []
        if not isinstance(raw, list):
            problem(None, "observations", type(raw).__name__, "expected a list of observations")
            return []
        items = raw
    out: list[r.Observation] = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        label = (
            str(item["id"])
            if isinstance(item, dict) and isinstance(item.get("id"), str)
            else f"#{i}"
        )
        if not isinstance(item, dict):
            problem(label, None, item, "expected a mapping")
            continue
        try:
            rec = r.Observation.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"]) or None
                value = err.get("input")
                if isinstance(value, dict):
                    value = "(missing)" if err["type"] == "missing" else value
                elif isinstance(value, dt.date):
                    value = value.isoformat()  # as the log writes it, not a repr
                problem(label, loc, value, err["msg"].removeprefix("Value error, "))
            continue
        if rec.id in seen:
            problem(label, "id", rec.id, "duplicate id in observations")
        seen.add(rec.id)
        out.append(rec)
    return out


def check_reported_by(records: Sequence[r.Observation], name: str, problems: list[Problem]) -> None:
    """Append a problem for each record reported after today (anywhere on Earth: `toolkit.dates`):
    a report is logged once it is known, so a later date is a typo (2030 for 2024) that every as-of
    run would skip without a word until then (found in a bug hunt). Observed dates need no check of
    their own: a record is never observed after it was reported."""
    from toolkit.dates import after_today

    for rec in records:
        why = after_today(rec.reported)
        if why is not None:
            message = f"{why}: a report is logged once it is known"
            problems.append(Problem(name, rec.id, "reported", rec.reported.isoformat(), message))


def read_log(pack: Pack, path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The observation rows of the log file at `path` (YAML or CSV), checked against `pack` like the
    pack's own log; PackError with every problem otherwise."""
    path = Path(path)
    name = str(path)
    problems: list[Problem] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackError([Problem(name, None, None, name, exc.strerror or "cannot read")]) from None
    records = parse_log(data, name, problems)
    rows = check_log(pack, records, name, problems)
    if problems:
        raise PackError(problems)
    return rows


def check_log(
    pack: Pack, records: Sequence[r.Observation], name: str, problems: list[Problem]
) -> list[dict[str, Any]]:
    """`observation_rows` against a loaded pack, problems appended to `problems`."""

    def sink(file: str, rec: str | None, fld: str | None, value: object, message: str) -> None:
        problems.append(Problem(file, rec, fld, value, message))

    return observation_rows(records, LogContext.of(pack), name, sink)
