"""Benchmark the scenario engine against a fair bare Markov chain and the per-path reference.

    .venv/bin/python benchmarks/bench_engine.py [--paths N] [--horizons 12,36,120] [--step S]
        [--repeat R] [--scenario NAME] [--reference-paths N] [--big-paths N]

Prints, for each horizon (months), path-periods per second of

- the engine: `simulate` on the default pack (start state, continuous-time phase walk, transfers,
  triggers, decisions, histograms), reporting every `step` months;
- a fair bare chain over the same phases, the same paths and the same periods: the transition matrix
  of one period, expm(Q·step) at the parameters' point rates, as float32 cumulative rows; per path
  and period one float32 uniform (numpy's, drawn by the engine's faster `fill_uniforms`) and the
  inverse CDF of the current phase's row (a per-column `take` and compare, the fastest of the simple
  numpy formulations measured), in chunks of 65,536 paths; a path in a phase with no exit stops
  stepping, as in the engine (dropped every 4 periods). It only moves phases and computes nothing
  else: the practical limit of a period-stepped chain.

Engine and bare chain alternate (which one runs first swaps every round), `--repeat` rounds each;
each side is quoted as the median with min–max of its runs, and the ratio is engine rate / bare
rate from the medians, with the min–max of the rounds' own ratios. Times are CPU seconds of this
process (time.process_time; both sides are single-threaded numpy, and on a shared machine wall time
also counts other processes); wall-clock medians are printed too. BLAS runs single-threaded here
(OPENBLAS_NUM_THREADS=1 unless set): the bare chain's set-up calls scipy's expm, after which
OpenBLAS's idle threads spin for a while and billed their CPU to whichever side ran next (measured:
the bare chain's CPU rate at 12 months was 41.6 M against 65.9 M by the wall clock, which made the
engine look 1.6 times better than it is).

Then: the per-path pure-Python reference (tests/reference_engine.py) on fewer paths; how many
path-level random numbers the engine draws (uniforms for banded parameters only); the time and peak
memory of --big-paths (default 1,000,000) paths x 36 months (peak traced numpy/Python allocations
via tracemalloc, in a separate run, and the process's peak RSS); and the single-call latency of
10,000 paths x 24 months (the live explorer's slider callback). Each goal is printed with the measured
ratio. Not a timed test: numbers vary with the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

# Before numpy loads: single-threaded BLAS (see the module docstring).
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reference_engine import run_reference  # noqa: E402
from toolkit.engine.chunk import PRE_DRAWN_VISITS, exponential_items, uniform_items  # noqa: E402
from toolkit.engine.compile import compile_model  # noqa: E402
from toolkit.engine.draws import Draws, fill_uniforms  # noqa: E402
from toolkit.engine.model import Model  # noqa: E402
from toolkit.engine.simulation import simulate  # noqa: E402
from toolkit.pack.load import load_pack  # noqa: E402

CHUNK = 65_536
DROP_EVERY = 4  # periods between drops of the paths that can no longer move (bare chain)
ENGINE_GOAL = 0.5
REFERENCE_GOAL = 100.0


def cumulative_transitions(model: Model, step: float) -> np.ndarray:
    """Row-cumulative transition matrix expm(Q·step) of the continuous-time chain over one
    reporting period, at the parameters' point rates."""
    from scipy.linalg import expm

    n_ph = len(model.phases)
    q = np.zeros((n_ph, n_ph))
    for f, t, p in zip(model.trans_from, model.trans_to, model.trans_param, strict=True):
        q[f, t] += model.parameters.value[p]
        q[f, f] -= model.parameters.value[p]
    return np.cumsum(expm(q * step), axis=1)


