"""The report kernel's client: ready as soon as its kernel_info request is answered on both channels."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
import zmq

from toolkit.jupyter.kernels import (
    RECONNECT_MS,
    Kernel,
    _iopub_live,
    _ready_client_class,
    _reply,
)


class FakeChannel:
    """An async channel handing out queued messages, then timing out (Empty)."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = list(messages)

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        if not self.messages:
            raise Empty
        return self.messages.pop(0)


def msg(
    parent: str, msg_type: str = "kernel_info_reply", state: str | None = None
) -> dict[str, Any]:
    content = {"execution_state": state} if state else {}
    return {"parent_header": {"msg_id": parent}, "msg_type": msg_type, "content": content}


def test_reply_skips_other_requests_and_gives_up_when_nothing_comes() -> None:
    shell = FakeChannel([msg("warm-up", "execute_reply"), msg("mine")])
    found = asyncio.run(_reply(shell, "mine", wait=1.0))
    assert found is not None
    assert found["parent_header"]["msg_id"] == "mine"
    assert asyncio.run(_reply(FakeChannel([msg("other")]), "mine", wait=1.0)) is None


def test_iopub_live_needs_this_requests_idle_status() -> None:
    iopub = FakeChannel(
        [
            msg("warm-up", "status", "idle"),  # another request's: not proof for ours
            msg("mine", "status", "busy"),
            msg("mine", "status", "idle"),
        ]
    )
    assert asyncio.run(_iopub_live(iopub, "mine", wait=1.0)) is True
    lost = FakeChannel([msg("mine", "status", "busy")])  # IOPub not connected yet: ask again
    assert asyncio.run(_iopub_live(lost, "mine", wait=1.0)) is False


def test_a_welcome_proves_iopub_live_when_the_idle_status_was_lost() -> None:
    """A client that connected before its kernel bound its sockets loses the first idle status
    (ZeroMQ's slow joiner); the kernel's `iopub_welcome` to the new subscription is proof enough."""
    welcomed = FakeChannel(
        [
            msg("mine", "status", "busy"),
            {"parent_header": {}, "msg_type": "iopub_welcome", "content": {"subscription": ""}},
        ]
    )
    assert asyncio.run(_iopub_live(welcomed, "mine", wait=1.0)) is True


def test_report_kernels_use_the_ready_client(tmp_path: Path) -> None:
    kernel = Kernel(cwd=tmp_path).start()
    try:
        assert kernel.km is not None
        kc = kernel.km.client()
        assert isinstance(kc, _ready_client_class())
        kc.start_channels()
        try:
            # it retries a kernel that is not listening yet every 10 ms, not ZeroMQ's 100 ms
            for channel in (kc.shell_channel, kc.iopub_channel, kc.control_channel):
                assert channel.socket.getsockopt(zmq.RECONNECT_IVL) == RECONNECT_MS == 10
            asyncio.run(asyncio.wait_for(kc.wait_for_ready(timeout=60), 90))
        finally:
            kc.stop_channels()
        assert kernel.run("21 * 2")["status"] == "ok"
    finally:
        kernel.shutdown()
    assert kernel.km is None


def test_the_report_kernel_welcomes_a_new_iopub_subscriber(tmp_path: Path) -> None:
    """What the ready client relies on when the idle status is lost: ipykernel greets a new IOPub
    subscription with an `iopub_welcome` message, if it is the first (its XPUB socket passes on only
    a topic's first subscription). So the toolkit's own client, which has run the warm-up here, as
    in a sweep's reused kernel, must not hold one: papermill's client would then get no welcome."""
    kernel = Kernel(cwd=tmp_path).start()
    try:
        assert kernel.km is not None
        assert kernel.run("1 + 1")["status"] == "ok"  # the toolkit's own client is up
        kc = kernel.km.client()
        kc.start_channels()
        try:

            async def welcome() -> dict[str, Any]:
                while True:
                    found: dict[str, Any] = await kc.iopub_channel.get_msg(timeout=60)
                    if found["msg_type"] == "iopub_welcome":
                        return found

            greeting = asyncio.run(asyncio.wait_for(welcome(), 90))
        finally:
            kc.stop_channels()
        assert greeting["parent_header"] == {}
    finally:
        kernel.shutdown()


def test_shutdown_reaps_the_kernel_process(tmp_path: Path) -> None:
    kernel = Kernel(cwd=tmp_path).start()
    assert kernel.km is not None
    proc = kernel.km.provisioner.process  # type: ignore[union-attr]
    assert kernel.is_alive()
    kernel.shutdown()
    assert proc.poll() is not None  # dead and reaped, not left to jupyter_client's polling


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from toolkit.jupyter.kernels import Kernel
print(Kernel(cwd=Path.cwd())._private_dir(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as `kill -9` of a report: no clean-up runs
"""


def test_stale_kernel_folders_are_removed_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed by SIGTERM/SIGKILL leaves its private folder; the next kernel removes it, but
    never a folder of a live run (its pid is alive, or it holds its folder's lock)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left_by_kill = Path(killed.stdout.strip())
    assert left_by_kill.parent == tmp_path
    assert left_by_kill.is_dir()
    stale = tmp_path / f"toolkit-kernel-{_dead_pid()}-abcd_123"
    (stale / "ipython").mkdir(parents=True)
    live = tmp_path / f"toolkit-kernel-{os.getpid()}-efgh4567"
    (live / "ipython").mkdir(parents=True)
    elsewhere = tmp_path / f"toolkit-kernel-{_dead_pid()}-ijkl8901"  # a live run in another pid
    elsewhere.mkdir()  # namespace: its pid means nothing here, its lock does
    lock = os.open(elsewhere / "owner.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    unknown = tmp_path / "toolkit-kernel-x1y2z3ab"  # no owner in its name: left alone
    unknown.mkdir()
    other = tmp_path / f"other-{_dead_pid()}-abc"
    other.mkdir()
    kernel = Kernel(cwd=tmp_path)
    try:
        private = Path(kernel._private_dir())
        assert not left_by_kill.exists()
        assert not stale.exists()
        assert private.name.startswith(f"toolkit-kernel-{os.getpid()}-")
        assert private.parent == tmp_path
        assert live.is_dir()
        assert elsewhere.is_dir()
        assert unknown.is_dir()
        assert other.is_dir()
        assert private.is_dir()
    finally:
        kernel.shutdown()
        os.close(lock)
    assert not private.exists()


def test_a_kernel_under_a_deep_temp_dir_talks_tcp(tmp_path: Path) -> None:
    """A Unix socket path holds at most 107 bytes: under a deep TMPDIR the kernel falls back to TCP
    on loopback instead of failing to start ("File name too long")."""
    from toolkit.jupyter.kernels import transport_for

    assert transport_for("/tmp/toolkit-kernel-1-abc") == "ipc"
    deep = tmp_path / ("d" * 60) / ("e" * 40)
    assert transport_for(str(deep)) == "tcp"
