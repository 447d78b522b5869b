"""`toolkit report` and `toolkit sweep` against the peer chain, on the same notebooks, from one run.

    .venv/bin/python benchmarks/bench_report.py [--notebook NB ...] [--repeat 3]
        [--runs 20] [--workers N] [--sweep-repeat 3] [--skip-sweep]

1. One cold report, for each notebook (default: the project's report, `notebooks/report.ipynb`, and
   a trivial one written on the fly: a parameters cell and one line): `toolkit report NB` (a new
   process) against the peer chain `papermill --no-request-save-on-cell-execute NB out.ipynb` (the
   output written once, at the end) then `jupyter nbconvert --to html out.ipynb` (two new
   processes), and against the same peer chain given the import block the toolkit uses
   (`toolkit.fastimport`: jsonschema's slow optional format checkers and Altair's optional anywidget
   marked absent; and the report kernel's `ABSENT_MODULES`, debugpy; via a `sitecustomize` on
   PYTHONPATH, so in papermill, its kernel and nbconvert alike). That second ratio says what the
   toolkit's own pipeline gains, the first what a user sees.
   Goals: report floor (trivial notebook) <= 0.15x the peer; full report <= 0.15x the peer and
   <= 0.25x the peer given the same import block.
2. A sweep of N reports of the project's report (`toolkit sweep --grid seed=1,...,N`, with 1 and
   with --workers workers) against N `papermill` runs followed by one `jupyter nbconvert --to html`
   over the N notebooks (the peer's fastest way to N HTML files). Goal: <= 0.15x.

Sides alternate: in each of `--repeat` (`--sweep-repeat`) rounds every side runs once, and the order
rotates from round to round, so a noisy moment does not land on one side. Each side is quoted as the
median with min–max of its rounds (wall-clock seconds: what a user waits), ratios from the medians
with the min–max of the rounds' own ratios. The load average is printed before and after: on a
loaded machine all figures are slower and the ratios noisier.

Everything runs as the command-line tools a user would type, each in a new process, with the chart
library's cache (vl-convert bundle, ~2 s to build) filled beforehand in a temporary directory; the
first-ever report on a machine pays that once more (printed too). All output goes to a temporary
directory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_NOTEBOOK = ROOT / "notebooks" / "report.ipynb"
TRIVIAL = "trivial"
# The peer's papermill as fast as its options make it: no progress bar, and the output notebook written
# once at the end (its default rewrites it at the start and end of every cell, ~47 writes of a growing
# notebook for the project's report; the toolkit writes none).
PAPERMILL = [str(BIN / "papermill"), "--no-progress-bar", "--no-request-save-on-cell-execute"]
SITECUSTOMIZE = '''"""The toolkit's import block (toolkit/fastimport.py), given to the peer chain."""
import sys

if "jsonschema" not in sys.modules:
    for name in {modules!r}:
        sys.modules.setdefault(name, None)
if "altair" not in sys.modules:
    for name in {widget_modules!r}:
        sys.modules.setdefault(name, None)
for name in {kernel_absent!r}:  # a report kernel's: no debugger support (ipykernel copes)
    sys.modules.setdefault(name, None)
