"""`DrawMemo`: a chunk's up-front random numbers and per-path parameter draws, kept between runs that
draw the same numbers (the live explorer, issue 16).

Every explorer run uses the same seed, paths and model ladders, so a chunk's generators start in the
same state each time and `Draws.initial` returns the same numbers; a slider moves one parameter, so
the other parameters' per-path draws are the same too. `simulate(..., memo=DrawMemo())` (one chunk
after another, no cluster) takes them from the memo instead of drawing and sampling again (about a
third of a 10,000-path run's time), and puts each generator where drawing would have left it, so
the walk's later draws and every result are exactly those of a run without it.

Keys: the generators' states before the draws, the block sizes and the numbers of uniform and Exp(1)
items, then, per parameter, its index, value, band, distribution and type (`sample_parameter`'s inputs
besides its uniforms). An entry holds every item: `Draws.initial` keeps each item in its place in the
stream whether it is drawn or skipped, so the items a run needs are the same numbers, and the
generators end in the same state, whichever others are drawn. A slider that fixes a banded parameter
(one item fewer needed) is then served by the same entry. Kept arrays are read-only (a kernel that wrote into one would raise, not corrupt a later
run). Beyond `max_bytes`, each entry first drops the parameter draws its last run did not use (oldest
entry first: a slider's earlier values), then the oldest entries go (the newest always stays), so a
run of several chunks keeps its chunks' draws and moving a slider again and again cannot grow the
memo without end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toolkit.engine.draws import UNUSED, Draws, FloatArray
from toolkit.engine.parameters import ParameterTable, frozen
from toolkit.engine.sampling import Values, sample_parameter

MAX_BYTES = 64 * 2**20  # a 10,000-path chunk's entry is about 3 MB


@dataclass
class _Entry:
    uniforms: list[FloatArray]
    exponentials: list[FloatArray]
    stay: FloatArray
    step: FloatArray
    after: list[Mapping[str, Any]]  # the generators' states after the draws
    values: dict[tuple[Any, ...], NDArray[np.floating[Any]]] = field(default_factory=dict)
    used: set[tuple[Any, ...]] = field(
        default_factory=set
    )  # the keys of `values` its last run used
    base_nbytes: int = 0  # the draws' own arrays
    values_nbytes: int = 0  # the arrays in `values`

    @property
    def nbytes(self) -> int:
        return self.base_nbytes + self.values_nbytes

    def keep_used(self) -> None:
        """Drop the parameter draws the last run did not use."""
        self.values = {k: v for k, v in self.values.items() if k in self.used}
        self.values_nbytes = sum(v.nbytes for v in self.values.values())


def _needed(items: list[FloatArray], needed: NDArray[np.bool_]) -> list[FloatArray]:
    """The items a run needs, `UNUSED` for the others (as `Draws.initial` gives them)."""
    return [item if want else UNUSED for item, want in zip(items, needed, strict=True)]


def _frozen(a: FloatArray) -> FloatArray:
    """`a`, read-only (an empty array, e.g. the shared `UNUSED`, is left as it is)."""
    return frozen(a) if a.size else a


class DrawMemo:
    """The up-front draws of recent chunks and their parameters' per-path values (see the module)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: dict[tuple[Any, ...], _Entry] = {}
        self.hits = 0  # chunks whose draws came from the memo
        self.misses = 0

    def initial(
        self,
        rngs: Sequence[np.random.Generator],
        sizes: Sequence[int],
        needed: NDArray[np.bool_],
        exponentials: NDArray[np.bool_],
        table: ParameterTable,
    ) -> tuple[Draws, list[FloatArray], list[FloatArray], Values]:
        """What `Draws(rngs, sizes).initial(needed, exponentials)` and then `sample_parameters(table,
        uniforms)` give: the draws (for the walk's per-visit numbers), the uniform items, the Exp(1)
        items and the parameters' values, with the generators left as those draws leave them."""
        needed = np.asarray(needed, dtype=bool)
        exponentials = np.asarray(exponentials, dtype=bool)
        key = (
            tuple(repr(g.bit_generator.state) for g in rngs),
            tuple(int(s) for s in sizes),
            needed.size,
            exponentials.size,
        )
        draws = Draws(rngs, sizes)
        entry = self._entries.pop(key, None)
        if entry is None:
            self.misses += 1
            uniforms, exps = draws.initial(np.ones_like(needed), np.ones_like(exponentials))
            entry = _Entry(
                uniforms=[_frozen(u) for u in uniforms],
                exponentials=[_frozen(e) for e in exps],
                stay=_frozen(draws.stay),
                step=_frozen(draws.step),
                after=[g.bit_generator.state for g in rngs],
            )
            arrays = [*uniforms, *exps, draws.stay, draws.step]
            entry.base_nbytes = sum(a.nbytes for a in arrays)
        else:
            self.hits += 1
            draws.stay, draws.step = entry.stay, entry.step
            for g, state in zip(rngs, entry.after, strict=True):
                g.bit_generator.state = state
        draws.drawn = int(np.count_nonzero(needed))  # as if only these had been drawn
        self._entries[key] = entry  # the newest last
        values, entry.used = self._values(entry, table)
        self._evict()
        return (
            draws,
            _needed(entry.uniforms, needed),
            _needed(entry.exponentials, exponentials),
            values,
        )

    def _values(self, entry: _Entry, table: ParameterTable) -> tuple[Values, set[tuple[Any, ...]]]:
        """The parameters' values, and the keys of the per-path draws they used."""
        sampled = table.sampled()
        values: Values = []
        rows: set[tuple[Any, ...]] = set()
        for i in range(len(table.ids)):
            if not sampled[i]:  # a point: its value, nothing drawn
                values.append(sample_parameter(table, i, entry.uniforms[i], False))
                continue
            row = (
                i,
                float(table.value[i]),
                float(table.low[i]),
                float(table.high[i]),
                int(table.distribution[i]),
                bool(table.is_int[i]),
            )
            drawn = entry.values.get(row)
            if drawn is None:
                drawn = np.asarray(sample_parameter(table, i, entry.uniforms[i], True))
                entry.values[row] = _frozen(drawn)
                entry.values_nbytes += drawn.nbytes
            rows.add(row)
            values.append(drawn)
        return values, rows

    def _evict(self) -> None:
        """Beyond `max_bytes`: drop the parameter draws each entry's last run did not use, oldest
        entry first, then the oldest entries (the newest always stays)."""
        for entry in self._entries.values():
            if self.nbytes <= self.max_bytes:
                return
            entry.keep_used()
        while len(self._entries) > 1 and self.nbytes > self.max_bytes:
            self._entries.pop(next(iter(self._entries)))

    @property
    def nbytes(self) -> int:
        """The bytes of every kept array."""
        return sum(e.nbytes for e in self._entries.values())
