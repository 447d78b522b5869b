"""Distributed runs (issue 15) on a `LocalCluster` of 2 worker processes, at small sizes: the engine's
chunks on the cluster equal a local run array for array; a sweep's reports are byte-identical to the
local sweep's, with the same isolation between reports and the pack sent by content; a failed report
is listed; a worker killed mid-sweep has its report run again elsewhere and nothing half-written.

One cluster serves the module; its fixture closes it and checks that no worker or kernel process is
left. Everything is written under pytest's tmp dirs."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from typer.testing import CliRunner

from toolkit.cache import CACHE_ENV
from toolkit.engine.result import SimulationResult
from toolkit.errors import ParameterError, ToolkitError
from toolkit.pack.load import Pack

from .servers import alive

distributed = pytest.importorskip("distributed")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHARTS = FIXTURES / "charts_report.ipynb"
ISOLATION = FIXTURES / "isolation.ipynb"
EPOCH = "1700000000"
COUNT_FIELDS = ("occupancy", "reached", "transfer", "tier_transfer", "decided", "level")

pytestmark = [pytest.mark.xdist_group("distributed"), pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Set before the cluster starts (its workers inherit it): caches in a tmp dir, a fixed
    SOURCE_DATE_EPOCH (reports are compared byte for byte), the default pack."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.delenv("TOOLKIT_PACK", raising=False)
        yield


class Cluster:
    """The module's LocalCluster and client, and every worker process id it has had."""

    def __init__(self) -> None:
        from toolkit.distributed.cluster import local_cluster

        self.cluster = local_cluster(2, dashboard=False)
        self.client = distributed.Client(self.cluster)
        self.client.wait_for_workers(2)
        self.worker_pids: set[int] = set()
        self.note_workers()

    def note_workers(self) -> dict[str, int]:
        from toolkit.distributed.worker import worker_pid

        pids: dict[str, int] = self.client.run(worker_pid)
        self.worker_pids |= set(pids.values())
        return pids

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


