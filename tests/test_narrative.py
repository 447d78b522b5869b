"""Report prose: numbers in words, sources in full, pack text escaped."""

from __future__ import annotations

import html
import re

import polars as pl
import pytest

from toolkit.engine.result import SimulationResult
from toolkit.engine.simulation import simulate
from toolkit.pack.load import Pack
from toolkit.pack.names import in_words, names
from toolkit.report import narrative


@pytest.fixture(scope="module")
def result(pack: Pack) -> SimulationResult:
    return simulate(pack, paths=2000, months=24, seed=3)


def test_percent_words() -> None:
    assert narrative.percent(0.234) == "23 %"
    assert narrative.percent(0.001) == "<1 %"
    assert narrative.percent(0.999) == ">99 %"
    assert narrative.percent(0.0) == "0 %"
    assert narrative.percent(1.0) == "100 %"
    assert narrative.percent(None) == "n/a"


def test_escaping_neutralises_markup_and_table_breaks() -> None:
    cell = narrative.esc("<script>alert(1)</script> a|b\nc")
    assert "<script>" not in cell
    assert "&lt;script&gt;" in cell
    assert "|" not in cell
    assert "\n" not in cell


def test_findings_state_the_run_and_match_the_summary(pack: Pack, result: SimulationResult) -> None:
    text = narrative.describe_findings(result, pack, within=12)
    assert "2,000 simulated paths" in text
    lethal = next(r for r in result.summary(12)["responses"] if r["tier"] == "lethal_weapons")
    assert f"{narrative.percent(lethal['p_within'])} of paths" in text
    assert "Lethal weapons" in text
    assert "ruled out in the analyst's reading of the article" in _shown(text)


def test_findings_name_the_scenario_every_override_and_the_start_state(pack: Pack) -> None:
    """`-p troops=15000` must not read as the plain baseline: the headline names every override and
    the start state, from `result.inputs`."""
    plain = _shown(narrative.describe_findings(simulate(pack, paths=200, months=12), pack))
    first = plain.splitlines()[0]
    assert "Under the baseline scenario" in first
    assert "with no overrides" in first
    assert "100 % in “Adaptation training in eastern Russia” (the pack's start state)" in first
    result = simulate(
        pack,
        paths=200,
        months=12,
        start={"adaptation_training": 0.75, "westward_movement": 0.25},
        troops=15_000,
        lethal_will={"value": 0.3, "low": 0.2, "high": 0.4},
    )
    first = _shown(narrative.describe_findings(result, pack)).splitlines()[0]
    assert "with overrides lethal_will = 0.3 sampled 0.2–0.4, troops = 15,000" in first
    assert (
        "75 % in “Adaptation training in eastern Russia”, 25 % in “Moving west toward Ukraine” "
        "(a start state set for this run)"
    ) in first
    meta = narrative.inputs_metadata(result)
    assert meta == {"toolkit/run-inputs": result.inputs}
    assert meta["toolkit/run-inputs"]["overrides"]["troops"] == 15_000


def test_findings_and_ladder_table_show_the_share_never_decided(pack: Pack) -> None:
    result = simulate(pack, paths=200, months=12)
    shown = _shown(narrative.describe_findings(result, pack))
    lethal = next(line for line in shown.splitlines() if "Lethal weapons for Ukraine" in line)
    assert lethal.endswith(
        "; never decided on about a third of paths (35 %; drawn per path from 0.15–0.55), "
        "by assumption (Lethal weapons, never decided)."
    )
    assert sum("never decided on" in line for line in shown.splitlines()) == 1  # lethal only
    moved = simulate(pack, paths=200, months=12, lethal_never=0.5)
    assert (
        "never decided on about half of paths (50 %), by assumption (Lethal weapons, never"
        in _shown(narrative.describe_findings(moved, pack))
    )
    rows = _rows(narrative.describe_ladders(pack, result))
    assert (
        " | about a third of paths (35 %; drawn per path from 0.15–0.55), by assumption "
        in (rows["Lethal weapons for Ukraine"])
    )
    assert " | — | " in rows["Diplomatic pressure"]
    assert (
        "share set by Lethal weapons, never decided (assumption)"
        in _rows(narrative.describe_ladders(pack))["Lethal weapons for Ukraine"]
    )


