"""A mutated pack loads or fails with the toolkit's own error: never another exception, never a hang
(issue 10). Hypothesis mutates a copy of the default pack (drops keys, swaps types, injects ids from
elsewhere, odd Unicode, huge numbers, deep nesting, aliases, recursive aliases, raw YAML tokens, broken
article bytes); each example is loaded, and a pack that loads is checked by the engine as
`toolkit validate` does, and a valid one is simulated briefly. Deterministic: the hypothesis profile in tests/conftest.py derandomizes it.
"""

from __future__ import annotations

import copy
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.engine.check import check_pack_models
from toolkit.engine.simulation import simulate
from toolkit.errors import PackError, ToolkitError
from toolkit.pack.load import load_pack

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
FILES = sorted(p.name for p in SEEDS.glob("*.yaml"))
ORIGINAL = {name: yaml.safe_load((SEEDS / name).read_text(encoding="utf-8")) for name in FILES}
HANG_GUARD = 120  # seconds for one example: a guard against a hang, not a speed requirement

ODD_STRINGS = [
    "",
    " ",
    "\u202eevil",
    "\ufeffbom",
    "a\x00b",
    "e\u0301",
    "🦄",
    "\u2028",
    "x" * 5000,
    "zz_unknown",
    "baseline",
    "2024-02-30",
    "1e999",
    "~",
    "null",
    "yes",
    "0x1F",
    ".nan",
    "<script>",
    "Most Commented",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**400, -(10**4000)]),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(ODD_STRINGS),
    st.dates(),
    st.datetimes(),
)
KEYS = st.one_of(st.text(max_size=10), st.integers(), st.none(), st.booleans(), st.dates())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)
NUMBERS = st.one_of(
    st.integers(-5, 5),
    st.floats(-2, 2),
    st.floats(),
    st.integers(),
    st.sampled_from([0, 1, 0.5, 1e-300, 1e308, 2**63, 10**30, -(10**30), 10**400]),
)
TOKENS = [
    "&a ",
    "*a",
    "*nope",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!python/object:os.system ",
    "!custom ",
    "<<: *a\n",
    "? ",
    "\t",
    "\x00",
    "\ufeff",
    "\x85",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "{",
    "]",
    "'",
    '"',
    "#",
    "\n  - ",
    ": ",
    "\n- &a [*a]\n",
    "9" * 5000,
]


