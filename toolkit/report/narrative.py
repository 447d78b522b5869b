"""Prose for reports: key findings in words, and tables that say where every number came from.

Functions return Markdown strings built with `toolkit.report.markdown` (pack text shows literally:
escaped for HTML and Markdown). `esc`, `percent`, `table` and `sourced` are re-exported here for the
notebooks, and so is the prose on claims (`toolkit.report.claims_text`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from toolkit.engine.result import SimulationResult, share_in_words
from toolkit.pack.load import Pack
from toolkit.pack.names import in_words, names
from toolkit.pack.units import whole_percents
from toolkit.report.claims_text import describe_claims, describe_words_vs_model  # noqa: F401
from toolkit.report.markdown import JUDGED, assumptions, esc, labels, percent, sourced, table

if TYPE_CHECKING:
    from toolkit.track.tracker import TrackResult


def describe_title(pack: Pack) -> str:
    """The report's heading and opening: the pack's title and summary (pack.yaml), and where every
    figure comes from."""
    meta = pack.meta
    return (  # esc writes a title with line breaks on one line: one heading
        f"# {esc(meta.title)}\n\n{esc(meta.summary)}\n\n"
        "Every figure below comes from the data pack (each row quotes the article verbatim or is "
        "marked as an analyst assumption) and the scenario engine run with the parameters listed at "
        "the end. The footer records the pack's content hash, every parameter, the seed and the "
        "software versions."
    )


# Each model section: its heading and opening without a pack's own words, and what the engine does
# (the same for every pack), which follows the pack's prose.
SECTIONS: dict[str, tuple[str, str, str]] = {
    "phases": (
        "Where the troops may go",
        "The deployment ladder's phases, in order, are in the table below, each with its source.",
        "Paths move between phases at monthly rates of a continuous-time chain, several moves a "
        "month if the rates allow; the rates are analyst assumptions and their bands are sampled "
        "per path.",
    ),
    "transfers": (
        "What may be given in return",
        "The technologies that may be transferred, by tier, are in the pack's technologies.yaml.",
        "Transfers are cumulative: once given, they stay given.",
    ),
    "responses": (
        "How the response may climb",
        "The response ladder's tiers, their triggers and their sources are in the table below.",
        "Each tier opens when its trigger holds, after a decision lag; it is then decided at the "
        "rate its political will gives, unless the path is one on which it is never decided.",
    ),
}


def describe_section(pack: Pack, section: Literal["phases", "transfers", "responses"]) -> str:
    """A model section's heading and opening: the pack's words (pack.yaml `report.sections`; else
    generic ones), then what the engine does with them."""
    heading, generic, engine = SECTIONS[section]
    own = pack.meta.report.sections.get(section)
    if own is not None:
        heading, generic = esc(own.heading), esc(own.text)
    return f"## {heading}\n\n{generic} {engine}"


def describe_findings(result: SimulationResult, pack: Pack, within: int | None = None) -> str:
    """The headline numbers of a run, in sentences (`within`: as `SimulationResult.summary` takes it).

    A phase or response tier that rests on an analyst assumption (the pack's `assumption`) is marked
    † and its reading follows the list, so no judgement reads as the article's."""
    s = result.summary(within)
    w = s["within"]
    never = result.never_decided()
    phase = labels(pack.phases)
    tier = labels(pack.tech_tiers)
    response = labels(pack.response_tiers)
    judged = (
        assumptions(pack.phases) | assumptions(pack.tech_tiers) | assumptions(pack.response_tiers)
    )
    words = names(pack)
    readings: dict[str, str] = {}

    def name(item: str, label: str) -> str:
        if item not in judged:
            return f"**{esc(label)}**"
        readings.setdefault(label, in_words(judged[item], words))
        return f"**{esc(label)}**{JUDGED}"

    lines = [
        f"Under the **{esc(result.scenario)}** scenario ({result.paths:,} simulated paths, "
        f"{result.months} months, seed {result.seed}), {describe_inputs(result, pack)}:",
        "",
    ]
    if result.model.start_reached is not None:  # an as-of run: month 0 is the as-of date
        lines += [
            "Months count from the as-of date; a phase the deployment went through between the "
            "pack's date and then counts as reached (the tracker's reading), as in the "
            "forecasts.",
            "",
        ]
    lines += [
        f"- {name(p['phase'], phase[p['phase']])} is reached within {w} months in "
        f"{percent(p['p_reached_within'])} of paths ({percent(p['p_reached_horizon'])} "
        f"within {result.months})."
        for p in s["phases"][1:]
    ]
    lines += [
        f"- At least one technology of the tier {name(t['tier'], tier[t['tier']])} is transferred within "
        f"{w} months in {percent(t['p_within'])} of paths."
        for t in s["transfers"]
    ]
    for r in s["responses"]:
        shown = name(r["tier"], response[r["tier"]])
        if r["status"] == "ruled_out":
            how = (
                "ruled out in the analyst's reading of the article"
                if r["tier"] in judged
                else "ruled out in the article"
            )
            lines.append(f"- {shown} is {how}; the engine never reaches it.")
            continue
        median = (
            f"median month {r['median_month']}"
            if r["median_month"] is not None
            else f"not reached by half the paths within {result.months} months"
        )
        if r["p_horizon"] <= 0:
            # no path decides it: the never-share is the assumption's, not this run's (found in
            # a bug hunt: "never decided on about a third of paths" where no path decided)
            where = (
                f" Where its trigger holds, it is {esc(never_words(never[r['tier']], words))}."
                if r["tier"] in never
                else ""
            )
            lines.append(
                f"- The response tier {shown} is decided on no path within {result.months} "
                f"months: no path meets its trigger early enough (the trigger, its lag or the "
                f"horizon may be why).{where}"
            )
            continue
        lines.append(
            f"- The response tier {shown} is decided within {w} months in "
            f"{percent(r['p_within'])} of paths ({median})"
            + (f"; {esc(never_words(never[r['tier']], words))}." if r["tier"] in never else ".")
        )
    if readings:
        lines += ["", f"{JUDGED} The analyst's reading, not the article's words:", ""]
        lines += [f"- **{esc(label)}**: {esc(text)}" for label, text in readings.items()]
    return "\n".join(lines)


def never_words(never: dict[str, Any], words: dict[str, str] | None = None) -> str:
    """ "never decided on about a third of paths (35 %; drawn per path from 0.15–0.55), by assumption
    (Lethal weapons, never decided)", from an entry of `SimulationResult.never_decided`; the
    parameter by its label in `words` (`toolkit.pack.names.names`), else by its id."""
    band = (
        f"; drawn per path from {_num(never['low'])}–{_num(never['high'])}"
        if never["sampled"]
        else ""
    )
    share = share_in_words(never["share"])
    if band and share.endswith(")"):
        share = share[:-1] + band + ")"
    elif band:
        share += f" ({band.removeprefix('; ')})"
    parameter = (words or {}).get(never["parameter"], never["parameter"])
    return f"never decided on {share}, by assumption ({parameter})"


def _value(v: object) -> str:
    """An override as given: a point, or a point with the band it is sampled from."""
    if isinstance(v, dict):
        band = f" sampled {_num(v['low'])}–{_num(v['high'])}" if "low" in v else ""
        return f"{_num(v['value'])}{band}"
    return _num(v) if isinstance(v, int | float) else str(v)


def describe_inputs(result: SimulationResult, pack: Pack) -> str:
    """What a run rests on beyond the pack, from `result.inputs`: every override (or none) and the
    start state, and whether that is the pack's. A clause: "with overrides **troops = 15,000**, ..."."""
    inputs = result.inputs
    overrides = inputs["overrides"]
    fixed = (
        "with overrides "
        + ", ".join(f"**{esc(k)} = {esc(_value(v))}**" for k, v in overrides.items())
        if overrides
        else "with **no overrides**"
    )
    phase = labels(pack.phases)
    start = inputs["start"]
    shown = whole_percents([float(v) for v in start.values()])  # adds up to 100 (a bug hunt)
    shares = ", ".join(
        f"{p} in “{esc(phase.get(k, k))}”" for k, p in zip(start, shown, strict=True)
    )
    pack_start = {
        str(k): float(v)
        for k, v in pack.start.select(pl.col("phase").cast(pl.String), "probability").iter_rows()
        if v > 0
    }
    same = pack_start.keys() == start.keys() and all(
        abs(pack_start[k] - start[k]) < 1e-9 for k in start
    )
    whose = "the pack's start state" if same else "a start state set for this run"
    return f"{fixed}, starting at month 0 from {shares} ({whose})"


def inputs_metadata(result: SimulationResult) -> dict[str, Any]:
    """Output metadata that carries `result.inputs` to the report's provenance footer:
    `display(..., metadata=inputs_metadata(result))`."""
    from toolkit.jupyter.provenance import RUN_INPUTS_KEY

    return {RUN_INPUTS_KEY: result.inputs}


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


def describe_assumptions(pack: Pack) -> str:
    """The pack's own assumptions: dates, phases and tiers the article does not state."""
    rows = [(a.id, a.text) for a in pack.meta.date_assumptions]
    assumed = pack.sources.filter(pl.col("kind") == "assumption")
    rows += [(f"{r['file']} [{r['record']}]", r["text"]) for r in assumed.iter_rows(named=True)]
    return table(["where", "assumption and rationale"], rows)


def _place(pack: Pack, entity: str | None) -> str:
    names = dict(pack.entities.select("id", "name").iter_rows())
    return str(names.get(entity, entity)) if entity else "not stated"


def describe_ladders(pack: Pack, result: SimulationResult | None = None) -> str:
    """The response ladder in order, with status, what triggers each tier, the share of paths on
    which it is never decided (from `result`'s parameters; the parameter's name without one) and its
    source: the quote and, beside it, the analyst's reading where the tier (its existence, trigger or
    status) rests on one."""
    nevers = result.never_decided() if result is not None else {}
    words = names(pack)
    triggers: dict[str, list[str]] = {}
    joins: dict[str, str] = {}
    for t in pack.triggers.iter_rows(named=True):
        said = str(t["kind"]).replace("_", " ")
        said += f" “{words.get(t['target'], t['target'])}”" if t["target"] else ""
        if t["location"]:
            said += f", located in {_place(pack, t['location'])}"
        triggers.setdefault(str(t["tier"]), []).append(said)
        joins[str(t["tier"])] = " or " if t["combinator"] == "any" else " and "
    rows = [
        (
            r["label"],
            r["status"].replace("_", " ")
            + (" (analyst's reading)" if r["status"] == "ruled_out" and r["assumption"] else ""),
            joins.get(str(r["id"]), "").join(triggers.get(str(r["id"]), ["—"])),
            _never_cell(r, nevers, words),
            sourced(r["evidence"], r["assumption"] and in_words(r["assumption"], words)),
        )
        for r in pack.response_tiers.iter_rows(named=True)
    ]
    header = ["response tier (lowest first)", "status", "trigger", "never decided", "source"]
    return table(header, rows)


def _never_cell(
    tier: dict[str, Any], nevers: dict[str, dict[str, Any]], words: dict[str, str]
) -> str:
    never = nevers.get(str(tier["id"]))
    if never is not None:
        return never_words(never, words).removeprefix("never decided on ")
    if tier["never"]:
        return f"share set by {words.get(tier['never'], tier['never'])} (assumption)"
    return "—"


def describe_phases(pack: Pack) -> str:
    """The deployment ladder in order: where each phase happens and its source, the quote with the
    analyst's reading beside it (e.g. combat split by location)."""
    words = names(pack)
    rows = [
        (
            r["label"],
            _place(pack, r["location"]),
            sourced(r["evidence"], r["assumption"] and in_words(r["assumption"], words)),
        )
        for r in pack.phases.iter_rows(named=True)
    ]
    return table(["deployment phase (ladder order)", "where", "source"], rows)


def describe_as_of(tracked: TrackResult, pack: Pack, as_of_given: bool) -> str:
    """What month 0 of the run is, and how many observations the assessment rests on (they are
    listed, with their log ids in the tracker chart's tooltips, in `describe_observations`)."""
    from toolkit.track.tracker import source_key

    phase = labels(pack.phases)
    used = tracked.observations_used
    top = max(tracked.phases, key=tracked.phases.__getitem__)
    rests = (
        f"it rests on {len(used)} observation(s) reported by then, from "
        f"{len({source_key(x) for x in tracked.evidence['source']})} source(s), listed in the "
        "section on what has "
        "been seen"
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


def _influence_cell(row: dict[str, object]) -> str:
    """An observation's influence, or why it has none of its own: a repeat of a report applied
    already, or one report with another observation of the same sentence, which carries it."""
    if row.get("repeats"):
        return f"— (repeats {row['repeats']})"
    if row.get("one_report"):
        return f"— (one report with {row['one_report']})"
    return f"{float(row['influence']):.3f}"  # type: ignore[arg-type]


def describe_observations(tracked: TrackResult, pack: Pack) -> str:
    """The observations used, each with its date, what it reports (in words), grade, source, quote
    and how much today's estimate owes to it; their log ids are in the tracker chart's tooltips."""
    ev = tracked.evidence
    if ev.height == 0:
        return (
            "No observation has been reported by this date. `toolkit observe` and `toolkit ingest` "
            "add to the pack's log (observations.yaml)."
        )
    words = names(pack)
    rows = [
        (
            str(r["applied"]),
            str(r["reported"]),
            f"{r['target_kind']} “{words.get(r['target'], r['target'])}”"
            + ("" if r["present"] else " (absent)"),
            f"{r['reliability']}{r['credibility']} ({r['trust'] * 100:.0f} %)",
            r["source"],
            r["quote"] or "",
            _influence_cell(r),
        )
        for r in ev.iter_rows(named=True)
    ]
    return table(
        ["applied", "reported", "reports", "grade (trust)", "source", "quote", "influence"],
        rows,
    )
