"""The Voilà server's kernel manager with a cap: at most `max_kernels` explorers run at once.

Every page load of `toolkit serve` starts a kernel of ~160 MB. Idle ones are culled (the server's
`cull_idle_timeout`), but culling alone leaves a server open to anyone who reloads faster than the
culler runs; past the cap a new visitor gets HTTP 503 with a one-line reason instead of a kernel.
Voilà loads this class by name (`VoilaConfiguration.multi_kernel_manager_class`).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer


class CappedKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager, refusing to start more than `max_kernels` kernels."""

    max_kernels = Integer(8, config=True, help="Most kernels running at once (0: no limit).")

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        running = len(self.list_kernel_ids())
        if self.max_kernels and running >= self.max_kernels:
            raise web.HTTPError(
                503,
                f"the explorer is busy: {running} sessions are open (at most {self.max_kernels}); "
                "try again when one closes",
            )
        kernel_id: str = await super().start_kernel(*args, **kwargs)
        return kernel_id
