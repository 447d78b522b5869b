"""Latency of the live explorer in a browser: from a slider key press to the redrawn charts.

    .venv/bin/python benchmarks/bench_explore_browser.py [--moves N] [--slider ID] [--charts a,b]

Starts `toolkit serve` (Voilà) on a free 127.0.0.1 port in its own session, opens it in Debian's
headless Chromium (Playwright; every request off 127.0.0.1 aborted), waits until every chart is
drawn, then moves one slider `--moves` times with the keyboard (one step right, then one left, ...),
waiting each time until every chart of `--charts` (default: the three the default slider changes)
is drawn again with new content. Timed in the page (`performance.now()`) from the key press: to the
first mutation after which a chart's container holds a complete Vega SVG different from before
(per chart, and the last of them: "all"), and to the first change of the readout (when the update's
widget messages arrived; the rest is drawing). That includes the view's debounce (the kernel runs
one update once the slider has been still for `DEBOUNCE` seconds), the kernel's update (the state's
`latency`, shown by the app as "Updated in N ms" and printed too), the widget messages and the
browser's drawing. The server and its kernel are stopped at the end. Not a timed test: compare runs
on the same machine at the same load (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.explore.view import DEBOUNCE  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")

# Page side: time stamps of key presses, of the readout's change and of each chart's redraw (a
# complete Vega SVG that differs from the one drawn before the press).
WATCH_JS = """charts => {
  const w = window.__tk = {pressed: 0, text: 0, charts: {}};
  for (const name of charts) {
    const box = document.querySelector('.tk-chart-' + name);
    const c = w.charts[name] = {drawn: 0, before: ''};
    c.svg = () => box.querySelector('.vega-embed svg.marks');
    new MutationObserver(() => {
      const s = c.svg();
      if (w.pressed && !c.drawn && s && s.querySelector('g') && s.outerHTML !== c.before) {
        c.drawn = performance.now();
      }
    }).observe(box, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  document.addEventListener('keydown', () => {
    for (const c of Object.values(w.charts)) {
      const s = c.svg();
      c.before = s ? s.outerHTML : '';
      c.drawn = 0;
    }
    w.text = 0;
    w.pressed = performance.now();
  }, true);
  new MutationObserver(() => {
    if (w.pressed && !w.text) w.text = performance.now();
  }).observe(document.querySelector('.tk-readout-box'),
             {subtree: true, childList: true, characterData: true});
}"""
ALL_DRAWN_JS = "() => Object.values(window.__tk.charts).every(c => c.drawn > 0)"
TIMES_JS = """() => {
  const w = window.__tk, out = {readout: w.text - w.pressed};
  for (const [name, c] of Object.entries(w.charts)) out[name] = c.drawn - w.pressed;
  out.all = Math.max(...Object.keys(w.charts).map(k => out[k]));
  return out;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("toolkit serve exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"toolkit serve did not listen within {timeout} s")


def measure(
    url: str, moves: int, slider: str, charts: list[str]
) -> tuple[list[dict[str, float]], list[str]]:
    """Per move: ms from the key press to each chart's redraw, to the last ("all") and to the new
    readout; and the app's "Updated in" notes."""
    from playwright.sync_api import sync_playwright

    def route(r: object) -> None:
        request = r.request  # type: ignore[attr-defined]
        (r.continue_ if request.url.startswith(LOCAL) else r.abort)()  # type: ignore[attr-defined]

    times: list[dict[str, float]] = []
    notes: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", route)
            page.goto(url)
            for name in ("phases", "transfers", "responses", "policy"):
                page.locator(f".tk-chart-{name} .vega-embed svg").first.wait_for(timeout=120_000)
            page.evaluate(WATCH_JS, charts)
            handle = page.locator(f".tk-knob-{slider} .noUi-handle")
            handle.focus()
            for i in range(moves):
                handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                page.wait_for_function(ALL_DRAWN_JS, timeout=60_000)
                times.append(page.evaluate(TIMES_JS))
                notes.append(page.locator(".tk-status").inner_text())
                time.sleep(0.3)  # let the browser settle before the next press
        finally:
            browser.close()
    return times, notes


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return (
        f"median {statistics.median(ms):5.0f}  p95 {p95:5.0f}  min-max {ms[0]:4.0f}-{ms[-1]:4.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--slider", default="rate_westward_to_frontline")
    parser.add_argument("--charts", default="phases,transfers,responses")
    args = parser.parse_args()
    charts = args.charts.split(",")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": f"{tmp}/runtime", "IPYTHONDIR": f"{tmp}/ipy"}
        command = [sys.executable, "-m", "toolkit", "serve", "--port", str(port), "--no-browser"]
        with open(f"{tmp}/serve.log", "wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=tmp, start_new_session=True,
            )  # fmt: skip
        try:
            wait_listening(process, port, 60.0)
            print(f"load average (1, 5, 15 min) on {os.cpu_count()} cores: {os.getloadavg()}")
            times, notes = measure(f"http://127.0.0.1:{port}/", args.moves, args.slider, charts)
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # the server and the kernel it started
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    kernel = [float(n.split()[2]) for n in notes if n.startswith("Updated in")]
    print(
        f"{args.slider}: {len(times)} key presses in Chromium through Voilà, ms from the key press "
        f"(each includes the {DEBOUNCE * 1000:.0f} ms debounce); kernel update median "
        f"{statistics.median(kernel) if kernel else float('nan'):.0f} ms"
    )
    for what in ("readout", *charts, "all"):
        label = (
            "all charts redrawn" if what == "all" else f"{what} redrawn" if what in charts else what
        )
        print(f"  {label:22} {summary([t[what] for t in times])}")
    print(f"load average now: {os.getloadavg()}")


if __name__ == "__main__":
    main()
