"""`toolkit report`: validate parameters, execute a notebook with papermill, publish offline HTML.

    render_report(notebook=None, *, scenario=None, parameters=None, out=None, show_code=False,
                  pack=None) -> Path

1. Plan (no kernel yet): read the notebook's `parameters` cell (papermill's inspection), reject unknown
   names and wrong types, load the pack (its content hash goes into the footer), check the scenario and
   let the engine check ranges (`toolkit.engine.model.validate_overrides(pack, scenario, overrides)`, when the
   engine provides it). Any problem is a one-line `ParameterError`/`ToolkitError`.
2. Start this interpreter's kernel (`toolkit.jupyter.kernels`) and queue the notebook's imports at once; while it
   boots, the parent imports nbconvert and loads the chart library.
3. Execute with `papermill.execute_notebook` on that kernel, export in-process (`toolkit.jupyter.html_export`),
   write to a temporary file in the target directory and `os.replace` it into place.
4. On failure nothing is published, an existing report stays as it was, papermill's error-annotated
   notebook is kept under `<out dir>/failed/`, and the `ReportError` names the failing cell and error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import re
import tempfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import ParameterError, ToolkitError
from toolkit.files import data_dir
from toolkit.jupyter.nbparams import (
    NotebookParameter,
    coerce_parameters,
    coerce_value,
    render_value,
)

if TYPE_CHECKING:
    from nbconvert.exporters import HTMLExporter
    from nbformat import NotebookNode

    from toolkit.jupyter.html_export import Provenance
    from toolkit.jupyter.kernels import Kernel
    from toolkit.pack.load import Pack

DEFAULT_NOTEBOOK = "report.ipynb"
NOTEBOOK_ENV = "TOOLKIT_NOTEBOOK"
CELL_TIMEOUT = 900  # seconds per cell


class ReportError(ToolkitError):
    """A report could not be produced; nothing was published."""

    def __init__(self, message: str, failed_notebook: Path | None = None) -> None:
        super().__init__(message)
        self.failed_notebook = failed_notebook


def default_notebook_path() -> Path:
    """$TOOLKIT_NOTEBOOK, else the project's `notebooks/report.ipynb` (the clone's, or the copy an
    installed wheel ships)."""
    env = os.environ.get(NOTEBOOK_ENV)
    return Path(env) if env else data_dir("notebooks", DEFAULT_NOTEBOOK) / DEFAULT_NOTEBOOK


def default_output_path(notebook: Path, scenario: str | None = None) -> Path:
    """`reports/<notebook>[-<scenario>].html` under the current directory."""
    suffix = f"-{slug(scenario)}" if scenario else ""
    return Path.cwd() / "reports" / f"{notebook.stem}{suffix}.html"


def slug(value: object, limit: int = 40) -> str:
    text = re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value)).strip("_") or "x"
    if len(text) > limit:
        digest = hashlib.sha256(str(value).encode()).hexdigest()[:8]
        text = f"{text[: limit - 9]}~{digest}"
    return text


# -- the notebook, read once ------------------------------------------------------------------------
@dataclass(frozen=True)
class NotebookInfo:
    path: Path
    sha256: str
    parameters: dict[str, NotebookParameter]
    imports: list[str]
    title: str

    @classmethod
    def read(cls, notebook: str | os.PathLike[str] | None) -> NotebookInfo:
        return cls.from_source(NotebookSource.read(notebook))

    @classmethod
    def from_source(cls, source: NotebookSource) -> NotebookInfo:
        import nbformat

        from toolkit.jupyter.nbparams import inspect_parameters

        try:
            nb = nbformat.reads(source.data.decode("utf-8"), as_version=4)
        except Exception as exc:  # any parse error: one line
            raise ToolkitError(f"{source.path.name}: not a readable notebook ({exc})") from None
        return cls(
            path=source.path,
            sha256=hashlib.sha256(source.data).hexdigest(),
            parameters=inspect_parameters(source.path),
            imports=source.imports,
            title=_title(nb, source.path),
        )


@dataclass(frozen=True)
class NotebookSource:
    """The notebook file and its imports, read with the standard library only (fast)."""

    path: Path
    data: bytes
    imports: list[str]

    @classmethod
    def read(cls, notebook: str | os.PathLike[str] | None) -> NotebookSource:
        import json

        from toolkit.jupyter.kernels import notebook_imports

        path = Path(notebook) if notebook is not None else default_notebook_path()
        path = path.resolve()
        if not path.is_file():
            raise ToolkitError(f"notebook not found: {path}")
        data = path.read_bytes()
        try:
            imports = notebook_imports(json.loads(data))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ToolkitError(f"{path.name}: not a readable notebook ({exc})") from None
        return cls(path, data, imports)


def _title(nb: NotebookNode, path: Path) -> str:
    title = nb.metadata.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                if line.startswith("# "):
                    return re.sub(r"[*_`]", "", line[2:]).strip()
    return path.stem


@dataclass(frozen=True)
class PackInfo:
    path: Path
    pack: Pack
    title: str | None
    content_hash: str

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> PackInfo:
        from toolkit.pack.load import default_pack_path, load_pack

        resolved = Path(path).resolve() if path is not None else default_pack_path().resolve()
        pack = load_pack(resolved)
        title = getattr(pack.meta, "title", None)
        return cls(resolved, pack, str(title) if title else None, pack.content_hash)


# -- a validated report -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportPlan:
    """Everything a report needs, checked before a kernel starts."""

    notebook: NotebookInfo
    pack: PackInfo
    overrides: dict[str, Any]  # what papermill injects
    scenario: str | None
    pack_given: bool
    extra_provenance: tuple[tuple[str, str], ...] = field(default=())

    def kernel_env(self) -> dict[str, str]:
        return kernel_env_for(self.pack.path if self.pack_given else None)

    def provenance(self) -> Provenance:
        import sys

        import toolkit
        from toolkit.jupyter.html_export import (
            ParameterValue,
            Provenance,
            generated_at,
            library_versions,
        )

        params = tuple(
            ParameterValue(
                name=p.name,
                value=render_value(self.overrides[p.name])
                if p.name in self.overrides
                else p.default,
                type_name=p.shown_type,
                overridden=p.name in self.overrides,
            )
            for p in self.notebook.parameters.values()
        )
        seed = next((p.value for p in params if p.name == "seed"), None)
        return Provenance(
            notebook=self.notebook.path.name,
            notebook_sha256=self.notebook.sha256,
            toolkit_version=str(getattr(toolkit, "__version__", "unknown")),
            pack_title=self.pack.title,
            pack_hash=self.pack.content_hash,
            scenario=self.scenario,
            seed=seed,
            parameters=params,
            python=f"{platform.python_implementation()} {platform.python_version()}"
            + f" ({sys.platform})",
            libraries=library_versions(),
            generated_at=generated_at(),
            extra=self.extra_provenance,
        )


def kernel_env_for(pack: str | os.PathLike[str] | None) -> dict[str, str]:
    """Extra environment of a report kernel: the pack named on the command line, if any."""
    return {"TOOLKIT_PACK": str(Path(pack).resolve())} if pack is not None else {}


def plan_report(
    notebook: NotebookInfo,
    pack: PackInfo,
    *,
    scenario: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    pack_given: bool = False,
    from_text: bool = False,
) -> ReportPlan:
    """Check every parameter (names, types, scenario, engine ranges); no kernel involved."""
    given = dict(parameters or {})
    declared = notebook.parameters
    name = notebook.path.name
    if scenario is not None:
        if "scenario" not in declared:
            raise ParameterError(f"{name} has no 'scenario' parameter")
        if "scenario" in given and str(given["scenario"]) != scenario:
            raise ParameterError(f"scenario given twice: {scenario!r} and {given['scenario']!r}")
        given["scenario"] = scenario
    if pack_given and "pack" in declared and "pack" not in given:
        given["pack"] = str(pack.path)
    given = _fold_model_parameters(declared, given, pack.pack, from_text=from_text)
    overrides = coerce_parameters(declared, given, notebook=name, from_text=from_text)
    effective_scenario = overrides.get("scenario")
    if effective_scenario is None and "scenario" in declared:
        with contextlib.suppress(ValueError, SyntaxError):
            import ast

            default = ast.literal_eval(declared["scenario"].default)
            effective_scenario = default if isinstance(default, str) else None
    _check_scenario(pack.pack, effective_scenario)
    model_overrides = _model_overrides(pack.pack, overrides)
    if effective_scenario is not None or model_overrides:
        _engine_check(pack.pack, effective_scenario, model_overrides)
    _run_check(
        {
            k: v
            for k, v in overrides.items()
            if k not in model_overrides and k not in {"scenario", "pack", "overrides"}
        }
    )
    return ReportPlan(
        notebook=notebook,
        pack=pack,
        overrides=overrides,
        scenario=effective_scenario,
        pack_given=pack_given,
    )


def _fold_model_parameters(
    declared: Mapping[str, NotebookParameter],
    given: dict[str, Any],
    pack: Pack,
    *,
    from_text: bool,
) -> dict[str, Any]:
    """`-p troops=15000`: a model parameter the notebook does not declare goes into its `overrides`
    dict parameter (when it has one), as a number; the engine checks its range next."""
    if "overrides" not in declared:
        return given
    ids = set(pack.parameters["id"].to_list())
    folded = {k: v for k, v in given.items() if k not in declared and k in ids}
    if not folded:
        return given
    rest = {k: v for k, v in given.items() if k not in folded}
    nested = coerce_value(declared["overrides"], rest.get("overrides", {}), from_text=from_text)
    if not isinstance(nested, dict):
        return given
    for key, raw in folded.items():
        if key in nested:
            raise ParameterError(f"parameter {key!r} given twice (also inside overrides)")
        value = raw
        if from_text:
            try:
                value = float(raw)
            except ValueError:
                raise ParameterError(
                    f"parameter {key!r}: expected a number, got {value!r}"
                ) from None
        nested[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    rest["overrides"] = nested
    return rest


def _check_scenario(pack: Pack, scenario: object) -> None:
    if not isinstance(scenario, str):
        return
    frame = pack.frames.get("scenarios")
    if frame is None or "id" not in frame.columns:
        return
    known = [str(s) for s in frame["id"].to_list()]
    if scenario not in known:
        raise ParameterError(f"unknown scenario {scenario!r} (the pack has: {', '.join(known)})")


def _model_overrides(pack: Pack, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The values that override model parameters: notebook parameters named like a parameter of the
    pack (`parameters.yaml` ids), plus the entries of a dict parameter named `overrides`."""
    frame = pack.frames.get("parameters")
    ids = (
        set(frame["id"].cast(str).to_list())
        if frame is not None and "id" in frame.columns
        else set()
    )
    result = {k: v for k, v in overrides.items() if k in ids}
    nested = overrides.get("overrides")
    if isinstance(nested, Mapping):
        result.update({str(k): v for k, v in nested.items()})
    return result


