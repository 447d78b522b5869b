"""`toolkit report` and `toolkit sweep`: thin command functions (registered on the app in toolkit/cli/app.py).

Only typer is imported here; papermill, nbconvert and Altair load inside the commands, so
`toolkit --help` stays fast. A `ToolkitError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from toolkit.cli.options import PackOption, SchedulerOption, handles_errors

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
        help="Notebook parameter as name=value, or papermill's name value (repeatable); a model "
        "parameter (toolkit params) goes into the notebook's overrides. Checked before any kernel "
        "starts.",
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
            help="Report file, FILE.html (default: reports/<notebook>[-<scenario>].html, with the "
            "scenario given by --scenario or -p scenario=...).",
            show_default=False,
        ),
    ] = None,
    show_code: ShowCodeOption = False,
    pack: PackOption = None,
    list_params: Annotated[
        bool,
        typer.Option(
            "--list-params",
            help="List the notebook's parameters (type, default, help) and exit; nothing is run.",
        ),
    ] = False,
) -> None:
    """Render a notebook into one self-contained, offline HTML report; print its path."""
    from toolkit.cli.report_run import run_report

    if list_params:
        from toolkit.report.notebook import NotebookInfo
        from toolkit.report.plan import describe_parameters

        typer.echo(describe_parameters(NotebookInfo.read(notebook)))
        return
    path = run_report(
        notebook, scenario=scenario, params=param or [], out=out, show_code=show_code, pack=pack
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
            help="Output directory, the sweep's own: reports an earlier sweep left there are "
            "removed (default: reports/sweep-<notebook>/).",
            show_default=False,
        ),
    ] = None,
    show_code: ShowCodeOption = False,
    pack: PackOption = None,
    scheduler: SchedulerOption = None,
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
    from toolkit.cli.report_run import check_papermill_style
    from toolkit.errors import error_line
    from toolkit.jupyter.nbparams import parse_assignments, split_values
    from toolkit.report.sweep import SweepInterrupted, sweep

    check_papermill_style(param or [], notebook)
    parsed = parse_assignments(grid)
    run: Any = sweep if scheduler is None else cluster_sweep(scheduler)  # toolkit.distributed
    try:
        result = run(
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
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(130) from None
    typer.echo(str(result.index))


def cluster_sweep(scheduler: str) -> Any:
    """`toolkit.distributed.sweep.sweep` on `scheduler`, printing the dashboard line on stderr."""
    import functools

    from toolkit.distributed.sweep import sweep

    return functools.partial(
        sweep, client=scheduler, announce=lambda line: typer.echo(line, err=True)
    )


def register(app: typer.Typer) -> None:
    """Add `report` and `sweep` to the toolkit's typer app."""
    app.command("report")(report_command)
    app.command("sweep")(sweep_command)
