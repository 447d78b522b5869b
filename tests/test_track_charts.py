"""The tracker's charts: ladder order on every axis and legend, markers that say what was reported and
how much it is trusted, inline data within the row limit. The log is ILLUSTRATIVE (invented)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import vl_convert as vlc

from toolkit import charts
from toolkit.charts.theme import MAX_ROWS
from toolkit.cli.chart import export_chart
from toolkit.pack.load import Pack
from toolkit.pack.names import names
from toolkit.track.tracker import TrackResult, track

from .conftest import ROOT
from .test_charts import (
    _assert_ordered,
    _caption,
    _check_common,
    _encodings,
    _rows,
    _shown_labels,
    _walk,
)

STORY = ROOT / "tests" / "fixtures" / "tracker" / "story.yaml"


@pytest.fixture(scope="module")
def story(pack: Pack) -> TrackResult:
    return track(pack, "2024-12-31", STORY)


def _ladder(pack: Pack) -> list[str]:
    return [str(p) for p in pack.phases["id"]]


def test_track_chart_keeps_ladder_order_and_marks_observations(
    pack: Pack, story: TrackResult
) -> None:
    spec = charts.chart_track(story, pack).to_dict()
    _check_common(spec)
    _assert_ordered(spec, "phase", _ladder(pack))
    legend = next(c for c in _encodings(spec, "phase") if "legend" in c)["legend"]
    assert pack.phases["label"][0] in legend["labelExpr"]
    ranks = [n["calculate"] for n in _walk(spec) if n.get("as") == "rank"]
    assert ranks
    assert all('"adaptation_training", "westward_movement"' in r for r in ranks)
    shape = _encodings(spec, "target_kind")
    assert any(
        c.get("scale", {}).get("range") == ["circle", "triangle-up", "square"] for c in shape
    )
    opacity = _encodings(spec, "trust")
    assert any(c.get("scale", {}).get("domain") == [0, 1] for c in opacity)
    tips = {t["field"] for n in _walk(spec) for t in n.get("tooltip", []) if isinstance(t, dict)}
    assert {"source", "quote", "grade", "id"} <= tips
    fills = {m.get("filled") for m in _walk(spec) if m.get("type") == "point"}
    assert fills == {True, False}  # seen filled, absent hollow
    assert "10 observation(s)" in _caption(spec)
    assert "admiralty.yaml" in _caption(spec)


def test_track_chart_thins_a_long_history(pack: Pack) -> None:
    long = track(pack, dt.date(2027, 10, 27), [])  # three years, daily
    assert long.history["date"].n_unique() > 1000
    spec = charts.chart_track(long, pack).to_dict()
    assert max(_rows(spec)) <= MAX_ROWS
    assert "no observation reported by then" in _caption(spec)


def test_watch_chart_ranks_what_to_watch(pack: Pack, story: TrackResult) -> None:
    spec = charts.chart_watch(story, pack).to_dict()
    _check_common(spec)
    _assert_ordered(spec, "phase", _ladder(pack))
    axes = [c for c in _encodings(spec, "indicator") if "sort" in c]
    seen, unseen = (c["sort"] for c in axes)  # rows are ids, each shown in words
    words = names(pack)
    watch = story.watch
    assert set(seen) == set(watch.filter(watch["seen"])["indicator"])
    assert seen[0] == "i_actual_combat_confirmed"  # its report moves today's estimate most
    expected = watch.filter(~watch["seen"])
    assert unseen == expected["indicator"].to_list()
    assert expected["shift_if_seen"].is_sorted(descending=True)
    for axis, ids in zip(axes, (seen, unseen), strict=True):
        assert _shown_labels(axis["axis"]["labelExpr"]) == [words[i] for i in ids]
    assert not any(words[i].startswith("i_") for i in seen + unseen)
    assert "7 of 14 indicators reported seen" in _caption(spec)


def test_what_to_watch_ties_go_by_the_ladder_and_a_certain_estimate_says_so(pack: Pack) -> None:
    """Found in a bug hunt: at the pack's date (one start phase: a certain estimate) every shift is
    0, and "what to watch" ranked fourteen zero-length bars by indicator id, alphabetically. Ties
    go by the ladder order of the phase each signals, then indicators.yaml's order; when nothing
    can move the estimate, the panel and `toolkit track` say so in a sentence."""
    from toolkit.track.tracker import still_estimate

    at_start = track(pack, pack.meta.publication.date, [])
    watch = at_start.watch
    assert watch["shift_if_seen"].max() == 0
    ladder = _ladder(pack)
    in_file = [str(i) for i in pack.indicators["id"]]
    phase_of = dict(zip(in_file, pack.indicators["phase"].cast(str), strict=True))
    want = sorted(watch["indicator"], key=lambda i: (ladder.index(phase_of[i]), in_file.index(i)))
    assert watch["indicator"].to_list() == want
    sentence = still_estimate(at_start)
    assert sentence is not None
    assert "certain" in sentence
    spec = charts.chart_watch(at_start, pack).to_dict()
    assert not _encodings(spec, "shift_if_seen")  # no bars of zeros
    texts = [v["text"] for n in _walk(spec) for v in n.get("values", []) if "text" in v]
    assert " ".join(t.replace("\n", " ") for t in texts).endswith(sentence)
    assert still_estimate(track(pack, "2024-12-31", STORY)) is None  # an estimate that can move


def test_charts_render_offline(pack: Pack, story: TrackResult, tmp_path: Path) -> None:
    for chart in (charts.chart_track(story, pack), charts.chart_watch(story, pack)):
        svg: Any = vlc.vegalite_to_svg(chart.to_dict(), allowed_base_urls=[])
        assert svg.startswith("<svg")
    for name in ("track", "watch"):
        out = export_chart(name, tmp_path / f"{name}.png")
        assert out.read_bytes().startswith(b"\x89PNG")
