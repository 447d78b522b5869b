"""`simulate(..., as_of=DATE)`: the scenario engine started from the tracker's posterior on DATE.

A thin layer over `toolkit.engine.simulation.simulate`: the tracker (`toolkit.track.tracker.track`)
gives the posterior over phases on the as-of date, from the observations reported by then, and the
engine starts its paths there (month 0 = the as-of date). The technologies already transferred and the
response tiers already decided carry over too: at month 0 each is done with the tracker's probability
(in place of the pack's up-front payments, which belong to the article's date), so the run's transfer
and decision figures count what happened by the as-of date and what follows. A response tier carries
its whole state, given the path's start phase and the transfers its trigger reads: decided, never to
be decided, its trigger latched and how much of its lag has run, or not latched yet
(`toolkit.engine.model.TierStart`). A phase the path went through since the pack's date counts as
reached at month 0 (`TrackResult.reached_by_phase`). The engine draws the phase, then each technology
given the phase (P(transferred | phase): a transfer is likelier on paths further up the ladder) and
each tier given both; technologies are drawn independently of each other.
Without `as_of` (and `observations`) this is the engine's `simulate` as it is.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from toolkit.engine.result import SimulationResult
from toolkit.engine.simulation import simulate as engine_simulate

if TYPE_CHECKING:
    import datetime as dt

    from toolkit.engine.grid import ExplorerGrid
    from toolkit.engine.model import Model, TierStart
    from toolkit.pack.load import Pack
    from toolkit.track.tracker import Observations, TrackResult

# keyword arguments that are the run's, not parameter overrides: every keyword the engine's
# `simulate` names (paths, seed, client, ...), read from its signature so that none is missed
RUN_KEYS: Final = frozenset(
    name
    for name, param in inspect.signature(engine_simulate).parameters.items()
    if param.kind is inspect.Parameter.KEYWORD_ONLY
)
# the start state `as_of` sets (the tracker's posterior); a caller's would clash with it
START_KEYS: Final = frozenset(k for k in RUN_KEYS if k == "start" or k.startswith("start_"))


def simulate(
    pack: Pack | Model,
    scenario: str = "baseline",
    *,
    as_of: dt.date | str | None = None,
    observations: Observations = None,
    **kwargs: Any,
) -> SimulationResult:
    """`toolkit.engine.simulation.simulate`, or, with `as_of`, the same run started from the
    tracker's posterior on that date (`observations` as `track` takes them; parameter overrides in
    `kwargs` apply to the tracker's rates too)."""
    if as_of is None and observations is None:
        return engine_simulate(pack, scenario, **kwargs)
    from toolkit.engine.model import Model
    from toolkit.errors import ParameterError
    from toolkit.track.tracker import track

    if isinstance(pack, Model):
        raise ParameterError("simulate(as_of=...) needs the pack (its observations), not a model")
    clash = sorted(START_KEYS & set(kwargs))
    if clash:
        raise ParameterError(f"give {clash[0]} or as_of, not both: as_of sets the start state")
    overrides = {k: v for k, v in kwargs.items() if k not in RUN_KEYS}
    tracked = track(pack, as_of, observations, scenario=scenario, overrides=overrides)
    return simulate_from(tracked, pack, **kwargs)


def simulate_from(tracked: TrackResult, pack: Pack, **kwargs: Any) -> SimulationResult:
    """The engine run of `tracked`'s scenario started from its posterior: the phases, and what has
    been transferred and decided by then."""
    begin = tracked_start(tracked)
    return engine_simulate(
        pack, tracked.scenario, start=begin.phases, start_transferred=begin.transferred,
        start_decided=begin.decided, start_tiers=begin.tiers, start_reached=begin.reached,
        **kwargs,
    )  # fmt: skip


def grid_from(tracked: TrackResult, pack: Pack, **kwargs: Any) -> ExplorerGrid:
    """The explorer grid (`toolkit.engine.grid.compute_explorer_grid`) started from `tracked`'s
    posterior, month 0 = its as-of date."""
    from toolkit.engine.grid import compute_explorer_grid

    begin = tracked_start(tracked)
    return compute_explorer_grid(
        pack, tracked.scenario, start=begin.phases, start_transferred=begin.transferred,
        start_decided=begin.decided, start_tiers=begin.tiers, start_reached=begin.reached,
        month0=tracked.as_of, **kwargs,
    )  # fmt: skip


class TrackedStart(NamedTuple):
    """A tracker's posterior as an engine start: `simulate`'s `start`, `start_transferred`,
    `start_decided`, `start_tiers` and `start_reached`."""

    phases: dict[str, float]
    transferred: dict[str, float | dict[str, float]]  # by start phase where the tracker has it
    decided: dict[str, float]
    tiers: dict[str, TierStart]
    reached: dict[str, dict[str, float]]  # phases gone through by then, by start phase


def tracked_start(tracked: TrackResult) -> TrackedStart:
    """`tracked`'s posterior as an engine start (phases, transferred, decided, tiers, reached)."""
    transferred: dict[str, float | dict[str, float]] = dict(_probabilities(tracked.transferred))
    for tech in transferred:
        by_phase = tracked.transferred_by_phase.get(tech)
        if by_phase:
            transferred[tech] = {k: min(max(v, 0.0), 1.0) for k, v in by_phase.items() if v > 0}
    return TrackedStart(
        start_state(tracked.phases),
        transferred,
        _probabilities(tracked.decided),
        dict(tracked.tiers),
        {  # already in [0, 1] (`toolkit.track.filter.reached_given_phase`)
            x: {k: p for k, p in by_phase.items() if p > 0}
            for x, by_phase in tracked.reached_by_phase.items()
        },
    )


def start_state(phases: Mapping[str, float]) -> dict[str, float]:
    """A posterior as an engine start state: phases with a share, summing to 1."""
    kept = {k: float(v) for k, v in phases.items() if v > 1e-12}
    total = sum(kept.values())
    return {k: v / total for k, v in kept.items()}


def _probabilities(values: Mapping[str, float]) -> dict[str, float]:
    """The filter's probabilities, clipped to [0, 1] (sums of floats may pass 1 by an ulp); zeros
    left out."""
    return {k: min(float(v), 1.0) for k, v in values.items() if v > 0}
