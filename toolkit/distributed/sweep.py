"""`toolkit sweep --scheduler ADDRESS|local[:N]`: a sweep whose reports are Dask tasks.

Everything but the rendering is the local sweep's (`toolkit.report.sweep`): every combination is
checked before anything starts, file names, the folder lock, `index.html`, `SweepError` and
`SweepInterrupted`. The rendering differs:

- The client registers a `KernelPool` worker plugin (`toolkit.distributed.worker`) that carries the
  notebook and the pack by content; each worker checks them, starts one warm kernel per worker
  thread and keeps it for all its reports, restored to its snapshot before each (the local sweep's
  per-report isolation, `toolkit.report.sweep._one`).
- Each report is one Dask task; it returns the HTML as bytes, which the client writes atomically
  (`toolkit.files.write_atomic`): workers need no shared disk, and a report is on disk whole or
  not at all. A failed report comes back as its error (and its error-annotated notebook, kept under
  `failed/` as locally) and is listed as failed in the index; the others publish.
- A worker that dies mid-report: Dask runs its tasks again on other workers (up to the scheduler's
  `distributed.scheduler.allowed-failures`, then the report is listed as failed with Dask's
  `KilledWorker` error).
- A scheduler with no worker: after `toolkit.engine.cluster.WORKER_WAIT` seconds without one, a
  one-line `ClusterError`, as `simulate` (nothing is written).
- Ctrl-C (or SIGTERM, handled as Ctrl-C: `toolkit.report.interrupt`) cancels the tasks not yet done; the
  reports already written stay, and the index lists the others as not rendered. The plugin is
  unregistered at the end, even when registering it failed half-way, which shuts the kernels down.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import ParameterError, ToolkitError
from toolkit.report.index import SweepItem
from toolkit.report.interrupt import sigterm_as_ctrl_c
from toolkit.report.sweep import LIBRARY_TAG, NOT_RENDERED, SweepResult

if TYPE_CHECKING:
    from distributed import Client, Future

    from toolkit.distributed.worker import KernelPool, RenderedReport, SweepSpec
    from toolkit.jupyter.kernels import Kernel
    from toolkit.report.notebook import NotebookSource
    from toolkit.report.plan import ReportPlan
    from toolkit.report.sweep import Job


@dataclass(frozen=True)
class ReportStats:
    """What one report cost on the cluster (benchmarks): seconds on its worker, bytes returned."""

    name: str
    worker: str
    seconds: float
    size: int


def sweep(
    grid: Mapping[str, Sequence[Any]],
    *,
    client: Client | str,
    workers: int | None = None,
    scenario: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    notebook: str | os.PathLike[str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    pack: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    progress: bool = False,
    from_text: bool = False,
    announce: Callable[[str], None] | None = None,
    stats: list[ReportStats] | None = None,
    shared_assets: bool = False,
) -> SweepResult:
    """`toolkit.report.sweep.sweep` with every report rendered on a Dask cluster (module doc).

    `client` is a `distributed.Client`, or a `--scheduler` text (`tcp://host:8786`, `local[:N]`)
    connected once every combination has passed its checks; `announce` gets the dashboard line
    then. `workers` is the local sweep's option: refused here (the cluster has its workers).
    `stats`, if given, receives one `ReportStats` per report rendered. `shared_assets`: as the
    local sweep's (`--shared-assets`); the client writes the chart library beside the reports.
    """
    from toolkit.distributed import require_distributed
    from toolkit.distributed.cluster import parse_scheduler
    from toolkit.fastimport import block_slow_optional_imports
    from toolkit.files import check_output_dir
    from toolkit.report.notebook import NotebookSource
    from toolkit.report.sweep import _sweep, combinations

    require_distributed()
    block_slow_optional_imports()  # before anything below can load jsonschema
    if isinstance(client, str):
        parse_scheduler(client)  # a malformed local:N fails before any work
    if workers is not None:
        raise ParameterError(
            "--workers is for a local sweep; on a cluster every worker thread renders "
            "(local:N starts N workers)"
        )
    fixed = dict(parameters or {})
    overlap = set(fixed) & set(grid)
    if overlap:
        raise ParameterError(f"parameter(s) both fixed and swept: {', '.join(sorted(overlap))}")
    if "pack" in grid:
        raise ParameterError(
            "--grid pack=... is not supported with --scheduler (each pack is sent to the workers "
            "by content): run one sweep per pack"
        )
    combos = combinations(grid)
    source = NotebookSource.read(notebook)
    target = check_output_dir(
        Path(out_dir).resolve()
        if out_dir is not None
        else Path.cwd() / "reports" / f"sweep-{source.path.stem}"
    )
    runner = _ClusterRunner(client, source, announce, stats)
    return _sweep(
        [], source, combos, list(grid), fixed, target,
        scenario=scenario, pack=pack, show_code=show_code,
        progress=progress, from_text=from_text, run=runner, shared_assets=shared_assets,
    )  # fmt: skip


def make_spec(
    plan: ReportPlan, source: NotebookSource, show_code: bool, shared_assets: bool = False
) -> SweepSpec:
    """The notebook and the pack of `plan` by content, and the client's settings, for the workers."""
    from toolkit.distributed.worker import SweepSpec
    from toolkit.engine.cluster import code_fingerprint
    from toolkit.files import _pack_files
    from toolkit.jupyter.provenance import generated_at

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    root = plan.pack.path
    return SweepSpec(
        notebook_name=plan.notebook.path.name,
        notebook_folder=plan.notebook.path.parent.name,
        notebook_data=source.data,
        notebook_sha256=plan.notebook.sha256,
        notebook_title=plan.notebook.title,
        parameters=dict(plan.notebook.parameters),
        imports=list(plan.notebook.imports),
        pack_folder=root.name,
        pack_files={rel.as_posix(): (root / rel).read_bytes() for rel in _pack_files(root)},
        pack_hash=plan.pack.content_hash,
        pack_title=plan.pack.title,
        show_code=show_code,
        fingerprint=code_fingerprint(),
        kernel_env={"SOURCE_DATE_EPOCH": epoch} if epoch else {},
        generated_at=generated_at() if epoch else None,
        shared_assets=shared_assets,
    )


