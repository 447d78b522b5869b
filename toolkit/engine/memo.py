"""Constants of a run that depend only on an immutable object (a `Model`, a `ParameterTable`),
computed once per object instead of once per chunk of paths.

The cache keeps the object itself beside its constants, so an id is never mistaken for a later
object's; it holds a few dozen objects and is then emptied. The values must be treated as read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")
SIZE = 32


def per_object(fn: Callable[[Key], Value]) -> Callable[[Key], Value]:
    """`fn`, remembered per object (by identity)."""
    cache: dict[int, tuple[Key, Value]] = {}

    def cached(obj: Key) -> Value:
        hit = cache.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = fn(obj)
        if len(cache) >= SIZE:
            cache.clear()
        cache[id(obj)] = (obj, value)
        return value

    cached.__doc__ = fn.__doc__
    return cached
