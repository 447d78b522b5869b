"""`python -m toolkit.jupyter.kernel_zygote MODULE...`: import first, become an IPython kernel only when told.

The toolkit starts this plain Python process before it checks a report's parameters, so that the
interpreter start-up and the notebook's imports (seconds) overlap the checks. It opens no socket and
runs no notebook code: it imports ipykernel and MODULE... (the notebook's own imports), then waits
for one line on stdin:

- `{"argv": [...]}` once the parameters are valid: it becomes the kernel, exactly as
  `python -m ipykernel_launcher ARGV` would (jupyter_client's manager owns it from then on);
- end of input (the parameters were rejected, or the parent died): it exits.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> None:
    import gc

    # The imports allocate a few hundred thousand objects that live as long as the kernel: collecting
    # them meanwhile is wasted work (~8 % of the imports' time), so the collector is paused and they
    # are moved out of its reach afterwards (as `kernel_state.warm_up` does).
    gc.disable()
    from toolkit.fastimport import enter_toolkit_process
    from toolkit.jupyter.kernel_state import import_modules

    enter_toolkit_process()
    from ipykernel import kernelapp

    import_modules(argv)
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
