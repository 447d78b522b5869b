"""What runs on a Dask worker during a distributed sweep.

`KernelPool` is a worker plugin, registered by the client for one sweep (and so also set up on any
worker that joins or replaces a dead one meanwhile). Its `setup`:

1. checks that the worker runs the client's toolkit (`toolkit.engine.cluster.check_fingerprint`);
2. writes the notebook and the pack, received by content, into a private folder of the worker's
   local directory, and checks them: the notebook's SHA-256 and the pack's content hash, computed by
   loading the pack there, must be the client's (so workers need no shared disk, and never read
   another pack than the client);
3. starts one slot thread per worker thread. A slot owns one report kernel for the whole sweep,
   started, warmed up (the notebook's imports, a state snapshot) and given an exporter at once; it
   renders each report it is handed exactly as a local sweep does (`toolkit.report.sweep._one`:
   before every report but the first the kernel goes back to its snapshot, a dead kernel is replaced,
   any failure is that report's), into the private folder, and hands the bytes back.

`teardown` (the client unregisters the plugin when the sweep ends, or the worker closes) stops the
slots, shuts every kernel down and removes the folder. A kernel also exits by itself when its
worker process dies (ipykernel watches its parent), and a slot with no report for `IDLE_SECONDS`
(a client that vanished) shuts its kernel down; a report arriving later starts a fresh one.

`render_task(name, job)` is the Dask task: it queues one report on the pool and returns a
`RenderedReport` (the HTML as bytes, or the error and the error-annotated notebook).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin, get_worker

from toolkit.engine.cluster import ClusterMismatchError, check_fingerprint
from toolkit.report.plan import PackInfo, ReportPlan, kernel_env_for

if TYPE_CHECKING:
    from distributed import Worker

    from toolkit.jupyter.kernels import Kernel
    from toolkit.jupyter.nbparams import NotebookParameter
    from toolkit.jupyter.provenance import Provenance

#: Stands for the client's output folder in error messages written on a worker.
OUT_MARK = "\x00out\x00"
TEARDOWN_WAIT = 2.0  # seconds a slot may take to finish its report before its kernel is killed
IDLE_SECONDS = 600.0  # a slot with no report for this long shuts its kernel down


@dataclass(frozen=True)
class SweepSpec:
    """What every worker of a sweep needs, by content."""

    notebook_name: str
    notebook_folder: (
        str  # the name of the client's notebook folder (the kernel's cwd is one so named)
    )
    notebook_data: bytes
    notebook_sha256: str
    notebook_title: str
    parameters: dict[str, NotebookParameter]
    imports: list[str]
    pack_folder: str  # the name of the client's pack folder
    pack_files: dict[str, bytes]  # relative POSIX path -> bytes
    pack_hash: str
    pack_title: str | None
    show_code: bool
    fingerprint: str
    kernel_env: dict[str, str] = field(default_factory=dict)  # e.g. the client's SOURCE_DATE_EPOCH
    generated_at: str | None = None  # the client's SOURCE_DATE_EPOCH time, if set
    shared_assets: bool = False  # reports load the chart library from a file beside them


@dataclass(frozen=True)
class RemoteJob:
    """One report of the sweep: its output file name and its plan's values."""

    index: int
    name: str
    overrides: dict[str, Any]  # what papermill injects, as the client planned it
    scenario: str | None
    extra_provenance: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RenderedReport:
    """A report's outcome: the HTML, or an error (with the annotated notebook, if one was kept)."""

    index: int
    data: bytes | None = None
    error: str | None = None
    failed_notebook: bytes | None = None
    worker: str = ""
    seconds: float = 0.0  # time on the worker, from taking the report to having its bytes


@dataclass(frozen=True)
class WorkerPlan(ReportPlan):
    """A report plan on a worker: it runs with the worker's copies of the notebook and the pack, and
    its provenance shows what the client planned (its `pack` value), computed here."""

    shown_overrides: dict[str, Any] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    stamp: str | None = None

    def kernel_env(self) -> dict[str, str]:
        return {**kernel_env_for(self.pack.path), **self.extra_env}

    def provenance(self, inputs: Mapping[str, Any] | None = None) -> Provenance:
        shown = ReportPlan.provenance(replace(self, overrides=self.shown_overrides), inputs)
        return shown if self.stamp is None else replace(shown, generated_at=self.stamp)


