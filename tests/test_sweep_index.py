"""A sweep's index says what varied and what was fixed, with values as written (a model parameter
travels inside the notebook's `overrides` but is shown under its own name), and the sweep's folder
holds only the sweep's reports: an earlier sweep's that the new index would not list are removed
(issue 14). The sweeps run a tiny notebook written here; everything goes to pytest's tmp dirs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from toolkit.cache import CACHE_ENV

pytestmark = [pytest.mark.xdist_group("report"), pytest.mark.notebook]


@pytest.fixture(scope="module", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        mp.delenv("TOOLKIT_PACK", raising=False)
        yield


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Parameters like the report's (a scenario, a seed, model parameters in `overrides`); prints them."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'scenario: str = "baseline"  # preset\n'
        "seed: int = 7  # random seed\n"
        "overrides: dict = {}  # model parameters\n"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Probe"),
        params,
        nbformat.v4.new_code_cell("print('RAN', scenario, seed, sorted(overrides.items()))"),
    ]
    path = tmp_path_factory.mktemp("nb") / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_index_shows_what_varied_and_what_was_fixed(notebook: Path, tmp_path: Path) -> None:
    from toolkit.report.sweep import sweep

    result = sweep(
        {"troops": ["5000", "15000"]},
        notebook=notebook,
        parameters={"seed": "3", "lethal_will": "0.25"},
        out_dir=tmp_path,
        workers=1,
        from_text=True,
    )
    names = [p.name for p in result.reports]
    assert names == ["probe-troops-5000.html", "probe-troops-15000.html"]
    # each report got its own value (inside `overrides`, as the notebook takes it)
    assert "RAN baseline 3 [('lethal_will', 0.25), ('troops', 5000)]" in _text(result.reports[0])
    assert "('troops', 15000)]" in _text(result.reports[1])
    index = _text(result.index)
    assert "Varied: <code>troops</code> (5000, 15000)." in index
    assert "Set for every report: <code>seed = 3</code>, <code>lethal_will = 0.25</code>." in index
    assert "the same in every report: <code>scenario = baseline</code>." in index
    from toolkit.report.index import shown_value

    assert [shown_value(v) for v in ("baseline", "", 5000, 0.25, None)] == [
        "baseline", '""', "5000", "0.25", "None",
    ]  # fmt: skip
    assert "overrides" not in index
    assert "&#x27;" not in index  # no quoted values
    cells = re.findall(r"<td><code>(.*?)</code></td>", index)
    assert cells == ["5000", "15000"]


def test_a_second_sweep_removes_the_first_ones_reports(notebook: Path, tmp_path: Path) -> None:
    from toolkit.report.sweep import sweep

    first = sweep({"troops": [1000, 2000, 3000]}, notebook=notebook, out_dir=tmp_path, workers=1)
    assert len(first.reports) == 3
    assert first.removed == []
    mine = tmp_path / "notes.html"  # not the sweep's: stays
    mine.write_text("<p>my notes</p>", encoding="utf-8")
    second = sweep(
        {"scenario": ["baseline", "rapid_frontline"]},
        notebook=notebook,
        out_dir=tmp_path,
        workers=1,
    )
    assert sorted(p.name for p in second.removed) == [p.name for p in first.reports]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(
        ["index.html", "notes.html", *(p.name for p in second.reports)]
    )
    index = _text(second.index)
    assert "Varied: <code>scenario</code> (baseline, rapid_frontline)." in index
    assert "Set for every report" not in index
    for path in second.reports:
        assert f'href="{path.name}"' in index


def test_an_index_without_its_file_list_still_names_the_earlier_reports(tmp_path: Path) -> None:
    """An index written before the file list existed: its links name the earlier reports."""
    from toolkit.report.index import SweepItem, previous_files, stale_files

    (tmp_path / "index.html").write_text(
        "<title>Sweep of report.ipynb</title>"
        '<a href="report-troops-5.html">report-troops-5.html</a>'
        '<a href="../elsewhere.html">x</a><a href="https://example.org/a.html">y</a>',
        encoding="utf-8",
    )
    for name in ("report-troops-5.html", "report-troops-6.html", "other.html"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    listed = previous_files(tmp_path)
    assert listed == ["report-troops-5.html"]
    items = [
        SweepItem({"troops": 6}, tmp_path / "report-troops-6.html"),
        SweepItem({"troops": 7}, tmp_path / "report-troops-7.html", error="failed"),
    ]
    assert [p.name for p in stale_files(tmp_path, items, listed)] == ["report-troops-5.html"]


def test_a_failed_report_never_costs_the_earlier_good_one(notebook: Path, tmp_path: Path) -> None:
    """A second sweep whose reports fail kept nothing of the first: its good reports were removed
    and the index rewritten (found in a bug hunt). Now a failed report's earlier version stays and
    the index says so; a sweep that writes no report leaves the folder and the index as they were."""
    import hashlib

    from toolkit.report.sweep import SweepError, sweep

    # the first sweep renders the notebook as it is; the same file then gets a cell failing for
    # troops other than 1000, so the earlier index lists the very reports that fail to render
    failing = tmp_path.parent / "failing.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nbformat.write(nb, failing)
    first = sweep({"troops": [1000, 2000]}, notebook=failing, out_dir=tmp_path, workers=1)

    def digests() -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in tmp_path.iterdir()
            if p.is_file() and not p.name.startswith(".")
        }

    before = digests()
    assert sorted(before) == sorted(["index.html", *(p.name for p in first.reports)])
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "if dict(overrides).get('troops') != 1000:\n"
            "    raise RuntimeError('illustrative failure')"
        )
    )
    nbformat.write(nb, failing)
    with pytest.raises(SweepError, match="is as it was") as info:
        sweep({"troops": [2000, 3000]}, notebook=failing, out_dir=tmp_path, workers=1)
    assert not info.value.result.reports
    assert digests() == before  # every good report and the index untouched
    # one report succeeds, one fails: the failed one's earlier version stays, and the index says so
    with pytest.raises(SweepError, match="1 of 2 reports failed"):
        sweep({"troops": [1000, 2000]}, notebook=failing, out_dir=tmp_path, workers=1)
    kept = tmp_path / "failing-troops-2000.html"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == before[kept.name]
    index = _text(tmp_path / "index.html")
    assert "the file is an earlier sweep's report, kept" in index
    assert f'href="{kept.name}"' in index


def test_a_grid_that_names_one_report_twice_is_refused(notebook: Path, tmp_path: Path) -> None:
    """`troops=5000,5000.0` rendered two identical reports (found in a bug hunt)."""
    from toolkit.errors import ParameterError
    from toolkit.report.sweep import sweep

    with pytest.raises(ParameterError, match="the grid gives the same report twice: troops=5000"):
        sweep(
            {"troops": ["5000", "5000.0"]}, notebook=notebook, out_dir=tmp_path / "s",
            workers=1, from_text=True,
        )  # fmt: skip
    assert not (tmp_path / "s").exists()


def test_grid_values_compare_as_numbers() -> None:
    from toolkit.report.sweep import _comparable

    assert _comparable(0) == _comparable(0.0) == _comparable(-0.0)
    assert _comparable(True) is True
    assert _comparable("0") == "0"


def test_a_failed_folder_linking_elsewhere_is_neither_cleaned_nor_written(tmp_path: Path) -> None:
    """A sweep folder received from someone else, its `failed` a symbolic link out of it: a sweep
    deleted the file an earlier index listed through it, and a failing report wrote its notebook
    there (found in a bug hunt)."""
    from toolkit.report.index import stale_files
    from toolkit.report.render import _keep_failed

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.ipynb").write_text("precious", encoding="utf-8")
    target = tmp_path / "sweep"
    target.mkdir()
    (target / "failed").symlink_to(victim)
    assert stale_files(target, [], ["failed/precious.ipynb"]) == []
    assert (victim / "precious.ipynb").read_text(encoding="utf-8") == "precious"
    assert _keep_failed([nbformat.v4.new_notebook()], target / "precious.html") is None
    assert (victim / "precious.ipynb").read_text(encoding="utf-8") == "precious"


def test_a_grid_of_packs_checks_each_combination_against_its_own_pack(
    tmp_path: Path, pack_dir: Path
) -> None:
    """Found in a bug hunt: with `--grid pack=A,B` every combination was checked against one pack
    (the default or the fixed one), so a scenario missing from B or a malformed B was found only in
    a kernel, after the other reports had rendered; and the index showed one pack's hash for all.
    Now each combination is checked against its own pack before anything is written, and the index
    shows each report's pack hash when they differ."""
    import shutil

    from toolkit.errors import PackError, ParameterError
    from toolkit.pack.summary import default_pack_path
    from toolkit.report.plan import PackInfo
    from toolkit.report.sweep import sweep

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'pack: str = ""  # a pack folder\nscenario: str = "baseline"'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print('RAN', scenario)")]
    notebook = tmp_path / "packs.ipynb"
    nbformat.write(nb, notebook)
    scenarios = pack_dir / "scenarios.yaml"
    text = scenarios.read_text(encoding="utf-8")
    assert "  - id: rapid_frontline\n" in text
    scenarios.write_text(text.replace("  - id: rapid_frontline\n", "  - id: rapid_2\n"), "utf-8")
    default = str(default_pack_path())
    out = tmp_path / "out"
    grid = {"pack": [default, str(pack_dir)], "scenario": ["baseline", "rapid_frontline"]}
    with pytest.raises(ParameterError, match="unknown scenario 'rapid_frontline'"):
        sweep(grid, notebook=notebook, out_dir=out, workers=1)
    assert not out.exists()  # refused before any report
    broken = tmp_path / "broken"
    shutil.copytree(pack_dir, broken)
    with (broken / "parameters.yaml").open("a", encoding="utf-8") as f:
        f.write("garbage: [unclosed\n")
    with pytest.raises(PackError, match="malformed YAML"):
        sweep({"pack": [default, str(broken)]}, notebook=notebook, out_dir=out, workers=1)
    assert not out.exists()
    result = sweep({"pack": [default, str(pack_dir)]}, notebook=notebook, out_dir=out, workers=1)
    index = _text(result.index)
    hashes = [PackInfo.load(p).content_hash for p in (default, pack_dir)]
    assert hashes[0] != hashes[1]
    assert "Pack content hash one per pack (the pack hash column)" in index
    cells = re.findall(r'<td><code title="([0-9a-f]+)">([0-9a-f]+)</code></td>', index)
    assert cells == [(h, h[:12]) for h in hashes]


