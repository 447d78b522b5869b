"""A hostile or broken pack gets the toolkit's own one-line errors, never a traceback or a hang
(issue 10, items 1, 6, 7, 10, 11, 13b, 15b)."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

import toolkit
from toolkit.cli.app import app
from toolkit.errors import PackError, Problem
from toolkit.pack.load import load_pack

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD = 300  # seconds: only a guard against a hang, not a speed requirement


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def problems(pack_dir: Path) -> list[Problem]:
    with pytest.raises(PackError) as info:
        load_pack(pack_dir)
    return info.value.problems


def validate(pack_dir: Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["validate", "--pack", str(pack_dir)])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output.strip().splitlines()


def _limit_memory() -> None:
    # A runaway expansion fails with MemoryError instead of taking the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def run_isolated(*args: str) -> subprocess.CompletedProcess[str]:
    """Run Python in a fresh process with bounded memory and a generous hang guard."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=ROOT,
        preexec_fn=_limit_memory,
        check=False,
    )


LOAD = """
import sys
from toolkit.errors import PackError
from toolkit.pack.load import load_pack
try:
    load_pack(sys.argv[1])
except PackError as exc:
    print("PackError:", exc)
else:
    print("loaded")
"""


# -- item 1: alias bombs, and error messages that format only a bounded prefix ---------------------
def billion_laughs(levels: int = 10, width: int = 10) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nevents: *l{levels - 1}\n"


def test_alias_bomb_is_refused(pack_dir: Path) -> None:
    (pack_dir / "events.yaml").write_text(billion_laughs(), encoding="utf-8")
    done = run_isolated("-c", LOAD, str(pack_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("PackError: events.yaml"), done.stdout
    assert "alias" in done.stdout
    assert len(done.stdout.strip().splitlines()) == 1


def test_alias_bomb_in_a_record_field_fails_every_command_cleanly(pack_dir: Path) -> None:
    bomb = billion_laughs(levels=9).replace("events: *l8\n", "")
    text = (pack_dir / "entities.yaml").read_text(encoding="utf-8")
    text = text.replace('aliases: ["South Korea", "South Korean"]', "aliases: *l8", 1)
    (pack_dir / "entities.yaml").write_text(bomb + text, encoding="utf-8")
    for command in ("validate", "simulate", "params"):
        done = run_isolated("-m", "toolkit", command, "--pack", str(pack_dir))
        assert done.returncode in (1, 2), (command, done.stderr[-2000:])
        assert "Traceback" not in done.stderr
        assert "entities.yaml" in done.stderr, done.stderr
        assert "alias" in done.stderr, done.stderr


def test_nesting_deeper_than_the_limit_is_refused(pack_dir: Path) -> None:
    # libyaml caps the nesting of one node (~1000); aliases stack such nodes deeper still.
    lines = ["d0: &d0 " + "[" * 900 + "]" * 900]
    lines += [f"d{i}: &d{i} " + "[" * 900 + f"*d{i - 1}" + "]" * 900 for i in range(1, 4)]
    (pack_dir / "events.yaml").write_text("\n".join(lines) + "\nevents: [*d3]\n")
    found = problems(pack_dir)
    assert [p.file for p in found] == ["events.yaml"]
    assert "nested" in found[0].message


def test_recursive_alias_is_refused(pack_dir: Path) -> None:
    (pack_dir / "scenarios.yaml").write_text("scenarios: &r\n  - *r\n")
    found = problems(pack_dir)
    assert [(p.file, p.message) for p in found if p.file == "scenarios.yaml"] == [
        ("scenarios.yaml", "recursive alias (a node that contains itself)")
    ]


def test_a_yaml_file_above_the_size_limit_is_refused(pack_dir: Path) -> None:
    from toolkit.pack import safe_yaml

    path = pack_dir / "events.yaml"
    filler = "# " + "x" * 98 + "\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(filler * (safe_yaml.MAX_YAML_BYTES // len(filler) + 1))
    found = problems(pack_dir)
    assert [(p.file, p.message) for p in found] == [
        ("events.yaml", f"file is larger than {safe_yaml.MAX_YAML_BYTES:,} bytes")
    ]


def test_problem_formats_a_bounded_prefix_of_any_value() -> None:
    deep: object = "core"
    for _ in range(5000):
        deep = {"k": deep}
    wide: list[object] = ["lol"] * 10
    for _ in range(8):
        wide = [wide] * 10  # 10**9 leaves if repr() expanded it
    for value in (deep, wide, 1 << 100_000, -(1 << 100_000), "x" * 10**7, b"\0" * 10**7):
        line = str(Problem("f.yaml", "r" * 10**6, "f" * 10**6, value, "bad"))
        assert len(line) < 400, line[:500]
        assert "\n" not in line


# -- item 6: impossible dates --------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["2024-13-45", "2024-02-30", "2024-10-25T25:00:00"])
def test_impossible_event_date_names_file_record_field_and_value(pack_dir: Path, bad: str) -> None:
    edit(pack_dir / "events.yaml", "date: 2024-10-24", f"date: {bad}")
    found = problems(pack_dir)
    hits = [p for p in found if p.file == "events.yaml" and p.field == "date"]
    assert hits, found
    assert hits[0].record is not None
    assert not hits[0].record.startswith("line")
    assert hits[0].value == bad
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(line.startswith(f"events.yaml [{hits[0].record}] date: ") for line in lines)


def test_impossible_publication_date(pack_dir: Path) -> None:
    edit(pack_dir / "pack.yaml", "date: 2024-10-27", "date: 2024-02-30")
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field, p.value) for p in found] == [
        ("pack.yaml", "pack", "publication.date", "2024-02-30")
    ]


