"""The report's appendix of ids: the reader's text names things in words (`toolkit.pack.names`); an
analyst who edits the pack, reads a tooltip or calls the command line needs the ids behind them.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from toolkit.pack.load import Pack
from toolkit.pack.names import names
from toolkit.report.markdown import table

# the frames a reader meets in the report, what their rows are, and the column that says what a row is
ID_FRAMES: Final = (
    ("scenarios", "scenario", "description"),
    ("phases", "deployment phase", None),
    ("tech_tiers", "technology tier", None),
    ("technologies", "technology", None),
    ("response_tiers", "response tier", None),
    ("claims", "claim", "statement"),
    ("indicators", "indicator", "description"),
    ("parameters", "model parameter", None),
    ("yardstick", "ICD 203 band", None),
)


def describe_ids(pack: Pack) -> str:
    """Every id of those frames, in the pack's order: what it is, and its words in the report (with
    the row's statement or description where its words are only the id made readable)."""
    words = names(pack)
    rows = []
    for frame_name, kind, detail in ID_FRAMES:
        frame = pack.frames[frame_name]
        for row in frame.with_columns(pl.col("id").cast(pl.String)).iter_rows(named=True):
            shown = words.get(row["id"], row["id"])
            if detail and row.get(detail):
                shown = f"{shown}: {row[detail]}" if frame_name != "claims" else row[detail]
            rows.append((row["id"], kind, shown))
    return table(["id", "what", "in the report's words"], rows)
