"""`toolkit ingest`: propose observations from a new article, for the analyst to review.

The article is stored under the pack (`texts/`), split into sentences, and searched for the pack's
indicator cue phrases (`cues` in indicators.yaml) and technology names (with the words of their
`evidence` quote). Each hit becomes a proposed observation whose `quote` is the sentence, verbatim, and
whose note says what was found: the cue, the entities mentioned (their aliases), estimative words
(estimative.yaml: "may", "likely" mean a possibility, not a sighting) and negations (the report may be
of an absence). Dates in the sentence ("5 November 2024", "November 5", 2024-11-05, the day of a
timestamp 2024-11-05T10:00Z) give `observed`; without one, the reported date with week precision.
A dateline ("WASHINGTON, Dec. 2, 2024 — ..." opening the article or a paragraph) dates the report,
not the event: its date is no sentence's `observed`, and it is the reported date when none is given.
Web-page residue is not read: the pack's `residue_marker` (pack.yaml) strips it from a new article as
from the pack's own article (the last line that starts with it and all after it); the stored copy
stays byte-exact.
Grades default to F6 ("cannot be judged") until the analyst sets them.

The proposals are written to a draft file; nothing enters the log until `--accept ID` (once per
id, or the ids joined by commas) appends the chosen ones (validated like `toolkit observe`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from toolkit.dates import after_today
from toolkit.errors import ToolkitError
from toolkit.files import hold_folders, not_a_file, write_atomic
from toolkit.pack.observations import TEXTS_DIR
from toolkit.pack.safe_yaml import load_yaml
from toolkit.pack.text import contains_word, find_mentions, split_residue, split_sentences
from toolkit.track.log import (
    append_observations,
    holding_log,
    new_id,
    stored_name,
    stored_text,
)

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

DRAFTS_DIR: Final = "drafts"
WEEK_BEFORE: Final = 6  # a proposal with no date: observed in the week up to its reported date
NEGATIONS: Final = ("no", "not", "never", "denied", "denies", "deny", "without", "nor")
# a contraction ending in n't ("didn't", "haven’t") is a negation too
# How to accept proposals, as the hint and the draft's header write it: click options take one
# value each, so several ids are several --accept options (or one comma-separated list).
ACCEPT_USAGE = "--accept ID [--accept ID ...]  (or --accept ID,ID,...)"

_CONTRACTED_NEGATION = re.compile(r"\b\w+n[’']t\b", re.IGNORECASE)
# words that make a sentence a possibility or an expectation rather than a sighting, beside the
# pack's estimative phrases (estimative.yaml)
HEDGES: Final = (
    "expect", "expects", "expected", "could", "might", "would", "reportedly", "allegedly",
    "plans to", "planned", "planning to", "considering", "possible", "possibly",
)  # fmt: skip
# "Nov. 4": abbreviated months end no sentence and name a month
MONTH_ABBREVIATIONS: Final = (
    "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip
_MONTH_NAMES: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
# a month's name, or its first three letters ("sept" too), lower case -> its number
MONTHS: Final = {
    **{m: i for i, m in enumerate(_MONTH_NAMES, start=1)},
    **{m[:3]: i for i, m in enumerate(_MONTH_NAMES, start=1)},
    "sept": 9,
}
_MONTH = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
# An ISO date, alone or as the date part of a timestamp ("2024-11-05T10:00Z",
# "2024-11-05T10:00:00+00:00": the day as written, its time and zone not read)
_ISO_TIME: Final = r"(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_DATES: Final = (
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})" + _ISO_TIME + r"\b"),
    re.compile(r"\b(\d{1,2}) " + _MONTH + r"(?:,? (\d{4}))?\b"),
    re.compile(r"\b" + _MONTH + r" (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?\b"),
)
# A dateline opens the article or a paragraph: the place in capitals (an agency in brackets and a
# region may follow), a date, perhaps an agency in brackets, and a dash ("WASHINGTON, Dec. 2, 2024 — ",
# "KYIV, Ukraine, 18 November (AP) —", "WASHINGTON (Reuters), Dec. 2—", "WASHINGTON, D.C., Dec. 2 -
# "). Its date is when the report was filed, not when the event happened. The story opens after
# the dash with a capital, a digit or a quote (or the paragraph ends there): a headline such as
# "UKRAINE-RUSSIA WAR, 5 November - live updates" is no dateline.
_DATELINE: Final = re.compile(
    r"[A-Z][A-Z.'’ -]*[A-Z.](?:\s*\([^)\n]*\))?(?:, [A-Z][A-Za-z.]+(?:[ -][A-Z][A-Za-z.]+)*)?, "
    r"(?P<date>[^—–\n]{3,40}?)\s*(?:\([^)\n]*\)\s*)?(?:[—–]|-{1,2}(?=\s))\s*"
    r"(?=[A-Z0-9\"“‘'«(\[]|$)"
)


def dateline(text: str, reported: dt.date) -> tuple[int, dt.date] | None:
    """The dateline that opens `text` (a paragraph or its first sentence), as the offset where it
    ends and its date (a day and month without a year read as `_dates_in` reads them, against
    `reported`); None if `text` opens with no dateline, or its date is not a date."""
    m = _DATELINE.match(text)
    if m is None:
        return None
    for pattern in _DATES:
        written = pattern.fullmatch(m.group("date"))
        if written is not None:
            day = _date_of(pattern, written, reported)
            return None if day is None else (m.end(), day)
    return None


# Dates written relative to the report: a weekday is the last such day on or before the reported
# date (news style: "said on Monday"), "yesterday" the day before it, "today" that day.
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A weekday counts after "on", "last", "since", "late" or "early", or straight after a verb in the
# past tense, as wire copy writes it ("officials said Monday", "troops arrived Tuesday"; a word
# ending in -ed, or a common irregular one); "The Sunday Times" or "a Sunday newspaper" is no date.
# "last Monday" or "since Monday" on a Monday is the week before ("on Monday" on a Monday is that day).
_PAST_VERB: Final = (
    r"\w+ed|said|told|met|began|left|struck|fought|saw|hit|came|went|wrote|held|sent|spoke|fled"
    r"|took|gave|made|shot|lost|won|fell|flew|drove|ran|set|put|brought|caught"
)
_RELATIVE: Final = re.compile(
    r"\b(?:[Oo]n|[Ll]ast|[Ss]ince|[Ll]ate|[Ee]arly|(?:"
    + _PAST_VERB
    + r")) ("
    + "|".join(_WEEKDAYS)
    + r")\b"
    r"|\b([Yy]esterday|[Tt]oday|[Tt]his morning)\b"
)


# What is to come ("talks will be held on Friday") names no past day: a weekday with such a word
# among the few words before it is not read as a date.
_FUTURE: Final = re.compile(
    r"\b(?:will|shall|scheduled|expected|due|to be)\b[^.;]{0,30}$", re.IGNORECASE
)


def relative_words(sentence: str) -> list[re.Match[str]]:
    """The weekdays, "yesterday" and "today" of `sentence` read as dates: a weekday just after a word
    of the future ("will", "scheduled", "due", ...; within about 30 characters, the word before the
    weekday included) is left out."""
    return [
        m
        for m in _RELATIVE.finditer(sentence)
        if m.group(1) is None or not _FUTURE.search(sentence[: m.start(1)])
    ]


def _relative_day(match: re.Match[str], reported: dt.date) -> dt.date:
    weekday, word = match.groups()
    if weekday is not None:
        back = (reported.weekday() - _WEEKDAYS.index(weekday)) % 7
        if back == 0 and match.group(0).split()[0].lower() in ("last", "since"):  # not "lasted"
            back = 7
        return reported - dt.timedelta(days=back)
    return reported - dt.timedelta(days=1 if word.lower() == "yesterday" else 0)


@dataclass(frozen=True)
class Draft:
    """Proposed observations from one article, and where the draft is written."""

    text: str  # the article's path under the pack
    path: Path
    proposals: list[dict[str, Any]]
    notes: tuple[str, ...] = ()  # what the draft did to the whole article (its header says so too)


def draft_path(pack: Pack, article: str | Path) -> Path:
    """Where the draft of `article` goes: drafts/NAME.yaml, NAME the article's stored path in the
    pack (`toolkit.track.log.stored_name`) without `texts/`, `/` as `__`: one draft per stored
    text, so two articles of one file name (stored apart), or `x.txt` and `x.md`, never share one."""
    stored = stored_name(pack, article)
    name = stored.removeprefix(f"{TEXTS_DIR}/").replace("/", "__")
    return pack.path / DRAFTS_DIR / f"{name}.yaml"


def propose(
    pack: Pack,
    article: str | Path,
    *,
    source: str | None = None,
    reliability: str = "F",
    credibility: int = 6,
    reported: dt.date | None = None,
) -> Draft:
    """Store `article` under the pack and write a draft of proposed observations from it."""
    start = pack.meta.publication.date
    if reported is not None and reported < start:
        raise ToolkitError(f"--reported {reported} is before the pack's start date {start}")
    if reported is not None and (late := after_today(reported)) is not None:  # as `observe` does
        raise ToolkitError(f"--reported {reported} is {late}")
    with hold_folders(pack.path), stored_text(pack, article, "ARTICLE") as text:
        marker = pack.meta.residue_marker
        # a BOM (Notepad's "UTF-8") is no text: left in, it hid the dateline and opened a quote
        written = (pack.path / text).read_text(encoding="utf-8").removeprefix("\ufeff")
        body, residue = split_residue(written, marker)
        notes: list[str] = []
        if residue:
            notes.append(
                f"web-page residue not read: from the line starting {marker!r} on (the pack's "
                "residue_marker, as in the pack's own article)"
            )
        if reported is None:
            reported = _dateline_date(body)
            if reported is not None:
                notes.append(f"reported {reported}, the article's dateline (no --reported given)")
                if reported < start:
                    raise ToolkitError(
                        f"the article's dateline date {reported} is before the pack's start date "
                        f"{start}: give --reported"
                    )
                if (late := after_today(reported)) is not None:
                    raise ToolkitError(
                        f"the article's dateline date {reported} is {late}: give --reported"
                    )
            else:
                reported = dt.date.today()
        proposals = _proposals(
            pack, body, text, source or f"article {Path(article).name}", reliability, credibility,
            reported,
        )  # fmt: skip
        path = draft_path(pack, article)
        write_atomic(path, _draft_yaml(text, proposals, reported, notes).encode("utf-8"))
    return Draft(text=text, path=path, proposals=proposals, notes=tuple(notes))


def accept(
    pack: Pack,
    article: str | Path,
    ids: Sequence[str],
    log: str | Path | None = None,
    *,
    grades: Mapping[str, Any] | None = None,
) -> list[str]:
    """Append the draft's proposals `ids` to the log (all or none); the ids appended. `grades`
    (`source`, `reliability`, `credibility`, `reported`, as given on the command line) replace the
    draft's values of those fields in every accepted proposal."""
    path = draft_path(pack, article)
    missing = not_a_file(path)
    if missing == "file not found":
        raise ToolkitError(f"no draft at {str(path)!r}: run `toolkit ingest {article}` first")
    if missing is not None:
        raise ToolkitError(f"draft {str(path)!r} {missing}")
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" [line {mark.line + 1}, column {mark.column + 1}]" if mark else ""
        reason = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "cannot be read"
        raise ToolkitError(f"draft {str(path)!r}{where}: malformed YAML ({reason})") from None
    if not isinstance(data, dict):
        raise ToolkitError(f"draft {str(path)!r}: expected `text:` and `proposals:`")
    listed = data.get("proposals") or []
    if not isinstance(listed, list):
        raise ToolkitError(f"draft {str(path)!r}: `proposals` is not a list")
    own = stored_name(pack, article)
    if data.get("text") not in (None, own):
        raise ToolkitError(
            f"draft {str(path)!r} was made from {data.get('text')!r}, not from {own!r}: "
            f"run `toolkit ingest {article}` again"
        )
    proposals = {p.get("id"): p for p in listed if isinstance(p, dict)}
    unknown = [i for i in ids if i not in proposals]
    if unknown:
        raise ToolkitError(
            f"--accept {', '.join(unknown)}: not in the draft {str(path)!r} "
            f"(proposals: {', '.join(map(str, proposals)) or 'none'})"
        )
    given = {k: v for k, v in (grades or {}).items() if v is not None}
    drafted = data.get("reported")
    drafted = drafted if isinstance(drafted, dt.date) else None
    with holding_log(pack, log):
        append_observations(
            pack,
            [_regraded(proposals[i], given, drafted, pack.meta.publication.date) for i in ids],
            log,
        )
    return list(ids)


