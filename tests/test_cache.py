"""The on-disk cache: same key, same value, computed once; a broken cache only costs time."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.cache import CACHE_ENV, cached_json


def test_value_is_computed_once_per_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    calls: list[int] = []

    def compute() -> dict[str, list[float]]:
        calls.append(1)
        return {"a": [0.1 + 0.2, -1e-17]}

    first = cached_json("test", {"k": 1}, compute)
    second = cached_json("test", {"k": 1}, compute)
    assert first == second == {"a": [0.1 + 0.2, -1e-17]}  # floats round-trip exactly
    assert len(calls) == 1
    cached_json("test", {"k": 2}, compute)
    assert len(calls) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_corrupt_or_unwritable_cache_recomputes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    cached_json("test", "key", lambda: [1])
    entry = next(tmp_path.iterdir())
    entry.write_text("{not json")
    assert cached_json("test", "key", lambda: [2]) == [2]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "sub"))  # cannot be created
    assert cached_json("test", "key", lambda: [3]) == [3]


SHIPPED_EDITS = (
    "jupyter/templates/toolkit_report/index.html.j2",
    "jupyter/templates/toolkit_report/static/report.css",
    "jupyter/templates/toolkit_report/static/charts.js",
    "jupyter/templates/toolkit_report/conf.json",
    "explore/live_charts.js",
    "explore/share/voila/templates/toolkit/index.html.j2",
    "__init__.py",
    "__main__.py",
    "engine/simulation.py",
)


def test_the_code_fingerprint_covers_every_file_the_package_ships(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose report template, stylesheet, chart script or package `__init__.py` differs
    from the client's has another fingerprint; caches, hidden files and the wheel's data copies
    (`_seeds`, `_notebooks`: sent and checked by content) change nothing."""
    import shutil

    import toolkit
    import toolkit.cache as cache

    root = tmp_path / "toolkit"
    package = Path(toolkit.__file__).resolve().parent
    shutil.copytree(package, root, ignore=shutil.ignore_patterns("__pycache__", ".*"))

    def fingerprint() -> str:
        cache.code_fingerprint.cache_clear()
        return cache.code_fingerprint()

    try:
        with monkeypatch.context() as mp:
            mp.setattr(cache, "__file__", str(root / "cache.py"))
            base = fingerprint()
            for rel in SHIPPED_EDITS:
                path = root / rel
                original = path.read_bytes()
                path.write_bytes(original + b"\n")
                assert fingerprint() != base, rel
                path.write_bytes(original)
                assert fingerprint() == base, rel
            for rel in ("__pycache__/x.cpython-311.pyc", "jupyter/.index.html.j2.swp",
                        "_seeds/pack.yaml", "_notebooks/report.ipynb"):  # fmt: skip
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_bytes(b"not the package's code")
            assert fingerprint() == base
    finally:
        cache.code_fingerprint.cache_clear()  # this process's own fingerprint again
    assert cache.code_fingerprint() == base  # the package's own: the copy has the same files
