"""Compile a pack's frames, a scenario and overrides into an immutable numeric `Model`.

The model is generic over pack data: phases, transitions, technologies and their tiers, the response
ladder and its structured triggers all come from frames; the code knows only the condition kinds and the
engine parameter ids of the compensation hazard (`troops`, `large_scale_troops`, `compensation_horizon`,
`transfer_<tier>`; see seeds/README.md). Overrides are validated here: an unknown name, a wrong type, a
value out of range, or transition probabilities that could sum above 1 raise `ParameterError` with a
one-line message naming the parameter and its valid range.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl
from numpy.typing import NDArray

from toolkit.errors import PackError, ParameterError, Problem

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

POINT, UNIFORM, TRIANGULAR = 0, 1, 2
DISTRIBUTIONS: Final = {None: POINT, "uniform": UNIFORM, "triangular": TRIANGULAR}
DISTRIBUTION_NAMES: Final = {POINT: None, UNIFORM: "uniform", TRIANGULAR: "triangular"}
CONDITION_KINDS: Final = ("always", "phase_at_least", "reached", "tier_transferred", "transferred")
STATUSES: Final = ("active", "considered", "ruled_out")
TROOPS, REFERENCE_TROOPS, HORIZON = "troops", "large_scale_troops", "compensation_horizon"
TRANSFER_PREFIX: Final = "transfer_"

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.setflags(write=False)
    return array


def format_number(x: float) -> str:
    """A number as people write it: 3, 0.25, 11000."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParameterTable:
    """Resolved parameters: numeric columns for the engine, provenance for people.

    `low`/`high` are NaN for a point; `distribution` holds POINT, UNIFORM or TRIANGULAR; `origin` says
    where the resolved value came from (`pack`, `scenario:<id>`, `override`).
    """

    ids: tuple[str, ...]
    is_int: NDArray[np.bool_]
    minimum: FloatArray
    maximum: FloatArray
    value: FloatArray
    low: FloatArray
    high: FloatArray
    distribution: NDArray[np.int8]
    origin: tuple[str, ...]
    info: pl.DataFrame

    def index(self, name: str) -> int:
        """Position of parameter `name`; ParameterError if unknown."""
        try:
            return self.ids.index(name)
        except ValueError:
            raise ParameterError(_unknown_message(name, self.ids)) from None

    def sampled(self) -> NDArray[np.bool_]:
        """Which parameters are drawn per path (a band with low < high)."""
        return (self.distribution != POINT) & (self.high > self.low)

    def upper(self, i: int) -> float:
        """The largest value parameter i can take on a path."""
        return float(self.high[i]) if self.sampled()[i] else float(self.value[i])

    def valid_range(self, i: int) -> str:
        return f"[{format_number(self.minimum[i])}, {format_number(self.maximum[i])}]"

    def with_overrides(self, overrides: Mapping[str, object], origin: str) -> ParameterTable:
        """A new table with `overrides` applied: a number (a point) or {value, low, high}."""
        if not overrides:
            return self
        value, low, high = self.value.copy(), self.low.copy(), self.high.copy()
        dist, orig = self.distribution.copy(), list(self.origin)
        for name, spec in overrides.items():
            i = self.index(name)
            v, lo, hi = self._check(i, name, spec)
            value[i], low[i], high[i] = v, lo, hi
            if math.isnan(lo):
                dist[i] = POINT
            elif dist[i] == POINT:
                dist[i] = UNIFORM
            orig[i] = origin
        return replace(
            self,
            value=_frozen(value),
            low=_frozen(low),
            high=_frozen(high),
            distribution=_frozen(dist),
            origin=tuple(orig),
        )

    def _check(self, i: int, name: str, spec: object) -> tuple[float, float, float]:
        rng = self.valid_range(i)
        kind = "a whole number" if self.is_int[i] else "a number"
        if isinstance(spec, Mapping):
            extra = set(spec) - {"value", "low", "high"}
            if extra or "value" not in spec or ("low" in spec) != ("high" in spec):
                raise ParameterError(
                    f"parameter {name!r} expects {kind} in {rng} or {{value, low, high}}, "
                    f"got {spec!r}"
                )
            v = self._number(i, name, spec["value"])
            if "low" not in spec or spec["low"] is None:
                return v, math.nan, math.nan
            lo, hi = self._number(i, name, spec["low"]), self._number(i, name, spec["high"])
            if not lo <= v <= hi:
                raise ParameterError(
                    f"parameter {name!r}: band [{format_number(lo)}, {format_number(hi)}] must "
                    f"contain the value {format_number(v)} (valid range {rng})"
                )
            return v, lo, hi
        return self._number(i, name, spec), math.nan, math.nan

    def _number(self, i: int, name: str, x: object) -> float:
        rng = self.valid_range(i)
        kind = "a whole number" if self.is_int[i] else "a number"
        if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
            raise ParameterError(f"parameter {name!r} expects {kind} in {rng}, got {x!r}")
        v = float(x)
        if math.isnan(v) or (self.is_int[i] and not v.is_integer()):
            raise ParameterError(f"parameter {name!r} expects {kind} in {rng}, got {x!r}")
        if not self.minimum[i] <= v <= self.maximum[i]:
            raise ParameterError(
                f"parameter {name!r} = {format_number(v)} is out of its valid range {rng}"
            )
        return v

    def to_frame(self) -> pl.DataFrame:
        """Resolved values and bands with their sources, one row per parameter."""
        dist = [DISTRIBUTION_NAMES[int(d)] for d in self.distribution]
        band = ~np.isnan(self.low)
        resolved = pl.DataFrame(
            {
                "id": list(self.ids),
                "value": self.value,
                "low": np.where(band, self.low, np.nan),
                "high": np.where(band, self.high, np.nan),
                "distribution": dist,
                "sampled": self.sampled(),
                "origin": list(self.origin),
            }
        ).with_columns(pl.col("low", "high").fill_nan(None))
        return self.info.join(resolved, on="id", how="left", maintain_order="left").select(
            "id",
            "label",
            "unit",
            "type",
            "value",
            "low",
            "high",
            "distribution",
            "sampled",
            "min",
            "max",
            "origin",
            "source",
            "claim",
            "claim_evidence",
            "band_source",
            "assumption",
            "description",
        )


