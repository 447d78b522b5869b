"""The notebook of a report, read once: its file, imports, parameters cell and title.

`NotebookSource` reads the file and its imports with the standard library only, so the kernel
interpreter can be started (`toolkit.jupyter.prespawn`) before nbformat or papermill are loaded;
`NotebookInfo` adds what the checks and the footer need (the `parameters` cell, by papermill's
inspection, the content hash and the title).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import ToolkitError
from toolkit.files import data_dir
from toolkit.jupyter.nbparams import NotebookParameter

if TYPE_CHECKING:
    from nbformat import NotebookNode

DEFAULT_NOTEBOOK = "report.ipynb"
NOTEBOOK_ENV = "TOOLKIT_NOTEBOOK"


def default_notebook_path() -> Path:
    """$TOOLKIT_NOTEBOOK, else the project's `notebooks/report.ipynb` (the clone's, or the copy an
    installed wheel ships)."""
    env = os.environ.get(NOTEBOOK_ENV)
    return Path(env) if env else data_dir("notebooks", DEFAULT_NOTEBOOK) / DEFAULT_NOTEBOOK


@dataclass(frozen=True)
class NotebookInfo:
    path: Path
    sha256: str
    parameters: dict[str, NotebookParameter]
    imports: list[str]
    title: str

    @classmethod
    def read(cls, notebook: str | os.PathLike[str] | None) -> NotebookInfo:
        return cls.from_source(NotebookSource.read(notebook))

    @classmethod
    def from_source(cls, source: NotebookSource) -> NotebookInfo:
        import warnings

        import nbformat
        from nbformat.warnings import MissingIDFieldWarning

        from toolkit.jupyter.nbparams import inspect_parameters

        with warnings.catch_warnings():
            # a cell without an id: papermill warns once as it runs the notebook, not these reads too
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            try:
                nb = nbformat.reads(source.data.decode("utf-8"), as_version=4)
            except Exception as exc:  # any parse error: one line
                raise ToolkitError(f"{source.path.name}: not a readable notebook ({exc})") from None
            parameters = inspect_parameters(source.path)
        return cls(
            path=source.path,
            sha256=hashlib.sha256(source.data).hexdigest(),
            parameters=parameters,
            imports=source.imports,
            title=_title(nb, source.path),
        )


@dataclass(frozen=True)
class NotebookSource:
    """The notebook file and its imports, read with the standard library only (fast)."""

    path: Path
    data: bytes
    imports: list[str]
    document: dict[str, Any]  # the parsed JSON, as read (not validated by nbformat)

    @classmethod
    def read(cls, notebook: str | os.PathLike[str] | None) -> NotebookSource:
        import json

        from toolkit.jupyter.nbimports import notebook_imports

        path = Path(notebook) if notebook is not None else default_notebook_path()
        path = path.resolve()
        if not path.is_file():
            raise ToolkitError(f"notebook not found: {path}")
        data = path.read_bytes()
        try:
            document = json.loads(data)
            imports = notebook_imports(document)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ToolkitError(f"{path.name}: not a readable notebook ({exc})") from None
        return cls(path, data, imports, document)


def _title(nb: NotebookNode, path: Path) -> str:
    title = nb.metadata.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                if line.startswith("# "):
                    return re.sub(r"[*_`]", "", line[2:]).strip()
    return path.stem