def test_words_vs_model_table_flags_a_claim_outside_its_band(pack: Pack) -> None:
    slow = simulate(pack, paths=2_000, months=12, seed=3, rate_training_to_westward=0.01)
    text = narrative.describe_words_vs_model(pack, slow)
    shown = _shown(text)
    assert "The model leaves the speaker's band for" in shown
    rows = _rows(text.split("\n\n", 1)[1])
    said = dict(pack.claims.select("id", "statement").iter_rows())
    westward = rows["Unnamed senior South Korean official: " + said["c_next_phase_westward"]]
    assert (
        "| “potentially”: roughly even chance, 20–70 % | “Moving west toward Ukraine” reached within 12 months of 27 Oct 2024 |"
        in westward
    )
    p = slow.probability_by("westward_movement", 12)
    assert p < 0.2
    assert f"| {narrative.percent(p)} | ⚠ model below the speaker's band |" in westward
    assert "is read as the westward move happening within a year" in westward  # the mapping shown
    strategic = rows[
        "South Korea–U.S.–Japan national security advisors (trilateral): "
        + said["c_may_receive_strategic"]
    ]
    assert "| within the band |" in strategic
    flagged = [c for c, line in rows.items() if "⚠" in line]
    assert f"**{len(flagged)} of {len(rows)}** compared claims" in text
    assert "Not compared" not in shown


def test_words_vs_model_as_of_a_later_date_keeps_each_claim_s_own_window(pack: Pack) -> None:
    """A claim was made on the pack's date and is read over `within` months from then. Found in a bug
    hunt: an as-of report compared it with its own run's P(within 12 months of the as-of date), a
    later and longer window, and flagged 6 of 7 claims a year on with no observation at all. Now the
    claims are set beside a run from the pack's date (the report's scenario, overrides, paths and
    seed), and the text says so."""
    import datetime as dt

    from toolkit.engine.analysis import compare_claims, run_for_claims
    from toolkit.track.forecast import simulate_from
    from toolkit.track.tracker import track

    tracked = track(pack, "2025-10-20", [], today=dt.date.max)
    later = simulate_from(tracked, pack, paths=2_000, months=24, seed=3, lethal_lag=4)
    # the bug: the later run's own window is longer, so it flags claims the words do not contradict
    own = compare_claims(pack, later)
    fresh = compare_claims(pack, simulate(pack, paths=2_000, months=12, seed=3, lethal_lag=4))
    assert (own["probability"] > fresh["probability"] + 0.05).any()
    run = run_for_claims(pack, later, from_pack_date=False)
    assert (run.scenario, run.paths, run.seed, run.overrides) == (
        later.scenario,
        later.paths,
        later.seed,
        later.overrides,
    )
    text = narrative.describe_words_vs_model(pack, later, tracked.as_of)
    rows = _rows(text.split("\n\n", 1)[1])
    assert len(rows) == fresh.height
    for line, c in zip(rows.values(), fresh.iter_rows(named=True), strict=True):
        assert (
            f"within {c['within']} months of 27 Oct 2024 | {narrative.percent(c['probability'])} |"
            in line
        )
    flagged = fresh.filter(pl.col("verdict").is_in(["below", "above"])).height
    shown = _shown(text)
    assert f"{flagged} of {fresh.height} compared claims" in shown
    assert "made on 27 October 2024 (the pack's date)" in shown
    assert "own run starts on 20 October 2025" in shown
    # the as-of date the same as the pack's: the report's own run is the one compared
    same = narrative.describe_words_vs_model(pack, later, pack.meta.publication.date)
    assert "the pack's date)" not in _shown(same)