def _unknown_message(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown parameter {name!r} ({hint}`toolkit params` lists the {len(known)} parameters)"


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """One trigger condition; `target` indexes phases, tech tiers or technologies (-1: none)."""

    kind: str
    target: int


@dataclass(frozen=True)
class Trigger:
    """Conditions combined with `all` or `any`. `open_phase_sets` marks phase_at_least conditions
    whose phase set can be left again (their first time alone does not decide an `all`)."""

    combinator: str
    conditions: tuple[Condition, ...]
    leavable: tuple[bool, ...]

    @property
    def needs_visits(self) -> bool:
        return self.combinator == "all" and len(self.conditions) > 1 and any(self.leavable)


@dataclass(frozen=True)
class Model:
    """Everything the engine needs, as small immutable arrays indexed by position."""

    scenario: str
    phases: tuple[str, ...]
    escalation: IntArray
    intensity_param: IntArray  # parameter index per phase
    trans_from: IntArray
    trans_to: IntArray
    trans_param: IntArray
    technologies: tuple[str, ...]
    technology_tier: IntArray
    tech_tiers: tuple[str, ...]
    transfer_param: IntArray  # parameter index per tech tier
    troops_param: int
    reference_param: int
    horizon_param: int
    responses: tuple[str, ...]
    status: tuple[str, ...]
    lag_param: IntArray  # -1: no lag
    will_param: IntArray  # -1: will 1
    triggers: tuple[Trigger | None, ...]
    parameters: ParameterTable
    content_hash: str | None = None

    def with_overrides(self, overrides: Mapping[str, object], origin: str = "override") -> Model:
        """A new model with validated overrides applied (see `ParameterTable.with_overrides`)."""
        if not overrides:
            return self
        model = replace(self, parameters=self.parameters.with_overrides(overrides, origin))
        check_transitions(model)
        return model

    @property
    def needs_visits(self) -> bool:
        return any(t is not None and t.needs_visits for t in self.triggers)

    def out_degree(self) -> int:
        counts = np.bincount(self.trans_from, minlength=len(self.phases))
        return int(counts.max()) if counts.size else 0


def check_transitions(model: Model) -> None:
    """ParameterError if the transition probabilities out of a phase can sum above 1 on some path."""
    params = model.parameters
    for k, phase in enumerate(model.phases):
        ids = model.trans_param[model.trans_from == k]
        total = sum(params.upper(int(i)) for i in ids)
        if total > 1 + 1e-9:
            parts = " + ".join(
                f"{params.ids[int(i)]} {format_number(params.upper(int(i)))}" for i in ids
            )
            raise ParameterError(
                f"transition probabilities out of phase {phase!r} can sum to "
                f"{format_number(round(total, 6))} > 1 ({parts}); each is in [0, 1] and together "
                "they must not exceed 1"
            )


def feasible_range(model: Model, name: str) -> tuple[float, float]:
    """The valid range of parameter `name`, narrowed so its transitions still sum to at most 1."""
    params = model.parameters
    i = params.index(name)
    lo, hi = float(params.minimum[i]), float(params.maximum[i])
    for k in np.unique(model.trans_from[model.trans_param == i]):
        others = [int(j) for j in model.trans_param[model.trans_from == k] if int(j) != i]
        hi = min(hi, 1.0 - sum(params.upper(j) for j in others))
    return lo, max(lo, hi)


# --------------------------------------------------------------------------------------------
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
    rt = pack.response_tiers
    lags = [param(p, "responses.yaml", "lag", "lag") for p in _strings(rt, "lag")]
    wills = [param(p, "responses.yaml", "will", "will") for p in _strings(rt, "will")]
    escalation = np.asarray(pack.phases.get_column("escalation").to_list(), dtype=np.int64)
    triggers = _triggers(
        pack.triggers, responses, phase_ix, tier_ix, tech_ix, escalation, trans_from, trans_to
    )
    if problems:
        raise PackError(problems)
    model = Model(
        scenario=scenario,
        phases=phases,
        escalation=_frozen(escalation),
        intensity_param=_ints(intensity),
        trans_from=_ints(trans_from),
        trans_to=_ints(trans_to),
        trans_param=_ints(trans_param),
        technologies=techs,
        technology_tier=_ints([tier_ix[t] for t in _strings(pack.technologies, "tier")]),
        tech_tiers=tiers,
        transfer_param=_ints(transfer),
        troops_param=engine[0],
        reference_param=engine[1],
        horizon_param=engine[2],
        responses=responses,
        status=_strings(rt, "status"),
        lag_param=_ints(lags),
        will_param=_ints(wills),
        triggers=triggers,
        parameters=params,
        content_hash=getattr(pack, "content_hash", None),
    )
    check_structure(model)
    return _apply_scenario(model, pack, scenario, overrides or {})


MAX_MONTHS: Final = 600
RUN_LIMITS: Final[dict[str, tuple[int, int]]] = {
    "paths": (1, 10**9),
    "months": (1, MAX_MONTHS),
    "within": (0, MAX_MONTHS),
    "seed": (0, 2**63 - 1),
}
"""Valid ranges of a run's settings; a name ending in `_paths` is checked like `paths`."""


def validate_run(parameters: Mapping[str, object]) -> None:
    """Check the run settings among `parameters` (paths, months, within, seed, *_paths); ignore the
    rest. Raises a one-line ParameterError naming the setting and its valid range."""
    for name, value in parameters.items():
        limits = RUN_LIMITS.get(name) or (RUN_LIMITS["paths"] if name.endswith("_paths") else None)
        if limits is None:
            continue
        check_whole(name, value, *limits)


def check_whole(name: str, value: object, lo: int, hi: int) -> None:
    """`value` is a whole number in [lo, hi], or a one-line ParameterError says so."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ParameterError(f"{name} expects a whole number in [{lo}, {hi}], got {value!r}")
    if not lo <= int(value) <= hi:
        raise ParameterError(f"{name} = {value} is out of its valid range [{lo}, {hi}]")


def validate_overrides(
    pack: Pack, scenario: str | None = None, overrides: Mapping[str, object] | None = None
) -> Model:
    """Check a scenario and overrides without simulating: the compiled model, or ParameterError."""
    return compile_model(pack, scenario or "baseline", overrides)


def _apply_scenario(
    model: Model, pack: Pack, scenario: str, overrides: Mapping[str, object]
) -> Model:
    known = _strings(pack.scenarios, "id")
    if scenario not in known:
        close = difflib.get_close_matches(scenario, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ParameterError(f"unknown scenario {scenario!r} ({hint}scenarios: {', '.join(known)})")
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
    check_transitions(model)
    return model.with_overrides(overrides, origin="override")


def check_structure(model: Model) -> None:
    """PackError if a parameter's valid range allows values the engine cannot use."""
    p = model.parameters
    needs: list[tuple[int, float, float, str]] = []
    needs += [(int(i), 0.0, 1.0, "a monthly probability") for i in model.trans_param]
    needs += [(int(i), 0.0, 1.0, "a probability") for i in model.transfer_param]
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
    return _frozen(np.asarray(values, dtype=np.int64).reshape(-1))


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
        is_int=_frozen(np.array([r["type"] == "int" for r in rows], dtype=bool)),
        minimum=_frozen(np.array([r["min"] for r in rows], dtype=np.float64)),
        maximum=_frozen(np.array([r["max"] for r in rows], dtype=np.float64)),
        value=_frozen(np.array([r["value"] for r in rows], dtype=np.float64)),
        low=_frozen(low),
        high=_frozen(high),
        distribution=_frozen(np.array(dist, dtype=np.int8)),
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
            kind, target = row["kind"], row["target"]
            index = -1 if kind == "always" else lookup[kind][target]
            conds.append(Condition(kind, index))
            leave = False
            if kind == "phase_at_least":
                inside = escalation >= escalation[index]
                leave = any(
                    inside[f] and not inside[t] for f, t in zip(trans_from, trans_to, strict=True)
                )
            leavable.append(leave)
        out.append(Trigger(rows[0]["combinator"], tuple(conds), tuple(leavable)))
    return tuple(out)
