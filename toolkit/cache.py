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


@functools.cache
def code_fingerprint() -> str:
    """The toolkit's version and a digest of its Python sources (`toolkit/**/*.py`): two processes
    with the same fingerprint run the same code."""
    import sys

    root = Path(__file__).resolve().parent  # the toolkit package, imported before this module
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel or rel.startswith("_"):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    version = getattr(sys.modules.get("toolkit"), "__version__", "unknown")
    return f"{version}+{digest.hexdigest()[:16]}"
