"""`toolkit --help` and `toolkit COMMAND --help` from a cache, without loading the CLI framework.

Building the typer app (importing typer and click, then inspecting every command's signature) is
most of `toolkit --help`'s start-up, and its output is fully determined by the code and the terminal
width. So the first time, the help is rendered by typer as usual and its text saved in the toolkit's
cache; from then on, the same request with the same code and width prints the saved text, byte for
byte, with the standard library only.

The saved text is keyed by: the arguments; the program name (click's usage line says `toolkit` or
`python -m toolkit`); the width click would format to (`$COLUMNS`, else the terminal's, as
`shutil.get_terminal_size` reads them); the environment variables click and typer read; the Python
version; and the size and modification time of every `toolkit/**/*.py` file and of typer's and
click's sources (the test Python itself uses for stale bytecode). An edited command, an
upgraded typer or a wider terminal is a miss and renders again. Only a help that exits 0 with nothing
on stderr is saved; a cache that cannot be read or written only means typer renders it.

A file is named after the request alone (arguments, program, width, environment, Python), and holds
the whole key: after a code edit, the new rendering replaces the old one in the same file, so the
cache holds one file per request ever made, not one per request and version of the code.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence

from toolkit.cachedir import cache_root

HELP_FLAG = "--help"
ENV_PREFIXES = ("TYPER", "_TYPER", "CLICK", "_CLICK")
ENV_NAMES = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "LANG", "LC_ALL", "LC_CTYPE")
SOURCE_PACKAGES = ("typer", "click")


def is_help_request(argv: Sequence[str]) -> bool:
    """`--help`, or `COMMAND --help` for a plain command name: the requests this module serves."""
    if list(argv) == [HELP_FLAG]:
        return True
    return len(argv) == 2 and argv[1] == HELP_FLAG and argv[0].isidentifier()


def serve_help(argv: Sequence[str], render: Callable[[], None]) -> None:
    """Print the help `render()` prints for `argv`, from the cache when it holds this very request.

    `render` runs the CLI (which prints the help and exits through SystemExit); on a miss its output
    is captured, written to stdout and saved. Raises SystemExit with the CLI's exit status.
    """
    request = _request(argv)
    key = "\n".join([request, *(_stamp(root) for root in _source_roots())])
    path = os.path.join(cache_root(), f"help-{zlib.crc32(request.encode()):08x}.txt")
    cached = _read(path, key)
    if cached is not None:
        sys.stdout.write(cached)
        sys.stdout.flush()
        raise SystemExit(0)
    out, err = io.StringIO(), io.StringIO()
    status: object = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            render()
    except SystemExit as done:
        status = done.code
    finally:
        sys.stdout.write(out.getvalue())
        sys.stdout.flush()
        sys.stderr.write(err.getvalue())
    if status in (0, None) and not err.getvalue() and out.getvalue():
        _write(path, key, out.getvalue())
    raise SystemExit(status)


def _request(argv: Sequence[str]) -> str:
    """What was asked and what click formats it for: arguments, program, width, environment,
    Python; the code it was rendered from is the rest of the key (`_stamp`)."""
    env = sorted(
        f"{name}={value}"
        for name, value in os.environ.items()
        if name in ENV_NAMES or name.startswith(ENV_PREFIXES)
    )
    main = sys.modules.get("__main__")
    parts = [
        "\0".join(argv),
        # click's usage line names the program: `toolkit`, or `python -m toolkit`
        f"prog={os.path.basename(sys.argv[0])}:{getattr(main, '__package__', None)}",
        f"width={_terminal_columns()}",
        "\0".join(env),
        f"python={sys.version}",
    ]
    return repr(parts)


def _terminal_columns() -> int:
    """The columns `shutil.get_terminal_size()` reports (click formats to it), without importing
    shutil: $COLUMNS if a positive integer, else the terminal of stdout, else 80."""
    with contextlib.suppress(ValueError):
        columns = int(os.environ.get("COLUMNS", "0"))
        if columns > 0:
            return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _source_roots() -> Iterator[str]:
    yield os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the toolkit package
    for name in SOURCE_PACKAGES:
        for entry in sys.path:
            candidate = os.path.join(entry or ".", name)
            if os.path.isfile(os.path.join(candidate, "__init__.py")):
                yield os.path.abspath(candidate)
                break


def _stamp(root: str) -> str:
    """`root` and the size and mtime of each .py file under it, in a stable order."""
    stamps = [root]
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                with contextlib.suppress(OSError):
                    stat = os.stat(os.path.join(folder, name))
                    stamps.append(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(stamps)


def _read(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            saved_key, text = handle.read().split("\0\n", 1)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return text if saved_key == key else None


def _write(path: str, key: str, text: str) -> None:
    """Write the entry whole or not at all (a temporary file renamed); failures are ignored."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(f"{key}\0\n{text}")
        os.replace(tmp, path)
    with contextlib.suppress(OSError):
        os.unlink(tmp)
