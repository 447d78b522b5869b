"""A sweep survives what users do to it: Ctrl-C, a report that cannot be written (issue 10, items 3-4).

Every file is written under pytest's tmp dirs; the sweeps run a tiny notebook made here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from toolkit.cache import CACHE_ENV

from .servers import descendants, survivors

pytestmark = [pytest.mark.xdist_group("report"), pytest.mark.notebook, pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        yield


def _sleepy_notebook(folder: Path) -> Path:
    """A parameters cell (`delay`) and a cell that sleeps that long."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("delay: float = 0.0  # seconds to sleep")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import time\ntime.sleep(delay)\nprint(delay)")]
    path = folder / "sleepy.ipynb"
    nbformat.write(nb, path)
    return path


def test_one_unwritable_report_fails_alone(tmp_path: Path) -> None:
    """An OSError while publishing one report is that report's failure; the rest and the index publish."""
    from toolkit.report.sweep import SweepError, sweep

    notebook = _sleepy_notebook(tmp_path)
    out = tmp_path / "out"
    (out / "sleepy-delay-0.01.html").mkdir(parents=True)  # a directory where a report should go
    with pytest.raises(SweepError, match="1 of 2 reports failed") as caught:
        sweep({"delay": [0.0, 0.01]}, notebook=notebook, out_dir=out, workers=1, from_text=False)
    result = caught.value.result
    assert [p.name for p in result.reports] == ["sleepy-delay-0.0.html"]
    assert result.reports[0].is_file()
    [failure] = result.failures
    assert "IsADirectoryError" in str(failure.error) or "Is a directory" in str(failure.error)
    index = result.index.read_text(encoding="utf-8")
    assert "failed" in index
    assert 'href="sleepy-delay-0.0.html"' in index


@pytest.mark.parametrize(
    ("where", "signals"),
    [
        pytest.param(["--workers", "1"], [signal.SIGINT], id="local"),
        pytest.param(["--scheduler", "local:1"], [signal.SIGINT], id="cluster"),
        pytest.param(["--workers", "1"], [signal.SIGTERM, signal.SIGTERM], id="local-sigterm"),
    ],
)
def test_ctrl_c_stops_the_sweep_keeps_what_finished_and_leaves_no_process(
    tmp_path: Path, where: list[str], signals: list[signal.Signals]
) -> None:
    """Locally (kernels are the sweep's children) and on a LocalCluster the sweep starts (a worker
    process whose kernel runs the reports): Ctrl-C stops it, keeps the finished report, lists the
    others as not rendered and leaves no process it started behind. SIGTERM does the same, also
    sent twice as GNU `timeout` sends it (to the process and its group): found in a bug hunt, a
    local sweep died at once on SIGTERM (exit 143, no message, an index that did not list the
    reports it had written)."""
    notebook = _sleepy_notebook(tmp_path)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "toolkit", "sweep", str(notebook), "--grid", "delay=0,600,601"]
    proc = subprocess.Popen(
        [*command, *where, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOOLKIT_PRESPAWN": "1"},
        # as from a terminal: a shell starts background jobs (and so maybe this test) ignoring SIGINT
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    first = out / "sleepy-delay-0.0.html"
    deadline = time.monotonic() + 240
    while not first.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the first report never appeared"
        time.sleep(0.1)
    started = descendants(proc.pid)
    assert started, "the sweep runs no kernel"

    for signum in signals:  # the second report is sleeping 600 s in its kernel; two SIGTERMs go
        proc.send_signal(signum)  # at once, as `timeout` sends them (process, group)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{signals} did not stop the sweep")
    assert proc.returncode == 130, stderr
    assert "interrupted: 1 of 3 reports written" in stderr
    assert "Traceback" not in stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="sleepy-delay-0.0.html"' in index
    assert index.count("not rendered: the sweep was interrupted") == 2
    assert sorted(p.name for p in out.glob("*.html")) == ["index.html", "sleepy-delay-0.0.html"]
    # on the cluster: the worker, its kernel and Python's multiprocessing resource tracker
    assert not survivors(started), {pid: started[pid] for pid in survivors(started)}
