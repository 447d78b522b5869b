"""Shared fixtures. Tests write only to pytest's temporary directories."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.cache import CACHE_ENV
from toolkit.pack.load import Pack, default_pack_path, load_pack

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


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
