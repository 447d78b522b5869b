"""Per-object constants are remembered by identity, never confused with another object's."""

from __future__ import annotations

from toolkit.engine import memo


def test_per_object_remembers_by_identity_and_bounds_its_size() -> None:
    calls: list[object] = []

    @memo.per_object
    def constant(obj: object) -> int:
        calls.append(obj)
        return len(calls)

    a, b = object(), object()
    assert constant(a) == constant(a) == 1
    assert constant(b) == 2
    for _ in range(memo.SIZE + 1):
        constant(object())  # fills the cache; it is emptied, not grown
    assert constant(a) > 2  # computed again after the cache was emptied
