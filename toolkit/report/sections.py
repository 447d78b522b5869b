"""The report's optional sections: what a notebook shows when a pack has something to show, and one
sentence saying why not otherwise, so a report renders for any valid pack.

`describe_explorer(pack)` opens the in-file explorer's section (naming the grid's parameters) and
`explorer(...)` draws it; a pack with no banded parameter (and no `report.explorer_grid`) gets one
sentence instead of the sliders. `tornado(frame, pack)` draws the sensitivity tornado, or says in one
sentence that no parameter could be varied or none moved the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit.engine.grid import explorer_parameters
from toolkit.report.markdown import esc

if TYPE_CHECKING:
    import altair as alt
    from IPython.display import Markdown

    from toolkit.pack.load import Pack
    from toolkit.track.tracker import TrackResult

NO_EXPLORER = (
    "The pack has no banded parameter to explore, so this file has no sliders (a pack can name one "
    "or two parameters and their values in pack.yaml's `report.explorer_grid`)."
)
NO_TORNADO = (
    "No parameter of the pack has a band or a plausible range to vary, so there is nothing to show "
    "here."
)
NO_EFFECT_TORNADO = (
    "No parameter moves the outcome by as much as {limit:.2%} from the low to the high end of its "
    "range, so there is nothing to show here."
)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_explorer(pack: Pack) -> str:
    """The explorer section's opening (its heading is the notebook's): the parameters its sliders
    move, or one sentence saying the pack has none."""
    grid = explorer_parameters(pack)
    if not grid:
        return NO_EXPLORER
    label = dict(zip(pack.parameters["id"].cast(pl.String), pack.parameters["label"], strict=True))
    named = _join([f"**{esc(str(label.get(p) or p))}**" for p in grid])
    source = (
        "the pack's `report.explorer_grid` in pack.yaml"
        if pack.meta.report.explorer_grid
        else "the first parameters with a band in parameters.yaml, across each band"
    )
    return (
        "The sliders below pick a precomputed slice of the engine's output over "
        f"{named} ({source}). They work in the saved file, with no kernel and no network."
    )


def explorer(
    pack: Pack,
    scenario: str,
    tracked: TrackResult | None = None,
    *,
    start: Mapping[str, float] | None = None,
    **settings: Any,
) -> alt.VConcatChart | None:
    """The in-file explorer over the pack's grid (`settings`: `compute_explorer_grid`'s paths,
    months, seed, overrides), from `tracked`'s posterior when given (an as-of report), else from
    `start` or the pack's start state. None for a pack with nothing to explore: `describe_explorer`
    has said so."""
    if not explorer_parameters(pack):
        return None
    from toolkit import charts

    if tracked is not None:
        from toolkit.track.forecast import grid_from

        return charts.chart_explorer_grid(grid_from(tracked, pack, **settings), pack)
    from toolkit.engine.grid import compute_explorer_grid

    return charts.chart_explorer_grid(
        compute_explorer_grid(pack, scenario, start=start, **settings), pack
    )


def tornado(sensitivity: pl.DataFrame, pack: Pack) -> alt.LayerChart | Markdown:
    """The tornado chart of `compute_tornado`'s frame, or one sentence when no parameter had a range
    to vary or none moved the outcome (the chart would be empty)."""
    from toolkit import charts
    from toolkit.charts.analysis_charts import NO_EFFECT

    if sensitivity["outcome_low"].is_null().all():
        from IPython.display import Markdown

        return Markdown(NO_TORNADO)
    base = pl.col("baseline")
    effect = pl.max_horizontal(
        (pl.col("outcome_low") - base).abs(), (pl.col("outcome_high") - base).abs()
    )
    if not sensitivity.select((effect >= NO_EFFECT).any()).item():
        from IPython.display import Markdown

        return Markdown(NO_EFFECT_TORNADO.format(limit=NO_EFFECT))
    return charts.chart_tornado(sensitivity, pack=pack)
