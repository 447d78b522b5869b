"""A cluster that fails the work: each failure is one line naming the scheduler (a `ToolkitError`,
so the command prints `error: ...` and exits 2), and nothing is written half-done.

Each test starts its own small `LocalCluster` (one worker process of one thread, or none), on
127.0.0.1 without a dashboard, and closes it. Everything is written under pytest's tmp dirs."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from toolkit.pack.load import Pack

distributed = pytest.importorskip("distributed")

CHARTS = Path(__file__).resolve().parent / "fixtures" / "charts_report.ipynb"

pytestmark = [pytest.mark.xdist_group("distributed"), pytest.mark.slow]

# A worker preload (`dask_setup` runs in the worker process once it has started) after which the
# worker cannot import the toolkit: a worker where it was never installed.
NO_TOOLKIT = """\
import sys


class _NoToolkit:
    def find_spec(self, name, path=None, target=None):
        if name == "toolkit" or name.startswith("toolkit."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def dask_setup(worker):
    sys.meta_path.insert(0, _NoToolkit())
    for name in [m for m in sys.modules if m == "toolkit" or m.startswith("toolkit.")]:
        del sys.modules[name]
"""


@contextmanager
def small_cluster(workers: int = 1, **kwargs: Any) -> Iterator[tuple[Any, Any]]:
    """A LocalCluster of `workers` single-thread processes and its client, closed at the end."""
    import dask

    config = kwargs.pop("config", {})
    with dask.config.set(config):
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.CRITICAL,
            **kwargs,
        )
        client = distributed.Client(cluster)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.close()


def _one_error_line(stderr: str) -> str:
    """The `error:` line of a failed command whose stderr is the dashboard line and that line."""
    lines = stderr.splitlines()
    assert "Traceback" not in stderr, stderr
    assert lines[0].startswith("dask dashboard:"), stderr
    [error] = lines[1:]
    assert error.startswith("error: "), stderr
    return error


def _simulate(address: str, out: Path) -> Any:
    from toolkit.cli.app import app

    args = ["simulate", "--paths", "20000", "--months", "12", "--out", str(out)]
    return CliRunner().invoke(app, [*args, "--scheduler", address])


def test_a_worker_without_the_toolkit_is_one_line(tmp_path: Path) -> None:
    preload = tmp_path / "no_toolkit.py"
    preload.write_text(NO_TOOLKIT, encoding="utf-8")
    out = tmp_path / "paths.parquet"
    with small_cluster(preload=[str(preload)]) as (cluster, _):
        address = cluster.scheduler_address
        result = _simulate(address, out)
    assert result.exit_code == 2, result.output
    error = _one_error_line(result.stderr)
    assert f"the Dask scheduler {address}: a worker cannot load the toolkit" in error
    assert "No module named 'toolkit" in error
    assert not out.exists()


def test_a_scheduler_without_workers_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.engine.cluster as engine_cluster

    monkeypatch.setattr(engine_cluster, "WORKER_WAIT", 0.5)
    out = tmp_path / "paths.parquet"
    with small_cluster(0) as (cluster, _):
        address = cluster.scheduler_address
        result = _simulate(address, out)
    assert result.exit_code == 2, result.output
    error = _one_error_line(result.stderr)
    assert f"the Dask scheduler {address} has no worker (none joined within 0.5 s)" in error
    assert not out.exists()


@pytest.mark.notebook
def test_a_sweep_on_a_scheduler_without_workers_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As simulate: one line after a bounded wait (it waited for ever), and no file written."""
    import toolkit.engine.cluster as engine_cluster
    from toolkit.cli.app import app

    monkeypatch.setattr(engine_cluster, "WORKER_WAIT", 0.5)
    out = tmp_path / "out"
    with small_cluster(0) as (cluster, _):
        address = cluster.scheduler_address
        args = ["sweep", str(CHARTS), "--grid", "n_points=5", "--out", str(out)]
        result = CliRunner().invoke(app, [*args, "--scheduler", address])
    assert result.exit_code == 2, result.output
    error = _one_error_line(result.stderr)
    assert f"the Dask scheduler {address} has no worker (none joined within 0.5 s)" in error
    assert [p.name for p in out.iterdir()] == [".toolkit.lock"]  # the folder lock alone


def _sweep_plugins(dask_scheduler: Any) -> list[str]:
    """On the scheduler: the names of the sweeps' worker plugins it would give a joining worker."""
    return [name for name in dask_scheduler.worker_plugins if name.startswith("toolkit-sweep-")]


@pytest.mark.notebook
def test_a_sweep_plugin_a_worker_refused_is_unregistered(tmp_path: Path) -> None:
    """Registering the plugin fails on a worker without the toolkit: one line, and the scheduler
    keeps no plugin for a worker joining later to start a dead sweep's kernels with."""
    from toolkit.distributed.sweep import sweep as cluster_sweep
    from toolkit.errors import ToolkitError

    preload = tmp_path / "no_toolkit.py"
    preload.write_text(NO_TOOLKIT, encoding="utf-8")
    out = tmp_path / "out"
    with small_cluster(preload=[str(preload)]) as (cluster, client):
        address = cluster.scheduler_address
        with pytest.raises(ToolkitError) as caught:
            cluster_sweep({"n_points": [5]}, notebook=CHARTS, out_dir=out, client=client)
        left = client.run_on_scheduler(_sweep_plugins)
    assert left == []
    message = str(caught.value)
    assert message.startswith(f"the Dask scheduler {address}: a worker cannot load the toolkit")
    assert "\n" not in message
    assert [p.name for p in out.iterdir()] == [".toolkit.lock"]  # the folder lock alone


@pytest.mark.notebook
def test_sigterm_stops_a_sweep_as_ctrl_c_does(tmp_path: Path) -> None:
    """SIGTERM to `toolkit sweep --scheduler` while a report renders: the sweep stops as on Ctrl-C
    (exit 130, one line), and the plugin is unregistered, so no worker keeps its kernels. Sent twice
    at once, as GNU `timeout` does (process and group): found in a bug hunt, the duplicate used to
    end the process at once (exit 143, no index, kernels left running)."""
    import subprocess
    import sys
    import time

    import nbformat

    marks = tmp_path / "marks"
    marks.mkdir()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('delay: float = 0.0  # seconds\nmarker: str = ""  # a folder')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        cell,
        nbformat.v4.new_code_cell(
            "import pathlib, time\npathlib.Path(marker, str(delay)).touch()\ntime.sleep(delay)"
        ),
    ]
    notebook = tmp_path / "sleepy.ipynb"
    nbformat.write(nb, notebook)
    with small_cluster() as (cluster, client):
        command = [
            sys.executable, "-m", "toolkit", "sweep", str(notebook), "--grid", "delay=300,301",
            "-p", f"marker={marks}", "--out", str(tmp_path / "out"),
            "--scheduler", cluster.scheduler_address,
        ]  # fmt: skip
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as sweep:
            deadline = time.monotonic() + 120
            while not list(marks.iterdir()):  # a report is rendering: the plugin is registered
                assert sweep.poll() is None, sweep.communicate()
                assert time.monotonic() < deadline, "no report started"
                time.sleep(0.05)
            sweep.send_signal(signal.SIGTERM)  # twice at once, as `timeout` sends it (process,
            sweep.send_signal(signal.SIGTERM)  # group): the second is the same request
            _, stderr = sweep.communicate(timeout=120)
        assert client.run_on_scheduler(_sweep_plugins) == []
    assert sweep.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert "error: interrupted: 0 of 2 reports written" in stderr


