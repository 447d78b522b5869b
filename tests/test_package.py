"""The toolkit as an installed package: `--version`, where the default pack and notebooks come from
(a clone's first, else the wheel's package data), and the optional extras' one-line hints. The wheel
itself is tested in test_install.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import toolkit
from toolkit.cli.app import app
from toolkit.errors import ToolkitError
from toolkit.explore import servers

from .conftest import ROOT, SEEDS

NOTEBOOKS = ROOT / "notebooks"


# -- version ----------------------------------------------------------------------------------------
def test_version_option_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"toolkit {toolkit.__version__}\n"


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert version(toolkit.DISTRIBUTION) == toolkit.__version__  # hatch reads __init__.py


# -- a clone's files first, else the wheel's package data ------------------------------------------
def test_a_clone_uses_its_own_seeds_and_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.pack.load import default_pack_path
    from toolkit.report.render import default_notebook_path

    monkeypatch.delenv("TOOLKIT_PACK", raising=False)
    monkeypatch.delenv("TOOLKIT_NOTEBOOK", raising=False)
    assert default_pack_path() == SEEDS
    assert default_notebook_path() == NOTEBOOKS / "report.ipynb"
    assert servers.notebooks_dir() == NOTEBOOKS


def test_an_installed_package_uses_its_package_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Laid out as a wheel installs it: site-packages/toolkit/_seeds and _notebooks, and no seeds/ or
    notebooks/ next to the package (site-packages is the "project root")."""
    import toolkit.files as files
    from toolkit.pack.load import default_pack_path
    from toolkit.report.render import default_notebook_path

    site = tmp_path / "site-packages"
    package = site / "toolkit"
    shutil.copytree(SEEDS, package / "_seeds")
    shutil.copytree(NOTEBOOKS, package / "_notebooks")
    (site / "notebooks").mkdir()  # some other distribution's folder: no report.ipynb in it
    monkeypatch.setattr(files, "PACKAGE_DIR", package)
    monkeypatch.delenv("TOOLKIT_PACK", raising=False)
    monkeypatch.delenv("TOOLKIT_NOTEBOOK", raising=False)
    assert default_pack_path() == package / "_seeds"
    assert default_notebook_path() == package / "_notebooks" / "report.ipynb"
    assert servers.notebooks_dir() == package / "_notebooks"
    monkeypatch.setenv("TOOLKIT_PACK", str(tmp_path / "chosen"))  # the variables still win
    assert default_pack_path() == tmp_path / "chosen"


# -- the extras -------------------------------------------------------------------------------------
def test_a_missing_extra_is_one_line_that_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    hidden = {"jupyterlab", "voila"}
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in hidden else real(name, *a)
    )
    for command, extra in (("lab", "lab"), ("serve", "serve")):
        result = CliRunner().invoke(app, [command, "--no-browser"])
        assert result.exit_code == 2
        assert result.output.count("\n") == 1
        assert f"pip install '{toolkit.DISTRIBUTION}[{extra}]'" in result.output
    with pytest.raises(
        ToolkitError, match=r"^Voilà is not installed; install it with: pip install"
    ):
        servers.require_extra("voila", "Voilà", "serve")


# -- toolkit lab -----------------------------------------------------------------------------------
def test_lab_from_a_wheel_works_on_a_temporary_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jupyterlab.labapp import LabApp

    package = tmp_path / "site-packages" / "toolkit"
    shutil.copytree(NOTEBOOKS, package / "_notebooks")
    monkeypatch.setattr(servers, "PACKAGE_DIR", package)
    monkeypatch.setattr(servers, "notebooks_dir", lambda: package / "_notebooks")
    monkeypatch.setenv("TOOLKIT_PACK", "unset")
    monkeypatch.setenv("JUPYTER_PATH", "")
    seen: dict[str, list[str]] = {}

    def launch(argv: list[str]) -> None:
        root = Path(next(a for a in argv if a.startswith("--ServerApp.root_dir=")).split("=", 1)[1])
        seen["root"] = [str(root), *sorted(p.name for p in root.iterdir())]

    monkeypatch.setattr(LabApp, "launch_instance", launch)
    servers.run_lab(open_browser=False)
    root, *names = seen["root"]
    assert not Path(root).is_relative_to(package)
    assert names == ["explore.ipynb", "report.ipynb"]
    assert not Path(root).exists()  # removed when JupyterLab stopped
    assert "temporary copy" in capsys.readouterr().err