'''
GOALS = {
    # notebook kind: (goal vs the peer, goal vs the peer given the import block)
    "report": (0.15, 0.25),
    TRIVIAL: (0.15, None),
}
SWEEP_GOAL = 0.15


def run(cmd: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(list(cmd), env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return elapsed


def write_trivial(folder: Path) -> Path:
    """A notebook with a parameters cell and one line."""
    cells = [
        {
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]},
            "source": "x = 1",
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "metadata": {},
            "source": "print(x + 1)",
            "outputs": [],
            "execution_count": None,
        },
    ]
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    path = folder / "trivial.ipynb"
    if path.exists():
        return path
    path.write_text(json.dumps(nb, indent=1))
    return path


def block_env(env: dict[str, str], folder: Path) -> dict[str, str]:
    """`env` with a sitecustomize that applies the toolkit's import block in every process."""
    sys.path.insert(0, str(ROOT))
    from toolkit.fastimport import ALTAIR_WIDGET_MODULES, SLOW_OPTIONAL_MODULES
    from toolkit.jupyter.kernel_zygote import ABSENT_MODULES

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        SITECUSTOMIZE.format(
            modules=tuple(SLOW_OPTIONAL_MODULES),
            widget_modules=tuple(ALTAIR_WIDGET_MODULES),
            kernel_absent=tuple(ABSENT_MODULES),
        )
    )
    path = os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH", "")) if p)
    return dict(env, PYTHONPATH=path)


def rounds(sides: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    """Every side once per round, the order rotated by one each round."""
    names = list(sides)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(max(1, repeat)):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(sides[name]())
    return times


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} s ({min(values):.2f}–{max(values):.2f})"


def row(label: str, values: list[float]) -> str:
    return f"  {label:<46}{spread(values)}"


def ratio_line(label: str, ours: list[float], peer: list[float], goal: float | None) -> str:
    ratio = statistics.median(ours) / statistics.median(peer)
    each = [a / b for a, b in zip(ours, peer, strict=True)]
    line = f"  {label:<46}{ratio:7.2f}x (rounds {min(each):.2f}–{max(each):.2f})"
    if goal is not None:
        line += f"   goal <= {goal:.2f}x: {'met' if ratio <= goal else 'NOT met'}"
    return line


def one_report(
    nb: Path, kind: str, tmp: Path, env: dict[str, str], blocked: dict[str, str], repeat: int
) -> None:
    toolkit = [str(BIN / "toolkit"), "report", str(nb)]
    papermill = [*PAPERMILL, "--cwd", str(nb.parent)]
    nbconvert = [str(BIN / "jupyter"), "nbconvert", "--to", "html"]
    pm_times: dict[str, list[float]] = {"peer": [], "blocked": []}
    nbc_times: dict[str, list[float]] = {"peer": [], "blocked": []}

    def peer(which: str, peer_env: dict[str, str]) -> Callable[[], float]:
        def go() -> float:
            out = tmp / f"{kind}-{which}.ipynb"
            pm = run([*papermill, str(nb), str(out)], peer_env)
            nbc = run([*nbconvert, str(out), "--output-dir", str(tmp)], peer_env)
            pm_times[which].append(pm)
            nbc_times[which].append(nbc)
            return pm + nbc

        return go

    ours_out = tmp / f"{kind}-toolkit.html"
    first = run([*toolkit, "--out", str(ours_out)], env)
    times = rounds(
        {
            "toolkit": lambda: run([*toolkit, "--out", str(ours_out)], env),
            "peer": peer("peer", env),
            "blocked": peer("blocked", blocked),
        },
        repeat,
    )
    size = ours_out.stat().st_size
    peer_size = (tmp / f"{kind}-peer.html").stat().st_size
    goal, blocked_goal = GOALS.get(kind, (None, None))
    name = nb.relative_to(ROOT) if nb.is_relative_to(ROOT) else nb.name
    print(f"one report: {name} (median (min–max) of {len(times['toolkit'])} rounds)")
    print(row("toolkit report (cold process)", times["toolkit"]))
    print(f"  {'toolkit report (first run: fills caches)':<46}{first:7.2f} s")
    print(row("papermill CLI", pm_times["peer"]))
    print(row("jupyter nbconvert --to html", nbc_times["peer"]))
    print(row("peer chain", times["peer"]))
    print(row("peer chain given the toolkit's import block", times["blocked"]))
    print(ratio_line("ratio toolkit / peer", times["toolkit"], times["peer"], goal))
    print(
        ratio_line(
            "ratio toolkit / peer with the import block",
            times["toolkit"],
            times["blocked"],
            blocked_goal,
        )
    )
    print(f"  report size {size / 1e6:.3f} MB (nbconvert lab: {peer_size / 1e6:.3f} MB)")


def sweep(
    nb: Path, tmp: Path, env: dict[str, str], runs: int, workers: int, repeat: int, param: str
) -> None:
    values = [str(i) for i in range(1, runs + 1)]
    grid = f"{param}=" + ",".join(values)
    papermill = [*PAPERMILL, "--cwd", str(nb.parent)]
    nbconvert = [str(BIN / "jupyter"), "nbconvert", "--to", "html"]

    def ours(w: int) -> Callable[[], float]:
        cmd = [str(BIN / "toolkit"), "sweep", str(nb), "--grid", grid, "--workers", str(w)]
        return lambda: run([*cmd, "--out", str(tmp / f"sweep{w}")], env)

    def loop() -> float:
        folder = tmp / "loop"
        folder.mkdir(exist_ok=True)
        total = 0.0
        outs = []
        for value in values:
            out = folder / f"pm-{value}.ipynb"
            total += run([*papermill, str(nb), str(out), "-p", param, value], env)
            outs.append(str(out))
        return total + run([*nbconvert, *outs, "--output-dir", str(folder)], env)

    counts = sorted({1, workers})
    sides: dict[str, Callable[[], float]] = {f"sweep{w}": ours(w) for w in counts}
    sides["loop"] = loop
    times = rounds(sides, repeat)
    print(
        f"sweep of {runs} reports ({param}=1..{runs}; median (min–max) of "
        f"{len(times['loop'])} rounds)"
    )
    print(row(f"{runs} papermill runs + one nbconvert", times["loop"]))
    for w in counts:
        print(row(f"toolkit sweep --workers {w}", times[f"sweep{w}"]))
        print(ratio_line(f"ratio sweep --workers {w} / peer", times[f"sweep{w}"], times["loop"],
                         SWEEP_GOAL))  # fmt: skip


def notebook(given: str, tmp: Path) -> tuple[Path, str]:
    """The notebook a --notebook value names, and its kind (for the goals)."""
    if given == TRIVIAL:
        return write_trivial(tmp), TRIVIAL
    nb = DEFAULT_NOTEBOOK if given == "report" else Path(given).resolve()
    return nb, "report" if nb == DEFAULT_NOTEBOOK else nb.stem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebook",
        action="append",
        help=f"notebook to report on (repeatable; '{TRIVIAL}' for the trivial one); "
        "default: the project's report and the trivial one",
    )
    parser.add_argument("--repeat", type=int, default=3, help="one-report rounds")
    parser.add_argument("--runs", type=int, default=20, help="reports in the sweep")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--sweep-notebook", default="report", help=f"notebook of the sweep ('{TRIVIAL}' too)"
    )
    parser.add_argument("--param", default="seed", help="swept parameter (int)")
    parser.add_argument("--sweep-repeat", type=int, default=3, help="sweep rounds")
    parser.add_argument("--skip-sweep", action="store_true", help="only the one-report comparisons")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, TOOLKIT_CACHE_DIR=str(tmp / "cache"))
        blocked = block_env(env, tmp / "block")
        for given in args.notebook or ["report", TRIVIAL]:
            nb, kind = notebook(given, tmp)
            print()
            one_report(nb, kind, tmp, env, blocked, args.repeat)
        if not args.skip_sweep:
            print()
            nb, _ = notebook(args.sweep_notebook, tmp)
            sweep(nb, tmp, env, args.runs, args.workers, args.sweep_repeat, args.param)
    print()
    print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
