"""What a report looks at unless told (pack.yaml `report`): the sensitivity outcome and the explorer
grid are pack data, with generic defaults, so a valid pack whose ids differ from the default pack's
renders its report (a bug hunt found `lethal_weapons` and `rate_westward_to_frontline` hard-coded:
such a pack validated, then its report failed in the kernel)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.engine.analysis import compute_tornado, default_outcome
from toolkit.engine.check import check_pack
from toolkit.engine.compile import compile_model
from toolkit.engine.grid import GENERIC_VALUES, compute_explorer_grid, default_grid
from toolkit.errors import ParameterError
from toolkit.pack.load import Pack, load_pack

from .conftest import rule_out_every_tier

RENAMES = {"lethal_weapons": "arms_aid", "rate_westward_to_frontline": "rate_west_to_front"}


def rename(pack_dir: Path, renames: dict[str, str] = RENAMES) -> Path:
    """Rename ids consistently in every YAML file of the pack (a valid pack of other ids)."""
    for path in pack_dir.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = re.sub(rf"\b{old}\b", new, text)
        path.write_text(text, encoding="utf-8")
    return pack_dir


def without_report_section(pack_dir: Path) -> Path:
    path = pack_dir / "pack.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\nreport:\n")
    end = text.index("\n\n", start + 1)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return pack_dir


def test_the_default_pack_declares_its_outcome_and_grid(pack: Pack) -> None:
    assert default_outcome(pack) == "lethal_weapons"
    assert default_outcome(compile_model(pack)) == "lethal_weapons"  # the rule, on a model
    assert default_grid(pack) == {
        "troops": (3000, 7000, 11000, 15000, 19000),
        "rate_westward_to_frontline": (0.0, 0.11, 0.22, 0.33, 0.44),
    }


def test_a_pack_with_other_ids_gets_its_own_defaults(pack_dir: Path) -> None:
    other = load_pack(rename(pack_dir))
    assert check_pack(pack_dir) == []
    assert default_outcome(other) == "arms_aid"
    tornado = compute_tornado(other, within=12, paths=300, parameters=["troops"])
    assert tornado["outcome"].unique().to_list() == ["arms_aid"]
    grid = compute_explorer_grid(other, paths=200, months=6)
    assert [a.parameter for a in grid.axes] == ["troops", "rate_west_to_front"]


def test_without_a_report_section_the_defaults_are_generic(pack_dir: Path) -> None:
    other = load_pack(without_report_section(rename(pack_dir)))
    assert other.meta.report.sensitivity_outcome is None
    # the highest tier not ruled out (personnel_troops is ruled out)
    assert default_outcome(other) == "arms_aid"
    grid = default_grid(other)
    banded = other.parameters.filter(other.parameters["low"] < other.parameters["high"])
    first, second = banded["id"].to_list()[:2]
    assert list(grid) == [first, second]
    row = banded.row(0, named=True)
    assert len(grid[first]) == GENERIC_VALUES
    assert grid[first][0] == pytest.approx(row["low"])
    assert grid[first][-1] == pytest.approx(row["high"])
    assert compute_explorer_grid(other, paths=200, months=6).axes[0].parameter == first


def test_a_pack_without_any_band_must_declare_its_grid(pack_dir: Path) -> None:
    other = load_pack(without_report_section(pack_dir))
    flat = other.parameters.with_columns(low=None, high=None)
    object.__setattr__(other, "frames", {**other.frames, "parameters": flat})
    with pytest.raises(ParameterError, match=r"declare one or two in pack.yaml"):
        default_grid(other)


@pytest.mark.parametrize(
    ("report", "problem"),
    [
        (
            "report:\n  sensitivity_outcome: nothing_like_it\n",
            "pack.yaml [report] sensitivity_outcome: not a response tier, phase, technology or "
            "technology tier id (value: 'nothing_like_it')",
        ),
        (
            "report:\n  explorer_grid:\n    no_such_parameter: [1, 2]\n",
            "pack.yaml [report] explorer_grid: unknown parameter id (value: 'no_such_parameter')",
        ),
        (
            "report:\n  explorer_grid:\n    rate_westward_to_rear: [0.1, -0.5]\n",
            "pack.yaml [report] explorer_grid.rate_westward_to_rear:",
        ),
        (
            "report:\n  explorer_grid:\n    troops: [1000.5]\n",
            "troops takes whole numbers, got 1000.5",
        ),
        (
            "report:\n  explorer_grid:\n"
            "    troops: [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]\n"
            "    rate_westward_to_rear: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]\n",
            "pack.yaml [report] explorer_grid: at most 49 points (value: 56)",
        ),
        (
            "report:\n  explorer_grid:\n    troops: [1, .inf]\n",
            "explorer_grid",
        ),
        # a boolean was read as 1: a slider from 1 to 7,000 troops (found in a bug hunt)
        (
            "report:\n  explorer_grid:\n    troops: [true, 7000]\n",
            "explorer_grid.troops.0: expects a number, not true",
        ),
    ],
)
def test_a_bad_report_section_is_a_problem_of_the_pack(
    pack_dir: Path, report: str, problem: str
) -> None:
    path = without_report_section(pack_dir) / "pack.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + report, encoding="utf-8")
    found = [str(p) for p in check_pack(pack_dir)]
    assert len(found) == 1, found
    assert problem in found[0]


def test_the_default_report_renders_for_a_pack_with_other_ids(
    pack_dir: Path, tmp_path: Path
) -> None:
    """End to end, at small sizes, a pack with other ids, its own title and no `report` section:
    the tornado explains the pack's own top tier, the report is titled and introduced from
    pack.yaml, and the charts' titles are the generic ones, not the default story's."""
    from toolkit.report.render import render_report

    other = without_report_section(rename(pack_dir))
    meta = other / "pack.yaml"
    text = meta.read_text(encoding="utf-8")
    title = text.split("\ntitle: ", 1)[1].split("\n", 1)[0]
    meta.write_text(text.replace(title, '"Illustrative story <b>& co</b>"', 1), encoding="utf-8")
    out = render_report(
        None,
        pack=other,
        out=tmp_path / "other.html",
        parameters={
            "paths": "500",
            "sensitivity_paths": "200",
            "grid_paths": "100",
            "months": "12",
        },
        from_text=True,
    )
    html = out.read_text(encoding="utf-8")
    assert "<title>Illustrative story &lt;b&gt;&amp; co&lt;/b&gt;</title>" in html
    assert "arms_aid" in html
    assert "rate_west_to_front" in html
    assert "Where the deployed troops are" in html
    assert "What may be given in return" in html  # a generic section heading
    for story in (
        "Where the North Korean troops", "Will Russia transfer", "trilateral response goes",
        "What Russia may give", "The deployment ladder follows", "officials named two groups",
    ):  # fmt: skip
        assert story not in html


def test_the_default_pack_keeps_its_own_words(pack: Pack) -> None:
    from toolkit.charts.model_charts import chart_title

    assert chart_title(pack, "phases") == "Where the North Korean troops are, month by month"
    assert chart_title(None, "responses") == "How far the response goes, month by month"


def test_a_title_with_a_line_break_stays_one_heading(pack_dir: Path) -> None:
    from toolkit.report.narrative import describe_title

    meta = pack_dir / "pack.yaml"
    text = meta.read_text(encoding="utf-8")
    title = text.split("\ntitle: ", 1)[1].split("\n", 1)[0]
    meta.write_text(text.replace(title, '"First line\\nsecond line"', 1), encoding="utf-8")
    assert describe_title(load_pack(pack_dir)).startswith("# First line second line\n\n")


def test_with_no_tier_to_decide_the_tornado_explains_the_most_escalated_phase(
    pack_dir: Path,
) -> None:
    """It explained the last phase of the ladder (here: withdrawal) (found in a bug hunt)."""

    rule_out_every_tier(pack_dir)
    other = load_pack(without_report_section(pack_dir))
    phases = other.phases.sort("escalation", descending=True, maintain_order=True)
    assert default_outcome(other) == phases["id"][0] != other.phases["id"][-1]
    assert default_outcome(compile_model(other)) == phases["id"][0]


def without_any_band(pack_dir: Path) -> Path:
    """The pack copy with no band and no plausible range anywhere (parameters, the claims they cite,
    scenarios) and no `report` section: a valid pack with nothing to explore or vary."""
    import yaml

    path = pack_dir / "parameters.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for p in data["parameters"]:
        for key in ("low", "high", "distribution", "plausible_low", "plausible_high"):
            p.pop(key, None)
        if p.pop("claim", None) is not None and not p.get("assumption"):
            p["assumption"] = "A point value (no band), for the test."
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    path = pack_dir / "scenarios.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for s in data["scenarios"]:
        for name, value in (s.get("overrides") or {}).items():
            if isinstance(value, dict):
                s["overrides"][name] = value["value"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return without_report_section(pack_dir)


def test_a_pack_without_any_band_says_so_in_its_sections(pack_dir: Path) -> None:
    from toolkit.report import sections

    other = load_pack(without_any_band(pack_dir))
    assert check_pack(pack_dir) == []
    assert compile_model(other).parameters.sampled().sum() == 0
    assert sections.describe_explorer(other) == sections.NO_EXPLORER
    assert sections.explorer(other, "baseline", paths=100, months=6) is None
    tornado = compute_tornado(other, within=6, paths=100)
    assert sections.tornado(tornado, other).data == sections.NO_TORNADO  # type: ignore[union-attr]


def test_a_tornado_where_nothing_moves_the_outcome_is_one_sentence(pack: Pack) -> None:
    """Every parameter varied but none moving the outcome drew an empty chart (found in review)."""
    import polars as pl

    from toolkit.report import sections

    still = pl.DataFrame(
        {
            "parameter": ["a", "b"], "label": ["A", "B"], "low": [0.0, None], "high": [1.0, None],
            "range": ["band", "left out"], "outcome_low": [0.5, None],
            "outcome_high": [0.5001, None], "baseline": [0.5, 0.5],
        }
    )  # fmt: skip
    said = sections.tornado(still, pack).data  # type: ignore[union-attr]
    assert said.startswith("No parameter moves the outcome by as much as 0.05%")
    moving = still.with_columns(outcome_high=pl.Series([0.6, None]))
    import altair as alt

    assert isinstance(sections.tornado(moving, pack), alt.LayerChart)


def test_the_explorer_names_its_parameters(pack: Pack, pack_dir: Path) -> None:
    """The explorer's opening names the grid's own parameters, not the default story's."""
    from toolkit.report import sections
    from toolkit.report.markdown import esc

    text = sections.describe_explorer(pack)
    assert "**North Korean troops deployed** and **Westward → combat on Russian soil" in text
    assert "in the default pack" not in text
    other = load_pack(without_report_section(rename(pack_dir)))
    first, second = default_grid(other)
    label = dict(zip(other.parameters["id"], other.parameters["label"], strict=True))
    text = sections.describe_explorer(other)
    assert f"**{esc(label[first])}** and **{esc(label[second])}**" in text
    assert "first parameters with a band" in text


