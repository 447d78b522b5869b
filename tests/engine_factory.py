"""Small packs built in memory for engine tests: just the frames `compile_model` reads."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from toolkit.engine.compile import compile_model
from toolkit.engine.model import Model


@dataclass
class FakePack:
    """Duck-types the frames of `toolkit.pack.load.Pack` that the engine uses."""

    phases: pl.DataFrame
    transitions: pl.DataFrame
    start: pl.DataFrame
    tech_tiers: pl.DataFrame
    technologies: pl.DataFrame
    response_tiers: pl.DataFrame
    triggers: pl.DataFrame
    parameters: pl.DataFrame
    scenarios: pl.DataFrame
    overrides: pl.DataFrame
    content_hash: str = "fake"
    extra: dict[str, Any] = field(default_factory=dict)


def param(
    value: float,
    *,
    low: float | None = None,
    high: float | None = None,
    distribution: str | None = None,
    kind: str = "float",
    lo: float = 0.0,
    hi: float = 1.0,
    unit: str = "probability/month",
) -> dict[str, Any]:
    return {
        "value": float(value),
        "low": low,
        "high": high,
        "distribution": distribution or ("uniform" if low is not None else None),
        "type": kind,
        "min": lo,
        "max": hi,
        "unit": unit,
    }


def count(value: int, lo: float = 0, hi: float = 24, **kw: Any) -> dict[str, Any]:
    return param(value, kind="int", lo=lo, hi=hi, unit="months", **kw)


def make_pack(
    phases: Sequence[tuple[str, int, str]],
    transitions: Sequence[tuple[str, str, str]],
    technologies: Mapping[str, Sequence[str]],
    responses: Sequence[Mapping[str, Any]],
    params: Mapping[str, Mapping[str, Any]],
    scenarios: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    start: Mapping[str, float] | None = None,
    locations: Mapping[str, str] | None = None,
    weights: Mapping[str, float] | None = None,
    upfront: Mapping[str, str] | None = None,
) -> FakePack:
    """phases: (id, escalation, intensity param); responses: {id, status, lag, will, never,
    combinator, conditions: [(kind, target) or (kind, target, location)]}; params: id ->
    `param(...)`; scenarios: id -> overrides; start: phase -> share (default: the first phase);
    locations: phase -> location; weights / upfront: technology -> weight / parameter."""
    scenarios = scenarios or {"baseline": {}}
    start = start or {phases[0][0]: 1.0}
    locations, weights, upfront = locations or {}, weights or {}, upfront or {}
    techs = [(t, tier) for tier, ts in technologies.items() for t in ts]
    trig_rows = [
        {
            "tier": r["id"],
            "combinator": r.get("combinator", "all"),
            "kind": c[0],
            "target": c[1],
            "location": c[2] if len(c) > 2 else None,
        }
        for r in responses
        for c in r.get("conditions", [])
    ]
    override_rows = []
    for sid, ov in scenarios.items():
        for pid, spec in ov.items():
            row = spec if isinstance(spec, dict) else {"value": spec}
            override_rows.append(
                {
                    "scenario": sid,
                    "parameter": pid,
                    "value": float(row["value"]),
                    "low": row.get("low"),
                    "high": row.get("high"),
                }
            )
    return FakePack(
        phases=pl.DataFrame(
            {
                "id": [p[0] for p in phases],
                "escalation": [p[1] for p in phases],
                "compensation_intensity": [p[2] for p in phases],
                "location": [locations.get(p[0]) for p in phases],
            },
            schema_overrides={"location": pl.String},
        ),
        start=pl.DataFrame({"phase": list(start), "probability": list(start.values())}),
        transitions=pl.DataFrame(
            [{"from_phase": f, "to_phase": t, "parameter": p} for f, t, p in transitions],
            schema={"from_phase": pl.String, "to_phase": pl.String, "parameter": pl.String},
        ),
        tech_tiers=pl.DataFrame({"id": list(technologies)}),
        technologies=pl.DataFrame(
            {
                "id": [t for t, _ in techs],
                "tier": [x for _, x in techs],
                "weight": [float(weights.get(t, 1.0)) for t, _ in techs],
                "upfront": [upfront.get(t) for t, _ in techs],
            },
            schema={"id": pl.String, "tier": pl.String, "weight": pl.Float64, "upfront": pl.String},
        ),
        response_tiers=pl.DataFrame(
            {
                "id": [r["id"] for r in responses],
                "status": [r.get("status", "considered") for r in responses],
                "lag": [r.get("lag") for r in responses],
                "will": [r.get("will") for r in responses],
                "never": [r.get("never") for r in responses],
            },
            schema={
                "id": pl.String,
                "status": pl.String,
                "lag": pl.String,
                "will": pl.String,
                "never": pl.String,
            },
        ),
        triggers=pl.DataFrame(
            trig_rows,
            schema={
                "tier": pl.String,
                "combinator": pl.String,
                "kind": pl.String,
                "target": pl.String,
                "location": pl.String,
            },
        ),
        parameters=pl.DataFrame(
            [
                {
                    "id": pid,
                    "label": pid,
                    "description": pid,
                    "claim": None,
                    "band_source": "explicit" if spec.get("low") is not None else None,
                    "assumption": "test",
                    "plausible_low": None,
                    "plausible_high": None,
                    **spec,
                }
                for pid, spec in params.items()
            ],
            schema={
                "id": pl.String,
                "label": pl.String,
                "description": pl.String,
                "claim": pl.String,
                "band_source": pl.String,
                "assumption": pl.String,
                "value": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
                "distribution": pl.String,
                "type": pl.String,
                "min": pl.Float64,
                "max": pl.Float64,
                "unit": pl.String,
                "plausible_low": pl.Float64,
                "plausible_high": pl.Float64,
            },
        ),
        scenarios=pl.DataFrame({"id": list(scenarios)}),
        overrides=pl.DataFrame(
            override_rows,
            schema={
                "scenario": pl.String,
                "parameter": pl.String,
                "value": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
            },
        ),
    )


ENGINE_PARAMS: dict[str, dict[str, Any]] = {
    "troops": param(1000, kind="int", lo=0, hi=10**6, unit="troops"),
    "large_scale_troops": param(1000, kind="int", lo=1, hi=10**6, unit="troops"),
    "compensation_horizon": count(12, lo=1, hi=60),
}


def chain_pack(
    steps: int = 3,
    move: float = 1.0,
    transfer: float = 1.0,
    lag: int = 0,
    will: float = 1.0,
    intensity: float = 1.0,
) -> FakePack:
    """A ladder p0 -> p1 -> ... with one technology tier `hi` (tech `t1`) and one response `r`
    triggered by reaching the top phase; all points, no bands."""
    ids = [f"p{i}" for i in range(steps)]
    params: dict[str, dict[str, Any]] = {
        **ENGINE_PARAMS,
        "move": param(move),
        "intensity": param(intensity, lo=0, hi=5, unit="ratio"),
        "transfer_hi": param(transfer, unit="probability"),
        "lag": count(lag),
        "will": param(will),
        "zero": count(0),
        "one": param(1.0),
    }
    return make_pack(
        phases=[(p, i, "intensity") for i, p in enumerate(ids)],
        transitions=[(a, b, "move") for a, b in itertools.pairwise(ids)],
        technologies={"hi": ["t1"]},
        responses=[
            {
                "id": "talk",
                "status": "active",
                "lag": "zero",
                "will": "one",
                "conditions": [("always", None)],
            },
            {
                "id": "r",
                "status": "considered",
                "lag": "lag",
                "will": "will",
                "conditions": [("reached", ids[-1])],
            },
            {"id": "never", "status": "ruled_out"},
        ],
        params=params,
    )


def compile_fake(pack: FakePack, scenario: str = "baseline", **overrides: object) -> Model:
    return compile_model(pack, scenario, overrides)  # type: ignore[arg-type]
