"""The toolkit as an installed package: where the default pack and notebooks come from (a clone's
first, else the wheel's package data). The wheel itself is tested in test_install.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolkit.explore import servers

from .conftest import ROOT, SEEDS

NOTEBOOKS = ROOT / "notebooks"


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
