"""Path-level random numbers: only the items a run uses are drawn, and skipping the others leaves
every drawn number where it was (so results and common random numbers do not depend on it)."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.chunk import uniform_items
from toolkit.engine.compile import compile_model
from toolkit.engine.draws import (
    PRE_DRAWN_VISITS,
    UNUSED,
    Draws,
    fill_exponentials,
    fill_uniforms,
    skip_uniforms,
)
from toolkit.engine.model import Model
from toolkit.engine.simulation import _chunks
from toolkit.pack.load import Pack


@pytest.mark.parametrize("before", [0, 1, 2, 3])
@pytest.mark.parametrize("skip", [0, 1, 2, 5, 16_383, 16_384])
def test_skipping_uniforms_is_drawing_and_dropping_them(before: int, skip: int) -> None:
    a, b = (np.random.Generator(np.random.PCG64(7)) for _ in range(2))
    a.random(before, dtype=np.float32)
    b.random(before, dtype=np.float32)
    drawn = a.random(skip + 20, dtype=np.float32)[skip:]
    skip_uniforms(b, skip)
    assert np.array_equal(drawn, b.random(20, dtype=np.float32))
    assert np.array_equal(a.standard_exponential(5), b.standard_exponential(5))


@pytest.mark.parametrize("before", [0, 1, 2])
@pytest.mark.parametrize("size", [0, 1, 2, 3, 16_384, 16_385])
@pytest.mark.parametrize("bits", [np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64])
def test_filling_uniforms_is_numpys_single_precision_draw(
    before: int, size: int, bits: type[np.random.BitGenerator]
) -> None:
    a, b = (np.random.Generator(bits(11)) for _ in range(2))
    a.random(before, dtype=np.float32)
    b.random(before, dtype=np.float32)
    out = np.empty(size, dtype=np.float32)
    fill_uniforms(b, out)
    assert np.array_equal(out, a.random(size, dtype=np.float32))
    assert np.array_equal(a.random(3, dtype=np.float32), b.random(3, dtype=np.float32))
    assert np.array_equal(a.standard_exponential(3), b.standard_exponential(3))


def test_exponentials_are_exp1_and_a_place_in_the_stream_each() -> None:
    from scipy import stats

    a, b = (np.random.Generator(np.random.PCG64(13)) for _ in range(2))
    e = np.empty(400_001, dtype=np.float32)
    fill_exponentials(a, e)
    assert e.min() >= 0
    assert e.max() <= 22.2
    assert stats.kstest(e, "expon").pvalue > 1e-3
    assert abs(float(e.mean()) - 1.0) < 5 * 1 / np.sqrt(e.size)
    skip_uniforms(b, e.size)  # the same place in the stream as as many uniforms
    assert np.array_equal(a.random(3, dtype=np.float32), b.random(3, dtype=np.float32))


@pytest.mark.parametrize("sizes", [[5], [4, 3]])
@pytest.mark.parametrize("exp_needed", [[False, True, False], [True, False, True]])
def test_drawn_items_equal_the_full_draw(sizes: list[int], exp_needed: list[bool]) -> None:
    needed = np.array([True, False, False, True, True, False, True])

    def generators() -> list[np.random.Generator]:
        return [np.random.Generator(np.random.PCG64(i)) for i in range(len(sizes))]

    full = Draws(generators(), sizes)
    every, exp_all = full.initial(np.ones(needed.size, bool), 3)
    some = Draws(generators(), sizes)
    items, exps = some.initial(needed, exp_needed)
    assert some.drawn == needed.sum()
    assert full.drawn == needed.size
    for want, got, all_item in zip(needed, items, every, strict=True):
        assert np.array_equal(got, all_item) if want else got is UNUSED
    for want, got, all_item in zip(exp_needed, exps, exp_all, strict=True):
        assert np.array_equal(got, all_item) if want else got is UNUSED
    assert np.array_equal(some.step, full.step)
    assert np.array_equal(some.stay, full.stay)
    assert some.step.shape == (PRE_DRAWN_VISITS, sum(sizes))


def test_only_banded_parameters_draw(model: Model) -> None:
    items = uniform_items([model])
    n_par = len(model.parameters.ids)
    assert np.array_equal(items[:n_par], model.parameters.sampled())
    assert not items[n_par]  # the pack's start state is one phase
    fixed = model.with_overrides({"troops": 15_000})
    assert not uniform_items([fixed])[model.parameters.index("troops")]
    # variants draw what any of them samples, so a variant's own numbers are always there
    assert uniform_items([fixed, model])[model.parameters.index("troops")]
    _, rngs = next(_chunks(10, 0, 10))
    assert isinstance(rngs[0].bit_generator, np.random.PCG64)  # skipping jumps, never draws


@pytest.fixture(scope="module")
def model(pack: Pack) -> Model:
    return compile_model(pack)


def test_a_memo_gives_the_runs_it_serves_exactly(pack: Pack) -> None:
    """`DrawMemo` (the live explorer's): a run with it is the run without it, array for array,
    whether its draws come from the memo or not, as parameters are fixed, moved, given back their
    band (the drawn items change) or given another mode or band (the same items, other values), with
    several chunks and another start state."""
    from toolkit.engine.drawmemo import DrawMemo
    from toolkit.engine.simulation import simulate

    model = compile_model(pack, "baseline")
    memo = DrawMemo()
    moves: list[dict[str, object]] = [
        {},
        {"rate_westward_to_rear": 0.3},
        {"rate_westward_to_rear": 0.4},
        {},
        {"lethal_will": 0.6, "troops": 30_000},
        {"rate_westward_to_rear": 0.3},
        # a banded parameter keeps its band but moves its mode, then its band: other draws
        {"rate_westward_to_rear": {"value": 0.3, "low": 0.1, "high": 0.43}},
        {"rate_westward_to_rear": {"value": 0.3, "low": 0.2, "high": 0.5}},
        {"rate_westward_to_rear": {"value": 0.3, "low": 0.1, "high": 0.43}},
    ]
    for paths, start in ((3_000, None), (20_000, {"combat_in_ukraine": 1.0})):
        for overrides in moves:
            plain = simulate(model, paths=paths, months=12, seed=5, start=start, **overrides)
            kept = simulate(model, paths=paths, months=12, seed=5, start=start, memo=memo, **overrides)  # fmt: skip
            for name in ("occupancy", "reached", "transfer", "tier_transfer", "decided", "level"):
                assert np.array_equal(getattr(plain.counts, name), getattr(kept.counts, name))
    assert memo.hits >= 6  # the repeated settings were served from the memo
    tiny = DrawMemo(max_bytes=1)
    simulate(model, paths=20_000, months=12, seed=5, memo=tiny)
    assert len(tiny._entries) == 1  # beyond its budget only the newest chunk stays


@pytest.mark.parametrize("paths", [2_000, 40_000])  # one chunk; three (chunks of 16,384 paths)
def test_a_memo_at_its_budget_does_not_grow_as_a_band_moves(pack: Pack, paths: int) -> None:
    """Each new band of a parameter is new per-path draws; past the budget each entry drops those
    its last run did not use before any entry goes, so a run of several chunks keeps every chunk's
    draws (served from the memo every time) and the memo stays within one run's size."""
    from toolkit.engine.drawmemo import DrawMemo
    from toolkit.engine.simulation import simulate

    model = compile_model(pack, "baseline")
    run = {"paths": paths, "months": 12, "seed": 5}
    first = DrawMemo()
    simulate(model, **run, memo=first)  # type: ignore[arg-type]
    chunks = len(first._entries)
    assert chunks == (1 if paths == 2_000 else 3)
    memo = DrawMemo(max_bytes=first.nbytes)  # room for one run's draws, no more
    sampled = int(model.parameters.sampled().sum())
    for k in range(12):
        band = {"value": 0.3, "low": 0.1 + 0.01 * k, "high": 0.5}
        plain = simulate(model, **run, rate_westward_to_rear=band)  # type: ignore[arg-type]
        kept = simulate(model, **run, memo=memo, rate_westward_to_rear=band)  # type: ignore[arg-type]
        assert np.array_equal(plain.counts.occupancy, kept.counts.occupancy)
        assert np.array_equal(plain.counts.decided, kept.counts.decided)
        assert memo.nbytes <= first.nbytes
        assert len(memo._entries) == chunks
        assert all(len(entry.values) == sampled for entry in memo._entries.values())
    assert (memo.misses, memo.hits) == (chunks, 11 * chunks)


def test_fixing_a_banded_parameter_is_served_by_the_same_entry(pack: Pack) -> None:
    """A slider fixes a banded parameter at a point: one uniform item fewer is needed, the others are
    the same numbers in the same places, so the memo serves the run from the entry it has (the
    explorer's first move of each slider was a miss, and a second copy of the draws)."""
    from toolkit.engine.drawmemo import DrawMemo
    from toolkit.engine.simulation import simulate

    model = compile_model(pack, "baseline")
    memo = DrawMemo()
    simulate(model, paths=3_000, months=12, seed=5, memo=memo)
    for name, value in (("rate_westward_to_rear", 0.3), ("troops", 12_000), ("lethal_will", 0.5)):
        plain = simulate(model, paths=3_000, months=12, seed=5, **{name: value})  # type: ignore[arg-type]
        kept = simulate(model, paths=3_000, months=12, seed=5, memo=memo, **{name: value})  # type: ignore[arg-type]
        for part in ("occupancy", "reached", "transfer", "decided", "level"):
            assert np.array_equal(getattr(plain.counts, part), getattr(kept.counts, part)), name
    assert (memo.misses, memo.hits, len(memo._entries)) == (1, 3, 1)


def test_a_memo_with_a_dask_client_is_refused(model: Model) -> None:
    """The memo lives in this process; a client's workers could not use it, so asking for both is an
    error, not a silently ignored memo. Checked before the client is touched."""
    from toolkit.engine.drawmemo import DrawMemo
    from toolkit.engine.simulation import simulate
    from toolkit.errors import ParameterError

    with pytest.raises(ParameterError, match=r"memo .* Dask client"):
        simulate(model, paths=100, months=12, memo=DrawMemo(), client=object())  # type: ignore[arg-type]
