"""Files: where the project's files are (and copying them into a working folder), checking an output
path before any work, writing a file whole or not at all with the mode the user's umask gives a new
file, and appending to a file durably without rewriting what it holds (the observation log)."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from toolkit.errors import OutputError

#: The installed `toolkit/` package directory.
PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The directory that holds `toolkit/`, `seeds/` and `notebooks/` in a clone."""
    return PACKAGE_DIR.parent


def data_dir(name: str, marker: str) -> Path:
    """The project's `name/` folder (`seeds`, `notebooks`): the clone's, next to `toolkit/`, when it
    holds `marker`; else the copy a wheel ships as package data, `toolkit/_<name>` (pyproject's
    force-include); else the clone's path, for the error message of whoever reads it."""
    for candidate in (project_root() / name, PACKAGE_DIR / f"_{name}"):
        if (candidate / marker).is_file():
            return candidate
    return project_root() / name


def _pack_files(pack: Path) -> list[Path]:
    """Every file of a pack, relative to it; hidden files, caches and checkpoints left out."""
    return sorted(
        path.relative_to(pack)
        for path in pack.rglob("*")
        if path.is_file()
        and not any(
            part.startswith(".") or part == "__pycache__" for part in path.relative_to(pack).parts
        )
    )


def init_workspace(folder: str | os.PathLike[str], pack: Path, notebooks: Path) -> list[Path]:
    """Copy `pack` to `folder/seeds/` and the notebooks (`notebooks/*.ipynb`) to `folder/notebooks/`,
    as files of the user's own (the umask's modes, whatever the source's). `folder` may not exist yet
    or be empty; anything else is a one-line OutputError and nothing is written. The copy is made in
    a hidden folder inside `folder` and renamed into place; on any failure what was made is removed.
    Returns the two folders made."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{str(target)!r} is a file; give a new or empty directory")
    if target.is_dir() and any(target.iterdir()):
        raise OutputError(f"{str(target)!r} exists and is not empty; give a new or empty directory")
    _probe(target, "init", target)
    parts = {
        "seeds": [(pack / rel, rel) for rel in _pack_files(pack)],
        "notebooks": [(nb, Path(nb.name)) for nb in sorted(notebooks.glob("*.ipynb"))],
    }
    existed = target.is_dir()
    target.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".toolkit-init-", dir=target))
    made: list[Path] = []
    try:
        for name, files in parts.items():
            (stage / name).mkdir()
            for source, rel in files:
                (stage / name / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, stage / name / rel)
            os.replace(stage / name, target / name)
            made.append(target / name)
        stage.rmdir()
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
        if not existed:
            shutil.rmtree(target, ignore_errors=True)
        if isinstance(exc, OSError):
            reason = exc.strerror or type(exc).__name__
            where = f" ({exc.filename})" if exc.filename else ""
            raise OutputError(f"init {str(target)!r}: {reason}{where}") from None
        raise
    return made


@functools.cache
def _umask() -> int:
    """The process umask, read without changing it (Linux) or by setting it back at once."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _probe(folder: Path, what: str, path: Path) -> None:
    """Fail unless files can be made in `folder`, or, if it does not exist yet, in its nearest
    existing ancestor (a probe file is written and removed; nothing is left behind)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{what} {str(path)!r} cannot be written: {str(existing)!r} is a file")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".toolkit-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(f"{what} {str(path)!r} cannot be written: {reason}") from None


def not_a_file(path: str | os.PathLike[str], *, pipes: bool = False) -> str | None:
    """Why `path` cannot be read as a file ("file not found", "is a directory", ...), or None if it
    can: a directory where a file belongs (a symlink to one included) is named as a directory, not
    taken for a missing file, which an optional file's reader would skip without a word. With
    `pipes`, a pipe is read as a file too (`--questions /dev/stdin`, `<(...)`: a review finding);
    a device is not (/dev/zero never ends)."""
    import stat

    path = Path(path)
    if path.is_file():
        return None
    if pipes:
        with contextlib.suppress(OSError):
            if stat.S_ISFIFO(path.stat().st_mode):
                return None
    if path.is_dir():
        return "is a directory"
    return "is not a regular file" if path.exists() else "file not found"


def check_output_file(path: str | os.PathLike[str], what: str = "--out") -> Path:
    """`path` as a file the toolkit can write, checked before any work and creating nothing: a
    directory, a path under a file or a read-only place raises a one-line OutputError naming it."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{what} {str(path)!r} is a directory; give a file name")
    _probe(path.parent, what, path)
    return path


