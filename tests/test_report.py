"""The rendering pipeline on small fixture notebooks (tests/fixtures/): parameters checked before any
kernel starts, atomic publication and the failure path, byte-identical output, offline HTML, sweeps on
warm kernels that leak nothing between reports. Everything is written under pytest's tmp dirs."""

from __future__ import annotations

import copy
import dataclasses
import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import typer
from typer.testing import CliRunner

from toolkit.cache import CACHE_ENV
from toolkit.errors import ParameterError, ToolkitError
from toolkit.jupyter import offline
from toolkit.jupyter.html_export import iter_chart_specs, prepare_notebook
from toolkit.jupyter.nbparams import (
    NotebookParameter,
    coerce_value,
    inspect_parameters,
    split_values,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHARTS = FIXTURES / "charts_report.ipynb"
ISOLATION = FIXTURES / "isolation.ipynb"
FAILING = FIXTURES / "failing.ipynb"
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z

pytestmark = pytest.mark.xdist_group("report")


@pytest.fixture(scope="module", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Bundle cache in a tmp dir; a fixed SOURCE_DATE_EPOCH (reports are compared byte for byte)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.delenv("TOOLKIT_PACK", raising=False)
        yield


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to start a kernel fails the test."""
    from toolkit.jupyter.kernels import Kernel

    def refuse(self: Kernel) -> Kernel:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(Kernel, "start", refuse)


def _cli() -> typer.Typer:
    from toolkit.cli.report import register

    app = typer.Typer(add_completion=False)
    register(app)

    @app.callback()
    def _root() -> None:
        """Test app."""

    return app


def _seen(document: str) -> dict[str, Any]:
    match = re.search(r"SEEN (\{.*?\})\n", document)
    assert match, "the isolation probe printed nothing"
    return json.loads(match.group(1).replace("&quot;", '"'))


# -- parameters: checked before any kernel starts -----------------------------------------------------
def test_parameters_inspected_with_papermill() -> None:
    params = inspect_parameters(CHARTS)
    assert list(params) == [
        "scenario", "n_points", "scale", "seed", "entity", "troops", "fail",
    ]  # fmt: skip
    assert params["n_points"].type_name == "int"
    assert params["n_points"].default == "12"
    assert params["n_points"].help == "points per series"


def test_annotation_papermill_cannot_read_is_still_declared(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("label: str | None = None  # optional label\nn: int = 2")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    params = inspect_parameters(path)
    assert list(params) == ["label", "n"]
    assert coerce_value(params["label"], "none", from_text=True) is None
    assert coerce_value(params["label"], "x", from_text=True) == "x"


@pytest.mark.parametrize(
    ("type_name", "text", "expected"),
    [
        ("int", "12", 12),
        ("float", "2", 2.0),
        ("float", "1e-3", 0.001),
        ("bool", "yes", True),
        ("bool", "False", False),
        ("str", "12", "12"),
        ("Optional[int]", "null", None),
        ("Optional[int]", "7", 7),
        ("int | str", "7", 7),
        ("list[float]", "[1, 2.5]", [1.0, 2.5]),
        ("dict", '{"troops": 5}', {"troops": 5}),
        ("Literal['a', 'b']", "b", "b"),
        ("None", "3", 3),  # unannotated: the default's type (int)
    ],
)
def test_command_line_values_parsed_by_declared_type(
    type_name: str, text: str, expected: object
) -> None:
    param = NotebookParameter("x", type_name, "0", "")
    value = coerce_value(param, text, from_text=True)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("int", 1.5),
        ("int", True),
        ("int", "3"),
        ("float", "x"),
        ("bool", 1),
        ("list[int]", [1, "a"]),
    ],
)
def test_wrong_types_rejected(type_name: str, value: object) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'x': expected"):
        coerce_value(NotebookParameter("x", type_name, "0", ""), value)


def test_split_values_keeps_brackets_and_quotes() -> None:
    assert split_values("1,2, [3,4],'a,b'") == ["1", "2", "[3,4]", "'a,b'"]


@pytest.mark.usefixtures("no_kernel")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"parameters": {"nope": 1}}, r"unknown parameter 'nope' for charts_report\.ipynb"),
        ({"parameters": {"n_points": 1.5}}, r"parameter 'n_points': expected int, got 1\.5"),
        ({"parameters": {"n_points": "many"}, "from_text": True}, r"'n_points': expected int"),
        ({"parameters": {"fail": "maybe"}, "from_text": True}, r"'fail': expected bool"),
        ({"scenario": "no_such_scenario"}, r"unknown scenario 'no_such_scenario'"),
    ],
)
def test_bad_parameters_fail_before_a_kernel_starts(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    from toolkit.report.render import render_report

    with pytest.raises(ParameterError, match=message) as info:
        render_report(CHARTS, out=tmp_path / "r.html", **kwargs)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "r.html").exists()


def test_rejected_parameters_discard_the_prespawned_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interpreter started ahead (imports only, no sockets) never becomes a kernel."""
    from toolkit.jupyter.kernels import Kernel
    from toolkit.report.render import render_report

    spawned: list[Any] = []
    original = Kernel.prespawn

    def prespawn(self: Kernel, modules: list[str]) -> Kernel:
        original(self, modules)
        spawned.append(self._zygote)
        return self

    def refuse(self: Kernel) -> Kernel:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(Kernel, "prespawn", prespawn)
    monkeypatch.setattr(Kernel, "start", refuse)
    with pytest.raises(ParameterError):
        render_report(CHARTS, out=tmp_path / "r.html", parameters={"n_points": "x"})
    assert len(spawned) == 1
    assert spawned[0] is not None
    assert spawned[0].poll() is not None  # gone


@pytest.mark.usefixtures("no_kernel")
def test_model_parameter_ranges_come_from_the_engine(tmp_path: Path) -> None:
    from toolkit.report.render import render_report

    with pytest.raises(ParameterError, match="troops") as info:
        render_report(CHARTS, out=tmp_path / "r.html", parameters={"troops": -5})
    assert "\n" not in str(info.value)


@pytest.mark.usefixtures("no_kernel")
def test_run_parameters_go_to_the_engine_run_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`toolkit.engine.validate.validate_run(parameters)`, when the engine has it, sees the run parameters."""
    from toolkit.engine import validate
    from toolkit.report.render import render_report

    seen: list[dict[str, Any]] = []

    def validate_run(parameters: dict[str, Any]) -> None:
        seen.append(dict(parameters))
        if parameters.get("seed", 0) < 0:
            raise ParameterError(f"seed = {parameters['seed']} is out of its valid range")

    monkeypatch.setattr(validate, "validate_run", validate_run, raising=False)
    with pytest.raises(ParameterError, match="seed = -1 is out of its valid range"):
        render_report(CHARTS, out=tmp_path / "r.html", parameters={"seed": -1, "troops": 5})
    assert seen == [{"seed": -1}]  # troops is a model parameter: validate_overrides checks it


@pytest.mark.usefixtures("no_kernel")
def test_a_broken_pack_fails_before_a_kernel_starts(tmp_path: Path, pack_dir: Path) -> None:
    """Even for a notebook that uses neither the pack's frames nor the engine (checked without them)."""
    from toolkit.errors import PackError
    from toolkit.report.render import render_report

    (pack_dir / "claims.yaml").write_text("claims: [{id: 1}]\n", encoding="utf-8")
    with pytest.raises(PackError):
        render_report(ISOLATION, out=tmp_path / "r.html", pack=pack_dir)
    assert not (tmp_path / "r.html").exists()


@pytest.mark.notebook
def test_a_notebook_without_pack_parameters_loads_no_frames_or_engine(tmp_path: Path) -> None:
    """The report floor: the parent checks the pack without polars and imports no engine (numpy)
    for a notebook that needs neither; the report still names the pack in its footer."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(x + 1)")]
    path = tmp_path / "trivial.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "trivial.html"
    script = (
        "import sys; from toolkit.report.render import render_report; "
        f"render_report({str(path)!r}, out={str(out)!r}, parameters={{'x': 2}}); "
        "print(sorted(m for m in ('polars', 'numpy', 'toolkit.engine.compile') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
    from toolkit.pack.load import load_pack

    document = out.read_text(encoding="utf-8")
    assert re.search(r">3\s*<", document)  # x = 2 injected, print(x + 1) ran
    assert load_pack().content_hash in document


def test_the_warm_up_export_is_skipped_once_the_notebook_has_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from toolkit.jupyter import html_export
    from toolkit.report.render import _prepare_export

    warmed: list[object] = []
    monkeypatch.setattr(html_export, "warm_exporter", warmed.append)
    executed = threading.Event()
    _prepare_export(False, executed)
    assert len(warmed) == 1  # still running: the warm-up overlaps it
    executed.set()
    _prepare_export(False, executed)
    assert len(warmed) == 1  # already done: straight to the real export


@pytest.mark.usefixtures("no_kernel")
def test_scenario_needs_a_scenario_parameter(tmp_path: Path) -> None:
    from toolkit.report.render import render_report

    with pytest.raises(ParameterError, match="has no 'scenario' parameter"):
        render_report(ISOLATION, scenario="baseline", out=tmp_path / "r.html")


@pytest.mark.usefixtures("no_kernel")
def test_missing_notebook_is_one_line(tmp_path: Path) -> None:
    from toolkit.report.render import render_report

    with pytest.raises(ToolkitError, match="notebook not found"):
        render_report(tmp_path / "nope.ipynb")


@pytest.mark.usefixtures("no_kernel")
def test_cli_bad_parameter_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _cli(), ["report", str(CHARTS), "-p", "n_points=many", "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: parameter 'n_points': expected int")


# -- chart outputs and export, without a kernel ---------------------------------------------------
def test_spec_json_cannot_end_its_script_element() -> None:
    spec = {"title": "</script><script>alert(1)</script><!--", "x": "a & b"}
    text = offline.spec_json(spec)
    assert "<" not in text
    assert ">" not in text
    assert json.loads(text) == spec


def test_bundle_is_wrapped_once_and_never_escaped() -> None:
    version, bundle = offline.javascript_bundle("6.4")
    script = offline.bundle_script(version)
    assert bundle in script  # verbatim: its regex literals hold "</" and must stay as they are
    assert script.lower().count("</script") == 1
    assert "if (!window.vegaEmbed) { (function () {" in script


@pytest.mark.parametrize("report_mode", [False, True])
def test_chart_outputs_are_native_vegalite_valid_nbformat_and_carry_no_script(
    monkeypatch: pytest.MonkeyPatch, report_mode: bool
) -> None:
    """JupyterLab draws `application/vnd.vegalite.v5+json` itself, untrusted: no HTML, no script; the
    same output live and in a report kernel (so a failed report's notebook shows its charts)."""
    if report_mode:
        monkeypatch.setenv(offline.REPORT_MODE_ENV, "1")
    else:
        monkeypatch.delenv(offline.REPORT_MODE_ENV, raising=False)
    schema = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
    spec = {"$schema": schema, "mark": "point", "title": {"text": "T"}}
    data, metadata = offline.offline_renderer(spec)
    assert set(data) == {"application/vnd.vegalite.v5+json", "text/plain"}
    assert data["application/vnd.vegalite.v5+json"] == {
        **spec,
        "$schema": offline.VEGALITE_V5_SCHEMA,
    }
    assert data["text/plain"] == "<Vega-Lite chart: T>"
    assert metadata["toolkit"] == {"$schema": schema}
    assert metadata["application/vnd.vegalite.v5+json"]["embed_options"]["renderer"] == "svg"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("chart")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    nb.cells = [cell]
    nbformat.validate(nb)
    assert offline.output_spec(data, metadata) == spec  # the export gets the spec back as it was
    prepared, versions = prepare_notebook(nb, show_code=False)
    assert versions == ["6.4"]
    assert json.dumps(spec, separators=(",", ":")) in prepared.cells[0].outputs[0].data["text/html"]


def test_prepare_notebook_ids_are_deterministic_and_library_outputs_dropped() -> None:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json", "mark": "bar"}
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell(f"cell {i}", execution_count=40 + i) for i in range(3)]
    cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<script>lib</script>"},
            metadata={offline.BUNDLE_OUTPUT_KEY: offline.BUNDLE_OUTPUT_VALUE},
        )
    ]  # fmt: skip
    cells[1].outputs = [
        nbformat.v4.new_output(
            "execute_result",
            data={offline.MIMETYPE: spec, "text/plain": "c"},  # the earlier custom mimetype
            execution_count=41,
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "w"},
        ),
    ]
    nb.cells = cells
    prepared, versions = prepare_notebook(nb, show_code=False)
    assert versions == ["6.4"]
    assert [c.id for c in prepared.cells] == ["cell-0"]  # cells showing nothing are dropped
    outputs = prepared.cells[0].outputs
    assert 'id="tk-chart-1"' in outputs[0].data["text/html"]
    assert outputs[0].execution_count is None
    assert outputs[1].data == {"text/plain": "w"}
    assert prepared.cells[0].execution_count is None


