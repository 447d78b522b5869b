"""A sweep's index page: `index.html` listing every report of the sweep (a `SweepItem`: its parameter
values, its report or its error), what varied between the reports and what was the same for all of
them, and each report's status (a link, or the error of a report that failed).

A model parameter swept or set with `-p` travels inside the notebook's `overrides` dict; the page shows
it under its own name, like a notebook parameter (`troops`, not `overrides = {'troops': 5000}`).
Values are shown as written on the command line: `baseline`, `5000`, never `'baseline'`. The page
also carries its list of files as JSON (`#tk-sweep`), so that the next sweep into the folder can remove
the reports this one wrote and it does not (`stale_files`).

Every value is escaped; the page is deterministic (SOURCE_DATE_EPOCH for its time) and written
atomically. `toolkit.report.sweep` writes it once the reports are done or Ctrl-C stopped them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.jupyter.nbparams import render_value

if TYPE_CHECKING:
    from toolkit.report.plan import ReportPlan

INDEX_NAME = "index.html"
MANIFEST_ID = "tk-sweep"
OVERRIDES = "overrides"  # the notebook's dict parameter that carries model parameters


@dataclass(frozen=True)
class SweepItem:
    """One combination: its grid values, its report (if written) or its error."""

    values: dict[str, Any]
    path: Path
    error: str | None = None


def shown_value(value: Any) -> str:
    """A value as a reader writes it: text unquoted (but empty text as ""), numbers and the rest as
    Python writes them."""
    if isinstance(value, str):
        return value or '""'
    return render_value(value)


def effective_parameters(plan: ReportPlan) -> dict[str, tuple[Any, bool]]:
    """Every parameter of a report -> (value, set for it), the entries of `overrides` under their own
    names. A default that is not a literal keeps its source text."""
    from toolkit.report.plan import parameter_default

    found: dict[str, tuple[Any, bool]] = {}
    for name, param in plan.notebook.parameters.items():
        if name in plan.overrides:
            value = plan.overrides[name]
            if name == OVERRIDES and isinstance(value, dict):
                found.update({str(k): (v, True) for k, v in value.items()})
                continue
            found[name] = (value, True)
        else:
            default = parameter_default(param)
            if name == OVERRIDES and default == {}:
                continue
            found[name] = (param.default if default is None else default, False)
    return found


@dataclass(frozen=True)
class Summary:
    """What varied across a sweep's reports and what was the same for all of them."""

    varied: dict[str, list[Any]]  # name -> its distinct values, in report order
    fixed: dict[str, Any]  # set for every report (command line), the same in all
    defaults: dict[str, Any]  # the notebook's defaults, used by every report


def summarise(names: Sequence[str], plans: Sequence[ReportPlan]) -> Summary:
    """Group the parameters of `plans` (the swept `names` first) into varied, fixed and defaults."""
    per_plan = [effective_parameters(plan) for plan in plans]
    order = list(names) + [n for params in per_plan for n in params if n not in names]
    varied: dict[str, list[Any]] = {}
    fixed: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for name in dict.fromkeys(order):
        entries = [params.get(name) for params in per_plan]
        values: list[Any] = []
        for entry in entries:
            value = entry[0] if entry is not None else None
            if all(value != v or type(value) is not type(v) for v in values):
                values.append(value)
        if name in names or len(values) > 1:
            varied[name] = values
        elif any(entry is not None and entry[1] for entry in entries):
            fixed[name] = values[0]
        elif values:
            defaults[name] = values[0]
    return Summary(varied, fixed, defaults)


def _assignments(values: dict[str, Any]) -> str:
    e = html.escape
    return ", ".join(
        f"<code>{e(name)} = {e(shown_value(value))}</code>" for name, value in values.items()
    )


