"""Which modules a notebook imports, read from its code cells with `ast` (standard library only).

A report's kernel interpreter imports them while the parameters are checked (`toolkit.jupyter.kernels`),
so this runs before nbformat or any other heavy library is loaded.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode


def notebook_imports(nb: NotebookNode | dict[str, Any]) -> list[str]:
    """Modules a notebook may import (`import x.y`; `from x.y import z`: x.y and x.y.z), in order.

    Takes a NotebookNode or the notebook's plain JSON (so it runs before nbformat is imported).
    """
    found: list[str] = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        source = "\n".join(
            line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from toolkit import charts` imports the submodule toolkit.charts: try each name
                # as a module too (names that are not modules simply fail to import, and are skipped)
                names = [node.module]
                names += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
            for name in names:
                if name not in found:
                    found.append(name)
    return found
