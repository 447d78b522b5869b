"""Sensitivity (tornado) and the deterministic policy table."""

from __future__ import annotations

import polars as pl
import pytest

from tests.engine_factory import compile_fake, count, make_pack, param
from toolkit.engine.analysis import compare_claims, compute_tornado, tabulate_policy
from toolkit.engine.compile import compile_model
from toolkit.engine.simulation import simulate
from toolkit.errors import ParameterError
from toolkit.pack.load import Pack


@pytest.fixture(scope="module")
def tornado(pack: Pack) -> pl.DataFrame:
    return compute_tornado(
        pack,
        "lethal_weapons",
        12,
        parameters=[
            "lethal_will",
            "lethal_lag",
            "transfer_strategic",
            "rate_westward_to_frontline",
        ],
        paths=3_000,
        seed=5,
    )


def test_tornado_columns_and_order(tornado: pl.DataFrame) -> None:
    assert tornado.columns == [
        "parameter",
        "label",
        "low",
        "high",
        "range",
        "outcome_low",
        "outcome_high",
        "outcome",
        "within",
        "baseline",
        "swing",
        "paths",
        "seed",
    ]
    assert (tornado["paths"].unique().to_list(), tornado["seed"].unique().to_list()) == (
        [3_000],
        [5],
    )
    swings = tornado["swing"].to_list()
    assert swings == sorted(swings, reverse=True)
    assert set(tornado["range"]) == {"band"}


def test_tornado_directions_and_common_random_numbers(tornado: pl.DataFrame) -> None:
    rows = {r["parameter"]: r for r in tornado.iter_rows(named=True)}
    assert rows["lethal_will"]["outcome_high"] > rows["lethal_will"]["outcome_low"]
    assert rows["lethal_lag"]["outcome_high"] < rows["lethal_lag"]["outcome_low"]
    assert (
        rows["rate_westward_to_frontline"]["outcome_high"]
        > rows["rate_westward_to_frontline"]["outcome_low"]
    )
    # lethal aid depends on reaching combat, not on transfers: with the same random numbers the
    # outcome does not move at all
    assert rows["transfer_strategic"]["swing"] == 0.0
    assert (rows["lethal_will"]["low"], rows["lethal_will"]["high"]) == (0.04, 0.25)


def test_tornado_swings_a_bandless_parameter_over_its_plausible_range_or_leaves_it_out(
    pack: Pack,
) -> None:
    """Issue 11, item 6: never over the whole valid range (troop scale 1 to 100,000)."""
    table = compute_tornado(
        pack,
        "conventional",
        6,
        parameters=["large_scale_troops", "rate_westward_to_frontline", "diplomatic_will"],
        paths=1_000,
    )
    rows = {r["parameter"]: r for r in table.iter_rows(named=True)}
    scale = rows["large_scale_troops"]
    assert scale["range"] == "plausible range"
    assert (scale["low"], scale["high"]) == (5000, 20000)
    assert scale["outcome_low"] > scale["outcome_high"]  # a larger reference scales the hazard down
    rear_only = compute_tornado(
        pack, "frontline_combat", 6, "rear_support_only",
        parameters=["rate_westward_to_frontline"], paths=1_000,
    )  # fmt: skip
    assert rear_only.row(0, named=True)["range"].startswith("left out")  # set to 0, no band
    left = rows["diplomatic_will"]
    assert left["range"].startswith("left out: no band and no plausible range")
    assert left["swing"] is None
    assert table["parameter"][-1] == "diplomatic_will"  # left-out rows sort last
    with pytest.raises(ParameterError, match="unknown outcome"):
        compute_tornado(pack, "victory", parameters=["lethal_will"], paths=100)


def test_policy_table_of_the_default_pack(pack: Pack) -> None:
    table = tabulate_policy(pack)
    model = compile_model(pack)
    assert table.height == len(model.phases) * 3
    assert table.schema["response"].categories.to_list() == ["none", *model.responses]  # type: ignore[attr-defined]
    cell = {(r["phase"], r["transferred"]): r["response"] for r in table.iter_rows(named=True)}
    assert cell[("adaptation_training", "none")] == "recovery_support"
    assert cell[("adaptation_training", "strategic")] == "defensive_support"
    assert cell[("rear_support", "none")] == "defensive_support"
    for tier in ("none", "conventional", "strategic"):
        assert cell[("combat_in_ukraine", tier)] == "lethal_weapons"  # Seoul's "actual combat"
        assert cell[("frontline_combat", tier)] == "defensive_support"  # on Russian soil: not it
    assert "personnel_troops" not in set(table["response"].cast(pl.String))
    assert all("diplomatic_pressure" in opened for opened in table["opened"])