def test_markdown_outputs_keep_markdown_and_lose_scripts() -> None:
    from toolkit.jupyter.sanitise import clean_markdown_html

    kept = "<h2>T</h2><p>a <strong>b</strong></p><table><thead><tr><th>x</th></tr></thead></table>"
    assert clean_markdown_html(kept) == kept
    dirty = '<p onclick="x()">t</p><script>alert(1)</script><iframe src="a"></iframe>'
    cleaned = clean_markdown_html(dirty)
    assert "<script" not in cleaned
    assert "<iframe" not in cleaned
    assert "onclick" not in cleaned
    assert "&lt;script&gt;" in cleaned


@pytest.mark.parametrize("show_code", [False, True])
def test_the_report_exporter_writes_what_nbconvert_writes(
    show_code: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's HTMLExporter (tree searches instead of CSS selectors, cached templates) gives
    the same document as nbconvert's own, images without alt text and focusable areas included."""
    from nbconvert.exporters import HTMLExporter

    from toolkit.jupyter import html_export, provenance

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x = 1\nprint(x)")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "img"}),
        nbformat.v4.new_output(
            "display_data", data={"text/html": '<img src="data:image/png;base64,' + png + '">'}
        ),
        nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1),
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# T\n\n![a dot](data:image/png;base64," + png + ") *b*"),
        code,
        nbformat.v4.new_code_cell("y = 2"),
    ]
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    prov = provenance.Provenance(
        "t.ipynb", "0" * 64, "0", "pack", "1" * 64, None, None, (), "py", (), "2023-11-14T22:13:20Z"
    )

    def document() -> str:
        return html_export.export_html(
            copy.deepcopy(nb), title="T", provenance=prov, show_code=show_code
        )

    ours = document()
    ours_again = document()  # templates from the cache this time
    monkeypatch.setattr(html_export, "_exporter_class", lambda: HTMLExporter)
    assert ours == document() == ours_again
    assert 'alt="No description has been provided for this image"' in ours
    assert 'tabindex="0"' in ours