def _regraded(
    proposal: dict[str, Any], given: Mapping[str, Any], drafted: dt.date | None, start: dt.date
) -> dict[str, Any]:
    """A proposal with the fields given on the command line. A new `reported` date also moves the
    `observed` date the draft derived from its own reported date (the week before it, or a weekday,
    "yesterday" or "today" in the sentence), unless the analyst changed it in the draft."""
    out = {**proposal, **given}
    reported = given.get("reported")
    quote = proposal.get("quote")
    if not isinstance(reported, dt.date) or drafted is None or not isinstance(quote, str):
        return out
    derived = observed_from(quote, drafted, start)
    if (proposal.get("observed"), proposal.get("precision")) == derived:
        out["observed"], out["precision"] = observed_from(quote, reported, start)
    return out


def _proposals(
    pack: Pack,
    body: str,
    text: str,
    source: str,
    reliability: str,
    credibility: int,
    reported: dt.date,
) -> list[dict[str, Any]]:
    sentences = split_sentences(body, [*pack.meta.abbreviations, *MONTH_ABBREVIATIONS])
    aliases = dict(zip(pack.aliases["alias"], pack.aliases["entity"], strict=True))
    names = dict(zip(pack.entities["id"], pack.entities["name"], strict=True))
    hedges = [*dict.fromkeys([*(str(p) for p in pack.phrases["phrase"]), *HEDGES])]
    mentions = find_mentions(body, aliases, sentences)
    start = pack.meta.publication.date
    targets: list[tuple[str, str, list[str]]] = [
        ("indicator", str(i), list(c))
        for i, c in zip(pack.indicators["id"], pack.indicators["cues"], strict=True)
        if len(c)
    ]
    diagnosed = set(pack.diagnostics["indicator"].to_list())
    targets = [t for t in targets if t[1] in diagnosed]
    for row in pack.technologies.select("id", "name", "evidence").iter_rows(named=True):
        cues = _cues(row["name"]) + ([row["evidence"]] if row["evidence"] else [])
        targets.append(("transferred", str(row["id"]), cues))
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for kind, target, cues in targets:
        found = []
        for sentence in sentences:
            hit = next((c for c in cues if contains_word(sentence.text, c)), None)
            if hit is None:
                continue
            estimative = [p for p in hedges if contains_word(sentence.text, p)]
            negated = [w for w in NEGATIONS if contains_word(sentence.text, w)]
            negated += _CONTRACTED_NEGATION.findall(sentence.text)
            found.append((sentence, hit, estimative, negated))
        if not found:
            continue
        # one proposal per target: the first plain statement that names it, else the first mention
        sentence, hit, estimative, negated = next(
            (f for f in found if not f[2] and not f[3]), found[0]
        )
        who = sorted(
            {names[m.entity] for m in mentions if m.sentence == sentence.id}, key=str.lower
        )
        dates = _dates_in(sentence.text, reported)
        opening = dateline(sentence.text, reported)
        in_window = list(dict.fromkeys(d for d in dates if start <= d <= reported))
        observed, precision = observed_from(sentence.text, reported, start)
        note = [f"proposed by toolkit ingest from {text}: cue {hit!r} in sentence {sentence.id}"]
        if who:
            note.append("mentions " + ", ".join(who))
        if estimative:
            note.append(
                "estimative words " + ", ".join(estimative) + " (a possibility, not a sighting?)"
            )
        if negated:
            # "no sign of training", "didn't take part in combat": a report of absence, not a
            # sighting (proposed as present and accepted as one, it moved the tracker the wrong way)
            note.append(
                "negation "
                + ", ".join(negated)
                + ": proposed as reported absent (present: false); "
                "check it (a negation may bear on another part of the sentence)"
            )
        if opening is not None:
            note.append(
                f"dateline date {opening[1]} is the report's date, not the event's: not read as "
                "observed"
            )
        if len(in_window) > 1:
            note.append("dates " + ", ".join(map(str, in_window)) + ": observed is the earliest")
        elif dates and not in_window:
            note.append(
                "date " + ", ".join(map(str, dates)) + " outside the article's date to the "
                "reported date: observed is the week up to the reported date"
            )
        elif not dates:
            note.append(
                f"no date in the sentence{' beyond its dateline' if opening else ''}: observed is "
                "the week up to the reported date"
            )
        relative = [m.group(0) for m in relative_words(sentence.text)]
        if relative and in_window:
            note.append(
                ", ".join(f"{w!r}" for w in relative) + " read against the reported date (a "
                "weekday as the last one on or before it, after 'last' or 'since' the last one "
                "before it); check it"
            )
        oid = new_id(pack, f"o_{Path(text).stem}_{target}")
        while oid in used:
            oid = new_id(pack, f"{oid}_x")
        used.add(oid)
        out.append(
            {
                "id": oid,
                "observed": observed,
                "precision": precision,
                "reported": reported,
                kind: target,
                "present": not negated,
                "source": source,
                "reliability": reliability,
                "credibility": credibility,
                "quote": sentence.text,
                "text": text,
                "note": "; ".join(note),
            }
        )
    return out