# -- item 7: duplicate ids in an ordered ladder ------------------------------------------------
@pytest.mark.parametrize(
    ("file", "first", "second", "section"),
    [
        ("phases.yaml", "adaptation_training", "westward_movement", "phases"),
        ("technologies.yaml", "conventional", "strategic", "tiers"),
        ("responses.yaml", "diplomatic_pressure", "economic_measures", "tiers"),
        ("estimative.yaml", "very_unlikely", "unlikely", "yardstick"),
    ],
)
def test_duplicate_id_in_an_ordered_ladder(
    pack_dir: Path, file: str, first: str, second: str, section: str
) -> None:
    edit(pack_dir / file, f"  - id: {second}\n", f"  - id: {first}\n")
    edit(pack_dir / "events.yaml", "precision: day", "precision: hourly")  # another problem
    found = problems(pack_dir)
    assert (file, first, "id", first, f"duplicate id in {section}") in [
        (p.file, p.record, p.field, p.value, p.message) for p in found
    ]
    assert any(p.file == "events.yaml" and p.field == "precision" for p in found), found
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(f"duplicate id in {section}" in line for line in lines)


# -- item 10: an unknown key in a scenario ----------------------------------------------------
def test_unknown_key_in_the_baseline_scenario_is_the_only_problem(pack_dir: Path) -> None:
    edit(pack_dir / "scenarios.yaml", "    overrides: {}\n", "    overrides: {}\n    colour: red\n")
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field, p.value) for p in found] == [
        ("scenarios.yaml", "baseline", "colour", "red")
    ]


