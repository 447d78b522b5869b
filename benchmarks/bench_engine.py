"""Benchmark the scenario engine against a bare vectorized Markov step and the per-path reference.

    .venv/bin/python benchmarks/bench_engine.py [--paths N] [--months M] [--scenario NAME]

Prints path-months per second for

- the engine: `simulate` on the default pack (phases, transfers, triggers, decisions, histograms);
- a bare vectorized Markov step over the same phases: point transition probabilities, one uniform per
  path and month, the next phase found by comparing it with the cumulative row of the current phase
  (per-column gathers, the fastest of the simple numpy formulations), in chunks of 65,536 paths. This
  only moves phases and computes nothing else: the practical limit of a month-by-month engine;
- the per-path pure-Python reference of the tests (tests/reference_engine.py), on fewer paths;

then the ratios from this one run (engine and bare step alternate, best of --repeat each, in CPU
seconds: on a shared machine wall time also counts other processes; wall rates are shown too), the time and peak memory of 1,000,000 paths x 36 months (peak
traced numpy/Python allocations via tracemalloc, in a separate run, and the process's peak RSS), and the
single-call latency of 10,000 paths x 24 months (the live explorer's slider callback; 15 calls after
one warm-up, with the model compiled once). Not a timed test: numbers vary with the machine.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reference_engine import run_reference  # noqa: E402
from toolkit.engine.compile import compile_model  # noqa: E402
from toolkit.engine.model import Model  # noqa: E402
from toolkit.engine.simulation import simulate  # noqa: E402
from toolkit.pack.load import load_pack  # noqa: E402

CHUNK = 65_536


def cumulative_transitions(model: Model) -> np.ndarray:
    """Row-cumulative monthly transition matrix expm(Q) of the continuous-time chain at the
    parameters' point rates: the bare chain steps at the engine's reporting resolution (a month)."""
    from scipy.linalg import expm

    n_ph = len(model.phases)
    q = np.zeros((n_ph, n_ph))
    for f, t, p in zip(model.trans_from, model.trans_to, model.trans_param, strict=True):
        q[f, t] += model.parameters.value[p]
        q[f, f] -= model.parameters.value[p]
    return np.cumsum(expm(q), axis=1)


def bare_markov(model: Model, paths: int, months: int, seed: int) -> np.ndarray:
    """Move `paths` paths through the phases month by month; return the final phase counts."""
    n_ph = len(model.phases)
    cum = cumulative_transitions(model)
    columns = [np.ascontiguousarray(cum[:, k]) for k in range(n_ph - 1)]
    rng = np.random.default_rng(seed)
    final = np.zeros(n_ph, dtype=np.int64)
    for start in range(0, paths, CHUNK):
        n = min(CHUNK, paths - start)
        phase = np.zeros(n, dtype=np.int8)
        for _ in range(months):
            u = rng.random(n)
            nxt = (u >= columns[0][phase]).view(np.int8)
            for col in columns[1:]:
                nxt = nxt + (u >= col[phase])
            phase = nxt
        final += np.bincount(phase, minlength=n_ph)
    return final


def textbook_markov(model: Model, paths: int, months: int, seed: int) -> np.ndarray:
    """The same step as usually written: gather the cumulative row, compare, sum (for context)."""
    n_ph = len(model.phases)
    cum = cumulative_transitions(model)
    cum[:, -1] = np.inf
    rng = np.random.default_rng(seed)
    final = np.zeros(n_ph, dtype=np.int64)
    for start in range(0, paths, CHUNK):
        n = min(CHUNK, paths - start)
        phase = np.zeros(n, dtype=np.int64)
        for _ in range(months):
            phase = (rng.random(n)[:, None] >= cum[phase]).sum(axis=1)
        final += np.bincount(phase, minlength=n_ph)
    return final


def rate(seconds: float, paths: int, months: int) -> float:
    return paths * months / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--reference-paths", type=int, default=2_000)
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--repeat", type=int, default=5, help="best of N for engine and bare step")
    args = ap.parse_args()
    model = compile_model(load_pack(), args.scenario)
    paths, months = args.paths, args.months
    simulate(model, paths=20_000, months=months, seed=1)  # warm-up
    bare_markov(model, 20_000, months, 1)

    # Engine and bare step alternate, best of `repeat` each, timed in CPU seconds of this process
    # (time.process_time): on a shared machine wall time also counts time other processes hold the
    # cores. Both are single-threaded numpy, so CPU time is the fair basis; wall time is printed too.
    engine_cpu = bare_cpu = engine_wall = bare_wall = math.inf
    for i in range(args.repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        simulate(model, paths=paths, months=months, seed=1 + i)
        engine_cpu = min(engine_cpu, time.process_time() - cpu)
        engine_wall = min(engine_wall, time.perf_counter() - wall)
        cpu, wall = time.process_time(), time.perf_counter()
        bare_markov(model, paths, months, 1 + i)
        bare_cpu = min(bare_cpu, time.process_time() - cpu)
        bare_wall = min(bare_wall, time.perf_counter() - wall)
    engine, bare = rate(engine_cpu, paths, months), rate(bare_cpu, paths, months)
    cpu = time.process_time()
    textbook_markov(model, paths, months, 1)
    textbook = rate(time.process_time() - cpu, paths, months)
    cpu = time.process_time()
    run_reference(model, args.reference_paths, months, 1)
    reference = rate(time.process_time() - cpu, args.reference_paths, months)

    print(f"scenario {args.scenario}, {paths:,} paths x {months} months, best of {args.repeat}")
    print("                    path-months per CPU second   (per wall second)")
    print(
        f"engine              {engine / 1e6:10.2f} M"
        f"   ({rate(engine_wall, paths, months) / 1e6:.2f} M)"
    )
    print(
        f"bare Markov step    {bare / 1e6:10.2f} M   ({rate(bare_wall, paths, months) / 1e6:.2f} M)"
    )
    print(f"per-path reference  {reference / 1e6:10.4f} M")
    print(
        f"(textbook Markov step, row gather + compare + sum: {textbook / 1e6:.2f} M, for context)"
    )
    print(f"engine / bare Markov step  {engine / bare:8.2f}x   (goal >= 0.5x)")
    print(f"engine / reference         {engine / reference:8.0f}x   (goal >= 100x)")

    cpu, wall = time.process_time(), time.perf_counter()
    simulate(model, paths=1_000_000, months=36, seed=2)
    big_cpu, big_wall = time.process_time() - cpu, time.perf_counter() - wall
    tracemalloc.start()
    simulate(model, paths=1_000_000, months=36, seed=2)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"1,000,000 x 36: {big_wall:.2f} s wall ({big_cpu:.2f} s CPU), "
        f"peak traced allocations {traced / 2**20:.0f} MiB, "
        f"process peak RSS {rss:.0f} MiB"
    )

    simulate(model, paths=10_000, months=24, seed=3)
    walls, cpus = [], []
    for i in range(15):
        cpu, wall = time.process_time(), time.perf_counter()
        simulate(model, paths=10_000, months=24, seed=3 + i)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"10,000 x 24 latency: wall best {min(walls) * 1e3:.1f} ms, median "
        f"{np.median(walls) * 1e3:.1f} ms; CPU median {np.median(cpus) * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