class _ClusterRunner:
    """`toolkit.report.sweep._run`'s part, on a Dask cluster."""

    def __init__(
        self,
        client: Client | str,
        source: NotebookSource,
        announce: Callable[[str], None] | None,
        stats: list[ReportStats] | None,
    ) -> None:
        self.client = client
        self.source = source
        self.announce = announce
        self.stats = stats

    def __call__(
        self,
        kernels: list[Kernel],
        jobs: list[Job],
        imports: list[str],
        *,
        show_code: bool,
        progress: bool,
        shared_assets: bool = False,
    ) -> tuple[dict[int, SweepItem], bool]:
        """Connect (every report has been planned by now) and render the jobs."""
        from toolkit.distributed.cluster import connect

        with sigterm_as_ctrl_c(), connect(self.client, announce=self.announce) as client:
            return self._run(
                client, jobs, show_code=show_code, progress=progress, shared_assets=shared_assets
            )

    def _run(
        self,
        client: Client,
        jobs: list[Job],
        *,
        show_code: bool,
        progress: bool,
        shared_assets: bool,
    ) -> tuple[dict[int, SweepItem], bool]:
        from distributed import as_completed

        from toolkit.distributed.worker import KernelPool, RemoteJob, render_task
        from toolkit.engine.cluster import require_workers
        from toolkit.report.progress import SweepProgress

        require_workers(client)  # as simulate: one line after a bounded wait, not a silent hang
        name = f"toolkit-sweep-{uuid.uuid4().hex[:12]}"
        spec = make_spec(jobs[0][1], self.source, show_code, shared_assets)
        results: dict[int, SweepItem] = {}
        interrupted = False
        bar = SweepProgress(len(jobs), enabled=progress)
        futures: list[Future] = []
        try:  # registered inside: a registration that fails half-way is unregistered too
            _register(client, KernelPool(spec), name)
            where: dict[Any, tuple[int, Path, dict[str, Any]]] = {}
            for index, plan, out, values in jobs:
                job = RemoteJob(
                    index, out.name, dict(plan.overrides), plan.scenario, plan.extra_provenance
                )
                future = client.submit(
                    render_task, name, job, key=f"{name}-{index:05d}", pure=False
                )
                futures.append(future)
                where[future.key] = (index, out, values)
            with bar:
                try:
                    for future in as_completed(futures):
                        index, out, values = where[future.key]
                        item = self._collect(future, out, values)
                        future.release()  # the report's bytes leave the worker's memory
                        results[index] = item
                        bar.advance(out.name, ok=item.error is None)
                except KeyboardInterrupt:
                    interrupted = True
                    client.cancel(futures)
        finally:
            with contextlib.suppress(Exception):  # the cluster may be gone: nothing left to stop
                client.unregister_worker_plugin(name)
        for index, _, out, values in jobs:
            if interrupted and index not in results:
                results[index] = SweepItem(values, out, f"{out.name}: {NOT_RENDERED}")
        return results, interrupted

    def _collect(self, future: Future, out: Path, values: dict[str, Any]) -> SweepItem:
        """Write a finished task's report (or its annotated notebook); the item for the index."""
        from toolkit.distributed.worker import OUT_MARK
        from toolkit.files import write_atomic
        from toolkit.report.render import _one_line, keep_failed_notebook

        try:
            rendered: RenderedReport = future.result()
        except Exception as exc:  # KilledWorker, a lost scheduler, a task that raised
            return SweepItem(
                values, out, f"{out.name}: not rendered on the cluster: {type(exc).__name__}: "
                f"{_one_line(exc)}"
            )  # fmt: skip
        if self.stats is not None:
            size = len(rendered.data or b"") + len(rendered.failed_notebook or b"")
            self.stats.append(ReportStats(out.name, rendered.worker, rendered.seconds, size))
        if rendered.data is not None:
            try:
                _write_library(out.parent, rendered.data)  # a --shared-assets report's, first
                write_atomic(out, rendered.data)
            except ToolkitError as exc:
                return SweepItem(values, out, f"{out.name}: {exc}")
            except OSError as exc:
                return SweepItem(values, out, f"{out.name}: {type(exc).__name__}: {exc}")
            return SweepItem(values, out)
        error = (rendered.error or f"{out.name}: failed").replace(OUT_MARK, str(out.parent))
        if rendered.failed_notebook is not None:  # best effort, as locally
            keep_failed_notebook(out, rendered.failed_notebook)
        return SweepItem(values, out, error)


