"""Report kernels: started by the toolkit, handed to papermill, reused across a sweep.

- The kernel is this interpreter's own ipykernel (`python3` from a `KernelSpecManager` that searches no
  kernelspec directory, so jupyter_client falls back to `ipykernel.kernelspec`, i.e. `sys.executable`):
  a `python3` kernelspec in the user's home can never redirect a report to another environment.
- `prespawn(modules)` may be called before the report's parameters are checked: it starts the
  interpreter that `start()` later turns into the kernel, importing the notebook's modules meanwhile
  (`toolkit.jupyter.prespawn`); `shutdown()` discards it if the checks fail.
- It talks over IPC sockets in a private temporary directory (no TCP ports, no connection file or
  IPython history in the home directory, no user IPython profile or startup files). The directory is
  named after the owning process (`toolkit-kernel-<pid>-…`) and holds a lock while it lives; one left
  by a run killed with SIGTERM/SIGKILL is removed when the next kernel makes its own
  (`toolkit.jupyter.kernel_dirs`).
- `warm_up()` sends the notebook's imports as soon as the kernel starts, so kernel start-up and imports
  overlap the parent's own work; papermill's first request simply queues behind it.
- `papermill.execute_notebook(..., engine_name=ENGINE, km=kernel.km)` runs a notebook on the kernel
  (`toolkit.jupyter.papermill_engine`) and leaves it running. Clients of these kernels are ready as
  soon as their kernel_info request is answered (no idle wait for IOPub to go quiet), and
  `shutdown()` kills and reaps the process without polling for its end.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import TYPE_CHECKING, Any

from toolkit.errors import ToolkitError
from toolkit.jupyter.kernel_dirs import make_private_dir, remove_stale_dirs
from toolkit.jupyter.offline import REPORT_MODE_ENV
from toolkit.jupyter.prespawn import adopting_provisioner, discard, prespawn_enabled

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

STARTUP_TIMEOUT = 120.0
COMMAND_TIMEOUT = 300.0


class KernelError(ToolkitError):
    """The kernel failed to start, died, or a toolkit command in it failed."""


def kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The report kernel's environment: ours, in report mode, with deterministic str hashing."""
    env = dict(os.environ)
    env[REPORT_MODE_ENV] = "1"
    env["PYTHONHASHSEED"] = "0"  # set/dict-of-str iteration order is the same in every run
    env.pop("JPY_PARENT_PID", None)
    if extra:
        env.update(extra)
    return env


# A Unix socket's path holds at most 107 bytes (sun_path); jupyter_client names the kernel's sockets
# `<dir>/kernel.json` plus `-ipc-<N>`. Under a deep TMPDIR that does not fit: such a kernel talks TCP on
# 127.0.0.1 instead (as jupyter_client does by default), rather than failing to start.
MAX_IPC_PATH = 100


def transport_for(private: str) -> str:
    """`ipc` when the kernel's socket paths fit a Unix socket address, else `tcp` on loopback."""
    longest = os.path.join(private, "kernel.json") + "-ipc-99"
    return "ipc" if len(longest.encode()) <= MAX_IPC_PATH else "tcp"