def bare_chain(model: Model, paths: int, periods: int, step: float, seed: int) -> np.ndarray:
    """Move `paths` paths through the phases period by period (one float32 uniform each, inverse
    CDF on the period's cumulative row); return the phase distribution at the horizon. Paths in a
    phase with no exit stop stepping: every DROP_EVERY periods, once they are over 1/8 of the paths
    still stepping, they are counted and dropped (as the engine stops a path that cannot move)."""
    n_ph = len(model.phases)
    cum = cumulative_transitions(model, step)
    columns = [np.ascontiguousarray(cum[:, k], dtype=np.float32) for k in range(n_ph - 1)]
    absorbing = np.array([k not in set(model.trans_from) for k in range(n_ph)])
    start = np.cumsum(model.start)
    rng = np.random.default_rng(seed)
    final = np.zeros(n_ph, dtype=np.int64)
    u = np.empty(CHUNK, dtype=np.float32)
    for first in range(0, paths, CHUNK):
        n = min(CHUNK, paths - first)
        if np.count_nonzero(model.start) == 1:
            phase = np.full(n, int(np.argmax(model.start)), dtype=np.intp)
        else:
            phase = np.minimum(np.searchsorted(start, rng.random(n), side="right"), n_ph - 1)
        for k in range(periods):
            draw = u[: phase.size]
            fill_uniforms(rng, draw)  # numpy's float32 uniforms, bit for bit, drawn faster
            nxt = (draw >= columns[0].take(phase)).astype(np.intp)
            for col in columns[1:]:
                nxt += draw >= col.take(phase)
            phase = nxt
            if k % DROP_EVERY == DROP_EVERY - 1 and absorbing.any():
                stopped = absorbing.take(phase)
                if np.count_nonzero(stopped) * 8 > phase.size:
                    final += np.bincount(phase[stopped], minlength=n_ph)
                    phase = phase[~stopped]
        final += np.bincount(phase, minlength=n_ph)
    return final / paths


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def spread(rates: list[float]) -> str:
    """Median with min–max, in millions."""
    return (
        f"{statistics.median(rates) / 1e6:7.1f} M ({min(rates) / 1e6:.1f}–{max(rates) / 1e6:.1f})"
    )


def verdict(ratio: float, goal: float) -> str:
    return f"goal >= {goal:g}x: {'met' if ratio >= goal else 'NOT met'}"