# -- item 11: validate runs every check the engine runs ---------------------------------------
def test_validate_reports_what_the_engine_rejects(pack_dir: Path) -> None:
    # A will that names an intensity (valid range [0, 5]): the engine needs a probability.
    edit(pack_dir / "responses.yaml", "    will: lethal_will\n", "    will: intensity_withdrawal\n")
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(
        line.startswith("parameters.yaml [intensity_withdrawal] min/max: the engine uses it as")
        for line in lines
    ), lines
    found = toolkit.check_pack(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [
        ("parameters.yaml", "intensity_withdrawal", "min/max")
    ]


def test_validate_compiles_every_scenario(pack_dir: Path) -> None:
    edit(
        pack_dir / "scenarios.yaml",
        "      rate_westward_to_frontline: 0\n",
        "      rate_westward_to_frontline: 0\n"
        "      rate_training_to_westward: {value: 2.9, low: 2.5, high: 3.5}\n",
    )
    code, lines = validate(pack_dir)
    assert code == 1
    hits = [line for line in lines if line.startswith("scenarios.yaml [rear_support_only]")]
    assert hits, lines
    assert "rate_training_to_westward" in hits[0]
    assert "valid range" in hits[0]
    found = toolkit.check_pack(pack_dir)
    assert [(p.file, p.record) for p in found] == [("scenarios.yaml", "rear_support_only")]


# -- item 13b: article size -----------------------------------------------------------------
def test_article_above_the_size_limit_is_refused(pack_dir: Path) -> None:
    from toolkit.pack.load import MAX_ARTICLE_CHARS

    article = pack_dir / "article.txt"
    text = article.read_text(encoding="utf-8")
    # Characters, not bytes: "한" is three bytes in UTF-8.
    article.write_text("한" * (MAX_ARTICLE_CHARS - len(text) + 1) + "\n" + text, encoding="utf-8")
    found = problems(pack_dir)
    assert [(p.file, p.message) for p in found] == [
        ("article.txt", f"article is longer than {MAX_ARTICLE_CHARS:,} characters")
    ]
    code, lines = validate(pack_dir)
    assert code == 1
    assert len(lines) == 2  # the problem and the count


def test_size_limit_is_documented() -> None:
    from toolkit.pack.load import MAX_ARTICLE_CHARS

    readme = (ROOT / "seeds" / "README.md").read_text(encoding="utf-8")
    assert f"{MAX_ARTICLE_CHARS:,}" in readme


# -- item 15b: the article stays inside the pack ---------------------------------------------
@pytest.mark.parametrize("where", ["absolute", "parent", "symlink"])
def test_article_outside_the_pack_is_refused(pack_dir: Path, where: str) -> None:
    outside = pack_dir.parent / "outside.txt"
    outside.write_bytes((pack_dir / "article.txt").read_bytes())
    name = {"absolute": str(outside), "parent": "../outside.txt", "symlink": "link.txt"}[where]
    if where == "symlink":
        (pack_dir / "link.txt").symlink_to(outside)
    edit(pack_dir / "pack.yaml", "article: article.txt", f"article: {name}")
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field, p.value) for p in found] == [
        ("pack.yaml", "pack", "article", name)
    ]
    assert "inside the pack" in found[0].message
    code, lines = validate(pack_dir)
    assert code == 1
    assert re.match(r"pack\.yaml \[pack\] article: .*inside the pack", lines[0]), lines


# -- siblings: values of any YAML type reach no bare exception ---------------------------------
def test_top_level_keys_of_mixed_types(pack_dir: Path) -> None:
    with (pack_dir / "events.yaml").open("a", encoding="utf-8") as out:
        out.write("1: x\n~: y\n2024-01-01: z\nextra: w\n")
    found = problems(pack_dir)
    assert sorted(str(p.value) for p in found if p.message.startswith("unknown section")) == [
        "1",
        "2024-01-01",
        "None",
        "extra",
    ]


@pytest.mark.parametrize("value", ["100000000000000000000000", "0x" + "f" * 20_000])
def test_escalation_beyond_a_64_bit_integer(pack_dir: Path, value: str) -> None:
    edit(pack_dir / "phases.yaml", "escalation: 0", f"escalation: {value}")
    found = problems(pack_dir)
    assert [(p.file, p.field) for p in found] == [("phases.yaml", "escalation")]
    assert len(str(found[0])) < 300


@pytest.mark.parametrize(("field", "value"), [("max", ".inf"), ("min", "-.inf"), ("value", ".nan")])
def test_parameter_numbers_are_finite(pack_dir: Path, field: str, value: str) -> None:
    text = (pack_dir / "parameters.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: intensity_deployed")
    line = text.index(f"    {field}:", start)
    end = text.index("\n", line)
    text = text[:line] + f"    {field}: {value}" + text[end:]
    (pack_dir / "parameters.yaml").write_text(text, encoding="utf-8")
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [
        ("parameters.yaml", "intensity_deployed", field)
    ]
    assert "finite" in found[0].message


