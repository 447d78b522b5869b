"""The `toolkit` command line. Commands are thin: they parse, call the package, print.

Heavy libraries are imported inside commands so `toolkit --help` stays fast. A `ToolkitError` becomes one
line on stderr and exit status 2; `toolkit validate` prints one line per problem and exits 1.
"""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from toolkit.cli import engine as cli_engine
from toolkit.cli import init as cli_init
from toolkit.cli import report as cli_report
from toolkit.cli import scoring as cli_scoring
from toolkit.cli import track as cli_track
from toolkit.cli.options import PackOption, handles_errors
from toolkit.engine.defaults import DEFAULT_MONTHS, DEFAULT_PATHS, DEFAULT_SCENARIO, DEFAULT_SEED
from toolkit.errors import PackError, Problem
from toolkit.files import not_a_file

app = typer.Typer(
    name="toolkit",
    help="Sourced, quantified assessments of a news story, from any valid data pack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        import toolkit

        typer.echo(f"toolkit {toolkit.__version__}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options that come before the command."""


@app.command()
def validate(pack: PackOption = None) -> None:
    """Check a pack: one line per problem (file [record] field: message (value)); exit 1 if any.

    Runs every check the engine runs too: each scenario of the pack is compiled into a model (once
    per pack content and toolkit code: `toolkit.engine.check.check_checked_pack`); then the forecast
    questions of questions.yaml, if any, against the model (`toolkit.track.questions`), and the
    logs: no observation reported after today; forecasts.csv, if any, readable, and no forecast as
    of a day after today or after it was logged.
    """
    from toolkit.cli.validated import pack_digest, remember, remembered
    from toolkit.pack.summary import default_pack_path

    path = pack or default_pack_path()
    digest = pack_digest(path)
    verdict = remembered(path, digest)  # found valid before, nothing changed since
    if verdict is not None:
        typer.echo(f"{path}: {verdict}")
        return

    from toolkit.engine.check import check_checked_pack
    from toolkit.pack.load import validate_pack
    from toolkit.track.questions import check_questions

    try:
        checked = validate_pack(path)  # every check of load_pack, without building the frames
    except PackError as exc:
        _fail_validation(path, exc.problems)
    problems = (
        check_checked_pack(checked)
        or check_questions(checked)
        or [*_observation_dates(path), *_forecast_log(path)]
    )
    if problems:
        _fail_validation(path, problems)
    counts = ", ".join(
        f"{checked.rows[name]} {name}"
        for name in (
            "entities",
            "mentions",
            "relations",
            "events",
            "claims",
            "parameters",
            "observations",
        )
    )
    verdict = f"valid ({counts}); content hash {checked.content_hash[:12]}"
    remember(path, digest, verdict)
    typer.echo(f"{path}: {verdict}")


def _observation_dates(pack: Path) -> list[Problem]:
    """The pack's observations reported after today (the log is otherwise valid by now): a record
    appended with a mistyped year would be skipped by every as-of run until then, without a word."""
    from toolkit.pack.observations import LOG_FILE, check_reported_by, parse_log

    log = Path(pack) / LOG_FILE
    if not log.is_file():
        return []
    problems: list[Problem] = []
    records = parse_log(log.read_bytes(), LOG_FILE, problems)
    check_reported_by(records, LOG_FILE, problems)
    return problems


def _forecast_log(pack: Path) -> list[Problem]:
    """The problems of the pack's forecast log (forecasts.csv), if it has one: a log `score` could
    not read is no valid pack."""
    log = Path(pack) / "forecasts.csv"
    missing = not_a_file(log)
    if missing == "file not found":
        return []
    if missing is not None:  # a directory there is no "no log" (a bug hunt)
        return [Problem(log.name, None, None, str(log), missing)]
    from toolkit.track.forecasts import parse_forecasts

    problems: list[Problem] = []
    parse_forecasts(log.read_bytes(), log.name, problems, now=dt.datetime.now(dt.UTC))
    return problems


def _fail_validation(path: object, problems: list[Problem]) -> NoReturn:
    for problem in problems:
        typer.echo(str(problem), err=True)
    typer.echo(f"{path}: {len(problems)} problem(s)", err=True)
    raise typer.Exit(1)


@app.command()
@handles_errors
def frames(
    pack: PackOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Export every frame into this directory.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Export format: parquet, csv or json.")] = (
        "parquet"
    ),
    show: Annotated[
        str | None, typer.Option(help="Print this frame in full (e.g. --show claims).")
    ] = None,
    schema: Annotated[bool, typer.Option("--schema", help="Print the declared schemas.")] = False,
) -> None:
    """Summarise the pack's frames; print one (--show), the schemas (--schema), or export (--out)."""
    from toolkit.pack.export import (
        check_export,
        describe_frames,
        export_frames,
        print_frame,
        print_schemas,
    )
    from toolkit.pack.load import load_pack

    if out is not None:
        check_export(out, fmt)  # before any work or output

    if schema:
        print_schemas()
        return
    loaded = load_pack(pack)
    if show is not None:
        print_frame(loaded, show)
    else:
        typer.echo(describe_frames(loaded))
    if out is not None:
        for path in export_frames(loaded, out, fmt):
            typer.echo(f"wrote {path}")


@app.command()
@handles_errors
def chart(
    name: Annotated[
        str,
        typer.Argument(
            help="Chart: network, timeline, claims, phases, transfers, responses, policy, "
            "tornado, explorer, track, watch."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Image to write: FILE.png or FILE.svg.")],
    scenario: Annotated[str, typer.Option(help="Scenario (preset) for model charts.")] = (
        DEFAULT_SCENARIO
    ),
    pack: PackOption = None,
    paths: Annotated[int, typer.Option(help="Simulated paths for model charts.")] = DEFAULT_PATHS,
    months: Annotated[int, typer.Option(help="Horizon in months for model charts.")] = (
        DEFAULT_MONTHS
    ),
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEFAULT_SEED,
    scale: Annotated[
        float, typer.Option(help="PNG scale factor (2 = retina): from 0.1 to 10.")
    ] = 2.0,
) -> None:
    """Render one chart to PNG or SVG for slides (offline, via vl-convert)."""
    from toolkit.cli.chart import export_chart

    path = export_chart(
        name,
        out,
        pack_path=pack,
        scenario=scenario,
        paths=paths,
        months=months,
        seed=seed,
        scale=scale,
    )
    typer.echo(f"wrote {path}")


NoBrowserOption = Annotated[
    bool, typer.Option("--no-browser", help="Do not open a web browser.", show_default=False)
]


@app.command()
@handles_errors
def lab(
    pack: PackOption = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default: JupyterLab's, 8888 or the next free one).")
    ] = None,
    no_browser: NoBrowserOption = False,
) -> None:
    """Start JupyterLab on notebooks/ (explore.ipynb is the interactive explorer)."""
    from toolkit.explore.servers import run_lab

    run_lab(port=port, open_browser=not no_browser, pack=pack)


@app.command()
@handles_errors
def serve(
    pack: PackOption = None,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8866,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 shares it on your network.")
    ] = "127.0.0.1",
    no_browser: NoBrowserOption = False,
    max_kernels: Annotated[
        int, typer.Option(min=1, help="Most explorers open at once (one ~160 MB kernel each).")
    ] = 8,
    cull_idle: Annotated[
        int, typer.Option(min=1, help="Seconds before an idle explorer's kernel is shut down.")
    ] = 600,
) -> None:
    """Serve the explorer as a Voilà dashboard (code hidden, works without internet).

    Off loopback (--host 0.0.0.0) a token is required: open the URL with ?token= that it prints.
    """
    from toolkit.explore.servers import run_serve

    run_serve(
        port=port, host=host, open_browser=not no_browser, pack=pack,
        max_kernels=max_kernels, cull_idle=cull_idle,
    )  # fmt: skip


cli_engine.register(app)  # params, simulate
cli_report.register(app)  # report, sweep
cli_init.register(app)  # init
cli_track.register(app)  # track, observe, ingest
cli_scoring.register(app)  # forecast, score, backtest


def main() -> None:
    """Entry point of the `toolkit` script and `python -m toolkit`."""
    try:
        app()
    finally:
        # The process is about to exit: spare the interpreter's final garbage collection a walk over
        # every object a report loaded (~0.3 s after `toolkit report`). Nothing is left to collect
        # that exiting would not free anyway.
        gc.freeze()
