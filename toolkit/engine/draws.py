"""Random numbers for a chunk of paths, by fixed RNG blocks.

Paths come in blocks of fixed size; block b draws from its own generator
(`PCG64(SeedSequence(seed, spawn_key=(b,)))`, made by the caller), so a block's numbers do not depend on
which other blocks share its chunk: the same seed gives the same results whatever the chunk size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

MONTH = np.int32  # months, phases and path indices inside a chunk
IntArray = NDArray[np.integer[Any]]
FloatArray = NDArray[np.floating[Any]]


PRE_DRAWN_VISITS = 6


@dataclass
class Draws:
    """Random numbers, by fixed RNG block so results do not depend on how blocks are chunked.

    Each path owns the draws for its first PRE_DRAWN_VISITS phase visits (an Exp(1) for the stay and
    a uniform for the next phase), drawn up front: a path's walk then depends on its own numbers only,
    so runs that differ in one parameter share their random numbers path by path (common random
    numbers). Later visits, rare within a few years' horizon, draw from the block's stream in order.
    """

    rngs: Sequence[np.random.Generator]
    sizes: Sequence[int]
    stay: FloatArray = field(init=False)  # (PRE_DRAWN_VISITS, n) Exp(1)
    step: FloatArray = field(init=False)  # (PRE_DRAWN_VISITS, n) uniform

    def initial(self, uniforms: int, exponentials: int) -> tuple[FloatArray, FloatArray]:
        """(uniforms, n) and (exponentials, n) arrays for the path-level draws, item-major.

        Single precision: 2**-24 resolution is far finer than any band or estimate here, and it
        halves the cost of drawing parameters per path."""
        parts = []
        for g, s in zip(self.rngs, self.sizes, strict=True):
            parts.append(
                (
                    g.random((uniforms + PRE_DRAWN_VISITS, s), dtype=np.float32),
                    g.standard_exponential((exponentials + PRE_DRAWN_VISITS, s), dtype=np.float32),
                )
            )
        if len(parts) == 1:
            us, es = parts[0]
        else:
            us = np.concatenate([u for u, _ in parts], axis=1)
            es = np.concatenate([e for _, e in parts], axis=1)
        self.step, self.stay = us[uniforms:], es[exponentials:]
        return us[:uniforms], es[:exponentials]

    def per_visit(self, idx: IntArray, visit: int) -> tuple[FloatArray, FloatArray]:
        """An Exp(1) and a uniform for each active path in `idx` (sorted ascending)."""
        if visit < PRE_DRAWN_VISITS:
            if visit == 0:
                return self.stay[0], self.step[0]
            return self.stay[visit][idx], self.step[visit][idx]
        if len(self.rngs) == 1:
            g = self.rngs[0]
            return g.standard_exponential(idx.size), g.random(idx.size)
        starts = np.cumsum([0, *self.sizes[:-1]])
        counts = np.diff(np.concatenate(([0], np.searchsorted(idx, starts[1:]), [idx.size])))
        es, us = [], []
        for g, c in zip(self.rngs, counts, strict=True):
            es.append(g.standard_exponential(c))
            us.append(g.random(c))
        return np.concatenate(es), np.concatenate(us)
