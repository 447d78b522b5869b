"""The tracker's pack data: indicator diagnostics, the Admiralty table, the observation log.

Logs here are ILLUSTRATIVE: invented observations that exercise the checks, not real reports.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest
import yaml

from toolkit.errors import PackError
from toolkit.pack.load import Pack, check_pack, load_pack
from toolkit.pack.observations import read_log

from .conftest import ROOT

STORY = ROOT / "tests" / "fixtures" / "tracker" / "story.yaml"

GOOD = {
    "id": "o_illustrative",
    "observed": "2024-11-04",
    "reported": "2024-11-05",
    "indicator": "i_westward_transport",
    "source": "Illustrative source",
    "reliability": "B",
    "credibility": 2,
}


def write_log(pack_dir: Path, *records: dict[str, object]) -> None:
    (pack_dir / "observations.yaml").write_text(
        yaml.safe_dump({"observations": list(records)}, sort_keys=False), encoding="utf-8"
    )


def problems_of(pack_dir: Path) -> list[str]:
    return [str(p) for p in check_pack(pack_dir)]


def test_default_pack_tracker_data(pack: Pack) -> None:
    assert pack.observations.height == 0  # the shipped log is empty: nothing invented
    assert (ROOT / "seeds" / "observations.yaml").is_file()
    diag = pack.diagnostics
    assert diag["indicator"].n_unique() == pack.indicators.height == 14
    assert diag.height == 14 * pack.phases.height
    # each indicator is most likely seen in its own phase
    own = dict(zip(pack.indicators["id"], pack.indicators["phase"].cast(str), strict=True))
    for ind, group in diag.group_by("indicator"):
        top = group["p_seen"].max()
        assert group.filter(group["phase"].cast(str) == own[ind[0]])["p_seen"].item() == top
    # every diagnostic and every grade carries its rationale as an assumption
    sources = pack.sources.filter(pack.sources["kind"] == "assumption")
    records = set(sources["record"])
    assert {f"{i}.diagnostic" for i in own} <= records
    assert {"reliability.F", "credibility.6"} <= records
    adm = pack.admiralty
    assert adm["grade"].to_list() == [*"ABCDEF", *"123456"]
    trust = dict(zip(adm["scale"] + adm["grade"], adm["trust"], strict=True))
    # cannot be judged: little weight, but more than a source known to be unreliable
    assert trust["reliabilityF"] < trust["reliabilityC"]
    assert trust["reliabilityF"] > trust["reliabilityE"]
    assert all(len(c) > 0 for c in pack.indicators["cues"])


def test_illustrative_log_loads_in_a_pack(pack_dir: Path) -> None:
    log = yaml.safe_load(STORY.read_text())["observations"]
    write_log(pack_dir, *log)
    loaded = load_pack(pack_dir)
    obs = loaded.observations
    assert obs.height == len(log)
    row = obs.row(by_predicate=pl.col("id") == "o_camps_empty", named=True)
    assert row["present"] is False
    assert row["phase"] == "adaptation_training"
    assert row["trust"] == pytest.approx(0.8 * 0.6)
    assert str(row["precision"]) == "week"


def test_empty_list_and_missing_file_are_an_empty_log(pack_dir: Path) -> None:
    (pack_dir / "observations.yaml").write_text("observations: []\n")
    assert load_pack(pack_dir).observations.height == 0
    (pack_dir / "observations.yaml").unlink()
    assert load_pack(pack_dir).observations.height == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"indicator": "i_nope"},
            "observations.yaml [o_illustrative] indicator: unknown indicator id (value: 'i_nope')",
        ),
        (
            {"transferred": "icbm"},
            "observations.yaml [o_illustrative]: an observation names exactly one of indicator, transferred, decided (got indicator, transferred)",
        ),
        (
            {"reported": "2024-11-01"},
            "observations.yaml [o_illustrative] reported: reported 2024-11-01 is before observed 2024-11-04",
        ),
        ({"reliability": "G"}, "observations.yaml [o_illustrative] reliability:"),
        ({"credibility": 7}, "observations.yaml [o_illustrative] credibility:"),
        (
            {"observed": "2024-10-01", "reported": "2024-10-02"},
            "observations.yaml [o_illustrative] observed: before the pack's start date 2024-10-27",
        ),
        ({"precision": "year"}, "observations.yaml [o_illustrative] precision:"),
        ({"quote": "troops moved"}, "a quote needs `text`"),
        (
            {"text": "../article.txt"},
            "observations.yaml [o_illustrative] text: a path relative to the pack",
        ),
        (
            {"text": "texts/missing.txt"},
            "observations.yaml [o_illustrative] text: text file not found under the pack (value: 'texts/missing.txt')",
        ),
        ({"present": "perhaps"}, "observations.yaml [o_illustrative] present:"),
        (
            {"colour": "red"},
            "observations.yaml [o_illustrative] colour: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_observations_get_one_line_each(
    pack_dir: Path, change: dict[str, object], expected: str
) -> None:
    write_log(pack_dir, GOOD | change)
    problems = problems_of(pack_dir)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected) or expected in problems[0], problems[0]


def test_decided_targets_a_tier_the_model_can_decide(pack_dir: Path) -> None:
    record = {k: v for k, v in GOOD.items() if k != "indicator"}
    write_log(pack_dir, record | {"decided": "personnel_troops"})
    assert problems_of(pack_dir) == [
        "observations.yaml [o_illustrative] decided: the tier is ruled_out in responses.yaml: the "
        "model cannot represent its decision (value: 'personnel_troops')"
    ]


def test_quote_is_found_verbatim_in_its_text(pack_dir: Path) -> None:
    (pack_dir / "texts").mkdir()
    (pack_dir / "texts" / "illustrative.txt").write_text(
        "ILLUSTRATIVE. Troop trains were seen heading west.\n", encoding="utf-8"
    )
    quoted = GOOD | {"text": "texts/illustrative.txt"}
    write_log(pack_dir, quoted | {"quote": "Troop trains were seen heading west"})
    obs = load_pack(pack_dir).observations
    assert (obs["quote_start"][0], obs["quote_end"][0]) == (14, 49)
    write_log(pack_dir, quoted | {"quote": "Troop trains were seen heading east"})
    assert problems_of(pack_dir) == [
        "observations.yaml [o_illustrative] quote: quote not found verbatim in "
        "texts/illustrative.txt (value: 'Troop trains were seen heading east')"
    ]


def test_a_text_that_links_out_of_the_pack_is_refused(pack_dir: Path, tmp_path: Path) -> None:
    """A symbolic link under texts/ to a file outside the pack is no source inside the pack (a bug
    hunt found a quote checked against /etc/passwd); a link that stays inside is fine."""
    outside = tmp_path / "outside.txt"
    outside.write_text("ILLUSTRATIVE. Troop trains were seen heading west.\n", encoding="utf-8")
    (pack_dir / "texts").mkdir()
    (pack_dir / "texts" / "out.txt").symlink_to(outside)
    write_log(pack_dir, GOOD | {"text": "texts/out.txt", "quote": "Troop trains"})
    assert problems_of(pack_dir) == [
        "observations.yaml [o_illustrative] text: a link out of the pack: the text must be inside "
        "it (value: 'texts/out.txt')"
    ]
    (pack_dir / "texts" / "in.txt").write_bytes(outside.read_bytes())
    (pack_dir / "texts" / "link.txt").symlink_to(pack_dir / "texts" / "in.txt")
    write_log(pack_dir, GOOD | {"text": "texts/link.txt", "quote": "Troop trains"})
    assert problems_of(pack_dir) == []


def test_observations_need_the_grading_table(pack_dir: Path) -> None:
    (pack_dir / "admiralty.yaml").unlink()
    assert load_pack(pack_dir).observations.height == 0  # no log, no table: fine
    write_log(pack_dir, GOOD)
    assert problems_of(pack_dir) == [
        "observations.yaml [o_illustrative] reliability: the pack has no admiralty.yaml (value: 'B')"
    ]


def test_duplicate_observation_ids(pack_dir: Path) -> None:
    write_log(pack_dir, GOOD, GOOD)
    assert problems_of(pack_dir) == [
        "observations.yaml [o_illustrative] id: duplicate id in observations (value: 'o_illustrative')"
    ]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_diagnostic_checks(pack_dir: Path) -> None:
    ind = pack_dir / "indicators.yaml"
    _edit(ind, "        westward_movement: 0.15\n", "        westward_movement: 0.75\n")
    assert problems_of(pack_dir) == [
        "indicators.yaml [i_training_in_far_east] diagnostic.seen_given_phase.adaptation_training: "
        "an indicator is most likely seen in its own phase; higher in westward_movement (value: 0.6)"
    ]
    _edit(ind, "        westward_movement: 0.75\n", "        westward: 0.15\n")
    problems = problems_of(pack_dir)
    assert problems[0] == (
        "indicators.yaml [i_training_in_far_east] diagnostic.seen_given_phase.westward: unknown "
        "phase id (value: 'westward')"
    )
    assert "give seen_otherwise" in problems[1]


def test_diagnostic_seen_otherwise_fills_phases(pack_dir: Path) -> None:
    ind = pack_dir / "indicators.yaml"
    _edit(
        ind,
        "        westward_movement: 0.15\n        rear_support: 0.1\n",
        "",
    )
    _edit(
        ind,
        "      assumption: >-\n        Training in",
        "      seen_otherwise: 0.1\n      assumption: >-\n        Training in",
    )
    diag = load_pack(pack_dir).diagnostics.filter(indicator="i_training_in_far_east")
    p = dict(zip(diag["phase"].cast(str), diag["p_seen"], strict=True))
    assert p["westward_movement"] == p["rear_support"] == 0.1
    assert diag.filter(phase="rear_support")["listed"].item() is False


def test_admiralty_checks(pack_dir: Path) -> None:
    adm = pack_dir / "admiralty.yaml"
    _edit(adm, "    trust: 0.6\n", "    trust: 0.9\n")  # C above B
    assert problems_of(pack_dir) == [
        "admiralty.yaml [reliability.C] trust: a weaker grade may not be trusted more than B (0.8) "
        "(value: 0.9)"
    ]
    _edit(adm, "  - grade: B\n", "  - grade: G\n")
    assert any("admiralty.yaml [#2] grade:" in p for p in problems_of(pack_dir))


def test_a_log_file_as_yaml_or_csv(pack: Pack, tmp_path: Path) -> None:
    rows = read_log(pack, STORY)
    assert [r["id"] for r in rows][:2] == ["o_westward_trains", "o_near_border"]
    fields = ["id", "observed", "precision", "reported", "indicator", "transferred", "decided",
              "present", "source", "reliability", "credibility", "quote", "text", "url", "note"]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for rec in yaml.safe_load(STORY.read_text())["observations"]:
        writer.writerow({k: ("false" if v is False else v) for k, v in rec.items()})
    path = tmp_path / "story.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    from_csv = read_log(pack, path)
    assert from_csv == rows
    path.write_text(out.getvalue().replace(",B,2,", ",B,9,", 1), encoding="utf-8")
    with pytest.raises(PackError) as err:
        read_log(pack, path)
    assert str(err.value).startswith(f"{path} [o_near_border] credibility:")


def test_a_log_file_with_an_impossible_date_a_repeated_key_or_a_bom(
    pack: Pack, tmp_path: Path
) -> None:
    """A log given on the command line is read like the pack's own: an impossible date is the
    record's problem (it was a traceback), a key given twice is refused (the last one won: `present:
    false` silently replaced `present: true`), and a spreadsheet's byte-order mark is no part of the
    first field's name (found in a bug hunt)."""
    path = tmp_path / "log.yaml"
    record = "\n".join(f"    {k}: {v}" for k, v in GOOD.items())
    path.write_text(
        f"observations:\n  - {record.strip()}\n".replace("2024-11-04", "2025-02-29"),
        encoding="utf-8",
    )
    with pytest.raises(PackError) as err:
        read_log(pack, path)
    assert str(err.value).startswith(f"{path} [o_illustrative] observed:")
    assert "2025-02-29" in str(err.value)
    path.write_text(
        f"observations:\n  - {record.strip()}\n    present: true\n    present: false\n",
        encoding="utf-8",
    )
    with pytest.raises(PackError) as err:
        read_log(pack, path)
    assert "duplicate key" in str(err.value)
    assert "\n" not in str(err.value)
    csv_path = tmp_path / "log.csv"
    csv_path.write_text(
        ",".join(GOOD) + "\n" + ",".join(str(v) for v in GOOD.values()) + "\n",
        encoding="utf-8-sig",
    )
    assert [r["id"] for r in read_log(pack, csv_path)] == ["o_illustrative"]


def test_a_text_over_the_size_limit_is_refused_unread(pack_dir: Path) -> None:
    """A source text longer than MAX_TEXT_BYTES (a dump, a binary by mistake) is one problem naming
    the file and both sizes, refused before it is read (a sparse file: nothing is written)."""
    from toolkit.pack.observations import MAX_TEXT_BYTES

    (pack_dir / "texts").mkdir()
    big = pack_dir / "texts" / "big.txt"
    with big.open("wb") as out:
        out.truncate(MAX_TEXT_BYTES + 1)
    write_log(pack_dir, GOOD | {"text": "texts/big.txt", "quote": "Troop trains"})
    assert problems_of(pack_dir) == [
        f"observations.yaml [o_illustrative] text: longer than {MAX_TEXT_BYTES:,} bytes "
        f"({MAX_TEXT_BYTES + 1:,}) (value: 'texts/big.txt')"
    ]
    with big.open("r+b") as out:
        out.truncate(MAX_TEXT_BYTES)  # at the limit: read, and the quote is looked for
    assert problems_of(pack_dir) == [
        "observations.yaml [o_illustrative] quote: quote not found verbatim in texts/big.txt "
        "(value: 'Troop trains')"
    ]


def test_a_csv_row_with_cells_past_the_header_is_refused(pack: Pack, tmp_path: Path) -> None:
    """Two CSV records run together on one line were read as the first alone: the second was
    dropped without a word (found in a bug hunt). Surplus cells are a problem naming the line;
    empty trailing cells, as spreadsheets pad rows, are not."""
    from toolkit.pack.observations import read_log

    header = "id,observed,precision,reported,indicator,present,source,reliability,credibility"
    a = "o_a,2024-11-04,day,2024-11-05,i_westward_transport,true,S,B,2"
    b = "o_b,2024-11-10,day,2024-11-11,i_on_active_battlefields,true,S,B,2"
    run = tmp_path / "run.csv"
    run.write_text(f"{header}\n{a},{b}\n", encoding="utf-8")
    with pytest.raises(PackError) as caught:
        read_log(pack, run)
    assert [str(p) for p in caught.value.problems] == [
        f"{run} [line 2]: 18 cells, the header has 9 (two rows run together?) (value: '{b}')"
    ]
    padded = tmp_path / "padded.csv"
    padded.write_text(f"{header}\n{a},,,\n{b}\n", encoding="utf-8")
    assert [row["id"] for row in read_log(pack, padded)] == ["o_a", "o_b"]
