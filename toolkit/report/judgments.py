"""The bottom line: a report's key judgments in the pack's estimative words, with the number beside them.

Which judgments (generic over the pack: every id comes from the pack's frames, every word from its
yardstick, `estimative.yaml`):

- the deployment reaches its most escalated phase (the highest `escalation`, first in ladder order);
- a technology of the pack's last (most sensitive) technology tier is transferred;
- the response climbs at least to the highest tier decided on at least half the paths by then;
- the highest response tier not ruled out is decided (if it is not the previous one).

Each is P(event within `within` months) over the run's paths, placed in the yardstick band that holds
it, with a 95 % Wilson interval for the Monte Carlo error of that many paths; where the interval
crosses a band's boundary the judgment says so (more paths would settle the word).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from toolkit.engine.result import SimulationResult
from toolkit.pack.load import Pack
from toolkit.report.markdown import JUDGED, assumptions, esc, labels, percent

if TYPE_CHECKING:
    from toolkit.track.tracker import TrackResult

Z95: Final = 1.959963984540054  # two-sided 95 % normal quantile
NBSP: Final = "\u00a0"  # between a number and its % sign: never broken across lines


@dataclass(frozen=True)
class Band:
    """One band of the yardstick: id, words, bounds."""

    id: str
    words: str
    low: float
    high: float


@dataclass(frozen=True)
class Judgment:
    """One key judgment: what (`kind`, `item`: pack ids), in words (`statement`), how likely."""

    kind: str  # "reached", "tier_transferred", "level_at_least", "decided"
    item: str
    statement: str  # Markdown, escaped: the event in words, without its probability
    probability: float
    low: float  # 95 % Monte Carlo interval (Wilson) from the path count
    high: float
    band: Band  # the yardstick band that holds `probability`
    other: Band | None  # the neighbouring band the interval reaches into, if any

    @property
    def estimate(self) -> str:
        """ "likely (60–62 %)": the band's words and the Monte Carlo interval in percent (a
        no-break space before the % sign)."""
        lo, hi = round(self.low * 100), round(self.high * 100)
        numbers = f"{lo}{NBSP}%" if lo == hi else f"{lo}–{hi}{NBSP}%"
        return f"{self.words} ({numbers})"

    @property
    def words(self) -> str:
        """The band's words, or what the run says outside the yardstick: "no simulated path" (or
        "every simulated path") where none (all) of the paths has the event, "below “almost no
        chance”" where the whole interval lies under the lowest band (0 % was "almost no chance"
        beside a legend of 1–5 %; found in a bug hunt), "above ..." over the highest."""
        if self.probability <= 0:
            return "no simulated path"
        if self.probability >= 1:
            return "every simulated path"
        if self.high < self.band.low:
            return f"below “{self.band.words}”"
        if self.low > self.band.high:
            return f"above “{self.band.words}”"
        return self.band.words


def yardstick(pack: Pack) -> list[Band]:
    """The pack's yardstick, lowest band first."""
    return [
        Band(str(r["id"]), str(r["label"]), float(r["low"]), float(r["high"]))
        for r in pack.yardstick.iter_rows(named=True)
    ]


