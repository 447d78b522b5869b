"""The wheel installs like a package: a fresh virtual environment, outside the clone, gets a `toolkit`
that works from any directory (the default pack and the notebooks travel in the wheel), and
`toolkit init` makes a working folder whose pack and notebooks the commands then use. The environment
is one without the `lab` and `serve` extras: JupyterLab, Voilà and the Jupyter server are hidden from
every Python process it starts (report kernels too), so the engine and reports are shown to need none
of them, and `toolkit lab` / `toolkit serve` to say how to install them.

Nothing is downloaded: the wheel is built with the hatchling in this environment (no build
isolation), the new environment sees this one's packages through a `.pth` file (so the wheel goes in
with `--no-deps`), and uv runs `--offline` with its cache in the test's temporary directory. Everything
is written under pytest's temporary directories.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import toolkit

from .conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.notebook, pytest.mark.xdist_group("report")]

UV = Path(sys.executable).parent / "uv"
#: What only the `lab` and `serve` extras bring (a `.pth` line makes them unimportable in the venv).
EXTRAS_ONLY = ("jupyterlab", "jupyterlab_server", "voila", "jupyter_server", "notebook")
SMALL_REPORT = ["-p", "paths=500", "-p", "sensitivity_paths=200", "-p", "grid_paths=100"]


@dataclass(frozen=True)
class Installed:
    venv: Path
    wheel: Path
    env: dict[str, str]
    seconds: float  # build + venv + install

    @property
    def toolkit(self) -> str:
        return str(self.venv / "bin" / "toolkit")

    def package_dir(self) -> Path:
        lib = next((self.venv / "lib").glob("python3*"))
        return lib / "site-packages" / "toolkit"

    def run(
        self, args: Sequence[str], cwd: Path, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.toolkit, *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _clean_env(tmp: Path) -> dict[str, str]:
    """This process's environment without anything that points at the clone, with Jupyter's, IPython's
    and uv's files in `tmp`. The dependencies' Jupyter data files (nbconvert's templates) are in this
    environment's `share/jupyter`, where their installation put them: JUPYTER_PATH names it, as the
    `.pth` file names their code."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "TOOLKIT_PACK", "TOOLKIT_NOTEBOOK"}
    }
    env.update(
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        UV_CACHE_DIR=str(tmp / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        UV_OFFLINE="1",
        PIP_NO_INDEX="1",
        JUPYTER_PATH=os.pathsep.join(
            filter(
                None, [str(Path(sys.prefix) / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")]
            )
        ),
    )
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if not UV.is_file():
        pytest.skip("needs uv in the project's environment (the dev group)")
    tmp = tmp_path_factory.mktemp("install")
    env = _clean_env(tmp)
    started = time.perf_counter()
    dist = tmp / "dist"
    build = [str(UV), "build", "--wheel", "--no-build-isolation", "--offline", "--no-cache"]
    build += ["--python", sys.executable, "--out-dir", str(dist), str(ROOT)]
    subprocess.run(build, env=env, cwd=tmp, check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("*.whl")

    venv = tmp / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # This environment's packages (not its .pth files: the clone's editable install stays out).
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_project_deps.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    hide = f"import sys; sys.modules.update(dict.fromkeys({EXTRAS_ONLY!r}))"
    (site / "_no_extras.pth").write_text(hide + "\n", encoding="utf-8")
    install = [str(UV), "pip", "install", "--no-deps", "--offline", "--no-cache"]
    install += ["--python", str(venv / "bin" / "python"), str(wheel)]
    subprocess.run(install, env=env, cwd=tmp, check=True, capture_output=True, timeout=300)
    seconds = time.perf_counter() - started
    print(
        f"wheel {wheel.name}: {wheel.stat().st_size / 1024:.0f} KiB; build + venv + install {seconds:.1f} s"
    )
    return Installed(venv, wheel, env, seconds)


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_wheel_holds_the_pack_and_the_notebooks(installed: Installed) -> None:
    import zipfile

    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for path in (ROOT / "seeds").iterdir():
        assert f"toolkit/_seeds/{path.name}" in names
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        assert f"toolkit/_notebooks/{path.name}" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert not any(name.startswith(("tests/", "seeds/", "notebooks/")) for name in names)
    (meta,) = (name for name in names if name.endswith(".dist-info/METADATA"))
    requires = [
        line.split(":", 1)[1].strip()
        for line in zipfile.ZipFile(installed.wheel).read(meta).decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    core = {r.split(">")[0].split(";")[0].strip() for r in requires if "extra ==" not in r}
    assert {"ipywidgets", "ipykernel", "papermill", "nbconvert"} <= core
    assert not core & {"jupyterlab", "voila"}
    assert any(r.startswith("jupyterlab") and "extra == 'lab'" in r for r in requires)
    assert any(r.startswith("voila") and "extra == 'serve'" in r for r in requires)


def test_installed_toolkit_works_from_any_directory(installed: Installed, tmp_path: Path) -> None:
    started = time.perf_counter()
    before = _files(installed.package_dir())
    work = tmp_path / "elsewhere"
    work.mkdir()

    probe = "import importlib.util as u, toolkit; print(toolkit.__file__); "
    probe += f"print([m for m in {EXTRAS_ONLY!r} if u.find_spec(m)])"
    where, found = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", probe],
        cwd=work,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert Path(where).is_relative_to(installed.venv), where  # the wheel, not the clone
    assert found == "[]"  # no JupyterLab, Voilà or Jupyter server in this environment

    result = installed.run(["--version"], work)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"toolkit {toolkit.__version__}"

    result = installed.run(["validate"], work)
    assert result.returncode == 0, result.stderr
    assert "_seeds: valid" in result.stdout

    result = installed.run(["simulate", "--paths", "200", "--months", "6"], work)
    assert result.returncode == 0, result.stderr

    result = installed.run(["chart", "phases", "--out", "phases.svg", "--paths", "200"], work)
    assert result.returncode == 0, result.stderr
    assert (work / "phases.svg").stat().st_size > 1000

    result = installed.run(["report", *SMALL_REPORT], work)
    assert result.returncode == 0, result.stderr
    report = work / "reports" / "report.html"
    assert Path(result.stdout.strip()) == report
    assert report.stat().st_size > 100_000

    assert _files(installed.package_dir()) == before  # nothing written into the installed package
    print(f"installed toolkit: six commands in {time.perf_counter() - started:.1f} s")


@pytest.mark.parametrize(("command", "extra"), [("lab", "lab"), ("serve", "serve")])
def test_lab_and_serve_say_which_extra_to_install(
    installed: Installed, tmp_path: Path, command: str, extra: str
) -> None:
    result = installed.run([command, "--no-browser"], tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"pip install '{toolkit.DISTRIBUTION}[{extra}]'" in result.stderr


def test_init_makes_a_folder_the_commands_use(installed: Installed, tmp_path: Path) -> None:
    result = installed.run(["init", "study"], tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "study"
    assert (folder / "seeds" / "pack.yaml").is_file()
    assert sorted(p.name for p in (folder / "notebooks").iterdir()) == [
        "explore.ipynb",
        "report.ipynb",
        "scorecard.ipynb",
    ]
    assert "toolkit report notebooks/report.ipynb --pack seeds" in result.stdout

    # Edit the copied pack; the commands printed by init use it.
    meta = folder / "seeds" / "pack.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace('title: "', 'title: "Edited copy. ', 1),
        encoding="utf-8",
    )
    result = installed.run(["validate", "--pack", "seeds"], folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("seeds: valid")

    result = installed.run(
        ["report", "notebooks/report.ipynb", "--pack", "seeds", *SMALL_REPORT], folder
    )
    assert result.returncode == 0, result.stderr
    report = folder / "reports" / "report.html"
    assert Path(result.stdout.strip()) == report
    assert "Edited copy. Trilateral assessment" in report.read_text(encoding="utf-8")

    result = installed.run(["init", "study"], tmp_path)  # not empty any more
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "not empty" in result.stderr
