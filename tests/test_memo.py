"""Per-object constants are remembered by identity, never confused with another object's; a ladder's Enum
is made once."""

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


def test_a_ladders_enum_is_made_once() -> None:
    """`result_frames.enum` is memoised (a Polars Enum takes tens of microseconds to make, and every
    frame of every explorer update asks for the ladders' Enums)."""
    from toolkit.engine.result_frames import enum

    names = ("training", "westward", "frontline")
    again = tuple(name for name in ["training", "westward", "frontline"])  # equal, another object
    assert again is not names
    assert enum(names) is enum(names)
    assert enum(again) is enum(names)
