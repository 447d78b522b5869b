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
CONNECT_SECONDS = 20.0  # the whole connect and handshake to an ADDRESS, however the other end acts
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
            client = _connect_client(spec, target)
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


def _connect_client(spec: str, address: str) -> Client:
    """A client of the scheduler at `address`, or a one-line ToolkitError within about
    `CONNECT_SECONDS`. Dask's own connect timeout stops at the TCP connect: a port that is open but
    is no scheduler (its dashboard, any HTTP server) leaves Dask's handshake waiting for ever, and a
    server that speaks first (SSH, SMTP) makes it read its banner as a frame length (a numpy
    allocation error). So a bounded probe asks the address who it is first."""
    import time

    from distributed import Client

    start = time.monotonic()
    _probe_scheduler(spec, address, CONNECT_SECONDS)
    left = max(5.0, CONNECT_SECONDS - (time.monotonic() - start))
    try:
        return Client(address, timeout=f"{left:.1f}s")
    except Exception as exc:  # Dask raises many kinds here (OSError, TimeoutError, MemoryError)
        raise _not_reached(spec, exc) from None


def _probe_scheduler(spec: str, address: str, seconds: float) -> None:
    """Connect to `address` and ask its identity, all within `seconds`: a ToolkitError unless a Dask
    scheduler answers. Runs its own event loop in a thread of its own (the caller may be inside a
    running loop, as a Jupyter kernel is); a probe past its time is abandoned with its thread."""
    import asyncio
    import threading

    outcome: list[Exception | str] = []

    async def identify() -> str:
        from distributed.comm import connect as comm_connect
        from distributed.security import Security

        args = Security().get_connection_args("client")
        comm = await comm_connect(address, timeout=seconds, **args)
        try:
            await comm.write({"op": "identity", "reply": True})
            answer = await comm.read()
        finally:
            comm.abort()
        kind = answer.get("type") if isinstance(answer, dict) else None
        return str(kind)

    def run() -> None:
        try:
            outcome.append(asyncio.run(asyncio.wait_for(identify(), seconds)))
        except Exception as exc:  # any failure is "not reached", reported below
            outcome.append(exc)

    thread = threading.Thread(target=run, name="toolkit-scheduler-probe", daemon=True)
    thread.start()
    thread.join(seconds + 1.0)
    if not outcome:
        outcome.append(TimeoutError(f"no answer within {seconds:g} s"))
    [result] = outcome[:1]
    if isinstance(result, (asyncio.TimeoutError, TimeoutError)):
        result = TimeoutError(
            f"the port is open but no Dask scheduler answered within {seconds:g} s"
        )
    if isinstance(result, Exception):
        raise _not_reached(spec, result, hint=isinstance(result, MemoryError | TimeoutError))
    if result != "Scheduler":  # a worker, a nanny: Dask, but not what --scheduler names
        raise _not_reached(
            spec, ValueError(f"a Dask {result} answered, not a scheduler"), hint=True
        )


def _not_reached(spec: str, exc: BaseException, *, hint: bool = False) -> ToolkitError:
    """The one line for an address where no scheduler answered; with `hint`, when something else
    answered (a MemoryError: a banner read as a frame length), that it may be the wrong port."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, MemoryError):
        detail = "the server there does not speak Dask's protocol"
    if hint:
        detail += (
            " (is it a Dask scheduler's address, as `dask scheduler` prints it, e.g."
            " tcp://host:8786, not its dashboard's or another server's port?)"
        )
    return ToolkitError(f"--scheduler {shown(spec)}: no Dask scheduler reached: {detail}")


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
