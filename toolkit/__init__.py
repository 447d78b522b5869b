"""Analytic toolkit: a sourced data pack, a scenario engine, charts and offline reports.

The public API is small and verb-first. Heavy libraries load on first use, so `import toolkit` is cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# The one place the version is written: pyproject reads it (hatch's version source).
__version__ = "0.1.0"
#: The name the toolkit is published under (`pip install nk-troops-toolkit`); PyPI's `toolkit` is
#: another project. The import package and the command stay `toolkit`.
DISTRIBUTION = "nk-troops-toolkit"

# public name -> module that defines it
_API = {
    "load_pack": "toolkit.pack.load",
    "check_pack": "toolkit.engine.check",  # the loader's checks and the engine's
    "Pack": "toolkit.pack.load",
    "simulate": "toolkit.track.forecast",  # the engine, or from the tracker with as_of=
    "render_report": "toolkit.report.render",
    "sweep": "toolkit.report.sweep",
    "explore": "toolkit.explore",  # the stage package itself is callable
}

__all__ = [
    "Pack",
    "__version__",
    "check_pack",
    "explore",
    "load_pack",
    "render_report",
    "simulate",
    "sweep",
]

if TYPE_CHECKING:
    from toolkit.engine.check import check_pack
    from toolkit.pack.load import Pack, load_pack


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    imported = import_module(module)
    value = imported if module == f"{__name__}.{name}" else getattr(imported, name)
    globals()[name] = value
    return value
