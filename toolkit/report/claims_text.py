"""Report prose about the article's claims: each claim's estimative word on the ICD 203 yardstick
(`describe_claims`) and the words beside the model's probabilities (`describe_words_vs_model`).
Claims are shown by who said what; their ids are in the report's appendix. Re-exported by
`toolkit.report.narrative`.
"""

from __future__ import annotations

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


def describe_words_vs_model(pack: Pack, result: SimulationResult) -> str:
    """Each claim that names a modelled event: the speaker's estimative word and band beside the
    model's probability of that event (`toolkit.engine.analysis.compare_claims`), flagged where the
    model leaves the band; the mapping from words to event is the analyst's and is shown with it."""
    from toolkit.engine.analysis import compare_claims

    compared = compare_claims(pack, result)
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
                f"“{target}” {verb} within {c['within']} months",
                "" if c["probability"] is None else percent(c["probability"]),
                _VERDICT_WORDS[c["verdict"]],
                in_words(c["assumption"], in_text),
            )
        )
    outside = compared.filter(pl.col("verdict").is_in(["below", "above"]))
    n, k = compared.height, outside.height
    se = 50 / result.paths**0.5
    lead = (
        f"The model leaves the speaker's band for **{k} of {n}** claims that name a modelled event"
        + (
            " ("
            + "; ".join(
                f"“{esc(c['phrase'])}”, {esc(who.get(c['source'], c['source']))}"
                for c in outside.iter_rows(named=True)
            )
            + ")"
            if k
            else ""
        )
        + ". The band is the estimative word's modelling range (estimative.yaml); the model's figure "
        f"is the share of this run's {result.paths:,} paths (Monte Carlo standard error at most "
        f"{se:.1f} points); which event and horizon stand for the words is the analyst's reading, "
        "given in the last column."
    )
    header = [
        "who said what",
        "the speaker's word and band",
        "modelled event",
        "model",
        "words vs model",
        "analyst's reading of the words as the event",
    ]
    return lead + "\n\n" + table(header, out_rows)


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
