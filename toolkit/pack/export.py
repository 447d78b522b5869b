"""Show and export a pack's frames."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from toolkit.errors import OutputError, ToolkitError, shown
from toolkit.files import atomic_path, check_output_dir
from toolkit.pack.load import Pack
from toolkit.pack.schema import SCHEMAS

FORMATS = ("parquet", "csv", "json")


def describe_frames(pack: Pack) -> str:
    """A readable summary: the article, then one line per frame with its size and columns."""
    meta = pack.meta
    lines = [
        f"{meta.title}",
        f"pack {pack.path}  hash {pack.content_hash[:12]}  article {len(pack.text)} chars, "
        f"{len(pack.sentences)} sentences (residue stripped: {pack.residue.strip()!r})",
        "",
    ]
    width = max(len(name) for name in pack.frames)
    for name, frame in pack.frames.items():
        cols = ", ".join(frame.columns)
        if len(cols) > 80:
            cols = cols[:77] + "..."
        lines.append(f"{name:<{width}}  {frame.height:>4} rows  {cols}")
    sourced = pack.sources.group_by("kind").len().sort("kind")
    tally = ", ".join(f"{row['len']} {row['kind']}" for row in sourced.iter_rows(named=True))
    lines += ["", f"sources: {tally}"]
    return "\n".join(lines)


def print_frame(pack: Pack, name: str) -> None:
    """Print one frame in full."""
    if name not in pack.frames:
        raise ToolkitError(f"--show: no frame {shown(name)} (frames: {', '.join(pack.frames)})")
    frame = pack.frames[name]
    # text columns with a control character escaped: the article's own text is not checked for
    # them (it is kept byte-exact), and an escape sequence would act on the terminal
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    if text:
        frame = frame.with_columns(
            # the characters `toolkit.pack.records.base` refuses in free text, by Unicode category
            pl.col(c).str.replace_all(r"[\p{Cc}\p{Zl}\p{Zp}--[\t\n]]", "\ufffd")
            for c in text
        )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        print(frame)


def print_schemas() -> None:
    """Print every declared frame schema: column, dtype, meaning."""
    for name, columns in SCHEMAS.items():
        print(f"{name}")
        for column, dtype, meaning in columns:
            print(f"  {column:<22} {dtype:<18} {meaning}")


def check_format(fmt: str) -> None:
    """An export format the toolkit writes, or a one-line ToolkitError."""
    if fmt not in FORMATS:
        raise ToolkitError(f"--format: {shown(fmt)} is not one of {', '.join(FORMATS)}")


def check_export(out: Path, fmt: str, names: Iterable[str] = SCHEMAS) -> None:
    """A format the toolkit writes and a folder it can write every frame's file into (a file may be
    replaced; a folder or the like in its place is refused), or a one-line ToolkitError."""
    check_format(fmt)
    check_output_dir(out, "--out")
    for name in names:
        target = out / f"{name}.{fmt}"
        if target.exists() and not target.is_file():
            raise OutputError(f"--out {str(out)!r}: {target.name} is there and is not a file")


def export_frames(pack: Pack, out: Path, fmt: str) -> list[Path]:
    """Write every frame to `out/NAME.FORMAT`, all or none: every target is checked first (a folder
    in a file's place was a traceback after part of the export was written; found in a bug hunt),
    each frame goes to a temporary file, and they replace the targets only once all are written."""
    check_export(out, fmt, pack.frames)
    targets = {name: out / f"{name}.{fmt}" for name in pack.frames}
    out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        for name, frame in pack.frames.items():
            _write_frame(frame, stack.enter_context(atomic_path(targets[name])), fmt)
    return list(targets.values())


def _write_frame(frame: pl.DataFrame, path: Path, fmt: str) -> None:
    """One frame in `fmt` (CSV: list columns joined with "; ")."""
    if fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "json":
        frame.write_json(path)
    else:
        flat = frame.with_columns(
            pl.col(c).list.join("; ")
            for c, dtype in frame.schema.items()
            if isinstance(dtype, pl.List)
        )
        flat.write_csv(path)
