"""The interpreter started before a report kernel, from the parent's side: prespawn and adoption.

`Kernel.prespawn(modules)` (`toolkit.jupyter.kernels`) may be called before the report's parameters are
checked: it starts a plain Python process (`toolkit.jupyter.kernel_zygote`) that imports ipykernel and
the notebook's modules and then waits. It is not a kernel: no sockets, no notebook code. `Kernel.start()`
(after the checks) turns it into the kernel through the provisioner made here, which hands it the
kernel's command line; if the checks fail, `Kernel.shutdown()` discards it. `TOOLKIT_PRESPAWN=0` turns
this off (the kernel is then launched by `start()` as usual).

`toolkit.cli.launch` prespawns one before the CLI loads (`prespawn_for_adoption`); `render_report`
adopts it with `take_prespawned` only when it was started for the same directory, environment and
modules.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

    from toolkit.jupyter.kernels import Kernel


def prespawn_enabled() -> bool:
    return os.environ.get("TOOLKIT_PRESPAWN", "1") != "0"


def discard(proc: subprocess.Popen[bytes]) -> None:
    """End a prespawned process that never became a kernel: end of input, then a kill if need be."""
    with contextlib.suppress(OSError, ValueError):
        if proc.stdin is not None:
            proc.stdin.close()
    try:
        proc.wait(timeout=0.2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def adopting_provisioner(km: AsyncKernelManager, proc: subprocess.Popen[bytes]) -> Any:
    """A LocalProvisioner whose launch hands the kernel command line to the prespawned process."""
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class _Adopting(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            launcher = cmd.index("ipykernel_launcher") if "ipykernel_launcher" in cmd else -1
            if launcher < 0 or proc.poll() is not None or proc.stdin is None:
                discard(proc)
                return await super().launch_kernel(cmd, **kwargs)
            proc.stdin.write((json.dumps({"argv": cmd[launcher + 1 :]}) + "\n").encode())
            proc.stdin.close()
            self.process = proc
            self.pid = proc.pid
            self.pgid = os.getpgid(proc.pid) if hasattr(os, "getpgid") else None
            self.cwd = kwargs.get("cwd", Path.cwd())
            return self.connection_info

    return _Adopting(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


# -- a kernel started before the CLI loaded (toolkit.cli.launch) ---------------------------------------
_EarlyKey = tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]
_early: tuple[_EarlyKey, Kernel] | None = None


def _early_key(cwd: Path, env: dict[str, str] | None, modules: list[str]) -> _EarlyKey:
    return (str(cwd), tuple(sorted((env or {}).items())), tuple(modules))


def prespawn_for_adoption(cwd: Path, env: dict[str, str] | None, modules: list[str]) -> None:
    """Prespawn a kernel interpreter now for `take_prespawned` to hand over later in this process;
    if nobody takes it, it is discarded at exit."""
    global _early  # noqa: PLW0603 - one early kernel per process, handed over once
    if _early is not None or not prespawn_enabled():
        return
    import atexit

    from toolkit.jupyter.kernels import Kernel

    kernel = Kernel(cwd=cwd, env=env).prespawn(modules)
    _early = (_early_key(cwd, env, modules), kernel)
    atexit.register(_discard_early)


def take_prespawned(cwd: Path, env: dict[str, str] | None, modules: list[str]) -> Kernel:
    """The kernel prespawned early for exactly this directory, environment and modules, else a new
    prespawned one (an early kernel for anything else is discarded)."""
    global _early
    from toolkit.jupyter.kernels import Kernel

    early, _early = _early, None
    if early is not None:
        key, kernel = early
        if key == _early_key(cwd, env, modules):
            return kernel
        kernel.shutdown()
    return Kernel(cwd=cwd, env=env).prespawn(modules)


def _discard_early() -> None:
    global _early
    early, _early = _early, None
    if early is not None:
        early[1].shutdown()
