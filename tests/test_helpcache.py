"""`toolkit --help` from the cache (toolkit.cli.helpcache): the same bytes typer prints, without
typer, and a new rendering whenever the code, the width or the request differ."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.cache import CACHE_ENV
from toolkit.cli import helpcache

# Runs the launcher in a new process and says afterwards whether typer was imported.
PROBE = (
    "import sys\n"
    "from toolkit.cli.launch import main\n"
    "sys.argv = ['toolkit', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as done:\n"
    "    sys.stderr.write(f'exit={done.code} typer={\"typer\" in sys.modules}')\n"
)


def launch(args: list[str], cache: Path, columns: int = 100) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **{CACHE_ENV: str(cache), "COLUMNS": str(columns)})
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize("args", [["--help"], ["simulate", "--help"], ["report", "--help"]])
def test_second_help_is_typers_text_without_typer(tmp_path: Path, args: list[str]) -> None:
    first = launch(args, tmp_path)
    second = launch(args, tmp_path)
    assert first.stderr.endswith("exit=0 typer=True")
    assert second.stderr.endswith("exit=0 typer=False")
    assert second.stdout == first.stdout
    env = dict(os.environ, COLUMNS="100")
    typer_itself = [
        sys.executable,
        "-c",
        "from toolkit.cli.app import app; app(prog_name='toolkit')",
        *args,
    ]
    expected = subprocess.run(typer_itself, capture_output=True, text=True, env=env, check=True)
    assert first.stdout == expected.stdout


def test_python_dash_m_is_another_program(tmp_path: Path) -> None:
    launch(["--help"], tmp_path)  # saved as `toolkit --help`
    env = dict(os.environ, **{CACHE_ENV: str(tmp_path), "COLUMNS": "100"})
    for _ in range(2):  # rendered, then from the cache
        done = subprocess.run(
            [sys.executable, "-m", "toolkit", "--help"],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        assert done.stdout.startswith("Usage: python -m toolkit [OPTIONS]")


def test_another_width_renders_again(tmp_path: Path) -> None:
    launch(["--help"], tmp_path, columns=100)
    narrow = launch(["--help"], tmp_path, columns=60)
    assert narrow.stderr.endswith("exit=0 typer=True")
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60


def test_a_failed_help_is_not_saved(tmp_path: Path) -> None:
    for _ in range(2):
        done = launch(["nosuchcommand", "--help"], tmp_path)
        assert done.stderr.endswith("exit=2 typer=True")
        assert "No such command 'nosuchcommand'" in done.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("help-")] == []


def test_only_plain_help_requests_are_served() -> None:
    assert helpcache.is_help_request(["--help"])
    assert helpcache.is_help_request(["simulate", "--help"])
    for argv in ([], ["simulate"], ["--version"], ["simulate", "--help", "x"], ["-x", "--help"]):
        assert not helpcache.is_help_request(argv), argv


def test_an_edited_source_file_changes_the_key(tmp_path: Path) -> None:
    source = tmp_path / "pkg" / "mod.py"
    source.parent.mkdir()
    source.write_text("x = 1\n")
    before = helpcache._stamp(str(source.parent))
    source.write_text("x = 22\n")
    after = helpcache._stamp(str(source.parent))
    assert after != before  # another size
    os.utime(source, ns=(1, 1))
    assert helpcache._stamp(str(source.parent)) != after  # the same size, another mtime


def test_a_stale_or_torn_entry_is_a_miss(tmp_path: Path) -> None:
    entry = tmp_path / "help.txt"
    entry.write_text("other key\0\nold help\n", encoding="utf-8")
    assert helpcache._read(str(entry), "this key") is None
    entry.write_text("no separator", encoding="utf-8")
    assert helpcache._read(str(entry), "no separator") is None
    helpcache._write(str(entry), "this key", "new help\n")
    assert helpcache._read(str(entry), "this key") == "new help\n"


def test_a_code_edit_replaces_the_entry_instead_of_adding_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "pkg" / "mod.py"
    source.parent.mkdir()
    source.write_text("x = 1\n")
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setattr(helpcache, "_source_roots", lambda: iter([str(source.parent)]))
    rendered: list[str] = []

    def serve(text: str) -> None:
        def render() -> None:
            rendered.append(text)
            print(text)
            raise SystemExit(0)

        with pytest.raises(SystemExit):
            helpcache.serve_help(["--help"], render)

    serve("help of version 1")
    serve("not rendered: served from the cache")
    source.write_text("x = 22\n")  # a code edit: the key changes, the request does not
    serve("help of version 2")
    assert rendered == ["help of version 1", "help of version 2"]
    entries = list(cache.rglob("help-*"))
    assert len(entries) == 1
    assert entries[0].read_text(encoding="utf-8").endswith("\0\nhelp of version 2\n")
