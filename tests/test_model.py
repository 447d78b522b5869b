"""Compiling the pack into a numeric Model; validation of overrides."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from tests.engine_factory import chain_pack, compile_fake
from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model, feasible_range
from toolkit.engine.validate import validate_overrides
from toolkit.errors import PackError, ParameterError, format_number
from toolkit.pack.load import Pack, load_pack

PHASES = (
    "adaptation_training",
    "westward_movement",
    "rear_support",
    "frontline_combat",
    "combat_in_ukraine",
    "withdrawal",
)
RESPONSES = (
    "diplomatic_pressure",
    "economic_measures",
    "recovery_support",
    "defensive_support",
    "lethal_weapons",
    "personnel_troops",
)


@pytest.fixture(scope="module")
def model(pack: Pack) -> Model:
    return compile_model(pack)


def test_compiles_the_ladders_of_the_default_pack(model: Model) -> None:
    assert model.phases == PHASES
    assert model.escalation.tolist() == [0, 1, 2, 3, 4, 0]
    assert model.location == ("russia", None, None, "russia", "ukraine", None)
    assert model.start_state() == {"adaptation_training": 1.0}
    assert model.responses == RESPONSES
    assert model.status == ("active", *["considered"] * 4, "ruled_out")
    assert model.tech_tiers == ("conventional", "strategic")
    tiers = dict(
        zip(model.technologies, (model.tech_tiers[t] for t in model.technology_tier), strict=False)
    )
    assert tiers == {
        "satellite": "strategic",
        "nuclear": "strategic",
        "icbm": "strategic",
        "conventional_strategy": "conventional",
        "air_defence": "conventional",
        "aircraft": "conventional",
    }
    out_of_westward = {
        model.phases[t] for f, t in zip(model.trans_from, model.trans_to, strict=False) if f == 1
    }  # fmt: skip
    assert out_of_westward == {"rear_support", "frontline_combat", "combat_in_ukraine"}
    weights = dict(zip(model.technologies, model.tech_weight.tolist(), strict=True))
    assert weights["air_defence"] == 2.0
    assert model.parameters.ids[model.upfront_param[model.technologies.index("air_defence")]] == (
        "upfront_air_defence"
    )


def test_lethal_weapons_trigger_is_combat_located_in_ukraine(model: Model) -> None:
    lethal = model.triggers[RESPONSES.index("lethal_weapons")]
    assert lethal is not None
    assert [(c.kind, model.phases[c.target], c.location) for c in lethal.conditions] == [
        ("phase_at_least", "frontline_combat", "ukraine")
    ]
    p = model.parameters
    assert p.ids[model.lag_param[4]] == "lethal_lag"
    assert p.ids[model.will_param[4]] == "lethal_will"
    assert p.ids[model.never_param[4]] == "lethal_never"
    assert model.triggers[RESPONSES.index("personnel_troops")] is None


def test_parameter_sources_and_claim_bands(model: Model, pack: Pack) -> None:
    frame = model.parameters.to_frame()
    strategic = frame.row(by_predicate=pl.col("id") == "transfer_strategic", named=True)
    may = pack.phrases.row(by_predicate=pl.col("phrase") == "may", named=True)
    assert strategic["claim"] == "c_may_receive_strategic"
    assert strategic["source"] == "claim"
    assert strategic["band_source"] == "claim"
    assert (strategic["low"], strategic["high"]) == (may["low"], may["high"])
    assert strategic["sampled"]
    assert strategic["claim_evidence"].startswith("North Korea may receive satellite technology")
    # nothing the article does not state is presented as sourced
    unsourced = frame.filter(frame["claim"].is_null())
    assert (unsourced["source"] == "analyst assumption").all()
    assert unsourced["assumption"].is_not_null().all()
    assert set(frame["origin"]) == {"pack"}


def test_model_is_immutable(model: Model) -> None:
    with pytest.raises(ValueError, match="read-only"):
        model.parameters.value[0] = 0.5
    with pytest.raises(ValueError, match="read-only"):
        model.escalation[0] = 9
    changed = model.with_overrides({"lethal_will": 0.5})
    i = model.parameters.index("lethal_will")
    assert changed.parameters.value[i] == 0.5
    assert model.parameters.value[i] == 0.12
    assert changed.parameters.origin[i] == "override"


def test_scenarios_are_overrides_of_the_baseline(pack: Pack) -> None:
    rear = compile_model(pack, "rear_support_only")
    p = rear.parameters
    i = p.index("rate_westward_to_frontline")
    assert p.value[i] == 0
    assert math.isnan(p.low[i])
    assert not p.sampled()[i]
    assert p.origin[i] == "scenario:rear_support_only"
    j = p.index("rate_westward_to_rear")
    assert (p.value[j], p.low[j], p.high[j]) == (0.43, 0.22, 0.69)
    assert p.distribution[j] == 2  # the base parameter's triangular shape is kept
    untouched = p.index("lethal_will")
    assert p.origin[untouched] == "pack"
    for scenario in pack.scenarios["id"]:
        assert compile_model(pack, scenario).scenario == scenario


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"lethal_wil": 0.3}, r"unknown parameter 'lethal_wil' \(did you mean 'lethal_will'\?"),
        ({"lethal_will": 1.5}, r"'lethal_will' = 1.5 is out of its valid range \[0, 1\]"),
        ({"lethal_will": -0.1}, r"'lethal_will' = -0.1 is out of its valid range \[0, 1\]"),
        ({"lethal_will": "high"}, r"'lethal_will' expects a number in \[0, 1\], got 'high'"),
        ({"lethal_will": True}, r"'lethal_will' expects a number in \[0, 1\], got True"),
        ({"lethal_will": math.nan}, r"'lethal_will' expects a number in \[0, 1\]"),
        ({"lethal_lag": 2.5}, r"'lethal_lag' expects a whole number in \[0, 24\], got 2.5"),
        ({"troops": 200_000}, r"'troops' = 200000 is out of its valid range \[0, 100000\]"),
        (
            {"lethal_will": {"value": 0.5, "low": 0.6, "high": 0.9}},
            r"'lethal_will': band \[0.6, 0.9\] must contain the value 0.5 \(valid range \[0, 1\]\)",
        ),
        (
            {"lethal_will": {"value": 0.5, "low": 0.1}},
            r"'lethal_will' expects a number in \[0, 1\]",
        ),
        (
            {"rate_westward_to_rear": 3.5},
            r"'rate_westward_to_rear' = 3.5 is out of its valid range \[0, 3\]",
        ),
    ],
)
def test_bad_overrides_raise_one_line_naming_the_parameter(
    pack: Pack, overrides: dict[str, object], pattern: str
) -> None:
    with pytest.raises(ParameterError, match=pattern) as info:
        compile_model(pack, "baseline", overrides)
    assert "\n" not in str(info.value)


def test_transition_rates_need_no_joint_constraint(pack: Pack) -> None:
    # rates out of a phase may sum above 1 per month (a probability could not)
    model = compile_model(
        pack, "baseline", {"rate_westward_to_rear": 2.5, "rate_westward_to_frontline": 2.5}
    )
    assert feasible_range(model, "rate_westward_to_frontline") == (0.0, 3.0)
    assert feasible_range(model, "lethal_will") == (0.0, 1.0)


def test_unknown_scenario(pack: Pack) -> None:
    with pytest.raises(ParameterError, match=r"unknown scenario 'rear' .*rear_support_only"):
        compile_model(pack, "rear")


def test_validate_overrides_is_a_dry_run(pack: Pack) -> None:
    assert validate_overrides(pack, None, {"lethal_will": 0.2}).scenario == "baseline"
    with pytest.raises(ParameterError):
        validate_overrides(pack, "rapid_frontline", {"lethal_will": 2})


def _edit(pack_dir: Path, name: str, edit: object) -> None:
    path = pack_dir / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_missing_engine_parameter_is_a_pack_error(pack_dir: Path) -> None:
    def drop(data: dict) -> None:  # type: ignore[type-arg]
        data["parameters"] = [p for p in data["parameters"] if p["id"] != "transfer_conventional"]

    _edit(pack_dir, "parameters.yaml", drop)
    with pytest.raises(PackError, match=r"transfer_conventional.*unknown parameter id"):
        compile_model(load_pack(pack_dir))


def test_unusable_valid_range_is_a_pack_error(pack_dir: Path) -> None:
    def widen(data: dict) -> None:  # type: ignore[type-arg]
        for p in data["parameters"]:
            if p["id"] == "intensity_rear":
                p["min"] = -1

    _edit(pack_dir, "parameters.yaml", widen)
    with pytest.raises(PackError, match=r"intensity_rear.*uses it as an intensity"):
        compile_model(load_pack(pack_dir))


def test_fake_packs_compile_too() -> None:
    model = compile_fake(chain_pack(steps=4, lag=3))
    assert model.phases == ("p0", "p1", "p2", "p3")
    assert model.out_degree() == 1
    assert not model.needs_visits
    assert np.all(model.parameters.sampled() == False)  # noqa: E712


def test_format_number() -> None:
    assert [format_number(x) for x in (3.0, 0.25, 11000.0, 1e-5)] == ["3", "0.25", "11000", "1e-05"]


def test_numbers_and_values_in_messages_are_short() -> None:
    from toolkit.engine.validate import check_whole
    from toolkit.errors import shown

    assert format_number(1e308) == "1e+308"
    assert format_number(-1e20) == "-1e+20"
    assert format_number(10**400) == "1e+400"
    assert format_number(123456789 * 10**40) == "1.23457e+48"
    assert format_number(2**63 - 1) == "9223372036854775807"  # a bound people type stays exact
    assert format_number(np.int64(5)) == "5"
    with pytest.raises(ParameterError) as info:
        check_whole("seed", -(10**100), 0, 2**63 - 1)
    assert str(info.value) == "seed = -1e+100 is out of its valid range [0, 9223372036854775807]"
    with pytest.raises(ParameterError) as info:
        check_whole("paths", "x" * 500, 1, 10)
    assert len(str(info.value)) < 140
    assert shown(10**5000) == "1e+5000"
    assert shown(1e308) == "1e+308"
    assert shown(0.1) == "0.1"
    assert shown("abc") == "'abc'"
    assert len(shown("x" * 500)) == 80
    assert shown("x" * 500).endswith("...")
    assert len(shown([10**5000])) <= 80  # past the digit limit of repr: no crash


def test_a_huge_override_is_out_of_range_not_a_crash(pack: Pack) -> None:
    model = compile_model(pack)
    for value in (10**400, 1e308, {"value": 10**400}):
        with pytest.raises(ParameterError, match="out of its valid range") as info:
            model.with_overrides({"troops": value})
        assert len(str(info.value)) < 100


def test_copy_of_the_pack_is_independent(pack_dir: Path) -> None:
    shutil.rmtree(pack_dir / "__pycache__", ignore_errors=True)
    assert compile_model(load_pack(pack_dir)).phases == PHASES


def test_validate_run_checks_run_settings_and_ignores_the_rest() -> None:
    from toolkit.engine.validate import validate_run
    from toolkit.errors import ParameterError

    validate_run({"paths": 10, "months": 36, "seed": 0, "grid_paths": 5, "colour": "red"})
    with pytest.raises(ParameterError, match=r"months = 0 is out of its valid range \[1, 600\]"):
        validate_run({"months": 0})
    with pytest.raises(ParameterError, match="sensitivity_paths expects a whole number"):
        validate_run({"sensitivity_paths": 2.5})
    with pytest.raises(ParameterError, match="seed"):
        validate_run({"seed": -1})


def test_start_marginals_stay_probabilities() -> None:
    """Start shares that add to 1 can add to 1.0000000000000002 in floating point: an as-of
    report's footer gave a phase reached at month 0 "=1.0000000000000002" (found in a bug hunt)."""
    import numpy as np

    from toolkit.engine.model import _mix

    shares = np.array(
        [0.1336509999817902, 0.4019380151905997, 0.2028622206846785, 0.26154876414293177]
    )
    table = np.ones((2, 4))
    assert float((table @ shares)[0]) > 1  # the residue this guards against
    assert _mix(table, shares).tolist() == [1.0, 1.0]
