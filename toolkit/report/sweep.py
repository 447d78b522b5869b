"""`toolkit sweep`: one report per combination of parameter values, on warm kernels, plus an index
(`index.html`, written by `toolkit.report.index`).

Papermill starts and stops a kernel for every run and cannot reuse one (papermill#326); here each
worker starts one kernel, imports the notebook's modules once, snapshots the kernel's state, and before
every further report restores it (`toolkit.jupyter.kernel_state`: fresh namespace, fresh toolkit modules,
process state reset), so a report sees nothing an earlier one did. Kernels of all workers start at once
and boot while the parent validates, imports nbconvert and loads the chart library.

Every combination is validated (names, types, scenario, engine ranges) before any kernel starts,
against its own pack (`--grid pack=A,B`: each combination against the pack it names).
A report that fails does not stop the sweep: it is listed as failed in `index.html` (its
error-annotated notebook under `failed/`), and `SweepError` is raised at the end.

The output folder is the sweep's: the reports an earlier sweep wrote there (those its `index.html`
lists) that this sweep does not write are removed, so every report in the folder is in the index; so is
an earlier `--shared-assets` sweep's chart library, unless this sweep shares one too or a report
staying in the folder (an earlier one kept because this sweep failed to write it) still loads it.
A failed report never costs a good one: the earlier version at its name stays (the index says so),
and a sweep that writes no report at all leaves the folder and its index as they were. Any exception
while rendering one report (a full disk, an unwritable file) is that report's failure, not the sweep's.

Ctrl-C stops promptly: no new report starts, the running cells are interrupted, the reports already
written stay, `index.html` lists what did not finish, every kernel is shut down, and
`SweepInterrupted` (a KeyboardInterrupt) is raised. A second Ctrl-C kills the kernels at once.
SIGTERM while the reports render is handled as Ctrl-C (`toolkit.report.interrupt`; a second one more
than a second later ends the process at once).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import numbers
import os
import queue
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import ParameterError, ToolkitError, shown
from toolkit.files import check_output_dir, lock_dir
from toolkit.report.index import (
    INDEX_NAME,
    OVERRIDES,
    SweepItem,
    previous_files,
    shown_value,
    stale_files,
    write_index,
)
from toolkit.report.progress import SweepProgress

if TYPE_CHECKING:
    from toolkit.jupyter.kernels import Kernel
    from toolkit.report.notebook import NotebookSource
    from toolkit.report.plan import ReportPlan


@dataclass(frozen=True)
class SweepResult:
    index: Path
    items: list[SweepItem] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)  # an earlier sweep's reports, now gone

    @property
    def reports(self) -> list[Path]:
        return [i.path for i in self.items if i.error is None]

    @property
    def failures(self) -> list[SweepItem]:
        return [i for i in self.items if i.error is not None]


class SweepError(ToolkitError):
    """Some reports of a sweep failed (the others and the index were written)."""

    def __init__(self, message: str, result: SweepResult) -> None:
        super().__init__(message)
        self.result = result


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the sweep; the finished reports and the index were written."""

    def __init__(self, message: str, result: SweepResult) -> None:
        super().__init__(message)
        self.result = result


NOT_RENDERED = "not rendered: the sweep was interrupted"


