"""`toolkit report` and `toolkit sweep` against the peer chain, on the same notebook, from one run.

    .venv/bin/python benchmarks/bench_report.py [--notebook NB] [--runs 20] [--workers 2] [--repeat 3]

1. One cold report: `toolkit report NB` (a new process) vs `papermill NB out.ipynb` followed by
   `jupyter nbconvert --to html out.ipynb` (two new processes), each `--repeat` times (default 3,
   alternating), medians compared: single runs vary by a quarter on a shared 2-core machine.
   Goal: <= 0.3x.
2. A sweep of N reports: `toolkit sweep --grid seed=1,...,N` vs N sequential `papermill` runs.
   Goal: <= 0.15x.

Everything runs as the command-line tools a user would type, each in a new process, with the chart
library's cache (vl-convert bundle, ~2 s to build) filled beforehand in a temporary directory; the
first-ever report on a machine pays that once more (printed too). All output goes to a temporary
directory. Default notebook: the project's report (`notebooks/report.ipynb`, what `make report`
renders); `--notebook tests/fixtures/charts_report.ipynb` is a small one (two charts and a slider).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_NOTEBOOK = ROOT / "notebooks" / "report.ipynb"


def run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=DEFAULT_NOTEBOOK)
    parser.add_argument("--runs", type=int, default=20, help="reports in the sweep")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--param", default="seed", help="swept parameter (int)")
    parser.add_argument("--skip-sweep", action="store_true", help="only the one-report comparison")
    parser.add_argument(
        "--repeat", type=int, default=3, help="one-report runs on each side (medians compared)"
    )
    args = parser.parse_args()
    nb = args.notebook.resolve()
    values = [str(i) for i in range(1, args.runs + 1)]

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, TOOLKIT_CACHE_DIR=str(tmp / "cache"))
        toolkit = [str(BIN / "toolkit")]
        papermill = [str(BIN / "papermill"), "--cwd", str(nb.parent), "--no-progress-bar"]
        nbconvert = [str(BIN / "jupyter"), "nbconvert", "--to", "html"]

        first = run([*toolkit, "report", str(nb), "--out", str(tmp / "first.html")], env)
        # each side alternately, `--repeat` times: a noisy moment hurts both, and medians are compared
        ours_runs, pm_runs, nbc_runs = [], [], []
        for _ in range(max(1, args.repeat)):
            ours_runs.append(
                run([*toolkit, "report", str(nb), "--out", str(tmp / "ours.html")], env)
            )
            pm_runs.append(run([*papermill, str(nb), str(tmp / "peer.ipynb")], env))
            nbc_runs.append(
                run([*nbconvert, str(tmp / "peer.ipynb"), "--output-dir", str(tmp)], env)
            )
        ours = statistics.median(ours_runs)
        pm, nbc = statistics.median(pm_runs), statistics.median(nbc_runs)
        peer = statistics.median(p + n for p, n in zip(pm_runs, nbc_runs, strict=True))
        size = (tmp / "ours.html").stat().st_size
        peer_size = (tmp / "peer.html").stat().st_size

        grid = f"{args.param}=" + ",".join(values)
        sweeps = {}
        for workers in [] if args.skip_sweep else sorted({1, args.workers}):
            sweeps[workers] = run(
                [*toolkit, "sweep", str(nb), "--grid", grid, "--workers", str(workers),
                 "--out", str(tmp / f"sweep{workers}")],
                env,
            )  # fmt: skip
        loop = 0.0
        for value in [] if args.skip_sweep else values:
            loop += run(
                [*papermill, str(nb), str(tmp / f"pm-{value}.ipynb"), "-p", args.param, value], env
            )

    print(f"notebook: {nb.relative_to(ROOT) if nb.is_relative_to(ROOT) else nb}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print()
    print(f"one report (median of {len(ours_runs)} runs each; all runs in brackets)")
    print(f"  toolkit report (cold process)        {ours:7.2f} s   {_runs(ours_runs)}")
    print(f"  toolkit report (first ever: builds the chart library cache) {first:7.2f} s")
    print(f"  papermill CLI                        {pm:7.2f} s   {_runs(pm_runs)}")
    print(f"  jupyter nbconvert --to html          {nbc:7.2f} s   {_runs(nbc_runs)}")
    print(f"  peer chain                           {peer:7.2f} s")
    print(f"  ratio toolkit / peer                 {ours / peer:7.2f}x   (goal <= 0.30x)")
    print(f"  report size                          {size / 1e6:7.3f} MB (nbconvert lab: "
          f"{peer_size / 1e6:.3f} MB)")  # fmt: skip
    if args.skip_sweep:
        return
    print()
    print(f"sweep of {len(values)} reports ({args.param}=1..{len(values)})")
    print(f"  {len(values)} papermill runs                  {loop:7.2f} s")
    for workers, elapsed in sweeps.items():
        print(
            f"  toolkit sweep --workers {workers}            {elapsed:7.2f} s   "
            f"ratio {elapsed / loop:5.2f}x   (goal <= 0.15x)"
        )


def _runs(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


if __name__ == "__main__":
    main()