def test_outputs_that_load_from_a_cdn_are_refused() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("chart")
    cdn = '<div id="vis"></div><script src="https://cdn.jsdelivr.net/npm/vega@6"></script>'
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": cdn})]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    with pytest.raises(ToolkitError, match=r"cell 2: loads from the network"):
        prepare_notebook(nb, show_code=False)
    nb.cells = [nbformat.v4.new_markdown_cell("![logo](https://example.org/logo.png)")]
    with pytest.raises(ToolkitError, match=r"cell 1: loads from the network"):
        prepare_notebook(nb, show_code=False)


# -- rendering ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.report.render import render_report

    out = tmp_path_factory.mktemp("api") / "charts.html"
    return render_report(CHARTS, parameters={"n_points": 12}, out=out)


@pytest.mark.notebook
def test_render_writes_one_offline_document(rendered: Path) -> None:
    document = rendered.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", document)
    assert "<link" not in document
    assert "require.js" not in document
    assert "MathJax" not in document
    assert document.count('data-toolkit="vega-bundle"') == 1
    specs = list(iter_chart_specs(document))
    assert len(specs) == 2
    assert any("params" in s and s["params"][0]["bind"]["input"] == "range" for s in specs)
    assert "jp-CodeMirrorEditor" not in document  # code hidden by default
    assert "use_offline_renderer" not in document
    assert not list(rendered.parent.glob(".*.tmp"))
    assert rendered.stat().st_size < 1_100_000


