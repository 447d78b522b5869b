"""A notebook's parameters (from its `parameters` cell) and the checking of values against them.

Names, declared types, defaults and help come from papermill's own inspection
(`papermill.inspect_notebook`, i.e. what `papermill --help-notebook` prints). Papermill's parser skips
annotations it cannot read (`x: str | None = None`); those names are recovered from the cell's syntax
tree so they are not reported as unknown.

Values are checked before any kernel starts: an unknown name or a value of the wrong type is a
`ParameterError` with a one-line message. Values typed on the command line (`-p name=value`) are
parsed according to the declared type (`int`, `float`, `bool`, `str`, `list[...]`, `dict[...]`,
`Optional[...]`, `X | None`, `Literal[...]`); an unannotated parameter takes the type of its default.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ParameterError, shown

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null"}
_ANY = ast.Name(id="Any")


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of a notebook's `parameters` cell."""

    name: str
    type_name: str  # as declared; "None" when unannotated (papermill's convention)
    default: str  # Python source of the default value
    help: str

    @property
    def type_expr(self) -> ast.expr:
        """The declared type as a syntax tree (unannotated: the type of the default literal)."""
        if self.type_name and self.type_name != "None":
            try:
                return ast.parse(self.type_name, mode="eval").body
            except SyntaxError:
                return _ANY
        try:
            value = ast.literal_eval(self.default)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return _ANY
        if value is None:
            return _ANY
        return ast.Name(id=type(value).__name__)

    @property
    def shown_type(self) -> str:
        return (
            self.type_name
            if self.type_name and self.type_name != "None"
            else (ast.unparse(self.type_expr))
        )


def inspect_parameters(notebook: Path) -> dict[str, NotebookParameter]:
    """The notebook's parameters in cell order (papermill's inspection plus what it skipped)."""
    import logging

    import papermill

    log = logging.getLogger("papermill")
    level = log.level
    log.setLevel(logging.ERROR)  # "Unable to parse line": we recover those names below
    try:
        try:
            inspected = {
                name: dict(p) for name, p in papermill.inspect_notebook(str(notebook)).items()
            }
        except ValueError:  # no kernelspec in the notebook: inspect it as the python3 kernel would
            from papermill.translators import papermill_translators

            translator = papermill_translators.find_translator("python3", "python")
            cell = _parameters_cell(notebook)
            inspected = {
                p.name: p._asdict() for p in (translator.inspect(cell) if cell is not None else [])
            }
    finally:
        log.setLevel(level)
    found = {
        name: NotebookParameter(
            name=name,
            type_name=str(p.get("inferred_type_name") or "None"),
            default=str(p.get("default", "")),
            help=str(p.get("help") or ""),
        )
        for name, p in inspected.items()
    }
    extra = _skipped_by_papermill(notebook, set(found))
    if not extra:
        return found
    ordered: dict[str, NotebookParameter] = {}
    for name in _cell_order(notebook):
        if name in found:
            ordered[name] = found[name]
        elif name in extra:
            ordered[name] = extra[name]
    return ordered | found


def _parameters_cell(notebook: Path) -> Any:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def _parameters_cell_tree(notebook: Path) -> ast.Module | None:
    cell = _parameters_cell(notebook)
    if cell is None:
        return None
    try:
        return ast.parse(str(cell.source))
    except SyntaxError:
        return None


def _cell_order(notebook: Path) -> list[str]:
    tree = _parameters_cell_tree(notebook)
    names: list[str] = []
    for node in tree.body if tree else []:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id not in names:
            names.append(target.id)
    return names


def _skipped_by_papermill(notebook: Path, known: set[str]) -> dict[str, NotebookParameter]:
    tree = _parameters_cell_tree(notebook)
    extra: dict[str, NotebookParameter] = {}
    for node in tree.body if tree else []:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if name not in known and node.value is not None:
                extra[name] = NotebookParameter(
                    name, ast.unparse(node.annotation), ast.unparse(node.value), ""
                )
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id not in known
        ):
            extra[node.targets[0].id] = NotebookParameter(
                node.targets[0].id, "None", ast.unparse(node.value), ""
            )
    return extra


# -- values -----------------------------------------------------------------------------------------
class _MismatchError(Exception):
    pass


class _DuplicateKeyError(ValueError):
    pass


def _first_repeat(keys: list[str]) -> str | None:
    """The first key given a second time, or None."""
    return next((k for i, k in enumerate(keys) if k in keys[:i]), None)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    repeated = _first_repeat([k for k, _ in pairs])
    if repeated is not None:
        raise _DuplicateKeyError(repeated)
    return dict(pairs)


def _parse_text(text: str) -> Any:
    """A command-line value as data: JSON, else a Python literal, else the text itself. A mapping
    that gives a key twice is a ParameterError (JSON and Python would keep the last silently)."""
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKeyError as exc:
        raise ParameterError(f"{shown(exc.args[0])} is given twice in {shown(text)}") from None
    except ValueError:
        pass
    try:
        tree = ast.parse(text, mode="eval")
        value = ast.literal_eval(tree)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            repeated = _first_repeat([ast.unparse(k) for k in node.keys if k is not None])
            if repeated is not None:
                raise ParameterError(f"{repeated} is given twice in {shown(text)}")
    return value


