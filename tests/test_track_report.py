"""The report as of a date: parameters checked before a kernel, the narrative, month 0 on the charts,
and one render with the ILLUSTRATIVE fixture log."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from toolkit import charts
from toolkit.engine.simulation import simulate
from toolkit.errors import PackError, ParameterError
from toolkit.pack.load import Pack
from toolkit.report import narrative
from toolkit.report.notebook import NotebookInfo
from toolkit.report.plan import PackInfo, plan_report
from toolkit.track.tracker import track

from .conftest import ROOT
from .test_charts import _encodings

REPORT = ROOT / "notebooks" / "report.ipynb"
STORY = ROOT / "tests" / "fixtures" / "tracker" / "story.yaml"


def plan(**given: str) -> dict[str, object]:
    return plan_report(
        NotebookInfo.read(REPORT), PackInfo.load(None), parameters=given, from_text=True
    ).overrides


def test_report_as_of_is_checked_before_a_kernel() -> None:
    assert plan(as_of="2024-12-31")["as_of"] == "2024-12-31"
    with pytest.raises(ParameterError, match="as_of 2024-10-01 is before the pack's start date"):
        plan(as_of="2024-10-01")
    with pytest.raises(ParameterError, match="as_of expects a date YYYY-MM-DD, got 'soon'"):
        plan(as_of="soon")
    with pytest.raises(PackError, match=r"nope\.yaml"):
        plan(observations=str(ROOT / "nope.yaml"))
    got = plan(as_of="2024-12-31", observations=os.path.relpath(STORY))
    assert got["observations"] == str(STORY)  # absolute: the kernel's folder may differ


def test_a_report_as_of_a_day_to_come_or_with_a_start_state_is_refused() -> None:
    """A report as of 2030 ran the model on from the last report and called it the assessment then;
    a `start` given with `as_of` was dropped silently (the footer still listed it) (bug hunts)."""
    soon = dt.date.today() + dt.timedelta(days=30)
    with pytest.raises(ParameterError, match=rf"as_of {soon} is after today \("):
        plan(as_of=soon.isoformat())
    with pytest.raises(ParameterError, match="give start or as_of, not both"):
        plan(as_of="2024-12-31", start='{"westward_movement": 1}')


def test_narrative_says_as_of_what_and_on_which_observations(pack: Pack) -> None:
    tracked = track(pack, "2024-12-31", STORY)
    text = narrative.describe_as_of(tracked, pack, True)
    assert text.startswith("**As of 31 December 2024.** Month 0 of the run below is that date")
    assert "it rests on 10 observation(s) reported by then, from 10 source(s)" in text
    assert "o&#95;combat&#95;confirmed" not in text  # the log's ids stay out of the reader's text
    assert "Combat on Russian soil" in text
    empty = narrative.describe_as_of(track(pack, today=dt.date.max), pack, False)
    assert "Month 0 of the run below is the article's date (27 October 2024)" in empty
    assert "no observation had been reported" in empty
    table = narrative.describe_observations(tracked, pack)
    assert table.count("\n") == 2 + len(tracked.observations_used) - 1
    assert "A1 &#40;90 %&#41;" in table
    assert "No observation has been reported" in narrative.describe_observations(
        track(pack, today=dt.date.max), pack
    )


def test_hostile_observation_text_stays_literal(pack: Pack) -> None:
    hostile = {
        "id": "o_hostile",
        "observed": "2024-11-04",
        "reported": "2024-11-05",
        "indicator": "i_westward_transport",
        "source": "<script>alert(1)</script> [link](http://x.example) **bold**",
        "reliability": "C",
        "credibility": 3,
    }
    table = narrative.describe_observations(track(pack, "2024-11-05", [hostile]), pack)
    assert "<script>" not in table
    assert "](http" not in table
    assert "**bold**" not in table


def test_model_charts_read_month_zero_as_the_as_of_date(pack: Pack) -> None:
    result = simulate(pack, paths=200, months=6, seed=1)
    day = dt.date(2024, 12, 31)
    for chart in (charts.chart_phases, charts.chart_transfers, charts.chart_responses):
        spec = chart(result, pack, day).to_dict()
        axes = [e["axis"] for e in _encodings(spec, "month") if "axis" in e]
        assert axes
        for axis in axes:
            assert "datetime(2024, 11 + datum.value, 1)" in axis["labelExpr"]
            assert axis["title"] == "Month (month 0 = December 2024, the as-of date 31 Dec 2024)"


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("report")
def test_report_as_of_a_date_renders(tmp_path: Path) -> None:
    from toolkit.report.render import render_report

    out = render_report(
        REPORT,
        out=tmp_path / "as_of.html",
        parameters={"as_of": "2024-12-31", "observations": str(STORY), "paths": 2000},
    )
    html = out.read_text(encoding="utf-8")
    assert "As of 31 December 2024." in html
    assert "What has been seen and what to watch" in html
    assert "it rests on 10 observation" in html
    assert "the as-of date 31 Dec 2024" in html