@pytest.mark.notebook
def test_provenance_footer(rendered: Path) -> None:
    from toolkit.pack.load import load_pack

    document = rendered.read_text(encoding="utf-8")
    match = re.search(r'<script[^>]*\sid="tk-provenance"[^>]*>(.*?)</script>', document)
    assert match
    prov = json.loads(match.group(1))
    assert prov["pack_hash"] == load_pack().content_hash
    assert prov["generated_at"] == "2023-11-14T22:13:20Z"
    assert prov["seed"] == "7"
    assert prov["toolkit_version"]
    assert prov["python"].startswith("CPython 3.")
    assert {"altair", "papermill", "nbconvert", "polars"} <= set(prov["libraries"])
    values = {p["name"]: (p["value"], p["overridden"]) for p in prov["parameters"]}
    assert values["n_points"] == ("12", True)
    assert values["scale"] == ("1.0", False)
    assert set(values) == set(inspect_parameters(CHARTS))
    assert prov["pack_hash"] in document.split('id="provenance"')[1]  # shown, not only embedded


@pytest.mark.notebook
def test_same_inputs_give_identical_bytes_api_and_cli(rendered: Path, tmp_path: Path) -> None:
    out = tmp_path / "again.html"
    result = CliRunner().invoke(
        _cli(), ["report", str(CHARTS), "-p", "n_points=12", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert out.read_bytes() == rendered.read_bytes()


@pytest.mark.notebook
def test_kernel_launched_without_prespawn_gives_the_same_report(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.report.render import render_report

    monkeypatch.setenv("TOOLKIT_PRESPAWN", "0")
    path = render_report(CHARTS, parameters={"n_points": 12}, out=tmp_path / "plain.html")
    assert path.read_bytes() == rendered.read_bytes()


@pytest.mark.notebook
def test_show_code_keeps_the_code(tmp_path: Path) -> None:
    from toolkit.report.render import render_report

    path = render_report(CHARTS, out=tmp_path / "code.html", show_code=True, scenario="baseline")
    document = path.read_text(encoding="utf-8")
    assert "jp-CodeMirrorEditor" in document
    assert "use_offline_renderer" in document


@pytest.mark.notebook
def test_failure_publishes_nothing_and_keeps_the_annotated_notebook(tmp_path: Path) -> None:
    from toolkit.report.render import ReportError, render_report

    out = tmp_path / "failing.html"
    out.write_text("previous report", encoding="utf-8")
    with pytest.raises(ReportError) as info:
        render_report(FAILING, out=out)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("failing.ipynb failed in cell 4 (ratio = 1 / divisor)")
    assert "ZeroDivisionError: division by zero" in message
    failed = tmp_path / "failed" / "failing.ipynb"
    assert str(failed) in message
    assert out.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed", "failing.html"]
    assert [p.name for p in failed.parent.iterdir()] == ["failing.ipynb"]
    nb = nbformat.read(failed, as_version=4)
    assert "papermill-error-cell-tag" in nb.cells[0].metadata["tags"]
    assert any(
        o.get("ename") == "ZeroDivisionError" for c in nb.cells for o in c.get("outputs", [])
    )


@pytest.mark.notebook
def test_cli_failure_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["report", str(FAILING), "--out", str(tmp_path / "f.html")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ZeroDivisionError" in lines[0]


# -- sweeps ------------------------------------------------------------------------------------------
@pytest.mark.notebook
@pytest.mark.slow
def test_sweep_reports_equal_single_reports(rendered: Path, tmp_path: Path) -> None:
    from toolkit.report.sweep import sweep

    result = sweep({"n_points": [5, 12]}, notebook=CHARTS, out_dir=tmp_path, workers=2)
    assert [p.name for p in result.reports] == [
        "charts_report-n_points-5.html",
        "charts_report-n_points-12.html",
    ]
    # a report rendered on a reused kernel is byte-identical to one from a cold kernel
    assert result.reports[1].read_bytes() == rendered.read_bytes()
    index = result.index.read_text(encoding="utf-8")
    for path in result.reports:
        assert f'href="{path.name}"' in index
    assert "<th>n_points</th>" in index
    assert "<code>5</code>" in index


@pytest.mark.notebook
@pytest.mark.slow
def test_sweep_with_shared_assets_writes_the_library_once(rendered: Path, tmp_path: Path) -> None:
    """--shared-assets: one library file beside index.html; each report loads it by name and is
    otherwise the self-contained report byte for byte."""
    from toolkit.report.sweep import sweep

    result = sweep(
        {"n_points": [5, 12]}, notebook=CHARTS, out_dir=tmp_path, workers=2, shared_assets=True
    )
    (bundle,) = tmp_path.glob("vega-bundle-*.js")
    document = result.reports[1].read_text(encoding="utf-8")
    # nbconvert's last pass writes attributes in alphabetical order; `onerror` says on the page
    # why the charts are blank when the report is opened without the library beside it
    tag = re.search(
        r'(<script [^>]*data-toolkit="vega-bundle"[^>]*) onerror="([^"]+)" src="([^"]+)"></script>',
        document,
    )
    assert tag is not None
    assert tag.group(3) == bundle.name
    assert bundle.name in html.unescape(tag.group(2))
    inline = f"{tag.group(1)}>\n{bundle.read_text(encoding='utf-8')}</script>"
    assert document.replace(tag.group(0), inline).encode("utf-8") == rendered.read_bytes()
    assert len(document) < len(rendered.read_text(encoding="utf-8")) - 500_000
    # a self-contained sweep into the folder leaves no library behind (no report there loads it)
    again = sweep({"n_points": [12]}, notebook=CHARTS, out_dir=tmp_path, workers=1)
    assert again.reports[0].read_bytes() == rendered.read_bytes()
    assert bundle in again.removed
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))  # not the lock
    assert left == sorted([again.reports[0].name, "index.html"])


@pytest.mark.notebook
@pytest.mark.slow
def test_a_kept_shared_assets_report_keeps_its_library(tmp_path: Path) -> None:
    """Found in a bug hunt: a sweep without --shared-assets into a --shared-assets sweep's folder
    removed the chart library although a report it failed to write, its earlier version kept at its
    name, still loads it: the kept report showed no charts. Now the library stays while a report in
    the folder loads it."""
    import nbformat

    from toolkit.report.sweep import SweepError, sweep

    notebook = tmp_path / "charts.ipynb"
    nb = nbformat.read(CHARTS, as_version=4)
    nbformat.write(nb, notebook)
    out = tmp_path / "out"
    first = sweep(
        {"n_points": [5, 12]}, notebook=notebook, out_dir=out, workers=1, shared_assets=True
    )
    (bundle,) = out.glob("vega-bundle-*.js")
    nb.cells.append(nbformat.v4.new_code_cell("if n_points != 5:\n    raise RuntimeError('fails')"))
    nbformat.write(nb, notebook)
    with pytest.raises(SweepError, match="1 of 2 reports failed") as caught:
        sweep({"n_points": [5, 12]}, notebook=notebook, out_dir=out, workers=1)
    kept = first.reports[1]
    assert kept.is_file()  # the earlier version, kept
    assert f'src="{bundle.name}"' in kept.read_text(encoding="utf-8")
    assert bundle.is_file(), "the kept report's chart library was removed"
    assert bundle not in caught.value.result.removed


@pytest.mark.notebook
@pytest.mark.slow
def test_sweep_reports_do_not_leak_state(tmp_path: Path) -> None:
    from toolkit.report.render import render_report
    from toolkit.report.sweep import sweep

    result = sweep({"value": [1, 2, 3]}, notebook=ISOLATION, out_dir=tmp_path, workers=1)
    seen = [_seen(p.read_text(encoding="utf-8")) for p in result.reports]
    # each report changed globals, env, cwd, sys.path, RNG seeds, Altair renderer and theme, a
    # toolkit module attribute, warnings, NumPy and Polars options; the next one saw none of it
    assert seen[0] == seen[1] == seen[2]
    cold = _seen(render_report(ISOLATION, out=tmp_path / "cold.html").read_text(encoding="utf-8"))
    for probe in (cold, seen[0]):
        randomness = {probe.pop("random"), probe.pop("np_random")}
        assert len(randomness) == 2
    assert seen[0] == cold
    assert cold["globals"] == []
    assert cold["env"] is None
    assert cold["module_attr"] is None
    assert cold["renderer"] == offline.RENDERER_NAME
    assert cold["executable"] == sys.executable  # the report kernel runs this interpreter


@pytest.mark.usefixtures("no_kernel")
def test_sweep_validates_every_combination_first(tmp_path: Path) -> None:
    from toolkit.report.sweep import sweep

    with pytest.raises(ParameterError, match="expected int"):
        sweep({"n_points": ["5", "x"]}, notebook=CHARTS, out_dir=tmp_path, from_text=True)
    assert not list(tmp_path.iterdir())


REPORT = Path(__file__).resolve().parent.parent / "notebooks" / "report.ipynb"


@pytest.mark.usefixtures("no_kernel")
@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"troops": "-5"}, r"'troops' = -5 is out of its valid range \[0, 100000\]"),
        ({"troops": "many"}, "'troops': expected a number, got 'many'"),
        ({"paths": "0"}, r"paths = 0 is out of its valid range \[1, 1000000000\]"),
        ({"grid_paths": "-1"}, "grid_paths = -1 is out of its valid range"),
        ({"seed": "1.5"}, "parameter 'seed': expected int"),
        ({"colour": "red"}, "unknown parameter 'colour' for report.ipynb"),
        ({"within": "48"}, r"within = 48 is past the horizon \(months = 36\)"),
        ({"within": "10", "months": "6"}, r"within = 10 is past the horizon \(months = 6\)"),
        ({"within": "-1"}, r"within = -1 is out of its valid range \[0, 600\]"),
        ({"troops": "1e308"}, r"'troops' = 1e\+308 is out of its valid range \[0, 100000\]"),
        (
            {"sensitivity_outcome": "lethal_weapon"},
            "sensitivity_outcome 'lethal_weapon' is not a response tier, phase, technology or "
            "technology tier of the pack",
        ),
    ],
)
def test_default_report_rejects_bad_parameters_before_a_kernel(
    tmp_path: Path, given: dict[str, str], message: str
) -> None:
    from toolkit.report.render import render_report

    out = tmp_path / "r.html"
    with pytest.raises(ParameterError, match=message) as info:
        render_report(REPORT, out=out, parameters=given, from_text=True)
    assert "\n" not in str(info.value)
    assert not out.exists()


