"""Random numbers for a chunk of paths, by fixed RNG blocks.

Paths come in blocks of fixed size; block b draws from its own generator
(`PCG64(SeedSequence(seed, spawn_key=(b,)))`, made by the caller), so a block's numbers do not depend on
which other blocks share its chunk: the same seed gives the same results whatever the chunk size.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
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
        self,
        needed: Sequence[bool] | NDArray[np.bool_],
        exponentials: int | Sequence[bool] | NDArray[np.bool_],
    ) -> tuple[list[FloatArray], list[FloatArray]]:
        """Per path-level uniform item (a row of `needed`): its (n,) uniforms, or `UNUSED` (an
        empty array) for an item whose `needed` is False; and the same for the Exp(1) items
        (`exponentials`: which are needed, or how many, all needed).

        The block's stream holds, in this order, one 32-bit number per path for each uniform item,
        each pre-drawn visit's uniform, each Exp(1) item and each pre-drawn visit's stay. Every item
        keeps its place whether it is drawn or not: an unneeded row is skipped by advancing the
        generator (`skip_uniforms`), so the numbers of the others, and so the results, do not depend
        on which items are drawn (common random numbers across runs that sample different
        parameters). Single precision: 2**-24 resolution is far finer than any band or estimate here,
        and it halves the cost of drawing parameters per path. An Exp(1) is -ln of a uniform on
        (0, 1] of 24-bit resolution (`fill_exponentials`)."""
        exp_want = (
            np.ones(exponentials, bool)
            if isinstance(exponentials, int)
            else np.asarray(exponentials, dtype=bool)
        )
        pre = np.ones(PRE_DRAWN_VISITS, bool)
        u_want = np.concatenate([np.asarray(needed, dtype=bool), pre])
        e_want = np.concatenate([exp_want, pre])
        want = np.concatenate([u_want, e_want])
        runs = _runs(want)
        rows, u_rows = int(want.sum()), int(u_want.sum())
        parts = []
        for g, s in zip(self.rngs, self.sizes, strict=True):
            drawn = np.empty((rows, s), dtype=np.float32)
            at = row = 0
            for a, b in runs:
                skip_uniforms(g, (a - at) * s)
                # a run may span the last uniform item and the first Exp(1) item
                for lo, hi in ((a, min(b, u_want.size)), (max(a, u_want.size), b)):
                    if lo < hi:
                        fill = fill_uniforms if lo < u_want.size else fill_exponentials
                        fill(g, drawn[row : row + hi - lo])
                        row += hi - lo
                at = b
            parts.append(drawn)
        drawn = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        us, es = drawn[:u_rows], drawn[u_rows:]
        self.drawn = u_rows - PRE_DRAWN_VISITS
        self.step, self.stay = us[-PRE_DRAWN_VISITS:], es[-PRE_DRAWN_VISITS:]
        return _items(us[:-PRE_DRAWN_VISITS], u_want[:-PRE_DRAWN_VISITS]), _items(
            es[:-PRE_DRAWN_VISITS], exp_want
        )

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
_TO_HALF_OPEN: Final = np.float32(2.0**-31)
_HALF_STEP: Final = np.float32(2.0**-32)
_ZERO: Final = np.float32(0.0)


def fill_uniforms(g: np.random.Generator, out: FloatArray) -> None:
    """Fill the contiguous float32 array `out` with the numbers `g.random(out=out, dtype=np.float32)`
    gives, faster: numpy makes each single-precision uniform from 32 bits, the low then the high half
    of each 64-bit output of PCG64, as (bits >> 8) * 2**-24; doing that on a bulk draw of raw 64-bit
    outputs here costs less than numpy's one-number-at-a-time buffering."""
    _fill(g, out, _uniforms)


def fill_exponentials(g: np.random.Generator, out: FloatArray) -> None:
    """Fill the contiguous float32 array `out` with Exp(1) draws, one 32-bit number each (so they
    can be skipped like uniforms): -ln((k + 1/2) / 2**31) for k the top 31 bits, in [0, 22.2]; k is
    rounded to single precision (24 significant bits), so the top 64 values of k give exactly 0
    (about 3e-8 of the draws: a stay of an absorbing phase is then 0 * inf, nan, which the walk
    treats as never ending). This costs less than numpy's single-precision ziggurat (and the
    ziggurat could not be skipped)."""
    _fill(g, out, _exponentials)


def _uniforms(bits: NDArray[np.uint32], out: FloatArray) -> None:
    bits >>= 8
    np.multiply(bits.view(np.int32), _TO_UNIT, out=out, dtype=np.float32, casting="unsafe")


def _exponentials(bits: NDArray[np.uint32], out: FloatArray) -> None:
    bits >>= 1
    np.multiply(bits.view(np.int32), _TO_HALF_OPEN, out=out, dtype=np.float32, casting="unsafe")
    out += _HALF_STEP
    np.log(out, out=out)
    np.subtract(_ZERO, out, out=out)  # 0 - x: +0.0 for x = 0


def _fill(
    g: np.random.Generator,
    out: FloatArray,
    convert: Callable[[NDArray[np.uint32], FloatArray], None],
) -> None:
    """`convert` 32-bit numbers of `g`'s stream, in the order numpy's own single-precision draws
    take them (the buffered high half of the last 64-bit output first), into `out`."""
    flat = out.reshape(-1)
    bits = g.bit_generator
    pcg = isinstance(bits, np.random.PCG64 | np.random.PCG64DXSM)
    if not pcg or sys.byteorder != "little":
        convert(_words(g, flat.size), flat)
        return
    if flat.size and bits.state.get("has_uint32"):  # the high half of the last output comes first
        convert(_words(g, 1), flat[:1])
        flat = flat[1:]
    pairs = flat.size // 2
    if pairs:  # little-endian: the low half of each output, then the high half
        convert(bits.random_raw(pairs).view(np.uint32), flat[: 2 * pairs])
    if flat.size % 2:
        convert(_words(g, 1), flat[-1:])


def _words(g: np.random.Generator, k: int) -> NDArray[np.uint32]:
    """The next k 32-bit numbers of g's stream, as numpy's single-precision draws take them."""
    return g.integers(0, 2**32, size=k, dtype=np.uint32)


def _items(rows: FloatArray, want: NDArray[np.bool_]) -> list[FloatArray]:
    """The drawn rows, in order, for the wanted items; `UNUSED` for the others."""
    compact = iter(rows)
    return [next(compact) if w else UNUSED for w in want]


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