def test_words_vs_model_counts_only_the_claims_it_compared(pack: Pack) -> None:
    """Found in a bug hunt: with a 6-month run and every claim read over 12 months, the text said "The
    model leaves the speaker's band for 0 of 7 claims", read as agreement, though none was compared.
    Now only compared claims are counted, and the others are named with why."""
    short = simulate(pack, paths=500, months=6, seed=3)
    shown = _shown(narrative.describe_words_vs_model(pack, short))
    events = pack.claims.filter(pl.col("event_kind").is_not_null()).height
    assert f"None of the {events} claims that name a modelled event is compared." in shown
    assert " of 7" not in shown
    assert f"Not compared ({events}): “may”," in shown
    assert "within 12 months: their windows run past this run's 6-month horizon" in shown
    # one claim read over 24 months: a 12-month run counts the others and names that one
    import dataclasses

    from toolkit.engine.analysis import claims_horizon, run_for_claims

    longer = pl.col("id") == "c_may_receive_strategic"
    claims = pack.claims.with_columns(
        event_within=pl.when(longer).then(24).otherwise(pl.col("event_within"))
    )
    other = dataclasses.replace(pack, frames={**pack.frames, "claims": claims})
    text = narrative.describe_words_vs_model(other, simulate(other, paths=500, months=12))
    assert f" of {events - 1}** compared claims" in text
    shown = _shown(text)
    assert "Not compared (1): “may”, South Korea–U.S.–Japan national security advisors" in shown
    assert "within 24 months: the window runs past this run's 12-month horizon" in shown
    # an as-of report's run from the pack's date reaches the longest window
    assert claims_horizon(other) == 24
    assert run_for_claims(other, short, from_pack_date=False).months == 24


def test_findings_mark_every_judgement_and_give_the_reading(
    pack: Pack, result: SimulationResult
) -> None:
    """A phase or tier resting on an assumption is marked †, and its reading follows the list."""
    shown = _shown(narrative.describe_findings(result, pack, within=12))
    assert "Personnel or troops for Ukraine**†" not in shown  # Markdown rendered: no asterisks
    assert "Personnel or troops for Ukraine† is ruled out in the analyst's reading" in shown
    assert "Combat on Russian soil† is reached" in shown
    assert "Diplomatic pressure is decided" in shown  # quoted only: no mark
    reading = shown.split("† The analyst's reading, not the article's words:")[1]
    for tier in ("personnel_troops", "lethal_weapons"):
        row = pack.response_tiers.filter(pl.col("id") == tier).row(0, named=True)
        words = in_words(" ".join(row["assumption"].split()), names(pack))
        assert f"{row['label']}: {words}" in reading
    # the pack's ids in its assumptions read as their labels
    assert "combat on Russian soil (“Combat on Russian soil”) does not meet it" in reading
    assert "lethal_never" not in reading


def test_parameter_table_names_every_source(pack: Pack, result: SimulationResult) -> None:
    text = narrative.describe_parameters(result)
    rows = text.splitlines()[2:]
    assert len(rows) == pack.parameters.height
    assert all(("claim " in r) or ("analyst assumption" in r) for r in rows)


def _shown(markdown: str) -> str:
    """What a reader sees: the Markdown rendered as nbconvert does, tags dropped, entities decoded."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return html.unescape(re.sub(r"<[^>]+>", "", markdown2html_mistune(markdown)))


def _rows(markdown: str) -> dict[str, str]:
    """A Markdown table's rows as the reader sees their text, by first cell."""
    lines = [html.unescape(line) for line in markdown.splitlines()[2:]]
    return {line.split(" | ")[0].removeprefix("| "): line for line in lines}


def test_claims_table_quotes_verbatim(pack: Pack) -> None:
    text = narrative.describe_claims(pack)
    shown = _shown(text)
    for quote in pack.claims["evidence"].head(5):
        assert narrative.esc(quote) in text
        assert " ".join(quote.split()) in shown
    assert "vague; mapped to" in shown
    assert "ICD 203: likely" in shown


def test_ladder_table_keeps_ladder_order(pack: Pack) -> None:
    text = narrative.describe_ladders(pack)
    labels = pack.response_tiers.sort("order")["label"].to_list()
    positions = [text.index(narrative.esc(label)) for label in labels]
    assert positions == sorted(positions)
    assert "ruled out" in text


