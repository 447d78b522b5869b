"""`toolkit validate` on broken packs: one line per problem naming file, record, field and value;
non-zero exit; nothing changed on disk."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from toolkit.cli.app import app
from toolkit.errors import PackError
from toolkit.pack.load import check_pack, load_pack

runner = CliRunner()


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def validate(pack_dir: Path) -> tuple[int, list[str]]:
    before = tree_digest(pack_dir)
    result = runner.invoke(app, ["validate", "--pack", str(pack_dir)])
    assert tree_digest(pack_dir) == before, "validate must change nothing"
    assert "Traceback" not in result.output
    return result.exit_code, result.output.strip().splitlines()


def edit_yaml(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_default_pack_is_valid() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_article_that_lost_a_quoted_sentence(pack_dir: Path) -> None:
    article = pack_dir / "article.txt"
    sentence = "We will support Ukraine in stages depending on North Korea’s movements."
    text = article.read_text(encoding="utf-8")
    assert sentence in text
    article.write_text(text.replace(sentence, ""), encoding="utf-8")
    code, lines = validate(pack_dir)
    assert code == 1
    hits = [line for line in lines if "quote not found verbatim" in line]
    assert hits, lines
    assert any(line.startswith("claims.yaml [c_support_in_stages] evidence:") for line in hits)
    assert any(sentence[:40] in line for line in hits)


def test_dangling_reference(pack_dir: Path) -> None:
    def change(data: dict) -> None:
        data["relations"][0]["subject"] = "atlantis"

    edit_yaml(pack_dir / "relations.yaml", change)
    rel_id = yaml.safe_load((pack_dir / "relations.yaml").read_text())["relations"][0]["id"]
    code, lines = validate(pack_dir)
    assert code == 1
    assert f"relations.yaml [{rel_id}] subject: unknown entity id (value: 'atlantis')" in lines


def test_claim_events_are_checked(pack_dir: Path) -> None:
    """A claim's event names a known target of its kind, has a phrase to compare with, and names one
    kind only."""

    def change(data: dict) -> None:
        claims = {c["id"]: c for c in data["claims"]}
        claims["c_next_phase_westward"]["event"]["reached"] = "strategic"  # a tier, not a phase
        flat = claims["c_lethal_if_combat"]
        flat["event"] = {"decided": "lethal_weapons", "within": 12, "assumption": "x"}
        both = claims["c_may_receive_strategic"]["event"]
        both["transferred"] = "satellite"

    edit_yaml(pack_dir / "claims.yaml", change)
    code, lines = validate(pack_dir)
    assert code == 1
    assert (
        "claims.yaml [c_next_phase_westward] event.reached: unknown phase id (value: 'strategic')"
        in lines
    )
    assert any(
        line.startswith("claims.yaml [c_lethal_if_combat] event:") and "give a phrase" in line
        for line in lines
    )
    assert any(
        "exactly one of reached, transferred, tier_transferred, decided" in line for line in lines
    )


def test_probability_above_one(pack_dir: Path) -> None:
    path = pack_dir / "parameters.yaml"
    params = yaml.safe_load(path.read_text())["parameters"]
    target = next(p for p in params if p["unit"].startswith("probability"))

    def change(data: dict) -> None:
        for p in data["parameters"]:
            if p["id"] == target["id"]:
                p["value"] = 1.5

    edit_yaml(path, change)
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(
        line.startswith(f"parameters.yaml [{target['id']}] value: out of the valid range")
        and "(value: 1.5)" in line
        for line in lines
    ), lines


def test_band_with_low_above_high(pack_dir: Path) -> None:
    def change(data: dict) -> None:
        data["yardstick"][0]["low"], data["yardstick"][0]["high"] = 0.5, 0.1

    edit_yaml(pack_dir / "estimative.yaml", change)
    code, lines = validate(pack_dir)
    assert code == 1
    assert any("estimative.yaml [" in line and "above high" in line for line in lines), lines


def test_malformed_yaml(pack_dir: Path) -> None:
    (pack_dir / "events.yaml").write_text("events:\n  - id: x\n   label: [unclosed\n")
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(line.startswith("events.yaml [line ") and "malformed YAML" in line for line in lines)


def test_malformed_csv_like_content_is_not_a_mapping(pack_dir: Path) -> None:
    (pack_dir / "claims.yaml").write_text("id,source,statement\nc1,x,y\n")
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(line.startswith("claims.yaml: expected a mapping at top level") for line in lines)


def test_missing_file(pack_dir: Path) -> None:
    (pack_dir / "technologies.yaml").unlink()
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(line.startswith("technologies.yaml: file not found") for line in lines)


def test_empty_article(pack_dir: Path) -> None:
    (pack_dir / "article.txt").write_text("Most Commented", encoding="utf-8")
    code, lines = validate(pack_dir)
    assert code == 1
    assert any(line.startswith("article.txt: article is empty") for line in lines)


def test_typo_in_a_field_name_is_caught(pack_dir: Path) -> None:
    def change(data: dict) -> None:
        data["entities"][0]["alias"] = data["entities"][0].pop("aliases")

    edit_yaml(pack_dir / "entities.yaml", change)
    code, lines = validate(pack_dir)
    assert code == 1
    assert any("entities.yaml [" in line and " alias: Extra inputs" in line for line in lines)
    assert any(" aliases: Field required" in line for line in lines)


def test_duplicate_id_and_unmentioned_entity(pack_dir: Path) -> None:
    def change(data: dict) -> None:
        data["entities"].append(dict(data["entities"][0]))
        data["entities"].append(
            {
                "id": "atlantis",
                "kind": "state",
                "name": "Atlantis",
                "aliases": ["Atlantis"],
                "evidence": "Washington",
            }
        )

    edit_yaml(pack_dir / "entities.yaml", change)
    code, lines = validate(pack_dir)
    assert code == 1
    assert any("duplicate id in entities" in line for line in lines)
    assert any(
        line.startswith("entities.yaml [atlantis] aliases: entity is never mentioned")
        for line in lines
    )


def test_missing_pack_directory(tmp_path: Path) -> None:
    code = runner.invoke(app, ["validate", "--pack", str(tmp_path / "nope")]).exit_code
    assert code == 1
    with pytest.raises(PackError, match="no such pack"):
        load_pack(tmp_path / "nope")


def test_check_pack_lists_every_problem(pack_dir: Path) -> None:
    (pack_dir / "technologies.yaml").unlink()
    (pack_dir / "indicators.yaml").write_text("indicators: []\n")
    problems = check_pack(pack_dir)
    files = {p.file for p in problems}
    assert {"technologies.yaml", "indicators.yaml"} <= files


def _break_everything(pack_dir: Path) -> None:
    """Problems from each stage: record shape, references, quotes, bands, scenario overrides."""

    def scenarios(data: dict) -> None:  # type: ignore[type-arg]
        over = data["scenarios"][1]["overrides"]
        over["rate_westward_to_rear"] = {"value": 99, "low": 0.1, "high": 0.2}
        over["no_such_parameter"] = 1
        data["scenarios"][2]["overrides"]["troops"] = {"value": 5, "low": 1}

    def relations(data: dict) -> None:  # type: ignore[type-arg]
        data["relations"][0]["subject"] = "nobody"
        data["relations"][1]["evidence"] = "words the article never says"

    edit_yaml(pack_dir / "scenarios.yaml", scenarios)
    edit_yaml(pack_dir / "relations.yaml", relations)
    edit_yaml(pack_dir / "parameters.yaml", lambda d: d["parameters"][0].update(low=0.9, high=0.1))


def test_validate_finds_what_loading_finds_without_polars(pack_dir: Path) -> None:
    """`toolkit validate` (validate_pack: the checks without the frames) reports exactly the
    problems load_pack raises, in the same order, and the same counts for a valid pack."""
    from toolkit.pack.load import validate_pack

    summary = validate_pack()
    loaded = load_pack()
    assert summary.rows == {name: len(frame) for name, frame in loaded.frames.items()}
    assert summary.content_hash == loaded.content_hash
    _break_everything(pack_dir)
    with pytest.raises(PackError) as loading:
        load_pack(pack_dir)
    assert len(loading.value.problems) >= 5
    assert check_pack(pack_dir) == loading.value.problems
    assert any("out of the valid range [0.0, 3.0]" in str(p) for p in loading.value.problems)
    script = (
        "import sys; from toolkit.pack.load import validate_pack; validate_pack(); "
        "assert 'polars' not in sys.modules, 'polars imported'"
    )
    code = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert code.returncode == 0, code.stderr


def test_frames_from_the_checked_rows_are_load_packs() -> None:
    """A report's parent checks with validate_pack and builds frames from the rows it checked
    (`PackSummary.pack`) only when the engine needs them: the very frames load_pack builds."""
    from toolkit.pack.load import validate_pack

    summary = validate_pack()
    loaded = load_pack()
    built = summary.pack()
    assert built.content_hash == loaded.content_hash == summary.content_hash
    assert built.meta == loaded.meta
    assert (built.text, built.residue) == (loaded.text, loaded.residue)
    assert built.frames.keys() == loaded.frames.keys()
    for name, frame in loaded.frames.items():
        assert built.frames[name].schema == frame.schema, name
        assert built.frames[name].equals(frame, null_equal=True), name
    assert summary.start == loaded.meta.publication.date
    assert summary.ids == {
        name: tuple(str(i) for i in frame["id"].to_list())
        for name, frame in loaded.frames.items()
        if "id" in frame.columns
    }


VALIDATE_IN_PROCESS = """
import sys
from typer.testing import CliRunner
from toolkit.cli.app import app
result = CliRunner().invoke(app, ["validate", "--pack", sys.argv[1]])
print(result.exit_code, "polars" in sys.modules)
print(result.output)
"""


def _validate_fresh(pack_dir: Path, cache: Path) -> tuple[str, str]:
    import os

    from toolkit.cache import CACHE_ENV

    done = subprocess.run(
        [sys.executable, "-c", VALIDATE_IN_PROCESS, str(pack_dir)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, **{CACHE_ENV: str(cache)}),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    status, _, output = done.stdout.partition("\n")
    return status, output


def test_validate_remembers_a_pack_the_engine_accepted(pack_dir: Path, tmp_path: Path) -> None:
    """The engine's checks run once per pack content and toolkit code: validating the same pack
    again imports no polars and prints the same line; an edit is checked again."""
    cache = tmp_path / "cache"
    first = _validate_fresh(pack_dir, cache)
    assert first[0] == "0 True"
    assert len(list(cache.glob("engine-valid-*"))) == 1
    again = _validate_fresh(pack_dir, cache)
    assert again == ("0 False", first[1])
    edit_yaml(pack_dir / "parameters.yaml", lambda d: d["parameters"][0].update(label="edited"))
    edited = _validate_fresh(pack_dir, cache)
    assert edited[0] == "0 True"
    assert len(list(cache.glob("engine-valid-*"))) == 2


def test_validate_never_remembers_what_the_engine_rejects(pack_dir: Path, tmp_path: Path) -> None:
    path = pack_dir / "responses.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    will: lethal_will\n" in text
    path.write_text(text.replace("    will: lethal_will\n", "    will: intensity_withdrawal\n", 1))
    cache = tmp_path / "cache"
    first = _validate_fresh(pack_dir, cache)
    assert first[0] == "1 True"
    assert "parameters.yaml [intensity_withdrawal] min/max: the engine uses it as" in first[1]
    assert _validate_fresh(pack_dir, cache) == first
    assert not list(cache.glob("engine-valid-*"))


def test_validate_checks_the_forecast_questions(pack_dir: Path, tmp_path: Path) -> None:
    """questions.yaml is checked against the pack's model as the forecast commands check it (a
    question naming an unknown phase fails `toolkit validate`, file and value named); a valid set is
    remembered like the engine's checks, and an edit to it is checked again."""
    cache = tmp_path / "cache"
    assert _validate_fresh(pack_dir, cache)[0] == "0 True"
    assert len(list(cache.glob("questions-valid-*"))) == 1
    assert _validate_fresh(pack_dir, cache)[0] == "0 False"  # remembered: no frames built
    path = pack_dir / "questions.yaml"
    text = path.read_text(encoding="utf-8")
    assert "event: {reached: frontline_combat}" in text
    path.write_text(text.replace("{reached: frontline_combat}", "{reached: moon_landing}", 1))
    status, output = _validate_fresh(pack_dir, cache)
    assert status == "1 True"
    assert "questions.yaml" in output
    assert "moon_landing" in output
    assert len(list(cache.glob("questions-valid-*"))) == 1  # the broken set is not remembered


