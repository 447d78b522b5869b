"""Sensitivity (tornado) of one outcome to each parameter, the deterministic policy table, and the
speakers' words against the model (`compare_claims`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from toolkit.engine.compile import compile_model
from toolkit.engine.defaults import DEFAULT_PATHS, DEFAULT_SEED
from toolkit.engine.model import Model
from toolkit.engine.simulation import simulate, simulate_variants
from toolkit.errors import ParameterError

if TYPE_CHECKING:
    from toolkit.engine.result import SimulationResult
    from toolkit.pack.load import Pack


LEFT_OUT = "left out: no band and no plausible range in the pack"


def default_outcome(pack: Pack | Model) -> str:
    """The outcome a sensitivity analysis explains unless told: pack.yaml's
    `report.sensitivity_outcome`, else the highest response tier that can be decided (not ruled out),
    else the most escalated phase."""
    if not isinstance(pack, Model) and pack.meta.report.sensitivity_outcome is not None:
        return pack.meta.report.sensitivity_outcome
    if isinstance(pack, Model):
        tiers, status = pack.responses, pack.status
        escalation = dict(zip(pack.phases, pack.escalation, strict=True))
    else:
        frame = pack.response_tiers
        tiers = tuple(frame["id"].cast(pl.String).to_list())
        status = tuple(frame["status"].cast(pl.String).to_list())
        escalation = dict(
            zip(pack.phases["id"].cast(pl.String), pack.phases["escalation"], strict=True)
        )
    decidable = [t for t, s in zip(tiers, status, strict=True) if s != "ruled_out"]
    # else the most escalated phase (the first of the ladder's order on a tie)
    return decidable[-1] if decidable else max(escalation, key=lambda p: escalation[p])


def compute_tornado(
    pack: Pack | Model,
    outcome: str | None = None,
    within: int = 12,
    scenario: str = "baseline",
    *,
    parameters: Sequence[str] | None = None,
    paths: int = DEFAULT_PATHS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
    **overrides: object,
) -> pl.DataFrame:
    """One-at-a-time sensitivity of P(`outcome` by month `within`).

    `outcome` names a response tier (decided), a phase (reached), a technology or a technology tier
    (transferred); None: `default_outcome(pack)`. Each parameter is set to the low and then the high end of its band (or, without a
    band, of the plausible range the pack declares for it) as a point value, all else as in the
    scenario (other bands still sampled). A parameter with neither is left out: its row says so
    (`range` = "left out: …", null outcomes and swing) and sorts last; it is never swung over its
    whole valid range. Every run uses the same seed
    (common random numbers), so differences are due to the parameter, not to noise; all runs go through
    the engine together (`toolkit.engine.simulation.simulate_variants`), each equal to its own `simulate` run.
    Rows are sorted by swing, largest first; `paths` and `seed` say which runs they come from (the
    caption names them: `baseline` is those runs' figure, not the report's own). `progress(paths
    done, paths)` is called after each chunk.
    """
    model = pack if isinstance(pack, Model) else compile_model(pack, scenario, overrides)
    if isinstance(pack, Model):
        model = model.with_overrides(overrides)
    if outcome is None:
        outcome = default_outcome(pack)
    months = max(within, 1)
    table = model.parameters
    names = list(parameters) if parameters is not None else list(table.ids)
    sampled = table.sampled()
    rows, variants, left_out = [], [model], []
    for name in names:
        i = table.index(name)
        info = table.info.row(i, named=True)
        if sampled[i]:
            lo, hi, source = float(table.low[i]), float(table.high[i]), "band"
        elif info.get("plausible_low") is not None:
            lo, hi = float(info["plausible_low"]), float(info["plausible_high"])
            source = "plausible range"
        else:
            left_out.append({"parameter": name, "label": info["label"], "range": LEFT_OUT})
            continue
        variants += [
            model.with_overrides({name: round(x) if table.is_int[i] else x}) for x in (lo, hi)
        ]
        rows.append(
            {
                "parameter": name,
                "label": table.info.row(i, named=True)["label"],
                "low": lo,
                "high": hi,
                "range": source,
            }
        )
    # all runs in one engine pass over the same random numbers (common random numbers)
    runs = simulate_variants(variants, paths=paths, months=months, seed=seed, progress=progress)
    outcomes = [run.probability_by(outcome, within) for run in runs]
    base = outcomes[0]
    for row, k in zip(rows, range(1, len(outcomes), 2), strict=True):
        row["outcome_low"], row["outcome_high"] = outcomes[k], outcomes[k + 1]
    schema = {
        "parameter": pl.String,
        "label": pl.String,
        "low": pl.Float64,
        "high": pl.Float64,
        "range": pl.String,
        "outcome_low": pl.Float64,
        "outcome_high": pl.Float64,
    }
    return (
        pl.DataFrame([*rows, *left_out], schema=schema)
        .with_columns(
            pl.lit(outcome).alias("outcome"),
            pl.lit(within, dtype=pl.Int32).alias("within"),
            pl.lit(base).alias("baseline"),
            (pl.col("outcome_high") - pl.col("outcome_low")).abs().alias("swing"),
            pl.lit(int(paths), dtype=pl.Int64).alias("paths"),
            pl.lit(int(seed), dtype=pl.Int64).alias("seed"),
        )
        .sort("swing", descending=True, nulls_last=True, maintain_order=True)
    )


def tabulate_policy(pack: Pack | Model, scenario: str = "baseline") -> pl.DataFrame:
    """Deployment phase x transferred technology tier -> highest response tier the triggers open.

    Deterministic: lags and political will are ignored; the table says which tiers become decidable.
    A path in phase k is taken to have reached k and every phase that lies on all routes from the
    start to k (a `reached` condition on any other phase does not hold); `transferred` names the one
    tier with a transfer (`none`: nothing transferred); a `transferred: TECH` condition holds when the
    technology's tier is the transferred one. `active` tiers hold everywhere (under way already).
    """
    model = pack if isinstance(pack, Model) else compile_model(pack, scenario)
    must_reach = _dominators(model)
    tiers = ("none", *model.tech_tiers)
    levels = ("none", *model.responses)
    rows = []
    for k, phase in enumerate(model.phases):
        for x, tier in enumerate(tiers):
            transferred = None if x == 0 else x - 1
            opened = [
                model.responses[r]
                for r in range(len(model.responses))
                if _opens(model, r, k, must_reach[k], transferred)
            ]
            rows.append(
                {
                    "phase": phase,
                    "transferred": tier,
                    "response": opened[-1] if opened else "none",
                    "opened": opened,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "phase": pl.Enum(list(model.phases)),
            "transferred": pl.Enum(list(tiers)),
            "response": pl.Enum(list(levels)),
            "opened": pl.List(pl.String),
        },
    )


def _opens(model: Model, r: int, phase: int, reached: set[int], tier: int | None) -> bool:
    if model.status[r] == "ruled_out":
        return False
    if model.status[r] == "active":
        return True
    trig = model.triggers[r]
    if trig is None:
        return False
    results = []
    for c in trig.conditions:
        if c.kind == "always":
            results.append(True)
        elif c.kind == "phase_at_least":
            high = bool(model.escalation[phase] >= model.escalation[c.target])
            results.append(high and c.location in (None, model.location[phase]))
        elif c.kind == "reached":
            results.append(c.target in reached)
        elif c.kind == "tier_transferred":
            results.append(tier == c.target)
        elif c.kind == "transferred":
            results.append(tier is not None and int(model.technology_tier[c.target]) == tier)
        else:
            raise ParameterError(f"unknown condition kind {c.kind!r}")
    return all(results) if trig.combinator == "all" else any(results)


def _dominators(model: Model) -> list[set[int]]:
    """For each phase, the phases every route from a start phase (a phase with a start share) to it
    passes through; a start phase is reached by starting in it."""
    n = len(model.phases)
    roots = {int(k) for k in np.flatnonzero(np.asarray(model.start) > 0)}
    preds: list[set[int]] = [set() for _ in range(n)]
    for f, t in zip(model.trans_from, model.trans_to, strict=True):
        preds[int(t)].add(int(f))
    reachable = set(roots)
    frontier = list(roots)
    while frontier:
        k = frontier.pop()
        for f, t in zip(model.trans_from, model.trans_to, strict=True):
            if int(f) == k and int(t) not in reachable:
                reachable.add(int(t))
                frontier.append(int(t))
    dom = [{k} if k in roots else set(range(n)) for k in range(n)]
    changed = True
    while changed:
        changed = False
        for k in range(n):
            if k in roots:
                continue
            ps = [dom[p] for p in preds[k] if p in reachable]
            new = {k} | (set.intersection(*ps) if ps else set())
            if k not in reachable:
                new = {k}
            if new != dom[k]:
                dom[k], changed = new, True
    return dom


WITHIN_BAND, BELOW_BAND, ABOVE_BAND, PAST_RUN = "within", "below", "above", "past the run"


def claims_horizon(pack: Pack) -> int:
    """The longest window a claim that names a modelled event is read over (claims.yaml
    `event.within`), in months from the pack's date; 0 when no claim names one."""
    windows = pack.claims.filter(pl.col("event_kind").is_not_null())["event_within"]
    return max((int(w) for w in windows.to_list()), default=0)


