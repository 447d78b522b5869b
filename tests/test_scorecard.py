"""The scorecard notebook (notebooks/scorecard.ipynb, issue 13) rendered on the illustrative tracker
fixtures with small parameters: the reliability diagram and the scores are in the HTML, the page
draws offline in Chromium, and the same inputs give the same bytes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser_check import CHROMIUM, check_report
from toolkit.cache import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
SCORECARD = ROOT / "notebooks" / "scorecard.ipynb"
FIX = Path(__file__).resolve().parent / "fixtures" / "tracker"
EPOCH = "1700000000"
PARAMETERS: dict[str, Any] = {
    "questions": str(FIX / "questions.yaml"),  # illustrative
    "observations": str(FIX / "story.yaml"),  # illustrative
    "backtest_from": "2024-11-01",
    "backtest_to": "2024-12-15",
    "every": "14d",
    "paths": 300,
    "seed": 7,
}

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("report")]


@pytest.fixture(scope="module", autouse=True)
def _env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.delenv("TOOLKIT_PACK", raising=False)
        yield


def _render(out: Path, **parameters: Any) -> Path:
    from toolkit.report.render import render_report

    return render_report(SCORECARD, parameters=parameters, out=out)


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("scorecard") / "scorecard.html", **PARAMETERS)


def test_committed_without_outputs() -> None:
    nb = nbformat.read(SCORECARD, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata["tags"]
    assert [c.id for c in nb.cells] == [f"scorecard-{i:02d}" for i in range(len(nb.cells))]


def test_scorecard_has_the_reliability_diagram_and_scores(scorecard: Path) -> None:
    document = scorecard.read_text(encoding="utf-8")
    assert "Reliability: forecast bins against what happened" in document
    assert "Brier score over as-of dates" in document
    assert "The backtest" in document
    assert "model_without_observations" in document
    assert "None has resolved yet" not in document
    # the captions name the files scored (they called every pack's questions illustrative
    # fixtures: found in a bug hunt)
    assert "fixture questions" not in document
    assert "a backtest of the questions in questions.yaml" in document
    assert "replaying story.yaml" in document


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_scorecard_in_chromium(scorecard: Path) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    assert check_report(scorecard).problems(expect_slider=False) == []


def test_same_inputs_same_bytes(scorecard: Path, tmp_path: Path) -> None:
    again = _render(tmp_path / "again.html", **PARAMETERS)
    assert again.read_bytes() == scorecard.read_bytes()


def test_default_pack_says_nothing_resolved(tmp_path: Path) -> None:
    path = _render(tmp_path / "default.html", paths=200, backtest_to="2024-11-15")
    document = path.read_text(encoding="utf-8")
    assert "None has resolved yet" in document
    assert "No reliability diagram" in document


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"backtest_from": "2025-02-01", "backtest_to": "2024-11-01"},
            "backtest_to 2024-11-01 is before backtest_from 2025-02-01",
        ),
        # a date the caller left empty is named as the pack's, not as if they had given it
        (
            {"backtest_from": "2025-02-10"},
            "backtest_to (the pack's default) 2025-01-31 is before backtest_from 2025-02-10",
        ),
        ({"backtest_from": "garbage"}, "backtest_from expects a date YYYY-MM-DD"),
        ({"backtest_from": "2020-01-01"}, "backtest_from 2020-01-01 is before the pack's start"),
        ({"backtest_to": "2099-01-01"}, "backtest_to 2099-01-01 is more than 600 months"),
        ({"every": "0d"}, "every expects days like 7d or weeks like 2w, got '0d'"),
        ({"log": "/nonexistent.csv"}, "log '/nonexistent.csv': no such file"),
        ({"questions": "/nonexistent.yaml"}, "questions '/nonexistent.yaml': no such file"),
    ],
)
def test_scorecard_parameters_are_checked_before_a_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: dict[str, str], message: str
) -> None:
    """Each of these failed inside the kernel, naming the backtest command's flags (--to, --from,
    --every) instead of the notebook's parameters (found in a bug hunt)."""
    from toolkit.errors import ParameterError
    from toolkit.jupyter.kernels import Kernel
    from toolkit.report.render import render_report

    def refuse(self: Kernel) -> Kernel:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(Kernel, "start", refuse)
    out = tmp_path / "s.html"
    with pytest.raises(ParameterError) as info:
        render_report(SCORECARD, out=out, parameters=given, from_text=True)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert not out.exists()


