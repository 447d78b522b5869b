"""The cache of valid packs' summaries (`toolkit.pack.summary.cached_summary`): the same summary as
`validate_pack`, never a stale one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.errors import PackError
from toolkit.pack.load import load_pack, validate_pack
from toolkit.pack.summary import cached_summary


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("pack-summary-*.json"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(folder))
    return folder


def test_a_cached_summary_is_the_summary_validate_pack_gives(
    pack_dir: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = validate_pack(pack_dir)
    first = cached_summary(pack_dir)  # checked, then remembered
    assert len(_entries(cache)) == 1

    def not_again(path: object) -> None:
        raise AssertionError("validated again: the cached summary was not used")

    with monkeypatch.context() as m:
        m.setattr("toolkit.pack.load.validate_pack", not_again)
        again = cached_summary(pack_dir)  # from the cache
    for summary in (first, again):
        assert summary == checked  # path, title, rows, ids, content hash, start
    assert again.pack().content_hash == load_pack(pack_dir).content_hash


def test_any_change_to_the_pack_is_checked_again(pack_dir: Path, cache: Path) -> None:
    cached_summary(pack_dir)
    scenarios = pack_dir / "scenarios.yaml"
    scenarios.write_text(scenarios.read_text(encoding="utf-8") + "\n# a comment\n", "utf-8")
    changed = cached_summary(pack_dir)
    assert changed == validate_pack(pack_dir)
    assert len(_entries(cache)) == 2
    (pack_dir / "phases.yaml").write_text("phases: [\n", encoding="utf-8")  # broken now
    with pytest.raises(PackError) as found:
        cached_summary(pack_dir)
    with pytest.raises(PackError) as expected:
        validate_pack(pack_dir)
    assert found.value.problems == expected.value.problems
    assert len(_entries(cache)) == 2  # a pack with a problem is never remembered


def test_a_new_file_under_the_pack_is_part_of_the_key(pack_dir: Path, cache: Path) -> None:
    cached_summary(pack_dir)
    (pack_dir / "texts").mkdir()
    (pack_dir / "texts" / "source.txt").write_text("a source text\n", encoding="utf-8")
    assert cached_summary(pack_dir) == validate_pack(pack_dir)
    assert len(_entries(cache)) == 2


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_pack_holding_a_symbolic_link_is_not_remembered(
    pack_dir: Path, cache: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("elsewhere\n", encoding="utf-8")
    (pack_dir / "link.txt").symlink_to(outside)
    assert cached_summary(pack_dir) == validate_pack(pack_dir)
    assert _entries(cache) == []


def test_a_pack_too_large_to_key_is_validated_not_remembered(
    pack_dir: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.pack.summary as summary

    monkeypatch.setattr(summary, "MAX_KEYED_BYTES", 10)
    assert cached_summary(pack_dir) == validate_pack(pack_dir)
    assert _entries(cache) == []


def test_a_pack_edited_while_it_is_checked_is_not_remembered(
    pack_dir: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is of the bytes read first; if a file changes before the check has read it, the
    summary is of other bytes and must not be found under that key."""
    import toolkit.pack.load as load

    scenarios = pack_dir / "scenarios.yaml"
    before = scenarios.read_text(encoding="utf-8")
    real = load.validate_pack

    def edited_meanwhile(path: object) -> object:
        scenarios.write_text(before + "\n# saved by an editor meanwhile\n", encoding="utf-8")
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "validate_pack", edited_meanwhile)
    assert cached_summary(pack_dir) == real(pack_dir)
    assert _entries(cache) == []
