"""Importing the toolkit changes nothing in the importing session (issue 14): the Altair theme stays the
session's, optional modules stay importable. Only the toolkit's own processes (the `toolkit` command,
report kernels) mark slow optional imports absent. Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys


def _run_raw(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip().splitlines()[-1]


def _run(code: str) -> dict[str, object]:
    return dict(json.loads(_run_raw(code)))


def test_importing_charts_leaves_the_session_alone() -> None:
    seen = _run(
        "import json, sys\n"
        "import toolkit.charts, toolkit.report.render, toolkit.report.sweep\n"
        "import altair as alt\n"
        "import isoduration, rfc3987_syntax\n"
        "spec = alt.Chart(alt.Data(values=[{'x': 1}])).mark_point().to_dict()\n"
        "print(json.dumps({'active': alt.theme.active,\n"
        "    'registered': toolkit.charts.THEME_NAME in alt.theme.names(),\n"
        "    'config': spec.get('config'),\n"
        "    'blocked': [m for m in ('isoduration', 'rfc3987_syntax') if sys.modules.get(m, 1) is None]}))"
    )
    assert seen["active"] == "default"
    assert seen["registered"] is True
    assert seen["config"] == {"view": {"continuousWidth": 300, "continuousHeight": 300}}  # Altair's
    assert seen["blocked"] == []


def test_toolkit_charts_carry_their_theme_whatever_theme_is_enabled() -> None:
    seen = _run(
        "import json\n"
        "import altair as alt\n"
        "alt.theme.enable('dark')\n"
        "from toolkit import charts\n"
        "from toolkit.charts.theme import OKABE_ITO\n"
        "from toolkit.pack.load import load_pack\n"
        "spec = charts.chart_claims(load_pack()).to_dict()\n"
        "print(json.dumps({'active': alt.theme.active, 'range': spec['config']['range'],\n"
        "    'background': spec['config']['background'], 'okabe': list(OKABE_ITO)}))"
    )
    assert seen["active"] == "dark"
    assert seen["range"] == {"category": seen["okabe"]}
    assert seen["background"] == "white"  # the toolkit's, not the dark theme's


def test_the_toolkit_command_blocks_slow_imports_in_its_own_process() -> None:
    seen = _run(
        "import json, sys\n"
        "sys.argv = ['toolkit', '--version']\n"
        "from toolkit.cli.launch import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps({m: m in sys.modules and sys.modules[m] is None\n"
        "    for m in ('isoduration', 'rfc3987_syntax', 'anywidget')}))"
    )
    assert seen == {"isoduration": True, "rfc3987_syntax": True, "anywidget": True}


def test_altair_in_the_toolkits_own_process_loads_no_widgets() -> None:
    """Altair imports anywidget (ipywidgets, IPython) whenever it is installed; the command and the
    report kernels draw no widgets, so there it is marked absent before Altair loads. Elsewhere (a
    user's session, the explorer's kernel) Altair keeps it."""
    probe = (
        "import json, sys\n"
        "{enter}"
        "import altair\n"
        "print(json.dumps(sorted({{m.split('.')[0] for m, v in sys.modules.items() if v}}\n"
        "    & {{'anywidget', 'ipywidgets', 'IPython'}})))"
    )
    enter = "from toolkit.fastimport import enter_toolkit_process\nenter_toolkit_process()\n"
    assert json.loads(_run_raw(probe.format(enter=enter))) == []
    assert json.loads(_run_raw(probe.format(enter=""))) == ["IPython", "anywidget", "ipywidgets"]


def test_a_report_kernels_warm_up_blocks_slow_imports() -> None:
    seen = _run(
        "import json, sys\n"
        "from toolkit.fastimport import block_slow_optional_imports\n"
        "block_slow_optional_imports()  # not the toolkit's process: nothing happens\n"
        "before = 'isoduration' in sys.modules\n"
        "from toolkit.jupyter.kernel_state import warm_up\n"
        "warm_up(['json'], offline_charts=False)\n"
        "print(json.dumps({'before': before, 'after': sys.modules.get('isoduration', 1) is None}))"
    )
    assert seen == {"before": False, "after": True}
