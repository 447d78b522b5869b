"""What `toolkit report` does once its arguments are parsed, without the command-line framework.

`toolkit.cli.report.report_command` (typer) calls `run_report`; so does the `toolkit` launcher
(`toolkit.cli.launch`) for a plain `toolkit report` command line it has parsed itself with the
standard library, which spares a report ~0.2 s of start-up (typer, and the pydantic type adapters it
builds for every option). Only the standard library is imported here.
"""

from __future__ import annotations

from pathlib import Path


def check_papermill_style(params: list[str], notebook: Path | None) -> None:
    """`-p troops 15000` that reached the command unjoined (the `toolkit` launcher joins papermill's
    `-p name value` into `-p name=value`): the value was taken for the notebook. Say what was meant."""
    from toolkit.errors import ParameterError, shown

    bare = next((p for p in params if "=" not in p and p.strip().isidentifier()), None)
    if bare is None:
        return
    value = notebook.name if notebook is not None and notebook.suffix != ".ipynb" else "VALUE"
    raise ParameterError(
        f"-p expects name=value, got {shown(bare)}: did you mean -p {bare}={value}?"
    )


def run_report(
    notebook: Path | None,
    *,
    scenario: str | None,
    params: list[str],
    out: Path | None,
    show_code: bool,
    pack: Path | None,
) -> Path:
    """Check the parameters and render the report (`toolkit.report.render.render_report`); returns
    the path written. A problem is a `ToolkitError`."""
    from toolkit.jupyter.nbparams import parse_assignments
    from toolkit.report.render import render_report

    check_papermill_style(params, notebook)
    return render_report(
        notebook,
        scenario=scenario,
        parameters=parse_assignments(params),
        out=out,
        show_code=show_code,
        pack=pack,
        from_text=True,
    )
