"""`toolkit report` starts its kernel interpreter before the CLI loads (toolkit.cli.launch), and
`render_report` adopts it only when it was started for the same notebook directory, pack and modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from toolkit.cli.launch import join_papermill_params, plain_report
from toolkit.jupyter import prespawn

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ROOT / "tests" / "fixtures" / "charts_report.ipynb"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report"], (None, None)),
        (["report", "nb.ipynb"], ("nb.ipynb", None)),
        (["report", "--pack", "p", "nb.ipynb", "-p", "troops=1"], ("nb.ipynb", "p")),
        (["report", "--out=x.html", "--pack=p", "--show-code"], (None, "p")),
        (["report", "--scenario", "baseline", "--param", "seed=3"], (None, None)),
    ],
)
def test_report_arguments_read(argv: list[str], expected: tuple[str | None, str | None]) -> None:
    found = plain_report(argv)  # the kernel's early start takes the notebook and the pack from it
    assert found is not None
    assert (found.get("notebook"), found.get("pack")) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["sweep", "--grid", "seed=1,2"],
        ["report", "--help"],
        ["report", "--unknown", "x"],
        ["report", "a.ipynb", "b.ipynb"],
        ["report", "--pack"],  # value missing
        ["report", "-p=seed=3"],
        ["report", "nb.ipynb", "--list-params"],  # runs no notebook: no early kernel
    ],
)
def test_anything_else_is_left_to_the_cli(argv: list[str]) -> None:
    assert plain_report(argv) is None


def test_an_early_kernel_is_adopted_only_for_the_same_run(tmp_path: Path) -> None:
    prespawn.prespawn_for_adoption(tmp_path, {}, ["json"])
    assert prespawn._early is not None
    early = prespawn._early[1]
    same = prespawn.take_prespawned(tmp_path, {}, ["json"])
    try:
        assert same is early
        assert prespawn._early is None  # handed over once
    finally:
        same.shutdown()

    prespawn.prespawn_for_adoption(tmp_path, {}, ["json"])
    assert prespawn._early is not None
    early = prespawn._early[1]
    zygote = early._zygote
    assert zygote is not None
    other = prespawn.take_prespawned(tmp_path, {"TOOLKIT_PACK": "/elsewhere"}, ["json"])
    try:
        assert other is not early
        assert zygote.wait(timeout=10) is not None  # the unused interpreter was discarded
    finally:
        other.shutdown()


def test_toolkit_report_command_renders(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "report", str(CHARTS), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert out.stat().st_size > 100_000


def test_toolkit_report_command_with_a_missing_notebook_fails_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "report", str(tmp_path / "nope.ipynb")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode != 0
    assert "notebook not found" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_launcher_knows_every_option_of_report() -> None:
    """An option the launcher does not know turns its early start off: keep the lists in step."""
    import typer

    from toolkit.cli.app import app
    from toolkit.cli.launch import REPORT_FLAGS, REPORT_VALUES

    group: Any = typer.main.get_command(app)  # typer's own (vendored) click group
    report = group.commands["report"]
    options = [p for p in report.params if p.param_type_name == "option" and p.name != "help"]
    flags = {o for p in options if p.is_flag for o in p.opts}
    values = {o for p in options if not p.is_flag for o in p.opts}
    assert flags == REPORT_FLAGS | {"--list-params"}  # that one runs no report: left to the CLI
    assert values == set(REPORT_VALUES)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report"], {"param": []}),
        (
            ["report", "nb.ipynb", "--out=x.html", "-p", "a=1", "--param", "b=2", "--show-code"],
            {"notebook": "nb.ipynb", "out": "x.html", "param": ["a=1", "b=2"], "show_code": True},
        ),
        (
            ["report", "--scenario", "s", "--pack", "p", "--param=c=3"],
            {"scenario": "s", "pack": "p", "param": ["c=3"]},
        ),
        (["report", "-p", "troops=-5"], {"param": ["troops=-5"]}),
    ],
)
def test_a_plain_report_command_line_is_read_without_the_cli(
    argv: list[str], expected: dict[str, Any]
) -> None:
    assert plain_report(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep", "--grid", "a=1"],
        ["report", "--help"],
        ["report", "--list-params"],
        ["report", "a.ipynb", "b.ipynb"],
        ["report", "--out", "a.html", "--out", "b.html"],  # repeated: the CLI decides
        ["report", "--show-code", "--show-code"],
        ["report", "--out"],
        ["report", "--out", ""],
        ["report", "--scenario", "-x"],
        ["report", "-p=a=1"],
        ["report", "--", "nb.ipynb"],
        ["report", "-"],
        ["report", "--bogus"],
    ],
)
def test_any_other_report_command_line_goes_to_the_cli(argv: list[str]) -> None:
    assert plain_report(argv) is None


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report", "-p", "troops", "15000"], ["report", "-p", "troops=15000"]),
        (
            ["report", "nb.ipynb", "--param", "seed", "-3", "-p", "paths=5"],
            ["report", "nb.ipynb", "--param", "seed=-3", "-p", "paths=5"],
        ),
        (["sweep", "--grid", "a=1,2", "-p", "b", "x"], ["sweep", "--grid", "a=1,2", "-p", "b=x"]),
        (
            ["report", "-p", "troops", "--out", "x.html"],
            ["report", "-p", "troops", "--out", "x.html"],
        ),
        (["report", "-p", "troops"], ["report", "-p", "troops"]),  # the CLI says what is missing
        (["report", "--", "-p", "a", "1"], ["report", "--", "-p", "a", "1"]),
        (["simulate", "-p", "troops", "5"], ["simulate", "-p", "troops", "5"]),  # not a notebook
    ],
)
def test_papermill_style_parameters_are_joined(argv: list[str], expected: list[str]) -> None:
    assert join_papermill_params(argv) == expected


def test_toolkit_report_takes_papermill_style_parameters(tmp_path: Path) -> None:
    """Through the real entry point: the joined parameter reaches the checks (which find it unknown,
    name the nearest and say model parameters are accepted), so no kernel runs."""
    report = ROOT / "notebooks" / "report.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "report", str(report), "-p", "troop", "15000",
         "--out", str(tmp_path / "r.html")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(
        "error: unknown parameter 'troop' for report.ipynb (did you mean 'troops'?"
    )
    assert "model parameters (`toolkit params` lists them)" in line
    assert list(tmp_path.iterdir()) == []
