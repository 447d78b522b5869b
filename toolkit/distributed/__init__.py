"""Distributed runs on Dask (`dask.distributed`): sweeps whose reports are Dask tasks, and the
scenario engine's chunks on a cluster (the engine side is `toolkit.engine.cluster`).

- `toolkit.distributed.cluster`: `--scheduler ADDRESS|local[:N]` to a `distributed.Client` (and the
  `LocalCluster` it may start), the dashboard address, the one-line hint when the extra is missing.
- `toolkit.distributed.sweep`: `sweep(grid, client=...)`: the local sweep's planning, naming,
  index and errors (`toolkit.report.sweep`), with each report rendered on a worker and written here.
- `toolkit.distributed.worker`: what runs on the workers: a `KernelPool` worker plugin (warm report
  kernels, the notebook and the pack received by content and checked) and the report task.

The stage sits above `toolkit.report` (whose sweep it distributes) and below `toolkit.cli`. Dask is
the optional `distributed` extra: this package imports it only inside its functions, so importing
the package never fails.
"""

from __future__ import annotations

EXTRA = "distributed"


def require_distributed() -> None:
    """Fail in one line that says how to install it when dask.distributed is missing."""
    import importlib.util

    from toolkit import DISTRIBUTION
    from toolkit.errors import ToolkitError

    if importlib.util.find_spec("distributed") is None or importlib.util.find_spec("dask") is None:
        raise ToolkitError(
            "Dask distributed is not installed; install it with: "
            f"pip install '{DISTRIBUTION}[{EXTRA}]'"
        )
