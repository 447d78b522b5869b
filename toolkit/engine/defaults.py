"""The run settings every entry point starts from, defined once.

`toolkit simulate`, `toolkit chart`, `toolkit.simulate()` and the engine's analyses take these defaults,
and the report notebook's `parameters` cell may name them (`seed: int = DEFAULT_SEED`; `toolkit report`
resolves such a name here), so "baseline" gives the same numbers wherever it is run with its defaults.
"""

from __future__ import annotations

from typing import Final

DEFAULT_SCENARIO: Final = "baseline"
DEFAULT_SEED: Final = 20241025  # the article's date: any fixed seed would do, this one is memorable
DEFAULT_PATHS: Final = 20_000  # Monte Carlo standard error of a probability at most 0.36 points
DEFAULT_MONTHS: Final = 36  # horizon, in months after the article's date
DEFAULT_WITHIN: Final = 12  # the month of the headline "within" probabilities

DEFAULTS: Final[dict[str, object]] = {
    "DEFAULT_SCENARIO": DEFAULT_SCENARIO,
    "DEFAULT_SEED": DEFAULT_SEED,
    "DEFAULT_PATHS": DEFAULT_PATHS,
    "DEFAULT_MONTHS": DEFAULT_MONTHS,
    "DEFAULT_WITHIN": DEFAULT_WITHIN,
}
"""The names above by name (what a notebook's `parameters` cell may refer to)."""