def test_the_default_report_renders_for_a_pack_without_any_band(
    pack_dir: Path, tmp_path: Path
) -> None:
    """A valid pack with no banded parameter renders its report (a bug hunt: the explorer-grid cell
    failed with 'the pack has no banded parameter'); the explorer and the tornado say in one sentence
    that there is nothing to show."""
    from toolkit.report import sections
    from toolkit.report.render import render_report

    out = render_report(
        None,
        pack=without_any_band(pack_dir),
        out=tmp_path / "flat.html",
        parameters={"paths": "300", "sensitivity_paths": "100", "grid_paths": "100", "months": "6"},
        from_text=True,
    )
    html = out.read_text(encoding="utf-8")
    assert "no banded parameter to explore" in html
    assert sections.NO_TORNADO.split(",")[0] in html


STORY = (
    "North Korea", "Korean", "Russia", "Ukraine", "trilateral", "late October 2024",
    "in the default pack", "troops in transit", "lethal",
)  # fmt: skip


@pytest.mark.parametrize("name", ["report", "scorecard", "explore"])
def test_the_notebooks_words_name_no_story(name: str) -> None:
    """What every pack's report shows, and `toolkit report --list-params` prints (the parameters'
    comments), is generic: a bug hunt found "in the default pack, troop numbers and the monthly
    chance that troops in transit go to the front" in every report and `months` described as
    "after the article (late October 2024)"."""
    import json

    from toolkit.jupyter.nbparams import inspect_parameters

    path = Path(__file__).resolve().parents[1] / "notebooks" / f"{name}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    shown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    shown += [str(p) for p in inspect_parameters(path).values()]
    for text in shown:
        assert not [word for word in STORY if word in text], text


def test_the_toolkits_help_names_no_story() -> None:
    from typer.testing import CliRunner

    from toolkit.cli.app import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "any valid data pack" in result.stdout
    assert not [word for word in STORY if word in result.stdout]
