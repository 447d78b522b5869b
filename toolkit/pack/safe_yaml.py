"""Read one pack YAML file with bounded work, whatever the file holds.

YAML aliases let a few hundred bytes stand for billions of nodes ("billion laughs"): the parser shares
the aliased node, but whatever walks the data as a tree (record validation, an error message) would
not. `read_yaml` therefore refuses, before building any Python value:

- a file larger than `MAX_YAML_BYTES`;
- a document that, with every alias expanded, has more than `MAX_YAML_NODES` nodes, more than
  `MAX_YAML_CHARS` characters of scalars, or nodes nested deeper than `MAX_YAML_DEPTH`;
- a recursive alias (a node that contains itself).

A key given twice in one mapping is a `ConstructorError` at the second (`check_unique_keys`).

Each refusal is a `YamlLimitError` (a `yaml.YAMLError`) with a one-line `problem`. A scalar that YAML
resolves to a value Python cannot build (an integer of more than 4,300 digits, `!!float abc`) is a
`ConstructorError` with its line and column, like any other malformed YAML. An impossible date
(`2024-02-30`) is kept as its text, so the record's check names the record and the field.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from toolkit.errors import short

MAX_YAML_BYTES: Final = 5_000_000
MAX_YAML_NODES: Final = 1_000_000
MAX_YAML_CHARS: Final = 10_000_000
MAX_YAML_DEPTH: Final = 64

# libyaml's parser where PyYAML was built with it (10x faster than the pure-Python one).
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(yaml.YAMLError):
    """A document beyond the limits above: `problem` says which; `problem_mark` is where the node
    starts and `text` the start of its source text (None when not known)."""

    def __init__(self, problem: str, node: Node | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = node.start_mark if node is not None else None
        self.text: str | None = None


class FileTooLargeError(Exception):
    """The file is larger than `MAX_YAML_BYTES`; `size` is its size in bytes."""

    def __init__(self, size: int) -> None:
        self.problem = f"file is larger than {MAX_YAML_BYTES:,} bytes"
        super().__init__(self.problem)
        self.size = size


def read_yaml(path: Path) -> Any:
    """The data of the single YAML document in `path`, read with the bounds above.

    Raises `FileTooLargeError`, `UnicodeDecodeError`, or a `yaml.YAMLError` (`YamlLimitError` among them).
    """
    with path.open("rb") as file:
        data = file.read(MAX_YAML_BYTES + 1)
    if len(data) > MAX_YAML_BYTES:
        raise FileTooLargeError(path.stat().st_size)
    return load_yaml(data.decode("utf-8"))


def load_yaml(text: str) -> Any:
    """The data of the single YAML document in `text`, with the expansion bounds above."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except YamlLimitError as exc:
        index = getattr(exc.problem_mark, "index", None)
        if index is not None:
            exc.text = text[index : index + 40]
        raise
    finally:
        loader.dispose()


class _BoundedLoader(_Base):
    """The safe loader, measuring the composed node graph before it constructs anything."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        check_unique_keys(node)
        try:
            return self.construct_document(node)
        except yaml.YAMLError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
            raise ConstructorError(None, None, f"cannot read this value ({exc})", None) from exc

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            shown = short(node.value, 40) if isinstance(node, ScalarNode) else "this node"
            what = f"{shown} is not a valid {kind}"
            if isinstance(exc, ValueError) and "digits" in str(exc):
                what = "an integer too long to read (more than 4,300 digits)"
            raise ConstructorError(None, None, what, node.start_mark) from exc

    def construct_yaml_float(self, node: ScalarNode) -> Any:
        """A float; one written in digits that overflows (`1e999`) is an error, not infinity
        (`.inf` says that)."""
        value = SafeConstructor.construct_yaml_float(self, node)
        text = str(node.value).strip().lower()
        if math.isinf(value) and not text.lstrip("+-").startswith(".inf"):
            raise ConstructorError(
                None, None, f"{short(node.value, 40)} is too large a number", node.start_mark
            )
        return value

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        """A date or time; its text when no such date exists (the record check then names it)."""
        try:
            return SafeConstructor.construct_yaml_timestamp(self, node)
        except (ValueError, OverflowError, AttributeError):
            return self.construct_scalar(node)


_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _BoundedLoader.construct_yaml_timestamp
)
_BoundedLoader.add_constructor("tag:yaml.org,2002:float", _BoundedLoader.construct_yaml_float)
# YAML 1.2's floats as well as 1.1's: `1e-3`, `2.5E6` and `1.0e300` are numbers, as an analyst means
# them (YAML 1.1 wants a dot and a signed exponent, `1.0e-3`, and reads the rest as text).
_BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def check_unique_keys(root: Node) -> None:
    """`ConstructorError` at the second of two equal keys in one mapping (YAML forbids them; a
    loader would keep the last silently, so `outcome: true` then `outcome: false` would read as
    false). Each node is visited once, so aliases cost nothing more."""
    seen: set[int] = set()
    stack = [root]
    constructor = SafeConstructor()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            keys: set[object] = set()
            for key, _value in node.value:
                if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    continue
                ident = _key_value(constructor, key)
                if ident in keys:
                    raise ConstructorError(
                        None, None, f"duplicate key: {short(key.value, 40)}", key.start_mark
                    )
                keys.add(ident)
        stack.extend(_children(node))


def _key_value(constructor: SafeConstructor, key: ScalarNode) -> object:
    """A mapping key as the mapping built from it holds it: `1`, `01` and `1.0` are one key, as
    are `true` and `True`; a key that cannot be built is compared by its text."""
    try:
        value = constructor.construct_object(key)
        hash(value)
    except Exception:  # any failure (an impossible date, a huge number): compare the text
        return ("text", str(key.tag), str(key.value))
    return value


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: Node) -> None:
    """`YamlLimitError` if the node graph, every alias expanded, is beyond the limits above.

    Iterative and memoized per node, so the work is linear in the size of the file, however far
    the aliases would expand.
    """
    measured: dict[int, tuple[int, int, int]] = {}  # id(node) -> (nodes, chars, depth)
    open_: set[int] = set()  # nodes whose children are being measured: the path from the root
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if not children_done:
            if key in measured:
                continue
            if key in open_:
                raise YamlLimitError("recursive alias (a node that contains itself)", node)
            open_.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in measured)
            continue
        open_.discard(key)
        nodes, chars, depth = 1, len(node.value) if isinstance(node, ScalarNode) else 0, 0
        for child in _children(node):
            n, c, d = measured[id(child)]
            nodes, chars, depth = nodes + n, chars + c, max(depth, d)
        depth += 1
        if nodes > MAX_YAML_NODES:
            raise YamlLimitError(
                f"more than {MAX_YAML_NODES:,} nodes with its aliases expanded (an alias bomb?)",
                node,
            )
        if chars > MAX_YAML_CHARS:
            raise YamlLimitError(
                f"more than {MAX_YAML_CHARS:,} characters of text with its aliases expanded", node
            )
        if depth > MAX_YAML_DEPTH:
            raise YamlLimitError(f"nested more than {MAX_YAML_DEPTH} levels deep", node)
        measured[key] = (nodes, chars, depth)
