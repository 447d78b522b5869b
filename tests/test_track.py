"""The tracker's forward filter: exact against brute force, consistent with the engine, and the
properties issue 12 asks for. Observation logs here are ILLUSTRATIVE (invented)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from toolkit.engine.compile import compile_model
from toolkit.engine.simulation import simulate
from toolkit.errors import ParameterError
from toolkit.pack.load import Pack
from toolkit.track.chain import DAYS_PER_MONTH
from toolkit.track.filter import Evidence, Filter
from toolkit.track.tracker import applied_day, track

from .conftest import ROOT
from .engine_factory import chain_pack, compile_fake

STORY = ROOT / "tests" / "fixtures" / "tracker" / "story.yaml"
START = dt.date(2024, 10, 27)
PROPS = settings(derandomize=True, max_examples=25, deadline=None)


# -- brute force on a small ladder --------------------------------------------------------------
def brute_force(move: float, n: int, days: list[int], evidence: list[Evidence]) -> np.ndarray:
    """P(phase on the last grid day | evidence) by summing over every phase sequence on the grid."""
    q = np.zeros((n, n))
    for k in range(n - 1):
        q[k, k + 1] = move
    q -= np.diag(q.sum(axis=1))
    steps = [expm(q * ((d1 - d0) / DAYS_PER_MONTH)) for d0, d1 in itertools.pairwise(days)]
    post = np.zeros(n)
    for seq in itertools.product(range(n), repeat=len(days)):
        p = 1.0 if seq[0] == 0 else 0.0
        for (a, b), step in zip(itertools.pairwise(seq), steps, strict=True):
            p *= step[a, b]
        for e in evidence:
            like = e.phase_likelihood()
            assert like is not None
            p *= like[seq[days.index(e.day)]]
        post[seq[-1]] += p
    return post / post.sum()


def indicator(
    id_: str, day: int, p: list[float], trust: float, present: bool = True, target: str = "i"
) -> Evidence:
    return Evidence(id_, day, "indicator", target, present, trust, np.array(p))


@pytest.mark.parametrize("present", [True, False])
def test_filter_equals_brute_force_enumeration(present: bool) -> None:
    model = compile_fake(chain_pack(steps=3, move=0.8))
    evidence = [
        indicator("a", 5, [0.7, 0.2, 0.05], 0.9, present),
        indicator("b", 25, [0.1, 0.6, 0.3], 0.6),
        indicator("c", 25, [0.05, 0.2, 0.8], 0.3, not present),
    ]
    fw = Filter(model).forward(40, evidence, step_days=10, influence=False)
    assert fw.days == (0, 5, 10, 20, 25, 30, 40)
    expected = brute_force(0.8, 3, list(fw.days), evidence)
    np.testing.assert_allclose(fw.phases, expected, atol=1e-12)
    # the day-by-day history ends where the filter ends
    np.testing.assert_allclose(fw.phase_history[-1], fw.phases)


def test_filter_without_evidence_is_the_chain() -> None:
    model = compile_fake(chain_pack(steps=2, move=0.5))
    fw = Filter(model).forward(61, [], influence=False)  # about two months
    stay = math.exp(-0.5 * 61 / DAYS_PER_MONTH)
    np.testing.assert_allclose(fw.phases, [stay, 1 - stay], atol=1e-12)
    # one phase, one technology: P(transferred by t) = 1 - exp(-h t), h = -ln(1 - 0.5) / 12
    single = compile_fake(chain_pack(steps=1, transfer=0.5))
    fw = Filter(single).forward(365, [], influence=False)
    h = -math.log(0.5) / 12
    assert fw.transferred["t1"] == pytest.approx(1 - math.exp(-h * 365 / DAYS_PER_MONTH), abs=1e-9)


def test_transfer_and_decision_reports_update_their_target_by_bayes() -> None:
    model = compile_fake(chain_pack(steps=1, transfer=0.5, lag=0, will=0.3))
    flt = Filter(model)
    prior = flt.forward(100, [], influence=False)
    w = 0.64
    for kind, target, before in (
        ("transferred", "t1", prior.transferred["t1"]),
        ("decided", "r", None),
    ):
        seen = Evidence("x", 100, kind, target, True, w)
        fw = flt.forward(100, [seen])
        got = fw.transferred["t1"] if kind == "transferred" else fw.decided["r"]
        p = before if before is not None else prior.decided["r"]
        assert got == pytest.approx(p / (p + (1 - p) * (1 - w)), abs=1e-9)
        assert fw.influence["x"] == pytest.approx(abs(got - p), abs=1e-9)
        denied = flt.forward(100, [Evidence("y", 100, kind, target, False, w)])
        got = denied.transferred["t1"] if kind == "transferred" else denied.decided["r"]
        assert got == pytest.approx(p * (1 - w) / (p * (1 - w) + 1 - p), abs=1e-9)
        # a report about a technology or a tier leaves the phases alone
        np.testing.assert_allclose(fw.phases, prior.phases)


@pytest.mark.slow
def test_no_evidence_matches_the_engine(pack: Pack) -> None:
    """Without observations the filter's phases, transfers and decisions six months on are the
    engine's (point parameters; Monte Carlo tolerance, a day's resolution for lags)."""
    model = compile_model(pack, "baseline")
    model = model.with_overrides(
        dict(zip(model.parameters.ids, model.parameters.value.tolist(), strict=True))
    )
    fw = Filter(model).forward(round(6 * DAYS_PER_MONTH), [], influence=False)
    res = simulate(model, paths=100_000, months=6, seed=3)
    phases = res.phases.filter(pl.col("month") == 6)
    for phase, p in zip(phases["phase"].cast(str), phases["probability"], strict=True):
        assert fw.phases[model.phases.index(phase)] == pytest.approx(p, abs=0.006), phase
    tech = res.transfers.filter(pl.col("month") == 6)
    for name, p in zip(tech["technology"].cast(str), tech["probability"], strict=True):
        assert fw.transferred[name] == pytest.approx(p, abs=0.006), name
    for row in res.summary(within=6)["responses"]:
        assert fw.decided[row["tier"]] == pytest.approx(row["p_within"], abs=0.008), row["tier"]


# -- the pack-level API ----------------------------------------------------------------------
def test_story_moves_from_training_to_combat(pack: Pack) -> None:
    """The illustrative fixture story: the posterior leaves training, passes through the westward
    move and ends in combat."""
    at = {d: track(pack, d, STORY) for d in ("2024-10-27", "2024-11-15", "2024-12-31")}
    start, mid, end = at.values()
    assert start.phases["adaptation_training"] == pytest.approx(1.0)
    assert start.observations_used == ()

    def combat(r: Any) -> float:
        return float(r.phases["frontline_combat"] + r.phases["combat_in_ukraine"])

    assert mid.phases["westward_movement"] > 0.2
    assert combat(start) < combat(mid) < combat(end)
    assert start.phases["adaptation_training"] > mid.phases["adaptation_training"]
    assert mid.phases["adaptation_training"] > end.phases["adaptation_training"]
    assert combat(end) > 0.6
    assert max(end.phases, key=end.phases.__getitem__) == "frontline_combat"
    # without the log, the model alone is far less sure of combat by then
    assert combat(track(pack, "2024-12-31")) < combat(end) - 0.3
    assert mid.observations_used == ("o_westward_trains", "o_near_border", "o_sanctions")
    assert len(end.observations_used) == 10
    top = end.most_influential(2)["id"].to_list()
    assert top == ["o_sanctions", "o_combat_confirmed"]
    assert end.decided["economic_measures"] > mid.decided["economic_measures"] > 0.5
    assert end.transferred["air_defence"] > track(pack, "2024-12-31").transferred["air_defence"]
    js = end.to_json()
    assert list(js) == ["as_of", "phases", "transferred", "decided", "observations_used"]
    assert js["as_of"] == "2024-12-31"


def test_as_of_defaults_and_limits(pack: Pack) -> None:
    # today's date capped at the last observation reported
    assert track(pack, None, STORY, today=dt.date(2026, 11, 30)).as_of == dt.date(2024, 12, 18)
    assert track(pack, None, STORY, today=dt.date(2024, 11, 10)).as_of == dt.date(2024, 11, 10)
    assert track(pack, today=dt.date(2026, 11, 30)).as_of == START  # an empty log
    with pytest.raises(ParameterError, match="before the pack's start date 2024-10-27"):
        track(pack, "2024-10-01")
    with pytest.raises(ParameterError, match="as_of expects a date YYYY-MM-DD"):
        track(pack, "soon")


def test_weekly_steps_agree_with_daily(pack: Pack) -> None:
    daily = track(pack, "2024-12-31", STORY)
    weekly = track(pack, "2024-12-31", STORY, step_days=7)
    for phase, p in daily.phases.items():
        assert weekly.phases[phase] == pytest.approx(p, abs=1e-9)  # same days: exact
    assert weekly.history.height < daily.history.height


def test_coarse_precision_is_applied_mid_window() -> None:
    assert applied_day(dt.date(2024, 11, 1), "day", dt.date(2024, 11, 9)) == dt.date(2024, 11, 1)
    assert applied_day(dt.date(2024, 11, 1), "week", dt.date(2024, 11, 9)) == dt.date(2024, 11, 4)
    assert applied_day(dt.date(2024, 11, 1), "month", dt.date(2024, 11, 9)) == dt.date(2024, 11, 9)


def test_a_csv_log_gives_the_same_answer(pack: Pack, tmp_path: Path) -> None:
    import csv

    import yaml

    records = yaml.safe_load(STORY.read_text())["observations"]
    fields = sorted({k for r in records for k in r})
    path = tmp_path / "story.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: ("false" if v is False else v) for k, v in r.items()} for r in records)
    assert track(pack, "2024-12-31", path).to_json() == track(pack, "2024-12-31", STORY).to_json()


# -- properties (hypothesis, derandomized) -------------------------------------------------------
GRADES = "ABCDE"
DAYS = st.integers(min_value=0, max_value=90)


def record(
    indicator_id: str, day: int, rel: str, cred: int, present: bool = True, **kw: Any
) -> dict[str, Any]:
    when = START + dt.timedelta(days=day)
    return {
        "id": kw.pop("id", "o_illustrative"),
        "observed": when,
        "reported": kw.pop("reported", when),
        "indicator": indicator_id,
        "present": present,
        "source": "Illustrative",
        "reliability": rel,
        "credibility": cred,
    } | kw


def tv(a: dict[str, float], b: dict[str, float]) -> float:
    return 0.5 * sum(abs(a[k] - b[k]) for k in a)


@pytest.fixture(scope="module")
def indicators(pack: Pack) -> list[str]:
    return [str(i) for i in pack.indicators["id"]]


@pytest.fixture(scope="module")
def priors(pack: Pack) -> dict[int, dict[str, float]]:
    return {}


def prior(pack: Pack, priors: dict[int, dict[str, float]], day: int) -> dict[str, float]:
    if day not in priors:
        priors[day] = track(pack, START + dt.timedelta(days=day), []).phases
    return priors[day]


@PROPS
@given(
    obs=st.lists(
        st.tuples(
            st.integers(0, 13), DAYS, st.sampled_from("ABCDEF"), st.integers(1, 6), st.booleans()
        ),
        max_size=6,
    ),
    as_of=DAYS,
)
def test_posterior_is_a_distribution(
    pack: Pack, indicators: list[str], obs: list[tuple[int, int, str, int, bool]], as_of: int
) -> None:
    records = [
        record(indicators[i], d, rel, cred, present, id=f"o{n}")
        for n, (i, d, rel, cred, present) in enumerate(obs)
    ]
    r = track(pack, START + dt.timedelta(days=as_of), records)
    assert sum(r.phases.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(-1e-12 <= p <= 1 + 1e-12 for p in r.phases.values())
    for p in [*r.transferred.values(), *r.decided.values()]:
        assert -1e-12 <= p <= 1 + 1e-12
    assert set(r.observations_used) == {rec["id"] for rec in records if rec["observed"] <= r.as_of}


@PROPS
@given(
    i=st.integers(0, 13),
    day=DAYS,
    later=st.integers(0, 30),
    strong=st.tuples(st.integers(0, 4), st.integers(1, 5)),
    weaker=st.tuples(st.integers(0, 4), st.integers(0, 4)),
    present=st.booleans(),
)
def test_a_stronger_grade_moves_it_more(
    pack: Pack,
    indicators: list[str],
    priors: dict[int, dict[str, float]],
    i: int,
    day: int,
    later: int,
    strong: tuple[int, int],
    weaker: tuple[int, int],
    present: bool,
) -> None:
    rel, cred = strong
    weak_rel, weak_cred = min(rel + weaker[0], 4), min(cred + weaker[1], 5)
    as_of = START + dt.timedelta(days=day + later)
    base = prior(pack, priors, day + later)
    moved = {}
    for grade in ((rel, cred), (weak_rel, weak_cred)):
        rec = record(indicators[i], day, GRADES[grade[0]], grade[1], present)
        moved[grade] = tv(track(pack, as_of, [rec]).phases, base)
    assert moved[(rel, cred)] >= moved[(weak_rel, weak_cred)] - 1e-12


@PROPS
@given(i=st.integers(0, 13), day=DAYS, later=st.integers(0, 30), present=st.booleans())
def test_an_f6_report_barely_moves_it(
    pack: Pack,
    indicators: list[str],
    priors: dict[int, dict[str, float]],
    i: int,
    day: int,
    later: int,
    present: bool,
) -> None:
    as_of = START + dt.timedelta(days=day + later)
    got = track(pack, as_of, [record(indicators[i], day, "F", 6, present)]).phases
    assert tv(got, prior(pack, priors, day + later)) < 0.03
    a1 = track(pack, as_of, [record(indicators[i], day, "A", 1, present)]).phases
    assert tv(got, prior(pack, priors, day + later)) <= tv(a1, prior(pack, priors, day + later))


@PROPS
@given(i=st.integers(0, 13), day=DAYS, delay=st.integers(1, 30), rel=st.sampled_from("ABCDEF"))
def test_a_report_after_as_of_changes_nothing(
    pack: Pack,
    indicators: list[str],
    priors: dict[int, dict[str, float]],
    i: int,
    day: int,
    delay: int,
    rel: str,
) -> None:
    as_of = START + dt.timedelta(days=day)
    rec = record(indicators[i], day, rel, 1, reported=as_of + dt.timedelta(days=delay))
    r = track(pack, as_of, [rec])
    assert r.observations_used == ()
    assert r.phases == prior(pack, priors, day)
    assert track(pack, as_of + dt.timedelta(days=delay), [rec]).observations_used == (rec["id"],)


@PROPS
@given(i=st.integers(0, 13), day=DAYS, rel=st.sampled_from("ABCDE"), cred=st.integers(1, 5))
def test_an_absent_report_lowers_its_phase(
    pack: Pack,
    indicators: list[str],
    priors: dict[int, dict[str, float]],
    i: int,
    day: int,
    rel: str,
    cred: int,
) -> None:
    phase = str(pack.indicators["phase"][i])
    base = prior(pack, priors, day)
    got = track(
        pack, START + dt.timedelta(days=day), [record(indicators[i], day, rel, cred, False)]
    )
    assert got.phases[phase] <= base[phase] + 1e-12
    if 1e-6 < base[phase] < 1 - 1e-6:
        assert got.phases[phase] < base[phase]
    seen = track(
        pack, START + dt.timedelta(days=day), [record(indicators[i], day, rel, cred, True)]
    )
    assert seen.phases[phase] >= base[phase] - 1e-12


# -- the same report logged twice ----------------------------------------------------------------
def test_the_same_report_logged_twice_counts_once(pack: Pack, indicators: list[str]) -> None:
    """Same source, target and presence, overlapping windows: one report (the most trusted), the
    other listed as repeating it; another source on the same target corroborates (moves it more)."""
    as_of = START + dt.timedelta(days=40)
    once = record(indicators[3], 10, "B", 2, id="o_first")
    again = record(indicators[3], 10, "C", 3, id="o_again", reported=START + dt.timedelta(days=12))
    week = record(
        indicators[3], 8, "B", 2, id="o_week", precision="week", source=" illustrative ",
        reported=START + dt.timedelta(days=15),
    )  # fmt: skip
    single = track(pack, as_of, [once])
    twice = track(pack, as_of, [once, again, week])
    assert twice.phases == single.phases
    assert set(twice.observations_used) == {"o_first", "o_again", "o_week"}  # all listed
    repeats = dict(twice.evidence.select("id", "repeats").iter_rows())
    assert repeats == {"o_first": None, "o_again": "o_first", "o_week": "o_first"}
    assert twice.evidence.filter(pl.col("repeats").is_not_null())["influence"].to_list() == [0, 0]

    other = record(indicators[3], 10, "B", 2, id="o_other", source="Another outlet")
    later = record(indicators[3], 20, "B", 2, id="o_later")  # the same source, a later sighting
    base = track(pack, as_of, []).phases
    for corroborated in (track(pack, as_of, [once, other]), track(pack, as_of, [once, later])):
        assert corroborated.evidence["repeats"].is_null().all()
        assert tv(corroborated.phases, base) > tv(single.phases, base)


def test_sources_are_counted_as_the_tracker_tells_them_apart_and_long_ids_stay_apart(
    pack: Pack,
) -> None:
    """The report counted "Yonhap" and " yonhap " as two sources where the tracker counts one
    report; the tracker's text ran a long id into its date (found in a bug hunt). ILLUSTRATIVE."""
    from toolkit.cli.describe import describe_track
    from toolkit.report.narrative import describe_as_of

    base = {
        "observed": "2024-11-04", "reported": "2024-11-05", "indicator": "i_westward_transport",
        "reliability": "B", "credibility": 2,
    }  # fmt: skip
    records = [
        base | {"id": "o_a_rather_long_observation_identifier", "source": "Yonhap (NIS briefing)"},
        base | {"id": "o_b", "source": "  yonhap  (nis briefing) "},
    ]
    tracked = track(pack, "2024-11-10", records)
    assert "from 1 source(s)" in describe_as_of(tracked, pack, True)
    line = next(x for x in describe_track(tracked).splitlines() if "rather_long" in x)
    assert "o_a_rather_long_observation_identifier  2024-11-04" in line


