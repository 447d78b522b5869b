"""Output paths are checked before any work, files are written whole with the umask's mode, and two
sweeps never write into one folder at once (issue 10, items 8 and 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli.app import app
from toolkit.errors import OutputError
from toolkit.files import check_output_dir, check_output_file, lock_dir

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _bad_file_targets(tmp_path: Path, suffix: str = ".parquet") -> list[Path]:
    """A directory, a path under a file, a place no file can be made."""
    a_dir = tmp_path / f"folder{suffix}"
    a_dir.mkdir(exist_ok=True)
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    return [a_dir, a_file / "under" / f"out{suffix}", Path(f"/proc/toolkit-test/out{suffix}")]


def test_check_output_file_refuses_and_creates_nothing(tmp_path: Path) -> None:
    for target in _bad_file_targets(tmp_path):
        with pytest.raises(OutputError, match=r"^--out '.*' (is a directory|cannot be written)"):
            check_output_file(target)
    fine = tmp_path / "new" / "deeper" / "out.parquet"
    assert check_output_file(fine) == fine
    assert not (tmp_path / "new").exists()  # nothing made by the check
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.parquet", "plain.txt"]


def test_check_output_dir_refuses_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="is a file; give a directory"):
        check_output_dir(a_file)
    with pytest.raises(OutputError, match="cannot be written"):
        check_output_dir(a_file / "sub")


@pytest.fixture
def no_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the pack (the first piece of work) fails the test."""
    import toolkit.pack.load

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started before the output was checked")

    monkeypatch.setattr(toolkit.pack.load, "load_pack", refuse)


@pytest.mark.usefixtures("no_pack")
def test_simulate_and_chart_check_out_before_any_work(tmp_path: Path) -> None:
    runner = CliRunner()
    for command, suffix in (["simulate"], ".parquet"), (["chart", "phases"], ".png"):
        for target in _bad_file_targets(tmp_path, suffix):
            args = [*command, "--out", str(target)]
            result = runner.invoke(app, args)
            assert result.exit_code == 2, (args, result.output)
            [line] = result.output.strip().splitlines()
            assert line.startswith("error: --out "), line


@pytest.mark.usefixtures("no_pack")
def test_frames_checks_out_before_any_work(tmp_path: Path) -> None:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    result = CliRunner().invoke(app, ["frames", "--out", str(a_file)])
    assert result.exit_code == 2
    assert "is a file; give a directory" in result.output


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_files_get_the_umask_mode(tmp_path: Path, umask: int, mode: int) -> None:
    code = (
        "import os, sys\n"
        f"os.umask({umask})\n"
        "from toolkit.files import write_atomic\n"
        "write_atomic(sys.argv[1], b'x')\n"
    )
    target = tmp_path / "f.html"
    subprocess.run([sys.executable, "-c", code, str(target)], check=True)
    assert target.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["f.html"]  # no temporary file left


def test_a_second_sweep_into_the_same_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.jupyter.kernels import Kernel
    from toolkit.report.sweep import sweep

    def refuse(self: Kernel) -> Kernel:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(Kernel, "start", refuse)
    with (
        lock_dir(tmp_path, "sweep"),
        pytest.raises(OutputError, match="another sweep is writing into"),
    ):
        sweep({"n_points": [5, 6]}, notebook=FIXTURES / "charts_report.ipynb", out_dir=tmp_path)


def test_sweep_refuses_a_file_as_its_folder(tmp_path: Path) -> None:
    from toolkit.report.sweep import sweep

    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="is a file; give a directory"):
        sweep({"n_points": [5]}, notebook=FIXTURES / "charts_report.ipynb", out_dir=a_file)