@pytest.mark.parametrize(
    "name",
    ["forecasts.csv", "questions.yaml", "observations.yaml", "phases.yaml", "article.txt"],
)
def test_a_directory_where_a_file_belongs_is_named_as_one(
    pack_dir: Path, tmp_path: Path, name: str
) -> None:
    """A directory where the forecast log, the questions or the observation log (all optional)
    should be was taken for no file ("valid"; `score` said "nothing scored"), and a pack file that
    is a symbolic link to a directory was "file not found": each is now one line naming the file,
    the path and "is a directory" (found in a bug hunt)."""
    target = pack_dir / name
    target.unlink(missing_ok=True)
    if name == "phases.yaml":  # a link to a directory elsewhere
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    else:
        target.mkdir()
    code, lines = validate(pack_dir)
    assert code == 1
    assert lines[0].startswith(f"{name}: ")
    assert "is a directory (value: '" in lines[0]  # the path, shortened if long
    assert lines[1:] == [f"{pack_dir}: 1 problem(s)"]


def test_score_names_a_directory_where_the_forecast_log_belongs(pack_dir: Path) -> None:
    """`score` read a directory named forecasts.csv as no log and said "nothing scored", exit 0
    (found in a bug hunt)."""
    log = pack_dir / "forecasts.csv"
    log.mkdir()
    result = runner.invoke(app, ["score", "--pack", str(pack_dir)])
    assert result.exit_code != 0
    assert result.stderr.startswith("error: forecasts.csv: is a directory (value: '")
    assert result.stderr.count("\n") == 1


