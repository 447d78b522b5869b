"""`--scheduler ADDRESS|local[:N]`: a Dask client for one command.

`ADDRESS` is a running scheduler (`tcp://host:8786`, as `dask scheduler` prints it); the client
connects and leaves the cluster running when it is done. `local` starts a `LocalCluster` of worker
processes on this machine (`local:N`: N of them; default one per CPU, at most 4, as a local sweep),
one thread each, and closes it, workers and all, when the command ends.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from toolkit.distributed import require_distributed
from toolkit.errors import ParameterError, ToolkitError, shown
from toolkit.fastimport import in_toolkit_process

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT = "20s"
LOCAL_DASHBOARD = "127.0.0.1:8787"  # Dask's usual port; another one if it is taken
_LOCAL = re.compile(r"local(?::([0-9]+))?")


def parse_scheduler(spec: str) -> int | str:
    """`local` -> 0 (the default number of workers), `local:N` -> N (N a whole number, at least 1),
    anything else -> the address (`localhost:8786` and `local-scheduler:8786` are addresses)."""
    text = spec.strip()
    if not text:
        raise ParameterError("--scheduler expects ADDRESS (tcp://host:8786) or local[:N]")
    match = _LOCAL.fullmatch(text)
    if match is None:
        return text
    if match.group(1) is not None and int(match.group(1)) < 1:
        raise ParameterError(f"--scheduler {shown(spec)}: expected local:N with N at least 1")
    return int(match.group(1)) if match.group(1) else 0


def dashboard_line(client: Client) -> str:
    """`dask dashboard: URL`, or why there is none."""
    try:
        link = client.dashboard_link
    except (KeyError, AttributeError, TypeError):
        link = None
    return f"dask dashboard: {link}" if link else "dask dashboard: not running on this scheduler"


def local_cluster(workers: int, *, dashboard: bool = True) -> Any:
    """A `LocalCluster` of `workers` processes of one thread each, on 127.0.0.1.

    Dask's nanny would start its workers with `MALLOC_TRIM_THRESHOLD_=65536` (and put it into this
    process's environment, so into any kernel started here later): it halves the engine's speed
    (`toolkit.engine.cluster.tune_malloc`), so it is left unset, as Dask's config allows.
    """
    import dask
    from distributed import LocalCluster

    malloc = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(malloc), _taken_dashboard_port_is_fine():
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=LOCAL_DASHBOARD if dashboard else None,
            # without a dashboard the scheduler's HTTP server (health, metrics) takes any free port
            scheduler_kwargs=None if dashboard else {"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )


@contextlib.contextmanager
def _taken_dashboard_port_is_fine() -> Iterator[None]:
    """Without Dask's warning (4 lines on stderr) when `LOCAL_DASHBOARD`'s port is taken, as by
    another `local` run: the dashboard takes a free port, and `dashboard_line` prints that one."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"Port \d+ is already in use", UserWarning)
        yield


@contextlib.contextmanager
def connect(
    spec: str | Client,
    *,
    announce: Callable[[str], None] | None = None,
    dashboard: bool = True,
) -> Iterator[Client]:
    """A client for `spec` (a `Client` is used as it is); `announce` gets the dashboard line."""
    require_distributed()
    from distributed import Client

    if isinstance(spec, Client):
        yield spec
        return
    target = parse_scheduler(spec)
    cluster: Any = None
    try:
        if isinstance(target, int):
            from toolkit.report.sweep import default_workers

            cluster = local_cluster(target or default_workers(), dashboard=dashboard)
            client = Client(cluster)
        else:
            _check_tls(spec, target)
            try:
                client = Client(target, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ToolkitError(
                    f"--scheduler {shown(spec)}: no Dask scheduler reached: "
                    + " ".join(str(exc).split())
                ) from None
        try:
            if announce is not None:
                announce(dashboard_line(client))
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
            if in_toolkit_process():  # a user's session may track resources of its own
                _stop_resource_tracker()


def _check_tls(spec: str | Client, address: str) -> None:
    """A `tls://` address needs Dask's TLS settings (`distributed.comm.tls`: a CA, a client
    certificate and key); without them Dask fails with a TypeError, so say it first in one line."""
    if not address.lower().startswith("tls://"):
        return
    from distributed.security import Security

    try:
        context = Security().get_connection_args("client").get("ssl_context")
    except (OSError, ValueError) as exc:
        raise ToolkitError(
            f"--scheduler {shown(spec)}: Dask's TLS configuration does not load: "
            + " ".join(str(exc).split())
        ) from None
    if context is None:
        raise ToolkitError(
            f"--scheduler {shown(spec)}: a tls:// scheduler needs Dask's security configuration "
            "(distributed.comm.tls: ca-file, client.cert and client.key; see Dask's TLS documentation)"
        )


def _stop_resource_tracker() -> None:
    """Stop Python's multiprocessing resource tracker, which starting the cluster's worker processes
    started in this process. Left alone it exits only once this process has (EOF on its pipe), a
    moment after the command; stopped here (closing its pipe and reaping it, as CPython's own tests
    do), no process the command started outlives it. The next cluster starts a new one. Only in the
    toolkit's own processes (the `toolkit` command): stopping it releases every resource it tracks."""
    from multiprocessing import resource_tracker

    stop = getattr(resource_tracker._resource_tracker, "_stop", None)  # private; in 3.11 and later
    if stop is not None:
        with contextlib.suppress(Exception):
            stop()