def compare(model: Model, paths: int, months: int, step: float, repeat: int) -> float:
    """Alternating rounds of engine and bare chain at one horizon; prints a line, returns the ratio."""
    periods = round(months / step)
    work = paths * periods

    def engine(seed: int) -> Callable[[], object]:
        return lambda: simulate(model, paths=paths, months=months, seed=seed, step=step)

    def bare(seed: int) -> Callable[[], object]:
        return lambda: bare_chain(model, paths, periods, step, seed)

    simulate(model, paths=min(paths, 20_000), months=months, seed=0, step=step)  # warm-up
    bare_chain(model, min(paths, 20_000), periods, step, 0)
    eng: list[tuple[float, float]] = []
    ref: list[tuple[float, float]] = []
    for i in range(repeat):
        if i % 2 == 0:
            eng.append(timed(engine(1 + i)))
            ref.append(timed(bare(1 + i)))
        else:
            ref.append(timed(bare(1 + i)))
            eng.append(timed(engine(1 + i)))
    e_cpu = [work / c for c, _ in eng]
    b_cpu = [work / c for c, _ in ref]
    ratio = statistics.median(e_cpu) / statistics.median(b_cpu)
    rounds = [e / b for e, b in zip(e_cpu, b_cpu, strict=True)]
    e_wall = statistics.median(work / w for _, w in eng)
    b_wall = statistics.median(work / w for _, w in ref)
    print(
        f"{months:4d} months  engine {spread(e_cpu)}  bare {spread(b_cpu)}"
        f"  (wall medians {e_wall / 1e6:.1f} M / {b_wall / 1e6:.1f} M)"
    )
    print(
        f"     engine / fair bare chain at {months} months: {ratio:.2f}x "
        f"(rounds {min(rounds):.2f}–{max(rounds):.2f})   {verdict(ratio, ENGINE_GOAL)}"
        f"   [{load()}]"
    )
    return ratio


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes): on a shared machine, the context of a ratio."""
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def agreement(model: Model, months: int, step: float) -> float:
    """Largest difference between the engine's and the bare chain's phase distribution at the
    horizon (both estimate pi0 expm(Q months) at point rates, so a model with bands differs)."""
    point = model.with_overrides(
        {pid: float(model.parameters.value[i]) for i, pid in enumerate(model.parameters.ids)}
    )
    paths = 200_000
    res = simulate(point, paths=paths, months=months, seed=11, step=step)
    engine = res.counts.occupancy[-1] / paths
    bare = bare_chain(point, paths, round(months / step), step, 11)
    return float(np.abs(engine - bare).max())


def random_numbers(model: Model) -> str:
    """How many path-level random numbers the engine draws per path, against what the pack bands."""
    items = uniform_items([model])
    exps = exponential_items([model])
    draws = Draws([np.random.default_rng(0)], [16])
    draws.initial(items, exps)
    n_par = len(model.parameters.ids)
    banded = int(model.parameters.sampled().sum())
    drawn_params = int(items[:n_par].sum())
    ok = drawn_params == banded
    return (
        f"path-level uniforms drawn per path: {draws.drawn} of {items.size} items "
        f"({drawn_params} for parameters: {banded} of {n_par} are banded), "
        f"Exp(1) items {int(exps.sum())} of {exps.size}, plus {PRE_DRAWN_VISITS} pre-drawn visits "
        f"(a uniform and an Exp(1) each)   "
        f"goal: uniforms for banded parameters only: {'met' if ok else 'NOT met'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--horizons", default="12,36,120", help="months, comma-separated")
    ap.add_argument("--step", type=float, default=1.0, help="reporting period in months")
    ap.add_argument("--repeat", type=int, default=5, help="alternating rounds per horizon")
    ap.add_argument("--reference-paths", type=int, default=2_000)
    ap.add_argument("--big-paths", type=int, default=1_000_000)
    ap.add_argument("--scenario", default="baseline")
    args = ap.parse_args()
    model = compile_model(load_pack(), args.scenario)
    horizons = [int(h) for h in args.horizons.split(",")]

    print(
        f"scenario {args.scenario}, {args.paths:,} paths, step {args.step:g} month(s), "
        f"{args.repeat} alternating rounds; path-periods per CPU second, median (min–max); "
        f"{load()}"
    )
    ratios = {h: compare(model, args.paths, h, args.step, args.repeat) for h in horizons}
    print(
        f"(bare chain vs engine at point rates, phase distribution at {horizons[-1]} months: "
        f"max |difference| {agreement(model, horizons[-1], args.step):.4f})"
    )

    months = 36
    engine_cpu, _ = timed(lambda: simulate(model, paths=args.paths, months=months, seed=1))
    reference_cpu, _ = timed(lambda: run_reference(model, args.reference_paths, months, 1))
    ratio = (args.paths / engine_cpu) / (args.reference_paths / reference_cpu)
    print(
        f"engine / per-path reference at {months} months: {ratio:.0f}x   "
        f"{verdict(ratio, REFERENCE_GOAL)}"
    )
    print(random_numbers(model))

    big = args.big_paths
    big_cpu, big_wall = timed(lambda: simulate(model, paths=big, months=36, seed=2))
    tracemalloc.start()
    simulate(model, paths=big, months=36, seed=2)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{big:,} x 36: {big_wall:.2f} s wall ({big_cpu:.2f} s CPU), "
        f"peak traced allocations {traced / 2**20:.0f} MiB, process peak RSS {rss:.0f} MiB"
    )

    simulate(model, paths=10_000, months=24, seed=3)
    walls, cpus = [], []
    for i in range(15):
        cpu, wall = timed(lambda i=i: simulate(model, paths=10_000, months=24, seed=3 + i))
        walls.append(wall)
        cpus.append(cpu)
    print(
        f"10,000 x 24 latency: wall median {np.median(walls) * 1e3:.1f} ms "
        f"({min(walls) * 1e3:.1f}–{max(walls) * 1e3:.1f}); CPU median {np.median(cpus) * 1e3:.1f} ms"
    )
    print("goals: " + ", ".join(f"{h} months {r:.2f}x" for h, r in ratios.items()) + " (>= 0.5x)")


if __name__ == "__main__":
    main()