def positions(tree: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every value in `tree` (iterative; shared nodes listed once)."""
    out: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            out.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return out[::-1]  # leaves first: hypothesis favours the first items, not the whole sections


def strings(tree: Any) -> list[str]:
    return sorted({c[k] for c, k in positions(tree) if isinstance(c[k], str) and len(c[k]) < 60})


ALL_STRINGS = sorted({s for tree in ORIGINAL.values() for s in strings(tree)})


def swap_type(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return {"value": value}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return str(value)


MUTATIONS = [
    "drop",
    "replace",
    "number",
    "number",
    "number",
    "id",
    "id",
    "text",
    "reorder",
    "swap",
    "unknown_key",
    "top_key",
    "nest",
    "alias",
    "recursive",
    "duplicate",
]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def mutate_tree(draw: st.DrawFn, tree: Any, kinds: list[str] = MUTATIONS) -> None:
    """One mutation of the parsed data of a file, in place."""
    kind = draw(st.sampled_from(kinds))
    places = positions(tree)
    if kind == "number":  # a number for a number: the pack gets past the record checks
        places = [(c, k) for c, k in places if is_number(c[k])] or places
    elif kind in ("id", "text"):  # a string for a string: cross-file references, odd Unicode
        places = [(c, k) for c, k in places if isinstance(c[k], str)] or places
    elif kind == "reorder":
        places = [(c, k) for c, k in places if isinstance(c[k], list)] or places
    if kind == "top_key" and isinstance(tree, dict):
        tree[draw(KEYS)] = draw(VALUES)
        return
    if not places:
        return
    container, key = draw(st.sampled_from(places))
    if kind == "drop":
        del container[key]
    elif kind in ("replace", "top_key"):
        container[key] = draw(VALUES)
    elif kind == "number":
        container[key] = draw(NUMBERS)
    elif kind == "id":
        container[key] = draw(st.sampled_from(ALL_STRINGS))
    elif kind == "text":
        value = container[key]
        at = draw(st.integers(0, len(value))) if isinstance(value, str) else 0
        odd = draw(st.text(min_size=1, max_size=5) | st.sampled_from(ODD_STRINGS))
        container[key] = f"{value}"[:at] + odd + f"{value}"[at:]
    elif kind == "reorder":
        if isinstance(container[key], list):
            container[key] = draw(st.permutations(container[key]))
    elif kind == "swap":
        container[key] = swap_type(container[key])
    elif kind == "unknown_key":
        target = container[key] if isinstance(container[key], dict) else container
        if isinstance(target, dict):
            target[draw(KEYS)] = draw(VALUES)
        else:
            target.append(draw(VALUES))
    elif kind == "nest":
        value = container[key]
        for _ in range(draw(st.integers(1, 120))):
            value = [value]
        container[key] = value
    elif kind == "alias":
        other, other_key = draw(st.sampled_from(places))
        container[key] = other[other_key]  # a shared object: dumped as an anchor and an alias
    elif kind == "recursive":
        container[key] = container  # a node that contains itself
    elif kind == "duplicate":
        target = container[key] if isinstance(container[key], list) else container
        if isinstance(target, list) and target:
            target.insert(draw(st.integers(0, len(target))), copy.deepcopy(target[0]))


def mutate_text(draw: st.DrawFn, text: str) -> str:
    kind = draw(st.sampled_from(["insert", "truncate", *["none"] * 8]))
    at = draw(st.integers(0, len(text)))
    if kind == "insert":
        return text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
    if kind == "truncate":
        return text[:at]
    return text


def mutate_article(draw: st.DrawFn, raw: bytes) -> bytes:
    at = draw(st.integers(0, len(raw)))
    noise = draw(
        st.sampled_from(
            [b"", b"\xff\xfe", b"\xc3", b"\x00", "\u202e🦄 e\u0301".encode(), b"Most Commented\n"]
        )
    )
    return raw[:at] + noise + raw[at + draw(st.integers(0, 50)) :]


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fail (not hang) if the body takes longer than `seconds` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"hang guard: no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_pack_loads_or_fails_with_a_toolkit_error(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pack"
        shutil.copytree(SEEDS, root)
        for name in data.draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=3)):
            tree = copy.deepcopy(ORIGINAL[name])
            for _ in range(data.draw(st.integers(1, 2))):
                mutate_tree(data.draw, tree)
            text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=100)
            text = mutate_text(data.draw, text)
            (root / name).write_text(text, encoding="utf-8")
        if data.draw(st.integers(0, 4)) == 0:
            article = root / "article.txt"
            article.write_bytes(mutate_article(data.draw, article.read_bytes()))
        with hang_guard(HANG_GUARD):
            lines = load_and_check(root)
        for line in lines:
            assert line
            assert "\n" not in line
            assert len(line) < 1000


def load_and_check(root: Path) -> list[str]:
    """Load the pack at `root` as `toolkit validate` does and return its lines: the error and its
    problems, or the engine's problems; a valid pack is simulated briefly. Any exception but the
    toolkit's own propagates (and fails the test)."""
    try:
        pack = load_pack(root)
    except PackError as exc:  # with no problem named, an empty line fails the test
        return [str(exc), *(str(p) for p in exc.problems)] if exc.problems else [""]
    except ToolkitError as exc:
        return [str(exc)]
    problems = [str(p) for p in check_pack_models(pack)]
    if not problems:  # a valid pack runs: a short simulation of every scenario
        for scenario in pack.scenarios.get_column("id").to_list():
            simulate(pack, scenario, paths=64, months=6)
    return problems


NUMERIC_FILES = ["parameters.yaml", "scenarios.yaml", "estimative.yaml", "phases.yaml"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_numbers_load_run_or_fail_with_a_toolkit_error(data: st.DataObject) -> None:
    """Numbers only (huge, tiny, negative, whole for a fraction): the pack often loads, so the
    frames, the engine's checks and a short simulation see them too."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pack"
        shutil.copytree(SEEDS, root)
        for name in data.draw(st.lists(st.sampled_from(NUMERIC_FILES), min_size=1, max_size=2)):
            tree = copy.deepcopy(ORIGINAL[name])
            for _ in range(data.draw(st.integers(1, 3))):
                mutate_tree(data.draw, tree, ["number"])
            (root / name).write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")
        with hang_guard(HANG_GUARD):
            lines = load_and_check(root)
        for line in lines:
            assert line
            assert "\n" not in line
            assert len(line) < 1000


def test_mutations_are_deterministic() -> None:
    """The profile in conftest derandomizes hypothesis: CI sees the same examples every run."""
    assert settings.default.derandomize
    assert settings.default.database is None