# -- siblings of item 10: a record dropped for its own problem is not "unknown" elsewhere -----------
def test_references_to_a_dropped_record_are_not_reported_again(pack_dir: Path) -> None:
    edit(
        pack_dir / "entities.yaml",
        "    cameo_actor: KOR\n",
        "    cameo_actor: KOR\n    colour: red\n",
    )
    edit(
        pack_dir / "parameters.yaml",
        "  - id: intensity_deployed\n",
        "  - id: intensity_deployed\n    colour: red\n",
    )
    edit(pack_dir / "estimative.yaml", "  - phrase: may\n", "  - phrase: may\n    colour: red\n")
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [
        ("entities.yaml", "south_korea", "colour"),
        ("estimative.yaml", "may", "colour"),
        ("parameters.yaml", "intensity_deployed", "colour"),
    ]


# -- sibling of item 15b: every file the loader reads is inside the pack --------------------------
def test_a_pack_file_linked_from_outside_the_pack_is_refused(pack_dir: Path) -> None:
    outside = pack_dir.parent / "entities.yaml"
    outside.write_bytes((pack_dir / "entities.yaml").read_bytes())
    (pack_dir / "entities.yaml").unlink()
    (pack_dir / "entities.yaml").symlink_to(outside)
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [("entities.yaml", None, None)]
    assert "outside the pack" in found[0].message


# -- found by tests/test_pack_fuzz.py ---------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_pack_yaml_is_named(pack_dir: Path, text: str) -> None:
    (pack_dir / "pack.yaml").write_text(text, encoding="utf-8")
    found = problems(pack_dir)
    assert [(p.file, p.message) for p in found] == [("pack.yaml", "file is empty")]


# -- siblings of items 1 and 13b: the work on a pack is bounded, not only its files ------------------
def test_a_pack_of_more_records_than_the_limit_is_refused(pack_dir: Path) -> None:
    from toolkit.pack.load import MAX_RECORDS

    record = "  - {id: r%d, subject: south_korea, predicate: meets, object: japan, modality: asserted, evidence: Washington}\n"
    text = "relations:\n" + "".join(record % i for i in range(MAX_RECORDS + 1))
    (pack_dir / "relations.yaml").write_text(text, encoding="utf-8")
    found = problems(pack_dir)
    assert [(p.file, p.field, p.message) for p in found] == [
        ("relations.yaml", "relations", f"a pack holds at most {MAX_RECORDS:,} records")
    ]


def test_more_aliases_than_the_limit_are_refused(pack_dir: Path) -> None:
    from toolkit.pack.load import MAX_ALIASES

    many = ", ".join(f'"Alias{i}"' for i in range(MAX_ALIASES))
    edit(pack_dir / "entities.yaml", '["South Korea", "South Korean"]', f'["South Korea", {many}]')
    found = problems(pack_dir)
    assert [(p.file, p.field, p.message) for p in found] == [
        ("entities.yaml", "aliases", f"a pack holds at most {MAX_ALIASES:,} aliases")
    ]


def test_an_alias_longer_than_the_limit_is_refused(pack_dir: Path) -> None:
    edit(
        pack_dir / "entities.yaml",
        '["South Korea", "South Korean"]',
        f'["South Korea", "{"x" * 101}"]',
    )
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [
        ("entities.yaml", "south_korea", "aliases.1")
    ]
    assert "100 characters" in found[0].message


