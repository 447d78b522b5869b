"""`toolkit validate`'s verdict on a pack it found valid, remembered (as the engine's checks are:
`toolkit.engine.check`), so an analyst who runs it again on the same pack waits for nothing new.

The key is everything the verdict rests on: the pack's folder (resolved), a digest of every file and
folder under it (names, link targets and bytes: any edit, added draft or replaced file is a new key)
and the toolkit's code (`toolkit.cache.code_fingerprint`). The date checks ("reported after today")
only grow more lenient as days pass, so a pack valid yesterday is valid today. Only a valid verdict
is remembered, and only when the pack's digest is the same after the checks as before them (an
edit while they ran is checked the next time). A pack whose files cannot all be read, or one larger
than `MAX_DIGEST_BYTES`, is always checked in full.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from toolkit.cache import cache_dir, code_fingerprint, write_atomic_text

MAX_DIGEST_BYTES = 64 * 2**20  # more than this under the pack: no memo (hashing would cost more)


def pack_digest(pack: Path) -> str | None:
    """A digest of every entry under `pack` (never following a link to a folder), or None if the
    folder or one of its files cannot be read, or it holds more than `MAX_DIGEST_BYTES`."""
    digest = hashlib.sha256()
    total = 0
    try:
        if not pack.is_dir():
            return None
        for folder, dirs, files in os.walk(pack, onerror=_raise):
            dirs.sort()
            rel = Path(folder).relative_to(pack).as_posix()
            for name in dirs:
                entry = Path(folder, name)
                target = os.readlink(entry) if entry.is_symlink() else ""
                digest.update(f"d\0{rel}/{name}\0{target}\0".encode())
            for name in sorted(files):
                entry = Path(folder, name)
                target = os.readlink(entry) if entry.is_symlink() else ""
                if entry.is_file():
                    total += entry.stat().st_size  # before reading: never a huge file whole
                    if total > MAX_DIGEST_BYTES:
                        return None
                    data = entry.read_bytes()
                else:
                    data = b"(not a regular file)"  # a pipe or a device is never read
                digest.update(f"f\0{rel}/{name}\0{target}\0{len(data)}\0".encode() + data)
    except (OSError, UnicodeError):
        return None
    return digest.hexdigest()


def _raise(error: OSError) -> None:
    raise error


def _mark(pack: Path, digest: str) -> Path:
    key = f"{pack.resolve()}\0{digest}\0{code_fingerprint()}"
    return cache_dir() / f"pack-valid-{hashlib.sha256(key.encode()).hexdigest()[:24]}"


def remembered(pack: Path, digest: str | None) -> str | None:
    """The valid line's text after "PACK: " remembered for this pack, digest and code, or None."""
    if digest is None:
        return None
    try:
        return _mark(pack, digest).read_text(encoding="utf-8") or None
    except (OSError, UnicodeError):
        return None


def remember(pack: Path, digest: str | None, verdict: str) -> None:
    """Remember `verdict` (the valid line after "PACK: ") if the pack is still as `digest` says."""
    if digest is None or pack_digest(pack) != digest:
        return
    with contextlib.suppress(OSError):  # a read-only cache costs a full check next time
        write_atomic_text(_mark(pack, digest), verdict)


def remembered_line(argv: list[str]) -> str | None:
    """The line `toolkit validate` prints for `argv` when it is a plain `validate`, `validate --pack
    DIR` or `validate --pack=DIR` (DIR not empty, not starting with `-`) and the verdict is
    remembered; else None (the command runs). The launcher prints it without loading typer, whose
    parsing alone (a pydantic TypeAdapter per option) took longer than the rest of a repeated
    validate."""
    if not argv or argv[0] != "validate" or len(argv) > 3:
        return None
    rest = argv[1:]
    if not rest:
        from toolkit.pack.summary import default_pack_path

        pack = default_pack_path()
    else:
        if len(rest) == 1 and rest[0].startswith("--pack="):
            value = rest[0].removeprefix("--pack=")
        elif len(rest) == 2 and rest[0] == "--pack":
            value = rest[1]
        else:
            return None
        if not value or value.startswith("-"):
            return None
        pack = Path(value)
    verdict = remembered(pack, pack_digest(pack))
    return None if verdict is None else f"{pack}: {verdict}"