def _engine_hook(name: str) -> Any:
    try:
        from toolkit.engine import model
    except ModuleNotFoundError as exc:
        if exc.name in {"toolkit.engine.model", "toolkit"}:
            return None
        raise
    return getattr(model, name, None)


def _call_hook(hook: Any, *args: Any) -> None:
    try:
        hook(*args)
    except ToolkitError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ParameterError(str(exc).splitlines()[0] if str(exc) else repr(exc)) from None


def _engine_check(pack: Pack, scenario: object, overrides: dict[str, Any]) -> None:
    """Range checks belong to the engine: `toolkit.engine.model.validate_overrides`, if it exists."""
    validate = _engine_hook("validate_overrides")
    if validate is not None:
        _call_hook(validate, pack, scenario, overrides)


def _run_check(run_parameters: dict[str, Any]) -> None:
    """`toolkit.engine.model.validate_run(parameters)`, if the engine provides it: the notebook's other
    parameters (paths, months, seed, ...); it checks those it knows and ignores the rest."""
    validate = _engine_hook("validate_run")
    if validate is not None and run_parameters:
        _call_hook(validate, run_parameters)


# -- execution and publication ----------------------------------------------------------------------
def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
    exporter: HTMLExporter | Future[HTMLExporter] | None = None,
) -> Path:
    """Run `plan` on `kernel` and publish `out` atomically; see the module docstring for failures.

    `exporter` may be a future: it is being prepared in another thread while the notebook runs.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from toolkit.jupyter.html_export import export_html
    from toolkit.jupyter.kernels import ENGINE, register_engine

    register_engine()
    holder: list[NotebookNode] = []  # the executed notebook, also when execution fails
    name = plan.notebook.path.name
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
            km=kernel.km,
            toolkit_result=holder,
        )
    except PapermillExecutionError as err:
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
        failed = _keep_failed(holder, out)
        where = f"; partial notebook kept at {failed}" if failed else ""
        raise ReportError(
            f"{name}: execution stopped: {type(exc).__name__}: {_one_line(exc)}{where}; "
            "no report written",
            failed,
        ) from None
    document = export_html(
        nb,
        title=plan.notebook.title,
        provenance=plan.provenance(),
        show_code=show_code,
        exporter=exporter.result() if isinstance(exporter, Future) else exporter,
    )
    write_atomic(out, document.encode("utf-8"))
    return out


def _failed_path(out: Path) -> Path:
    return out.parent / "failed" / f"{out.stem}.ipynb"


def _keep_failed(holder: list[NotebookNode], out: Path) -> Path | None:
    if not holder:
        return None
    import nbformat

    failed = _failed_path(out)
    try:
        write_atomic(failed, nbformat.writes(holder[0]).encode("utf-8"))
    except Exception:  # keeping the partial notebook is best effort
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
    written (default `reports/<notebook>[-<scenario>].html`).
    """
    from toolkit.fastimport import block_slow_optional_imports

    block_slow_optional_imports()  # before anything below can load jsonschema
    from toolkit.jupyter.kernels import take_prespawned

    source = NotebookSource.read(notebook)
    # The interpreter that becomes the kernel starts now (or started as the `toolkit` command did,
    # toolkit.cli.launch) and imports the notebook's modules while the parameters are checked; it turns
    # into a kernel only once they pass (toolkit.jupyter.kernels).
    kernel = take_prespawned(source.path.parent, kernel_env_for(pack), source.imports)
    try:
        info = NotebookInfo.from_source(source)
        pack_info = PackInfo.load(pack if pack is not None else _pack_parameter(info, parameters))
        plan = plan_report(
            info,
            pack_info,
            scenario=scenario,
            parameters=parameters,
            pack_given=pack is not None,
            from_text=from_text,
        )
        target = (
            Path(out).resolve() if out is not None else default_output_path(info.path, scenario)
        )
        kernel.start()
        kernel.warm_up(info.imports)
        # nbconvert is imported and warmed in a thread while the kernel boots and runs the notebook
        # (the main thread mostly waits on the kernel's messages).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="toolkit-export") as pool:
            exporter = pool.submit(_prepare_export, show_code)
            return execute_plan(plan, kernel, target, show_code=show_code, exporter=exporter)
    finally:
        kernel.shutdown()


def _pack_parameter(info: NotebookInfo, parameters: Mapping[str, Any] | None) -> Any:
    value = (parameters or {}).get("pack")
    return value if isinstance(value, str | os.PathLike) and "pack" in info.parameters else None


def _prepare_export(show_code: bool) -> HTMLExporter:
    """Import nbconvert, compile the template and load the chart library ahead of execution."""
    from toolkit.jupyter import offline
    from toolkit.jupyter.html_export import make_exporter, warm_exporter

    exporter = make_exporter(show_code=show_code)
    warm_exporter(exporter)
    with contextlib.suppress(Exception):
        offline.javascript_bundle(None)
    return exporter
