"""Latency of the live explorer: from a slider change to new chart specs, on every slider.

    .venv/bin/python benchmarks/bench_explore.py [--paths N] [--months M] [--repeats R] [--sliders a,b]

Every parameter slider, and the horizon, is moved through a small cycle of values (its preset value and
two values a twentieth of its range away) by `ExplorerState.set` in two explorers in the same process:
the explorer as it is (charts built once per structure, then only their data swapped:
`toolkit.explore.specs`) and the baseline, the old path that rebuilds every changed chart with Altair
(`ChartSpecs(fast=False)`). The two are timed alternately (which goes first alternates), wall time
around `set`: simulate with the slider's override, the readout in words, the four charts' specs. A
warm-up cycle per slider builds the templates first (a preset's first run, or a horizon's first
visit, builds its charts with Altair; that cost is printed separately). Per slider: median, p95 and
min–max of both, their ratio (medians) and the engine's median share. Goal (issue 16): median <= 25 ms,
p95 <= 40 ms at the explorer's default paths and horizon. Not a timed test: numbers vary with the
machine and its load (the load average is printed; on a loaded machine compare the ratios).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.engine.defaults import DEFAULT_EXPLORER_PATHS, DEFAULT_MONTHS  # noqa: E402
from toolkit.explore.knobs import Knob  # noqa: E402
from toolkit.explore.specs import ChartSpecs  # noqa: E402
from toolkit.explore.state import MONTH_RANGE, PATH_CHOICES, ExplorerState  # noqa: E402
from toolkit.pack.load import load_pack  # noqa: E402

GOAL_MEDIAN_MS = 25.0
GOAL_P95_MS = 40.0


def cycle(knob: Knob, value: float) -> tuple[float, ...]:
    """The values a slider is moved through: two a twentieth of its range apart, then back."""
    d = max(knob.step, round((knob.maximum - knob.minimum) / 20 / knob.step) * knob.step)
    sign = 1 if value + 2 * d <= knob.maximum else -1
    return tuple(knob.clean(value + sign * k * d) for k in (1, 2, 0))


def months_cycle(months: int) -> tuple[int, ...]:
    lo, hi = MONTH_RANGE
    return tuple(m for m in (months - 6, months - 12, months) if lo <= m <= hi)


def stats(seconds: list[float]) -> tuple[float, float, float, float]:
    """median, p95, min, max in ms."""
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return statistics.median(ms), p95, ms[0], ms[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=DEFAULT_EXPLORER_PATHS, choices=PATH_CHOICES)
    parser.add_argument("--months", type=int, default=DEFAULT_MONTHS)
    parser.add_argument("--repeats", type=int, default=3, help="timed cycles per slider")
    parser.add_argument("--sliders", default="", help="comma-separated slider ids (default: all)")
    args = parser.parse_args()

    pack = load_pack()
    started = time.perf_counter()
    fast = ExplorerState(pack, paths=args.paths, months=args.months)
    first = time.perf_counter() - started
    base = ExplorerState(pack, paths=args.paths, months=args.months)
    base.charts = ChartSpecs(pack, fast=False)
    base.update()
    moves: dict[str, tuple[float, ...]] = {
        pid: cycle(knob, fast.values[pid]) for pid, knob in fast.knobs.items()
    }
    moves["months"] = months_cycle(args.months)
    if args.sliders:
        moves = {k: moves[k] for k in args.sliders.split(",")}
    print(
        f"explorer: {args.paths:,} paths x {args.months} months, seed {fast.seed}, preset "
        f"{fast.preset}; {args.repeats} timed cycles per slider; first build (compile, first charts) "
        f"{first * 1000:.0f} ms"
    )
    print(f"load average (1, 5, 15 min) on {os.cpu_count()} cores: {os.getloadavg()}")
    print(
        f"goal: median <= {GOAL_MEDIAN_MS:.0f} ms, p95 <= {GOAL_P95_MS:.0f} ms from a slider change "
        "to new chart specs; baseline: the full Altair rebuild of every changed chart"
    )

    timed: dict[str, dict[str, list[float]]] = {}
    engine: dict[str, list[float]] = {}
    warm: list[float] = []
    for n, (name, values) in enumerate(moves.items()):
        for state in (fast, base):
            state.reset()
            if name == "months":
                state.set("months", args.months)
        for value in values:  # warm-up: templates for a new structure (a horizon's first visit)
            t0 = time.perf_counter()
            ok = fast.set(name, value)
            warm.append(time.perf_counter() - t0)
            assert ok, fast.message
            assert base.set(name, value), base.message
        runs = timed.setdefault(name, {"fast": [], "base": []})
        for r in range(args.repeats):
            for i, value in enumerate(values):
                order = ((fast, "fast"), (base, "base"))
                for state, which in order if (n + r + i) % 2 == 0 else order[::-1]:
                    t0 = time.perf_counter()
                    ok = state.set(name, value)
                    runs[which].append(time.perf_counter() - t0)
                    assert ok, state.message
                engine.setdefault(name, []).append(fast.timings["simulate"])
        for state in (fast, base):
            state.set(name, values[-1])
    assert fast.specs == base.specs  # the same charts either way (tests check every chart)

    header = (
        f"{'slider':30} {'median':>7} {'p95':>6} {'min–max':>12}  {'baseline':>8} {'p95':>6} "
        f"{'min–max':>12} {'ratio':>6} {'engine':>6}  goal"
    )
    print(header)
    print("-" * len(header))
    every: dict[str, list[float]] = {"fast": [], "base": []}
    met = 0
    for name, runs in timed.items():
        f, b = stats(runs["fast"]), stats(runs["base"])
        every["fast"] += runs["fast"]
        every["base"] += runs["base"]
        ok = f[0] <= GOAL_MEDIAN_MS and f[1] <= GOAL_P95_MS
        met += ok
        eng = statistics.median(engine[name]) * 1000
        print(
            f"{name[:30]:30} {f[0]:7.1f} {f[1]:6.1f} {f[2]:5.1f}–{f[3]:6.1f}  {b[0]:8.1f} {b[1]:6.1f} "
            f"{b[2]:5.1f}–{b[3]:6.1f} {f[0] / b[0]:6.2f} {eng:6.1f}  {'met' if ok else 'NOT met'}"
        )
    f, b = stats(every["fast"]), stats(every["base"])
    print("-" * len(header))
    print(
        f"{'all sliders':30} {f[0]:7.1f} {f[1]:6.1f} {f[2]:5.1f}–{f[3]:6.1f}  {b[0]:8.1f} {b[1]:6.1f} "
        f"{b[2]:5.1f}–{b[3]:6.1f} {f[0] / b[0]:6.2f}"
    )
    w = stats(warm)
    print(
        f"warm-up moves (a new structure builds its charts once): median {w[0]:.1f} ms, max {w[3]:.1f}"
    )
    print(f"load average now: {os.getloadavg()}")
    verdict = "met" if f[0] <= GOAL_MEDIAN_MS and f[1] <= GOAL_P95_MS else "NOT met"
    print(
        f"median callback {f[0]:.1f} ms, p95 {f[1]:.1f} ms = {f[0] / b[0]:.2f} x the full rebuild "
        f"({b[0]:.1f} ms, same process, alternating); goal {verdict} overall, on {met} of "
        f"{len(timed)} sliders"
    )


if __name__ == "__main__":
    main()