@pytest.mark.parametrize(
    ("file", "old", "new", "record", "field"),
    [
        (
            "scenarios.yaml",
            "      rate_westward_to_frontline: 0\n",
            "      rate_westward_to_frontline: true\n",
            "rear_support_only",
            "overrides.rate_westward_to_frontline.point",
        ),
        (
            "scenarios.yaml",
            "{value: 0.43, low: 0.22, high: 0.69}",
            "{value: true, low: 0, high: 1}",
            "rear_support_only",
            "overrides.rate_westward_to_rear.band.value",
        ),
        (
            "claims.yaml",
            "      within: 12\n",
            "      within: true\n",
            "c_may_receive_strategic",
            "event.within",
        ),
        ("phases.yaml", "escalation: 1\n", "escalation: true\n", "westward_movement", "escalation"),
        (
            "phases.yaml",
            "probability: 1.0\n",
            "probability: true\n",
            "adaptation_training",
            "probability",
        ),
        ("admiralty.yaml", "trust: 0.95\n", "trust: true\n", "#1", "trust"),
        ("estimative.yaml", "    high: 0.05\n", "    high: true\n", "almost_no_chance", "high"),
        (
            "indicators.yaml",
            "        adaptation_training: 0.6\n",
            "        adaptation_training: true\n",
            "i_training_in_far_east",
            "diagnostic.seen_given_phase.adaptation_training",
        ),
    ],
)
def test_a_number_written_as_true_is_refused(
    pack_dir: Path, file: str, old: str, new: str, record: str, field: str
) -> None:
    """`true` passed as 1 in these numbers, though the pack's README says it is not (found in a
    bug hunt); parameters.yaml already refused it."""
    edit(pack_dir / file, old, new)
    found = problems(pack_dir)
    assert (found[0].file, found[0].record, found[0].field) == (file, record, field)
    assert (found[0].value, found[0].message) == (True, "expects a number, not true")
    assert len(found) == 1 or file == "admiralty.yaml"  # a dropped grade breaks the grade order


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_a_technology_weight_must_be_a_finite_positive_number(pack_dir: Path, value: str) -> None:
    """An infinite weight made the rest of its tier's hazard 0 and validated (found in a bug hunt)."""
    edit(pack_dir / "technologies.yaml", "    weight: 2\n", f"    weight: {value}\n")
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [
        ("technologies.yaml", "air_defence", "weight")
    ]


def test_a_label_or_an_id_of_unbounded_length_is_refused(pack_dir: Path) -> None:
    """A 200,000-character phase label validated, then made a chart render for minutes into a
    94 MB image (found in a bug hunt): labels hold at most 300 characters, ids 120."""
    edit(pack_dir / "phases.yaml", "label: Rear support roles", f"label: {'Rear' * 50_000}")
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [
        ("phases.yaml", "rear_support", "label")
    ]
    assert len(str(found[0])) < 400


def test_an_entity_title_of_unbounded_length_is_refused(pack_dir: Path) -> None:
    """An entity's title was any length, unlike every other name, label and title (found in a
    bug hunt)."""
    edit(
        pack_dir / "entities.yaml",
        'title: "South Korea’s National Security Advisor"',
        f"title: {'Advisor' * 50}",
    )
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field) for p in found] == [
        ("entities.yaml", "shin_won_sik", "title")
    ]
    assert "300 characters" in found[0].message


@pytest.mark.parametrize("distribution", ["uniform", "triangular"])
def test_a_distribution_without_a_band_is_a_problem(pack_dir: Path, distribution: str) -> None:
    """A `distribution` on a parameter without a band was ignored, silently (found in a bug
    hunt)."""
    edit(
        pack_dir / "parameters.yaml",
        "    value: 1.0\n    plausible_low: 0.5\n",
        f"    value: 1.0\n    distribution: {distribution}\n    plausible_low: 0.5\n",
    )
    found = problems(pack_dir)
    assert [(p.file, p.record, p.field, p.value) for p in found] == [
        ("parameters.yaml", "intensity_deployed", "distribution", distribution)
    ]
    assert (
        found[0].message
        == "a distribution needs a band: low and high, or a claim whose phrase has one"
    )


def test_a_residue_marker_that_matches_no_line_is_a_problem(pack_dir: Path) -> None:
    """A declared marker that strips nothing (a typo) left web-page residue in the article,
    silently (found in a bug hunt)."""
    edit(
        pack_dir / "pack.yaml",
        'residue_marker: "Most Commented"',
        'residue_marker: "Most Comented"',
    )
    found = problems(pack_dir)
    assert [(p.file, p.field, p.value) for p in found] == [
        ("pack.yaml", "residue_marker", "Most Comented")
    ]


