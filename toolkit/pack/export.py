"""Show and export a pack's frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import ToolkitError, shown
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


def export_frames(pack: Pack, out: Path, fmt: str) -> list[Path]:
    """Write every frame to `out/NAME.FORMAT`; each file is written whole or not at all."""
    check_format(fmt)
    check_output_dir(out, "frames directory")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in pack.frames.items():
        target = out / f"{name}.{fmt}"
        with atomic_path(target) as tmp:
            if fmt == "parquet":
                frame.write_parquet(tmp)
            elif fmt == "json":
                frame.write_json(tmp)
            else:
                flat = frame.with_columns(
                    pl.col(c).list.join("; ")
                    for c, dtype in frame.schema.items()
                    if isinstance(dtype, pl.List)
                )
                flat.write_csv(tmp)
        written.append(target)
    return written
