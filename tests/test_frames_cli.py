"""`toolkit frames`: summary, one frame, schemas, and exports that read back the same."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from toolkit.cli.app import app
from toolkit.pack.load import Pack
from toolkit.pack.schema import SCHEMAS

from .conftest import ROOT

runner = CliRunner()


def test_summary_lists_every_frame(pack: Pack) -> None:
    result = runner.invoke(app, ["frames"])
    assert result.exit_code == 0, result.output
    for name, frame in pack.frames.items():
        assert f"{name} " in result.output
        assert f"{frame.height:>4} rows" in result.output
    assert "residue stripped: 'Most Commented'" in result.output


def test_show_one_frame_and_unknown_frame() -> None:
    shown = runner.invoke(app, ["frames", "--show", "technologies"])
    assert shown.exit_code == 0
    assert "air_defence" in shown.output
    bad = runner.invoke(app, ["frames", "--show", "nope"])
    assert bad.exit_code == 2
    assert bad.output.strip().startswith("error: --show: no frame 'nope'")


def test_schema_lists_declared_columns() -> None:
    result = runner.invoke(app, ["frames", "--schema"])
    assert result.exit_code == 0
    assert "enum:phase" in result.output
    assert result.output.count("\n") > sum(len(c) for c in SCHEMAS.values())


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_export_reads_back(pack: Pack, tmp_path: Path, fmt: str) -> None:
    result = runner.invoke(app, ["frames", "--out", str(tmp_path), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(pack.frames)
    claims = pack.claims
    if fmt == "parquet":
        back = pl.read_parquet(tmp_path / "claims.parquet")
        assert back.equals(
            claims.with_columns(pl.col(c).cast(back.schema[c]) for c in back.columns)
        )
    elif fmt == "csv":
        back = pl.read_csv(tmp_path / "claims.csv")
        assert back["evidence"].to_list() == claims["evidence"].to_list()
        assert back["about"][0] == "; ".join(claims["about"][0])
    else:
        rows = json.loads((tmp_path / "claims.json").read_text(encoding="utf-8"))
        assert [r["id"] for r in rows] == claims["id"].to_list()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_format_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["frames", "--out", str(tmp_path), "--format", "xlsx"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --format: 'xlsx' is not one of parquet, csv, json"


def test_notebooks_are_committed_stripped() -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], path.name
                assert cell["execution_count"] is None, path.name


def test_frames_show_prints_control_characters_of_the_article_escaped(
    pack_dir: Path, tmp_path: Path
) -> None:
    """The article is kept byte-exact, so its text is not checked for control characters: `frames
    --show sentences` printed an escape sequence in it raw to the terminal (found in review)."""
    article = pack_dir / "article.txt"
    text = article.read_text(encoding="utf-8")
    marker = "The official noted that"
    assert marker in text
    article.write_text(
        text.replace(marker, "Extra sentence \x1b]0;OWNED\x07here. " + marker, 1), encoding="utf-8"
    )
    done = CliRunner().invoke(app, ["frames", "--pack", str(pack_dir), "--show", "sentences"])
    assert done.exit_code == 0, done.output
    assert "\x1b" not in done.stdout
    assert "\x07" not in done.stdout


def test_export_is_all_or_nothing_when_a_target_is_a_folder(tmp_path: Path) -> None:
    """A folder named like one of the frames' files (sources.csv) was a traceback after 24 of the 25
    frames were written, over what was there (found in a bug hunt): it is one line, before anything
    is written, and an export that fails while writing replaces nothing."""
    out = tmp_path / "frames"
    (out / "sources.csv").mkdir(parents=True)
    (out / "entities.csv").write_text("kept\n", encoding="utf-8")
    result = runner.invoke(app, ["frames", "--out", str(out), "--format", "csv"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: --out {str(out)!r}: sources.csv is there and is not a file"
    )
    assert sorted(p.name for p in out.iterdir()) == ["entities.csv", "sources.csv"]
    assert (out / "entities.csv").read_text(encoding="utf-8") == "kept\n"


def test_export_failing_midway_replaces_nothing(
    pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.pack import export

    (tmp_path / "entities.csv").write_text("kept\n", encoding="utf-8")
    real = export._write_frame
    calls = []

    def fail_on_the_third(frame: object, path: Path, fmt: str) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(frame, path, fmt)  # type: ignore[arg-type]

    monkeypatch.setattr(export, "_write_frame", fail_on_the_third)
    with pytest.raises(OSError, match="No space left"):
        export.export_frames(pack, tmp_path, "csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entities.csv"]
    assert (tmp_path / "entities.csv").read_text(encoding="utf-8") == "kept\n"
