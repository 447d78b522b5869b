"""Open a report in headless Chromium, offline, and say what is wrong with it.

    findings = check_report(path)          # Debian's /usr/bin/chromium, driven by Playwright
    assert findings.problems() == []

Every request but the page itself is aborted and recorded (another local file, too: a report that
needs a file beside it does not travel). The checks: no external request, no console
error, no page error, no dialog (an `alert()` means a script from data ran), every chart drawn (an SVG
or canvas of non-zero size, no error), and moving an in-report Vega-bound slider changes its chart.
Adding a report to the browser tests is one line: `assert check_report(path).problems() == []`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CHART_TIMEOUT_MS = 30_000

# Page-side: one record per chart placeholder.
_CHARTS_JS = """() => Array.from(document.querySelectorAll('.tk-chart')).map(el => {
  const g = el.querySelector('svg.marks, canvas.marks, svg, canvas');
  const r = g ? g.getBoundingClientRect() : {width: 0, height: 0};
  return {id: el.id, drawn: !!g, width: r.width, height: r.height,
          error: el.getAttribute('data-tk-error'),
          marks: el.querySelectorAll('svg .mark-rect path, svg path, svg text').length};
})"""
_ALL_DRAWN_JS = """() => {
  const charts = document.querySelectorAll('.tk-chart');
  return Array.from(charts).every(el => el.hasAttribute('data-tk-error') ||
    (el.getAttribute('data-tk-state') === 'done' && el.querySelector('svg.marks, canvas.marks')));
}"""
# drawn, and each chart fitted to its column's present width (after a resize, charts.js refits the
# charts whose column changed once the resizing stops: until then a chart's data-tk-width differs)
_ALL_FITTED_JS = (
    """() => ("""
    + _ALL_DRAWN_JS
    + """)() &&
  Array.from(document.querySelectorAll('.tk-chart')).every(el => el.hasAttribute('data-tk-error') ||
    el.getAttribute('data-tk-width') === String(el.parentElement.clientWidth))"""
)


@dataclass
class Findings:
    """What the browser saw."""

    path: Path
    external_requests: list[str] = field(default_factory=list)
    file_requests: list[str] = field(default_factory=list)  # local files other than the page
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)  # Vega's, e.g. an infinite extent
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    sliders: int = 0
    slider_changed: bool | None = None  # None: the report has no slider
    body_text: str = ""
    svg_text: str = ""

    def problems(self, *, expect_charts: bool = True, expect_slider: bool = True) -> list[str]:
        found = [f"external request: {u}" for u in self.external_requests]
        found += [f"local file request: {u}" for u in self.file_requests]
        found += [f"console error: {m}" for m in self.console_errors]
        found += [f"page error: {m}" for m in self.page_errors]
        found += [f"dialog opened (a script ran): {m}" for m in self.dialogs]
        if expect_charts and not self.charts:
            found.append("no charts in the report")
        for chart in self.charts:
            if chart["error"]:
                found.append(f"chart {chart['id']} failed: {chart['error']}")
            elif not chart["drawn"] or chart["width"] <= 0 or chart["height"] <= 0:
                found.append(f"chart {chart['id']} not drawn ({chart['width']}x{chart['height']})")
        if expect_slider and self.slider_changed is None:
            found.append("no Vega-bound slider in the report")
        if self.slider_changed is False:
            found.append("moving the slider did not change its chart")
        return found


def check_report(
    path: Path, *, timeout_ms: int = CHART_TIMEOUT_MS, folder: bool = False
) -> Findings:
    """Load `path` offline in headless Chromium and collect findings (see the module docstring).
    `folder`: the report travels with its folder (`toolkit sweep --shared-assets`), so files
    beside it may load; anything else is still aborted and recorded."""
    from playwright.sync_api import sync_playwright

    findings = Findings(path=path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})

            page_url = path.resolve().as_uri()
            beside = path.resolve().parent.as_uri() + "/"

            def route(route: Any) -> None:
                url = route.request.url
                inside = folder and url.startswith(beside) and "/" not in url[len(beside) :]
                if url == page_url or inside:
                    route.continue_()
                elif url.startswith("file:"):
                    findings.file_requests.append(url)
                    route.abort()
                else:
                    findings.external_requests.append(url)
                    route.abort()

            page.route("**/*", route)

            def console(msg: Any) -> None:
                if msg.type == "error":
                    findings.console_errors.append(msg.text)
                elif msg.type == "warning":
                    findings.console_warnings.append(msg.text)

            page.on("console", console)
            page.on("pageerror", lambda exc: findings.page_errors.append(str(exc)))

            def dialog(d: Any) -> None:
                findings.dialogs.append(d.message)
                d.dismiss()

            page.on("dialog", dialog)
            page.goto(page_url, wait_until="load")
            page.wait_for_function(_ALL_DRAWN_JS, timeout=timeout_ms)
            page.wait_for_timeout(200)  # let any late error surface
            findings.charts = page.evaluate(_CHARTS_JS)
            findings.body_text = page.inner_text("body")
            findings.svg_text = " ".join(page.locator(".tk-chart svg text").all_text_contents())
            _move_slider(page, findings, timeout_ms)
        finally:
            browser.close()
    return findings


def _move_slider(page: Any, findings: Findings, timeout_ms: int) -> None:
    sliders = page.locator(".tk-chart input[type=range]")
    findings.sliders = sliders.count()
    if not findings.sliders:
        return
    chart_id = page.evaluate(
        "() => Array.from(document.querySelectorAll('.tk-chart'))"
        ".find(c => c.querySelector('input[type=range]')).id"
    )
    chart = page.locator(f"#{chart_id}")
    graphic = chart.locator("svg.marks, canvas.marks").first
    before = graphic.evaluate(_GRAPHIC_STATE_JS)
    chart.locator("input[type=range]").first.evaluate(
        """el => { el.value = el.value === el.max ? el.min : el.max;
                   el.dispatchEvent(new Event('input', {bubbles: true}));
                   el.dispatchEvent(new Event('change', {bubbles: true})); }"""
    )
    try:
        page.wait_for_function(
            "([el, before]) => (" + _GRAPHIC_STATE_JS + ")(el) !== before",
            arg=[graphic.element_handle(), before],
            timeout=min(timeout_ms, 5_000),
        )
        findings.slider_changed = True
    except Exception:  # playwright TimeoutError: the chart stayed as it was
        findings.slider_changed = False


# An SVG's markup or a canvas's pixels: what the reader sees.
_GRAPHIC_STATE_JS = "el => el.tagName.toLowerCase() === 'canvas' ? el.toDataURL() : el.innerHTML"


# -- layout: nothing wider than its column (issue 14) ---------------------------------------------------
# Page-side: every chart, legend, title and table that passes the edge of its container, and whether
# the page scrolls sideways. A chart is checked against its output area (the column), its legends and
# title against the chart's own graphic (Vega cuts what passes it).
_LAYOUT_JS = """() => {
  const px = r => Math.round(r * 10) / 10;
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    found.push(`page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
  const charts = [];
  document.querySelectorAll('.tk-chart').forEach(el => {
    const area = el.parentElement.getBoundingClientRect();
    const g = el.querySelector('svg.marks');
    if (!g) { found.push(`${el.id}: not drawn`); return; }
    const box = g.getBoundingClientRect();
    if (box.right > area.right + 1 || box.left < area.left - 1)
      found.push(`${el.id}: ${px(box.width)} px chart passes its ${px(area.width)} px column`);
    if (el.parentElement.scrollWidth > el.parentElement.clientWidth + 1)
      found.push(`${el.id}: its column scrolls sideways`);
    const own = parseFloat(g.getAttribute('width'));
    if (own > box.width + 1) found.push(`${el.id}: drawn ${own} px wide, shrunk to ${px(box.width)}`);
    const legends = [];
    g.querySelectorAll('.role-legend').forEach(l => {
      const r = l.getBoundingClientRect();
      if (r.width === 0) return;
      if (r.right > box.right + 1) found.push(`${el.id}: a legend is cut at the right edge`);
      legends.push({left: r.left - box.left, top: r.top - box.top, width: r.width});
    });
    g.querySelectorAll('.role-title-text, .role-title').forEach(t => {
      const r = t.getBoundingClientRect();
      if (r.right > box.right + 1) found.push(`${el.id}: its title or caption is cut`);
    });
    const axes = Array.from(g.querySelectorAll('.role-axis')).map(a => a.getBoundingClientRect())
      .filter(r => r.height > r.width).map(r => r.bottom - box.top);
    charts.push({id: el.id, width: box.width, legends: legends, axisBottom: axes.length ? Math.min(...axes) : null});
  });
  document.querySelectorAll('table').forEach((t, i) => {
    const r = t.getBoundingClientRect();
    const p = t.parentElement.getBoundingClientRect();
    if (r.width > 0 && r.right > p.right + 1)
      found.push(`table ${i + 1}: ${px(r.width)} px passes its ${px(p.width)} px container`);
  });
  return {problems: found, charts: charts};
}"""


@dataclass
class Layout:
    """What `check_layout` saw: problems (text) and each chart's legends (px from its top left) and
    where its first vertical axis ends (`axisBottom`: a legend below it is below a plot; None
    without a vertical axis)."""

    problems: list[str]
    charts: list[dict[str, Any]]
    pdf: bytes = b""


@contextlib.contextmanager
def drawn_page(path: Path, width: int, *, timeout_ms: int = CHART_TIMEOUT_MS) -> Iterator[Any]:
    """A Chromium page of `path` at `width` px, offline (every request but the file's is aborted),
    once every chart is drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page_url = path.resolve().as_uri()
            page.route("**/*", lambda r: r.continue_() if r.request.url == page_url else r.abort())
            page.goto(page_url, wait_until="load")
            page.wait_for_function(_ALL_DRAWN_JS, timeout=timeout_ms)
            yield page
        finally:
            browser.close()


def check_layout(
    path: Path,
    width: int,
    *,
    print_width: int | None = None,
    pdf: bool = False,
    timeout_ms: int = CHART_TIMEOUT_MS,
) -> Layout:
    """Open `path` offline at `width` px; with `print_width`, then switch to print media at that
    width (the page's printable width) and let the charts fit again; report what overflows. `pdf`:
    also print it to an A4 PDF (`Layout.pdf`)."""
    with drawn_page(path, width, timeout_ms=timeout_ms) as page:
        if print_width is not None:
            page.emulate_media(media="print")
            page.set_viewport_size({"width": print_width, "height": 900})
        page.wait_for_function(_ALL_FITTED_JS, timeout=timeout_ms)
        seen = page.evaluate(_LAYOUT_JS)
        data = page.pdf(format="A4", print_background=True) if pdf else b""
    return Layout(problems=seen["problems"], charts=seen["charts"], pdf=data)


# -- contents: its links go to their headings (issue 14) ------------------------------------------------
def follow_contents(
    path: Path, width: int, *, timeout_ms: int = CHART_TIMEOUT_MS
) -> list[dict[str, Any]]:
    """Open `path` offline at `width` px and click each link of its contents in turn; per link: its
    `href`, the page's `hash` after the click, and the `top` of the heading it names (px from the top
    of the window: about 0 when the link worked) or None if there is no such heading."""
    with drawn_page(path, width, timeout_ms=timeout_ms) as page:
        links = page.locator("nav.tk-contents a")
        seen = []
        for i in range(links.count()):
            link = links.nth(i)
            href = link.get_attribute("href") or ""
            page.evaluate("() => window.scrollTo(0, 0)")
            link.click()  # an in-page link: the hash changes and the page scrolls at once
            page.wait_for_function("href => location.hash === href", arg=href)
            seen.append(
                page.evaluate(
                    """href => { const el = document.getElementById(decodeURIComponent(href.slice(1)));
                      return {href: href, hash: location.hash,
                              top: el ? el.getBoundingClientRect().top : null}; }""",
                    href,
                )
            )
    return seen


# -- what a reader sees: the text of every cell before the appendix (issue 14) --------------------------
_READER_TEXT_JS = """() => {
  const out = [];
  for (const cell of document.querySelectorAll('main > .jp-Cell')) {
    const heading = cell.querySelector('h2');
    if (heading && heading.textContent.trim().startsWith('Appendix')) break;
    const svg = Array.from(cell.querySelectorAll('svg text')).map(t => t.textContent).join('\\n');
    out.push(cell.innerText + '\\n' + svg);
  }
  return out;
}"""


def reader_text(path: Path, width: int = 1200, *, timeout_ms: int = CHART_TIMEOUT_MS) -> list[str]:
    """The visible text of each cell of the report at `path` (Markdown, outputs and the charts'
    SVG text: axes, legends, titles; not tooltips, which Vega draws only on hover) up to the cell
    that opens the appendix (an `h2` starting "Appendix"); the footer is not a cell."""
    with drawn_page(path, width, timeout_ms=timeout_ms) as page:
        texts: list[str] = page.evaluate(_READER_TEXT_JS)
    return texts