def test_yaml_1_2_floats_are_numbers(pack_dir: Path) -> None:
    """`1e-3` is a number to an analyst; YAML 1.1 read it as text, and the record check then said
    "must be a number, not str" (found in a bug hunt)."""
    from toolkit.pack.safe_yaml import load_yaml

    assert load_yaml("[1e300, 1e-3, 2.5E6, .5e3, 1e, e3]") == [
        1e300,
        1e-3,
        2.5e6,
        500.0,
        "1e",
        "e3",
    ]
    edit(pack_dir / "parameters.yaml", "    low: 0.16\n", "    low: 16e-2\n")
    row = load_pack(pack_dir).parameters.row(0, named=True)
    assert (row["id"], row["low"]) == ("rate_training_to_westward", 0.16)


@pytest.mark.parametrize("value", ["20241024", "1729728000", "'1729728000'"])
def test_a_date_written_as_a_number_is_refused(pack_dir: Path, value: str) -> None:
    """pydantic reads a number, or a text of digits, as seconds since 1970: `date: 20241024` was
    1970-08-23, silently (found in a bug hunt)."""
    edit(pack_dir / "events.yaml", "date: 2024-10-24", f"date: {value}")
    found = problems(pack_dir)
    hits = [p for p in found if p.file == "events.yaml" and p.field == "date"]
    assert hits, found
    assert "expects a date YYYY-MM-DD" in hits[0].message


def test_a_number_written_too_large_is_refused_not_infinite() -> None:
    """`1e999` read as infinity, and `1_000e3` as a number, which YAML 1.2 does not make it (found
    in review)."""
    from toolkit.pack.safe_yaml import load_yaml

    with pytest.raises(yaml.YAMLError, match="too large a number"):
        load_yaml("x: 1e999")
    assert load_yaml("[.inf, -.inf, 1_000e3]")[:2] == [float("inf"), float("-inf")]
    assert load_yaml("[1_000e3]") == ["1_000e3"]


@pytest.mark.parametrize("mapping", ["{1: a, 01: b}", "{true: a, True: b}", "{1e3: a, 1000.0: b}"])
def test_keys_equal_in_value_are_one_key_given_twice(mapping: str) -> None:
    """The keys a mapping would merge are caught too, not only equal texts (found in review)."""
    from toolkit.pack.safe_yaml import load_yaml

    with pytest.raises(yaml.YAMLError, match="duplicate key"):
        load_yaml(mapping)


@pytest.mark.parametrize(
    ("file", "old"),
    [("responses.yaml", "defensive_support"), ("technologies.yaml", "conventional")],
)
def test_none_is_no_tier_id(pack_dir: Path, file: str, old: str) -> None:
    """`none` names "no tier" in every output: a tier of that id validated, then broke the engine's
    frames, the charts and the explorer (found in a bug hunt)."""
    import re

    for path in pack_dir.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(rf"\b{old}\b", "none", text), encoding="utf-8")
    found = problems(pack_dir)
    assert any(p.file == file and p.field == "id" and p.value == "none" for p in found), found


@pytest.mark.parametrize(
    ("file", "old", "new", "record", "field", "char"),
    [
        # a line separator in a label broke five charts' Vega expressions, yet the pack validated
        ("phases.yaml", "label: Rear support roles", 'label: "Rear\\u2028support"',
         "rear_support", "label", "U+2028"),
        # an escape sequence in a name or a description went to the terminal raw (`frames --show`)
        ("phases.yaml", "label: Rear support roles", 'label: "Rear \\e]0;OWNED\\a"',
         "rear_support", "label", "U+001B"),
        ("phases.yaml", "description: >-", 'description: "\\e[2J"\n    x_description: >-',
         None, None, None),
    ],
)  # fmt: skip
def test_control_characters_in_pack_text_are_refused(
    pack_dir: Path, file: str, old: str, new: str, record: str | None, field: str | None,
    char: str | None,
) -> None:  # fmt: skip
    """Found in a bug hunt: labels are one line of plain text; free text has no control character
    but line breaks and tabs."""
    edit(pack_dir / file, old, new)
    found = problems(pack_dir)
    if record is None:  # the description case: its own field is refused
        assert any(p.field == "description" and "U+001B" in p.message for p in found), found
        return
    assert [(p.file, p.record, p.field) for p in found] == [(file, record, field)]
    assert f"contains the control character {char}" in found[0].message


