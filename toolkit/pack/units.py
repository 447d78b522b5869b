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


def whole_percents(shares: list[float]) -> list[str]:
    """Shares of one whole as whole percents that add up to 100 ("48 %", "33 %", "19 %"), by the
    largest remainder; rounded one by one, 0.475/0.335/0.19 showed as 48 + 34 + 19 = 101 %, and a
    start state could read 99 % (a bug hunt). A share above 0 that gets 0 shows "<1 %", one below 1
    that gets 100 shows ">99 %". Shares that do not add up to 1 are rounded one by one."""
    import math

    if not shares or abs(sum(shares) - 1) > 1e-6 or min(shares) < 0:
        whole = [round(s * 100) for s in shares]
    else:
        scaled = [s * 100 for s in shares]
        whole = [math.floor(x) for x in scaled]
        by_remainder = sorted(range(len(shares)), key=lambda i: (-(scaled[i] - whole[i]), i))
        for i in by_remainder[: 100 - sum(whole)]:
            whole[i] += 1
    out = []
    for s, w in zip(shares, whole, strict=True):
        if s > 0 and w == 0:
            out.append("<1 %")
        elif s < 1 and w >= 100:
            out.append(">99 %")
        else:
            out.append(f"{w} %")
    return out
