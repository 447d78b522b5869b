"""The private temporary directories of report kernels: made named after their owner, and removed
when a run killed before it could clean up (SIGTERM, SIGKILL) left one behind.

`make_private_dir()` makes `toolkit-kernel-<pid>-…` in the temporary directory and locks its
`owner.lock` for as long as the owner keeps the returned descriptor open (the lock dies with the
process, however it ends). `remove_stale_dirs()`, called before a kernel makes its directory, removes
the user's directories whose owner is gone: pid not running and lock free. A live run's directory is
never removed.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile

DIR_PREFIX = "toolkit-kernel-"
OWNER_LOCK = "owner.lock"  # held (flock) by the owning process while its directory is in use
_DIR_NAME = re.compile(re.escape(DIR_PREFIX) + r"(?P<pid>[0-9]+)-[a-z0-9_]+")  # mkdtemp's letters


def make_private_dir() -> tuple[str, int | None]:
    """A new private directory named after this process, and the descriptor holding its lock (None
    where locks are unavailable; closing it releases the lock)."""
    path = tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-")
    return path, _hold_lock(os.path.join(path, OWNER_LOCK))


def remove_stale_dirs() -> list[str]:
    """Remove the private directories of kernels whose run was killed before it could clean up
    (SIGTERM, SIGKILL): in the temporary directory, named `toolkit-kernel-<pid>-…`, owned by this user,
    whose process is not running and whose lock nobody holds. Returns the paths removed.

    A live run's directory is never removed: its pid is running, and its lock is held even where the
    pid means nothing (a run in another pid namespace sharing the temporary directory). A directory
    whose pid was reused by another process stays until that process ends.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return removed
    for entry in entries:
        match = _DIR_NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        if _running(int(match["pid"])) or _locked(os.path.join(entry.path, OWNER_LOCK)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.path)
    return removed


def _running(pid: int) -> bool:
    """Whether process `pid` exists (a zombie counts; another user's process counts)."""
    if pid <= 0:  # kill(0, ...) would signal our own process group
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):  # no such pid can exist
        return False
    return True


def _hold_lock(path: str) -> int | None:
    """Create and lock `path`; the returned fd keeps the lock (closing it releases it)."""
    try:
        import fcntl

        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except (ImportError, OSError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _locked(path: str) -> bool:
    """Whether another open file holds the lock on `path` (a missing file is not locked)."""
    try:
        import fcntl

        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except (ImportError, OSError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # releases ours, if we got it
    return False
