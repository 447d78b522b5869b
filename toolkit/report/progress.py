"""The sweep's progress bar on stderr (rich): reports done of all, the last one, failures counted.

Used by the local sweep (`toolkit.report.sweep`) and the Dask one (`toolkit.distributed.sweep`).
"""

from __future__ import annotations

from typing import Any


class SweepProgress:
    """A rich progress bar on stderr (nothing when disabled)."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self.failed = 0

    def __enter__(self) -> SweepProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("sweep", total=self.total, last="")
        return self

    def advance(self, name: str, *, ok: bool) -> None:
        if not ok:
            self.failed += 1
        if self._progress is not None:
            self._progress.update(
                self._task, advance=1, last=name if ok else f"[red]failed: {name}"
            )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
