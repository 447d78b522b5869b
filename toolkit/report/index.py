"""A sweep's index page: `index.html` listing every report of the sweep (a `SweepItem`: its parameter
values, its report or its error), the values fixed for all of them, and each report's status (a link,
or the error of a report that failed).

Every value is escaped; the page is deterministic (SOURCE_DATE_EPOCH for its time) and written
atomically. `toolkit.report.sweep` writes it once the reports are done or Ctrl-C stopped them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.jupyter.nbparams import render_value

if TYPE_CHECKING:
    from toolkit.report.plan import ReportPlan


@dataclass(frozen=True)
class SweepItem:
    """One combination: its grid values, its report (if written) or its error."""

    values: dict[str, Any]
    path: Path
    error: str | None = None


def write_index(
    target: Path,
    notebook: str,
    names: list[str],
    plan: ReportPlan,
    items: list[SweepItem],
) -> Path:
    """`index.html`: every report with its parameter values (escaped), deterministic, atomic."""
    from toolkit.files import write_atomic
    from toolkit.jupyter.html_export import generated_at

    e = html.escape
    prov = plan.provenance()
    fixed = [p for p in prov.parameters if p.overridden and p.name not in names]
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    rows = []
    for i, item in enumerate(items, 1):
        cells = "".join(
            f"<td><code>{e(render_value(item.values.get(n)))}</code></td>" for n in names
        )
        if item.error is None:
            link = f'<a href="{e(item.path.name)}">{e(item.path.name)}</a>'
            status = "ok"
        else:
            link = e(item.path.name)
            status = f'<span class="failed">failed: {e(item.error)}</span>'
        rows.append(f"<tr><td>{i}</td>{cells}<td>{link}</td><td>{status}</td></tr>")
    fixed_html = (
        "<p>Fixed for every report: "
        + ", ".join(f"<code>{e(p.name)} = {e(p.value)}</code>" for p in fixed)
        + "</p>"
        if fixed
        else ""
    )
    pack = (
        f"<p>Pack content hash <code>{e(prov.pack_hash or '')}</code>; toolkit "
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
th, td {{ text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #ddd; }}
thead th {{ border-bottom: 2px solid #bbb; }}
.failed {{ color: #b22; }}
a {{ color: #0072b2; }}
</style>
</head>
<body>
<h1>Sweep of <code>{e(notebook)}</code>: {len(items)} reports</h1>
{fixed_html}
{pack}
<table>
<thead><tr><th>#</th>{head}<th>report</th><th>status</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    path = target / "index.html"
    write_atomic(path, document.encode("utf-8"))
    return path
