"""The explorer's live charts (`toolkit/explore/live_charts.js`) in a real browser, without Jupyter: a
chart updated in place with new rows draws exactly what a fresh embed of the new spec draws.

The widget's module (the offline Vega bundle and live_charts.js) is imported in headless Chromium from
a blob URL, as anywidget does, and rendered against a small stand-in for the widget model (`get`,
`on`, and `set`, which fires `change:<name>` as Backbone does). Nothing leaves the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toolkit.explore.live_charts import module_source, split_spec
from toolkit.explore.specs import CHART_NAMES
from toolkit.explore.state import ExplorerState
from toolkit.jupyter.offline import EMBED_OPTIONS
from toolkit.pack.load import load_pack

from .browser_check import CHROMIUM, CHROMIUM_ARGS
from .servers import local_only

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

SETUP_JS = """
async (src) => {
  const url = URL.createObjectURL(new Blob([src], {type: 'text/javascript'}));
  window.tkModule = (await import(url)).default;
  window.tkModel = (state) => {
    const handlers = {};
    return {
      get: (key) => state[key],
      on: (event, handler) => { (handlers[event] ??= []).push(handler); },
      set: (key, value) => { state[key] = value; (handlers['change:' + key] ?? []).forEach(h => h()); },
    };
  };
}
"""
RENDER_JS = """
async ([id, state]) => {
  const el = document.createElement('div');
  el.id = id;
  document.body.appendChild(el);
  const model = window.tkModel(state);
  window['model_' + id] = model;
  await window.tkModule.render({model, el});
}
"""
SVGS_JS = """
(id) => Object.fromEntries([...document.querySelectorAll(`#${id} .tk-live-chart`)].map(box => [
  box.classList[0], [box.querySelector('svg')?.outerHTML ?? '', box.firstChild.dataset.tkDraws,
  box.firstChild.dataset.tkUpdates ?? '0']]))
"""


def model_state(specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    split = {name: split_spec(name, specs[name]) for name in CHART_NAMES}
    return {
        "names": list(CHART_NAMES),
        "specs": {name: frame for name, (frame, _) in split.items()},
        "data": {name: data for name, (_, data) in split.items()},
        "embed_options": dict(EMBED_OPTIONS),
    }


def test_rows_updated_in_place_draw_what_a_fresh_embed_draws() -> None:
    from playwright.sync_api import sync_playwright

    state = ExplorerState(load_pack(), paths=2_000, months=12)
    before = model_state(state.specs)
    assert state.set("rate_westward_to_frontline", 0.35)
    after = model_state(state.specs)
    assert after["specs"] == before["specs"]  # the same structure: only rows change
    assert after["data"] != before["data"]
    external: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.route("**/*", local_only(external))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "warning" else None)
            page.set_content("<!doctype html><html><body></body></html>")
            page.evaluate(SETUP_JS, module_source())
            page.evaluate(RENDER_JS, ["moved", before])
            page.evaluate("(data) => window.model_moved.set('data', data)", after["data"])
            page.wait_for_function(  # every chart whose rows changed has been refilled
                "() => ['phases', 'transfers', 'responses'].every(name => document.querySelector("
                "`#moved .tk-chart-${name} > div`).dataset.tkUpdates === '1')",
                timeout=30_000,
            )
            page.evaluate(RENDER_JS, ["fresh", after])
            moved, fresh = page.evaluate(SVGS_JS, "moved"), page.evaluate(SVGS_JS, "fresh")
        finally:
            browser.close()
    assert external == []
    assert errors == []
    for name in ("phases", "transfers", "responses"):
        svg, draws, updates = moved[f"tk-chart-{name}"]
        assert (draws, updates) == ("1", "1"), name  # embedded once, then updated in place
        assert svg == fresh[f"tk-chart-{name}"][0], name  # the same picture as a fresh embed
        assert "<svg" in svg
    assert moved["tk-chart-policy"][1:] == ["1", "0"]  # its rows did not change: left alone
