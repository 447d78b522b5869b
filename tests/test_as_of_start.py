"""A run started as of a later date (issue 12): the engine starts from the tracker's posterior, with the
technologies already transferred and the tiers already decided by then, not only the phases.

Observation logs here are ILLUSTRATIVE (invented)."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import pytest

from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model
from toolkit.engine.simulation import simulate
from toolkit.errors import ParameterError
from toolkit.pack.load import Pack
from toolkit.track.forecast import simulate as simulate_as_of
from toolkit.track.tracker import track

from .conftest import ROOT, point_values

STORY = ROOT / "tests" / "fixtures" / "tracker" / "story.yaml"
PATHS = 20_000


def close(got: float, want: float, paths: int = PATHS) -> bool:
    """Within four Monte Carlo standard errors (and float noise at 0 and 1)."""
    return abs(got - want) <= 4 * math.sqrt(want * (1 - want) / paths) + 1e-9


@pytest.fixture(scope="module")
def model(pack: Pack) -> Model:
    return compile_model(pack)


def test_transfers_and_decisions_carry_into_month_0(model: Model) -> None:
    res = simulate(
        model, paths=PATHS, months=12, seed=3,
        start_transferred={"satellite": 0.3, "air_defence": 0.0},
        start_decided={"economic_measures": 0.4, "lethal_weapons": 0.1},
    )  # fmt: skip
    at0 = {t: res.probability_by(t, 0, "transferred") for t in model.technologies}
    assert close(at0["satellite"], 0.3)
    # the pack's up-front payment belongs to the article's date: an as-of start replaces it
    assert at0["air_defence"] == 0.0
    assert all(p == 0.0 for t, p in at0.items() if t != "satellite")
    assert close(res.probability_by("economic_measures", 0, "decided"), 0.4)
    assert close(res.probability_by("lethal_weapons", 0, "decided"), 0.1)
    assert res.probability_by("recovery_support", 0, "decided") == 0.0  # considered: not at 0
    # what is done stays done; the rest follows the model from month 0
    assert res.probability_by("satellite", 12, "transferred") >= at0["satellite"]
    summary = res.summary()
    assert summary["start_transferred"] == {"satellite": 0.3}
    assert summary["start_decided"] == {"economic_measures": 0.4, "lethal_weapons": 0.1}
    assert res.inputs["start_decided"] == summary["start_decided"]


def test_a_start_at_the_articles_date_is_unchanged(model: Model) -> None:
    assert model.with_start(None) is model
    plain = simulate(model, paths=3_000, months=6, seed=5)
    assert "start_transferred" not in plain.summary()
    # the up-front payment applies at the pack's own time 0
    assert plain.probability_by("air_defence", 0, "transferred") > 0


def test_never_decided_is_drawn_among_the_paths_not_yet_decided(model: Model) -> None:
    """A tier decided already with probability q: the other paths follow the model, their never-decide
    share included, so P(decided by the horizon) = q + (1 - q) * P(decided by the horizon from the
    same start without it)."""
    tiers = [r for r, i in zip(model.responses, model.never_param, strict=True) if i >= 0]
    assert tiers, "the default pack has a tier that may never be decided"
    tier, q, months = tiers[0], 0.5, 60
    res = simulate(model, paths=PATHS, months=months, seed=11, start_decided={tier: q})
    base = simulate(model, paths=PATHS, months=months, seed=11)
    p_base = base.probability_by(tier, months, "decided")
    assert 0.05 < p_base < 0.95
    assert close(res.probability_by(tier, months, "decided"), q + (1 - q) * p_base)
    share = base.never_decided()[tier]["share"]
    assert res.never_decided()[tier]["share"] == pytest.approx(share * (1 - q))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"start_transferred": {"warp_drive": 0.2}},
            "transferred: unknown technology 'warp_drive'",
        ),
        ({"start_transferred": {"satellite": 1.5}}, "share of 'satellite' must be in [0, 1]"),
        ({"start_decided": {"personnel_troops": 0.2}}, "tier 'personnel_troops' is ruled out"),
        ({"start_decided": {"economic_measures": True}}, "must be in [0, 1], got True"),
    ],
)
def test_bad_start_items_are_one_line_errors(
    model: Model, kwargs: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        simulate(model, paths=100, months=2, **kwargs)  # type: ignore[arg-type]


def test_simulate_as_of_starts_from_the_trackers_whole_posterior(pack: Pack) -> None:
    tracked = track(pack, None, STORY, today=None)
    assert any(p > 0.05 for p in tracked.transferred.values()), "the story reports a transfer"
    assert any(p > 0.05 for p in tracked.decided.values()), "the story reports a decision"
    res = simulate_as_of(pack, as_of=tracked.as_of, observations=STORY, paths=PATHS, months=3)
    for tech, p in tracked.transferred.items():
        assert close(res.probability_by(tech, 0, "transferred"), p), tech
    for tier, p in tracked.decided.items():
        assert close(res.probability_by(tier, 0, "decided"), p), tier
    for phase, p in tracked.phases.items():
        got = res.phases.filter((res.phases["month"] == 0) & (res.phases["phase"] == phase))
        assert close(float(got["probability"].sum()), p), phase


def test_the_explorer_grid_of_an_as_of_report_starts_from_the_posterior(pack: Pack) -> None:
    from toolkit.track.forecast import grid_from, tracked_start

    tracked = track(pack, None, STORY, today=None)
    grid = grid_from(tracked, pack, paths=400, months=3)
    begin = tracked_start(tracked)
    assert grid.start == tracked.as_of  # month 0 on the sliders' charts
    assert dict(grid.start_state) == pytest.approx(begin.phases)
    from toolkit.engine.grid import compute_explorer_grid

    plain = compute_explorer_grid(pack, paths=400, months=3)  # from the article's date
    assert plain.start == pack.meta.publication.date
    assert not plain.frame.equals(grid.frame)


def test_the_explorer_of_an_as_of_report_names_month_0_the_as_of_date(pack: Pack) -> None:
    """Found in a bug hunt: in an as-of report the in-file explorer's axis said "month 0 = ..., the
    article's date" while its runs start at the as-of date (the other model charts said so); its
    caption's start shares are named as the tracker's estimate on that date."""
    from toolkit import charts
    from toolkit.engine.grid import compute_explorer_grid
    from toolkit.track.forecast import grid_from

    tracked = track(pack, "2024-12-31", STORY)
    small = {"grid": {"troops": (5_000, 15_000)}, "paths": 200, "months": 2}
    spec = json.dumps(charts.chart_explorer_grid(grid_from(tracked, pack, **small)).to_dict())
    assert "Month (month 0 = December 2024, the as-of date 31 Dec 2024)" in spec
    assert "the article's date" not in spec
    assert "start (the tracker's estimate on 31 Dec 2024): " in spec
    plain = json.dumps(charts.chart_explorer_grid(compute_explorer_grid(pack, **small)).to_dict())
    assert "Month (month 0 = October 2024, the article's date)" in plain
    assert "as-of" not in plain


def test_an_as_of_start_on_the_packs_date_pays_up_front_as_the_engine_does(
    pack: Pack, model: Model
) -> None:
    """On the pack's own date, with no observation, the tracker's chance of each technology having
    been paid up front is the mean of its up-front band, as the engine draws it per path (it was
    the band's point value: 0.050 for air defence against the engine's 0.067; found in a bug hunt)."""
    tracked = track(pack, pack.meta.publication.date, [])
    direct = simulate(model, paths=PATHS, months=1, seed=4)
    table = model.parameters
    for t, tech in enumerate(model.technologies):
        i = int(model.upfront_param[t])
        expected = table.mean(i) if i >= 0 else 0.0
        assert tracked.transferred[tech] == pytest.approx(expected, abs=1e-12)
        assert close(direct.probability_by(tech, 0, "transferred"), expected)


def test_start_shares_may_be_numpy_numbers(model: Model) -> None:
    """`np.float32(0.75)` was refused as "must be in [0, 1]" (found in a bug hunt)."""
    import numpy as np

    res = simulate(
        model, paths=200, months=2,
        start={"adaptation_training": np.float32(0.75), "withdrawal": np.float32(0.25)},
    )  # fmt: skip
    assert res.model.start_state() == {"adaptation_training": 0.75, "withdrawal": 0.25}


def test_tier_states_and_transfers_by_phase_follow_the_reference(pack: Pack) -> None:
    """An as-of start from the tracker's state (ILLUSTRATIVE story): each tier decided, never,
    latched some months ago (its lag counting from then) or not latched, given the start phase and
    the transfers its trigger reads; each technology transferred given the phase. The engine agrees
    with the per-path reference, which draws the same states one path at a time."""
    import numpy as np

    from tests.reference_engine import run_reference
    from toolkit.track.forecast import tracked_start

    begin = tracked_start(track(pack, None, STORY, today=None))
    assert any(ts.atoms for ts in begin.tiers.values()), "a trigger reads a transfer"
    assert any(ts.latched[:, :-1].sum() > 0 for ts in begin.tiers.values()), "a lag is running"
    model = compile_model(pack).with_start(
        begin.phases, begin.transferred, begin.decided, begin.tiers, begin.reached
    )
    assert model.start_reached is not None
    ref_paths, eng_paths, months = 2_500, 50_000, 12
    ref = run_reference(model, ref_paths, months, seed=7)
    eng = simulate(model, paths=eng_paths, months=months, seed=7).counts
    for name in ("decided", "transfer", "reached"):
        a = np.cumsum(getattr(ref, name), axis=1) / ref_paths
        b = np.cumsum(getattr(eng, name), axis=1) / eng_paths
        p = (a * ref_paths + b * eng_paths) / (ref_paths + eng_paths)
        se = np.sqrt(p * (1 - p) * (1 / ref_paths + 1 / eng_paths))
        assert (np.abs(a - b) <= 4.5 * se + 1.5 / ref_paths).all(), name


def test_a_decided_forecast_counts_the_lags_already_running(pack: Pack) -> None:
    """With every parameter at its point value and no observation, the run started from the
    tracker's state on day 150 gives P(decided by day 300) as the engine does from the pack's date
    (the chain is Markov once the tier's stage is part of the state). The as-of start used to carry
    only "decided or not", so a lag already running started again at month 0: recovery support 0.73
    against 0.83 (37 standard errors), lethal weapons 8 below."""
    from toolkit.engine.compile import compile_model as compile_
    from toolkit.track.chain import DAYS_PER_MONTH
    from toolkit.track.forecast import simulate_from

    model = compile_(pack)
    point = point_values(pack)
    start = pack.meta.publication.date
    tracked = track(pack, start + dt.timedelta(days=150), [], overrides=point)
    paths, month = 20_000, 150 / DAYS_PER_MONTH
    later = simulate_from(tracked, pack, paths=paths, months=6, seed=3, step=1 / 30, **point)
    direct = simulate(
        compile_(pack, "baseline", point), paths=paths, months=11, seed=4, step=1 / 30
    )
    decidable = [r for r, s in zip(model.responses, model.status, strict=True) if s != "ruled_out"]
    for tier in decidable:
        want = direct.probability_by(tier, 300 / DAYS_PER_MONTH, "decided")
        got = later.probability_by(tier, month, "decided")
        se = math.sqrt(2 * want * (1 - want) / paths)
        assert abs(got - want) <= 4 * se + 1e-9, (tier, got, want)


def test_transfers_may_be_given_by_start_phase(model: Model) -> None:
    res = simulate(
        model, paths=4_000, months=2, seed=5, keep_samples=4_000,
        start={"adaptation_training": 0.5, "frontline_combat": 0.5},
        start_transferred={"satellite": {"frontline_combat": 1.0}},
    )  # fmt: skip
    samples = res.samples
    assert samples is not None
    front = samples["reached.frontline_combat"].to_numpy() == 0
    at0 = samples["transfer.satellite"].to_numpy() == 0
    assert (front == at0).all()
    assert res.summary()["start_transferred"]["satellite"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decided": [0.5] * 3}, "needs 6 rows"),
        ({"never": [1.5] * 6}, "shares must be in [0, 1]"),
        ({"decided": [0.6] * 6, "never": [0.6] * 6}, "must sum to at most 1"),
        ({"atoms": ((99,),), "decided": [0.0] * 12, "never": [0.0] * 12}, "known technologies"),
    ],
)
def test_bad_tier_states_are_one_line_errors(
    model: Model, change: dict[str, object], message: str
) -> None:
    import dataclasses

    import numpy as np

    from toolkit.engine.model import TierStart

    good = TierStart(
        decided=np.zeros(6), never=np.zeros(6), latched=np.zeros((6, 0)), elapsed=np.zeros(0)
    )
    bad = dataclasses.replace(good, **change)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=re.escape(message)):
        simulate(model, paths=100, months=2, start_tiers={"economic_measures": bad})
    with pytest.raises(ParameterError, match="tier 'personnel_troops' is never decided"):
        simulate(model, paths=100, months=2, start_tiers={"personnel_troops": good})


def test_a_never_share_set_for_the_run_moves_the_trackers_tier_states(pack: Pack) -> None:
    """The tracker's tier states hold its own never-decide share; a run with another (the live
    explorer's slider, an override) ignored it: lethal weapons decided by month 24 stayed 0.333 for
    a never share of 0 and of 0.9 (found in review). Now the states move by Bayes' rule on the odds,
    so with no observation of the tier the as-of run agrees with the engine's own run from the pack's
    date under the same share."""
    from toolkit.engine.compile import compile_model as compile_
    from toolkit.track.chain import DAYS_PER_MONTH
    from toolkit.track.forecast import simulate_from

    point = point_values(pack)
    start = pack.meta.publication.date
    tracked = track(pack, start + dt.timedelta(days=150), [], overrides=point)
    paths, month = 20_000, 150 / DAYS_PER_MONTH
    for share in (0.0, 0.9):
        run = {**point, "lethal_never": share}
        later = simulate_from(tracked, pack, paths=paths, months=6, seed=3, step=1 / 30, **run)
        direct = simulate(
            compile_(pack, "baseline", run), paths=paths, months=11, seed=4, step=1 / 30
        )
        want = direct.probability_by("lethal_weapons", 300 / DAYS_PER_MONTH, "decided")
        got = later.probability_by("lethal_weapons", month, "decided")
        se = math.sqrt(2 * want * (1 - want) / paths)
        assert abs(got - want) <= 4 * se + 1e-9, (share, got, want)
        assert later.never_decided()["lethal_weapons"]["share"] == pytest.approx(
            direct.never_decided()["lethal_weapons"]["share"], abs=0.02
        )


def test_the_share_decided_at_the_start_weighs_transfers_by_phase(model: Model) -> None:
    """The summary's share decided at month 0 weighed each row as if transfers were independent of
    the phase, while the engine draws them given it: 0.25 against 0.495 (found in review)."""
    import numpy as np

    from toolkit.engine.model import TierStart

    rows, sat = 2 * len(model.phases), model.technologies.index("satellite")
    decided = np.zeros(rows)
    decided[model.phases.index("frontline_combat") * 2 + 1] = 1.0  # frontline and satellite sent
    state = TierStart(
        decided=decided, never=np.zeros(rows), latched=np.zeros((rows, 0)), elapsed=np.zeros(0),
        atoms=((sat,),),
    )  # fmt: skip
    res = simulate(
        model, paths=PATHS, months=2, seed=1,
        start={"adaptation_training": 0.5, "frontline_combat": 0.5},
        start_transferred={"satellite": {"frontline_combat": 1.0}},
        start_tiers={"economic_measures": state},
    )  # fmt: skip
    assert res.summary()["start_decided"] == {"economic_measures": pytest.approx(0.5)}
    assert close(res.probability_by("economic_measures", 0, "decided"), 0.5)


def test_a_phase_gone_through_before_the_as_of_date_counts_as_reached(pack: Pack) -> None:
    """With every parameter at its point value and no observation, the run started from the
    tracker's state on day 150 gives P(phase reached by day 300) as the engine does from the pack's
    date: a phase the path went through before day 150 counts as reached at month 0. The run used
    to count only the start phase and later entries, so a report as of a later date said the move
    west was reached within 12 months on 24 % of paths when the tracker had 93 % of them past it
    (bug hunt); the forecast counted it, so the two disagreed."""
    from toolkit.track.chain import DAYS_PER_MONTH
    from toolkit.track.forecast import simulate_from

    point = point_values(pack)
    start = pack.meta.publication.date
    tracked = track(pack, start + dt.timedelta(days=150), [], overrides=point)
    paths = 20_000
    later = simulate_from(tracked, pack, paths=paths, months=6, seed=3, step=1 / 30, **point)
    direct = simulate(compile_model(pack, "baseline", point), paths=paths, months=11, seed=4,
                      step=1 / 30)  # fmt: skip
    moved = 0
    for phase in later.model.phases:
        for day in (150, 300):  # read at the ends of whole steps (1/30 month), the same in both
            want = direct.probability_by(phase, round(day * 30 / DAYS_PER_MONTH) / 30, "reached")
            got = later.probability_by(
                phase, round((day - 150) * 30 / DAYS_PER_MONTH) / 30, "reached"
            )
            se = math.sqrt(2 * want * (1 - want) / paths)
            assert abs(got - want) <= 4 * se + 1e-9, (phase, day, got, want)
        moved += later.summary()["start_reached"].get(phase, 0.0) > tracked.phases[phase] + 0.05
    assert moved >= 2, "phases gone through before day 150 count, not only the start phase"


def test_phases_reached_before_the_start_leave_the_rest_of_the_run_alone(model: Model) -> None:
    """`start_reached` counts phases at month 0 with the start phase's own uniform: the walk,
    transfers and decisions keep their random numbers, and each phase's share at month 0 is the
    table's over the start state."""
    start = {"adaptation_training": 0.2, "westward_movement": 0.3, "frontline_combat": 0.5}
    reached = {
        "westward_movement": {"frontline_combat": 0.9},
        "rear_support": {"frontline_combat": 0.4, "westward_movement": 0.1},
    }
    plain = simulate(model, paths=PATHS, months=6, seed=2, start=start)
    res = simulate(model, paths=PATHS, months=6, seed=2, start=start, start_reached=reached)
    for name in ("occupancy", "transfer", "decided", "level"):
        assert (getattr(res.counts, name) == getattr(plain.counts, name)).all(), name
    want = {"westward_movement": 0.3 + 0.5 * 0.9, "rear_support": 0.5 * 0.4 + 0.3 * 0.1}
    for phase, p in want.items():
        assert close(res.probability_by(phase, 0, "reached"), p)
    assert res.probability_by("adaptation_training", 0, "reached") == pytest.approx(0.2, abs=0.02)
    assert res.summary()["start_reached"]["westward_movement"] == pytest.approx(0.75)
    with pytest.raises(ParameterError, match="reached: unknown phase 'nope'"):
        simulate(model, paths=10, months=1, start_reached={"nope": 0.5})
