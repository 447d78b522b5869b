"""The live explorer in real JupyterLab: the chart widget (an anywidget) draws every chart once, and a
slider move updates a chart's live Vega view in place (issue 16).

JupyterLab runs as `toolkit lab` starts it (`lab_argv`, the toolkit's config directory first so no news
prompt) on a copy of `notebooks/explore.ipynb` in the test's temporary directory (running the cells
never saves into the clone), on a free 127.0.0.1 port in its own process group, with every Jupyter and
IPython file in the temporary directory. Debian's headless Chromium opens the notebook, runs all its
cells from the Run menu and may reach nothing but 127.0.0.1. Each chart's Vega-Embed target
(`.tk-chart-<name> > div`) counts its embeds (`data-tk-draws`) and in-place updates
(`data-tk-updates`).
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from toolkit.explore.servers import LAB_CONFIG_DIR, lab_argv
from toolkit.explore.specs import CHART_NAMES
from toolkit.explore.view import CHARTS_ENV

from .browser_check import CHROMIUM, CHROMIUM_ARGS
from .conftest import ROOT
from .servers import LAB_MARKS, LAB_TOKEN, free_port, jupyter_env, local_only, running

pytestmark = LAB_MARKS

NOTEBOOK = "explore.ipynb"
SLIDER = "rate_westward_to_frontline"
# A loaded 2-core machine: the kernel imports the toolkit, builds the offline Vega bundle into the
# session's fresh cache and runs 10,000 paths before the first chart is drawn.
APP_TIMEOUT_MS = 120_000
DRAWN_TIMEOUT_MS = 300_000
UPDATE_TIMEOUT_MS = 120_000

# Page-side: the chart's Vega-Embed target and its counters.
TARGET_JS = "name => document.querySelector(`.tk-chart-${name} > div`)"
COUNTS_JS = (
    "names => Object.fromEntries(names.map(name => { const el = ("
    + TARGET_JS
    + ")(name); return [name, el && [el.getAttribute('data-tk-draws'),"
    " el.getAttribute('data-tk-updates')]]; }))"
)
PHASES_SVG = "document.querySelector('.tk-chart-phases .vega-embed svg')?.innerHTML"


def test_explorer_charts_draw_once_and_update_in_place_in_jupyterlab(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copyfile(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    # fresh settings, nothing trusted; the toolkit's page_config (no news prompt) as `toolkit lab` has
    env = jupyter_env(tmp_path, JUPYTER_TOKEN=LAB_TOKEN, JUPYTER_CONFIG_PATH=str(LAB_CONFIG_DIR))
    env.pop(CHARTS_ENV, None)  # the in-place widget, not the Output fallback

    external: list[str] = []
    page_errors: list[str] = []
    console: list[str] = []  # errors and warnings, printed (they are JupyterLab's as much as ours)
    port = free_port()
    command = [str(Path(sys.executable).parent / "jupyter-lab")]
    command += lab_argv(root, port, open_browser=False)
    started = time.monotonic()
    with (
        running(
            command, port=port, env=env, cwd=tmp_path, log=tmp_path / "lab.log",
            what="JupyterLab", timeout=120,
        ),
        sync_playwright() as p,
    ):  # fmt: skip
        profile_env: dict[str, str | float | bool] = dict(env)  # its profile in tmp too
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=profile_env)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.route("**/*", local_only(external))
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.on(
                "console",
                lambda msg: (
                    console.append(f"{msg.type}: {msg.text}")
                    if msg.type in ("error", "warning")
                    else None
                ),
            )
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}?token={LAB_TOKEN}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=APP_TIMEOUT_MS)

            # Run ▸ Run All Cells once the kernel is connected (before, JupyterLab asks for one)
            page.wait_for_function(
                "() => /Python 3 \\(ipykernel\\) \\| Idle/"
                ".test(document.querySelector('#jp-main-statusbar')?.innerText ?? '')",
                timeout=APP_TIMEOUT_MS,
            )
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

            # 1. every chart drawn, each embedded once
            for name in CHART_NAMES:
                try:
                    page.locator(f".tk-chart-{name} .vega-embed svg").first.wait_for(
                        timeout=DRAWN_TIMEOUT_MS
                    )
                except Exception:  # playwright's TimeoutError: show what the page has
                    page.screenshot(path=str(tmp_path / "not-drawn.png"))
                    pytest.fail(
                        f"chart {name} not drawn; console: {console}; page errors: {page_errors}; "
                        f"charts: {page.evaluate(COUNTS_JS, list(CHART_NAMES))}"
                    )
            headline = page.locator(".tk-headline")
            headline.wait_for(timeout=UPDATE_TIMEOUT_MS)
            drawn = time.monotonic() - started
            counts = page.evaluate(COUNTS_JS, list(CHART_NAMES))
            assert all(counts[name][0] == "1" for name in CHART_NAMES), counts
            before_text = headline.inner_text()
            before_chart = page.evaluate(f"() => {PHASES_SVG}")
            assert "Under these assumptions" in before_text
            assert before_chart

            # 2. ten steps right on a slider: the readout and the phases chart change, in place
            handle = page.locator(f".tk-knob-{SLIDER} .noUi-handle")
            handle.focus()
            for _ in range(10):
                handle.press("ArrowRight")
            page.wait_for_function(
                "before => document.querySelector('.tk-headline')?.innerText !== before",
                arg=before_text,
                timeout=UPDATE_TIMEOUT_MS,
            )
            page.wait_for_function(  # all ten steps reached the kernel: 0.22 + 10 × 0.01
                "() => document.querySelector('.tk-readout')?.innerText"
                ".includes('Westward → combat on Russian soil (rate per month) = 0.32')",
                timeout=UPDATE_TIMEOUT_MS,
            )
            page.wait_for_function(
                f"before => {{ const now = {PHASES_SVG}; return !!now && now !== before; }}",
                arg=before_chart,
                timeout=UPDATE_TIMEOUT_MS,
            )
            page.wait_for_function(
                "el => Number(el?.getAttribute('data-tk-updates') ?? '0') >= 1",
                arg=page.evaluate_handle(TARGET_JS, "phases"),
                timeout=UPDATE_TIMEOUT_MS,
            )
            assert headline.inner_text() != before_text
            draws, updates = page.evaluate(COUNTS_JS, ["phases"])["phases"]
            assert draws == "1", f"the phases chart was embedded again ({draws} draws)"
            assert int(updates) >= 1, updates
            after = page.evaluate(COUNTS_JS, list(CHART_NAMES))
            page.screenshot(path=str(tmp_path / "explorer-lab.png"))
        finally:
            browser.close()

    # 3. offline, and nothing thrown in the page
    assert external == [], f"requests left 127.0.0.1: {external}"
    assert page_errors == [], page_errors
    print(
        f"JupyterLab explorer: charts drawn {drawn:.1f} s after start; counts (draws, updates) "
        f"after the slider: {after}; console errors/warnings: {console}"
    )
