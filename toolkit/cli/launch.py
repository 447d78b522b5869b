"""The `toolkit` command's entry point: a report's kernel interpreter starts before the CLI loads.

The interpreter that becomes a report's kernel imports the notebook's modules for about a second
(`toolkit.jupyter.prespawn`), and that is the longest path of a `toolkit report`. Loading the
command-line framework and parsing the arguments first would delay it by ~0.2 s. So, for `report`
only, this module reads the two arguments the kernel depends on (the notebook and `--pack`) with the
standard library, starts the interpreter at once, and leaves it for `render_report` to adopt
(`toolkit.jupyter.prespawn.take_prespawned`). It checks nothing: anything it does not recognise
(`--help`, an unknown option, a second notebook) means no early start, and the CLI parses and checks
every argument as before. An interpreter nobody adopts is discarded at exit.

`toolkit --help` and `toolkit COMMAND --help` are printed from a cache once typer has rendered them
for the same code and terminal width (`toolkit.cli.helpcache`).

It also accepts papermill's `-p name value` for `report` and `sweep` by joining it into the CLI's
`-p name=value` (`join_papermill_params`) before anything parses the arguments.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from toolkit.cli.helpcache import is_help_request, serve_help

VALUE_OPTIONS = frozenset({"--scenario", "-p", "--param", "--out", "--pack"})
FLAG_OPTIONS = frozenset({"--show-code", "--list-params"})
NO_KERNEL_FLAGS = frozenset({"--list-params"})  # the command runs no notebook
PARAM_OPTIONS = frozenset({"-p", "--param"})
PARAM_COMMANDS = frozenset({"report", "sweep"})


def join_papermill_params(argv: Sequence[str]) -> list[str]:
    """`report -p troops 15000` (papermill's style) -> `report -p troops=15000`, for `report` and
    `sweep`: a `-p NAME` whose NAME has no `=` takes the next argument as its value, unless that is
    an option (a negative number is a value). Anything else is left as it is."""
    args = list(argv)
    if not args or args[0] not in PARAM_COMMANDS:
        return args
    out = [args[0]]
    i = 1
    while i < len(args):
        arg = args[i]
        out.append(arg)
        i += 1
        if arg == "--":
            out += args[i:]
            break
        if arg in PARAM_OPTIONS and i + 1 < len(args):
            name, value = args[i], args[i + 1]
            if "=" not in name and name.isidentifier() and not _is_option(value):
                out.append(f"{name}={value}")
                i += 2
    return out


def _is_option(arg: str) -> bool:
    if not arg.startswith("-") or arg == "-":
        return False
    try:
        float(arg)
    except ValueError:
        return True
    return False


def report_arguments(argv: Sequence[str]) -> tuple[str | None, str | None] | None:
    """(notebook, pack) of a `report` command line, or None if it is not one this module reads."""
    if not argv or argv[0] != "report":
        return None
    notebook: list[str] = []
    pack: str | None = None
    rest = iter(argv[1:])
    for arg in rest:
        if arg in NO_KERNEL_FLAGS:
            return None
        if arg in FLAG_OPTIONS:
            continue
        name, eq, inline = arg.partition("=")
        if name in VALUE_OPTIONS and arg.startswith("--" if eq else "-"):
            value = inline if eq else next(rest, None)
            if value is None:
                return None
            if name == "--pack":
                pack = value
            continue
        if arg.startswith("-"):
            return None
        notebook.append(arg)
    if len(notebook) > 1:
        return None
    return (notebook[0] if notebook else None, pack)


def prespawn_report_kernel(argv: Sequence[str]) -> None:
    """Start the kernel interpreter of `toolkit report ARGV` now, if the arguments are plain."""
    parsed = report_arguments(argv)
    if parsed is None:
        return
    from toolkit.errors import ToolkitError
    from toolkit.jupyter.prespawn import prespawn_for_adoption
    from toolkit.report.notebook import NotebookSource
    from toolkit.report.plan import kernel_env_for

    notebook, pack = parsed
    try:
        source = NotebookSource.read(notebook)
    except (ToolkitError, OSError):
        return  # the CLI will say what is wrong
    prespawn_for_adoption(source.path.parent, kernel_env_for(pack), source.imports)


def _run_cli() -> None:
    from toolkit.cli.app import main as cli_main

    cli_main()


def main() -> None:
    """Entry point of the `toolkit` script and `python -m toolkit`; Ctrl-C exits 130 without a traceback."""
    from toolkit.fastimport import enter_toolkit_process

    enter_toolkit_process()  # before anything can load jsonschema
    sys.argv[1:] = join_papermill_params(sys.argv[1:])
    try:
        if is_help_request(sys.argv[1:]):
            serve_help(sys.argv[1:], _run_cli)
        prespawn_report_kernel(sys.argv[1:])
        _run_cli()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
