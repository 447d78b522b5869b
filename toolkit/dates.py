"""Today for dates people write anywhere: the latest calendar date on Earth at a moment.

A report is dated where it was written (Seoul is 14 hours ahead of Washington), an analyst logs it
where they are, and a log travels. "After today" is judged against the latest date anywhere, so a
record dated in Seoul is never refused, or named by `validate`, on a machine whose own clock is
still on the day before (a review finding: validate used the machine's local date).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

# The furthest time zone ahead of UTC (Kiribati's Line Islands, UTC+14).
AHEAD_OF_UTC: Final = dt.timedelta(hours=14)
FURTHEST_AHEAD: Final = "in the time zone furthest ahead"


def latest_date(moment: dt.datetime) -> dt.date:
    """The latest calendar date anywhere on Earth at `moment` (aware)."""
    return (moment.astimezone(dt.UTC) + AHEAD_OF_UTC).date()


def latest_today() -> dt.date:
    """The latest calendar date anywhere on Earth now: no honest date written today is after it."""
    return latest_date(dt.datetime.now(dt.UTC))


def after_today(day: dt.date) -> str | None:
    """ "after today (2026-12-02 in the time zone furthest ahead)" if `day` is after it, else None."""
    today = latest_today()
    return f"after today ({today} {FURTHEST_AHEAD})" if day > today else None