def test_default_report_takes_a_shorter_horizon_with_the_default_within() -> None:
    """`-p months=6` alone still renders: the notebook's headline month follows the horizon."""
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import PackInfo, plan_report

    plan = plan_report(
        NotebookInfo.read(REPORT), PackInfo.load(None), parameters={"months": "6"}, from_text=True
    )
    # `within` follows it explicitly, so the footer and a sweep's index name the 6 months the
    # report used; they said within 12 while the tornado was computed at month 12, past the
    # horizon (found in a bug hunt)
    assert plan.overrides == {"months": 6, "within": 6}
    assert REPORT.read_text(encoding="utf-8").count("min(within, months)") == 3
    longer = plan_report(
        NotebookInfo.read(REPORT), PackInfo.load(None), parameters={"months": "24"}, from_text=True
    )
    assert longer.overrides == {"months": 24}


def test_footer_shows_the_run_inputs_the_notebook_reported() -> None:
    """A notebook reports its run's inputs in an output's metadata; the footer shows them, escaped,
    and embeds them in its JSON."""
    from toolkit.jupyter.provenance import RUN_INPUTS_KEY, Provenance, footer_html, run_inputs

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    inputs = {
        "scenario": "baseline",
        "overrides": {"troops": 15000, "<b>": "<i>"},
        "start": {"westward_movement": 1.0},
    }
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/plain": "old"}, metadata={}),
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": "x"}, metadata={RUN_INPUTS_KEY: inputs}
        ),
    ]
    nb.cells = [cell]
    assert run_inputs(nb) == inputs
    assert run_inputs(nbformat.v4.new_notebook()) is None
    prov = Provenance(
        notebook="n.ipynb", notebook_sha256="0" * 64, toolkit_version="1", pack_title=None,
        pack_hash=None, scenario="baseline", seed="1", parameters=(), python="CPython",
        libraries=(), generated_at="now", inputs=inputs,
    )  # fmt: skip
    footer = footer_html(prov)
    assert (
        "<dt>Run inputs</dt><dd>scenario <code>baseline</code> · overrides "
        "<code>troops=15000, &lt;b&gt;=&lt;i&gt;</code> · start <code>westward_movement=1.0</code>"
    ) in footer
    assert "<b>" not in footer
    assert "<i>" not in footer
    data = re.search(r'id="tk-provenance">(.*?)</script>', footer)
    assert data
    assert json.loads(data.group(1))["inputs"] == inputs
    empty = footer_html(dataclasses.replace(prov, inputs={"overrides": {}}))
    assert "overrides <code>none</code>" in empty