def observed_from(sentence: str, reported: dt.date, start: dt.date) -> tuple[dt.date, str]:
    """A proposal's `observed` date and precision: the earliest date the sentence writes between the
    pack's date and `reported` (day precision), else the week up to `reported`; never before the
    pack's date."""
    in_window = [d for d in _dates_in(sentence, reported) if start <= d <= reported]
    if in_window:
        return min(in_window), "day"
    return max(reported - dt.timedelta(days=WEEK_BEFORE), start), "week"


GENERIC_ENDINGS: Final = ("capabilities", "capability", "systems", "system")


def _cues(name: str) -> list[str]:
    """A technology's name as cues: "Satellite technology" -> itself; "Air defence capabilities
    (…)" -> "Air defence capabilities", "Air defence", "Air-defence" (a generic last word dropped,
    and the words hyphenated as a compound)."""
    short = name.split(" (", 1)[0]
    words = short.split()
    if len(words) > 1 and words[-1].lower() in GENERIC_ENDINGS:
        words = words[:-1]
    core = " ".join(words)
    return list(dict.fromkeys([short, core, "-".join(words)]))


def _dateline_date(body: str) -> dt.date | None:
    """The date of the article's first dateline (opening the article or a paragraph) that gives
    its year: a dateline without one ("KYIV, 18 November —") says nothing of an archived report's
    year, so it dates nothing."""
    today = dt.date.today()
    for paragraph in body.split("\n"):
        text = paragraph.strip()
        opening = _DATELINE.match(text)
        if opening is not None and re.search(r"\d{4}", opening["date"]):
            found = dateline(text, today)
            if found is not None:
                return found[1]
    return None