def combinations(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in grid order (last name varies fastest)."""
    if not grid:
        raise ParameterError("the grid is empty: give at least one name=v1,v2")
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise ParameterError(
                f"grid parameter {shown(name)} must be a list of values (in order), not "
                f"{type(values).__name__} {shown(values)}"
            )
        if not values:
            raise ParameterError(f"grid parameter {shown(name)} has no values")
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _file_name(stem: str, values: Mapping[str, Any], taken: set[str]) -> str:
    """A file name for the combination not in `taken` (names compared casefolded: on a disk that
    ignores case, as macOS's and Windows's do by default, `s-A.html` and `s-a.html` are one file
    and the second report would replace the first); it is added to `taken`, casefolded."""
    from toolkit.report.render import slug

    base = f"{stem}-" + "_".join(f"{slug(k, 20)}-{slug(v)}" for k, v in values.items())
    name, n = f"{base}.html", 2
    while name.casefold() in taken:
        name, n = f"{base}-{n}.html", n + 1
    taken.add(name.casefold())
    return name


# the chart library a --shared-assets sweep writes beside its reports
LIBRARY_GLOB = "vega-bundle-*.js"
MAX_DEFAULT_WORKERS = 4  # each worker is a kernel of a few hundred MB


def default_workers() -> int:
    """One worker per CPU this process may use, at most `MAX_DEFAULT_WORKERS`."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cpus))


def sweep(
    grid: Mapping[str, Sequence[Any]],
    *,
    scenario: str | None = None,
    workers: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    notebook: str | os.PathLike[str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    pack: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    progress: bool = False,
    from_text: bool = False,
    shared_assets: bool = False,
) -> SweepResult:
    """Render one report per combination of `grid` into `out_dir` (+ `index.html`); see module doc.

    `workers` kernels render at once (default `default_workers()`: one per CPU, at most 4).
    `shared_assets`: the chart library is written once into `out_dir`, beside `index.html`, and
    each report loads it from there instead of carrying its own copy (~0.9 MB each); the reports
    then open offline as a folder. Default: every report is one self-contained file.
    """
    from toolkit.fastimport import block_slow_optional_imports

    block_slow_optional_imports()  # the CLI's process only; before anything loads jsonschema
    from toolkit.jupyter.kernels import Kernel
    from toolkit.report.notebook import NotebookSource
    from toolkit.report.plan import kernel_env_for

    if workers is None:
        workers = default_workers()
    if workers < 1:
        raise ParameterError(f"workers must be at least 1, got {shown(workers)}")
    fixed = dict(parameters or {})
    overlap = set(fixed) & set(grid)
    if overlap:
        raise ParameterError(f"parameter(s) both fixed and swept: {', '.join(sorted(overlap))}")
    combos = combinations(grid)
    source = NotebookSource.read(notebook)
    target = check_output_dir(
        Path(out_dir).resolve()
        if out_dir is not None
        else Path.cwd() / "reports" / f"sweep-{source.path.stem}"
    )
    # The worker interpreters start now and import the notebook's modules during the checks; they
    # become kernels only once every combination has passed (toolkit.jupyter.prespawn).
    kernels = [
        Kernel(cwd=source.path.parent, env=kernel_env_for(pack)).prespawn(source.imports)
        for _ in range(min(workers, len(combos)))
    ]
    try:
        return _sweep(
            kernels, source, combos, list(grid), fixed, target,
            scenario=scenario, pack=pack, show_code=show_code,
            progress=progress, from_text=from_text, shared_assets=shared_assets,
        )  # fmt: skip
    finally:
        for kernel in kernels:
            kernel.shutdown()


def _sweep(
    kernels: list[Kernel],
    source: NotebookSource,
    combos: list[dict[str, Any]],
    names: list[str],
    fixed: dict[str, Any],
    target: Path,
    *,
    scenario: str | None,
    pack: str | os.PathLike[str] | None,
    show_code: bool,
    progress: bool,
    from_text: bool,
    run: Runner | None = None,
    shared_assets: bool = False,
) -> SweepResult:
    """Plan every report, render them with `run` (default: `_run`, on `kernels`; a Dask cluster's
    runner in `toolkit.distributed.sweep`), write the index."""
    from toolkit.report.notebook import NotebookInfo
    from toolkit.report.plan import PackInfo, pack_parameter, plan_report

    info = NotebookInfo.from_source(source)
    packs: dict[Any, PackInfo] = {}  # each pack the grid names, loaded and checked once

    def pack_of(combo: Mapping[str, Any]) -> PackInfo:
        """The combination's own pack: --pack, else its `pack` value (swept or fixed)."""
        where = pack if pack is not None else pack_parameter(info, {**fixed, **combo})
        key = str(Path(where).resolve()) if where is not None else None
        if key not in packs:
            packs[key] = PackInfo.load(where)
        return packs[key]

    plans = [
        plan_report(
            info,
            pack_of(combo),
            scenario=scenario,
            parameters={**fixed, **combo},
            pack_given=pack is not None,
            from_text=from_text,
        )
        for combo in combos
    ]
    taken: set[str] = {INDEX_NAME.casefold()}
    jobs = []
    seen: dict[str, dict[str, Any]] = {}
    for i, (plan, combo) in enumerate(zip(plans, combos, strict=True)):
        values = plan_values(plan, combo)
        key = json.dumps(
            {k: _comparable(v) for k, v in values.items()}, sort_keys=True, default=str
        )
        if key in seen:  # `troops=5000,5000.0`: two names for one report
            given = ", ".join(f"{k}={shown_value(v)}" for k, v in values.items())
            raise ParameterError(f"the grid gives the same report twice: {given}")
        seen[key] = values
        jobs.append((i, plan, target / _file_name(info.path.stem, values, taken), values))
    target.mkdir(parents=True, exist_ok=True)
    with lock_dir(target, "sweep"):  # two sweeps into one folder would interleave
        listed = previous_files(target)  # what an earlier sweep's index lists
        items, interrupted = (run or _run)(
            kernels, jobs, info.imports, show_code=show_code, progress=progress,
            shared_assets=shared_assets,
        )  # fmt: skip
        ordered = [
            items.get(i) or SweepItem(values, out, f"{out.name}: {NOT_RENDERED}")
            for i, _, out, values in jobs
        ]
        index = target / INDEX_NAME
        removed: list[Path] = []
        if any(item.error is None for item in ordered):
            # The folder is the sweep's: an earlier sweep's reports that this index would not list
            # go. A sweep that wrote no report leaves the folder (and its index) as it was.
            removed = stale_files(target, ordered, listed)
            if not shared_assets:  # an earlier --shared-assets library goes, unless still loaded
                removed += unused_libraries(target, ordered, removed)
            for path in removed:
                path.unlink(missing_ok=True)
            index = write_index(target, info.path.name, names, plans, ordered)
    result = SweepResult(index=index, items=ordered, removed=removed)
    if interrupted:
        done = len(result.reports)
        raise SweepInterrupted(
            f"interrupted: {done} of {len(ordered)} reports written (index: {index})", result
        )
    if result.failures:
        first = result.failures[0]
        where = (
            f"index: {index}"
            if result.reports
            else f"the folder {str(target)!r} is as it was, failed notebooks aside"
        )
        raise SweepError(
            f"{len(result.failures)} of {len(ordered)} reports failed ({where}); "
            f"first: {first.error}",
            result,
        )
    return result


LIBRARY_TAG = re.compile(rb'<script [^>]*data-toolkit="vega-bundle"[^>]*>')
_SRC = re.compile(rb'\ssrc="([^"]+)"')


def unused_libraries(
    target: Path, items: Sequence[SweepItem], removed: Sequence[Path]
) -> list[Path]:
    """The chart library files in `target` (`LIBRARY_GLOB`) that no report staying there loads.
    A report this sweep wrote without `--shared-assets` carries its own library, but an earlier
    `--shared-assets` report kept at its name (this sweep failed to write it) or any other page in
    the folder may load one: removing that would leave it without charts."""
    libraries = sorted(p for p in target.glob(LIBRARY_GLOB) if p.is_file())
    if not libraries:
        return []
    skip = {*removed, *(item.path for item in items if item.error is None)}
    loaded: set[str] = set()
    for page in target.glob("*.html"):
        if page not in skip and page.name != INDEX_NAME and page.is_file():
            with contextlib.suppress(OSError):
                for tag in LIBRARY_TAG.findall(page.read_bytes()):
                    loaded.update(m.decode() for m in _SRC.findall(tag))
    return [p for p in libraries if p.name not in loaded]


Job = tuple[int, "ReportPlan", Path, dict[str, Any]]  # (index, plan, output file, grid values)
Runner = Callable[..., tuple[dict[int, SweepItem], bool]]  # `_run`'s signature


def _comparable(value: Any) -> Any:
    """A grid value as it compares: numbers by value (0, 0.0 and -0.0 name one report)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value) + 0.0
    return value


def plan_values(plan: ReportPlan, combo: Mapping[str, Any]) -> dict[str, Any]:
    """The combination's values as the report receives them (after type conversion); a model
    parameter from inside the notebook's `overrides` dict."""
    nested = plan.overrides.get(OVERRIDES)
    nested = nested if isinstance(nested, Mapping) else {}
    return {
        k: plan.overrides[k] if k in plan.overrides else nested.get(k, v) for k, v in combo.items()
    }


def _run(
    kernels: list[Kernel],
    jobs: list[tuple[int, ReportPlan, Path, dict[str, Any]]],
    imports: list[str],
    *,
    show_code: bool,
    progress: bool,
    shared_assets: bool = False,
) -> tuple[dict[int, SweepItem], bool]:
    """Render the jobs on the kernels; (results by job index, whether Ctrl-C or SIGTERM stopped
    it)."""
    from toolkit.report.interrupt import sigterm_as_ctrl_c

    with sigterm_as_ctrl_c():
        return _run_on_kernels(
            kernels, jobs, imports, show_code=show_code, progress=progress,
            shared_assets=shared_assets,
        )  # fmt: skip


def _run_on_kernels(
    kernels: list[Kernel],
    jobs: list[tuple[int, ReportPlan, Path, dict[str, Any]]],
    imports: list[str],
    *,
    show_code: bool,
    progress: bool,
    shared_assets: bool,
) -> tuple[dict[int, SweepItem], bool]:
    """`_run`'s work, with SIGTERM handled as Ctrl-C."""
    from toolkit.report.render import _prepare_export

    todo: queue.Queue[tuple[int, ReportPlan, Path, dict[str, Any]]] = queue.Queue()
    for job in jobs:
        todo.put(job)
    results: dict[int, SweepItem] = {}
    lock = threading.Lock()
    stop = threading.Event()
    workers = len(kernels)
    # The prespawned interpreters become kernels now; each worker then queues its kernel's warm-up
    # (imports, offline renderer, state snapshot) from its own thread.
    for kernel in kernels:
        kernel.start()
    _prepare_export(show_code)
    bar = SweepProgress(len(jobs), enabled=progress)

    def worker(slot: int) -> None:
        try:
            kernels[slot].warm_up(imports, snapshot=True)
            exporter = _prepare_export(show_code)
        except Exception:  # this worker's kernel is unusable; the others go on
            exporter = None
        fresh = True
        while not stop.is_set():
            try:
                index, plan, out, values = todo.get_nowait()
            except queue.Empty:
                return
            if exporter is None:
                item = SweepItem(values, out, f"{out.name}: the worker's kernel did not start")
            else:
                item = _one(
                    kernels, slot, plan, out, values, fresh, exporter, show_code, imports,
                    shared_assets,
                )  # fmt: skip
                if stop.is_set() and item.error is not None:
                    item = SweepItem(values, out, f"{out.name}: {NOT_RENDERED}")
            fresh = False
            with lock:
                results[index] = item
            bar.advance(out.name, ok=item.error is None)

    threads = [
        threading.Thread(target=worker, args=(slot,), name=f"toolkit-sweep-{slot}")
        for slot in range(workers)
    ]
    interrupted = False
    with bar:
        for thread in threads:
            thread.start()
        try:
            _join(threads)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()  # no new report starts
            for kernel in kernels:
                kernel.interrupt()  # the running cells raise KeyboardInterrupt
            try:
                _join(threads)
            except KeyboardInterrupt:  # a second Ctrl-C: do not wait for the cells
                for kernel in kernels:
                    kernel.kill()
                _join(threads)
    return results, interrupted


def _join(threads: list[threading.Thread]) -> None:
    """Wait for the threads, waking every 0.1 s: a signal may land on another thread, and only the
    main thread runs Python's handler, once it is back in the interpreter (an untimed join never is)."""
    for thread in threads:
        while thread.is_alive():
            thread.join(0.1)


def _one(
    kernels: list[Kernel],
    slot: int,
    plan: ReportPlan,
    out: Path,
    values: dict[str, Any],
    fresh: bool,
    exporter: Any,
    show_code: bool,
    imports: list[str],
    shared_assets: bool = False,
) -> SweepItem:
    from toolkit.jupyter.kernels import Kernel, KernelError
    from toolkit.report.render import execute_plan

    def replace_kernel() -> Kernel:
        kernels[slot].shutdown()
        kernel = Kernel(cwd=plan.notebook.path.parent, env=plan.kernel_env()).start()
        kernel.warm_up(imports, snapshot=True)
        kernels[slot] = kernel
        return kernel

    try:
        kernel = kernels[slot]
        if not kernel.is_alive():
            kernel = replace_kernel()
            fresh = True
        kernel.drain()  # the warm-up (and its snapshot) has finished
        if not fresh:
            kernel.reset()
        execute_plan(
            plan, kernel, out, show_code=show_code, exporter=exporter, shared_assets=shared_assets
        )
    except KernelError as exc:
        # A kernel that cannot be reset is replaced; this report is reported as failed.
        with contextlib.suppress(ToolkitError):
            replace_kernel()
        return SweepItem(values, out, f"{out.name}: kernel problem: {exc}")
    except ToolkitError as exc:
        return SweepItem(values, out, str(exc))
    except Exception as exc:  # e.g. OSError writing the file: this report failed
        return SweepItem(values, out, f"{out.name}: {type(exc).__name__}: {exc}")
    return SweepItem(values, out)