@pytest.mark.usefixtures("no_kernel")
def test_a_bad_start_state_is_refused_before_a_kernel(tmp_path: Path) -> None:
    from toolkit.report.render import render_report

    for start, message in (
        ('{"nowhere": 1}', "start: unknown phase 'nowhere'"),
        ('{"westward_movement": 0.5}', "start: shares must sum to 1"),
    ):
        with pytest.raises(ParameterError, match=message):
            render_report(
                REPORT, out=tmp_path / "r.html", parameters={"start": start}, from_text=True
            )
    assert not list(tmp_path.iterdir())


def test_model_parameters_on_the_command_line_fold_into_overrides() -> None:
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import PackInfo, plan_report

    plan = plan_report(
        NotebookInfo.read(REPORT),
        PackInfo.load(None),
        parameters={"troops": "15000", "lethal_will": "0.3", "paths": "500"},
        from_text=True,
    )
    assert plan.overrides["overrides"] == {"troops": 15000, "lethal_will": 0.3}
    assert plan.overrides["paths"] == 500
    with pytest.raises(ParameterError, match="given twice"):
        plan_report(
            NotebookInfo.read(REPORT),
            PackInfo.load(None),
            parameters={"troops": "1", "overrides": '{"troops": 2}'},
            from_text=True,
        )


