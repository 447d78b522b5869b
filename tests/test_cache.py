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
