"""Local servers for browser tests: start one in its own process group, wait until it listens, stop it
and any kernel it started; keep Jupyter's files in the test's temporary directory; let the browser reach
nothing but 127.0.0.1.

Used by the `toolkit serve` (Voilà) and JupyterLab browser tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from .browser_check import CHROMIUM

LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")

LAB_TOKEN = "toolkit-test"
"""The token the JupyterLab browser tests' servers are started with."""
LAB_MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("lab"),  # one JupyterLab at a time
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]
"""`pytestmark` of the JupyterLab browser tests."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jupyter_env(tmp: Path, **extra: str) -> dict[str, str]:
    """os.environ with every file Jupyter, JupyterLab and IPython write (and HOME: jupyter_lsp runs
    `npm prefix --global`, which logs under ~/.npm) under `tmp`; fresh settings, nothing trusted."""
    (tmp / "home").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "HOME": str(tmp / "home"),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "IPYTHONDIR": str(tmp / "ipython"),
        **extra,
    }


def local_only(external: list[str] | None = None) -> Callable[[Any], None]:
    """A Playwright route handler: requests to 127.0.0.1 (and data:/blob:) go on, every other is
    aborted (and recorded in `external`, if given)."""

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(LOCAL):
            r.continue_()
        else:
            if external is not None:
                external.append(url)
            r.abort()

    return route


def wait_listening(
    process: subprocess.Popen[bytes], port: int, log: Path, what: str, timeout: float
) -> float:
    """Block until something listens on 127.0.0.1:`port` (the time it did, monotonic); fail the test
    with the server's log if `process` exits or `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited early:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return time.monotonic()
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{what} did not listen within {timeout} s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def running(
    command: Sequence[str],
    *,
    port: int,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    what: str,
    timeout: float = 60.0,
) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """Run `command` (a server on `port`) in its own session, output to `log`; yield it and the time it
    started listening once it does; stop it (and its kernels) on exit."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True,
        )  # fmt: skip
    try:
        yield process, wait_listening(process, port, log, what, timeout)
    finally:
        stop(process)


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a live process, from /proc; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[19]


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def survivors(processes: dict[int, str]) -> list[int]:
    """Those of `processes` ({pid: start time}, from `descendants`) still running as themselves."""
    return [
        pid for pid, started in processes.items()
        if alive(pid) and (stat := _stat(pid)) is not None and stat[1] == started
    ]  # fmt: skip


def descendants(pid: int) -> dict[int, str]:
    """Child processes of `pid`, recursively, with their start times (e.g. the kernel Voilà runs)."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child, started in parents.get(todo.pop(), []):
            found[child] = started
            todo.append(child)
    return found


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server we started: its process group, then any kernel it started in another session
    (only processes that are still the ones we saw: same pid and start time)."""
    if process.poll() is not None:
        return
    kids = descendants(process.pid)
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    for pid, started in kids.items():
        stat = _stat(pid)
        if stat is not None and stat[1] == started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