@pytest.fixture(scope="module")
def cluster(_isolated_env: None) -> Iterator[Cluster]:
    made = Cluster()
    try:
        yield made
    finally:
        made.note_workers()
        made.close()
        # no worker process, and no kernel started by one, outlives the cluster
        deadline = time.monotonic() + 20
        while (left := _processes_of(made.worker_pids)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"processes left behind: {left}"


def _processes_of(worker_pids: set[int]) -> list[int]:
    """Live worker processes, and live kernels whose parent was one (JPY_PARENT_PID)."""
    found = [pid for pid in worker_pids if alive(pid)]
    wanted = {f"JPY_PARENT_PID={pid}".encode() for pid in worker_pids}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = set((entry / "environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if env & wanted and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _same_counts(a: SimulationResult, b: SimulationResult) -> None:
    for name in COUNT_FIELDS:
        x, y = getattr(a.counts, name), getattr(b.counts, name)
        assert x.dtype == y.dtype
        assert np.array_equal(x, y), name


# -- the engine ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "settings",
    [
        {"paths": 70_000, "seed": 3},
        {
            "paths": 50_001,
            "seed": 11,
            "months": 12,
            "step": 0.5,
            "chunk_size": 40_000,
            "keep_samples": 20_000,
            "start": {"adaptation_training": 0.5, "westward_movement": 0.5},
            "troops": 15_000,
        },
    ],
)
def test_simulate_on_the_cluster_equals_the_local_run(
    cluster: Cluster, pack: Pack, settings: dict[str, Any]
) -> None:
    from toolkit.engine.simulation import simulate

    local = simulate(pack, "rapid_frontline", **settings)
    seen: list[int] = []
    remote = simulate(
        pack,
        "rapid_frontline",
        client=cluster.client,
        progress=lambda done, total: seen.append(done),
        **settings,
    )
    _same_counts(local, remote)
    assert remote.summary() == local.summary()
    assert seen == sorted(seen)
    assert seen[-1] == settings["paths"]
    assert len(local.kept) == len(remote.kept)
    for a, b in zip(local.kept, remote.kept, strict=True):
        assert np.array_equal(a.decided, b.decided)
        assert np.array_equal(a.final_phase, b.final_phase)
        assert a.values.keys() == b.values.keys()
        assert all(np.array_equal(a.values[k], b.values[k]) for k in a.values)


def test_simulate_as_of_takes_a_client_and_equals_the_local_run(
    cluster: Cluster, pack: Pack
) -> None:
    """Found in a bug hunt: `toolkit.simulate(pack, as_of=..., client=c)` (both documented) failed
    with "unknown parameter 'client'": the as-of path took `client` for a model parameter of the
    tracker. Now it runs on the cluster and gives the local run's counts; a start state given with
    as_of (any `start*` keyword) is refused in one line, not a TypeError."""
    import toolkit
    from toolkit.errors import ParameterError

    settings: dict[str, Any] = {"paths": 20_000, "seed": 9, "as_of": "2024-11-30"}
    local = toolkit.simulate(pack, **settings)
    remote = toolkit.simulate(pack, client=cluster.client, **settings)
    _same_counts(local, remote)
    assert remote.summary() == local.summary()
    with pytest.raises(ParameterError, match="give start_decided or as_of, not both"):
        toolkit.simulate(pack, start_decided={}, **settings)


def test_any_split_into_tasks_gives_the_same_counts(cluster: Cluster, pack: Pack) -> None:
    from toolkit.engine.cluster import plan_tasks, run_on_cluster, task_paths
    from toolkit.engine.compile import compile_model
    from toolkit.engine.simulation import simulate

    model = compile_model(pack, "baseline")
    local = simulate(model, paths=40_000, months=24, seed=5)
    for tasks in (1, 2, 3):
        counts, _ = run_on_cluster(
            cluster.client,
            model,
            paths=40_000,
            seed=5,
            chunk_size=16_384,
            periods=24,
            step=1.0,
            keep=0,
            tasks=tasks,
        )
        for name in COUNT_FIELDS:
            assert np.array_equal(getattr(local.counts, name), getattr(counts, name))
    plan = plan_tasks(40_000, seed=5, chunk_size=40_000, periods=24, step=1.0, keep=0, tasks=8)
    assert [(t.first, t.count) for t in plan] == [(0, 3)]  # whole chunks: 3 blocks in one
    assert sum(task_paths(t) for t in plan) == 40_000


def test_a_worker_checks_what_it_receives(pack: Pack, tmp_path: Path) -> None:
    """No cluster needed: the checks a worker makes before it uses a model or a sweep's files."""
    import hashlib

    from toolkit.distributed.worker import SweepSpec, _materialise
    from toolkit.engine.cluster import ClusterMismatchError, ModelPayload, check_fingerprint
    from toolkit.engine.compile import compile_model
    from toolkit.files import _pack_files

    payload = ModelPayload.of(compile_model(pack, "baseline"))
    assert payload.model().content_hash == pack.content_hash
    damaged = ModelPayload(b"x" + payload.data, "0" * 64, payload.pack_hash, payload.fingerprint)
    with pytest.raises(ClusterMismatchError, match="SHA-256"):
        damaged.model()
    with pytest.raises(ClusterMismatchError, match="not compiled from pack"):
        replace(payload, pack_hash="f" * 64).model()
    with pytest.raises(ClusterMismatchError, match="the same toolkit"):
        check_fingerprint("0.0.0+other")

    files = {rel.as_posix(): (pack.path / rel).read_bytes() for rel in _pack_files(pack.path)}
    notebook = b"{}"
    spec = SweepSpec(
        notebook_name="nb.ipynb", notebook_folder="notebooks", notebook_data=notebook,
        notebook_sha256=hashlib.sha256(notebook).hexdigest(), notebook_title="t", parameters={},
        imports=[], pack_folder="seeds", pack_files=files, pack_hash=pack.content_hash,
        pack_title=None, show_code=False, fingerprint="",
    )  # fmt: skip
    info, received = _materialise(spec, tmp_path / "ok")
    assert received.content_hash == pack.content_hash
    assert info.path == tmp_path / "ok" / "notebook" / "notebooks" / "nb.ipynb"
    assert received.path == tmp_path / "ok" / "pack" / "seeds"
    edited = dict(files, **{"pack.yaml": files["pack.yaml"] + b"\n# edited on the way\n"})
    with pytest.raises(ClusterMismatchError, match="content hash"):
        _materialise(replace(spec, pack_files=edited), tmp_path / "edited")
    with pytest.raises(ClusterMismatchError, match="inside the pack"):
        _materialise(replace(spec, pack_files={"../x": b""}), tmp_path / "escape")
    with pytest.raises(ClusterMismatchError, match="notebook received differs"):
        _materialise(replace(spec, notebook_data=b"[]"), tmp_path / "nb")


# -- sweeps ----------------------------------------------------------------------------------------
def _seen(document: str) -> dict[str, Any]:
    match = re.search(r"SEEN (\{.*?\})\n", document)
    assert match, "the isolation probe printed nothing"
    return dict(json.loads(match.group(1).replace("&quot;", '"')))


def _notebook(folder: Path, name: str, params: str, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(code)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def _no_partial_files(folder: Path) -> None:
    assert not list(folder.rglob(".*.tmp")), "a temporary file was left"
    for report in folder.glob("*.html"):
        assert report.read_bytes().rstrip().endswith(b"</html>"), f"{report.name} is not whole"


@pytest.mark.notebook
def test_a_sweep_on_the_cluster_is_byte_identical_to_the_local_sweep(
    cluster: Cluster, tmp_path: Path
) -> None:
    from toolkit.distributed.sweep import ReportStats
    from toolkit.distributed.sweep import sweep as cluster_sweep
    from toolkit.report.sweep import sweep

    grid = {"n_points": [5, 12]}
    local = sweep(grid, notebook=CHARTS, out_dir=tmp_path / "local", workers=2)
    stats: list[ReportStats] = []
    remote = cluster_sweep(
        grid, notebook=CHARTS, out_dir=tmp_path / "cluster", client=cluster.client, stats=stats
    )
    assert [p.name for p in remote.reports] == [p.name for p in local.reports]
    for mine, theirs in zip(remote.reports, local.reports, strict=True):
        assert mine.read_bytes() == theirs.read_bytes(), mine.name
    assert remote.index.read_bytes() == local.index.read_bytes()
    assert sorted(s.name for s in stats) == sorted(p.name for p in remote.reports)
    assert all(s.size == (tmp_path / "cluster" / s.name).stat().st_size for s in stats)
    _no_partial_files(tmp_path / "cluster")


@pytest.mark.notebook
def test_a_shared_assets_sweep_on_the_cluster_equals_the_local_one(
    cluster: Cluster, tmp_path: Path
) -> None:
    """--shared-assets with --scheduler: the client writes the library file the workers' reports
    load; the folder is the local --shared-assets sweep's, byte for byte."""
    from toolkit.distributed.sweep import sweep as cluster_sweep
    from toolkit.report.sweep import sweep

    grid = {"n_points": [5]}
    sweep(grid, notebook=CHARTS, out_dir=tmp_path / "local", workers=1, shared_assets=True)
    remote = cluster_sweep(
        grid, notebook=CHARTS, out_dir=tmp_path / "cluster", client=cluster.client,
        shared_assets=True,
    )  # fmt: skip
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert sorted(p.name for p in (tmp_path / "cluster").iterdir()) == names
    (library,) = (tmp_path / "cluster").glob("vega-bundle-*.js")
    for name in names:
        mine, theirs = tmp_path / "cluster" / name, tmp_path / "local" / name
        assert mine.read_bytes() == theirs.read_bytes(), name
    assert remote.reports[0].stat().st_size < library.stat().st_size  # the library is not inside
    _no_partial_files(tmp_path / "cluster")


@pytest.mark.notebook
def test_reports_on_one_worker_kernel_see_nothing_of_each_other(
    cluster: Cluster, tmp_path: Path
) -> None:
    from toolkit.distributed.sweep import ReportStats
    from toolkit.distributed.sweep import sweep as cluster_sweep
    from toolkit.jupyter import offline

    stats: list[ReportStats] = []
    result = cluster_sweep(
        {"value": [1, 2, 3]}, notebook=ISOLATION, out_dir=tmp_path, client=cluster.client,
        stats=stats,
    )  # fmt: skip
    worker_of = {s.name: s.worker for s in stats}
    seen = {p.name: _seen(p.read_text(encoding="utf-8")) for p in result.reports}
    by_worker: dict[str, list[dict[str, Any]]] = {}
    for name, probe in seen.items():
        by_worker.setdefault(worker_of[name], []).append(probe)
    assert max(len(probes) for probes in by_worker.values()) >= 2  # 3 reports, 2 kernels: reused
    for probes in by_worker.values():  # restored to the same snapshot, random state included
        assert all(probe == probes[0] for probe in probes)
    for probe in seen.values():  # what a cold local kernel sees (test_report's probe)
        assert probe["globals"] == []
        assert probe["env"] is None
        assert probe["module_attr"] is None
        assert probe["renderer"] == offline.RENDERER_NAME
        assert probe["cwd"] == "fixtures"  # a folder named as the client's notebook folder


@pytest.mark.notebook
def test_the_pack_travels_by_content(cluster: Cluster, tmp_path: Path, pack_dir: Path) -> None:
    """A pack given to the sweep (not on any worker's disk) is sent, checked and used there; the
    reports name the client's pack, byte for byte as the local sweep's."""
    from toolkit.distributed.sweep import sweep as cluster_sweep
    from toolkit.pack.load import load_pack
    from toolkit.report.sweep import sweep

    with (pack_dir / "pack.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# an edited copy: another content hash\n")
    expected = load_pack(pack_dir).content_hash
    notebook = _notebook(
        tmp_path / "nb",
        "packprobe.ipynb",
        'pack: str = ""  # pack directory\nlabel: int = 0  # differs per report',
        "from toolkit.pack.load import load_pack\n"
        "p = load_pack(pack or None)\n"
        "print('PACK', p.content_hash, p.path.name, label)",
    )
    grid = {"label": [1]}
    local = sweep(grid, notebook=notebook, out_dir=tmp_path / "local", pack=pack_dir, workers=1)
    remote = cluster_sweep(
        grid, notebook=notebook, out_dir=tmp_path / "cluster", pack=pack_dir, client=cluster.client
    )
    for mine, theirs in zip(remote.reports, local.reports, strict=True):
        document = mine.read_text(encoding="utf-8")
        assert f"PACK {expected} pack" in document
        assert str(pack_dir) in document  # the provenance footer: the client's --pack
        assert mine.read_bytes() == theirs.read_bytes()
    with pytest.raises(ParameterError, match="one sweep per pack"):
        cluster_sweep({"pack": [str(pack_dir)]}, notebook=notebook, client=cluster.client)


@pytest.mark.notebook
def test_a_failed_report_is_listed_and_the_others_publish(cluster: Cluster, tmp_path: Path) -> None:
    """Through the command line, on the cluster's address: the dashboard line, one error line."""
    from toolkit.cli.app import app

    address = cluster.client.scheduler.address
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["sweep", str(CHARTS), "--grid", "fail=false,true", "--out", str(out),
         "--scheduler", address],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "dask dashboard:" in result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert "1 of 2 reports failed" in line
    assert "failed in cell" in line
    assert str(out / "failed" / "charts_report-fail-True.ipynb") in line
    assert (out / "failed" / "charts_report-fail-True.ipynb").is_file()
    assert (out / "charts_report-fail-False.html").is_file()
    assert not (out / "charts_report-fail-True.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="charts_report-fail-False.html"' in index
    assert "failed: charts_report.ipynb failed in cell" in index
    _no_partial_files(out)


@pytest.mark.notebook
def test_a_worker_killed_mid_sweep(cluster: Cluster, tmp_path: Path) -> None:
    """SIGKILL to the worker process rendering a report: Dask runs that report again on another
    worker, the other reports go on, nothing half-written lands, the dead worker's kernel exits."""
    from toolkit.distributed.sweep import sweep as cluster_sweep
    from toolkit.report.sweep import SweepError, SweepResult

    marks = tmp_path / "marks"
    marks.mkdir()
    notebook = _notebook(
        tmp_path / "nb",
        "sleepy.ipynb",
        'delay: float = 0.0  # seconds to sleep\nmarker: str = ""  # folder for start marks',
        "import os, pathlib, time\n"
        "if marker:\n"
        "    name = f'{delay}-{os.getpid()}'\n"
        "    pathlib.Path(marker, '.' + name).write_text(str(os.getppid()))\n"
        "    pathlib.Path(marker, '.' + name).rename(pathlib.Path(marker, name))\n"
        "time.sleep(delay)\n"
        "print(delay)",
    )

    def started() -> list[Path]:
        # a mark appears whole (written under a hidden name, then renamed): read as soon as it was
        # created, it could still be empty (int('') failed once on a loaded machine)
        return sorted(m for m in marks.iterdir() if not m.name.startswith("."))

    out = tmp_path / "out"
    outcome: list[SweepResult | BaseException] = []

    def run() -> None:
        try:
            outcome.append(
                cluster_sweep(
                    {"delay": [1.5, 1.51, 1.52]},
                    notebook=notebook,
                    out_dir=out,
                    parameters={"marker": str(marks)},
                    client=cluster.client,
                )
            )
        except SweepError as exc:
            outcome.append(exc.result)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while not started():
        assert thread.is_alive(), outcome
        assert time.monotonic() < deadline, "no report started"
        time.sleep(0.05)
    first = started()[0]
    kernel = int(first.name.rsplit("-", 1)[1])
    worker = int(first.read_text())
    assert worker in cluster.worker_pids
    os.kill(worker, signal.SIGKILL)
    thread.join(180)
    assert not thread.is_alive(), "the sweep did not finish"
    [result] = outcome
    assert isinstance(result, SweepResult), result
    assert len(result.items) == 3
    killed = first.name.rsplit("-", 1)[0]
    for item in result.items:
        if item.error is None:
            assert item.path.is_file()
        else:  # listed as failed, and no file
            assert not item.path.exists()
    # the killed report ran again on a live worker
    assert any(str(item.values["delay"]) == killed and item.error is None for item in result.items)
    assert len([m for m in started() if m.name.startswith(f"{killed}-")]) >= 2
    _no_partial_files(out)
    index = result.index.read_text(encoding="utf-8")
    assert index.count("<tr><td>") == 3
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarted the worker
    cluster.note_workers()
    deadline = time.monotonic() + 20
    while alive(kernel) and time.monotonic() < deadline:  # ipykernel watches its parent
        time.sleep(0.2)
    assert not alive(kernel), "the dead worker's kernel is still running"


# -- the command line ------------------------------------------------------------------------------
def test_simulate_on_a_scheduler_address_prints_what_it_prints_locally(cluster: Cluster) -> None:
    from toolkit.cli.app import app

    args = ["simulate", "--paths", "40000", "--months", "24", "--seed", "9", "--json"]
    local = CliRunner().invoke(app, args)
    remote = CliRunner().invoke(app, [*args, "--scheduler", cluster.client.scheduler.address])
    assert remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    assert remote.stderr.startswith("dask dashboard:")


def test_simulate_on_a_local_cluster_closes_it() -> None:
    """`--scheduler local:1`: a cluster of one worker process here, closed when the command ends.

    Python's multiprocessing starts one resource tracker per process the first time it starts a
    process (here, Dask's worker) and keeps it for the process's life: it is started beforehand, so
    it is not counted as left behind. (The test failed when it was the first in its process to start
    a cluster: run alone, or as the first such test of a pytest-xdist worker.)"""
    from multiprocessing import resource_tracker

    from toolkit.cli.app import app

    resource_tracker.ensure_running()
    before = _child_pids()
    result = CliRunner().invoke(
        app, ["simulate", "--paths", "5000", "--months", "6", "--scheduler", "local:1"]
    )
    assert result.exit_code == 0, result.output
    assert "Scenario 'baseline': 5,000 paths" in result.stdout
    assert "dask dashboard: http://127.0.0.1:" in result.stderr
    deadline = time.monotonic() + 20
    while (left := _child_pids() - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, "the local cluster left processes behind"


def test_a_local_cluster_takes_another_dashboard_port_without_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The dashboard's usual port taken (as by a second `--scheduler local` run): no Dask warning,
    and the dashboard line names the port the dashboard took."""
    import socket
    import urllib.request
    import warnings

    from toolkit.distributed import cluster as local

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(local, "LOCAL_DASHBOARD", f"127.0.0.1:{port}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            made = local.local_cluster(0)
        try:
            client = distributed.Client(made)
            line = local.dashboard_line(client)
            taken_by_dashboard = made.scheduler.http_server.port
            assert taken_by_dashboard != port
            assert line == f"dask dashboard: http://127.0.0.1:{taken_by_dashboard}/status"
            with urllib.request.urlopen(line.split(": ", 1)[1], timeout=30) as page:
                assert page.status == 200
            client.close()
        finally:
            made.close()
    assert not [w for w in caught if "already in use" in str(w.message)]


def _child_pids() -> set[int]:
    me = f"\nPPid:\t{os.getpid()}\n"
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if me in (entry / "status").read_text() and alive(int(entry.name)):
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def test_only_local_and_local_n_start_a_cluster_anything_else_is_an_address() -> None:
    """A host whose name starts with "local" is a scheduler's address, not a malformed local:N."""
    from toolkit.distributed.cluster import parse_scheduler

    for address in (
        "localhost:8786", "localhost", "tcp://localhost:8786", "local-scheduler:8786",
        "locally", "local:x", "local:1.5",
    ):  # fmt: skip
        assert parse_scheduler(address) == address
    assert parse_scheduler(" localhost:8786 ") == "localhost:8786"
    assert parse_scheduler("local:12") == 12


def test_a_tls_scheduler_without_dask_tls_settings_is_one_line(tmp_path: Path) -> None:
    """No `distributed.comm.tls` configuration: one line saying so, before any connection."""
    import dask

    from toolkit.cli.app import app
    from toolkit.distributed.cluster import connect

    out = tmp_path / "paths.parquet"
    tls = "distributed.comm.tls."
    unset = {f"{tls}ca-file": None, f"{tls}client.cert": None, f"{tls}client.key": None}
    with dask.config.set(unset):
        with (
            pytest.raises(ToolkitError, match="needs Dask's security configuration"),
            connect("tls://127.0.0.1:1"),
        ):
            pass
        args = [
            "simulate",
            "--paths",
            "1000",
            "--out",
            str(out),
            "--scheduler",
            "tls://127.0.0.1:1",
        ]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: --scheduler 'tls://127.0.0.1:1': a tls:// scheduler")
    assert not out.exists()


def test_bad_scheduler_settings_are_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.util

    import toolkit
    from toolkit.cli.app import app
    from toolkit.distributed import require_distributed
    from toolkit.distributed.cluster import parse_scheduler

    assert parse_scheduler("local") == 0
    assert parse_scheduler("local:3") == 3
    assert parse_scheduler(" tcp://10.0.0.1:8786 ") == "tcp://10.0.0.1:8786"
    for bad in ("local:0", "local:00", ""):
        with pytest.raises(ParameterError):
            parse_scheduler(bad)
    sweep = ["sweep", str(CHARTS), "--grid", "n_points=5", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*sweep, "--scheduler", "local:2", "--workers", "2"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--workers is for a local sweep" in result.stderr
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "distributed" else real(name, *a),
    )
    hint = f"pip install '{toolkit.DISTRIBUTION}[distributed]'"
    for args in ([*sweep, "--scheduler", "local"], ["simulate", "--scheduler", "local"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1
        assert hint in result.stderr
    assert not (tmp_path / "o").exists()
    with pytest.raises(ToolkitError, match="Dask distributed is not installed"):
        require_distributed()
