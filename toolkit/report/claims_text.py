"""Report prose about the article's claims: each claim's estimative word on the ICD 203 yardstick
(`describe_claims`) and the words beside the model's probabilities (`describe_words_vs_model`).
Claims are shown by who said what; their ids are in the report's appendix. Re-exported by
`toolkit.report.narrative`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from toolkit.engine.result import SimulationResult
from toolkit.pack.load import Pack
from toolkit.pack.names import in_words, names
from toolkit.report.markdown import esc, labels, percent, table

_EVENT_WORDS = {
    "reached": ("phases", "reached"),
    "transferred": ("technologies", "transferred"),
    "tier_transferred": ("tech_tiers", "transferred (any technology of the tier)"),
    "decided": ("response_tiers", "decided"),
}
_VERDICT_WORDS = {
    "within": "within the band",
    "below": "⚠ model below the speaker's band",
    "above": "⚠ model above the speaker's band",
    "past the run": "not compared: past this run's horizon",
}


def describe_words_vs_model(
    pack: Pack, result: SimulationResult, month0: dt.date | None = None
) -> str:
    """Each claim that names a modelled event: the speaker's estimative word and band beside the
    model's probability of that event (`toolkit.engine.analysis.compare_claims`), flagged where the
    model leaves the band; the mapping from words to event is the analyst's and is shown with it.

    `month0` is the date `result` starts on when that is not the pack's date (a report as of a later
    date). A claim's window runs from the pack's date, when it was said, so such a report compares
    the claims with a run from the pack's date (`run_for_claims`) and says so: its own run's "within
    12 months" would be a later, longer window (found in a bug hunt: false flags from the date
    alone). Only compared claims are counted; the others are named with the reason."""
    from toolkit.engine.analysis import compare_claims, run_for_claims

    said_on = pack.meta.publication.date
    from_pack_date = month0 is None or month0 == said_on
    run = run_for_claims(pack, result, from_pack_date)
    compared = compare_claims(pack, run)
    if compared.is_empty():
        return "No claim in the pack names a modelled event (claims.yaml `event`)."
    who = dict(pack.entities.select("id", "name").iter_rows())
    said = dict(pack.claims.select("id", "statement").iter_rows())
    in_text = names(pack)
    bands = labels(pack.yardstick)
    words_of: dict[str, dict[str, str]] = {}
    for frame in ("phases", "technologies", "tech_tiers", "response_tiers"):
        rows = pack.frames[frame]
        words = rows["label"] if "label" in rows.columns else rows["name"]
        words_of[frame] = dict(zip(rows["id"].cast(pl.String), words, strict=True))
    out_rows = []
    for c in compared.iter_rows(named=True):
        frame, verb = _EVENT_WORDS[c["event_kind"]]
        target = words_of[frame].get(c["event_target"], c["event_target"])
        band = bands.get(c["band"], c["band"]) if c["band"] else "no band"
        out_rows.append(
            (
                f"{who.get(c['source'], c['source'])}: {said.get(c['claim'], '')}",
                f"“{c['phrase']}”: {band}, {c['low'] * 100:.0f}–{c['high'] * 100:.0f} %",
                f"“{target}” {verb} within {c['within']} months of {said_on:%d %b %Y}",
                "" if c["probability"] is None else percent(c["probability"]),
                _VERDICT_WORDS[c["verdict"]],
                in_words(c["assumption"], in_text),
            )
        )
    header = [
        "who said what",
        "the speaker's word and band",
        "modelled event (the claim's window, from the day it was said)",
        "model",
        "words vs model",
        "analyst's reading of the words as the event",
    ]
    lead = _count_flags(compared, who, run)
    if month0 is not None and not from_pack_date:
        lead = _pack_date_run(run, said_on, month0) + " " + lead
    return lead + "\n\n" + table(header, out_rows)


def _speakers(rows: pl.DataFrame, who: dict[str, str], window: bool = False) -> str:
    """The claims of `rows` as “phrase”, speaker (and the window), separated by semicolons."""
    return "; ".join(
        f"“{esc(c['phrase'])}”, {esc(who.get(c['source'], c['source']))}"
        + (f", within {c['within']} months" if window else "")
        for c in rows.iter_rows(named=True)
    )


def _count_flags(compared: pl.DataFrame, who: dict[str, str], run: SimulationResult) -> str:
    """How many compared claims the model leaves the band of, which; the claims not compared and why
    (found in a bug hunt: "0 of 7" when none of the 7 was compared read as agreement)."""
    from toolkit.engine.analysis import ABOVE_BAND, BELOW_BAND, PAST_RUN

    done = compared.filter(pl.col("verdict") != PAST_RUN)
    outside = done.filter(pl.col("verdict").is_in([BELOW_BAND, ABOVE_BAND]))
    n, k = done.height, outside.height
    if n:
        text = (
            f"The model leaves the speaker's band for **{k} of {n}** compared claims that name a "
            "modelled event" + (f" ({_speakers(outside, who)})" if k else "") + "."
        )
    else:
        text = f"**None of the {compared.height}** claims that name a modelled event is compared."
    past = compared.filter(pl.col("verdict") == PAST_RUN)
    if past.height:
        text += (
            f" Not compared ({past.height}): {_speakers(past, who, window=True)}: "
            + (
                "the window runs past this run's {m}-month horizon, so the run has no figure for it"
                if past.height == 1
                else "their windows run past this run's {m}-month horizon, so the run has no "
                "figure for them"
            ).format(m=run.months)
            + " (a longer horizon, `months`, gives one)."
        )
    se = 50 / run.paths**0.5
    return text + (
        " The band is the estimative word's modelling range (estimative.yaml); the model's figure "
        f"is the share of this run's {run.paths:,} paths (Monte Carlo standard error at most "
        f"{se:.1f} points); which event and horizon stand for the words is the analyst's reading, "
        "given in the last column."
    )


def _pack_date_run(run: SimulationResult, said_on: dt.date, month0: dt.date) -> str:
    """Why a report as of a later date sets the claims beside a run from the pack's date."""
    overrides = "this report's overrides" if run.overrides else "no overrides"
    return (
        f"The claims were made on {said_on:%d %B %Y} (the pack's date) and each is read over a "
        f"window from that day, so the model's figures here come from a run from {said_on:%d %B %Y} "
        f"(scenario “{esc(run.scenario)}”, {overrides}, {run.paths:,} paths, seed {run.seed}), "
        "without the observations reported since: they test the model against the words it was "
        f"built from. This report's own run starts on {month0:%d %B %Y}, and its “within N months” "
        "counts from then, a later window than the speakers'; what has been seen since is in the "
        "section on what has been seen."
    )


def describe_claims(pack: Pack) -> str:
    """Every claim with who says it, the estimative word, its ICD 203 placement (the band's words)
    and the quote; the claims' ids are in the appendix (`toolkit.report.appendix`)."""
    who = dict(pack.entities.select("id", "name").iter_rows())
    band = labels(pack.yardstick)
    rows = []
    for c in pack.claims.iter_rows(named=True):
        if c["phrase"] is None:
            placement = "flat assertion"
        elif c["vague"]:
            placement = f"vague; mapped to {band[c['band']]} ({c['low']:g}–{c['high']:g})"
        else:
            placement = f"ICD 203: {band[c['band']]} ({c['low']:g}–{c['high']:g})"
        rows.append(
            (
                who.get(c["source"], c["source"]),
                c["phrase"] or "",
                placement,
                f"“{c['evidence']}”",
            )
        )
    return table(["who", "word", "placement", "quote (verbatim)"], rows)