def test_ladder_table_shows_the_assumption_beside_the_quote(pack: Pack) -> None:
    """Tiers whose existence, trigger or status is the analyst's show the quote and the reading."""
    rows = _rows(narrative.describe_ladders(pack))
    for row in pack.response_tiers.iter_rows(named=True):
        line = rows[row["label"]]
        assert f"“{' '.join(row['evidence'].split())}”" in line
        if row["assumption"]:
            reading = in_words(" ".join(row["assumption"].split()), names(pack))
            assert f"— analyst's reading: {reading}" in line
        else:
            assert "analyst" not in line
    assert {
        "Economic measures",
        "Defensive military support",
        "Personnel or troops for Ukraine",
    } <= {r["label"] for r in pack.response_tiers.iter_rows(named=True) if r["assumption"]}
    assert "ruled out (analyst's reading)" in rows["Personnel or troops for Ukraine"]
    assert (
        "phase at least “Combat on Russian soil”, located in Ukraine"
        in rows["Lethal weapons for Ukraine"]
    )


def test_phase_table_names_where_each_phase_is_and_labels_the_combat_split(pack: Pack) -> None:
    rows = _rows(narrative.describe_phases(pack))
    assert " | Russia (Russian Federation) | " in rows["Combat on Russian soil"]
    assert (
        "analyst's reading: The article does not say where the battlefields are"
        in rows["Combat on Russian soil"]
    )
    assert " | Ukraine | " in rows["Combat in Ukraine"]
    assert "analyst's reading: Splitting combat by location" in rows["Combat in Ukraine"]
    assert "analyst assumption: Not in the article" in rows["Withdrawn (analyst-assumed exit)"]


def test_assumptions_cover_dates_and_pack_assumptions(pack: Pack) -> None:
    text = narrative.describe_assumptions(pack)
    assert "week_of_publication" in _shown(text)
    assumed = pack.sources.filter(pl.col("kind") == "assumption").height
    assert len(text.splitlines()) == 2 + len(pack.meta.date_assumptions) + assumed


def test_a_tier_no_path_decides_is_not_given_the_assumptions_share(pack: Pack) -> None:
    """Under a scenario whose rates into combat are 0, "Lethal weapons ... decided within 12 months
    in 0 % of paths; never decided on about a third of paths (35 %)" read as this run's share,
    where no path decides it (found in a bug hunt): the text says no path meets the trigger early
    enough (a lag or a short horizon can be the reason as much as the trigger: a review found
    "its trigger does not hold" wrong there), and gives the never-share as the assumption."""
    result = simulate(pack, scenario="rear_support_only", paths=500, months=12, seed=1)
    assert result.probability_by("lethal_weapons", 12, "decided") == 0
    lines = [
        line
        for line in _shown(narrative.describe_findings(result, pack, within=12)).splitlines()
        if "Lethal weapons for Ukraine" in line and line.startswith("The response tier")
    ]
    assert len(lines) == 1
    assert (
        "is decided on no path within 12 months: no path meets its trigger early enough"
        in (lines[0])
    )
    assert "Where its trigger holds, it is never decided on about a third of paths" in lines[0]


def test_a_tier_a_lag_keeps_beyond_a_short_horizon_is_not_said_to_lack_its_trigger(
    pack: Pack,
) -> None:
    """Within 1 month no path decides lethal weapons although the trigger can hold: the text gives
    no cause it cannot know (review finding)."""
    result = simulate(pack, paths=500, months=1, seed=1)
    text = _shown(narrative.describe_findings(result, pack, within=1))
    assert "no path meets its trigger early enough" in text  # such a tier is there
    assert "does not hold" not in text


def test_shares_of_a_whole_add_up_to_100() -> None:
    """A start state of 0.475/0.335/0.19 read "48 %, 34 %, 19 %" (101 %); one of thirds read 99 %
    (a bug hunt): shares of one whole are shown by the largest remainder."""
    from toolkit.pack.units import whole_percents

    assert whole_percents([0.475, 0.335, 0.19]) == ["48 %", "33 %", "19 %"]
    assert whole_percents([1 / 3] * 3) == ["34 %", "33 %", "33 %"]
    assert whole_percents([0.996, 0.004]) == [">99 %", "<1 %"]
    assert whole_percents([1.0, 0.0]) == ["100 %", "0 %"]
    assert whole_percents([0.2, 0.3]) == ["20 %", "30 %"]  # not one whole: one by one
    for shares in ([0.05] * 20, [0.125] * 8, [0.1, 0.2, 0.3, 0.4], [1 / 7] * 7):
        assert sum(int(p.split()[0]) for p in whole_percents(shares)) == 100
