"""Random numbers for a chunk of paths, by fixed RNG blocks.

Paths come in blocks of fixed size; block b draws from its own generator
(`PCG64(SeedSequence(seed, spawn_key=(b,)))`, made by the caller), so a block's numbers do not depend on
which other blocks share its chunk: the same seed gives the same results whatever the chunk size.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

MONTH = np.int32  # months, phases and path indices inside a chunk
IntArray = NDArray[np.integer[Any]]
FloatArray = NDArray[np.floating[Any]]


PRE_DRAWN_VISITS = 6
UNUSED: FloatArray = np.empty(0, dtype=np.float32)  # an item whose uniforms were skipped, not drawn


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
    drawn: int = field(init=False, default=0)  # path-level uniform items drawn (not skipped)

    def initial(
        self, needed: Sequence[bool] | NDArray[np.bool_], exponentials: int
    ) -> tuple[list[FloatArray], FloatArray]:
        """Per path-level uniform item (a row of `needed`): its (n,) uniforms, or `UNUSED` (an
        empty array) for an item whose `needed` is False; and the (exponentials, n) Exp(1) array.

        Every item keeps its place in the block's stream whether it is drawn or not: an unneeded
        row is skipped by advancing the generator (`skip_uniforms`), so the numbers of the others,
        and so the results, do not depend on which items are drawn (common random numbers across
        runs that sample different parameters). Single precision: 2**-24 resolution is far finer
        than any band or estimate here, and it halves the cost of drawing parameters per path."""
        want = np.concatenate([np.asarray(needed, dtype=bool), np.ones(PRE_DRAWN_VISITS, bool)])
        runs = _runs(want)
        rows = int(want.sum())
        parts = []
        for g, s in zip(self.rngs, self.sizes, strict=True):
            us = np.empty((rows, s), dtype=np.float32)
            at = row = 0
            for a, b in runs:
                skip_uniforms(g, (a - at) * s)
                fill_uniforms(g, us[row : row + b - a])
                row, at = row + b - a, b
            es = g.standard_exponential((exponentials + PRE_DRAWN_VISITS, s), dtype=np.float32)
            parts.append((us, es))
        if len(parts) == 1:
            us, es = parts[0]
        else:
            us = np.concatenate([u for u, _ in parts], axis=1)
            es = np.concatenate([e for _, e in parts], axis=1)
        self.drawn = rows - PRE_DRAWN_VISITS
        self.step, self.stay = us[-PRE_DRAWN_VISITS:], es[exponentials:]
        compact = iter(us[:-PRE_DRAWN_VISITS])
        items = [next(compact) if w else UNUSED for w in want[:-PRE_DRAWN_VISITS]]
        return items, es[:exponentials]

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


_TO_UNIT: Final = np.float32(2.0**-24)


def fill_uniforms(g: np.random.Generator, out: FloatArray) -> None:
    """Fill the contiguous float32 array `out` with the numbers `g.random(out=out, dtype=np.float32)`
    gives, faster: numpy makes each single-precision uniform from 32 bits, the low then the high half
    of each 64-bit output of PCG64, as (bits >> 8) * 2**-24; doing that on a bulk draw of raw 64-bit
    outputs here costs less than numpy's one-number-at-a-time buffering."""
    flat = out.reshape(-1)
    bits = g.bit_generator
    pcg = isinstance(bits, np.random.PCG64 | np.random.PCG64DXSM)
    if not pcg or sys.byteorder != "little" or flat.size < 2:
        g.random(out=flat, dtype=np.float32)
        return
    if bits.state.get("has_uint32"):  # the high half of the last output is waiting: it comes first
        g.random(out=flat[:1], dtype=np.float32)
        flat = flat[1:]
    pairs = flat.size // 2
    halves = bits.random_raw(pairs).view(np.uint32)  # little-endian: low half, then high half
    halves >>= 8
    np.multiply(halves.view(np.int32), _TO_UNIT, out=flat[: 2 * pairs], dtype=np.float32,
                casting="unsafe")  # fmt: skip
    if flat.size % 2:
        g.random(out=flat[-1:], dtype=np.float32)


def skip_uniforms(g: np.random.Generator, k: int) -> None:
    """Move `g` past k single-precision uniforms without drawing them, as `g.random(k, float32)`
    would: each 64-bit output of the bit generator gives two (the second is buffered), so an odd
    count or a buffered half draws one, and the even middle is a jump (`advance`)."""
    if k <= 0:
        return
    bits = g.bit_generator
    advance = getattr(bits, "advance", None)
    if advance is None:  # a bit generator that cannot jump: draw and drop
        g.random(k, dtype=np.float32)
        return
    if bits.state.get("has_uint32"):
        g.random(1, dtype=np.float32)
        k -= 1
    advance(k // 2)
    if k % 2:
        g.random(1, dtype=np.float32)


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of each run of True in `mask`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
