"""The benchmark scripts run (tiny sizes, no timing asserted): they cannot rot unnoticed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def run_script(script: str, args: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        (
            "bench_engine.py",
            [
                "--paths",
                "20000",
                "--horizons",
                "3,6",
                "--reference-paths",
                "100",
                "--repeat",
                "2",
                "--big-paths",
                "20000",
            ],
            [
                "engine / fair bare chain at 3 months",
                "engine / fair bare chain at 6 months",
                "uniforms for banded parameters only: met",
                "20,000 x 36",
            ],
        ),
        (
            "bench_cli.py",
            ["--rounds", "1"],
            ["toolkit --help", "toolkit validate", "goal <= +0.15 s", "goal <= +0.50 s"],
        ),
        (
            "bench_explore.py",
            [
                "--paths",
                "1000",
                "--months",
                "12",
                "--repeats",
                "1",
                "--sliders",
                "rate_westward_to_frontline,lethal_will,months",
            ],
            ["1,000 paths x 12 months", "median callback", "x the full rebuild", "goal"],
        ),
        pytest.param(
            "bench_distributed.py",
            [
                "--reports",
                "1",
                "--paths",
                "20000",
                "--workers",
                "1",
                "--repeat",
                "1",
                "--notebook",
                str(ROOT / "tests" / "fixtures" / "charts_report.ipynb"),
            ],
            ["ratio cluster / local"],
            marks=pytest.mark.slow,
        ),
    ],
)
def test_benchmark_script_runs(script: str, args: list[str], expect: list[str]) -> None:
    out = run_script(script, args)
    for text in expect:
        assert text in out


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("report")
def test_report_benchmark_runs(tmp_path: Path) -> None:
    """On the trivial notebook only, one round, a sweep of one: the peer chain is slow."""
    # everything under tmp_path, however deep: kernels under a deep TMPDIR talk TCP on loopback
    env = dict(
        os.environ,
        TMPDIR=str(tmp_path),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        IPYTHONDIR=str(tmp_path / "ipython"),
    )
    out = run_script(
        "bench_report.py",
        [
            "--notebook",
            "trivial",
            "--repeat",
            "1",
            "--runs",
            "1",
            "--workers",
            "1",
            "--sweep-repeat",
            "1",
            "--sweep-notebook",
            "trivial",
            "--param",
            "x",
        ],
        env,
    )
    assert "ratio toolkit / peer " in out
    assert "ratio toolkit / peer with the import block" in out
    assert "goal <= 0.15x" in out
    assert "ratio sweep --workers 1 / peer" in out


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_browser_explorer_benchmark_runs() -> None:
    """Two Voilà dashboards, one round each: the live charts are updated in place, not re-embedded."""
    # Not under tmp_path: Chromium's profile keeps a socket whose path must stay short (a deep
    # TMPDIR makes it abort, "Socket path too long"); the script removes its temporary folder.
    out = run_script("bench_explore_browser.py", ["--rounds", "1"])
    assert "ratio in place / re-embed" in out
    assert "['tk-chart-phases', '1', '2']" in out  # embedded once, updated in place twice
    assert "requests that left 127.0.0.1: 0" in out
