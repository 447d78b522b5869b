"""Compile a pack's frames, a scenario and overrides into an immutable numeric `Model`.

The model is generic over pack data: phases, transitions, technologies and their tiers, the response
ladder and its structured triggers all come from frames; the code knows only the condition kinds and the
engine parameter ids of the compensation hazard (`troops`, `large_scale_troops`, `compensation_horizon`,
`transfer_<tier>`; see seeds/README.md). The scenario's overrides, then the caller's, are applied and
validated (`toolkit.engine.parameters`): an unknown name, a wrong type or a value out of range raise
`ParameterError` with a one-line message naming the parameter and its valid range. A pack whose valid ranges the engine cannot use raises `PackError`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from toolkit.engine.model import Condition, IntArray, Model, Trigger
from toolkit.engine.parameters import (
    DISTRIBUTIONS,
    POINT,
    UNIFORM,
    ParameterTable,
    frozen,
)
from toolkit.errors import PackError, ParameterError, Problem, format_number, shown

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

TROOPS, REFERENCE_TROOPS, HORIZON = "troops", "large_scale_troops", "compensation_horizon"
TRANSFER_PREFIX: Final = "transfer_"


def compile_model(
    pack: Pack, scenario: str = "baseline", overrides: Mapping[str, object] | None = None
) -> Model:
    """Compile the pack's frames, scenario `scenario` and `overrides` into a `Model`."""
    params = _parameter_table(pack.parameters, getattr(pack, "claims", None))
    phases = _strings(pack.phases, "id")
    phase_ix = {p: i for i, p in enumerate(phases)}
    tiers = _strings(pack.tech_tiers, "id")
    tier_ix = {t: i for i, t in enumerate(tiers)}
    techs = _strings(pack.technologies, "id")
    tech_ix = {t: i for i, t in enumerate(techs)}
    responses = _strings(pack.response_tiers, "id")
    problems: list[Problem] = []

    def param(name: str | None, file: str, record: str, fld: str) -> int:
        if name is None:
            return -1
        if name not in params.ids:
            problems.append(Problem(file, record, fld, name, "unknown parameter id"))
            return -1
        return params.ids.index(name)

    intensity = [
        param(p, "phases.yaml", ph, "compensation_intensity")
        for ph, p in zip(phases, _strings(pack.phases, "compensation_intensity"), strict=True)
    ]
    tr = pack.transitions
    trans_from = [phase_ix[p] for p in _strings(tr, "from_phase")]
    trans_to = [phase_ix[p] for p in _strings(tr, "to_phase")]
    trans_param = [
        param(p, "phases.yaml", "transitions", "parameter") for p in _strings(tr, "parameter")
    ]
    transfer = [
        param(TRANSFER_PREFIX + t, "parameters.yaml", TRANSFER_PREFIX + t, "id") for t in tiers
    ]
    engine = [param(p, "parameters.yaml", p, "id") for p in (TROOPS, REFERENCE_TROOPS, HORIZON)]
    upfront = [
        param(p, "technologies.yaml", t, "upfront")
        for t, p in zip(techs, _strings(pack.technologies, "upfront"), strict=True)
    ]
    rt = pack.response_tiers
    lags = [param(p, "responses.yaml", "lag", "lag") for p in _strings(rt, "lag")]
    wills = [param(p, "responses.yaml", "will", "will") for p in _strings(rt, "will")]
    nevers = [param(p, "responses.yaml", "never", "never") for p in _strings(rt, "never")]
    start = np.zeros(len(phases))
    for phase, share in pack.start.select(
        pl.col("phase").cast(pl.String), "probability"
    ).iter_rows():
        start[phase_ix[phase]] += share
    escalation = np.asarray(pack.phases.get_column("escalation").to_list(), dtype=np.int64)
    triggers = _triggers(
        pack.triggers, responses, phase_ix, tier_ix, tech_ix, escalation, trans_from, trans_to,
        _strings(pack.phases, "location"),
    )  # fmt: skip
    if problems:
        raise PackError(problems)
    model = Model(
        scenario=scenario,
        phases=phases,
        escalation=frozen(escalation),
        location=_strings(pack.phases, "location"),
        start=frozen(start / start.sum()),
        intensity_param=_ints(intensity),
        trans_from=_ints(trans_from),
        trans_to=_ints(trans_to),
        trans_param=_ints(trans_param),
        technologies=techs,
        technology_tier=_ints([tier_ix[t] for t in _strings(pack.technologies, "tier")]),
        tech_weight=frozen(
            np.asarray(pack.technologies.get_column("weight").to_list(), dtype=np.float64)
        ),
        upfront_param=_ints(upfront),
        tech_tiers=tiers,
        transfer_param=_ints(transfer),
        troops_param=engine[0],
        reference_param=engine[1],
        horizon_param=engine[2],
        responses=responses,
        status=_strings(rt, "status"),
        lag_param=_ints(lags),
        will_param=_ints(wills),
        never_param=_ints(nevers),
        triggers=triggers,
        parameters=params,
        content_hash=getattr(pack, "content_hash", None),
    )
    check_structure(model)
    return _apply_scenario(model, pack, scenario, overrides or {})