def test_report_kernel_displays_charts_without_schema_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In report mode the spec goes out unvalidated (tests validate every chart function instead), and
    schema objects are not validated as they are built (Altair's debug mode is off)."""
    import altair as alt
    from altair.utils import schemapi
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr(schemapi, "DEBUG_MODE", True)  # restored for the tests that follow
    try:
        monkeypatch.setenv(offline.REPORT_MODE_ENV, "1")
        offline.use_offline_renderer()
        assert schemapi.DEBUG_MODE is False
        chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
        calls: list[bool] = []
        real = alt.Chart.to_dict

        def spy(self: alt.Chart, *args: Any, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs.get("validate", True))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(alt.Chart, "to_dict", spy)
        bundle, _ = shell.display_formatter.format(chart)
        assert calls == [False]
        assert bundle[offline.VEGALITE_MIMETYPE]["mark"] == {"type": "point"}
        assert "text/html" not in bundle
    finally:
        InteractiveShell.clear_instance()


def test_sweep_uses_one_worker_per_cpu_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    sweep_module = importlib.import_module(
        "toolkit.report.sweep"
    )  # `toolkit.report.sweep` is also the function

    monkeypatch.setattr(sweep_module.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert sweep_module.default_workers() == 2
    monkeypatch.setattr(
        sweep_module.os, "sched_getaffinity", lambda _pid: set(range(64)), raising=False
    )
    assert sweep_module.default_workers() == sweep_module.MAX_DEFAULT_WORKERS


# -- the default report: what it says about its own inputs ----------------------------------------
@pytest.fixture(scope="module")
def overridden_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default report with a command-line override and a start state, at small sizes."""
    from toolkit.report.render import render_report

    out = tmp_path_factory.mktemp("inputs") / "report.html"
    given = {
        "troops": "15000",
        "start": '{"adaptation_training": 0.5, "westward_movement": 0.5}',
        "paths": "2000",
        "sensitivity_paths": "300",
        "grid_paths": "100",
        "months": "24",
    }
    return render_report(REPORT, out=out, parameters=given, from_text=True).read_text("utf-8")


def _text(document: str) -> str:
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", document)).split())


@pytest.mark.notebook
def test_report_headline_and_footer_name_every_input(overridden_report: str) -> None:
    text = _text(overridden_report)
    headline = text.split("Key findings in detail ¶", 1)[1][
        :600
    ]  # the heading, not its contents link
    assert "Under the baseline scenario" in headline
    assert "with overrides troops = 15,000" in headline
    assert "50 % in “Moving west toward Ukraine” (a start state set for this run)" in headline
    footer = text.split("Provenance", 1)[1]
    assert (
        "Run inputs scenario baseline · overrides troops=15000 · "
        "start adaptation_training=0.5, westward_movement=0.5"
    ) in footer
    match = re.search(r'id="tk-provenance"[^>]*>(.*?)</script>', overridden_report)
    assert match
    assert json.loads(match.group(1))["inputs"] == {
        "scenario": "baseline",
        "overrides": {"troops": 15000},
        "start": {"adaptation_training": 0.5, "westward_movement": 0.5},
    }


@pytest.mark.notebook
def test_report_sets_the_words_beside_the_model(overridden_report: str) -> None:
    text = _text(overridden_report)
    section = text.split("Do the numbers agree with the words they rest on? ¶", 1)[1]
    assert "The model leaves the speaker's band for" in section
    assert "“possible”: unlikely, 10–55 % “Combat in Ukraine” reached within 12 months" in section
    assert "⚠ model above the speaker's band" in section  # westward ~96 % vs "potentially"
    assert "never decided on about a third of paths (35 %; drawn per path from 0.15–0.55)" in text


# -- output names (issue 14) -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({}, "charts_report.html"),
        ({"scenario": "rapid_frontline"}, "charts_report-rapid_frontline.html"),
        ({"parameters": {"scenario": "rapid_frontline"}}, "charts_report-rapid_frontline.html"),
        (
            {"parameters": {"scenario": "rapid_frontline", "n_points": 5}},
            "charts_report-rapid_frontline.html",
        ),
    ],
)
def test_one_naming_rule_however_the_scenario_is_given(
    kwargs: dict[str, Any], name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import PackInfo, plan_report
    from toolkit.report.render import output_path

    monkeypatch.chdir(tmp_path)
    plan = plan_report(NotebookInfo.read(CHARTS), PackInfo.load(None), **kwargs)
    assert output_path(plan) == tmp_path / "reports" / name


@pytest.mark.usefixtures("no_kernel")
@pytest.mark.parametrize("out", ["x.pdf", "x.png", "x", "x.html.pdf"])
def test_a_report_out_that_is_not_html_is_refused_before_any_work(tmp_path: Path, out: str) -> None:
    result = CliRunner().invoke(_cli(), ["report", str(CHARTS), "--out", str(tmp_path / out)])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: --out '{tmp_path / out}': a report is an HTML file")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_kernel")
def test_report_parameters_may_name_the_engine_defaults(tmp_path: Path) -> None:
    """`seed: int = DEFAULT_SEED` in a parameters cell: the plan, the footer and the checks use the
    value from toolkit.engine.defaults."""
    from toolkit.engine.defaults import DEFAULT_MONTHS, DEFAULT_SEED
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import PackInfo, parameter_default, plan_report

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "from toolkit.engine.defaults import DEFAULT_MONTHS, DEFAULT_SEED\n"
        "seed: int = DEFAULT_SEED  # random seed\n"
        "months: int = DEFAULT_MONTHS  # horizon\n"
        "within: int = 12  # headline month\n"
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "named.ipynb"
    nbformat.write(nb, path)
    info = NotebookInfo.read(path)
    assert list(info.parameters) == ["seed", "months", "within"]
    assert parameter_default(info.parameters["seed"]) == DEFAULT_SEED
    plan = plan_report(info, PackInfo.load(None), parameters={"within": 30})
    prov = {p.name: p.value for p in plan.provenance().parameters}
    assert prov == {"seed": str(DEFAULT_SEED), "months": str(DEFAULT_MONTHS), "within": "30"}
    assert plan.provenance().seed == str(DEFAULT_SEED)
    with pytest.raises(ParameterError, match=rf"past the horizon \(months = {DEFAULT_MONTHS}\)"):
        plan_report(info, PackInfo.load(None), parameters={"within": DEFAULT_MONTHS + 1})


# -- listing and naming parameters (issue 14) --------------------------------------------------------
def test_list_params_prints_every_parameter_and_runs_nothing(
    no_kernel: None, tmp_path: Path
) -> None:
    result = CliRunner().invoke(_cli(), ["report", str(REPORT), "--list-params"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Parameters of report.ipynb (-p name=value, or papermill's -p name value):"
    assert any(
        line.split() == ["paths:", "int", "=", "20000", "Monte", "Carlo", "paths"] for line in lines
    )
    assert len([line for line in lines if line.startswith("  ")]) == len(inspect_parameters(REPORT))
    assert "Model parameters are accepted too" in lines[-1]
    fixture = CliRunner().invoke(_cli(), ["report", str(CHARTS), "--list-params"])
    assert "n_points: int" in fixture.stdout
    assert "Model parameters" not in fixture.stdout  # no `overrides` parameter


@pytest.mark.usefixtures("no_kernel")
@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"troop": "15000"},
            r"unknown parameter 'troop' for report\.ipynb \(did you mean 'troops'\? "
            r"it takes: scenario, paths, .*, and the \d+ model parameters \(`toolkit params` lists them\)\)$",
        ),
        ({"sead": "1"}, r"unknown parameter 'sead' for report\.ipynb \(did you mean 'seed'\? "),
        ({"zzz": "1"}, r"unknown parameter 'zzz' for report\.ipynb \(it takes: scenario"),
    ],
)
def test_unknown_parameters_name_the_nearest_notebook_or_model_parameter(
    tmp_path: Path, given: dict[str, str], message: str
) -> None:
    from toolkit.report.render import render_report

    with pytest.raises(ParameterError, match=message):
        render_report(REPORT, out=tmp_path / "r.html", parameters=given, from_text=True)


@pytest.mark.usefixtures("no_kernel")
def test_a_papermill_style_parameter_that_reaches_the_command_is_explained(tmp_path: Path) -> None:
    """Joined by the `toolkit` launcher; anywhere else the value was taken for the notebook."""
    result = CliRunner().invoke(_cli(), ["report", "-p", "troops", "15000"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line == "error: -p expects name=value, got 'troops': did you mean -p troops=15000?"


@pytest.mark.notebook
def test_report_contents_list_the_notebooks_headings(overridden_report: str) -> None:
    """The contents near the top are the notebook's own `##`/`###` headings, in order, each a link
    to its heading's anchor in the same file (issue 14)."""
    import html

    from toolkit.pack.load import load_pack
    from toolkit.report.narrative import describe_section

    cells = json.loads(REPORT.read_text("utf-8"))["cells"]
    expected = []
    for c in cells:
        source = "".join(c["source"])
        section = re.search(r'describe_section\(the_pack, "(\w+)"\)', source)
        if section:  # a model section's heading, in the pack's words
            source = describe_section(load_pack(), section.group(1))  # type: ignore[arg-type]
        elif c["cell_type"] != "markdown":
            continue
        expected += [
            line.lstrip("#").strip() for line in source.splitlines() if re.match(r"#{2,3} ", line)
        ]
    assert "How the trilateral response may climb" in expected
    nav = re.search(r'<nav class="tk-contents".*?</nav>', overridden_report, re.S)
    assert nav
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', nav.group(0))
    assert [html.unescape(text) for _, text in links] == expected
    ids = set(re.findall(r'<h[23] id="([^"]+)"', overridden_report))
    assert all(target in ids for target, _ in links)
    # the bottom line first, then the contents, then the rest
    at = overridden_report.index('<nav class="tk-contents"')
    assert overridden_report.index('id="Bottom-line"') < at
    assert at < overridden_report.index('id="Key-findings-in-detail"')
    assert "toolkit:contents" not in overridden_report


# a 1x1 PNG
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_markdown_naming_an_image_file_is_rendered_afresh(tmp_path: Path) -> None:
    """nbconvert inlines an image file's bytes as it renders Markdown: a rendering remembered while
    the notebook ran (before the file existed, or in a sweep's earlier report) is not reused."""
    from toolkit.jupyter.html_export import make_exporter, prerender_markdown

    exporter = make_exporter(show_code=False)
    cell = {"cell_type": "markdown", "source": "![plot](x.png)"}
    context = {"cell": cell, "resources": {"metadata": {"path": str(tmp_path)}}}
    prerender_markdown(exporter, [cell])
    before = exporter.markdown2html(context, cell["source"])
    (tmp_path / "x.png").write_bytes(PNG_1X1)
    after = exporter.markdown2html(context, cell["source"])
    assert "data:image/png;base64," not in before
    assert "data:image/png;base64," in after  # the file as it is at export time


def test_reading_a_notebook_without_cell_ids_does_not_warn(tmp_path: Path) -> None:
    """A hand-edited notebook (nbformat 4.5) whose cells lack ids: papermill's read of it already
    warns; the toolkit's own read before it stays quiet, so the user sees the warning once."""
    import warnings

    from toolkit.report.notebook import NotebookInfo

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("# Title")]
    data = json.loads(nbformat.writes(nb))
    for c in data["cells"]:
        del c["id"]
    path = tmp_path / "noids.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = NotebookInfo.read(path)
    assert info.title == "Title"
    assert [str(w.message) for w in caught] == []


def test_a_relative_pack_parameter_is_the_callers_and_one_pack_is_given_once(
    pack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-p pack=seeds` passed the checks (made from the caller's folder) and failed in the kernel,
    which runs elsewhere; `--pack A -p pack=B` checked A and ran B, with A's hash in the footer
    (found in a bug hunt)."""
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import PackInfo, plan_report

    monkeypatch.chdir(pack_dir.parent)
    info = NotebookInfo.read(REPORT)
    relative = {"pack": pack_dir.name}
    plan = plan_report(info, PackInfo.load(pack_dir.name), parameters=relative)
    assert plan.overrides["pack"] == str(pack_dir.resolve())
    with pytest.raises(ParameterError, match=r"pack given twice: --pack .* and -p pack="):
        plan_report(info, PackInfo.load(None), parameters=relative, pack_given=True)
    same = plan_report(info, PackInfo.load(pack_dir), parameters=relative, pack_given=True)
    assert same.overrides["pack"] == str(pack_dir.resolve())


@pytest.mark.parametrize(
    "text",
    [
        '{"troops": 5000, "troops": 6000}',
        "{'troops': 5000, 'troops': 6000}",
        '{"a": {"b": 1, "b": 2}}',
    ],
)
def test_a_value_that_gives_a_key_twice_is_refused(text: str) -> None:
    """`-p overrides='{"troops": 5000, "troops": 6000}'` kept the last silently (bug hunt)."""
    from toolkit.jupyter.nbparams import _parse_text

    with pytest.raises(ParameterError, match="is given twice in"):
        _parse_text(text)