def _run_many_tasks(client: Any, pack: Pack, on_first: Any) -> None:
    """16 tasks of 4 blocks on the cluster; `on_first()` once the first has come back (15 are
    still to run then, on the one worker thread)."""
    from toolkit.engine.cluster import run_on_cluster
    from toolkit.engine.compile import compile_model
    from toolkit.engine.simulation import BLOCK

    fired: list[bool] = []

    def progress(done: int, total: int) -> None:
        # once only: a second result may come back before the failure does, and a second SIGKILL
        # would hit a worker already reaped (ProcessLookupError instead of KilledWorker)
        if done and not fired:
            fired.append(True)
            on_first()

    run_on_cluster(
        client, compile_model(pack, "baseline"), paths=64 * BLOCK, seed=1, chunk_size=BLOCK,
        periods=24, step=1.0, keep=0, tasks=16, progress=progress,
    )  # fmt: skip


def test_a_scheduler_lost_mid_run_is_one_line(pack: Pack) -> None:
    """The futures come back cancelled: a ClusterError, not a result to unpack."""
    from toolkit.engine.cluster import ClusterError

    # the client gives up reconnecting to the closed scheduler after 2 s instead of 30
    config = {"distributed.comm.timeouts.connect": "2s"}
    with small_cluster(config=config) as (cluster, client):
        address = cluster.scheduler_address
        with pytest.raises(ClusterError) as caught:
            _run_many_tasks(client, pack, lambda: cluster.sync(cluster.scheduler.close))
    message = str(caught.value)
    assert message.startswith(f"the Dask scheduler {address}: the work was cancelled")
    assert "\n" not in message


def test_a_worker_killed_too_often_is_one_line(pack: Pack) -> None:
    """With allowed-failures 0, SIGKILL to the only worker while it runs a task: KilledWorker."""
    from toolkit.engine.cluster import ClusterError

    config = {"distributed.scheduler.allowed-failures": 0}
    with small_cluster(config=config) as (cluster, client):
        address = cluster.scheduler_address
        [pid] = client.run(os.getpid).values()
        with pytest.raises(ClusterError) as caught:
            _run_many_tasks(client, pack, lambda: os.kill(pid, signal.SIGKILL))
    message = str(caught.value)
    assert message.startswith(f"the Dask scheduler {address}: a worker died running a task")
    assert "(KilledWorker)" in message


