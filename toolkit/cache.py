"""A small on-disk cache for results that are slow to compute and fully determined by their key.

Entries live in $TOOLKIT_CACHE_DIR, else $XDG_CACHE_HOME/toolkit (~/.cache/toolkit). Each is written to
a temporary file and renamed, so a reader never sees half an entry; an unreadable or unwritable cache
only means the value is computed again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.cachedir import CACHE_ENV, cache_root
from toolkit.files import write_atomic

__all__ = ["CACHE_ENV", "cache_dir", "cached_json", "code_fingerprint", "write_atomic_text"]


def cache_dir() -> Path:
    """$TOOLKIT_CACHE_DIR, else $XDG_CACHE_HOME/toolkit (`toolkit.cachedir`)."""
    return Path(cache_root())


def write_atomic_text(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all; a read-only cache is silently skipped."""
    with contextlib.suppress(OSError):
        write_atomic(path, text.encode("utf-8"))


def cached_json(kind: str, key: object, compute: Callable[[], Any]) -> Any:
    """`compute()`, or its earlier result for the same `key` (any JSON-able value).

    JSON keeps floats exact (shortest round-trip repr), so a cached value equals a computed one.
    """
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    path = cache_dir() / f"{kind}-{digest}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = compute()
    write_atomic_text(path, json.dumps(value))
    return value


#: The wheel's copies of seeds/ and notebooks/ (`pyproject.toml`): data, which a distributed run
#: sends and checks by content, and which a clone has outside the package.
DATA_FOLDERS = frozenset({"_seeds", "_notebooks"})
_NOT_SHIPPED = frozenset({".pyc", ".pyo"})


@functools.cache
def code_fingerprint() -> str:
    """The toolkit's version and a digest of every file of the package that shapes what it does
    (`package_files`: its Python sources, `__init__.py` and `__main__.py` included, and the report
    and explorer templates, stylesheets, scripts and configuration): two processes with the same
    fingerprint run the same code and render the same reports."""
    import sys

    root = Path(__file__).resolve().parent  # the toolkit package, imported before this module
    digest = hashlib.sha256()
    for rel in package_files(root):
        digest.update(rel.encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    version = getattr(sys.modules.get("toolkit"), "__version__", "unknown")
    return f"{version}+{digest.hexdigest()[:16]}"


def package_files(root: Path) -> list[str]:
    """The files under `root` (the package) as the wheel ships them, as sorted POSIX paths: not
    bytecode caches, hidden files or folders, or the data folders (`DATA_FOLDERS`)."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        top = rel == "."
        dirs[:] = [d for d in dirs if _shipped_folder(d, top)]
        found += [name if top else f"{rel}/{name}" for name in files if _shipped_file(name)]
    return sorted(found)


def _shipped_folder(name: str, top: bool) -> bool:
    return not (name.startswith(".") or name == "__pycache__" or (top and name in DATA_FOLDERS))


def _shipped_file(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1] not in _NOT_SHIPPED
