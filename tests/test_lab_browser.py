"""`toolkit lab` in a real browser: JupyterLab loads and does not ask whether to fetch Jupyter news.

A control first: plain `jupyter lab` with the same options (`lab_argv`) and fresh settings asks (so
the check below would see the prompt); then `toolkit lab`, which must not. Both run on a free
127.0.0.1 port in their own process group with every Jupyter and IPython file in the test's temporary
directory; the browser (Debian's headless Chromium) may reach nothing but 127.0.0.1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit.explore.servers import lab_argv

from .browser_check import CHROMIUM, CHROMIUM_ARGS
from .conftest import ROOT
from .servers import LAB_MARKS, LAB_TOKEN, free_port, jupyter_env, local_only, running

pytestmark = LAB_MARKS

NEWS_PROMPT = "Would you like to get notified about official Jupyter news?"


def _prompt_shown(command: Sequence[str], port: int, tmp: Path, wait: float) -> bool:
    """Start `command` (a JupyterLab on `port`), open /lab and say whether the news prompt appears
    within `wait` seconds of the app being drawn."""
    from playwright.sync_api import sync_playwright

    env = jupyter_env(tmp, JUPYTER_TOKEN=LAB_TOKEN)  # fresh lab settings: nobody has answered yet
    with (
        running(command, port=port, env=env, cwd=tmp, log=tmp / "lab.log", what="JupyterLab"),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            env=env,  # its profile in tmp too
        )
        try:
            page = browser.new_page()
            page.route("**/*", local_only())
            page.goto(f"http://127.0.0.1:{port}/lab?token={LAB_TOKEN}")
            page.locator("#jp-main-dock-panel").wait_for(timeout=60_000)
            try:
                page.get_by_text(NEWS_PROMPT).wait_for(timeout=wait * 1000)
            except Exception:  # playwright's TimeoutError: no prompt
                return False
            return True
        finally:
            browser.close()


def test_toolkit_lab_does_not_ask_about_jupyter_news(tmp_path: Path) -> None:
    port = free_port()
    plain = [str(Path(sys.executable).parent / "jupyter-lab")]
    plain += lab_argv(ROOT / "notebooks", port, open_browser=False)
    assert _prompt_shown(plain, port, tmp_path / "plain", wait=30), "control: no prompt to check"

    port = free_port()
    ours = [sys.executable, "-m", "toolkit", "lab", "--no-browser", "--port", str(port)]
    # In the control the prompt shows within a second of the app being drawn (2 cores).
    assert not _prompt_shown(ours, port, tmp_path / "toolkit", wait=5)