def _members(expr: ast.expr) -> list[ast.expr] | None:
    """Members of a union type (`A | B`, `Optional[A]`, `Union[A, B]`), else None."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return [*(_members(expr.left) or [expr.left]), *(_members(expr.right) or [expr.right])]
    if isinstance(expr, ast.Subscript):
        base = ast.unparse(expr.value).split(".")[-1]
        args = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
        if base == "Optional":
            return [*args, ast.Constant(value=None)]
        if base == "Union":
            return list(args)
    return None


def _convert(expr: ast.expr, value: Any, text: bool) -> Any:  # noqa: PLR0911 - one case per type form
    members = _members(expr)
    if members is not None:
        # Text: try the non-str members first, so "7" is an int and "none" is None where allowed.
        order = sorted(members, key=lambda m: ast.unparse(m) == "str") if text else members
        for member in order:
            try:
                return _convert(member, value, text)
            except _MismatchError:
                continue
        raise _MismatchError
    if isinstance(expr, ast.Constant) and expr.value is None:
        if value is None or (text and isinstance(value, str) and value.lower() in _NONE):
            return None
        raise _MismatchError
    if isinstance(expr, ast.Subscript):
        base = ast.unparse(expr.value).split(".")[-1].lower()
        args = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
        if base == "literal":
            allowed = [ast.literal_eval(a) for a in args]
            for option in allowed:
                if value == option or (text and isinstance(value, str) and value == str(option)):
                    return option
            raise _MismatchError
        data = _parse_text(value) if text and isinstance(value, str) else value
        if base in {"list", "sequence"} and isinstance(data, list | tuple):
            return [_convert(args[0], v, False) for v in data]
        if base == "tuple" and isinstance(data, list | tuple):
            if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                return tuple(_convert(args[0], v, False) for v in data)
            if len(args) != len(data):
                raise _MismatchError
            return tuple(_convert(a, v, False) for a, v in zip(args, data, strict=True))
        if base in {"dict", "mapping"} and isinstance(data, dict):
            key_t, val_t = [*args, _ANY, _ANY][:2]
            return {_convert(key_t, k, False): _convert(val_t, v, False) for k, v in data.items()}
        raise _MismatchError
    name = ast.unparse(expr).split(".")[-1]
    if name == "str":
        if isinstance(value, str):
            return value
        raise _MismatchError
    if text and isinstance(value, str):
        if name == "bool":
            low = value.strip().lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            raise _MismatchError
        if name == "int":
            try:
                return int(value.strip())
            except ValueError:
                raise _MismatchError from None
        if name == "float":
            try:
                value = float(value.strip())
            except ValueError:
                raise _MismatchError from None
        else:
            value = _parse_text(value)
    if name == "bool":
        if isinstance(value, bool):
            return value
        raise _MismatchError
    if name == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _MismatchError
    if name == "float":
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise _MismatchError
    simple = {"list": list, "dict": dict, "tuple": tuple, "set": set}
    if name in simple or name.lower() in simple:
        kind = simple.get(name) or simple[name.lower()]
        if isinstance(value, kind):
            return value
        if kind is list and isinstance(value, tuple):
            return list(value)
        raise _MismatchError
    return value  # Any, object, or a type we do not model: papermill writes it as a literal


def coerce_value(param: NotebookParameter, value: Any, *, from_text: bool = False) -> Any:
    """`value` checked (and, from the command line, parsed) against the parameter's type."""
    try:
        result = _convert(param.type_expr, value, from_text)
    except (_MismatchError, ValueError, TypeError, SyntaxError):
        raise ParameterError(
            f"parameter {param.name!r}: expected {param.shown_type}, got {shown(value)}"
        ) from None
    try:
        ast.literal_eval(repr(result))
    except (ValueError, SyntaxError):
        raise ParameterError(
            f"parameter {param.name!r}: {shown(value)} cannot be passed to a notebook "
            "(use numbers, strings, booleans, None, lists and dicts)"
        ) from None
    return result


def coerce_parameters(
    declared: Mapping[str, NotebookParameter],
    given: Mapping[str, Any],
    *,
    notebook: str,
    from_text: bool = False,
) -> dict[str, Any]:
    """Every given value checked against the notebook's parameters (first problem raised)."""
    result: dict[str, Any] = {}
    for name, value in given.items():
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise ParameterError(
                f"unknown parameter {shown(name)} for {notebook} (it takes: {known})"
            )
        result[name] = coerce_value(declared[name], value, from_text=from_text)
    return result


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`["months=12", "seed=7"]` -> `{"months": "12", "seed": "7"}` (values stay text)."""
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            hint = f" (did you mean {name}=VALUE?)" if not sep and name.isidentifier() else ""
            raise ParameterError(f"expected name=value, got {shown(item)}{hint}")
        if name in result:
            raise ParameterError(f"parameter {shown(name)} given twice")
        result[name] = value
    return result


def split_values(text: str) -> list[str]:
    """`"1,2,[3,4]"` -> `["1", "2", "[3,4]"]`: commas inside brackets or quotes do not split."""
    values: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            values.append(text[start:i])
            start = i + 1
    values.append(text[start:])
    return [v.strip() for v in values]


def render_value(value: Any) -> str:
    """A value as the Python source papermill injects (for the provenance footer and the index)."""
    return repr(value)