def test_names_that_differ_only_by_case_get_distinct_files(tmp_path: Path) -> None:
    """Found in a bug hunt: `--grid s=A,a` named its reports `tiny-s-A.html` and `tiny-s-a.html`,
    one file on a disk that ignores case (macOS's and Windows's by default): the second report
    replaced the first and the index linked both rows to it. Names now clash case-insensitively."""
    from toolkit.report.sweep import sweep

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('s: str = "a"  # a letter')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print('RAN', s)")]
    notebook = tmp_path / "tiny.ipynb"
    nbformat.write(nb, notebook)
    result = sweep({"s": ["A", "a", "INDEX"]}, notebook=notebook, out_dir=tmp_path / "o", workers=1)
    names = [p.name for p in result.reports]
    assert names == ["tiny-s-A.html", "tiny-s-a-2.html", "tiny-s-INDEX.html"]
    assert len({n.casefold() for n in names}) == len(names)
    assert "RAN A" in _text(result.reports[0])
    assert "RAN a" in _text(result.reports[1])


@pytest.mark.parametrize("values", ["0.3", 0.3, {"a": 1}, {1, 2}])
def test_a_grid_value_that_is_not_a_list_is_refused_in_one_line(values: object) -> None:
    """`sweep({"n_paths": "0.3"})` swept the characters "0", ".", "3" (found in a bug hunt, C7)."""
    from toolkit.errors import ParameterError
    from toolkit.report.sweep import combinations

    with pytest.raises(ParameterError, match=r"grid parameter .*n_paths.* must be a list") as err:
        combinations({"n_paths": values})  # type: ignore[dict-item]
    assert "\n" not in str(err.value)


def test_a_report_named_by_case_alone_is_not_stale(tmp_path: Path) -> None:
    """On a case-insensitive disk an earlier index's "Report-A.html" is the file this sweep just
    wrote as "report-a.html": it was listed as stale and would have been deleted (a review
    finding). Names compare casefolded; an unrelated earlier report is still stale."""
    from toolkit.report.index import SweepItem, stale_files

    (tmp_path / "report-a.html").write_text("new", encoding="utf-8")
    (tmp_path / "old.html").write_text("old", encoding="utf-8")
    items = [SweepItem({"s": "a"}, tmp_path / "report-a.html")]
    assert stale_files(tmp_path, items, ["Report-A.html", "old.html"]) == [tmp_path / "old.html"]
