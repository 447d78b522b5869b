"""The benchmark scripts run (tiny sizes, no timing asserted): they cannot rot unnoticed.
`bench_report.py` is left out: it runs the papermill and nbconvert peer chain, minutes long."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        (
            "bench_engine.py",
            ["--paths", "20000", "--months", "6", "--reference-paths", "200", "--repeat", "1"],
            "engine / bare Markov step",
        ),
        (
            "bench_explore.py",
            ["--paths", "500", "--months", "6", "--repeats", "1"],
            "median callback",
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
            "ratio cluster / local",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_benchmark_script_runs(script: str, args: list[str], expect: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert expect in result.stdout
