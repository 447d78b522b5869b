"""Papermill engine `toolkit-kernel`: papermill's nbclient engine on a kernel the toolkit owns.

`papermill.execute_notebook(..., engine_name=ENGINE, km=kernel.km)` runs a notebook on a
`toolkit.jupyter.kernels.Kernel`; the engine closes its client afterwards and leaves the kernel running
(for the next notebook of a sweep). It also hands the executed notebook to the caller, so an
error-annotated notebook can be kept when execution fails.

Papermill serialises the executed notebook before handing it to its writer even when there is no output
path (`nbformat.writes`: a deep copy, a schema validation and an indented JSON dump, 0.3-1 s of a
report on a busy machine, then thrown away by its `NoIOHandler`). The toolkit never gives papermill an
output path (it exports and keeps notebooks itself), so `register_engine` also makes papermill's
final write skip a notebook that goes nowhere; any write to a path is papermill's own.
"""

from __future__ import annotations

from typing import Any

ENGINE = "toolkit-kernel"
_registered = False


def register_engine() -> None:
    """Register papermill engine `toolkit-kernel`: nbclient on a kernel we own, client closed after."""
    global _registered  # noqa: PLW0603 - register once per process
    if _registered:
        return
    import papermill.execute as pm_execute
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class _Client(PapermillNotebookClient):
        def execute(self, **kwargs: Any) -> Any:
            try:
                return super().execute(**kwargs)
            finally:
                kc: Any = getattr(self, "kc", None)
                if not self.owns_km and kc is not None:
                    kc.stop_channels()
                    self.kc = None

    class _Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: float = 60,
            execution_timeout: float | None = None,
            **kwargs: Any,
        ) -> Any:
            # As papermill's NBClientEngine, with a client that lets go of a kernel it does not own.
            holder = kwargs.pop("toolkit_result", None)
            if holder is not None:
                holder.append(nb_man.nb)  # executed in place: the caller keeps it even on failure
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return _Client(nb_man, **final_kwargs).execute()

    papermill_engines.register(ENGINE, _Engine)
    write_ipynb = pm_execute.write_ipynb

    def write_unless_nowhere(nb: Any, path: Any) -> Any:
        return None if path is None else write_ipynb(nb, path)

    pm_execute.write_ipynb = write_unless_nowhere
    _registered = True
