"""Shared fixtures. Tests write only to pytest's temporary directories."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from toolkit.cache import CACHE_ENV
from toolkit.pack.load import Pack, default_pack_path, load_pack

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Property tests draw the same examples on every run (CI never sees a one-off failure) and keep no
# example database; hypothesis's own storage (Unicode tables, constants; `.hypothesis/` in the working
# directory by default) goes to a temporary directory, removed at exit.
settings.register_profile("toolkit", derandomize=True, database=None, deadline=None)
settings.load_profile("toolkit")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="toolkit-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Caches (JS bundle, network layout) go to a temporary directory, never to the home directory;
    subprocesses (report kernels, the Voilà server) inherit it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("toolkit-cache")))
        yield


@pytest.fixture(scope="session")
def pack() -> Pack:
    """The default pack, loaded once."""
    return load_pack(SEEDS)


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """A writable copy of the default pack, to break on purpose."""
    target = tmp_path / "pack"
    shutil.copytree(default_pack_path(), target)
    return target


def rule_out_every_tier(pack_dir: Path) -> None:
    """Every response tier of the pack copy `pack_dir` ruled out (a pack `toolkit validate`
    accepts: no tier can be decided)."""
    import yaml

    responses = pack_dir / "responses.yaml"
    data = yaml.safe_load(responses.read_text(encoding="utf-8"))
    for tier in data["tiers"]:
        tier.update(status="ruled_out", trigger=None)
        for key in ("lag", "will", "never"):
            tier.pop(key, None)
    responses.write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def point_values(pack: Pack) -> dict[str, object]:
    """Every parameter of the pack's baseline at its point value, as overrides: no band is sampled,
    so the engine runs on the tracker's own rates (for checks that the two agree)."""
    from toolkit.engine.compile import compile_model

    table = compile_model(pack).parameters
    return {
        pid: int(table.value[i]) if table.is_int[i] else float(table.value[i])
        for i, pid in enumerate(table.ids)
    }
