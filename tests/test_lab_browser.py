"""`toolkit lab` in a real browser: JupyterLab loads and does not ask whether to fetch Jupyter news.

A control first: plain `jupyter lab` with the same options (`lab_argv`) and fresh settings asks (so
the check below would see the prompt); then `toolkit lab`, which must not. Both run on a free
127.0.0.1 port in their own process group with every Jupyter and IPython file in the test's temporary
directory; the browser (Debian's headless Chromium) may reach nothing but 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from toolkit.explore.servers import lab_argv

from .browser_check import CHROMIUM, CHROMIUM_ARGS
from .conftest import ROOT
from .test_serve_browser import free_port, stop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("lab"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

NEWS_PROMPT = "Would you like to get notified about official Jupyter news?"
TOKEN = "toolkit-test"


def _prompt_shown(command: Sequence[str], port: int, tmp: Path, wait: float) -> bool:
    """Start `command` (a JupyterLab on `port`), open /lab and say whether the news prompt appears
    within `wait` seconds of the app being drawn."""
    from playwright.sync_api import Route, sync_playwright

    (tmp / "home").mkdir(parents=True)
    env = {
        **os.environ,
        "HOME": str(
            tmp / "home"
        ),  # jupyter_lsp runs `npm prefix --global`, which logs under ~/.npm
        "JUPYTER_TOKEN": TOKEN,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "user-settings"),  # fresh: nobody has answered yet
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "IPYTHONDIR": str(tmp / "ipython"),
    }
    log = tmp / "lab.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=tmp,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{log.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)

        def route(r: Route) -> None:
            if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                r.continue_()
            else:
                r.abort()

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                env=env,  # its profile in tmp too
            )
            try:
                page = browser.new_page()
                page.route("**/*", route)
                page.goto(f"http://127.0.0.1:{port}/lab?token={TOKEN}")
                page.locator("#jp-main-dock-panel").wait_for(timeout=60_000)
                try:
                    page.get_by_text(NEWS_PROMPT).wait_for(timeout=wait * 1000)
                except Exception:  # playwright's TimeoutError: no prompt
                    return False
                return True
            finally:
                browser.close()
    finally:
        stop(process)


def test_toolkit_lab_does_not_ask_about_jupyter_news(tmp_path: Path) -> None:
    port = free_port()
    plain = [str(Path(sys.executable).parent / "jupyter-lab")]
    plain += lab_argv(ROOT / "notebooks", port, open_browser=False)
    assert _prompt_shown(plain, port, tmp_path / "plain", wait=30), "control: no prompt to check"

    port = free_port()
    ours = [sys.executable, "-m", "toolkit", "lab", "--no-browser", "--port", str(port)]
    # In the control the prompt shows within a second of the app being drawn (2 cores).
    assert not _prompt_shown(ours, port, tmp_path / "toolkit", wait=5)