def run_for_claims(pack: Pack, result: SimulationResult, from_pack_date: bool) -> SimulationResult:
    """The run to set the claims beside (`compare_claims`): `result` when its month 0 is the pack's
    date, the date the claims were made. Else (a run as of a later date) a run from the pack's date
    with `result`'s scenario, overrides, paths and seed, by month, over the claims' longest window,
    without what the later run starts from: a claim's "within 12 months" counts from when it was
    said, and the question is whether the model agrees with the words it was built from."""
    if from_pack_date or not claims_horizon(pack):  # no claim to compare: no run needed
        return result
    overrides: dict[str, Any] = dict(result.overrides)
    return simulate(
        pack,
        result.scenario,
        paths=result.paths,
        months=max(claims_horizon(pack), 1),
        seed=result.seed,
        **overrides,
    )


def compare_claims(pack: Pack, result: SimulationResult) -> pl.DataFrame:
    """Each claim that names a modelled event (claims.yaml `event`) beside the model's probability of
    that event, and whether the model leaves the speaker's band.

    A claim was made on the pack's date and is read over `within` months from then, so `result`'s
    month 0 must be the pack's date: a run as of a later date counts its months from that date, a
    different and longer window (`run_for_claims` gives the run to compare with).

    One row per such claim, in file order: `claim`, `source`, `phrase`, `band`, `low`, `high` (the
    phrase's modelling range), `event_kind`, `event_target`, `within`, `probability` (P(event within
    `within` months) in `result`; null past the run's horizon), `se` (its Monte Carlo standard
    error), `verdict` (`within`, `below`, `above` the band, or `past the run`) and `assumption` (the
    analyst's mapping from the words to the event).
    """
    claims = pack.claims.filter(pl.col("event_kind").is_not_null(), pl.col("low").is_not_null())
    rows = []
    for c in claims.iter_rows(named=True):
        kind, within = str(c["event_kind"]), int(c["event_within"])
        p: float | None = None
        verdict = PAST_RUN
        if within <= result.months:
            p = result.probability_by(c["event_target"], within, kind=kind)
            verdict = BELOW_BAND if p < c["low"] else ABOVE_BAND if p > c["high"] else WITHIN_BAND
        rows.append(
            {
                "claim": c["id"],
                "source": c["source"],
                "phrase": c["phrase"],
                "band": None if c["band"] is None else str(c["band"]),
                "low": c["low"],
                "high": c["high"],
                "event_kind": kind,
                "event_target": c["event_target"],
                "within": within,
                "probability": p,
                "se": None if p is None else float(np.sqrt(p * (1 - p) / result.paths)),
                "verdict": verdict,
                "assumption": c["event_assumption"],
            }
        )
    schema = {
        "claim": pl.String,
        "source": pl.String,
        "phrase": pl.String,
        "band": pl.String,
        "low": pl.Float64,
        "high": pl.Float64,
        "event_kind": pl.String,
        "event_target": pl.String,
        "within": pl.Int64,
        "probability": pl.Float64,
        "se": pl.Float64,
        "verdict": pl.String,
        "assumption": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)