def test_scorecard_files_are_the_callers_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-p log=f.csv` is the caller's path: made absolute before the kernel runs elsewhere."""
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import PackInfo, plan_report
    from toolkit.track.forecasts import COLUMNS

    (tmp_path / "f.csv").write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    plan = plan_report(
        NotebookInfo.read(SCORECARD), PackInfo.load(None), parameters={"log": "f.csv"}
    )
    assert plan.overrides["log"] == str(tmp_path / "f.csv")


def later_pack(pack_dir: Path) -> Path:
    """The pack copy dated 2025-03-14 (after the shipped pack's backtest dates) with no `report`
    backtest dates, its questions opening then, one resolved on 2025-04-25."""
    import yaml

    meta = pack_dir / "pack.yaml"
    text = meta.read_text(encoding="utf-8").replace("  date: 2024-10-27", "  date: 2025-03-14")
    text = text.replace("  backtest_from: 2024-11-01\n", "").replace(
        "  backtest_to: 2025-01-31\n", ""
    )
    meta.write_text(text, encoding="utf-8")
    path = pack_dir / "questions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for q in data["questions"]:
        q.update(opens="2025-03-14", closes="2025-09-30")
    data["questions"][0].update(
        outcome=True, resolved="2025-04-25", resolution="Illustrative, for the test."
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return pack_dir


def test_backtest_dates_default_to_the_packs(pack_dir: Path) -> None:
    """Empty dates: pack.yaml's `report.backtest_from`/`backtest_to`, else from the pack's date to
    the last question resolved or observation reported."""
    import datetime as dt

    from toolkit.engine.check import check_pack
    from toolkit.pack.load import load_pack
    from toolkit.track.questions import load_questions
    from toolkit.track.scores import backtest_dates

    shipped = load_pack(None)
    assert backtest_dates(shipped, load_questions(shipped)) == (
        dt.date(2024, 11, 1),
        dt.date(2025, 1, 31),
    )
    assert backtest_dates(shipped, load_questions(shipped), None, "2024-12-01", "") == (
        dt.date(2024, 12, 1),
        dt.date(2025, 1, 31),
    )
    later = load_pack(later_pack(pack_dir))
    assert check_pack(pack_dir) == []
    assert backtest_dates(later, load_questions(later), None, "", "") == (
        dt.date(2025, 3, 14),
        dt.date(2025, 4, 25),
    )


def test_a_report_backtest_date_is_checked_with_the_pack(pack_dir: Path) -> None:
    from toolkit.engine.check import check_pack

    meta = pack_dir / "pack.yaml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace("backtest_from: 2024-11-01", "backtest_from: 2024-10-01"))
    found = [str(p) for p in check_pack(pack_dir)]
    assert len(found) == 1, found
    assert "backtest_from 2024-10-01 is before the pack's start date 2024-10-27" in found[0]


def test_the_scorecard_renders_for_a_pack_of_another_date(pack_dir: Path, tmp_path: Path) -> None:
    """The scorecard's backtest dates were the shipped pack's (2024-11-01 to 2025-01-31): a pack
    dated later was refused ('backtest_from 2024-11-01 is before the pack's start date', found in a
    bug hunt). Empty, they are the pack's own, checked before the kernel as given ones are."""
    from toolkit.errors import ParameterError
    from toolkit.report.render import render_report

    later = later_pack(pack_dir)
    with pytest.raises(ParameterError, match="backtest_to 2025-03-01 is before the pack's start"):
        render_report(
            SCORECARD, pack=later, parameters={"backtest_to": "2025-03-01"}, out=tmp_path / "x.html"
        )
    out = render_report(
        SCORECARD, pack=later, parameters={"paths": 200, "every": "14d"}, out=tmp_path / "s.html"
    )
    document = out.read_text(encoding="utf-8")
    assert "2025-03-14" in document
    assert "2025-04-11" in document
    # the dates it resolved are printed, not only used
    assert "Replayed on 4 date(s) from 2025-03-14 to 2025-04-25, every 14 day(s)." in document
    assert "2024-11-01" not in document


def test_a_backtest_to_a_day_to_come_is_refused(tmp_path: Path) -> None:
    """A backtest to a date after today replayed days nobody has seen, as an as-of date after today
    would (found in review): refused before a kernel starts, and by `toolkit backtest`."""
    import datetime as dt

    from typer.testing import CliRunner

    from toolkit.cli.app import app
    from toolkit.errors import ParameterError
    from toolkit.report.render import render_report

    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    out = tmp_path / "card.html"
    with pytest.raises(ParameterError, match=rf"backtest_to {soon} is after today"):
        render_report(SCORECARD, parameters={"backtest_to": soon}, out=out)
    assert not out.exists()
    res = CliRunner().invoke(app, ["backtest", "--from", "2024-11-01", "--to", soon])
    assert res.exit_code == 2
    assert f"--to {soon} is after today" in res.output


def test_score_charts_give_every_forecaster_its_own_colour() -> None:
    """The score charts used the theme's eight colours: a ninth forecaster repeated the first
    (found in review)."""
    from toolkit.charts.score_charts import chart_reliability

    names = [f"analyst {i}" for i in range(11)]
    bins = [{"forecast": 0.5, "observed": 0.5, "n": 1}]
    spec = chart_reliability({"forecasters": {n: {"bins": bins} for n in names}}).to_dict()
    scales = [
        layer["encoding"]["color"]["scale"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {})
    ]
    assert scales
    for scale in scales:
        assert scale["domain"] == names
        assert len(set(scale["range"])) == len(names)