def _dates_in(sentence: str, reported: dt.date) -> list[dt.date]:
    """Every date written in the sentence, in order (a day and month without a year take the
    reported date's year, or the year before if that would be after the report; a weekday,
    "yesterday" or "today" is read against the reported date, `_RELATIVE`; "in May 12 soldiers"
    is a month and a count, `_month_then_count`). Of two readings
    of overlapping words ("20 November 12 soldiers": "20 November", "November 12") the one that
    starts first is kept. A dateline opening the sentence (`dateline`) dates the report, not
    what the sentence tells: its date is left out."""
    opening = dateline(sentence, reported)
    if opening is not None:
        sentence = sentence[opening[0] :]
    found: list[tuple[int, int, dt.date]] = []
    for pattern in _DATES:
        for m in pattern.finditer(sentence):
            if _month_then_count(pattern, m, sentence):
                continue
            day_found = _date_of(pattern, m, reported)
            if day_found is not None:
                found.append((m.start(), m.end(), day_found))
    found += [(m.start(), m.end(), _relative_day(m, reported)) for m in relative_words(sentence)]
    kept: list[tuple[int, int, dt.date]] = []
    for start, end, day_found in sorted(found, key=lambda f: (f[0], -f[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, day_found))
    return [day_found for _, _, day_found in kept]


_IN_BEFORE: Final = re.compile(r"\b[Ii]n\s+$")


def _month_then_count(pattern: re.Pattern[str], m: re.Match[str], sentence: str) -> bool:
    """ "in May 12 soldiers were killed": after "in", a month then a number without a year is a month
    and a count, not a day ("on May 12" and "in May 12, 2024" are days)."""
    return (
        pattern is _DATES[2]
        and m.group(3) is None
        and _IN_BEFORE.search(sentence[: m.start()]) is not None
    )


def _date_of(pattern: re.Pattern[str], m: re.Match[str], reported: dt.date) -> dt.date | None:
    """The date `m`, a match of `pattern` (one of `_DATES`), writes; None for 31 February and the
    like."""
    groups = m.groups()
    try:
        if pattern is _DATES[0]:
            return dt.date(*(int(g) for g in groups))
        if pattern is _DATES[1]:
            day, month, year = int(groups[0]), _month(groups[1]), groups[2]
        else:
            month, day, year = _month(groups[0]), int(groups[1]), groups[2]
        if year is not None:
            return dt.date(int(year), month, day)
        found = dt.date(reported.year, month, day)
        return found if found <= reported else dt.date(reported.year - 1, month, day)
    except ValueError:
        return None


def _month(name: str) -> int:
    return MONTHS[name.lower().rstrip(".")]


class _PlainDumper(yaml.SafeDumper):
    """Writes every value in full: the proposals share one `reported` date object, which the safe
    dumper would write once with an anchor (`&id001`) and alias elsewhere, so that editing it in
    one proposal would change them all."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _draft_yaml(
    text: str, proposals: list[dict[str, Any]], reported: dt.date, notes: Sequence[str] = ()
) -> str:
    head = (
        f"# DRAFT: observations proposed by `toolkit ingest` from {text} (reported {reported}).\n"
        "# Nothing here is in the observation log. Review each proposal: keep the quote verbatim, set\n"
        "# reliability and credibility (F6 until reviewed), `present: false` for a reported absence,\n"
        "# the right `observed` date; then append the ones you accept with\n"
        f"#   toolkit ingest ARTICLE {ACCEPT_USAGE}\n"
    ) + "".join(f"# Note: {n}.\n" for n in notes)
    body = yaml.dump(
        {"text": text, "reported": reported, "proposals": proposals},
        Dumper=_PlainDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return head + body


def describe_draft(draft: Draft) -> str:
    """One line per proposal, for the command line."""
    lines = [f"{len(draft.proposals)} proposal(s) from {draft.text}, written to {draft.path}:"]
    lines[1:1] = [f"  note: {n}" for n in draft.notes]
    for p in draft.proposals:
        kind = next(k for k in ("indicator", "transferred", "decided") if k in p)
        lines.append(
            f"  {p['id']}: {kind} {p[kind]} on {p['observed']} - \u201c{_cut(p['quote'])}\u201d"
        )
    if draft.proposals:
        lines.append(f"Review the draft, then: toolkit ingest ARTICLE {ACCEPT_USAGE}")
    return "\n".join(lines)


def _cut(text: str, n: int = 90) -> str:
    """The start of a sentence of the article, to print: a new article is untrusted text, so a
    control character in it (an escape sequence would retitle the terminal or write its clipboard)
    is shown as an escape, not sent to the terminal."""
    if not text.isprintable():
        text = "".join(
            repr(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
            for c in text
        )
    return text if len(text) <= n else text[: n - 1] + "\u2026"
