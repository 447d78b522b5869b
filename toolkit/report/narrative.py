"""Prose for reports: key findings in words, and tables that say where every number came from.

Functions return Markdown strings. Text that comes from a pack is escaped for HTML and for Markdown
(every character Markdown or its extensions could read as syntax becomes an entity), so pack text
shows literally: it can never inject markup, script, a link or an image into a report.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit.engine.result import SimulationResult
from toolkit.pack.load import Pack

if TYPE_CHECKING:
    from toolkit.track.tracker import TrackResult

# Markdown syntax (CommonMark, GFM tables and strikethrough, autolinked URLs and e-mail addresses,
# math) as numeric entities: rendered, they show the character itself.
_MARKDOWN_SYNTAX = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~:$@=^"})


def esc(value: object) -> str:
    """Pack text made literal in Markdown: HTML-escaped, Markdown syntax as entities, one line."""
    text = html.escape(str(value), quote=True).translate(_MARKDOWN_SYNTAX)
    return " ".join(text.split())


def percent(p: float | None) -> str:
    """A probability in words-friendly form: '23 %', '<1 %', '>99 %'."""
    if p is None:
        return "n/a"
    if 0 < p < 0.005:
        return "<1 %"
    if 0.995 < p < 1:
        return ">99 %"
    return f"{p * 100:.0f} %"


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; cells are escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _labels(frame: pl.DataFrame) -> dict[str, str]:
    return {
        str(k): str(v) for k, v in frame.select(pl.col("id").cast(pl.String), "label").iter_rows()
    }


def describe_findings(result: SimulationResult, pack: Pack, within: int | None = None) -> str:
    """The headline numbers of a run, in sentences (`within`: as `SimulationResult.summary` takes it)."""
    s = result.summary(within)
    w = s["within"]
    phase = _labels(pack.phases)
    tier = _labels(pack.tech_tiers)
    response = _labels(pack.response_tiers)
    lines = [
        f"Under the **{esc(result.scenario)}** assumptions ({result.paths:,} simulated paths, "
        f"{result.months} months, seed {result.seed}):",
        "",
    ]
    lines += [
        f"- **{esc(phase[p['phase']])}** is reached within {w} months in "
        f"{percent(p['p_reached_within'])} of paths ({percent(p['p_reached_horizon'])} "
        f"within {result.months})."
        for p in s["phases"][1:]
    ]
    lines += [
        f"- At least one technology of the tier **{esc(tier[t['tier']])}** is transferred within "
        f"{w} months in {percent(t['p_within'])} of paths."
        for t in s["transfers"]
    ]
    for r in s["responses"]:
        name = esc(response[r["tier"]])
        if r["status"] == "ruled_out":
            lines.append(f"- **{name}** is ruled out in the article; the engine never reaches it.")
            continue
        median = (
            f"median month {r['median_month']}"
            if r["median_month"] is not None
            else f"not reached by half the paths within {result.months} months"
        )
        lines.append(
            f"- The response tier **{name}** is decided within {w} months in "
            f"{percent(r['p_within'])} of paths ({median})."
        )
    return "\n".join(lines)


def describe_parameters(result: SimulationResult) -> str:
    """Every model parameter used: value or band, unit, and its source in full."""
    rows = []
    for p in result.parameters.iter_rows(named=True):
        band = (
            f"{_num(p['low'])}–{_num(p['high'])} ({p['distribution']})" if p["sampled"] else "point"
        )
        rows.append(
            (
                p["label"],
                _num(p["value"]),
                band,
                p["unit"],
                _source(p),
                p["origin"],
            )
        )
    return table(["parameter", "value", "band sampled per path", "unit", "source", "set by"], rows)


def _source(p: dict[str, Any]) -> str:
    if p["claim"]:
        how = " (band from the claim's estimative word)" if p["band_source"] == "claim" else ""
        note = f" {p['assumption']}" if p["assumption"] else ""
        return f"claim {p['claim']}{how}.{note}"
    return f"analyst assumption: {p['assumption']}"


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"


def describe_claims(pack: Pack) -> str:
    """Every claim with who says it, the estimative word, its ICD 203 placement and the quote."""
    names = dict(pack.entities.select("id", "name").iter_rows())
    rows = []
    for c in pack.claims.iter_rows(named=True):
        if c["phrase"] is None:
            placement = "flat assertion"
        elif c["vague"]:
            placement = f"vague; mapped to {c['band']} ({c['low']:g}–{c['high']:g})"
        else:
            placement = f"ICD 203: {c['band']} ({c['low']:g}–{c['high']:g})"
        rows.append(
            (
                c["id"],
                names.get(c["source"], c["source"]),
                c["phrase"] or "",
                placement,
                f"“{c['evidence']}”",
            )
        )
    return table(["claim", "who", "word", "placement", "quote (verbatim)"], rows)


def describe_assumptions(pack: Pack) -> str:
    """The pack's own assumptions: dates, phases and tiers the article does not state."""
    rows = [(a.id, a.text) for a in pack.meta.date_assumptions]
    assumed = pack.sources.filter(pl.col("kind") == "assumption")
    rows += [(f"{r['file']} [{r['record']}]", r["text"]) for r in assumed.iter_rows(named=True)]
    return table(["where", "assumption and rationale"], rows)