def band_of(p: float, bands: list[Band]) -> Band:
    """The band that holds `p` (a shared boundary belongs to the band above it; below the lowest
    band or above the highest, the nearest band)."""
    for band in bands:
        if p < band.high:
            return band
    return bands[-1]


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (scipy's `binomtest(...).proportion_ci(
    method="wilson")` gives the same; not used here because importing `scipy.stats` costs a report
    kernel about a second; tests compare the two)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes <= 0 else max(0.0, centre - half)  # exact ends: no float residue
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


def judge(
    kind: str, item: str, statement: str, p: float, paths: int, bands: list[Band]
) -> Judgment:
    low, high = wilson(p * paths, paths)
    band = band_of(p, bands)
    ends = {band_of(low, bands), band_of(high, bands)} - {band}
    other = min(ends, key=lambda b: abs(b.low - p)) if ends else None
    return Judgment(kind, item, statement, p, low, high, band, other)


def _level_at_least(result: SimulationResult, tier: str, within: int) -> float:
    """P(the highest response tier decided is `tier` or above, by month `within`)."""
    i = result.model.responses.index(tier)
    return float(result.counts.level[i, : result.period(within) + 1].sum() / result.paths)


def key_judgments(result: SimulationResult, pack: Pack, within: int) -> list[Judgment]:
    """The bottom line's judgments (see the module docstring), in the order they are shown."""
    bands = yardstick(pack)
    judged = (
        assumptions(pack.phases) | assumptions(pack.tech_tiers) | assumptions(pack.response_tiers)
    )

    def name(frame: pl.DataFrame, item: str) -> str:
        mark = JUDGED if item in judged else ""
        return f"**{esc(labels(frame)[item])}**{mark}"

    out = []
    phases = pack.phases.sort("escalation", "order", descending=[True, False])
    top = str(phases["id"][0])
    out.append(
        judge(
            "reached",
            top,
            f"The deployment reaches {name(pack.phases, top)} within {within} months",
            result.probability_by(top, within, "reached"),
            result.paths,
            bands,
        )
    )
    tiers = [str(t) for t in pack.tech_tiers.sort("order")["id"]]
    if tiers:
        tier = tiers[-1]
        out.append(
            judge(
                "tier_transferred",
                tier,
                f"At least one technology of the tier {name(pack.tech_tiers, tier)} is "
                f"transferred within {within} months",
                result.probability_by(tier, within, "tier_transferred"),
                result.paths,
                bands,
            )
        )
    open_tiers = [
        str(r["id"])
        for r in pack.response_tiers.sort("order").iter_rows(named=True)
        if r["status"] != "ruled_out"
    ]
    reached = [t for t in open_tiers if _level_at_least(result, t, within) >= 0.5]
    if reached:
        level = reached[-1]
        out.append(
            judge(
                "level_at_least",
                level,
                f"The response climbs at least to {name(pack.response_tiers, level)} "
                f"within {within} months",
                _level_at_least(result, level, within),
                result.paths,
                bands,
            )
        )
    if open_tiers and (not reached or open_tiers[-1] != reached[-1]):
        highest = open_tiers[-1]
        out.append(
            judge(
                "decided",
                highest,
                f"{name(pack.response_tiers, highest)}, the highest response tier not ruled out, is "
                f"decided within {within} months",
                result.probability_by(highest, within, "decided"),
                result.paths,
                bands,
            )
        )
    return out


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole calendar months (the last day of a shorter month where needed)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in range(day.day, 27, -1):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def describe_basis(tracked: TrackResult, as_of_given: bool) -> str:
    """The date the assessment is as of and the observations it rests on, in one sentence."""
    n = len(tracked.observations_used)
    ev = tracked.evidence
    latest = f", the latest reported {max(ev['reported']):%d %B %Y}" if ev.height else ""
    if as_of_given:
        rests = (
            f"rests on the article and {n} observation{'s' if n != 1 else ''} reported by then"
            f"{latest} (listed under what has been seen)"
            if n
            else "rests on the article alone: no observation had been reported by then"
        )
        return f"**As of {tracked.as_of:%d %B %Y}**; the assessment {rests}."
    later = (
        f" The tracker's {n} observation{'s' if n != 1 else ''} to {tracked.as_of:%d %B %Y} are "
        "not in these numbers (set `as_of` to start from them); they are under what has been seen."
        if n
        else ""
    )
    return (
        f"**As of {tracked.start:%d %B %Y}**, the article's date; the assessment rests on the "
        f"article alone.{later}"
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe_now(tracked: TrackResult, pack: Pack) -> str:
    """A bullet for where the deployment most likely is on the as-of date: the tracker's posterior
    (exact for its model: no Monte Carlo error) in the yardstick's words."""
    top = max(tracked.phases, key=tracked.phases.__getitem__)
    p = tracked.phases[top]
    bands = yardstick(pack)
    band = band_of(p, bands)
    shown = f"{p * 100:.0f}"
    if any(round(p * 100) == round(b.high * 100) for b in bands):  # 54.9 % is not "55 %" here
        shown = f"{p * 100:.1f}"
    if p < 1 and float(shown) >= 100:  # "almost certain (100 %)" read as certain (a review finding)
        shown = "over 99.9" if p > 0.999 else f"{p * 100:.1f}"
    words = _capital(band.words) if p < 1 else "Certain in the tracker's model"
    judged = JUDGED if top in assumptions(pack.phases) else ""
    return (
        f"- **{esc(words)} ({shown}{NBSP}%)**: on "
        f"{tracked.as_of:%d %B %Y} the deployment is in **{esc(labels(pack.phases)[top])}**"
        f"{judged}, its most likely phase by the tracker's reading of the observations."
    )


def describe_bottom_line(
    result: SimulationResult,
    pack: Pack,
    tracked: TrackResult,
    within: int,
    as_of_given: bool,
) -> str:
    """The bottom line in Markdown: the as-of sentence, the key judgments, and how to read them."""
    month0 = tracked.as_of if as_of_given else tracked.start
    by = add_months(month0, within)
    lines = [describe_basis(tracked, as_of_given), ""]
    if as_of_given:
        lines.append(describe_now(tracked, pack))
    for j in key_judgments(result, pack, within):
        estimate = esc(_capital(j.estimate)).replace(
            " %", f"{NBSP}%"
        )  # esc folds the no-break space
        line = f"- **{estimate}**: {j.statement} (by {by:%B %Y})."
        if j.kind == "level_at_least":
            # the findings give the tier itself: 79 % here beside 78 % there read as a mistake
            # (a bug hunt); paths that decide a higher tier without this one count here only
            itself = result.probability_by(j.item, within, "decided")
            if percent(itself) != percent(j.probability):
                line += (
                    f" It counts paths that decide a higher tier without this one; this tier "
                    f"itself is decided on {percent(itself).replace(' %', f'{NBSP}%')} of paths."
                )
        if j.other is not None:
            line += (
                f" The Monte Carlo interval reaches into {esc(j.other.words)}: more paths would "
                "settle the word."
            )
        lines.append(line)
    words = ", ".join(
        f"{esc(b.words)} {b.low * 100:.0f}–{b.high * 100:.0f}{NBSP}%" for b in yardstick(pack)
    )
    lines += [
        "",
        f"Words from the pack's ICD 203 yardstick ({words}). The range in brackets is the Monte Carlo "
        f"error of this run's {result.paths:,} paths (95 % interval); the uncertainty in the "
        "assumptions is inside the probability itself (their bands are sampled path by path), and the "
        f"figures below show it. Names marked {JUDGED} rest on the analyst's reading of the article.",
    ]
    return "\n".join(lines)
