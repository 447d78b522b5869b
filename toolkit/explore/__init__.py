"""The explorer stage: sliders over the scenario engine, live in JupyterLab or Voilà.

`knobs` describes the model parameters as sliders and the presets' settings, `state` holds the
explorer's state and rules (parameter values, validation, the runs; no ipywidgets) with `readout` (the
words), `asof` (the tracker's posterior on an as-of date) and `specs` (chart specs built once, then
refilled with data); `view` builds the ipywidgets around it from `parts`, and `servers` starts
JupyterLab or Voilà on the explorer notebook. `toolkit.explore` is also the public verb: the package is callable, so
`toolkit.explore()` and `from toolkit import explore; explore()` open the explorer as before.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any


class _CallablePackage(ModuleType):
    """This package, callable: `toolkit.explore(...)` is `toolkit.explore.view.explore(...)`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from toolkit.explore.view import explore

        return explore(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
