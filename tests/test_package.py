"""The toolkit as an installed package: `--version`, where the default pack and notebooks come from
(a clone's first, else the wheel's package data), `toolkit init`, the optional extras' one-line hints,
and `toolkit lab` without JupyterLab's news prompt. The wheel itself is tested in test_install.py."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

import toolkit
from toolkit.cli.app import app
from toolkit.errors import OutputError, ToolkitError
from toolkit.explore import servers
from toolkit.files import init_workspace

from .conftest import ROOT, SEEDS

NOTEBOOKS = ROOT / "notebooks"


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# -- version ----------------------------------------------------------------------------------------
def test_version_option_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"toolkit {toolkit.__version__}\n"


def test_the_launcher_prints_the_version_as_the_app_does() -> None:
    """`toolkit --version` is answered by the launcher without loading typer (0.25 s): the same
    line as the app's option."""
    import subprocess
    import sys

    code = (
        "import sys; from toolkit.cli.launch import main; sys.argv = ['toolkit', '--version']; "
        "main(); print('typer' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == f"toolkit {toolkit.__version__}\nFalse\n"


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert version(toolkit.DISTRIBUTION) == toolkit.__version__  # hatch reads __init__.py


# -- a clone's files first, else the wheel's package data ------------------------------------------
def test_a_clone_uses_its_own_seeds_and_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.pack.load import default_pack_path
    from toolkit.report.notebook import default_notebook_path

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
    from toolkit.report.notebook import default_notebook_path

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


# -- toolkit init -----------------------------------------------------------------------------------
def test_init_copies_an_editable_pack_and_the_notebooks(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "study")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "study"
    assert sorted(p.name for p in folder.iterdir()) == ["notebooks", "seeds"]
    assert _listing(folder / "seeds") == _listing(SEEDS)
    assert (folder / "seeds" / "article.txt").read_bytes() == (SEEDS / "article.txt").read_bytes()
    assert sorted(p.name for p in (folder / "notebooks").iterdir()) == sorted(
        p.name for p in NOTEBOOKS.glob("*.ipynb")
    )
    assert "cd " in result.output
    assert "toolkit report notebooks/report.ipynb --pack seeds" in result.output
    assert not toolkit.check_pack(folder / "seeds")  # the copy is a valid pack


def test_init_files_are_the_users_even_from_a_read_only_source(tmp_path: Path) -> None:
    pack = tmp_path / "ro-pack"
    shutil.copytree(SEEDS, pack)
    for path in pack.iterdir():
        path.chmod(0o444)
    pack.chmod(0o555)
    try:
        (seeds, notebooks) = init_workspace(tmp_path / "out", pack, NOTEBOOKS)
    finally:
        pack.chmod(0o755)
    umask = os.umask(0)
    os.umask(umask)
    for path in [seeds, notebooks, *seeds.iterdir(), *notebooks.iterdir()]:
        full = 0o777 if path.is_dir() else 0o666
        assert stat.S_IMODE(path.stat().st_mode) == full & ~umask, path


def test_init_fills_an_empty_directory(tmp_path: Path) -> None:
    made = init_workspace(tmp_path, SEEDS, NOTEBOOKS)
    assert made == [tmp_path / "seeds", tmp_path / "notebooks"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "seeds"]  # no stage left


@pytest.mark.parametrize("kind", ["not empty", "a file"])
def test_init_refuses_and_writes_nothing(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "taken"
    if kind == "not empty":
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    else:
        target.write_text("a file")
    before = _listing(tmp_path)
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith("error: ")
    assert kind in result.output
    assert _listing(tmp_path) == before


def test_init_refuses_a_folder_that_is_not_a_pack(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "out"), "--pack", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a pack" in result.output
    assert not (tmp_path / "out").exists()


def test_init_takes_another_pack(pack_dir: Path, tmp_path: Path) -> None:
    (pack_dir / "extra-notes.md").write_text("analyst notes")
    result = CliRunner().invoke(app, ["init", str(tmp_path / "out"), "--pack", str(pack_dir)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "seeds" / "extra-notes.md").read_text() == "analyst notes"


def test_init_that_fails_midway_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[str] = []

    def flaky_copy(source: Path, target: Path) -> None:
        if len(copied) == 5:
            raise OSError(28, "No space left on device", str(target))
        copied.append(str(source))
        Path(target).write_bytes(Path(source).read_bytes())

    monkeypatch.setattr(shutil, "copyfile", flaky_copy)
    with pytest.raises(OutputError, match="No space left on device"):
        init_workspace(tmp_path / "new" / "study", SEEDS, NOTEBOOKS)
    assert _listing(tmp_path) == ["new"]  # the made parent stays; nothing in it
    copied.clear()
    (tmp_path / "empty").mkdir()
    with pytest.raises(OutputError):
        init_workspace(tmp_path / "empty", SEEDS, NOTEBOOKS)
    assert _listing(tmp_path / "empty") == []


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


# -- toolkit lab ------------------------------------------------------------------------------------
def test_lab_config_turns_off_the_news_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JupyterLab's own page-config reader (jupyterlab_server) sees the announcements plugin, which
    asks about and fetches the news, as disabled once `lab_environment` has run."""
    from jupyterlab_server.config import get_page_config

    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path / "theirs"))
    page = json.loads((servers.LAB_CONFIG_DIR / "labconfig" / "page_config.json").read_text())
    assert page == {"disabledExtensions": {servers.NEWS_PLUGIN: True}}
    assert servers.NEWS_PLUGIN not in get_page_config([]).get("disabledExtensions", [])
    servers.lab_environment()
    assert os.environ["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [
        str(servers.LAB_CONFIG_DIR),
        str(tmp_path / "theirs"),
    ]
    assert servers.NEWS_PLUGIN in get_page_config([])["disabledExtensions"]


def test_lab_from_a_wheel_works_on_a_temporary_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jupyterlab.labapp import LabApp

    package = tmp_path / "site-packages" / "toolkit"
    shutil.copytree(NOTEBOOKS, package / "_notebooks")
    monkeypatch.setattr(servers, "PACKAGE_DIR", package)
    monkeypatch.setattr(servers, "notebooks_dir", lambda: package / "_notebooks")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "")
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
    assert names == ["explore.ipynb", "report.ipynb", "scorecard.ipynb"]
    assert not Path(root).exists()  # removed when JupyterLab stopped
    assert "toolkit init DIR" in capsys.readouterr().err
