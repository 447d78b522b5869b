"""`toolkit report`: execute a checked notebook with papermill, publish offline HTML.

    render_report(notebook=None, *, scenario=None, parameters=None, out=None, show_code=False,
                  pack=None) -> Path

1. Plan (no kernel yet): read the notebook (`toolkit.report.notebook`) and check every parameter
   against its `parameters` cell, the pack and the engine (`toolkit.report.plan`). Any problem is a
   one-line `ParameterError`/`ToolkitError`. The pack's frames (polars) and the engine are loaded
   only for the checks that need them (a scenario, model parameters).
2. Start this interpreter's kernel (`toolkit.jupyter.kernels`) and queue the notebook's imports at once; while it
   boots, the parent imports nbconvert and loads the chart library (a warm-up export too, unless the
   notebook has already finished).
3. Execute with `papermill.execute_notebook` on that kernel, export in-process (`toolkit.jupyter.html_export`),
   write to a temporary file in the target directory and `os.replace` it into place.
4. On failure nothing is published, an existing report stays as it was, papermill's error-annotated
   notebook is kept under `<out dir>/failed/`, and the `ReportError` names the failing cell and error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from toolkit.errors import ToolkitError
from toolkit.files import write_atomic
from toolkit.report.notebook import NotebookInfo, NotebookSource
from toolkit.report.plan import PackInfo, ReportPlan, kernel_env_for, pack_parameter, plan_report

if TYPE_CHECKING:
    from nbconvert.exporters import HTMLExporter
    from nbformat import NotebookNode

    from toolkit.jupyter.kernels import Kernel

CELL_TIMEOUT = 900  # seconds per cell
IOPUB_TIMEOUT = 120  # seconds: outputs of a finished cell still arriving (a busy machine)


class ReportError(ToolkitError):
    """A report could not be produced; nothing was published."""

    def __init__(self, message: str, failed_notebook: Path | None = None) -> None:
        super().__init__(message)
        self.failed_notebook = failed_notebook


REPORT_SUFFIXES = (".html", ".htm")


@runtime_checkable
class PendingExporter(Protocol):
    """An exporter being prepared in another thread (a `Future`, `_ExportPrep`)."""

    def result(self) -> HTMLExporter: ...


def default_output_path(notebook: Path, scenario: str | None = None) -> Path:
    """`reports/<notebook>[-<scenario>].html` under the current directory."""
    suffix = f"-{slug(scenario)}" if scenario else ""
    return Path.cwd() / "reports" / f"{notebook.stem}{suffix}.html"


def output_path(plan: ReportPlan) -> Path:
    """Where a report goes without `--out`: one rule however the scenario was given (`--scenario X`,
    `-p scenario=X`, `parameters={"scenario": X}`): `reports/<notebook>-X.html`; without one,
    `reports/<notebook>.html`."""
    given = plan.overrides.get("scenario")
    return default_output_path(plan.notebook.path, given if isinstance(given, str) else None)


def check_report_out(out: str | os.PathLike[str]) -> Path:
    """`out` as a report's file: an .html name that can be written, else a one-line OutputError
    (a report is HTML: `--out x.pdf` would put HTML into a .pdf)."""
    from toolkit.errors import OutputError
    from toolkit.files import check_output_file

    if Path(out).suffix.lower() not in REPORT_SUFFIXES:
        raise OutputError(
            f"--out {str(out)!r}: a report is an HTML file; give a name ending in .html "
            "(a browser prints it to PDF)"
        )
    return check_output_file(Path(out).resolve())


def slug(value: object, limit: int = 40) -> str:
    text = re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value)).strip("_") or "x"
    if len(text) > limit:
        digest = hashlib.sha256(str(value).encode()).hexdigest()[:8]
        text = f"{text[: limit - 9]}~{digest}"
    return text


# -- execution and publication ----------------------------------------------------------------------
def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _first_code_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return _one_line(line.strip(), 60)
    return ""


def execute_plan(
    plan: ReportPlan,
    kernel: Kernel,
    out: Path,
    *,
    show_code: bool = False,
    exporter: HTMLExporter | PendingExporter | None = None,
    executed: threading.Event | None = None,
    shared_assets: bool = False,
    on_cell_executed: Callable[..., None] | None = None,
) -> Path:
    """Run `plan` on `kernel` and publish `out` atomically; see the module docstring for failures.

    `exporter` may be pending (a future): it is being prepared in another thread while the notebook
    runs; `executed` is set once execution has ended (that thread then skips its warm-up export).
    `shared_assets`: the chart library goes beside `out` as a file instead of inside it.
    `on_cell_executed(cell=, cell_index=, execute_reply=)`: nbclient's hook, after each code cell.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from toolkit.jupyter.html_export import export_html
    from toolkit.jupyter.papermill_engine import ENGINE, register_engine
    from toolkit.jupyter.provenance import run_inputs

    register_engine()
    holder: list[NotebookNode] = []  # the executed notebook, also when execution fails
    name = plan.notebook.path.name
    hooks = {} if on_cell_executed is None else {"on_cell_executed": on_cell_executed}
    try:
        nb = papermill.execute_notebook(
            str(plan.notebook.path),
            None,
            parameters=plan.overrides,
            engine_name=ENGINE,
            kernel_name="python3",
            language="python",
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=CELL_TIMEOUT,
            # nbclient waits this long for a cell's last outputs after its reply; papermill makes the
            # wait's end an error, and its 4 s default failed reports on a loaded machine
            iopub_timeout=IOPUB_TIMEOUT,
            km=kernel.km,
            toolkit_result=holder,
            **hooks,
        )
    except PapermillExecutionError as err:
        _set(executed)
        # papermill has put its error markers into the executed notebook: keep it, publish nothing
        failed = _keep_failed(holder, out)
        cell = _source_cell_number(holder[0], err.cell_index) if holder else err.cell_index + 1
        code = _first_code_line(err.source)
        raise ReportError(
            f"{name} failed in cell {cell}"
            + (f" ({code})" if code else "")
            + f": {err.ename}: {_one_line(err.evalue)}"
            + (f" | error-annotated notebook: {failed}" if failed else "")
            + " | no report written",
            failed,
        ) from None
    except Exception as exc:  # a dead kernel, a timeout, a broken notebook
        _set(executed)
        failed = _keep_failed(holder, out)
        where = f"; partial notebook kept at {failed}" if failed else ""
        raise ReportError(
            f"{name}: execution stopped: {type(exc).__name__}: {_one_line(exc)}{where}; "
            "no report written",
            failed,
        ) from None
    _set(executed)
    document = export_html(
        nb,
        title=plan.title,
        provenance=plan.provenance(run_inputs(nb)),
        show_code=show_code,
        exporter=exporter.result() if isinstance(exporter, PendingExporter) else exporter,
        assets=out.parent if shared_assets else None,
    )
    write_atomic(out, document.encode("utf-8"))
    return out


