"""Docs are checked like code: the README's commands exist and every CLI command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from toolkit.cli.app import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_readme_opens_with_exactly_two_make_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    lines = [
        line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()
    ]
    assert lines == ["make report", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^report:", makefile, re.M)
    assert re.search(r"^test:", makefile, re.M)
    assert "toolkit report" in makefile


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_and_has_help(command: str) -> None:
    assert f"`toolkit {command}" in README, f"README does not document `toolkit {command}`"
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_pack_option_is_everywhere_the_readme_says() -> None:
    assert "Every command takes `--pack DIR`" in README
    for command in COMMANDS:
        output = CliRunner().invoke(app, [command, "--help"]).output
        assert "--pack" in output, command


def test_python_dash_m_toolkit_and_lazy_imports() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "--help"], capture_output=True, text=True, check=True
    )
    assert "validate" in result.stdout
    assert "report" in result.stdout
    probe = (
        "import sys, toolkit, toolkit.cli.app; "
        "heavy = {'polars', 'numpy', 'altair', 'papermill', 'nbconvert', 'networkx'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.notebook
def test_readme_python_section_runs(tmp_path: Path) -> None:
    """Every line of the README's Python section runs as written (reports land under a temp dir)."""
    import subprocess
    import sys

    block = re.search(r"## Python\n\n```python\n(.*?)```", README, re.S)
    assert block, "README has no Python section"
    code = block.group(1) + (
        "\nprint(type(pack.claims).__name__, type(result.phases).__name__)"
        "\nprint(sorted(p.name for p in (Path.cwd() / 'reports').glob('*.html')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "from pathlib import Path\n" + code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    kinds, reports = result.stdout.strip().splitlines()[-2:]
    assert kinds == "DataFrame DataFrame"
    assert reports.startswith("['report")
