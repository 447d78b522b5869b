"""The explorer in a real browser: from a slider key press to the redrawn charts, through Voilà.

    .venv/bin/python benchmarks/bench_explore_browser.py [--rounds 15] [--slider rate_westward_to_frontline]

Starts three `toolkit serve` dashboards on free 127.0.0.1 ports: the explorer as it is (its charts
one anywidget whose Vega views get new rows in place: `toolkit.explore.live_charts`); the baseline,
the same widget and Vega bundle embedding each chart whose rows changed afresh
(`TOOLKIT_EXPLORER_CHARTS=reembed`: only the in-place update differs); and the old way, charts as
`ipywidgets.Output` outputs that the front end's own Vega renderer re-embeds
(`TOOLKIT_EXPLORER_CHARTS=output`). All open in one headless Debian Chromium (Playwright,
`/usr/bin/chromium`, every request that does not go to 127.0.0.1 aborted).

Each round presses an arrow key on the same slider in each page (the order of the pages rotates;
the key alternates right and left, so the value stays near the preset's) and measures, in the page,
from the key press to the last change to any chart's elements (a MutationObserver on the chart boxes;
the round ends when the readout has changed and the charts have been still for 0.5 s). That time
includes the explorer's debounce (`DEBOUNCE`: a drag runs one simulation when it pauses), the widget
messages, the kernel's update (printed too, as the kernel reports it) and the drawing. Each side is
quoted as the median with min–max of its rounds; the ratios are of the medians, and the "browser
side" is the median of (total - debounce - kernel update) per round: the messages, the widget's
serialisation and the drawing, what the in-place update changes. Not a timed test: numbers vary with
the machine and its load (printed).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_check import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.servers import free_port, local_only, running  # noqa: E402
from toolkit.explore.view import CHARTS_ENV, DEBOUNCE  # noqa: E402

SIDES = {"in place": "", "re-embed": "reembed", "Output": "output"}
QUIET_MS = 500

# In the page: watch the chart boxes and the key press (ARM_JS), then (WAIT_JS) resolve with (ms from
# the key press to the last chart mutation, the status line) once the readout changed (it names the
# moved value, so every update changes it; two updates can print the same "Updated in N ms", and an
# unchanged widget value sends nothing) and the charts stayed still for QUIET_MS.
ARM_JS = """
() => {
  const w = window;
  w.__tk = {before: document.querySelector('.tk-readout')?.innerText ?? '', start: null, last: null};
  w.__tk.observer = new MutationObserver(() => { w.__tk.last = performance.now(); });
  for (const box of document.querySelectorAll('[class*="tk-chart-"]')) {
    w.__tk.observer.observe(box, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  document.addEventListener('keydown', e => { w.__tk.start ??= e.timeStamp; }, {capture: true, once: true});
}
"""
WAIT_JS = """
async (quietMs) => {
  const tk = window.__tk;
  const status = () => document.querySelector('.tk-status')?.innerText ?? '';
  const readout = () => document.querySelector('.tk-readout')?.innerText ?? '';
  const begun = performance.now();
  while (readout() === tk.before || tk.last === null || performance.now() - tk.last < quietMs) {
    if (performance.now() - begun > 30000) { tk.observer.disconnect(); return [null, status()]; }
    await new Promise(r => setTimeout(r, 20));
  }
  tk.observer.disconnect();
  return [tk.last - tk.start, status()];
}
"""


def serve(stack: ExitStack, mode: str, tmp: Path) -> str:
    port = free_port()
    folder = tmp / (mode or "live")
    folder.mkdir()
    env = {
        **os.environ,
        CHARTS_ENV: mode,
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "IPYTHONDIR": str(folder / "ipython"),
    }
    command = [sys.executable, "-m", "toolkit", "serve", "--port", str(port), "--no-browser"]
    stack.enter_context(
        running(
            command,
            port=port,
            env=env,
            cwd=folder,
            log=folder / "serve.log",
            what="toolkit serve",
            timeout=60.0,
        )
    )
    return f"http://127.0.0.1:{port}/"


def open_page(browser: Any, url: str, external: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", local_only(external))
    # Voilà runs the notebook before it sends the page: "load" may come long after the 30 s default
    # on a loaded 2-core machine (a CI failure); the headline's own wait bounds it
    page.goto(url, wait_until="commit", timeout=120_000)
    page.locator(".tk-headline").wait_for(timeout=180_000)
    for name in ("phases", "transfers", "responses", "policy"):
        page.locator(f".tk-chart-{name} .vega-embed svg").first.wait_for(timeout=60_000)
    return page


def kernel_ms(status: str) -> float | None:
    match = re.search(r"Updated in (\d+) ms", status)
    return float(match.group(1)) if match else None


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--slider", default="rate_westward_to_frontline")
    args = parser.parse_args()
    selector = f".tk-knob-{args.slider} .noUi-handle"
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    totals: dict[str, list[float]] = {side: [] for side in SIDES}
    kernels: dict[str, list[float]] = {side: [] for side in SIDES}
    browser_side: dict[str, list[float]] = {side: [] for side in SIDES}
    external: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-explore-browser-") as tmp, ExitStack() as stack:
        urls = {side: serve(stack, mode, Path(tmp)) for side, mode in SIDES.items()}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pages = {side: open_page(browser, url, external) for side, url in urls.items()}
                sides = list(SIDES)
                skipped = 0
                for i in range(args.rounds + 1):  # round 0 warms every page up, not counted
                    key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"
                    measured: dict[str, tuple[float, float]] = {}
                    for side in sides[i % 3 :] + sides[: i % 3]:
                        page = pages[side]
                        page.bring_to_front()
                        page.evaluate(ARM_JS)
                        page.locator(selector).press(key)
                        elapsed, status = page.evaluate(WAIT_JS, QUIET_MS)
                        if elapsed is None:
                            sys.exit(f"{side}: the charts did not change within 30 s ({status!r})")
                        kernel = kernel_ms(status)
                        if kernel is not None:
                            measured[side] = (elapsed, kernel)
                    if i == 0:
                        continue
                    if len(measured) < len(SIDES):  # rounds stay paired across the three sides
                        skipped += 1
                        continue
                    for side, (elapsed, kernel) in measured.items():
                        totals[side].append(elapsed)
                        kernels[side].append(kernel)
                        browser_side[side].append(elapsed - DEBOUNCE * 1000 - kernel)
                draws = pages["in place"].evaluate(
                    "() => [...document.querySelectorAll('.tk-live-chart > div')].map("
                    "d => [d.parentElement.className.split(' ')[0], d.dataset.tkDraws, "
                    "d.dataset.tkUpdates])"
                )
            finally:
                browser.close()
    print(
        f"slider {args.slider}, {args.rounds - skipped} rounds each, alternating; milliseconds, "
        f"median (min–max)"
        + (f"; {skipped} round(s) left out: a side showed no kernel time" if skipped else "")
    )
    if not totals["in place"]:
        sys.exit("no round measured all three sides")
    for side in SIDES:
        t, k, b = totals[side], kernels[side], browser_side[side]
        print(
            f"  {side:<9} key press -> charts redrawn {statistics.median(t):6.0f} "
            f"({min(t):.0f}–{max(t):.0f});  kernel update {statistics.median(k):4.0f};  "
            f"browser side {statistics.median(b):5.0f} ({min(b):.0f}–{max(b):.0f})"
        )
    for other in ("re-embed", "Output"):
        ratio = statistics.median(totals["in place"]) / statistics.median(totals[other])
        rounds = [a / b for a, b in zip(totals["in place"], totals[other], strict=True)]
        side_ratio = statistics.median(browser_side["in place"]) / statistics.median(
            browser_side[other]
        )
        print(f"  ratio in place / {other}: {ratio:.2f}x total (rounds {min(rounds):.2f}–"
              f"{max(rounds):.2f}), {side_ratio:.2f}x browser side")  # fmt: skip
    print(f"  live charts (name, embeds, in-place updates): {draws}")
    print(f"  requests that left 127.0.0.1: {len(external)}")
    print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