def test_line_breaks_and_tabs_stay_allowed_in_free_text(pack_dir: Path) -> None:
    edit(pack_dir / "phases.yaml", "description: >-", 'description: "two\\n\\tlines"\n    x: >-')
    found = problems(pack_dir)  # only the stray key the edit leaves
    assert {p.field for p in found} == {"x"}


def test_a_label_written_as_a_yaml_block_loses_its_final_line_break(pack_dir: Path) -> None:
    """`label: >` (YAML keeps one final line break) was refused as a control character (found in
    review); the break is not part of the label."""
    edit(
        pack_dir / "phases.yaml", "label: Rear support roles", "label: >\n      Rear support roles"
    )
    phases = load_pack(pack_dir).phases
    assert "Rear support roles" in phases["label"].to_list()


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("A\\n\\nB", "A B"),
        ("A\\r\\n\\r\\nB", "A B"),
        ("\\nA", "A"),
        ("A \\n", "A"),
        ("A\\r\\nB\\r\\n", "A B"),
    ],
)
def test_line_breaks_in_a_label_are_one_space(written: str, read: str) -> None:
    """Runs of breaks were several spaces (an alias "North  Korea" then never matched the text;
    found in review)."""
    from toolkit.pack.records.base import _unfold

    assert _unfold(written.encode().decode("unicode_escape")) == read


def test_an_id_naming_two_kinds_of_outcome_is_refused(pack_dir: Path) -> None:
    """A response tier with a technology's id validated, and every figure read by id alone took the
    first kind it matched: a technology tier named like a phase showed the phase's 99.6 % as its
    transfer figure (true: 24.9 %; bug hunt on another pack)."""
    for path in pack_dir.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\blethal_weapons\b", "satellite", text), encoding="utf-8")
    found = [(p.file, p.record, p.field, p.value) for p in problems(pack_dir)]
    assert found == [("responses.yaml", "satellite", "id", "satellite")]
    code, lines = validate(pack_dir)
    assert code == 1
    assert "also the id of a technology (technologies.yaml technologies)" in lines[0]


def test_a_technology_tier_or_technology_the_article_does_not_name_rests_on_an_assumption(
    pack_dir: Path,
) -> None:
    """Technology tiers and technologies needed a quote, unlike every other record (evidence or
    assumption, or both): a pack could not add a technology the article does not name (bug hunt on
    another pack). One without either is still refused; one that rests on an assumption is marked
    in the report's findings and in the transfers chart's legend."""
    from toolkit.charts import chart_transfers
    from toolkit.engine.simulation import simulate
    from toolkit.report.narrative import describe_findings

    quote = (
        '    evidence: "compensation for North Korean troop deployments could involve sensitive '
        'technology, including satellite, nuclear, and ICBM-related technology"\n'
    )
    edit(pack_dir / "technologies.yaml", quote, "    assumption: the analyst's grouping\n")
    edit(pack_dir / "technologies.yaml", '    evidence: "satellite technology"\n', "")
    found = [(p.file, p.record, p.message) for p in problems(pack_dir)]
    assert found == [
        ("technologies.yaml", "satellite",
         "needs `evidence` (a verbatim quote) or `assumption` (a rationale)"),
    ], found  # fmt: skip
    edit(
        pack_dir / "technologies.yaml",
        "  - id: satellite\n",
        "  - id: satellite\n    assumption: the analyst's addition, not in the article\n",
    )
    pack = load_pack(pack_dir)
    strategic = pack.tech_tiers.filter(pl.col("id") == "strategic").row(0, named=True)
    assert strategic["evidence"] is None
    assert strategic["assumption"] == "the analyst's grouping"
    result = simulate(pack, paths=200, months=6)
    findings = describe_findings(result, pack)
    assert "tier **Sensitive strategic technology &#40;satellite, nuclear, ICBM&#41;**†" in findings
    assert (
        "- **Sensitive strategic technology &#40;satellite, nuclear, ICBM&#41;**: the analyst"
        in (findings)
    )
    spec = chart_transfers(result, pack).to_dict()
    assert "Sensitive strategic technology (satellite, nuclear, ICBM) †" in json.dumps(
        spec, ensure_ascii=False
    )
