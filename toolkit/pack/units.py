"""A parameter's label with its unit, said once: "Lethal weapons, lag (months)".

Pack labels often carry their unit already ("Training → westward move (rate per month)", unit
`rate/month`; "Lethal weapons, political will (per month)", unit `probability/month`). Appending the
unit to such a label repeats it ("… (rate per month) (rate/month)"). `label_with_unit` drops a
trailing parenthesis that only restates the unit and appends the unit once; a label that already
names every word of its unit ("North Korean troops deployed", unit `troops`) is left as it is.
"""

from __future__ import annotations

import re

_FILLER = frozenset({"per", "a", "an", "in", "of", "each"})
_TRAILING = re.compile(r"^(?P<head>.*?)\s*\((?P<inner>[^()]*)\)\s*$")


def unit_words(text: str) -> list[str]:
    """The words of a unit or label, lower case and singular ("rate/month" -> rate, month)."""
    words = re.findall(r"[a-z]+", text.lower())
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words]


def label_with_unit(label: str, unit: str) -> str:
    """`label (unit)`, without saying the unit twice (see the module docstring)."""
    unit = unit.strip()
    if not unit:
        return label
    units = set(unit_words(unit))
    match = _TRAILING.match(label)
    if match is not None:
        inner = [w for w in unit_words(match["inner"]) if w not in _FILLER]
        if inner and set(inner) <= units:  # "(per month)", "(rate per month)": the unit, partly
            return f"{match['head']} ({unit})"
    if units <= set(unit_words(label)):  # "North Korean troops deployed" (troops)
        return label
    return f"{label} ({unit})"
