"""`toolkit report` and `toolkit sweep`: thin command functions (registered on the app in toolkit/cli/app.py).

Only typer is imported here; papermill, nbconvert and Altair load inside the commands, so
`toolkit --help` stays fast. A `ToolkitError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.options import PackOption, handles_errors

NotebookArgument = Annotated[
    Path | None,
    typer.Argument(
        help="Parameterized notebook (default: notebooks/report.ipynb, the clone's or the installed copy).",
        show_default=False,
    ),
]
ScenarioOption = Annotated[
    str | None, typer.Option("--scenario", help="Scenario id from the pack.", show_default=False)
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "-p",
        "--param",
        help="Notebook parameter as name=value (repeatable); checked before any kernel starts.",
        show_default=False,
    ),
]
ShowCodeOption = Annotated[
    bool, typer.Option("--show-code", help="Keep the code cells in the HTML (hidden by default).")
]


@handles_errors
def report_command(
    notebook: NotebookArgument = None,
    scenario: ScenarioOption = None,
    param: ParamOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Report file (default: reports/<notebook>[-<scenario>].html).",
            show_default=False,
        ),
    ] = None,
    show_code: ShowCodeOption = False,
    pack: PackOption = None,
) -> None:
    """Render a notebook into one self-contained, offline HTML report; print its path."""
    from toolkit.jupyter.nbparams import parse_assignments
    from toolkit.report.render import render_report

    path = render_report(
        notebook,
        scenario=scenario,
        parameters=parse_assignments(param or []),
        out=out,
        show_code=show_code,
        pack=pack,
        from_text=True,
    )
    typer.echo(str(path))


@handles_errors
def sweep_command(
    grid: Annotated[
        list[str],
        typer.Option(
            "--grid",
            help="name=v1,v2,... (repeatable): one report per combination of the values.",
        ),
    ],
    notebook: NotebookArgument = None,
    scenario: ScenarioOption = None,
    param: ParamOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Reports rendered at once, one kernel each (default: one per CPU, at most 4).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output directory (default: reports/sweep-<notebook>/).",
            show_default=False,
        ),
    ] = None,
    show_code: ShowCodeOption = False,
    pack: PackOption = None,
    shared_assets: Annotated[
        bool,
        typer.Option(
            "--shared-assets",
            help="Write the chart library once, beside index.html, instead of into every report "
            "(smaller reports that open offline as a folder; default: each report self-contained).",
        ),
    ] = False,
) -> None:
    """Render one report per combination of --grid values, and an index.html listing them."""
    from toolkit.jupyter.nbparams import parse_assignments, split_values
    from toolkit.report.sweep import SweepInterrupted, sweep

    parsed = parse_assignments(grid)
    try:
        result = sweep(
            {name: split_values(values) for name, values in parsed.items()},
            notebook=notebook,
            scenario=scenario,
            parameters=parse_assignments(param or []),
            workers=workers,
            out_dir=out,
            show_code=show_code,
            pack=pack,
            from_text=True,
            progress=True,
            shared_assets=shared_assets,
        )
    except SweepInterrupted as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(130) from None
    typer.echo(str(result.index))


def register(app: typer.Typer) -> None:
    """Add `report` and `sweep` to the toolkit's typer app."""
    app.command("report")(report_command)
    app.command("sweep")(sweep_command)