def describe_ladders(pack: Pack) -> str:
    """The response ladder in order, with status and what triggers each tier."""
    triggers: dict[str, list[str]] = {}
    for t in pack.triggers.iter_rows(named=True):
        words = t["kind"].replace("_", " ") + (f" {t['target']}" if t["target"] else "")
        triggers.setdefault(str(t["tier"]), []).append(f"{words} ({t['combinator']})")
    rows = [
        (
            r["label"],
            r["status"].replace("_", " "),
            "; ".join(triggers.get(str(r["id"]), ["—"])),
            f"“{r['evidence']}”" if r["evidence"] else f"assumption: {r['assumption']}",
        )
        for r in pack.response_tiers.iter_rows(named=True)
    ]
    return table(["response tier (lowest first)", "status", "trigger", "source"], rows)


def describe_as_of(tracked: TrackResult, pack: Pack, as_of_given: bool) -> str:
    """What month 0 of the run is, and which observations the assessment rests on."""
    phase = _labels(pack.phases)
    used = tracked.observations_used
    top = max(tracked.phases, key=tracked.phases.__getitem__)
    rests = (
        f"it rests on {len(used)} observation(s) reported by then: "
        + ", ".join(esc(i) for i in used)
        if used
        else "no observation had been reported by then, so it is the pack's start state moved "
        "along the deployment chain"
    )
    if as_of_given:
        head = (
            f"**As of {tracked.as_of:%d %B %Y}.** Month 0 of the run below is that date: the paths "
            f"start from the tracker's posterior over deployment phases, and {rests}."
        )
    else:
        head = (
            f"Month 0 of the run below is the article's date ({tracked.start:%d %B %Y}). The "
            f"tracker's assessment as of {tracked.as_of:%d %B %Y} is in the section on what has "
            f"been seen; {rests}."
        )
    return (
        f"{head} Most likely phase then: **{esc(phase.get(top, top))}** "
        f"({percent(tracked.phases[top])})."
    )


def describe_observations(tracked: TrackResult, pack: Pack) -> str:
    """The observations used, each with its date, what it reports, grade, source, quote and how much
    today's estimate owes to it."""
    ev = tracked.evidence
    if ev.height == 0:
        return (
            "No observation has been reported by this date. `toolkit observe` and `toolkit ingest` "
            "add to the pack's log (observations.yaml)."
        )
    rows = [
        (
            r["id"],
            str(r["applied"]),
            str(r["reported"]),
            f"{r['target_kind']} {r['target']}" + ("" if r["present"] else " (absent)"),
            f"{r['reliability']}{r['credibility']} ({r['trust'] * 100:.0f} %)",
            r["source"],
            r["quote"] or "",
            f"{r['influence']:.3f}",
        )
        for r in ev.iter_rows(named=True)
    ]
    return table(
        ["id", "applied", "reported", "reports", "grade (trust)", "source", "quote", "influence"],
        rows,
    )
