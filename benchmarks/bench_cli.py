"""Start-up time of the `toolkit` command against bare Python, from one run.

    .venv/bin/python benchmarks/bench_cli.py [--rounds 15]

Times, as new processes, `python -c pass` (the baseline: the interpreter alone), `toolkit --help`
twice (as it is typed again: printed from the cache typer's first rendering filled,
`toolkit.cli.helpcache`; and `--help, empty cache`, the first time, with typer), `toolkit --version` and `toolkit validate` (the default pack) twice: `toolkit validate` as an
analyst repeats it on a pack this toolkit code has already found valid and nothing in it has changed
(the verdict remembered in the cache, `toolkit.cli.validated`: printed without typer or any check),
and `validate, first time` with an empty cache each run, so every check runs and the engine
compiles every scenario (the first validation after an edit). Both caches are temporary directories, never the user's. In each round every command runs
once and the order rotates from round to round, so a noisy moment does not land on one command.
Each command is quoted as the median with min–max of its rounds (wall-clock seconds: what a user
waits), and as its time over bare Python: the median of the rounds' own differences (min–max) and
the ratio of the medians. The load average is printed before and after: on a loaded machine every
figure is slower and noisier.

Goals: `toolkit --help` <= +0.15 s over bare Python, from the cache and the first time (typer); `toolkit validate` <= +0.5 s (judged on both
clocks: on a quiet machine a start-up is CPU-bound and the two agree; on a loaded one wall time
also counts the other processes, and the CPU figure is the better estimate).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GOALS = {"toolkit --help": 0.15, "--help, empty cache": 0.15, "toolkit validate": 0.5}


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


FRESH_CACHE = "fresh"  # a command's cache: a new empty directory for each run


def run(cmd: list[str], cache: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run, with $TOOLKIT_CACHE_DIR = `cache`."""
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as fresh:
        env = dict(os.environ, TOOLKIT_CACHE_DIR=fresh if cache == FRESH_CACHE else cache)
        cpu, start = cpu_children(), time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
        elapsed, used = time.perf_counter() - start, cpu_children() - cpu
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return elapsed, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    toolkit = str(BIN / "toolkit")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "toolkit --help": [toolkit, "--help"],
        "--help, empty cache": [toolkit, "--help"],
        "toolkit --version": [toolkit, "--version"],
        "toolkit validate": [toolkit, "validate"],
        "validate, first time": [toolkit, "validate"],
    }
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    kept = tempfile.TemporaryDirectory(prefix="bench-cli-cache-")
    caches = dict.fromkeys(commands, kept.name)
    caches["validate, first time"] = FRESH_CACHE
    caches["--help, empty cache"] = FRESH_CACHE
    for name, cmd in commands.items():  # warm the file cache (bytecode, the pack) and `kept`
        run(cmd, caches[name])
    names = list(commands)
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for i in range(max(1, args.rounds)):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            wall, cpu = run(commands[name], caches[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    for label, times in (("wall-clock", walls), ("CPU (user + system)", cpus)):
        base = times["python -c pass"]
        print(f"{label} seconds, median (min–max) of {len(base)} rounds")
        for name in names:
            print(row(name, times[name], base, GOALS.get(name)))
    print(f"load average now {os.getloadavg()[0]:.1f}")
    kept.cleanup()


def row(name: str, t: list[float], base: list[float], goal: float | None) -> str:
    line = f"  {name:<24}{statistics.median(t):6.3f} s ({min(t):.3f}–{max(t):.3f})"
    if t is base:
        return line
    extra = [a - b for a, b in zip(t, base, strict=True)]
    over = statistics.median(extra)
    line += (
        f"   {over:+.3f} s over bare python ({min(extra):+.3f}–{max(extra):+.3f}),"
        f" {statistics.median(t) / statistics.median(base):.1f}x"
    )
    if goal is not None:
        line += f"   goal <= +{goal:.2f} s: {'met' if over <= goal else 'NOT met'}"
    return line


if __name__ == "__main__":
    main()
