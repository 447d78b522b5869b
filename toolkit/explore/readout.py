"""The explorer's readout in words: a headline, a few sentences, the basis of the run and the analyst's
readings behind what it names.

`Words(pack, within)` knows the pack's ladders (computed once: the tiers shown, the highest phase, the
readings behind them); `describe(result, preset=, fixed=, whose=)` puts a run into words, with the
basis the state gives (the preset's label, what was fixed, whose start state). No widgets here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from toolkit.engine.result import SimulationResult
    from toolkit.pack.load import Pack


@dataclass(frozen=True)
class Readout:
    """The readout in words: one headline sentence, a few more, the basis of the run (its inputs),
    and the analyst's readings behind what it names (`notes`, "“label”: reading")."""

    headline: str
    details: tuple[str, ...]
    basis: str
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        readings = [f"Analyst's reading, not the article's: {n}" for n in self.notes]
        return "\n".join([self.headline, *self.details, self.basis, *readings])


class Words:
    """The readout's sentences for runs of one pack (see the module docstring)."""

    def __init__(self, pack: Pack, within: int) -> None:
        self.within = within
        tiers = pack.response_tiers.filter(pl.col("status").cast(pl.String) != "ruled_out")
        self.tier_labels = dict(zip(tiers["id"].cast(pl.String), tiers["label"], strict=True))
        self.top = str(tiers["id"].cast(pl.String)[-1]) if tiers.height else None
        phases = pack.phases.sort("escalation", descending=True, maintain_order=True)
        self.highest, self.highest_label = str(phases["id"][0]), str(phases["label"][0])
        self.tech_tiers = dict(
            zip(pack.tech_tiers["id"].cast(pl.String), pack.tech_tiers["label"], strict=True)
        )
        self.phase_labels = dict(
            zip(pack.phases["id"].cast(pl.String), pack.phases["label"], strict=True)
        )
        self.notes = readings(pack, tiers, self.highest)

    def describe(self, result: SimulationResult, *, preset: str, fixed: str, whose: str) -> Readout:
        """The readout of `result`: one headline sentence, then a few more, then the basis."""
        from toolkit.engine.result import share_in_words

        within = min(self.within, result.months)
        labels = self.tier_labels
        timing = _decision_times(result)
        reach = (
            f"Troops reach “{self.highest_label}” within {months(within)} in "
            f"{percent(result.probability_by(self.highest, within, 'reached'))} of paths "
            f"({percent(result.probability_by(self.highest, result.months, 'reached'))} within "
            f"{months(result.months)})."
        )
        if self.top is None:  # every tier ruled out: the phases lead
            headline, details = reach, []
        else:
            headline = _tier_sentence(
                result, self.top, labels[self.top], within, timing, headline=True
            )
            details = [reach]
        details += [
            f"At least one technology of the tier “{label}” is transferred within "
            f"{months(within)} in {percent(result.probability_by(tier, within, 'tier_transferred'))} of paths."
            for tier, label in self.tech_tiers.items()
        ]
        details += [
            _tier_sentence(result, tier, labels[tier], within, timing, headline=False)
            for tier in reversed(list(labels)[:-1])
        ]
        details += [
            f"“{labels[tier]}”: never decided on {share_in_words(never['share'])}, by assumption "
            f"({never['parameter']})."
            for tier, never in result.never_decided().items()
            if tier in labels
        ]
        start = ", ".join(
            f"{percent(share)} in “{self.phase_labels.get(p, p)}”"
            for p, share in result.inputs["start"].items()
        )
        basis = (
            f"Preset “{preset}”. {fixed} Start (month 0): {start} ({whose}). "
            f"{result.paths:,} paths × {months(result.months)}, seed {result.seed}; parameters with a "
            "band are sampled per path."
        )
        return Readout(headline, tuple(details), basis, self.notes)


def readings(pack: Pack, tiers: pl.DataFrame, highest: str) -> tuple[str, ...]:
    """The analyst's readings behind what the readout names: the tiers shown, the highest phase and
    the phases their triggers name (e.g. the combat split behind the lethal trigger)."""
    shown = set(tiers["id"].cast(pl.String))
    triggers = pack.triggers.filter(pl.col("tier").cast(pl.String).is_in(list(shown)))
    named = {highest, *triggers["target"].drop_nulls().to_list()}
    notes = []
    for frame, keep in ((pack.phases, named), (tiers, shown)):
        rows = frame.filter(
            pl.col("id").cast(pl.String).is_in(list(keep)), pl.col("assumption").is_not_null()
        )
        notes += [
            f"“{r['label']}”: {' '.join(str(r['assumption']).split())}"
            for r in rows.iter_rows(named=True)
        ]
    return tuple(notes)


def months(n: float) -> str:
    """ "1 month", "12 months"."""
    return f"{n:g} month" if n == 1 else f"{n:g} months"


def percent(p: float) -> str:
    if 0 < p < 0.005:
        return "under 1 %"
    if 0.995 < p < 1:
        return "over 99 %"
    return f"{p * 100:.0f} %"


def _decision_times(result: SimulationResult) -> dict[str, tuple[float, float | None]]:
    """Per response tier: P(decided within the horizon) and the median decision month of those paths
    (the first month where the cumulative share reaches half of it). Read off the run's counts (the
    `time_to_response` frame's numbers without building it; its running sums are sequential)."""
    shares = result.counts.decided[:, : result.periods + 1] / result.paths
    cum = np.cumsum(shares, axis=1)
    out: dict[str, tuple[float, float | None]] = {}
    for tier, running in zip(result.model.responses, cum, strict=True):
        reached = float(running[-1])
        period = int(np.argmax(running >= 0.5 * reached - 1e-12))
        month = result.month(period)
        out[tier] = (reached, month if reached > 0 else None)
    return out


def _tier_sentence(
    result: SimulationResult,
    tier: str,
    label: str,
    within: int,
    timing: Mapping[str, tuple[float, float | None]],
    *,
    headline: bool,
) -> str:
    """ "Under these assumptions the … tier is reached within 12 months in 23 % of paths …" """
    reached, median = timing.get(tier, (0.0, None))
    where = (
        f"; where it is reached within {months(result.months)}, the median is month {median}"
        if median is not None
        else ""
    )
    start = "Under these assumptions the" if headline else "The"
    return (
        f"{start} “{label}” tier is reached within {months(within)} in "
        f"{percent(result.probability_by(tier, within, 'decided'))} of paths "
        f"({percent(reached)} within {months(result.months)}){where}."
    )