def write_index(
    target: Path,
    notebook: str,
    names: list[str],
    plans: Sequence[ReportPlan],
    items: list[SweepItem],
) -> Path:
    """`index.html`: every report with its parameter values (escaped), deterministic, atomic."""
    from toolkit.files import write_atomic
    from toolkit.jupyter.offline import spec_json
    from toolkit.jupyter.provenance import generated_at

    e = html.escape
    prov = plans[0].provenance()
    summary = summarise(names, plans)
    hashes = [plan.pack.content_hash for plan in plans]
    per_report = len(set(hashes)) > 1  # `--grid pack=A,B`: each report's own pack
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    if per_report:
        head += "<th>pack hash</th>"
    rows = []
    for i, (item, digest) in enumerate(zip(items, hashes, strict=True), 1):
        cells = "".join(
            f"<td><code>{e(shown_value(item.values.get(n)))}</code></td>" for n in names
        )
        if per_report:
            cells += f'<td><code title="{e(digest)}">{e(digest[:12])}</code></td>'
        if item.error is None:
            link = f'<a href="{e(item.path.name)}">{e(item.path.name)}</a>'
            status = "ok"
        elif (target / item.path.name).is_file():  # an earlier sweep's report, kept
            link = f'<a href="{e(item.path.name)}">{e(item.path.name)}</a>'
            status = (
                f'<span class="failed">failed: {e(item.error)}; the file is an earlier '
                f"sweep's report, kept</span>"
            )
        else:
            link = e(item.path.name)
            status = f'<span class="failed">failed: {e(item.error)}</span>'
        rows.append(f"<tr><td>{i}</td>{cells}<td>{link}</td><td>{status}</td></tr>")
    varied = ", ".join(
        f"<code>{e(name)}</code> ({e(', '.join(shown_value(v) for v in values))})"
        for name, values in summary.varied.items()
    )
    parts = [f"<p>Varied: {varied}.</p>"]
    if summary.fixed:
        parts.append(f"<p>Set for every report: {_assignments(summary.fixed)}.</p>")
    if summary.defaults:
        parts.append(
            f'<p class="defaults">The notebook\'s defaults, the same in every report: '
            f"{_assignments(summary.defaults)}.</p>"
        )
    manifest = {
        "notebook": notebook,
        "reports": [item.path.name for item in items],
        "failed": [f"failed/{item.path.stem}.ipynb" for item in items if item.error is not None],
    }
    shown_hash = (
        "one per pack (the pack hash column)"
        if per_report
        else f"<code>{e(prov.pack_hash or '')}</code>"
    )
    pack = (
        f"<p>Pack content hash {shown_hash}; toolkit "
        f"{e(prov.toolkit_version)}; generated {e(generated_at())} (UTC).</p>"
    )
    document = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sweep of {e(notebook)}</title>
<style>
body {{ font: 15px/1.5 -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #222;
  max-width: 1100px; margin: 0 auto; padding: 24px; }}
table {{ border-collapse: collapse; font-variant-numeric: tabular-nums; }}
th, td {{ text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #ddd;
  overflow-wrap: anywhere; }}
thead th {{ border-bottom: 2px solid #bbb; }}
.failed {{ color: #b22; }}
.defaults {{ color: #555; font-size: 0.9em; }}
a {{ color: #0072b2; }}
</style>
</head>
<body>
<h1>Sweep of <code>{e(notebook)}</code>: {len(items)} reports</h1>
{chr(10).join(parts)}
{pack}
<table>
<thead><tr><th>#</th>{head}<th>report</th><th>status</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<script type="application/json" id="{MANIFEST_ID}">{spec_json(manifest)}</script>
</body>
</html>
"""
    path = target / INDEX_NAME
    write_atomic(path, document.encode("utf-8"))
    return path


def previous_files(target: Path) -> list[str]:
    """The files an earlier sweep's `index.html` in `target` lists (its JSON list, or for an index
    without one, its links): plain names of files in `target` or in its `failed/` folder."""
    try:
        document = (target / INDEX_NAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    match = re.search(
        rf'<script type="application/json" id="{MANIFEST_ID}">(.*?)</script>', document, re.S
    )
    names: list[str] = []
    if match:
        try:
            manifest = json.loads(match.group(1))
            names = [*manifest.get("reports", []), *manifest.get("failed", [])]
        except (ValueError, AttributeError, TypeError):
            names = []
    elif "<title>Sweep of " in document:
        names = [html.unescape(n) for n in re.findall(r'<a href="([^"/]+\.html)">', document)]
    return [
        n
        for n in names
        if isinstance(n, str)
        and re.fullmatch(r"(failed/)?[^/\\]+\.(html|ipynb)", n)
        and n not in {INDEX_NAME, ".", ".."}
    ]


def stale_files(target: Path, items: Sequence[SweepItem], listed: Sequence[str]) -> list[Path]:
    """Files in `target` from an earlier sweep that this sweep's index does not list: those the
    earlier index listed (`listed`) and this sweep neither wrote nor failed to write. The earlier
    version of a report this sweep failed to write stays (a failed run never costs a good report;
    this index lists it as kept), and so does its earlier failed notebook unless this sweep kept its
    own. Names compare casefolded, as sweeps name reports: on a case-insensitive disk (macOS,
    Windows) an earlier index's "Report-A.html" is this sweep's "report-a.html" (a review finding:
    it would have been deleted as stale right after it was written)."""
    ours = {item.path.name.casefold() for item in items}
    kept_failed = {
        f"failed/{item.path.stem}.ipynb".casefold() for item in items if item.error is not None
    }
    candidates = [n for n in listed if n.casefold() not in ours | kept_failed]
    found = []
    for name in dict.fromkeys(candidates):
        path = target / name
        if path.is_file() and not path.is_symlink() and inside(path, target):
            found.append(path)
    return found


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` is in `folder` itself or its `failed/`, symbolic links resolved (a `failed`
    that links elsewhere is not the sweep's: a bug hunt had a sweep delete a file through one)."""
    real, home = path.resolve(), folder.resolve()
    return real.parent in (home, home / "failed")
