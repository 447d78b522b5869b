"""The HTML export merges consecutive stream outputs: one print() split by ipykernel's flush timer
gives the same bytes as one that was not (issue 10, item 5)."""

from __future__ import annotations

import nbformat

from toolkit.jupyter.html_export import export_html
from toolkit.jupyter.provenance import Provenance


def _notebook(*texts: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('alpha'); print('beta')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in texts]
    nb.cells = [cell]
    return nb


def _html(nb: nbformat.NotebookNode) -> str:
    prov = Provenance(
        notebook="x.ipynb", notebook_sha256="0", toolkit_version="0", pack_title=None,
        pack_hash=None, scenario=None, seed=None, parameters=(), python="3",
        libraries=(), generated_at="2024-01-01T00:00:00Z",
    )  # fmt: skip
    return export_html(nb, title="t", provenance=prov)


def test_split_stream_output_exports_like_one() -> None:
    split = _html(_notebook("alpha\n", "beta\n"))
    whole = _html(_notebook("alpha\nbeta\n"))
    assert split == whole
    assert split.count("alpha") == 1
