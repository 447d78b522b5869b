"""The engine on a Dask cluster: `simulate(..., client=CLIENT)` runs its paths here.

Nothing here imports dask at module level: the engine imports (and runs) without the `distributed`
extra, and only a caller that holds a `distributed.Client` reaches the functions that use it.

- **Split.** The paths are cut into tasks of consecutive RNG blocks (`BLOCK` paths each; block b
  draws from spawn key (b,), `toolkit.engine.simulation._chunks`). A task walks its blocks in chunks
  of `chunk_size` as `simulate` does and returns their integer histograms (`Counts`) and, if paths
  are kept, its share of them. The client adds the counts up: they equal a single-machine run's
  exactly, whatever the number of tasks, workers or machines, and in whatever order tasks finish.
- **The model travels by content.** The compiled `Model` is pickled once and scattered to the
  cluster as a `ModelPayload`; a worker checks, before it runs a path, the payload's SHA-256 digest,
  that the model was compiled from the pack content hash the client loaded, and that it runs the same
  toolkit code (`code_fingerprint`): a worker never computes with another pack or another engine.
- **Failures are one line.** A scheduler with no worker (after `WORKER_WAIT` seconds), a worker
  that cannot load the toolkit, a scheduler lost mid-run (its futures come back cancelled) and a
  worker killed more often than the scheduler allows (`KilledWorker`) raise a `ClusterError` naming
  the scheduler and the cause (`cluster_error`); nothing is returned half-done.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.cache import code_fingerprint
from toolkit.engine.chunk import Counts, PathSamples
from toolkit.engine.model import Model
from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from distributed import Client

COUNT_FIELDS = ("occupancy", "reached", "transfer", "tier_transfer", "decided", "level")
WORKER_WAIT = 20.0  # seconds to wait for a scheduler's first worker before giving up
TASKS_PER_THREAD = 4  # enough tasks to balance the load, few enough that their overhead is small
MIN_TASKS = 8


class ClusterMismatchError(ToolkitError):
    """A worker received other content than the client sent, or runs another toolkit."""


class ClusterError(ToolkitError):
    """The Dask cluster could not do the work: no worker, a worker without the toolkit, a lost
    scheduler, a worker killed too often."""


def scheduler_address(client: Client) -> str:
    """The address of `client`'s scheduler, as messages name it."""
    address = getattr(client.scheduler, "address", None)
    return str(address) if address else "(unknown address)"


def cluster_error(client: Client, exc: BaseException) -> ClusterError:
    """`exc`, raised by Dask while working on `client`'s cluster, as one line naming the scheduler."""
    return ClusterError(f"the Dask scheduler {scheduler_address(client)}: {_cause(exc)}")


def _cause(exc: BaseException) -> str:
    """What went wrong on the cluster, in a few words."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    text = " ".join(str(exc).split())
    if isinstance(exc, KilledWorker):
        return (
            "a worker died running a task more often than distributed.scheduler.allowed-failures "
            "allows (KilledWorker)"
        )
    if isinstance(exc, CancelledError):
        reason = getattr(exc, "reason", None) or "unknown"
        return f"the work was cancelled ({reason}): the scheduler was lost, or restarted"
    if isinstance(exc, ImportError) or "No module named" in text:
        return (
            f"a worker cannot load the toolkit ({text}): install the same toolkit, with the "
            "`distributed` extra, on every worker"
        )
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def require_workers(client: Client, wait: float | None = None) -> None:
    """Return once `client`'s scheduler has a worker; a `ClusterError` if none joins within `wait`
    seconds (default `WORKER_WAIT`)."""
    seconds = WORKER_WAIT if wait is None else wait
    try:
        client.wait_for_workers(1, timeout=seconds)
    except TimeoutError:
        address = scheduler_address(client)
        raise ClusterError(
            f"the Dask scheduler {address} has no worker (none joined within {seconds:g} s): "
            f"start some with `dask worker {address}`"
        ) from None
    except OSError as exc:  # the scheduler went away
        raise cluster_error(client, exc) from None


def check_fingerprint(client_fingerprint: str, where: str = "this worker") -> None:
    """Raise `ClusterMismatchError` unless this process runs the client's toolkit code."""
    mine = code_fingerprint()
    if mine != client_fingerprint:
        raise ClusterMismatchError(
            f"{where} runs toolkit {mine}, the client {client_fingerprint}: install the same "
            "toolkit (and the `distributed` extra) on every worker"
        )


@dataclass(frozen=True)
class ModelPayload:
    """A compiled model as bytes, with what a worker checks before using it."""

    data: bytes
    digest: str  # sha256 of `data`
    pack_hash: str | None  # the content hash of the pack the client compiled it from
    fingerprint: str  # the client's code_fingerprint()

    @classmethod
    def of(cls, model: Model) -> ModelPayload:
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        return cls(data, hashlib.sha256(data).hexdigest(), model.content_hash, code_fingerprint())

    def model(self) -> Model:
        """The model, after every check (cached per process: a worker unpickles it once)."""
        return _unpacked(self)


_cache_lock = threading.Lock()
_cache: dict[ModelPayload, Model] = {}  # a payload (bytes and all it claims) checked already
CACHE_SIZE = 4


