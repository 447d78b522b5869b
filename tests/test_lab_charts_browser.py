"""A notebook run by plain papermill, opened in JupyterLab without being trusted, shows every chart
(issue 14): chart outputs are JupyterLab's own Vega-Lite mimetype, drawn by the renderer it bundles,
with no HTML or script to trust. The report notebook runs outside `toolkit report` (no report mode);
JupyterLab runs on a free 127.0.0.1 port with every Jupyter file in the test's temporary directory
(so no notebook is trusted); Debian's headless Chromium may reach nothing but 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from toolkit.explore.servers import lab_argv
from toolkit.jupyter import offline

from .browser_check import CHROMIUM, CHROMIUM_ARGS
from .conftest import ROOT
from .servers import LAB_MARKS, LAB_TOKEN, free_port, jupyter_env, local_only, running

pytestmark = LAB_MARKS

SMALL = {"paths": 400, "sensitivity_paths": 200, "grid_paths": 50, "months": 12}


def _papermill(tmp: Path, env: dict[str, str]) -> tuple[Path, int]:
    """The report notebook executed by papermill's own command line; (output, its chart outputs)."""
    out = tmp / "papermill-out.ipynb"
    args = [sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "report.ipynb"), str(out)]
    for name, value in SMALL.items():
        args += ["-p", name, str(value)]
    done = subprocess.run(
        args, env=env, cwd=tmp, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    charts = [o for o in outputs if offline.VEGALITE_MIMETYPE in o.get("data", {})]
    assert all("text/html" not in o["data"] for o in charts)
    return out, len(charts)


def test_an_untrusted_papermill_notebook_shows_every_chart_in_jupyterlab(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    env = jupyter_env(tmp_path, JUPYTER_TOKEN=LAB_TOKEN)  # its own notary: nothing is trusted
    env.pop(offline.REPORT_MODE_ENV, None)
    notebook, expected = _papermill(tmp_path, env)
    assert (
        expected == 11
    )  # every chart of the default report, the tracker's posterior and watch list included

    port = free_port()
    command = [str(Path(sys.executable).parent / "jupyter-lab")]
    command += lab_argv(tmp_path, port, open_browser=False)
    with (
        running(
            command, port=port, env=env, cwd=tmp_path, log=tmp_path / "lab.log", what="JupyterLab"
        ),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", local_only())
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{notebook.name}?token={LAB_TOKEN}")
            page.locator(".jp-Notebook").wait_for(timeout=60_000)
            drawn = "n => document.querySelectorAll('.jp-RenderedVegaLite svg.marks').length >= n"
            try:
                page.wait_for_function(drawn, arg=expected, timeout=60_000)
            except Exception:  # playwright's TimeoutError: say how many were drawn
                count = page.locator(".jp-RenderedVegaLite svg.marks").count()
                pytest.fail(f"JupyterLab drew {count} of {expected} charts")
            sizes = page.eval_on_selector_all(
                ".jp-RenderedVegaLite svg.marks",
                "els => els.map(e => [e.getBoundingClientRect().width, e.querySelectorAll('text').length])",
            )
            assert all(width > 100 and texts > 3 for width, texts in sizes), sizes
        finally:
            browser.close()
