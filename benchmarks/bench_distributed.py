"""The cost of Dask on one machine: a sweep and a large simulation, local vs a `LocalCluster`.

    .venv/bin/python benchmarks/bench_distributed.py [--reports 20] [--paths 10000000]
        [--workers 2] [--repeat 3] [--notebook NB] [--no-warm-up]

1. A sweep of `--reports` reports (`seed=1..N` on the project's report notebook): the local sweep
   (`toolkit.report.sweep.sweep`, `--workers` warm kernels) vs the same sweep on a `LocalCluster` of
   `--workers` worker processes, one thread each (`toolkit.distributed.sweep.sweep`).
2. `simulate` of `--paths` paths x 36 months: one local process vs the same run on the cluster
   (`simulate(..., client=...)`; identical counts, checked here).

Each pair runs `--repeat` times, alternating local and cluster (a noisy moment on a shared machine
hurts both); medians are compared and every run is printed as min-max. The cluster is started once
(its start-up is printed apart: a long-lived cluster pays it once), and one untimed report on each
side warms the imports and caches first.

Then what one task costs and what it moves, measured in the same run: a report's time on its worker
and the bytes it sends back (plus the notebook and pack sent once to each worker), a simulation
task's compute time (Dask's task stream) and result size, and Dask's own round trip for an empty
task. From them, an estimate of how the work would divide across M machines like this one:
    T(M) ~ fixed + tasks x per-task time / (M x workers) + bytes / bandwidth,
with `fixed` the part of the cluster's time that is not per-task work (kernel start-up and warm-up,
planning, scheduling). An estimate, not a measurement: real machines add network latency.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOK = ROOT / "notebooks" / "report.ipynb"
MONTHS = 36
BANDWIDTH = 100e6  # bytes/s assumed between machines for the estimate (a 1 Gbit/s network)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):7.2f} s  (min-max {min(values):.2f}-{max(values):.2f})"
    )


def noop(_: int) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=DEFAULT_NOTEBOOK)
    parser.add_argument("--reports", type=int, default=20, help="reports in the sweep")
    parser.add_argument("--paths", type=int, default=10_000_000, help="paths of the simulation")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each side")
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false", help="no untimed first report"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp_name:
        tmp = Path(tmp_name)
        # before the workers start; an existing cache (a test's) is kept
        os.environ.setdefault("TOOLKIT_CACHE_DIR", str(tmp / "cache"))
        run(args, tmp)


def run(args: argparse.Namespace, tmp: Path) -> None:
    import numpy as np
    from distributed import Client, get_task_stream

    from toolkit.distributed.cluster import local_cluster
    from toolkit.distributed.sweep import ReportStats
    from toolkit.distributed.sweep import sweep as cluster_sweep
    from toolkit.engine.cluster import COUNT_FIELDS, ModelPayload
    from toolkit.engine.compile import compile_model
    from toolkit.engine.simulation import simulate
    from toolkit.fastimport import block_slow_optional_imports
    from toolkit.pack.load import load_pack
    from toolkit.report.sweep import sweep

    block_slow_optional_imports()
    notebook = args.notebook.resolve()
    workers = max(1, args.workers)
    grid = {"seed": list(range(1, args.reports + 1))}
    started, cluster = timed(lambda: local_cluster(workers, dashboard=False))
    with cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        # Dask's own cost of one task: submit and gather empty tasks
        client.gather(client.map(noop, range(20), pure=False))  # warm
        empties = 200
        empty, _ = timed(lambda: client.gather(client.map(noop, range(empties), pure=False)))

        # -- the sweep ------------------------------------------------------------------------
        # one untimed report on each side first: imports and caches, paid once by a long-lived
        # process or cluster
        if args.warm_up:
            one = {"seed": [0]}
            sweep(one, notebook=notebook, out_dir=tmp / "warm-local", workers=1)
            cluster_sweep(one, notebook=notebook, out_dir=tmp / "warm-cluster", client=client)
        local_sweeps: list[float] = []
        cluster_sweeps: list[float] = []
        stats: list[ReportStats] = []
        for i in range(max(1, args.repeat)):
            elapsed, _ = timed(
                lambda i=i: sweep(
                    grid, notebook=notebook, out_dir=tmp / f"local{i}", workers=workers
                )
            )
            local_sweeps.append(elapsed)
            stats.clear()
            elapsed, _ = timed(
                lambda i=i: cluster_sweep(
                    grid, notebook=notebook, out_dir=tmp / f"cluster{i}", client=client, stats=stats
                )
            )
            cluster_sweeps.append(elapsed)
        sizes = [s.size for s in stats]
        per_report = statistics.median(s.seconds for s in stats)
        pack = load_pack()
        spec_bytes = notebook.stat().st_size + sum(
            p.stat().st_size for p in pack.path.rglob("*") if p.is_file()
        )

        # -- the simulation -------------------------------------------------------------------
        model = compile_model(pack, "baseline")
        payload = len(ModelPayload.of(model).data)
        local_runs: list[float] = []
        cluster_runs: list[float] = []
        durations: list[float] = []
        result_bytes = 0
        tasks = 0
        if args.warm_up:  # the workers import the engine once
            simulate(model, paths=1000, months=MONTHS, seed=1, client=client)
        for _ in range(max(1, args.repeat)):
            elapsed, local = timed(lambda: simulate(model, paths=args.paths, months=MONTHS, seed=1))
            local_runs.append(elapsed)
            with get_task_stream(client) as stream:
                elapsed, remote = timed(
                    lambda: simulate(model, paths=args.paths, months=MONTHS, seed=1, client=client)
                )
            cluster_runs.append(elapsed)
            for name in COUNT_FIELDS:  # the point of it all: the same numbers
                assert np.array_equal(getattr(local.counts, name), getattr(remote.counts, name))
            ours = [t for t in stream.data if "run_task" in str(t.get("key", ""))]
            durations = [
                sum(p["stop"] - p["start"] for p in t["startstops"] if p["action"] == "compute")
                for t in ours
            ]
            tasks = len(ours)
            result_bytes = sum(getattr(local.counts, n).nbytes for n in COUNT_FIELDS)
        per_task = statistics.median(durations) if durations else 0.0

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
          f"LocalCluster of {workers} worker processes x 1 thread (start-up {started:.2f} s, once)")  # fmt: skip
    print(f"Dask round trip of an empty task: {1000 * empty / empties:.2f} ms "
          f"({empties} tasks submitted and gathered at once)")  # fmt: skip
    print()
    local_s, cluster_s = statistics.median(local_sweeps), statistics.median(cluster_sweeps)
    name = notebook.relative_to(ROOT) if notebook.is_relative_to(ROOT) else notebook
    print(
        f"sweep of {args.reports} reports ({name}, seed=1..{args.reports}), {len(local_sweeps)} runs each"
    )
    print(f"  {f'local sweep, {workers} kernels':<31}{spread(local_sweeps)}")
    print(f"  {f'LocalCluster, {workers} workers':<31}{spread(cluster_sweeps)}")
    print(f"  ratio cluster / local          {cluster_s / local_s:7.2f}x")
    print(f"  per report on a worker         median {per_report:.2f} s (reset, run, export)")
    print(f"  sent back per report           median {statistics.median(sizes) / 1e6:.2f} MB "
          f"(HTML); sent once per worker {spec_bytes / 1e6:.2f} MB (notebook and pack)")  # fmt: skip
    print(f"  cluster overhead per report    {(cluster_s - local_s) / args.reports:+.2f} s "
          "((cluster - local) / reports, wall time on this machine)")  # fmt: skip
    fixed = max(0.0, cluster_s - args.reports * per_report / workers)
    moved = args.reports * statistics.median(sizes) + spec_bytes
    print(f"  estimate on M machines like this one ({workers} workers each; fixed {fixed:.2f} s, "
          f"{moved / 1e6:.1f} MB moved at {BANDWIDTH / 1e6:.0f} MB/s; a report is one task)")  # fmt: skip
    # reports are indivisible: they run in waves of M x workers
    _table(lambda m: fixed + -(-args.reports // (m * workers)) * per_report + moved / BANDWIDTH)
    print()
    local_m, cluster_m = statistics.median(local_runs), statistics.median(cluster_runs)
    print(f"simulate {args.paths:,} paths x {MONTHS} months, {len(local_runs)} runs each "
          "(same counts, checked)")  # fmt: skip
    print(f"  {'one local process':<31}{spread(local_runs)}")
    print(f"  {f'LocalCluster, {workers} workers':<31}{spread(cluster_runs)}")
    print(f"  ratio cluster / local          {cluster_m / local_m:7.2f}x "
          f"(an even split over {workers} workers would be {1 / workers:.2f}x)")  # fmt: skip
    print(f"  tasks                          {tasks} (whole chunks of 16,384-path blocks)")
    print(f"  per task on a worker           median {per_task:.2f} s; result {result_bytes / 1e3:.1f} kB"
          f" per task; the model {payload / 1e3:.1f} kB once per worker")  # fmt: skip
    beyond = cluster_m - local_m / workers
    print(f"  cluster overhead               {beyond:+.2f} s beyond an even split of the local run, "
          f"{beyond / max(1, tasks):+.3f} s per task")  # fmt: skip
    work = tasks * per_task  # worker-seconds of paths, divisible: tasks follow the thread count
    fixed = max(0.0, cluster_m - work / workers)
    print(f"  estimate on M machines like this one ({workers} workers each; fixed {fixed:.2f} s, "
          f"{work:.1f} worker-seconds of paths, {4 * workers} tasks per machine at "
          f"{1000 * empty / empties:.1f} ms each)")  # fmt: skip
    _table(lambda m: fixed + work / (m * workers) + 4 * m * workers * empty / empties)


def _table(seconds: Callable[[int], float]) -> None:
    print("    " + "   ".join(f"M={m}: {seconds(m):.1f} s" for m in (1, 2, 4, 8, 16)))


if __name__ == "__main__":
    main()
