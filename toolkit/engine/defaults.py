"""The run settings every entry point starts from, defined once.

`toolkit simulate`, `toolkit chart`, `toolkit.simulate()`, the engine's analyses and the live explorer
(`toolkit.explore`, with `DEFAULT_EXPLORER_PATHS`) take these defaults,
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
# The live explorer re-runs the engine on every slider move: at 20,000 paths x 36 months the engine
# alone takes about as long as the explorer's whole budget (median <= 25 ms from a slider change to new
# charts, bench_explore.py), so it opens with half the paths (Monte Carlo standard error of a
# probability at most 0.5 points). Its seed and horizon are the defaults above; its paths slider
# offers DEFAULT_PATHS and more too.
DEFAULT_EXPLORER_PATHS: Final = DEFAULT_PATHS // 2

DEFAULTS: Final[dict[str, object]] = {
    "DEFAULT_SCENARIO": DEFAULT_SCENARIO,
    "DEFAULT_SEED": DEFAULT_SEED,
    "DEFAULT_PATHS": DEFAULT_PATHS,
    "DEFAULT_MONTHS": DEFAULT_MONTHS,
    "DEFAULT_WITHIN": DEFAULT_WITHIN,
    "DEFAULT_EXPLORER_PATHS": DEFAULT_EXPLORER_PATHS,
}
"""The names above by name (what a notebook's `parameters` cell may refer to)."""