def _apply_scenario(
    model: Model, pack: Pack, scenario: str, overrides: Mapping[str, object]
) -> Model:
    known = _strings(pack.scenarios, "id")
    if scenario not in known:
        close = difflib.get_close_matches(scenario, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ParameterError(
            f"unknown scenario {shown(scenario)} ({hint}scenarios: {', '.join(known)})"
        )
    ov = pack.overrides
    chain = ["baseline", scenario] if scenario != "baseline" and "baseline" in known else [scenario]
    for name in chain:
        rows = ov.filter(pl.col("scenario").cast(pl.String) == name).iter_rows(named=True)
        spec: dict[str, object] = {}
        for row in rows:
            if row["low"] is None:
                spec[row["parameter"]] = row["value"]
            else:
                spec[row["parameter"]] = {k: row[k] for k in ("value", "low", "high")}
        model = model.with_overrides(spec, origin=f"scenario:{name}")
    model = replace(model, scenario=scenario)
    return model.with_overrides(overrides, origin="override")


def check_structure(model: Model) -> None:
    """PackError if a parameter's valid range allows values the engine cannot use."""
    p = model.parameters
    needs: list[tuple[int, float, float, str]] = []
    needs += [(int(i), 0.0, math.inf, "a monthly rate") for i in model.trans_param]
    needs += [(int(i), 0.0, 1.0, "a probability") for i in model.transfer_param]
    needs += [(int(i), 0.0, 1.0, "a probability") for i in model.upfront_param if i >= 0]
    needs += [(int(i), 0.0, 1.0, "a probability") for i in model.never_param if i >= 0]
    needs += [(int(i), 0.0, 1.0, "a monthly probability") for i in model.will_param if i >= 0]
    needs += [(int(i), 0.0, math.inf, "a lag in months") for i in model.lag_param if i >= 0]
    needs += [(int(i), 0.0, math.inf, "an intensity") for i in model.intensity_param]
    needs += [(model.troops_param, 0.0, math.inf, "a troop number")]
    needs += [(model.reference_param, 1e-12, math.inf, "a positive troop number")]
    needs += [(model.horizon_param, 1e-12, math.inf, "a positive number of months")]
    problems = [
        Problem(
            "parameters.yaml",
            p.ids[i],
            "min/max",
            p.valid_range(i),
            f"the engine uses it as {what}; its valid range must lie within "
            f"[{format_number(lo)}, {format_number(hi)}]",
        )
        for i, lo, hi, what in needs
        if p.minimum[i] < lo or p.maximum[i] > hi
    ]
    problems += [
        Problem("parameters.yaml", p.ids[int(i)], "type", "float", "a lag must be an int")
        for i in model.lag_param
        if i >= 0 and not p.is_int[i]
    ]
    if problems:
        raise PackError(problems)


# --------------------------------------------------------------------------------------------
def _strings(frame: pl.DataFrame, column: str) -> tuple[Any, ...]:
    return tuple(frame.get_column(column).cast(pl.String).to_list())


def _ints(values: list[int]) -> IntArray:
    return frozen(np.asarray(values, dtype=np.int64).reshape(-1))


def _parameter_table(frame: pl.DataFrame, claims: pl.DataFrame | None) -> ParameterTable:
    rows = list(frame.iter_rows(named=True))
    quotes: dict[str, str] = {}
    if claims is not None and {"id", "evidence"} <= set(claims.columns):
        quotes = {str(k): str(v) for k, v in claims.select("id", "evidence").iter_rows()}
    low = np.array([np.nan if r["low"] is None else r["low"] for r in rows], dtype=np.float64)
    high = np.array([np.nan if r["high"] is None else r["high"] for r in rows], dtype=np.float64)
    dist = [
        POINT if r["low"] is None else (DISTRIBUTIONS[r["distribution"]] or UNIFORM) for r in rows
    ]
    info = frame.select(
        "id",
        "label",
        "description",
        "unit",
        "type",
        "min",
        "max",
        "claim",
        "band_source",
        "assumption",
        "plausible_low",
        "plausible_high",
        pl.when(pl.col("claim").is_not_null())
        .then(pl.lit("claim"))
        .otherwise(pl.lit("analyst assumption"))
        .alias("source"),
        pl.col("claim")
        .replace_strict(quotes, default=None, return_dtype=pl.String)
        .alias("claim_evidence"),
    )
    return ParameterTable(
        ids=tuple(r["id"] for r in rows),
        is_int=frozen(np.array([r["type"] == "int" for r in rows], dtype=bool)),
        minimum=frozen(np.array([r["min"] for r in rows], dtype=np.float64)),
        maximum=frozen(np.array([r["max"] for r in rows], dtype=np.float64)),
        value=frozen(np.array([r["value"] for r in rows], dtype=np.float64)),
        low=frozen(low),
        high=frozen(high),
        distribution=frozen(np.array(dist, dtype=np.int8)),
        origin=("pack",) * len(rows),
        info=info,
    )


def _triggers(
    frame: pl.DataFrame,
    responses: tuple[str, ...],
    phase_ix: Mapping[str, int],
    tier_ix: Mapping[str, int],
    tech_ix: Mapping[str, int],
    escalation: IntArray,
    trans_from: list[int],
    trans_to: list[int],
    locations: tuple[str | None, ...],
) -> tuple[Trigger | None, ...]:
    lookup = {
        "always": {},
        "phase_at_least": phase_ix,
        "reached": phase_ix,
        "tier_transferred": tier_ix,
        "transferred": tech_ix,
    }
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in frame.with_columns(pl.all().cast(pl.String)).iter_rows(named=True):
        grouped.setdefault(row["tier"], []).append(row)
    out: list[Trigger | None] = []
    for tier in responses:
        rows = grouped.get(tier)
        if not rows:
            out.append(None)
            continue
        conds, leavable = [], []
        for row in rows:
            kind, target, location = row["kind"], row["target"], row.get("location")
            index = -1 if kind == "always" else lookup[kind][target]
            conds.append(Condition(kind, index, location))
            leave = False
            if kind == "phase_at_least":
                inside = escalation >= escalation[index]
                if location is not None:
                    inside = inside & (np.asarray(locations, dtype=object) == location)
                leave = any(
                    inside[f] and not inside[t] for f, t in zip(trans_from, trans_to, strict=True)
                )
            leavable.append(leave)
        out.append(Trigger(rows[0]["combinator"], tuple(conds), tuple(leavable)))
    return tuple(out)
