"""The explorer's controls: each model parameter as a slider definition, and each preset's settings.

`knobs(pack)` describes every model parameter as a `Knob` (plain-words label, unit, source, range and a
step that lands on every preset value), grouped by what it drives; `preset_settings(pack, preset)` gives
every parameter's value and band under a preset. `number` formats a value as its slider shows it.
No widgets here: the view builds sliders from these, the state validates values against them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from toolkit.errors import ParameterError, shown
from toolkit.pack.units import label_with_unit

if TYPE_CHECKING:
    from toolkit.pack.load import Pack


@dataclass(frozen=True)
class Knob:
    """One model parameter as a slider: plain-words label, unit, source, range and step."""

    id: str
    group: str
    label: str
    unit: str
    integer: bool
    minimum: float
    maximum: float
    step: float
    sourced: bool
    source: str  # one line: the claim and its estimative word, or "analyst assumption"
    tooltip: str  # description, then the claim's evidence or the assumption's rationale

    @property
    def title(self) -> str:
        """The slider's label with its unit, said once ("Lethal weapons, lag (months)")."""
        return label_with_unit(self.label, self.unit)

    def clean(self, value: float) -> float:
        """A slider value without float noise (0.35000000000000003 -> 0.35); the one value of a
        range of one value, whatever the step's decimals."""
        if self.minimum == self.maximum:
            return float(self.minimum)
        return float(round(value)) if self.integer else round(float(value), decimals(self.step))

    def snap(self, value: float) -> float:
        """`value` on the slider's grid (the range start plus whole steps), as the slider shows
        it."""
        if self.minimum == self.maximum:
            return float(self.minimum)
        steps = round((float(value) - self.minimum) / self.step)
        return self.clean(min(max(self.minimum + steps * self.step, self.minimum), self.maximum))


def decimals(step: float) -> int:
    """The decimals a slider with `step` shows (0.05 -> 2, 1 -> 0)."""
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def number(value: float, knob: Knob | None = None) -> str:
    """`value` as `knob`'s slider shows it (thousands separators for whole numbers)."""
    if knob is not None and knob.integer:
        return f"{round(value):,}"
    places = decimals(knob.step) if knob is not None else 2
    return f"{value:.{places}f}"


FINE_STEPS: Final = tuple(m * 10.0**-k for k in range(1, 7) for m in (1, 0.5))  # 0.1 .. 5e-7


def _step(minimum: float, maximum: float, integer: bool, values: list[float]) -> float:
    """The coarsest step with enough positions that still lands on the range start and every preset
    value (a slider snaps to its step grid; a value off the grid would move by itself). A range
    of one value (min = max) gets step 1: the slider cannot move. A value on no grid finer than
    a millionth gets the finest step, and stays within half a step of it."""
    span = maximum - minimum
    if not span > 0:
        return 1.0
    candidates = (1000, 500, 100, 50, 10, 5, 1) if integer else FINE_STEPS
    for step in candidates:
        if span / step < (20 if integer else 50):
            continue
        offsets = [(v - minimum) / step for v in values]
        if all(abs(o - round(o)) < 1e-6 for o in offsets):
            return float(step)
    return 1.0 if integer else FINE_STEPS[-1]


def knobs(pack: Pack) -> list[Knob]:
    """Every model parameter as a `Knob`, grouped by what it drives and in ladder order."""
    params = {row["id"]: row for row in pack.parameters.iter_rows(named=True)}
    claims = {row["id"]: row for row in pack.claims.iter_rows(named=True)}
    preset_values: dict[str, list[float]] = {}
    for row in pack.overrides.iter_rows(named=True):
        preset_values.setdefault(row["parameter"], []).append(row["value"])

    deployment = [p for p in pack.transitions.get_column("parameter").to_list() if p]
    tiers = pack.response_tiers.filter(pl.col("status").cast(pl.String) != "ruled_out")
    responses = [
        p
        for trio in zip(tiers["lag"], tiers["will"], tiers["never"], strict=True)
        for p in trio
        if p
    ]  # a tier's lag, will and never-decide share, tier by tier in ladder order
    group_of = dict.fromkeys(deployment, "deployment") | dict.fromkeys(responses, "responses")
    ordered = [
        *dict.fromkeys(deployment),
        *[p for p in params if group_of.get(p) is None],
        *dict.fromkeys(responses),
    ]
    out = []
    for pid in ordered:
        row = params[pid]
        integer = row["type"] == "int"
        values = [row["value"], *preset_values.get(pid, [])]
        claim = claims.get(row["claim"]) if row["claim"] else None
        if claim is not None:
            phrase = f" “{claim['phrase']}”" if claim.get("phrase") else ""
            source = f"sourced claim{phrase} ({claim['id']})"
            why = f"Claim: {claim['statement']}\nEvidence: “{claim['evidence']}”"
            if row["assumption"]:
                why += f"\nAnalyst's reading: {row['assumption']}"
        else:
            source = "analyst assumption"
            why = f"Analyst assumption: {row['assumption'] or 'no rationale given'}"
        out.append(
            Knob(
                id=pid,
                group=group_of.get(pid, "compensation"),
                label=row["label"],
                unit=row["unit"],
                integer=integer,
                minimum=float(row["min"]),
                maximum=float(row["max"]),
                step=_step(float(row["min"]), float(row["max"]), integer, values),
                sourced=bool(row["sourced"]),
                source=source,
                tooltip=f"{row['description']}\n\n{why}",
            )
        )
    return out


@dataclass(frozen=True)
class Setting:
    """A parameter's value in a preset: the point, and the band it is sampled from (if any)."""

    value: float
    low: float | None = None
    high: float | None = None

    def band(self, knob: Knob) -> str:
        if self.low is None or self.high is None or self.low == self.high:
            return ""
        return f"{number(self.low, knob)}–{number(self.high, knob)}"


def preset_settings(pack: Pack, preset: str) -> dict[str, Setting]:
    """Every parameter's value and band under `preset` (the baseline plus the preset's overrides)."""
    ids = pack.scenarios.get_column("id").cast(pl.String).to_list()
    if preset not in ids:
        raise ParameterError(f"unknown preset {shown(preset)} (presets: {', '.join(ids)})")
    settings = {
        row["id"]: Setting(row["value"], row["low"], row["high"])
        for row in pack.parameters.iter_rows(named=True)
    }
    chain = ["baseline", preset] if preset != "baseline" else [preset]
    for name in chain:
        rows = pack.overrides.filter(pl.col("scenario").cast(pl.String) == name)
        for row in rows.iter_rows(named=True):
            settings[row["parameter"]] = Setting(row["value"], row["low"], row["high"])
    return settings