def check_output_dir(path: str | os.PathLike[str], what: str = "--out") -> Path:
    """`path` as a directory the toolkit can write into (it may not exist yet), checked likewise."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{what} {str(path)!r} is a file; give a directory")
    _probe(path, what, path)
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside `path` to write to; when the block ends it is renamed over `path`
    (with `mode`, else 0666 less the umask, as a new file gets), and if the block raises it is
    removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` whole or not at all (synced to disk before the rename); `mode` as
    `atomic_path` takes it."""
    with atomic_path(path, mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def lock_dir(folder: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (a `.toolkit.lock` file in it) for the block, so two runs
    never write into one folder at once; a second one gets a one-line OutputError. The operating
    system releases the lock when the process ends, however it ends."""
    import fcntl

    with open(folder / ".toolkit.lock", "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"another {what} is writing into {str(folder)!r}; wait for it or choose another --out"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def hold_folders(*folders: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on each existing folder of `folders` for the block, waiting for any
    other holder: one `observe` at a time chooses an id, copies a source text and appends, so two
    cannot take the same id or remove a text copy the other's record names. Folders are locked in
    a fixed order (no deadlock between two holders of the same set); the operating system releases
    the locks when the process ends, however it ends. Nothing is written into the folders."""
    import fcntl

    paths = sorted({str(Path(f).resolve()) for f in folders if Path(f).is_dir()})
    with contextlib.ExitStack() as stack:
        for folder in paths:
            try:
                fd = os.open(folder, os.O_RDONLY)
            except FileNotFoundError:  # removed since: nothing of it to hold
                continue
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise OutputError(f"cannot lock {folder!r}: {reason}") from None
            stack.callback(os.close, fd)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield


OPEN_ATTEMPTS = 1_000  # a file removed or replaced this often while waiting is given up on


def _open_locked(path: Path) -> tuple[int, bool]:
    """`path` opened for appending and locked: (fd, whether this call created the file). A file
    another process removed while this one waited for its lock (a refused first append removes
    the file it created) is opened again, so nothing is appended to a file that is no longer there."""
    import fcntl

    for _attempt in range(OPEN_ATTEMPTS):
        try:
            fd, created = (
                os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o666),
                True,
            )
        except FileExistsError:
            try:
                fd, created = os.open(path, os.O_RDWR | os.O_APPEND), False
            except FileNotFoundError:
                if path.is_symlink():  # a link to nothing: O_EXCL refuses it, opening follows it
                    raise FileNotFoundError(
                        errno.ENOENT, "a symbolic link to a file that does not exist"
                    ) from None
                continue  # removed in between: create it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            here = os.stat(path)
        except FileNotFoundError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        mine = os.fstat(fd)
        if (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino):
            return fd, created
        os.close(fd)  # replaced while waiting: lock the file that is there now
    raise OSError(errno.EBUSY, "the file kept being removed or replaced while waiting for it")


class Rewrite(bytes):
    """What `append_durably`'s `make` returns to replace the file's whole content instead of
    appending: done under the same lock, whole or not at all, through a symbolic link to the file
    it names, with the file's mode kept (an empty log `observations: []` is reopened that way)."""


def _replace_locked(path: Path, fd: int, data: bytes) -> None:
    """Replace the file `fd` (open and locked at `path`) by `data`, atomically: a temporary file
    beside the file the path resolves to, the old mode, synced, renamed over it. A writer waiting
    for the old file's lock finds it replaced and opens the new one (`_open_locked`)."""
    import stat

    real = Path(os.path.realpath(path))
    write_atomic(real, data, mode=stat.S_IMODE(os.fstat(fd).st_mode))
    _sync_dir(real.parent)


def _sync_dir(folder: Path) -> None:
    """Sync `folder` itself to disk, so a file created or renamed in it stays after a crash."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def append_durably(path: str | os.PathLike[str], make: Callable[[bytes], bytes]) -> None:
    """Append to `path` (created if missing, mode from the umask) under an exclusive lock.

    `make(old)` gets the file's current bytes and returns the bytes to append, or raises to refuse
    (then nothing changes: a file this call created is removed again, before its lock is released,
    and a writer that waited for that lock opens the path afresh). The new bytes go after the
    existing ones, which are never rewritten, and are synced to disk before the call returns; if the
    write fails part-way, the file is cut back to its old length. A path that cannot be opened (its
    folder missing, a directory) is a one-line OutputError."""
    path = Path(path)
    try:
        fd, created = _open_locked(path)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(f"cannot append to {str(path)!r}: {reason}") from None
    try:
        size = os.fstat(fd).st_size
        old = os.pread(fd, size, 0) if size else b""
        try:
            data = make(old)
        except BaseException:
            if created and size == 0:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        if isinstance(data, Rewrite):
            _replace_locked(path, fd, data)
            return
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, size)
            os.fsync(fd)
            raise
        if created:
            _sync_dir(path.parent)
    finally:
        os.close(fd)  # releases the lock
