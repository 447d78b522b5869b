"""Latency of the live explorer's slider callback: from a slider change to new chart specs.

    .venv/bin/python benchmarks/bench_explore.py [--paths N] [--months M] [--repeats R]

For one slider of each group (deployment, compensation, responses) the script moves the slider back and
forth through `Explorer.set` (debounce off) and records `Explorer.latency`: simulate with the slider's
override, the readout in words, and the Vega-Lite specs of the four charts (a chart whose input frames
did not change keeps its spec: with a fixed seed a response slider does not change the phase chart).
In the same process it times the baseline, bare `simulate` of the compiled model with the same override,
and prints both medians and their ratio. Budget (issue 5): median <= 50 ms at 10,000 paths x 24 months.
Not a timed test: numbers vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.engine.simulation import simulate  # noqa: E402
from toolkit.explore.view import Explorer  # noqa: E402
from toolkit.pack.load import load_pack  # noqa: E402

BUDGET_MS = 50.0
# one slider per group, and the values it is moved between (all valid with the baseline's bands)
MOVES: dict[str, tuple[float, ...]] = {
    "rate_westward_to_frontline": (0.25, 0.30, 0.35, 0.40),  # deployment: every chart changes
    "transfer_strategic": (0.45, 0.50, 0.55, 0.60),  # compensation: transfers and responses
    "troops": (12_000, 14_000, 16_000, 18_000),
    "lethal_will": (0.15, 0.20, 0.25, 0.30),  # responses: the response chart only
}


def ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5, help="passes over each slider's values")
    args = parser.parse_args()

    pack = load_pack()
    started = time.perf_counter()
    ex = Explorer(pack, paths=args.paths, months=args.months, debounce=0)
    first = time.perf_counter() - started
    model = ex.state.model()
    print(
        f"explorer: {args.paths:,} paths x {args.months} months, seed {ex.seed}; "
        f"first build (imports, compile, first charts) {first * 1000:.0f} ms"
    )

    callback: dict[str, list[float]] = {}
    bare: dict[str, list[float]] = {}
    for name, values in MOVES.items():
        ex.reset()
        ex.set(name, values[0])  # warm the chart cache for this slider
        for _ in range(args.repeats):
            for value in (*values[1:], values[0]):
                assert ex.set(name, value), ex.message
                assert ex.latency is not None
                callback.setdefault(name, []).append(ex.latency)
                override: dict[str, Any] = {name: value}
                t0 = time.perf_counter()
                simulate(model, paths=args.paths, months=args.months, seed=ex.seed, **override)
                bare.setdefault(name, []).append(time.perf_counter() - t0)

    print(f"{'slider':26} {'callback ms':>12} {'simulate ms':>12} {'ratio':>6}")
    for name in MOVES:
        c, b = ms(callback[name]), ms(bare[name])
        print(f"{name:26} {c:12.1f} {b:12.1f} {c / b:6.2f}")
    every_c = [t for ts in callback.values() for t in ts]
    every_b = [t for ts in bare.values() for t in ts]
    c, b = ms(every_c), ms(every_b)
    verdict = "within" if c <= BUDGET_MS else "OVER"
    print(f"{'all sliders':26} {c:12.1f} {b:12.1f} {c / b:6.2f}")
    print(
        f"median callback {c:.1f} ms = {c / b:.2f} x bare simulate ({b:.1f} ms); "
        f"{verdict} the {BUDGET_MS:.0f} ms budget"
    )


if __name__ == "__main__":
    main()
