"""A report's provenance: what it came from (notebook, pack, parameters, seed, libraries, the run
inputs the notebook reported), rendered as the report's footer and embedded as JSON (`#tk-provenance`).

`toolkit.report.plan` builds the `Provenance`; `toolkit.jupyter.html_export` writes the footer.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from toolkit.jupyter import offline

if TYPE_CHECKING:
    from nbformat import NotebookNode

LIBRARIES = (
    "altair",
    "vl-convert-python",
    "polars",
    "numpy",
    "networkx",
    "papermill",
    "nbconvert",
    "nbformat",
    "nbclient",
    "ipykernel",
    "jupyter-client",
)

# A notebook names what its results rest on beyond its parameters (e.g. a model run's scenario,
# overrides and start state) in the metadata of one of its outputs, under this key (a JSON object);
# the footer shows the last one reported.
RUN_INPUTS_KEY = "toolkit/run-inputs"


def run_inputs(nb: NotebookNode) -> dict[str, Any] | None:
    """The run inputs an executed notebook reported under `RUN_INPUTS_KEY` (the last), or None."""
    found: dict[str, Any] | None = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            value = out.get("metadata", {}).get(RUN_INPUTS_KEY)
            if isinstance(value, dict):
                found = dict(value)
    return found


@dataclass(frozen=True)
class ParameterValue:
    """One notebook parameter as the report ran it."""

    name: str
    value: str  # Python source of the value
    type_name: str
    overridden: bool  # False: the notebook's default


@dataclass(frozen=True)
class Provenance:
    """Where a report came from; rendered as its footer and embedded as JSON (`#tk-provenance`)."""

    notebook: str
    notebook_sha256: str
    toolkit_version: str
    pack_title: str | None
    pack_hash: str | None
    scenario: str | None
    seed: str | None
    parameters: tuple[ParameterValue, ...]
    python: str
    libraries: tuple[tuple[str, str], ...]
    generated_at: str
    vega_lite: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())
    inputs: dict[str, Any] | None = None  # what the notebook's results rest on (`run_inputs`)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["parameters"] = [asdict(p) for p in self.parameters]
        data["libraries"] = dict(self.libraries)
        data["extra"] = dict(self.extra)
        return data


def generated_at(now: dt.datetime | None = None) -> str:
    """UTC time of generation: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            stamp = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            from toolkit.errors import ToolkitError, shown

            raise ToolkitError(f"SOURCE_DATE_EPOCH is not a Unix time: {shown(epoch)}") from None
    else:
        stamp = now or dt.datetime.now(tz=dt.UTC)
    return stamp.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@functools.cache
def library_versions(names: tuple[str, ...] = LIBRARIES) -> tuple[tuple[str, str], ...]:
    """Installed versions (the report's kernel runs this same interpreter and environment). Looked
    up once per process (~0.05 s: importlib.metadata lists every folder on the path first), ahead
    of the export while the notebook runs (`toolkit.report.render`)."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in names:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            continue
    return tuple(found)


def footer_html(prov: Provenance) -> str:
    """The provenance footer (every value escaped) plus its machine-readable JSON copy."""
    e = html.escape
    rows: list[tuple[str, str]] = [
        ("Notebook", f"<code>{e(prov.notebook)}</code> (sha256 {e(prov.notebook_sha256[:16])})"),
        ("Toolkit", e(prov.toolkit_version)),
    ]
    if prov.pack_hash is not None:
        title = f"{e(prov.pack_title)}, " if prov.pack_title else ""
        rows.append(("Pack", f"{title}content hash <code>{e(prov.pack_hash)}</code>"))
    if prov.scenario is not None:
        rows.append(("Scenario", f"<code>{e(prov.scenario)}</code>"))
    if prov.seed is not None:
        rows.append(("Seed", f"<code>{e(prov.seed)}</code>"))
    rows.append(("Generated", e(prov.generated_at) + " (UTC)"))
    rows.append(("Python", e(prov.python)))
    libs = [*prov.libraries]
    if prov.vega_lite:
        libs.append(("vega-lite (inlined)", prov.vega_lite))
    rows.append(("Libraries", ", ".join(f"{e(n)} {e(v)}" for n, v in libs)))
    rows.extend((e(k), e(v)) for k, v in prov.extra)
    if prov.inputs is not None:
        rows.append(("Run inputs", _inputs_html(prov.inputs)))
    dl = "\n".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    params = "\n".join(
        f"<tr{' class=tk-override' if p.overridden else ''}><td><code>{e(p.name)}</code></td>"
        f"<td><code>{e(p.value)}</code></td><td>{e(p.type_name)}</td>"
        f"<td>{'set for this report' if p.overridden else 'notebook default'}</td></tr>"
        for p in prov.parameters
    )
    table = (
        "<table><thead><tr><th>parameter</th><th>value</th><th>type</th><th>source</th></tr>"
        f"</thead><tbody>\n{params}\n</tbody></table>"
        if prov.parameters
        else "<p>The notebook declares no parameters.</p>"
    )
    data = offline.spec_json(prov.to_json())
    return (
        '<footer class="tk-provenance" id="provenance">\n<h2>Provenance</h2>\n'
        f"<dl>\n{dl}\n</dl>\n<h3>Parameters</h3>\n{table}\n"
        f'<script type="application/json" id="tk-provenance">{data}</script>\n</footer>'
    )


def _inputs_html(inputs: dict[str, Any]) -> str:
    """`scenario <code>baseline</code> · overrides <code>troops=15000</code> · ...`, escaped; an
    empty mapping reads "none"."""
    e = html.escape

    def value(v: Any) -> str:
        if isinstance(v, dict):
            return ", ".join(f"{k}={value(x)}" for k, x in v.items()) or "none"
        return v if isinstance(v, str) else json.dumps(v)

    return " · ".join(f"{e(str(k))} <code>{e(value(v))}</code>" for k, v in inputs.items())