def _unpacked(payload: ModelPayload) -> Model:
    with _cache_lock:
        cached = _cache.get(payload)
    if cached is not None:
        return cached
    check_fingerprint(payload.fingerprint)
    if hashlib.sha256(payload.data).hexdigest() != payload.digest:
        raise ClusterMismatchError(
            "the model received differs from the one sent (SHA-256 mismatch)"
        )
    model = pickle.loads(payload.data)  # noqa: S301  (bytes from our own client, digest checked)
    if not isinstance(model, Model) or model.content_hash != payload.pack_hash:
        raise ClusterMismatchError(
            f"the model received was not compiled from pack {payload.pack_hash!r}"
        )
    with _cache_lock:
        while len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[payload] = model
    return model


@functools.cache
def tune_malloc() -> bool:
    """Undo, in this worker process, the allocator setting Dask's nanny gives its workers.

    The nanny starts workers with `MALLOC_TRIM_THRESHOLD_=65536`, which also turns off glibc's
    dynamic mmap threshold: every NumPy temporary above 128 kB is then a fresh mmap, faulted in page
    by page, and the engine runs about twice as slow (13x the page faults). This sets the values the
    dynamic threshold would reach (mmap above 32 MiB, trim above 64 MiB). Linux/glibc only; True if
    it changed anything.
    """
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # malloc.h
        return bool(
            libc.mallopt(m_mmap_threshold, 32 * 2**20)
            and libc.mallopt(m_trim_threshold, 64 * 2**20)
        )
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True)
class Task:
    """Blocks [first, first + count) of a run of `paths` paths."""

    first: int
    count: int
    paths: int
    seed: int
    chunk_size: int
    periods: int
    step: float
    keep: int  # paths to keep from this task's first path on (0: none)


def run_task(payload: ModelPayload, task: Task) -> tuple[Counts, list[PathSamples]]:
    """On a worker: the task's blocks in chunks, as `simulate` runs them; their summed counts and kept
    paths."""
    from toolkit.engine.simulation import _chunks, run_chunks

    tune_malloc()
    model = payload.model()
    blocks = range(task.first, task.first + task.count)
    chunks = _chunks(task.paths, task.seed, task.chunk_size, blocks)
    return run_chunks(model, chunks, task.periods, keep=task.keep, step=task.step)


def plan_tasks(
    paths: int,
    *,
    seed: int,
    chunk_size: int,
    periods: int,
    step: float,
    keep: int,
    tasks: int,
) -> list[Task]:
    """At most `tasks` tasks of consecutive whole chunks covering every path (so a task's chunks,
    and the paths each keeps, are exactly those of a single-machine run)."""
    from toolkit.engine.simulation import BLOCK

    n_blocks = -(-paths // BLOCK)
    per_chunk = max(1, -(-chunk_size // BLOCK))
    n_chunks = -(-n_blocks // per_chunk)
    per_task = per_chunk * -(-n_chunks // max(1, min(tasks, n_chunks)))
    return [
        Task(
            first=first,
            count=min(per_task, n_blocks - first),
            paths=paths,
            seed=seed,
            chunk_size=chunk_size,
            periods=periods,
            step=step,
            keep=max(0, keep - first * BLOCK),
        )
        for first in range(0, n_blocks, per_task)
    ]


def task_paths(task: Task) -> int:
    from toolkit.engine.simulation import BLOCK

    return min(task.paths, (task.first + task.count) * BLOCK) - task.first * BLOCK


def default_tasks(client: Client) -> int:
    threads = sum(client.nthreads().values())
    return max(MIN_TASKS, TASKS_PER_THREAD * threads)


def run_on_cluster(
    client: Client,
    model: Model,
    *,
    paths: int,
    seed: int,
    chunk_size: int,
    periods: int,
    step: float,
    keep: int,
    progress: Callable[[int, int], None] | None = None,
    tasks: int | None = None,
) -> tuple[Counts, list[PathSamples]]:
    """The counts (and kept paths) of `simulate(model, ...)`, computed on `client`'s workers."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker, as_completed

    require_workers(client)
    plan = plan_tasks(
        paths,
        seed=seed,
        chunk_size=chunk_size,
        periods=periods,
        step=step,
        keep=keep,
        tasks=tasks if tasks is not None else default_tasks(client),
    )
    payload = ModelPayload.of(model)
    try:
        [remote] = client.scatter([payload], hash=False)
    except Exception as exc:  # e.g. a worker that cannot unpickle it: no toolkit there
        raise cluster_error(client, exc) from None
    futures = [client.submit(run_task, remote, task, pure=False) for task in plan]
    order = {future.key: i for i, future in enumerate(futures)}
    total: Counts | None = None
    kept: dict[int, list[PathSamples]] = {}
    done = 0
    try:
        for future, outcome in as_completed(futures, with_results=True):
            if isinstance(outcome, BaseException):  # a cancelled future comes back as its error
                raise cluster_error(client, outcome)
            counts, samples = outcome
            i = order[future.key]
            if total is None:  # our own copy: with a threaded cluster the result is the worker's
                total = Counts(**{name: getattr(counts, name).copy() for name in COUNT_FIELDS})
            else:
                total.add(counts)
            if samples:
                kept[i] = samples
            done += task_paths(plan[i])
            if progress is not None:
                progress(done, paths)
    except (KilledWorker, CancelledError, ImportError, OSError) as exc:  # OSError: a lost comm
        raise cluster_error(client, exc) from None
    finally:
        client.cancel([*futures, remote])
    assert total is not None
    return total, [s for i in sorted(kept) for s in kept[i]]