def test_policy_table_reads_reached_as_the_phases_every_route_passes() -> None:
    params = {
        "troops": param(1, kind="int", lo=0, hi=10, unit="troops"),
        "large_scale_troops": param(1, kind="int", lo=1, hi=10, unit="troops"),
        "compensation_horizon": count(12, lo=1, hi=60),
        "p": param(0.3),
        "k": param(1.0, lo=0, hi=5, unit="ratio"),
        "transfer_x": param(0.5, unit="probability"),
        "lag": count(0),
        "will": param(1.0),
    }
    # a -> b -> d and a -> c -> d: d is reached only via b or c, so `reached: b` does not hold in d
    fake = make_pack(
        phases=[("a", 0, "k"), ("b", 1, "k"), ("c", 1, "k"), ("d", 2, "k")],
        transitions=[("a", "b", "p"), ("a", "c", "p"), ("b", "d", "p"), ("c", "d", "p")],
        technologies={"x": ["t"]},
        responses=[
            {"id": "via_b", "lag": "lag", "will": "will", "conditions": [("reached", "b")]},
            {"id": "via_a", "lag": "lag", "will": "will", "conditions": [("reached", "a")]},
            {"id": "tech", "lag": "lag", "will": "will", "conditions": [("transferred", "t")]},
        ],
        params=params,
    )
    table = tabulate_policy(compile_fake(fake))
    opened = {(r["phase"], r["transferred"]): r["opened"] for r in table.iter_rows(named=True)}
    assert opened[("b", "none")] == ["via_b", "via_a"]
    assert opened[("d", "none")] == ["via_a"]
    assert opened[("d", "x")] == ["via_a", "tech"]


def test_words_vs_model_flags_the_claims_the_model_contradicts(pack: Pack) -> None:
    """Each claim naming an event gets the model's probability of that event; the verdict says where
    it leaves the phrase's band, in either direction."""
    result = simulate(pack, paths=4_000, months=24, seed=2)
    table = compare_claims(pack, result)
    events = pack.claims.filter(pl.col("event_kind").is_not_null())
    assert table["claim"].to_list() == events["id"].to_list()
    for row in table.iter_rows(named=True):
        p = result.probability_by(row["event_target"], row["within"], kind=row["event_kind"])
        assert row["probability"] == p
        expected = "below" if p < row["low"] else "above" if p > row["high"] else "within"
        assert row["verdict"] == expected
        assert row["assumption"]
    verdict = dict(zip(table["claim"], table["verdict"], strict=True))
    assert verdict["c_next_phase_westward"] == "above"  # ~96 % vs "potentially" (20-70 %)
    assert verdict["c_possible_frontline_deployment"] == "within"
    # nobody leaves training: the westward move falls below "potentially"'s band
    stuck = simulate(pack, paths=2_000, months=24, seed=2, rate_training_to_westward=0.0)
    verdict = dict(zip(*compare_claims(pack, stuck).select("claim", "verdict"), strict=True))
    assert verdict["c_next_phase_westward"] == "below"
    assert verdict["c_troops_expected_deployed"] == "below"
    short = compare_claims(pack, simulate(pack, paths=200, months=6, seed=2))
    assert set(short["verdict"]) == {"past the run"}
    assert short["probability"].null_count() == short.height


def test_probability_by_kind_picks_the_event(pack: Pack) -> None:
    result = simulate(pack, paths=500, months=6, seed=1)
    assert result.probability_by("strategic", 6, kind="tier_transferred") == (
        result.probability_by("strategic", 6)
    )
    with pytest.raises(ParameterError, match="unknown outcome 'strategic'"):
        result.probability_by("strategic", 6, kind="reached")
    with pytest.raises(ParameterError, match="unknown event kind 'seen'"):
        result.probability_by("strategic", 6, kind="seen")
