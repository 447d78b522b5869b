"""A pack's summary (`PackSummary`, what `validate_pack` returns) and a cache of valid packs' summaries.

`validate_pack` reads and checks every record (pydantic, YAML: ~0.3 s of a process that has not loaded
them). A process that only needs a valid pack's summary (its title, ids, row counts, content hash and
start date: `toolkit report` before its kernel starts) can call `cached_summary(path)` instead: it
returns the summary `validate_pack` gave before for the very same files, keyed by the bytes of every
file under the pack directory, the toolkit's code fingerprint and the versions of the libraries that
check the records, and otherwise runs `validate_pack` and remembers the summary of a valid pack. A pack
with a problem is never remembered (its `PackError` is raised afresh each time), nor one holding a
symbolic link (it could point anywhere). Only the standard library is imported here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.files import data_dir

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

META_FILE = "pack.yaml"
CHECKING_LIBRARIES = ("pydantic", "pydantic-core", "pyyaml")
MAX_KEYED_FILES = 2000  # a pack directory holding more (or more bytes) is validated, not keyed
MAX_KEYED_BYTES = 64 * 2**20


def default_pack_path() -> Path:
    """The pack used when none is named: $TOOLKIT_PACK, else the project's `seeds/` (the clone's, or
    the copy an installed wheel ships)."""
    env = os.environ.get("TOOLKIT_PACK")
    if env:
        return Path(env)
    return data_dir("seeds", META_FILE)


@dataclass(frozen=True)
class PackSummary:
    """A valid pack as `validate_pack` checked it: its title, the rows of each frame, the ids of
    each frame that has an `id` column, the content hash and the start date."""

    path: Path
    title: str | None
    rows: dict[str, int]
    ids: dict[str, tuple[str, ...]]
    content_hash: str
    start: dt.date  # pack.yaml publication.date
    _build: Callable[[], Pack] = field(repr=False, compare=False)

    def __post_init__(self) -> None:  # the pack is built once, however many callers ask
        object.__setattr__(self, "_build", functools.cache(self._build))

    def pack(self) -> Pack:
        """The loaded pack, its frames built from the rows checked (polars is imported now), once."""
        return self._build()


def cached_summary(path: str | os.PathLike[str] | None = None) -> PackSummary:
    """`validate_pack(path)`, or the summary it gave for the same files, code and libraries (see the
    module doc); its `pack()` then loads the pack (`load_pack`)."""
    root = Path(path) if path is not None else default_pack_path()
    key = _key(root)
    entry = _entry(key) if key is not None else None
    if entry is not None:
        try:
            value = json.loads(entry.read_text(encoding="utf-8"))
            return _summary(root, value)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from toolkit.pack.load import validate_pack

    summary = validate_pack(root)
    # kept only if the files did not change while they were checked (an editor's save, a checkout):
    # the summary of other bytes must not be found under these bytes' key
    if entry is not None and _key(root) == key:
        from toolkit.cache import write_atomic_text

        write_atomic_text(entry, json.dumps(_value(summary)))
    return summary


def _entry(key: str) -> Path:
    from toolkit.cache import cache_dir

    return cache_dir() / f"pack-summary-{key}.json"


def _key(root: Path) -> str | None:
    """A digest of every file under `root` (names and bytes), the code and the checking libraries;
    None when the pack cannot be keyed (unreadable, a symbolic link anywhere in it, or more files or
    bytes than `MAX_KEYED_FILES`/`MAX_KEYED_BYTES`: hashing them would cost more than validating)."""
    from importlib.metadata import PackageNotFoundError, version

    from toolkit.cache import code_fingerprint

    digest = hashlib.sha256(code_fingerprint().encode() + b"\0")
    for name in CHECKING_LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=\0".encode())
    try:
        if root.is_symlink() or not root.is_dir():
            return None
        files: list[tuple[str, Path]] = []
        for folder, dirs, names in os.walk(root):
            here = Path(folder)
            for name in dirs + names:
                if (here / name).is_symlink():
                    return None
            files += [((here / n).relative_to(root).as_posix(), here / n) for n in names]
            if len(files) > MAX_KEYED_FILES:
                return None
        if sum(file.stat().st_size for _, file in files) > MAX_KEYED_BYTES:
            return None
        for rel, file in sorted(files):
            digest.update(rel.encode() + b"\0" + file.read_bytes() + b"\0")
    except (OSError, ValueError):
        return None
    return digest.hexdigest()[:32]


def _value(summary: PackSummary) -> dict[str, Any]:
    return {
        "title": summary.title,
        "rows": summary.rows,
        "ids": {name: list(ids) for name, ids in summary.ids.items()},
        "content_hash": summary.content_hash,
        "start": summary.start.isoformat(),
    }


def _summary(root: Path, value: dict[str, Any]) -> PackSummary:
    def pack() -> Pack:
        from toolkit.pack.load import load_pack

        return load_pack(root)

    title = value["title"]
    return PackSummary(
        path=root,
        title=str(title) if title is not None else None,
        rows={str(k): int(v) for k, v in value["rows"].items()},
        ids={str(k): tuple(str(i) for i in v) for k, v in value["ids"].items()},
        content_hash=str(value["content_hash"]),
        start=dt.date.fromisoformat(value["start"]),
        _build=pack,
    )