# raise_signal runs the Python handler before it returns (os.kill may let a line or two run first).
# The clock is moved by hand: a real sleep against a real burst window raced with a loaded machine.
SECOND_SIGTERM = """\
import signal
from toolkit.report import interrupt
from toolkit.report.interrupt import sigterm_as_ctrl_c

now = [100.0]
interrupt._clock = lambda: now[0]

def mine(signum, frame):
    print("previous handler", flush=True)

signal.signal(signal.SIGTERM, mine)
with sigterm_as_ctrl_c():
    try:
        signal.raise_signal(signal.SIGTERM)
        print("not reached", flush=True)
    except KeyboardInterrupt:
        print("first: Ctrl-C", flush=True)
    try:
        now[0] += interrupt.BURST_SECONDS * 0.9  # at once, as `timeout` sends it to the group
        signal.raise_signal(signal.SIGTERM)
        print("at once: the same request", flush=True)
        now[0] += interrupt.BURST_SECONDS * 0.2
        signal.raise_signal(signal.SIGTERM)
    except KeyboardInterrupt:
        print("later: Ctrl-C again", flush=True)
signal.raise_signal(signal.SIGTERM)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
with sigterm_as_ctrl_c():
    try:
        signal.raise_signal(signal.SIGTERM)
        print("not reached", flush=True)
    except KeyboardInterrupt:
        print("second: Ctrl-C", flush=True)
now[0] += interrupt.BURST_SECONDS * 0.5  # the block is over; the duplicate comes late
signal.raise_signal(signal.SIGTERM)
print("after the block: the same request", flush=True)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
with sigterm_as_ctrl_c():
    try:
        signal.raise_signal(signal.SIGTERM)
        print("not reached", flush=True)
    except KeyboardInterrupt:
        print("third: Ctrl-C", flush=True)
    signal.raise_signal(signal.SIGTERM)
    print("at once: the same request", flush=True)
    now[0] += interrupt.BURST_SECONDS * 1.5
    signal.raise_signal(signal.SIGTERM)
print("not reached", flush=True)
"""


def test_a_second_sigterm_is_no_longer_ctrl_c() -> None:
    """`sigterm_as_ctrl_c`: the first SIGTERM in the block is a KeyboardInterrupt (the sweep cancels
    and writes its index). One arriving within `BURST_SECONDS` of it is the same request and is
    ignored: found in a bug hunt, GNU `timeout` sends SIGTERM to the process and to its group at
    once, and that duplicate used to end the process before the clean-up (no index, worker kernels
    left running). A SIGTERM after that goes to the handler from before the block (here a handler
    of the caller's; with none, the default: the process ends), and the caller's handler is back
    after the block."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", SECOND_SIGTERM],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.splitlines() == [
        "first: Ctrl-C",
        "at once: the same request",  # the duplicate: neither Ctrl-C nor the caller's handler
        "previous handler",  # a later SIGTERM in the block: the caller's handler, no Ctrl-C
        "previous handler",  # after the block
        "second: Ctrl-C",
        "after the block: the same request",  # a slow duplicate finds no default handler
        "third: Ctrl-C",
        "at once: the same request",
    ], run.stderr
    assert run.returncode == -signal.SIGTERM  # no handler before: a later one ends the process


@contextmanager
def _not_a_scheduler(banner: bytes | None) -> Iterator[str]:
    """A server on 127.0.0.1 that is no Dask scheduler: an HTTP server (as a scheduler's dashboard
    port is) or, with `banner`, one that speaks first and then keeps the connection open (as SSH
    does). Yields its tcp:// address; stopped at the end."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # not into the command's stderr
            pass

    if banner is None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"tcp://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
        return
    listener = socket.create_server(("127.0.0.1", 0))
    conns: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener closed: done
            while True:
                conn, _ = listener.accept()
                conn.sendall(banner)
                conns.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for conn in conns:
            conn.close()


@pytest.mark.parametrize("banner", [None, b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"])
def test_a_port_that_is_not_a_scheduler_is_one_line_in_bounded_time(
    banner: bytes | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in a bug hunt: `--scheduler` at an open port that is no Dask scheduler (an HTTP server
    such as the dashboard's port) hung for ever in Dask's handshake (Dask's connect timeout ends at
    the TCP connect), and a server that speaks first crashed with a numpy allocation traceback (its
    banner read as a frame length). Now: one line naming the address, exit 2, within the deadline."""
    import threading
    import time

    import toolkit.distributed.cluster as cluster_module

    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 2.0)
    out = tmp_path / "paths.parquet"
    done: list[Any] = []
    with _not_a_scheduler(banner) as address:
        start = time.monotonic()
        # in a thread joined with a time limit: without the fix the command never returns
        thread = threading.Thread(target=lambda: done.append(_simulate(address, out)), daemon=True)
        thread.start()
        thread.join(60)
        took = time.monotonic() - start
    assert done, "--scheduler at a port that is no scheduler still runs after 60 s"
    [result] = done
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr, result.stderr
    [error] = result.stderr.splitlines()
    assert error.startswith(f"error: --scheduler {address!r}: no Dask scheduler reached: "), error
    assert "not its dashboard's or another server's port?" in error
    assert took < 15, took  # the deadline (2 s here) and a little, not Dask's unbounded wait
    assert not out.exists()
