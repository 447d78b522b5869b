"""Keep slow optional imports out of the toolkit's own cold paths.

jsonschema (used by Altair, nbformat and papermill) imports optional format checkers when their
libraries are installed: "iri"/"iri-reference" through rfc3987_syntax, which builds a grammar at import
(1.5-3 s here), and "duration" through isoduration (which pulls in arrow). Neither Vega-Lite's schema nor
nbformat's uses these formats, and jsonschema skips a checker whose library is missing. Marking them
absent before jsonschema loads saves that time; once jsonschema is loaded it is too late and nothing is
changed. Likewise Altair's optional anywidget import, before Altair loads.

Marking a module absent changes the whole process, so it is done only in processes the toolkit owns:
the `toolkit` command (`toolkit.cli.launch`) and the kernels that run reports (`toolkit.jupyter`), which
call `enter_toolkit_process()` first. Anywhere else (a user's Python session or Jupyter kernel that
imports the toolkit or renders a report from Python) `block_slow_optional_imports()` does nothing, and
`isoduration` and `rfc3987_syntax` stay importable.
"""

from __future__ import annotations

import sys
from typing import Final

SLOW_OPTIONAL_MODULES: Final = ("rfc3987_syntax", "isoduration")
#: Altair imports anywidget (and so ipywidgets and IPython, ~0.4 s) at `import altair` whenever it is
#: installed, for its JupyterChart; the command and report kernels draw no widgets. The explorer's
#: kernel (JupyterLab, Voilà) is not the toolkit's own process and keeps it (`explore.live_charts`).
ALTAIR_WIDGET_MODULES: Final = ("anywidget",)

_toolkit_process = False


def enter_toolkit_process() -> None:
    """Declare this process the toolkit's own (the CLI, a report kernel) and block the slow imports."""
    global _toolkit_process  # noqa: PLW0603 - one flag per process
    _toolkit_process = True
    block_slow_optional_imports()


def in_toolkit_process() -> bool:
    """Whether this process is the toolkit's own (see `enter_toolkit_process`)."""
    return _toolkit_process


def block_slow_optional_imports() -> None:
    """In the toolkit's own processes, make the slow optional imports fail fast (as if not installed);
    elsewhere, do nothing."""
    if not _toolkit_process:
        return
    if "jsonschema" not in sys.modules:
        for name in SLOW_OPTIONAL_MODULES:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    if "altair" not in sys.modules:
        for name in ALTAIR_WIDGET_MODULES:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]