def test_indicators_of_one_sentence_are_read_as_one_report(pack: Pack) -> None:
    """`toolkit ingest` proposes one observation per indicator a sentence names; accepted together
    they counted as independent reports, each trusted on its own. One source's sentence is one
    report: right about all of them (with its trust) or saying nothing. ILLUSTRATIVE records."""
    import numpy as np

    from toolkit.track.tracker import _p_seen

    # a sentence of the article as the quote (a quote is checked against its text); the records
    # themselves are invented: the article reports no sighting
    quote = "these troops could be placed on active battlefields or assigned to support roles"
    base = {
        "observed": "2024-11-04", "reported": "2024-11-04", "source": "Illustrative wire",
        "reliability": "C", "credibility": 3, "quote": quote, "text": "article.txt",
    }  # fmt: skip
    targets = ("i_on_active_battlefields", "i_actual_combat_confirmed")
    known = set(pack.indicators["id"].to_list())
    assert set(targets) <= known, sorted(known)
    joint = [{**base, "id": f"o_{t}", "indicator": t} for t in targets]
    apart = [{**r, "source": f"Illustrative wire {i}"} for i, r in enumerate(joint)]
    together, separate = (
        track(pack, "2024-11-04", rows, today=dt.date.max) for rows in (joint, apart)
    )
    assert together.evidence.filter(pl.col("one_report").is_not_null())["id"].to_list() == [
        "o_i_on_active_battlefields"
    ]
    assert separate.evidence["one_report"].null_count() == 2
    # a quote of fewer than four words is a phrase, not a sentence: no group
    short = [{**r, "quote": "on active battlefields"} for r in joint]
    assert (
        track(pack, "2024-11-04", short, today=dt.date.max).evidence["one_report"].null_count() == 2
    )
    # the joint likelihood, applied on the day to the prior of that day
    prior = track(pack, "2024-11-04", [], today=dt.date.max).phases
    seen = _p_seen(pack, list(prior))
    rel, cred = 0.6, 0.6  # C3 (admiralty.yaml): the source once, each claim on its own
    like = rel * np.prod([cred * seen[t] + 1 - cred for t in targets], axis=0) + (1 - rel)
    post = np.array(list(prior.values())) * like
    want = post / post.sum()
    got = np.array(list(together.phases.values()))
    assert np.abs(got - want).max() < 1e-12
    import html

    from toolkit.report.narrative import describe_observations

    text = html.unescape(describe_observations(together, pack))  # table cells are escaped
    assert "— (one report with o_i_actual_combat_confirmed)" in text
    # the watch chart gives the report's influence to each indicator it names (it gave it all to
    # the first: found in review)
    from toolkit import charts

    spec = charts.chart_watch(together, pack).to_dict()
    rows = [r for d in spec.get("datasets", {}).values() for r in d if "influence" in r]
    seen_rows = {r["indicator"]: r["influence"] for r in rows if r["indicator"] in targets}
    assert set(seen_rows) == set(targets)
    assert len(set(seen_rows.values())) == 1
    assert next(iter(seen_rows.values())) > 0
    # a claim left at a draft's F6 beside a reviewed one: it barely moves the reviewed one's
    # effect (with the least trust of the two, the F6 claim undid it: found in review)
    reviewed = [{**joint[0], "reliability": "B", "credibility": 2}]
    both = [*reviewed, {**joint[1], "reliability": "F", "credibility": 6}]
    one, two = (track(pack, "2024-11-04", rows, today=dt.date.max) for rows in (reviewed, both))
    p_one, p_two = (
        sum(t.phases[p] for p in ("frontline_combat", "combat_in_ukraine")) for t in (one, two)
    )
    assert p_two >= 0.9 * p_one
    # two independent sources move the estimate further than one source's one sentence
    front = ("frontline_combat", "combat_in_ukraine")
    assert sum(separate.phases[p] for p in front) > sum(together.phases[p] for p in front)
