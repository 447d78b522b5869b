"""The bottom line (issue 14): key judgments in the pack's estimative words, the number and its Monte
Carlo interval beside them, chosen from the pack's own ladders."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from pathlib import Path

import polars as pl
import pytest

from toolkit.engine.result import SimulationResult
from toolkit.engine.simulation import simulate
from toolkit.pack.load import Pack
from toolkit.report import judgments
from toolkit.track.tracker import track


@pytest.fixture(scope="module")
def result(pack: Pack) -> SimulationResult:
    return simulate(pack, paths=2000, months=24, seed=3)


def _shown(markdown: str) -> str:
    return html.unescape(markdown).replace("**", "")


def test_a_probability_takes_the_band_that_holds_it(pack: Pack) -> None:
    bands = judgments.yardstick(pack)
    assert [b.id for b in bands] == [str(i) for i in pack.yardstick["id"]]
    assert (
        judgments.band_of(0.0, bands).id == "almost_no_chance"
    )  # below the table: its lowest band
    assert judgments.band_of(0.5, bands).id == "roughly_even_chance"
    assert (
        judgments.band_of(0.8, bands).id == "very_likely"
    )  # a shared boundary goes to the band above
    assert judgments.band_of(0.7999, bands).id == "likely"
    assert judgments.band_of(1.0, bands).id == "almost_certain"


def test_wilson_interval() -> None:
    low, high = judgments.wilson(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4)
    assert high == pytest.approx(0.5962, abs=1e-4)
    assert judgments.wilson(0, 100)[0] == 0.0
    assert judgments.wilson(100, 100)[1] == 1.0
    assert judgments.wilson(0, 100)[1] > 0  # no path is not "impossible"
    from scipy.stats import binomtest

    for k, n in [(0, 100), (1, 100), (37, 400), (19_999, 20_000), (20_000, 20_000)]:
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert judgments.wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_judgments_are_the_runs_probabilities_in_the_packs_words(
    pack: Pack, result: SimulationResult
) -> None:
    found = judgments.key_judgments(result, pack, 12)
    assert 3 <= len(found) <= 5
    kinds = [(j.kind, j.item) for j in found]
    assert kinds[0] == ("reached", "combat_in_ukraine")  # the most escalated phase
    assert kinds[1] == ("tier_transferred", "strategic")  # the last technology tier
    assert ("decided", "lethal_weapons") in kinds  # the highest tier not ruled out
    words = set(pack.yardstick["label"])
    for j in found:
        assert j.low <= j.probability <= j.high
        assert j.band.words in words
        assert j.band.low <= j.probability < j.band.high or j.band.id in {
            "almost_no_chance",
            "almost_certain",
        }
        if j.kind != "level_at_least":
            assert j.probability == result.probability_by(j.item, 12, j.kind)
    level = next(j for j in found if j.kind == "level_at_least")
    assert level.probability >= 0.5
    # the interval shrinks with the path count
    bigger = simulate(pack, paths=8000, months=24, seed=3)
    wide = found[0].high - found[0].low
    narrow = judgments.key_judgments(bigger, pack, 12)[0]
    assert narrow.high - narrow.low < wide


def test_judgments_follow_the_pack_not_hard_coded_ids(pack: Pack, result: SimulationResult) -> None:
    """Another yardstick's words and another phase at the top of the escalation ladder change the
    bottom line: nothing is fixed in the code."""
    frames = dict(pack.frames)
    frames["yardstick"] = pack.yardstick.with_columns(
        pl.concat_str(pl.lit("WORD-"), pl.col("label")).alias("label")
    )
    frames["phases"] = pack.phases.with_columns(
        pl.when(pl.col("id").cast(pl.String) == "rear_support")
        .then(99)
        .otherwise(pl.col("escalation"))
        .alias("escalation")
    )
    other = dataclasses.replace(pack, frames=frames)
    found = judgments.key_judgments(result, other, 12)
    assert found[0].item == "rear_support"
    assert found[0].probability == result.probability_by("rear_support", 12, "reached")
    assert all(j.band.words.startswith("WORD-") for j in found)


def test_bottom_line_text(pack: Pack, result: SimulationResult) -> None:
    tracked = track(pack, None, None, today=dt.date.max)
    text = _shown(judgments.describe_bottom_line(result, pack, tracked, 12, False))
    first = text.splitlines()[0]
    assert first.startswith("As of 27 October 2024, the article's date")
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= 5
    for line in bullets:  # the estimative word and its number first, then what is judged
        assert "(by October 2025)." in line
        assert re.match(r"- [A-Z][a-z ]+ \(\d+(–\d+)?\u00a0%\): ", line), line
    assert "Combat in Ukraine" in bullets[0]
    assert "2,000 paths" in text
    assert "combat_in_ukraine" not in text  # ids stay out of the reader's text


def test_bottom_line_states_its_as_of_date_and_observations(pack: Pack) -> None:
    log = [
        {
            "id": "o1",
            "observed": "2024-11-05",
            "reported": "2024-11-06",
            "indicator": str(pack.indicators["id"][0]),
            "reliability": "B",
            "credibility": 2,
            "source": "a test",
        }
    ]
    tracked = track(pack, "2024-12-01", log, today=dt.date.max)
    text = _shown(judgments.describe_basis(tracked, True))
    assert text.startswith("As of 01 December 2024")
    assert "1 observation reported by then, the latest reported 06 November 2024" in text
    later = _shown(judgments.describe_basis(tracked, False))
    assert "rests on the article alone" in later
    assert "1 observation to 01 December 2024 are not in these numbers" in later


def test_add_months() -> None:
    assert judgments.add_months(dt.date(2024, 10, 27), 12) == dt.date(2025, 10, 27)
    assert judgments.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


def test_as_of_bottom_line_says_where_the_deployment_is_now(pack: Pack) -> None:
    story = Path(__file__).resolve().parent / "fixtures" / "tracker" / "story.yaml"
    tracked = track(pack, "2024-12-31", story, today=dt.date.max)
    result = simulate(pack, paths=500, months=24, seed=3)
    text = _shown(judgments.describe_bottom_line(result, pack, tracked, 12, True))
    lines = text.splitlines()
    assert lines[0].startswith("As of 31 December 2024; the assessment rests on the article and 10")
    top = max(tracked.phases, key=tracked.phases.__getitem__)
    p = tracked.phases[top]
    word = judgments.band_of(p, judgments.yardstick(pack)).words
    now = lines[2]
    assert now.startswith(f"- {word[0].upper()}{word[1:]} ({p * 100:.1f}\u00a0%): on 31 December")
    assert round(p * 100) == 55  # on the band's edge: one decimal says which side it is
    assert "Combat on Russian soil" in now
    later = [line for line in lines[3:] if line.startswith("- ")]
    assert len(later) >= 3
    assert all("within 12 months (by December 2025)." in line for line in later)


def test_outside_the_yardstick_the_words_say_so(pack: Pack) -> None:
    """In a scenario that rules an event out, the bottom line said "Almost no chance (0 %)" just
    above a legend giving that band as 1–5 % (found in a bug hunt): no path is "no simulated path",
    an interval wholly under the lowest band is "below" it, and every path is "every simulated
    path"."""
    bands = judgments.yardstick(pack)
    lowest, highest = bands[0], bands[-1]
    assert lowest.low > 0
    assert highest.high <= 1
    none = judgments.judge("reached", "x", "s", 0.0, 20_000, bands)
    assert none.estimate == "no simulated path (0\u00a0%)"
    rare = judgments.judge("reached", "x", "s", 0.0005, 20_000, bands)
    assert rare.high < lowest.low
    assert rare.estimate.startswith(f"below “{lowest.words}” (0")
    inside = judgments.judge("reached", "x", "s", 0.03, 20_000, bands)
    assert inside.estimate.startswith(f"{lowest.words} (")
    assert judgments.judge("reached", "x", "s", 1.0, 500, bands).words == "every simulated path"


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.9996, "(over 99.9 %)"),
        (0.996, "(99.6 %)"),
        (1.0, "Certain in the tracker's model (100 %)"),
    ],
)
def test_the_phase_now_is_never_almost_certain_at_100(pack: Pack, p: float, expected: str) -> None:
    """ "Almost certain (100 %)" read as certain where the tracker was not, and as "almost" where it
    was (a review finding): a share that rounds to 100 keeps a decimal; a certain one says so."""
    tracked = track(pack)
    top = max(tracked.phases, key=tracked.phases.__getitem__)
    others = [k for k in tracked.phases if k != top]
    phases = {top: p, **dict.fromkeys(others, (1 - p) / len(others))}
    text = _shown(judgments.describe_now(dataclasses.replace(tracked, phases=phases), pack))
    assert expected in text.replace("\u00a0", " ")
    assert "(100 %)" not in text.replace("\u00a0", " ") or p == 1


def test_a_level_judgment_says_how_it_differs_from_the_tier_itself(
    result: SimulationResult, pack: Pack
) -> None:
    """ "The response climbs at least to X" (79 %) beside the findings' "X is decided in 78 % of
    paths" read as a mistake (a bug hunt): where they differ, the bottom line says why."""
    tracked = track(pack)
    for within in (6, 12, 24):
        text = _shown(judgments.describe_bottom_line(result, pack, tracked, within, False))
        for j in judgments.key_judgments(result, pack, within):
            if j.kind != "level_at_least":
                continue
            itself = result.probability_by(j.item, within, "decided")
            explained = "this tier itself is decided on" in text
            assert explained == (judgments.percent(itself) != judgments.percent(j.probability))