class Kernel:
    """One report kernel (see the module docstring)."""

    def __init__(self, *, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.cwd = cwd
        self.env = kernel_env(env)
        self.km: AsyncKernelManager | None = None
        self.kc: AsyncKernelClient | None = None
        self._dir: str | None = None
        self._lock: int | None = None  # fd holding the directory's OWNER_LOCK
        self._pending: list[str] = []
        self._zygote: subprocess.Popen[bytes] | None = None

    def _private_dir(self) -> str:
        if self._dir is None:
            remove_stale_dirs()
            self._dir, self._lock = make_private_dir()
            os.makedirs(os.path.join(self._dir, "ipython"), exist_ok=True)
            self.env["IPYTHONDIR"] = os.path.join(self._dir, "ipython")
        return self._dir

    # -- lifecycle --------------------------------------------------------------------------
    def prespawn(self, modules: list[str]) -> Kernel:
        """Start the interpreter that will become the kernel; it imports `modules` meanwhile."""
        if self._zygote is not None or self.km is not None or not prespawn_enabled():
            return self
        self._private_dir()
        env = dict(self.env, JPY_PARENT_PID=str(os.getpid()))  # the kernel exits with us
        try:
            self._zygote = subprocess.Popen(
                [sys.executable, "-m", "toolkit.jupyter.kernel_zygote", *modules],
                stdin=subprocess.PIPE,
                cwd=str(self.cwd),
                env=env,
                start_new_session=True,  # as jupyter_client launches kernels (interrupts)
            )
        except OSError:
            self._zygote = None  # start() launches a kernel the usual way
        return self

    def start(self) -> Kernel:
        """Launch the kernel process (returns at once; it finishes booting in the background)."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        private = self._private_dir()
        km = AsyncKernelManager(
            kernel_name="python3",
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[]),
            transport=transport_for(private),
            connection_file=os.path.join(private, "kernel.json"),
        )
        km.client_factory = _ready_client_class()
        if self._zygote is not None:
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = adopting_provisioner(km, self._zygote)
            self._zygote = None  # the manager owns it now
        try:
            run_sync(km.start_kernel)(
                cwd=str(self.cwd),
                env=self.env,
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
            )
        except Exception as exc:
            self._remove_dir()
            raise KernelError(f"could not start a Python kernel: {exc}") from exc
        self.km = km
        return self

    def _client(self) -> AsyncKernelClient:
        # Made on first use, in the thread that uses it (a sweep worker), not in the launcher's.
        if self.kc is None:
            if self.km is None:
                raise KernelError("the kernel is not running")
            from jupyter_client.session import Session

            # Our own session (same key): the kernel routes replies by the session's identity, and
            # papermill's client, made from the manager's session, would otherwise take ours over.
            session = Session(
                key=self.km.session.key, signature_scheme=self.km.session.signature_scheme
            )
            kc = self.km.client(session=session)
            # Shell replies only: it reads nothing else, and a second IOPub subscriber would get no
            # welcome (the kernel's XPUB passes on only a topic's first subscription), so papermill's
            # client, the one that reads outputs, must be the only one (`_ready_client_class`).
            kc.start_channels(iopub=False, stdin=False)
            self.kc = kc
        return self.kc

    def shutdown(self) -> None:
        """Stop the kernel (or discard the prespawned process); remove the private directory."""
        if self._zygote is not None:
            discard(self._zygote)
            self._zygote = None
        if self.km is None and self.kc is None:
            self._remove_dir()
            return
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            # Kill and reap the process ourselves: jupyter_client polls for its end every 0.1 s
            _kill(getattr(getattr(self.km, "provisioner", None), "process", None))
            with contextlib.suppress(Exception):  # the process may already be gone
                run_sync(self.km.shutdown_kernel)(now=True)
            self.km = None
        self._remove_dir()

    def _remove_dir(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _process(self) -> subprocess.Popen[bytes] | None:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return proc if isinstance(proc, subprocess.Popen) else None

    def interrupt(self) -> None:
        """SIGINT to the kernel process (its own session, so a terminal's Ctrl-C never reaches it)."""
        proc = self._process()
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.send_signal(signal.SIGINT)

    def kill(self) -> None:
        """Kill the kernel process now, from any thread; `shutdown` still cleans up after it."""
        proc = self._process()
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    # -- commands ---------------------------------------------------------------------------
    def send(self, code: str) -> str:
        """Queue `code` (silently: no history, no outputs recorded); returns the request id."""
        msg_id: str = self._client().execute(
            code, silent=True, store_history=False, allow_stdin=False
        )
        self._pending.append(msg_id)
        return msg_id

    def wait(self, msg_id: str, timeout: float = COMMAND_TIMEOUT) -> dict[str, Any]:
        """Wait for the reply to `msg_id`; raise KernelError if the code raised."""
        from jupyter_core.utils import run_sync

        kc = self._client()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise KernelError(f"the kernel did not answer within {timeout:.0f} s")
            try:
                msg = run_sync(kc.get_shell_msg)(timeout=min(left, 1.0))
            except Empty:  # nothing yet: check the kernel is still there
                if not self.is_alive():
                    raise KernelError("the kernel died") from None
                continue
            parent = msg.get("parent_header", {}).get("msg_id")
            if parent in self._pending:
                self._pending.remove(parent)
            if parent == msg_id:
                content: dict[str, Any] = msg["content"]
                if content.get("status") != "ok":
                    raise KernelError(
                        f"{content.get('ename', 'error')}: {content.get('evalue', '')}".strip()
                    )
                return content

    def run(self, code: str, timeout: float = COMMAND_TIMEOUT) -> dict[str, Any]:
        return self.wait(self.send(code), timeout)

    def drain(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait for every request sent so far (e.g. the warm-up)."""
        for msg_id in list(self._pending):
            self.wait(msg_id, timeout)

    def warm_up(self, modules: list[str], *, snapshot: bool = False) -> str:
        """Queue the notebook's imports (and, for reuse, a state snapshot); returns the request id."""
        code = (
            "import importlib as _tk_il\n"
            "_tk_ks = _tk_il.import_module('toolkit.jupyter.kernel_state')\n"
            f"_tk_ks.warm_up({json.dumps(modules)})\n"
            + ("_tk_ks.snapshot()\n" if snapshot else "")
            + "del _tk_il, _tk_ks\n"
        )
        return self.send(code)

    def reset(self) -> None:
        """Back to the warm-up baseline (fresh namespace and module state; see kernel_state)."""
        self.run("__import__('importlib').import_module('toolkit.jupyter.kernel_state').restore()")


RECONNECT_MS = 10
"""How often a report's client retries connecting to its kernel's sockets (see `_ready_client_class`)."""


def _kill(proc: object) -> None:
    """SIGKILL a kernel process (a `Popen`) and wait for it; anything else is left alone."""
    if isinstance(proc, subprocess.Popen):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=5)


@functools.cache  # made once, on first use (jupyter_client loads lazily)
def _ready_client_class() -> type:
    """jupyter_client's async client, with a `wait_for_ready` that does not sit idle.

    jupyter_client's version, after the kernel_info reply, waits for IOPub to stay quiet for 0.2 s
    (and up to 0.2 s more to see it connected): ~0.3 s of every report, papermill making a new client
    per notebook. This one waits for exactly what proves the client ready: the reply to its
    kernel_info request on the shell channel, and on IOPub either that request's `idle` status or
    the kernel's `iopub_welcome` (ipykernel >= 7 greets a subscription to all topics when it is the
    first: its XPUB socket passes on only a topic's first subscription, which is why the toolkit's
    own client of a kernel subscribes to nothing). Any message received proves the subscription
    live. If either is missing, it asks again, as jupyter_client does. The welcome matters when the
    client connects before the kernel has bound its sockets (a report's kernel still importing): the
    idle status is then published before the subscription reaches the kernel (ZeroMQ's "slow
    joiner") and lost, and waiting 0.2 s to ask again cost ~0.2 s of a report. Messages that belong
    to other requests need no flush: nbclient matches replies and outputs to its requests.

    It starts no heartbeat channel: a client made by its kernel manager asks the manager whether the
    kernel lives (the process), never the heartbeat, and stopping the heartbeat's thread waits for its
    poll to time out (0.1-1 s at the end of every report, papermill closing its client).
    """
    from jupyter_client.asynchronous.client import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        def start_channels(
            self,
            shell: bool = True,
            iopub: bool = True,
            stdin: bool = True,
            hb: bool = True,
            control: bool = True,
        ) -> None:
            del hb  # see above
            import zmq

            # A report's client connects while its kernel still imports, before the kernel's
            # sockets exist; ZeroMQ then retries every RECONNECT_IVL (100 ms by default), and the
            # first request waited up to that long after the kernel was up. 10 ms: ~0.035 s less.
            # (A client made by its kernel manager has a context of its own: nothing else shares it.)
            self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
            super().start_channels(shell, iopub, stdin, False, control)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                msg_id = self.kernel_info()
                reply = await _reply(self.shell_channel, msg_id, wait=1.0)
                # a status published before IOPub's subscription took effect is lost (ZeroMQ's
                # "slow joiner"): after 0.2 s without it or a welcome, ask again
                if reply is not None and await _iopub_live(self.iopub_channel, msg_id, wait=0.2):
                    self._handle_kernel_info_reply(reply)
                    return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    return ReadyClient


async def _reply(channel: Any, msg_id: str, *, wait: float) -> dict[str, Any] | None:
    """The message on `channel` whose parent is `msg_id`, within `wait` seconds (others skipped)."""
    end = time.monotonic() + wait
    while (left := end - time.monotonic()) > 0:
        try:
            msg: dict[str, Any] = await channel.get_msg(timeout=left)
        except Empty:
            return None
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg
    return None


async def _iopub_live(channel: Any, msg_id: str, *, wait: float) -> bool:
    """True once IOPub shows request `msg_id` finished (`status: idle`) or greets the subscription
    (`iopub_welcome`), within `wait` seconds: either proves the subscription live."""
    end = time.monotonic() + wait
    while (left := end - time.monotonic()) > 0:
        try:
            msg: dict[str, Any] = await channel.get_msg(timeout=left)
        except Empty:
            return False
        if msg.get("msg_type") == "iopub_welcome":
            return True
        if (
            msg.get("parent_header", {}).get("msg_id") == msg_id
            and msg.get("msg_type") == "status"
            and msg.get("content", {}).get("execution_state") == "idle"
        ):
            return True
    return False
