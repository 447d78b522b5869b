"""The explorer's as-of date (issue 12): runs that start from the tracker's posterior on a date.

`AsOf(pack, observations)` holds the observation log (the pack's `observations.yaml`, or a log file or
frame as `toolkit.track.tracker.track` takes it) and offers the as-of dates: the pack's publication
date (the article, month 0 of an ordinary run), each date an observation was reported, and the last
such date up to today (what `track` picks without a date). With the default pack's empty log the only
date is the publication date, whose posterior is the pack's start state. `start(day, scenario,
overrides)` is the posterior on `day` as an engine start (phases, and what has been transferred and
decided by then); month 0 of the run is then `day` (the charts label their axis from it).

The phase posterior depends on the deployment chain's rates only (observations of transfers and
decisions update their own marginals), so it is computed with the preset's rates and the deployment
overrides the sliders fix, and cached on exactly those: moving a response or compensation slider reuses
it; moving a deployment slider with an as-of date set runs the tracker again (about 0.4 s on a 2-core
machine for a two-month log). No widgets here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit.errors import ParameterError

if TYPE_CHECKING:
    from toolkit.pack.load import Pack
    from toolkit.track.forecast import TrackedStart
    from toolkit.track.tracker import Observations


class AsOf:
    """The as-of dates on offer and the tracker's start state on each (see the module docstring)."""

    def __init__(
        self, pack: Pack, observations: Observations = None, *, today: dt.date | None = None
    ) -> None:
        from toolkit.track.tracker import observation_frame

        self.pack = pack
        self.rows = observation_frame(pack, observations)  # checked against the pack once
        self.first: dt.date = pack.meta.publication.date
        reported = sorted(
            d for d in set(self.rows["reported"].to_list()) if d <= (today or dt.date.today())
        )
        self.last: dt.date = max([self.first, *reported])
        self.reported = [d for d in reported if d > self.first]
        self.chain = frozenset(p for p in pack.transitions["parameter"].to_list() if p)
        self._starts: dict[tuple[Any, ...], TrackedStart] = {}

    def choices(self) -> list[tuple[str, dt.date | None]]:
        """The dates on offer as (words, value): None (the article's date, no tracker), then each
        date an observation was reported, with how many were reported by then."""
        out: list[tuple[str, dt.date | None]] = [
            (f"{self.first:%d %b %Y}: the article (no observations)", None)
        ]
        dates = self.rows["reported"]
        for day in self.reported:
            n = int((dates <= day).sum())
            out.append((f"{day:%d %b %Y}: {n} observation{'s' * (n != 1)} reported", day))
        return out

    def check(self, day: dt.date | str | None) -> dt.date | None:
        """`day` as a date in [first, last] (None stays None); `ParameterError` otherwise."""
        from toolkit.track.tracker import parse_date

        if day is None:
            return None
        date = parse_date(day, "as_of")
        if not self.first <= date <= self.last:
            raise ParameterError(
                f"as_of {date} is outside the tracker's dates [{self.first}, {self.last}] (the "
                "pack's publication date to the last observation reported)"
            )
        return date

    def start(self, day: dt.date, scenario: str, overrides: Mapping[str, float]) -> TrackedStart:
        """The tracker's posterior on `day` as an engine start: the phases (a share each, summing to
        1) and what has been transferred, decided and gone through by then, under `scenario` and the deployment-rate
        `overrides`. The shares transferred and decided come from the same tracker run: the preset's
        compensation and response parameters, not the sliders' (so a slider answers at once; they
        rest on the observations far more than on those rates)."""
        from toolkit.track.forecast import tracked_start
        from toolkit.track.tracker import track

        chain = {k: v for k, v in overrides.items() if k in self.chain}
        key = (day, scenario, tuple(sorted(chain.items())))
        if key not in self._starts:
            tracked = track(
                self.pack, day, self.rows, scenario=scenario, overrides=chain, today=dt.date.max
            )
            self._starts[key] = tracked_start(tracked)
        return self._starts[key]

    def used(self, day: dt.date) -> int:
        """How many observations were reported by `day`."""
        return int(self.rows.filter(pl.col("reported") <= day).height)
