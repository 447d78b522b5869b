"""Reports in headless Chromium (Debian's), offline: every non-file request aborted and recorded.

The fixture report has two Altair charts and a Vega-bound slider over a precomputed grid; it is
rendered with a pack whose entity name is `<script>alert(1)</script>`, which must show as text.
The checks live in tests/browser_check.py; a new report needs one line:
`assert check_report(path).problems() == []`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_check import CHROMIUM, check_report
from toolkit.cache import CACHE_ENV

FIXTURES = Path(__file__).resolve().parent / "fixtures"
XSS = "<script>alert(1)</script>"

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module", autouse=True)
def _env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.delenv("TOOLKIT_PACK", raising=False)
        yield


@pytest.fixture(scope="module")
def xss_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.pack.load import default_pack_path

    target = tmp_path_factory.mktemp("xss") / "pack"
    shutil.copytree(default_pack_path(), target)
    entities = target / "entities.yaml"
    text = entities.read_text(encoding="utf-8")
    old = "    name: North Korea (Democratic People's Republic of Korea)\n"
    assert old in text
    entities.write_text(text.replace(old, f'    name: "{XSS}"\n', 1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def xss_report(xss_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.report.render import render_report

    return render_report(
        FIXTURES / "charts_report.ipynb",
        pack=xss_pack,
        out=tmp_path_factory.mktemp("browser") / "xss.html",
    )


def test_report_works_offline_in_chromium(xss_report: Path) -> None:
    findings = check_report(xss_report)
    assert findings.problems() == []
    assert findings.external_requests == []
    assert len(findings.charts) == 2
    assert findings.sliders == 1
    assert findings.slider_changed is True


def test_sweep_with_shared_assets_draws_from_the_folder(tmp_path: Path) -> None:
    """`toolkit sweep --shared-assets`: the chart library is one file beside index.html, and the
    reports draw their charts from it, offline."""
    from toolkit.report.sweep import sweep

    result = sweep(
        {"n_points": [5]},
        notebook=FIXTURES / "charts_report.ipynb",
        out_dir=tmp_path / "sweep",
        workers=1,
        shared_assets=True,
    )
    (report,) = result.reports
    assert len(list((tmp_path / "sweep").glob("vega-bundle-*.js"))) == 1
    findings = check_report(report, folder=True)
    assert findings.problems() == []
    assert len(findings.charts) == 2
    assert all(chart["drawn"] for chart in findings.charts)
    assert findings.file_requests == []  # nothing but the file beside it
    # copied out of its folder, the report says why it draws nothing (it drew blank chart areas
    # with no word why; found in a bug hunt)
    alone = tmp_path / "alone" / report.name
    alone.parent.mkdir()
    alone.write_bytes(report.read_bytes())
    assert "need vega-bundle-" in _missing_library_notice(alone)


def _missing_library_notice(path: Path) -> str:
    """The text of the page's missing-library notice, loaded offline with nothing beside it."""
    from playwright.sync_api import sync_playwright

    from tests.browser_check import CHROMIUM_ARGS

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            url = path.resolve().as_uri()
            page.route("**/*", lambda r: r.continue_() if r.request.url == url else r.abort())
            page.goto(url, wait_until="load")
            return page.locator(".tk-missing-library").inner_text(timeout=10_000)
        finally:
            browser.close()


def test_script_in_data_renders_as_text(xss_report: Path) -> None:
    findings = check_report(xss_report)
    assert findings.dialogs == []  # alert(1) never ran
    assert XSS in findings.svg_text  # chart title and label: SVG text
    assert XSS in findings.body_text  # the table cell (a Markdown output is sanitised: no script)
    document = xss_report.read_text(encoding="utf-8")
    assert document.count("<script>alert(1)") == 0  # nowhere as markup
    assert document.lower().count("<script") == 2 + 2 + 1  # 2 specs, bundle + renderer, provenance


def _default_notebook() -> Path:
    from toolkit.report.notebook import default_notebook_path

    return default_notebook_path()


@pytest.mark.skipif(
    not _default_notebook().exists(), reason="notebooks/report.ipynb not written yet"
)
def test_default_report_in_chromium(tmp_path: Path) -> None:
    from toolkit.report.render import render_report

    path = render_report(out=tmp_path / "report.html")
    findings = check_report(path)
    assert findings.problems() == []
    # Vega warned of an infinite extent (the watch chart with nothing seen yet), conflicting date
    # domains (the event timeline), a legend shown in one layer and not another (the network) and
    # "fit-y" dropped (charts with a row step, fitted to the column)
    assert findings.console_warnings == []
    assert path.stat().st_size <= 1_300_000