def _set(event: threading.Event | None) -> None:
    if event is not None:
        event.set()


def _failed_path(out: Path) -> Path:
    return out.parent / "failed" / f"{out.stem}.ipynb"


def _keep_failed(holder: list[NotebookNode], out: Path) -> Path | None:
    if not holder:
        return None
    import nbformat

    return keep_failed_notebook(out, nbformat.writes(holder[0]).encode("utf-8"))


def keep_failed_notebook(out: Path, data: bytes) -> Path | None:
    """Write a failed report's annotated notebook to `failed/` beside `out`; its path, or None when
    it could not be kept (best effort). A `failed` that is a symbolic link (to elsewhere) is not ours
    to write into (a bug hunt had a sweep write through one out of its folder)."""
    failed = _failed_path(out)
    if failed.parent.is_symlink():
        return None
    try:
        write_atomic(failed, data)
    except Exception:
        return None
    return failed


def _source_cell_number(nb: NotebookNode, index: int) -> int:
    """1-based number of the failing cell in the *source* notebook.

    `index` counts the executed notebook's cells, which hold papermill's injected-parameters cell; the
    error-marker cells papermill adds afterwards are left out of the count.
    """
    from papermill.execute import ERROR_MARKER_TAG

    tags = [c.get("metadata", {}).get("tags", []) for c in nb.cells]
    executed = [t for t in tags if ERROR_MARKER_TAG not in t]
    return index + 1 - sum(1 for t in executed[:index] if "injected-parameters" in t)


