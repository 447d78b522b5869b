"""`python -m toolkit.jupyter.kernel_zygote MODULE...`: import first, become an IPython kernel only when told.

The toolkit starts this plain Python process before it checks a report's parameters, so that the
interpreter start-up and the notebook's imports (seconds) overlap the checks. It opens no socket and
runs no notebook code: it imports ipykernel (with what it imports as it starts a kernel, but not its
debugger support: `ABSENT_MODULES`) and MODULE... (the notebook's own imports), then waits for one line
on stdin:

- `{"argv": [...]}` once the parameters are valid: it becomes the kernel, exactly as
  `python -m ipykernel_launcher ARGV` would (jupyter_client's manager owns it from then on);
- end of input (the parameters were rejected, or the parent died): it exits.
"""

from __future__ import annotations

import json
import sys

# A report kernel runs a notebook from start to end with nobody to attach a debugger: ipykernel's
# debugger support (debugpy and its vendored pydevd, ~0.2 s to import) is marked absent, so the kernel
# starts without it (as where debugpy is not installed; its kernel_info says "debugger": false).
ABSENT_MODULES = ("debugpy",)
# What ipykernel then imports as it becomes a kernel (IPKernelApp.initialize: IPython's debugger,
# completer and history store, tornado's queues): imported beforehand, while the parameters are
# checked, instead of after.
KERNEL_MODULES = (
    "ipykernel.debugger",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "sqlite3",
    "tornado.gen",
    "tornado.locks",
    "tornado.queues",
    "tornado.platform.asyncio",
    "faulthandler",
    "unicodedata",
)


def main(argv: list[str]) -> None:
    import gc

    # The imports allocate a few hundred thousand objects that live as long as the kernel: collecting
    # them meanwhile is wasted work (~8 % of the imports' time), so the collector is paused and they
    # are moved out of its reach afterwards (as `kernel_state.warm_up` does).
    gc.disable()
    for name in ABSENT_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    from toolkit.fastimport import enter_toolkit_process
    from toolkit.jupyter.kernel_state import import_modules

    enter_toolkit_process()
    from ipykernel import kernelapp

    import_modules([*KERNEL_MODULES, *argv])
    gc.freeze()
    gc.enable()
    line = sys.stdin.readline()
    if not line.strip():
        sys.exit(0)
    kernel_argv = json.loads(line)["argv"]
    sys.argv = ["ipykernel_launcher", *kernel_argv]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])
