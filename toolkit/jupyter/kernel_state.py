"""Runs *inside* a report kernel: warm it up, snapshot its state, and restore it between reports.

`toolkit sweep` renders many reports on one warm kernel instead of starting a cold kernel per report
(papermill starts and stops one per run). A report must not see anything an earlier report did, so
before each report the kernel goes back to the state it had right after warm-up:

- the user namespace and output history (`%reset -f`);
- the toolkit's own modules (dropped from `sys.modules`, so their module state starts fresh);
- process state a notebook commonly touches: environment variables, working directory, `sys.path`,
  warnings filters, recursion limit, `random` and NumPy's global RNG state, NumPy print/error options,
  Altair's registries (renderer, theme, data transformer and their options) and its debug mode,
  Polars' config, IPython's display-formatter registrations, the root logger, Matplotlib's rcParams
  and figures if loaded.

Third-party modules a report imports for the first time stay imported (dropping C extensions from
`sys.modules` is unsafe); their module-level state is the one thing a report could leak, and the
warm-up imports every module the notebook imports so that the baseline already holds them.
"""

from __future__ import annotations

import contextlib
import copy
import decimal
import importlib
import logging
import os
import random
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

from toolkit.fastimport import enter_toolkit_process

__all__ = ["import_modules", "restore", "snapshot", "warm_up"]

KEEP_MODULES = ("toolkit.jupyter.kernel_state",)


def import_modules(modules: list[str]) -> list[str]:
    """Import `modules` (a notebook's imports); returns those that failed (the notebook will say why)."""
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the notebook itself reports import errors properly
            failed.append(name)
    return failed


def warm_up(modules: list[str], *, offline_charts: bool = True) -> list[str]:
    """Import the notebook's modules and, if it uses Altair, enable the offline renderer.

    Then everything loaded so far is frozen out of the garbage collector's reach (`gc.freeze()`):
    the libraries' objects live as long as the kernel, and a full collection (IPython runs one on
    every `%reset`, Python now and then while a report computes) no longer walks them: ~0.2 s of
    every report in a sweep.
    """
    import gc

    enter_toolkit_process()  # a report kernel is the toolkit's own process
    failed = import_modules(modules)
    if offline_charts and "altair" in sys.modules:
        from toolkit.jupyter.offline import use_offline_renderer

        use_offline_renderer(show_library=False)
    gc.freeze()
    return failed


@dataclass
class _Snapshot:
    environ: dict[str, str]
    cwd: str
    sys_path: list[str]
    warning_filters: list[Any]
    recursion_limit: int
    random_state: Any
    decimal_context: decimal.Context
    root_logger: tuple[int, list[logging.Handler]]
    registries: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    altair_debug: bool | None = None
    numpy: dict[str, Any] | None = None
    polars_config: str | None = None
    formatters: dict[str, tuple[dict[Any, Any], dict[Any, Any]]] = field(default_factory=dict)
    matplotlib_rc: Any = None


_baseline: _Snapshot | None = None


def _altair_registries() -> list[Any]:
    alt = sys.modules.get("altair")
    if alt is None:
        return []
    from altair.utils.plugin_registry import PluginRegistry

    found: list[Any] = []
    for mod_name in ("altair", "altair.vegalite.v6", "altair.vegalite.v6.display", "altair.theme"):
        mod = sys.modules.get(mod_name)
        for value in vars(mod).values() if mod is not None else ():
            if isinstance(value, PluginRegistry) and all(value is not f for f in found):
                found.append(value)
    themes = getattr(getattr(alt, "theme", None), "themes", None)
    if isinstance(themes, PluginRegistry) and all(themes is not f for f in found):
        found.append(themes)
    return found


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()


def snapshot() -> None:
    """Record the kernel's state as the baseline every report starts from."""
    global _baseline  # noqa: PLW0603 - one baseline per kernel process
    root = logging.getLogger()
    snap = _Snapshot(
        environ=dict(os.environ),
        cwd=os.getcwd(),
        sys_path=list(sys.path),
        warning_filters=list(warnings.filters),
        recursion_limit=sys.getrecursionlimit(),
        random_state=random.getstate(),
        decimal_context=copy.copy(decimal.getcontext()),
        root_logger=(root.level, list(root.handlers)),
        registries=[(reg, reg._get_state()) for reg in _altair_registries()],
    )
    schemapi = sys.modules.get("altair.utils.schemapi")
    if schemapi is not None:
        snap.altair_debug = bool(schemapi.DEBUG_MODE)
    np = sys.modules.get("numpy")
    if np is not None:
        snap.numpy = {
            "rng": np.random.get_state(),
            "print": np.get_printoptions(),
            "err": np.geterr(),
        }
    pl = sys.modules.get("polars")
    if pl is not None:
        with contextlib.suppress(Exception):
            snap.polars_config = pl.Config.save()
    ip = _ipython()
    if ip is not None:
        for mime, fmt in ip.display_formatter.formatters.items():
            snap.formatters[mime] = (dict(fmt.type_printers), dict(fmt.deferred_printers))
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        snap.matplotlib_rc = copy.deepcopy(dict(mpl.rcParams))
    _baseline = snap


def restore() -> None:
    """Bring the kernel back to the baseline (see the module docstring for what that covers)."""
    snap = _baseline
    if snap is None:
        raise RuntimeError(
            "toolkit.jupyter.kernel_state.snapshot() was never called in this kernel"
        )
    ip = _ipython()
    if ip is not None:
        ip.run_line_magic("reset", "-f")
        for mime, (types, deferred) in snap.formatters.items():
            fmt = ip.display_formatter.formatters.get(mime)
            if fmt is not None:
                fmt.type_printers.clear()
                fmt.type_printers.update(types)
                fmt.deferred_printers.clear()
                fmt.deferred_printers.update(deferred)
    for name in [m for m in sys.modules if m == "toolkit" or m.startswith("toolkit.")]:
        if name not in KEEP_MODULES:
            del sys.modules[name]
    os.environ.clear()
    os.environ.update(snap.environ)
    os.chdir(snap.cwd)
    sys.path[:] = snap.sys_path
    warnings.filters[:] = snap.warning_filters  # type: ignore[index]
    mutated = getattr(warnings, "_filters_mutated", None)  # invalidates the "once" caches
    if callable(mutated):
        mutated()
    sys.setrecursionlimit(snap.recursion_limit)
    random.setstate(snap.random_state)
    decimal.setcontext(copy.copy(snap.decimal_context))
    root = logging.getLogger()
    root.setLevel(snap.root_logger[0])
    root.handlers[:] = snap.root_logger[1]
    for registry, state in snap.registries:
        registry._set_state({k: (v.copy() if isinstance(v, dict) else v) for k, v in state.items()})
    schemapi = sys.modules.get("altair.utils.schemapi")
    if schemapi is not None and snap.altair_debug is not None:
        setattr(schemapi, "DEBUG_MODE", snap.altair_debug)  # noqa: B010 - a module global
    np = sys.modules.get("numpy")
    if np is not None and snap.numpy is not None:
        np.random.set_state(snap.numpy["rng"])
        np.set_printoptions(**snap.numpy["print"])
        np.seterr(**snap.numpy["err"])
    pl = sys.modules.get("polars")
    if pl is not None:
        with contextlib.suppress(Exception):
            if snap.polars_config is not None:
                pl.Config.load(snap.polars_config)
            else:
                pl.Config.restore_defaults()
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")
        if snap.matplotlib_rc is not None:
            mpl.rcParams.update(snap.matplotlib_rc)
    import gc

    gc.collect()