def render_report(
    notebook: str | os.PathLike[str] | None = None,
    *,
    scenario: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    pack: str | os.PathLike[str] | None = None,
    from_text: bool = False,
) -> Path:
    """Render `notebook` (default: the project's report notebook) to one offline HTML file.

    `parameters` are checked against the notebook's `parameters` cell before any kernel starts
    (`from_text=True`: the values are command-line text, parsed by declared type). Returns the path
    written: `out` (an .html file), by default `reports/<notebook>[-<scenario>].html` with the scenario
    given here or in `parameters` (`output_path`).
    """
    from toolkit.fastimport import block_css_selectors, block_slow_optional_imports

    block_slow_optional_imports()  # the CLI's process only; before anything loads jsonschema
    block_css_selectors()  # the same: the export finds elements by tree search
    from toolkit.jupyter.prespawn import take_prespawned

    target = check_report_out(out) if out is not None else None
    source = NotebookSource.read(notebook)
    # The interpreter that becomes the kernel starts now (or started as the `toolkit` command did,
    # toolkit.cli.launch) and imports the notebook's modules while the parameters are checked; it turns
    # into a kernel only once they pass (toolkit.jupyter.prespawn).
    kernel = take_prespawned(source.path.parent, kernel_env_for(pack), source.imports)
    try:
        info = NotebookInfo.from_source(source)
        pack_info = PackInfo.load(pack if pack is not None else pack_parameter(info, parameters))
        plan = plan_report(
            info,
            pack_info,
            scenario=scenario,
            parameters=parameters,
            pack_given=pack is not None,
            from_text=from_text,
        )
        if target is None:
            target = check_report_out(output_path(plan))
        kernel.start()
        kernel.warm_up(info.imports)
        # nbconvert is imported and warmed in a thread while the kernel boots and runs the notebook
        # (the main thread mostly waits on the kernel's messages); Markdown is rendered there too.
        executed = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="toolkit-export") as pool:
            prep = _ExportPrep(pool, show_code, executed, source)
            return execute_plan(
                plan,
                kernel,
                target,
                show_code=show_code,
                exporter=prep,
                executed=executed,
                on_cell_executed=prep.on_cell_executed,
            )
    finally:
        kernel.shutdown()


class _ExportPrep:
    """The export's preparation in one worker thread while the notebook runs: nbconvert imported and
    warmed with the notebook's Markdown cells rendered (`_prepare_export`), then each code cell's
    Markdown outputs as the cell finishes (`toolkit.jupyter.html_export.prerender_markdown`). The
    export finds that HTML remembered by its inputs; anything missed is rendered by the export."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        show_code: bool,
        executed: threading.Event,
        source: NotebookSource,
    ) -> None:
        self._pool = pool
        self._exporter = pool.submit(_prepare_export, show_code, executed, _markdown_cells(source))

    def on_cell_executed(self, cell: Any, **_: Any) -> None:
        texts = [
            out["data"]["text/markdown"]
            for out in cell.get("outputs", ())
            if isinstance((out.get("data") or {}).get("text/markdown"), str)
        ]
        if texts:
            outputs = [{"data": {"text/markdown": text}} for text in texts]
            self._pool.submit(self._prerender, {"cell_type": "code", "outputs": outputs})

    def _prerender(self, cell: dict[str, Any]) -> None:
        from toolkit.jupyter.html_export import prerender_markdown

        prerender_markdown(self._exporter.result(), [cell])

    def result(self) -> HTMLExporter:
        """The exporter, once the Markdown queued so far is rendered."""
        self._pool.submit(lambda: None).result()  # one worker: everything queued before is done
        return self._exporter.result()


def _markdown_cells(source: NotebookSource) -> list[dict[str, Any]]:
    """The notebook's Markdown cells as nbformat reads them (source lines joined); [] if unreadable."""
    try:
        cells = source.document["cells"]
        return [
            {**cell, "source": "".join(src) if isinstance(src := cell.get("source"), list) else src}
            for cell in cells
            if isinstance(cell, dict) and cell.get("cell_type") == "markdown"
        ]
    except (ValueError, KeyError, TypeError):
        return []


def _prepare_export(
    show_code: bool,
    executed: threading.Event | None = None,
    markdown_cells: list[dict[str, Any]] | None = None,
) -> HTMLExporter:
    """Import nbconvert, compile the template, load the chart library and look up the footer's library
    versions ahead of execution, and render `markdown_cells` (the notebook's) as the export will.

    The warm-up export only pays while the notebook still runs: once `executed` is set (a short
    notebook has finished first), it is skipped and the real export goes next."""
    from toolkit.jupyter import offline
    from toolkit.jupyter.html_export import make_exporter, prerender_markdown, warm_exporter
    from toolkit.jupyter.provenance import library_versions

    exporter = make_exporter(show_code=show_code)
    library_versions()  # for the footer: looked up here, not after the notebook has run
    if executed is None or not executed.is_set():
        warm_exporter(exporter)
    with contextlib.suppress(Exception):
        offline.javascript_bundle(None)
    if markdown_cells:
        with contextlib.suppress(Exception):  # the export renders whatever is not done here
            prerender_markdown(exporter, markdown_cells)
    return exporter