def _register(client: Client, plugin: KernelPool, name: str) -> None:
    """Register the sweep's worker plugin on every worker; a worker that cannot take it (no toolkit
    there) is a one-line `ClusterError` naming the scheduler."""
    from toolkit.engine.cluster import cluster_error

    try:
        client.register_plugin(plugin, name=name)
    except ToolkitError:  # a worker's own one-line check (another toolkit, another pack)
        raise
    except Exception as exc:
        raise cluster_error(client, exc) from None


def _write_library(folder: Path, report: bytes) -> None:
    """The chart library file a `--shared-assets` report loads (`<script src=NAME>`), written by
    the client into `folder` as a local sweep writes it (`toolkit.jupyter.offline.bundle_file_script`);
    a ToolkitError if this machine's library is not the one the worker named. Nothing for a
    self-contained report."""
    from toolkit.jupyter import offline

    tag = LIBRARY_TAG.search(report)
    if tag is None or b" src=" not in tag.group(0):
        return
    attrs = dict(re.findall(rb'([\w-]+)="([^"]*)"', tag.group(0)))
    name, version = attrs[b"src"].decode(), attrs.get(b"data-vega-lite", b"").decode()
    written = offline.bundle_file_script(folder, version or None)
    if f'src="{name}"' not in written:
        raise ToolkitError(
            f"the worker's chart library {name} is not this machine's ({written.split(chr(34))[1]}):"
            " install the same vl-convert-python on every worker"
        )