class KernelPool(WorkerPlugin):
    """Warm report kernels on one worker for one sweep (see the module docstring)."""

    idempotent = False

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec

    # -- lifecycle (called from the worker's event loop) -------------------------------------
    async def setup(self, worker: Worker) -> None:
        await asyncio.to_thread(self._setup, worker)  # loading the pack takes a second or two

    def _setup(self, worker: Worker) -> None:
        from toolkit.fastimport import block_slow_optional_imports

        block_slow_optional_imports()  # before nbconvert or Altair load jsonschema in this worker
        # Report kernels are started with glibc's usual allocator settings, as locally: Dask's nanny
        # sets this for its worker (see toolkit.engine.cluster.tune_malloc), and it halves the
        # engine's speed in a kernel that inherits it.
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        self.address = str(worker.address)
        self.error: str | None = None
        self.jobs: queue.Queue[tuple[RemoteJob, concurrent.futures.Future[RenderedReport]] | None]
        self.jobs = queue.Queue()
        self.slots: list[list[Kernel]] = []
        self.threads: list[threading.Thread] = []
        self.folder: Path | None = None
        self.export_lock = threading.Lock()
        self.lock = threading.Lock()  # guards `closed` and the queue's last puts
        self.closed = False
        try:
            check_fingerprint(self.spec.fingerprint, f"worker {self.address}")
            self.folder = Path(
                tempfile.mkdtemp(prefix="toolkit-sweep-", dir=worker.local_directory)
            )
            self.notebook, self.pack = _materialise(self.spec, self.folder)
        except Exception as exc:
            self.error = f"worker {self.address}: {type(exc).__name__}: {exc}"
            return
        for slot in range(max(1, int(worker.state.nthreads))):
            kernels: list[Kernel] = []
            self.slots.append(kernels)
            thread = threading.Thread(
                target=self._serve, args=(kernels,), name=f"toolkit-kernel-{slot}", daemon=True
            )
            self.threads.append(thread)
            thread.start()

    async def teardown(self, worker: Worker) -> None:
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Stop the slots (a report still running after TEARDOWN_WAIT has its kernel killed), shut
        their kernels down, fail what is queued and remove the folder."""
        with self.lock:
            self.closed = True  # no report is queued from now on
        for _ in self.threads:
            self.jobs.put(None)
        deadline = time.monotonic() + TEARDOWN_WAIT
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for kernels in self.slots:
            for kernel in kernels:
                kernel.kill()
        for thread in self.threads:
            thread.join(30.0)
        with contextlib.suppress(queue.Empty):
            while True:
                item = self.jobs.get_nowait()
                if item is not None:
                    item[1].set_result(self._failed(item[0], "the worker's sweep was torn down"))
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- reports ----------------------------------------------------------------------------
    def render(self, job: RemoteJob) -> RenderedReport:
        """Queue `job` on a slot and wait for it (called by the task, in a worker thread)."""
        if self.error is not None:
            return self._failed(job, self.error)
        future: concurrent.futures.Future[RenderedReport] = concurrent.futures.Future()
        with self.lock:
            if self.closed:
                return self._failed(job, "the worker's sweep was torn down")
            self.jobs.put((job, future))
        return future.result()

    def _failed(self, job: RemoteJob, error: str) -> RenderedReport:
        return RenderedReport(job.index, error=f"{job.name}: {error}", worker=self.address)

    def _serve(self, kernels: list[Kernel]) -> None:
        """One slot: start and warm its kernel, then render the reports it takes, one at a time."""
        from toolkit.jupyter.kernels import Kernel
        from toolkit.report.render import _prepare_export

        assert self.folder is not None
        out_dir = self.folder / "out"
        env = {**kernel_env_for(self.pack.path), **self.spec.kernel_env}
        exporter: Any = None
        try:
            kernels.append(Kernel(cwd=self.notebook.path.parent, env=env).start())
            kernels[0].warm_up(self.notebook.imports, snapshot=True)
            with self.export_lock:  # the first one imports nbconvert: one thread at a time
                exporter = _prepare_export(self.spec.show_code)
        except Exception:  # this slot's kernel is unusable: its reports fail, the others go on
            exporter = None
        fresh = True
        try:
            while True:
                try:
                    item = self.jobs.get(timeout=IDLE_SECONDS)
                except queue.Empty:  # e.g. a client that went away without ending its sweep
                    for kernel in kernels:
                        kernel.shutdown()  # `_one` starts a fresh one if a report comes after all
                    continue
                if item is None:
                    break
                job, future = item
                started = time.perf_counter()
                try:
                    if exporter is None:
                        result = self._failed(job, "the worker's kernel did not start")
                    else:
                        result = self._one(kernels, job, out_dir, fresh, exporter)
                        fresh = False
                except Exception as exc:  # never leave a task waiting
                    result = self._failed(job, f"{type(exc).__name__}: {exc}")
                future.set_result(replace(result, seconds=time.perf_counter() - started))
        finally:
            for kernel in kernels:
                kernel.shutdown()

    def _one(
        self, kernels: list[Kernel], job: RemoteJob, out_dir: Path, fresh: bool, exporter: Any
    ) -> RenderedReport:
        from toolkit.report.render import _failed_path
        from toolkit.report.sweep import _one

        plan = self._plan(job)
        out = out_dir / job.name
        failed = _failed_path(out)
        item = _one(
            kernels, 0, plan, out, {}, fresh, exporter, self.spec.show_code, self.notebook.imports,
            self.spec.shared_assets,
        )  # fmt: skip
        try:
            if item.error is not None:
                return RenderedReport(
                    job.index,
                    error=item.error.replace(str(out_dir), OUT_MARK),
                    failed_notebook=_take(failed),
                    worker=self.address,
                )
            data = _take(out)
            if data is None:
                return self._failed(job, "the worker wrote no report")
            return RenderedReport(job.index, data=data, worker=self.address)
        finally:
            for path in (out, failed):
                path.unlink(missing_ok=True)

    def _plan(self, job: RemoteJob) -> WorkerPlan:
        run = dict(job.overrides)
        if isinstance(run.get("pack"), str) and run["pack"]:
            run["pack"] = str(self.pack.path)  # the worker's copy of the pack the client named
        return WorkerPlan(
            notebook=self.notebook,
            pack=self.pack,
            overrides=run,
            scenario=job.scenario,
            pack_given=True,
            extra_provenance=job.extra_provenance,
            shown_overrides=dict(job.overrides),
            extra_env=dict(self.spec.kernel_env),
            stamp=self.spec.generated_at,
        )


def _take(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _materialise(spec: SweepSpec, folder: Path) -> tuple[Any, PackInfo]:
    """Write the notebook and the pack under `folder`; check both against the client's hashes."""
    from toolkit.report.notebook import NotebookInfo

    if hashlib.sha256(spec.notebook_data).hexdigest() != spec.notebook_sha256:
        raise ClusterMismatchError(
            f"{spec.notebook_name}: the notebook received differs from the one sent"
        )
    notebook = folder / "notebook" / _name(spec.notebook_folder) / _name(spec.notebook_name)
    notebook.parent.mkdir(parents=True)
    notebook.write_bytes(spec.notebook_data)
    pack_dir = folder / "pack" / _name(spec.pack_folder)
    for rel, data in spec.pack_files.items():
        parts = PurePosixPath(rel).parts
        if PurePosixPath(rel).is_absolute() or ".." in parts or not parts:
            raise ClusterMismatchError(f"pack file {rel!r}: not a path inside the pack")
        target = pack_dir.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    pack = PackInfo.load(pack_dir)  # checked; frames built only if a check needs them
    if pack.content_hash != spec.pack_hash:
        raise ClusterMismatchError(
            f"the pack received has content hash {pack.content_hash[:12]}, the client's "
            f"{spec.pack_hash[:12]}"
        )
    info = NotebookInfo(
        path=notebook,
        sha256=spec.notebook_sha256,
        parameters=spec.parameters,
        imports=spec.imports,
        title=spec.notebook_title,
    )
    return info, replace(pack, path=pack_dir, title=spec.pack_title)


def _name(text: str) -> str:
    name = PurePosixPath(text).name
    return name if name not in ("", ".", "..") else "notebook"


def render_task(plugin: str, job: RemoteJob) -> RenderedReport:
    """The Dask task of one report: render it on this worker's kernel pool."""
    pool = get_worker().plugins.get(plugin)
    if not isinstance(pool, KernelPool):
        return RenderedReport(job.index, error=f"{job.name}: no kernel pool {plugin!r} on worker")
    return pool.render(job)


def worker_pid() -> int:
    """This worker's process id (tests and benchmarks)."""
    return os.getpid()
