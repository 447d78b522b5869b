"""Charts: pure functions from pack frames and engine results to Altair charts.

Every function returns an Altair chart carrying the `toolkit` theme (registered on import but not
enabled: the session's other charts keep their own theme), with a title that says what it shows and a
caption naming its source or assumption. Data is aggregated first and inlined in the spec (no files, no
URLs). Phases, tiers and bands keep their ladder order (the pack's Enum order) on
every axis and legend.
"""

from __future__ import annotations

from toolkit.charts.analysis_charts import chart_policy_table, chart_tornado
from toolkit.charts.article_charts import chart_claims, chart_event_timeline
from toolkit.charts.explorer import chart_explorer_grid
from toolkit.charts.model_charts import chart_phases, chart_responses, chart_transfers
from toolkit.charts.network import chart_actor_network
from toolkit.charts.theme import THEME_NAME, toolkit_theme
from toolkit.charts.track_charts import chart_track, chart_watch

__all__ = [
    "THEME_NAME",
    "chart_actor_network",
    "chart_claims",
    "chart_event_timeline",
    "chart_explorer_grid",
    "chart_phases",
    "chart_policy_table",
    "chart_responses",
    "chart_tornado",
    "chart_track",
    "chart_transfers",
    "chart_watch",
    "toolkit_theme",
]