LAUNCH_VALIDATE = """
import sys
from toolkit.cli.launch import main
sys.argv = ["toolkit", "validate", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    print("exit", exc.code, file=sys.stderr)
print("typer" in sys.modules, "pydantic" in sys.modules, file=sys.stderr)
"""


def test_validate_remembers_a_valid_pack_until_anything_in_it_changes(
    pack_dir: Path, tmp_path: Path
) -> None:
    """A pack found valid is found valid again without the checks, without typer or pydantic, and
    with the same line (`toolkit.cli.validated`): the first check of a pack is the slow one, as an
    analyst repeats `toolkit validate`. Any change under the pack is checked in full again: an edit
    that breaks it fails at once, a new file (a draft) is checked, and a fixed pack is valid."""
    import os

    from toolkit.cache import CACHE_ENV

    env = dict(os.environ, **{CACHE_ENV: str(tmp_path / "cache")})

    def run(*args: str) -> tuple[str, str]:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH_VALIDATE, *args],
            capture_output=True, text=True, check=False, env=env,
        )  # fmt: skip
        return done.stdout, done.stderr.strip()

    first = run("--pack", str(pack_dir))
    assert first[0].startswith(f"{pack_dir}: valid (")
    assert first[1].endswith("True True")  # checked in full
    assert run("--pack", str(pack_dir)) == (first[0], "False False")  # remembered
    assert run(f"--pack={pack_dir}") == (first[0], "False False")
    (pack_dir / "drafts").mkdir()
    (pack_dir / "drafts" / "note.yaml").write_text("x: 1\n", encoding="utf-8")
    assert run("--pack", str(pack_dir))[1].endswith("True True")  # a new file: checked again
    path = pack_dir / "parameters.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("parameters:", "parameter:", 1), encoding="utf-8")
    out, err = run("--pack", str(pack_dir))
    assert out == ""
    assert "exit 1" in err
    path.write_text(good, encoding="utf-8")
    assert run("--pack", str(pack_dir)) == (first[0], "False False")  # as before: remembered
    # the typer command remembers the same verdict and prints the same line
    result = runner.invoke(app, ["validate", "--pack", str(pack_dir)], env=env)
    assert result.exit_code == 0
    assert result.output == first[0]


def test_the_pack_digest_reads_no_huge_file_and_no_device(tmp_path: Path) -> None:
    """The remembered verdict's digest stops at its limit before reading a file (a 1 GB sparse
    file is not read) and never reads a pipe or a device (a link to /dev/zero would never end)."""
    from toolkit.cli.validated import MAX_DIGEST_BYTES, pack_digest

    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    os.mkfifo(pack / "pipe")
    (pack / "zero").symlink_to("/dev/zero")
    first = pack_digest(pack)
    assert first is not None
    (pack / "a.yaml").write_text("a: 2\n", encoding="utf-8")
    assert pack_digest(pack) not in (None, first)
    with (pack / "big.bin").open("wb") as fh:
        fh.truncate(max(2**30, MAX_DIGEST_BYTES + 1))
    assert pack_digest(pack) is None
