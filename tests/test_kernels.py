"""The report kernel's client: ready as soon as its kernel_info request is answered on both channels."""

from __future__ import annotations

import asyncio
from pathlib import Path
from queue import Empty
from typing import Any

from toolkit.jupyter.kernels import Kernel, _idle, _ready_client_class, _reply


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


def test_idle_needs_this_requests_idle_status() -> None:
    iopub = FakeChannel(
        [
            msg("warm-up", "status", "idle"),  # another request's: not proof for ours
            msg("mine", "status", "busy"),
            msg("mine", "status", "idle"),
        ]
    )
    assert asyncio.run(_idle(iopub, "mine", wait=1.0)) is True
    lost = FakeChannel([msg("mine", "status", "busy")])  # IOPub not connected yet: ask again
    assert asyncio.run(_idle(lost, "mine", wait=1.0)) is False


def test_report_kernels_use_the_ready_client(tmp_path: Path) -> None:
    kernel = Kernel(cwd=tmp_path).start()
    try:
        assert kernel.km is not None
        kc = kernel.km.client()
        assert isinstance(kc, _ready_client_class())
        kc.start_channels()
        try:
            asyncio.run(asyncio.wait_for(kc.wait_for_ready(timeout=60), 90))
        finally:
            kc.stop_channels()
        assert kernel.run("21 * 2")["status"] == "ok"
    finally:
        kernel.shutdown()
    assert kernel.km is None


def test_shutdown_reaps_the_kernel_process(tmp_path: Path) -> None:
    kernel = Kernel(cwd=tmp_path).start()
    assert kernel.km is not None
    proc = kernel.km.provisioner.process  # type: ignore[union-attr]
    assert kernel.is_alive()
    kernel.shutdown()
    assert proc.poll() is not None  # dead and reaped, not left to jupyter_client's polling
