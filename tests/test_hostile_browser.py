"""A pack whose every free-text field carries hostile Markdown and HTML renders a report that makes no
request, runs no script and shows the text literally, in a real headless Chromium (issue 10)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from .browser_check import CHROMIUM, check_report

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.slow]

HOSTILE = (
    "<script>alert('s')</script> <img src=x onerror=alert('i')> ![](http:host/x.png) "
    "![x](//host/y.png) [l](javascript:alert('l')) **bold** `code` $x$ http://host/z a|b"
)
FREE_TEXT = {"label", "description", "statement", "title", "rationale", "date_note", "assumption"}


def _poison(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: f"{v} {HOSTILE}" if k in FREE_TEXT and isinstance(v, str) else _poison(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_poison(v) for v in node]
    return node


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.pack.load import default_pack_path, load_pack
    from toolkit.report.notebook import default_notebook_path
    from toolkit.report.render import render_report

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    pack = tmp_path_factory.mktemp("hostile") / "pack"
    shutil.copytree(default_pack_path(), pack)
    poisoned = 0
    for path in sorted(pack.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        changed = _poison(data)
        if changed != data:
            poisoned += 1
            path.write_text(yaml.safe_dump(changed, allow_unicode=True, sort_keys=False))
    assert poisoned >= 5
    load_pack(pack)  # still a valid pack: the text is data
    return render_report(
        default_notebook_path(),
        pack=pack,
        parameters={"paths": 500, "sensitivity_paths": 200, "grid_paths": 100, "months": 12},
        out=tmp_path_factory.mktemp("out") / "hostile.html",
    )


def test_hostile_pack_text_makes_no_request_runs_no_script_and_shows_literally(
    hostile_report: Path,
) -> None:
    findings = check_report(hostile_report, timeout_ms=60_000)
    assert findings.external_requests == []
    assert findings.file_requests == []
    assert findings.dialogs == []  # no alert() ran
    assert findings.page_errors == []
    assert HOSTILE in " ".join(findings.body_text.split())  # shown as written
    document = hostile_report.read_text(encoding="utf-8")
    assert "<script>alert(" not in document
    assert "<img src=x" not in document
