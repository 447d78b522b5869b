"""The report fits its reader's page (issue 14): on a phone (390 px), on a wide screen (1400 px) and
printed on A4, no chart, legend, caption or table passes the edge of its column, nothing scrolls
sideways, and on a phone the legends sit below their charts. Debian's headless Chromium, offline."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_check import CHROMIUM, check_layout, follow_contents, reader_text
from toolkit.cache import CACHE_ENV

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.xdist_group("browser")]

A4_PRINTABLE = 703  # px: 210 mm less the stylesheet's 2 x 12 mm page margins, at 96 px per inch


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    from toolkit.report.render import render_report

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.delenv("TOOLKIT_PACK", raising=False)
        small = {"paths": 1000, "sensitivity_paths": 300, "grid_paths": 100}
        yield render_report(parameters=small, out=tmp_path_factory.mktemp("layout") / "r.html")


def test_on_a_phone_nothing_overflows_and_legends_go_below(report: Path) -> None:
    layout = check_layout(report, 390)
    assert layout.problems == []
    # every chart of the default report, the tracker's posterior and watch list included
    assert len(layout.charts) == 11
    for chart in layout.charts:
        assert chart["width"] <= 390
        below = chart["axisBottom"]  # None: no vertical axis (the network)
        for legend in chart["legends"] if below is not None else ():
            assert legend["top"] >= below - 1, (chart["id"], legend)


def test_on_a_wide_screen_nothing_overflows(report: Path) -> None:
    layout = check_layout(report, 1400)
    assert layout.problems == []
    # every chart of the default report, the tracker's posterior and watch list included
    assert len(layout.charts) == 11


def test_printed_on_a4_nothing_is_cut(report: Path) -> None:
    layout = check_layout(report, 1200, print_width=A4_PRINTABLE, pdf=True)
    assert layout.problems == []
    # every chart of the default report, the tracker's posterior and watch list included
    assert len(layout.charts) == 11
    assert layout.pdf.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page[^s]", layout.pdf)
    assert len(pages) > 5
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", layout.pdf)
    assert sizes
    assert all(abs(float(w) - 595.9) < 2 for w, _ in sizes)  # A4 width in points


def test_on_a_phone_every_contents_link_goes_to_its_heading(report: Path) -> None:
    seen = follow_contents(report, 390)
    assert len(seen) >= 8
    for link in seen:
        assert link["top"] is not None, link
        assert link["hash"] == link["href"], link
        assert abs(link["top"]) <= 12, link  # scrolled to it (a heading near the end may sit lower)


def test_no_pack_id_in_the_readers_text(report: Path) -> None:
    """Everything a reader sees before the appendix names things in words: no snake_case id of
    the pack's frames (`c_may_receive_strategic`, `roughly_even_chance`, `frontline_combat`) in the
    prose, tables or charts (ids stay in tooltips and the appendix)."""
    from toolkit.pack.load import load_pack
    from toolkit.pack.names import snake_ids

    ids = snake_ids(load_pack(None))
    assert {"c_may_receive_strategic", "roughly_even_chance", "frontline_combat"} <= ids
    texts = reader_text(report)
    assert len(texts) > 20  # the appendix is found, not the end of the page
    assert "Bottom line" in texts[1] or any("Bottom line" in t for t in texts[:4])
    pattern = re.compile(r"(?<![\w])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w])")
    found = {(m, t.strip().splitlines()[0][:60]) for t in texts for m in pattern.findall(t)}
    assert {(m, where) for m, where in found if m in ids} == set()


def test_on_a_phone_the_trackers_charts_fit_with_observations(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The tracker's posterior with its observation markers and three legends (issue 12): at 390 px
    nothing overflows and every legend sits below the plot, one under the other."""
    from toolkit.report.render import render_report

    story = Path(__file__).resolve().parent / "fixtures" / "tracker" / "story.yaml"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.delenv("TOOLKIT_PACK", raising=False)
        given = {
            "paths": 1000,
            "sensitivity_paths": 300,
            "grid_paths": 100,
            "as_of": "2024-12-31",
            "observations": str(story),
        }
        path = render_report(parameters=given, out=tmp_path_factory.mktemp("track") / "r.html")
    layout = check_layout(path, 390)
    assert layout.problems == []
    assert len(layout.charts) == 11
    track = layout.charts[5]  # phases, transfers, responses, policy, tornado, then the tracker
    assert len(track["legends"]) == 3
    tops = sorted(legend["top"] for legend in track["legends"])
    assert tops[0] >= track["axisBottom"] - 1
    assert len(set(tops)) == 3  # stacked, not side by side
    # the tracker's sections name indicators, phases and tiers in words too
    from toolkit.pack.load import load_pack
    from toolkit.pack.names import snake_ids

    ids = snake_ids(load_pack(None))
    shown = "\n".join(reader_text(path))
    assert "Combat on Russian soil" in shown
    assert sorted(i for i in ids if re.search(rf"(?<![\w]){i}(?![\w])", shown)) == []
