"""The `toolkit` command's entry point: a report's kernel interpreter starts before the CLI loads.

The interpreter that becomes a report's kernel imports the notebook's modules for about a second
(`toolkit.jupyter.prespawn`), and that is the longest path of a `toolkit report`. Loading the
command-line framework and parsing the arguments first would delay it by ~0.2 s. So, for `report`
only, this module reads a plain command line (`plain_report`, below) with the standard library, takes
the two arguments the kernel depends on (the notebook and `--pack`), starts the interpreter at once,
and leaves it for `render_report` to adopt (`toolkit.jupyter.prespawn.take_prespawned`). Anything it
does not recognise (`--help`, an unknown or repeated option, a second notebook) means no early start,
and the CLI parses and checks every argument as before. An interpreter nobody adopts is discarded at exit.

`toolkit --help` and `toolkit COMMAND --help` are printed from a cache once typer has rendered them
for the same code and terminal width (`toolkit.cli.helpcache`).

A plain `report` command line (`plain_report`: only `report`'s own options, each once but `-p`) is then
run without loading the command-line framework at all (`toolkit.cli.report_run`, the command's own
body): typer and the pydantic type adapters it builds for every option cost a report ~0.2 s. Anything
else (`--help`, `--list-params`, an unknown or repeated option, `--`) goes to the CLI as before, which
parses and checks it.

It also accepts papermill's `-p name value` for `report` and `sweep` by joining it into the CLI's
`-p name=value` (`join_papermill_params`) before anything parses the arguments.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from toolkit.cli.helpcache import is_help_request, serve_help

PARAM_OPTIONS = frozenset({"-p", "--param"})
PARAM_COMMANDS = frozenset({"report", "sweep"})
REPORT_FLAGS = frozenset({"--show-code"})
REPORT_VALUES = {
    "--scenario": "scenario",
    "--out": "out",
    "--pack": "pack",
    "-p": "param",
    "--param": "param",
}  # `report`'s options that take a value -> run_report's argument


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


def prespawn_report_kernel(found: dict[str, Any]) -> None:
    """Start the kernel interpreter of the plain `toolkit report` line `found` (`plain_report`) now."""
    from toolkit.errors import ToolkitError
    from toolkit.jupyter.prespawn import prespawn_for_adoption
    from toolkit.report.notebook import NotebookSource
    from toolkit.report.plan import kernel_env_for

    try:
        source = NotebookSource.read(found.get("notebook"))
    except (ToolkitError, OSError):
        return  # the report's own check will say what is wrong
    prespawn_for_adoption(source.path.parent, kernel_env_for(found.get("pack")), source.imports)


def _run_cli() -> None:
    from toolkit.cli.app import main as cli_main

    cli_main()


def plain_report(argv: Sequence[str]) -> dict[str, Any] | None:
    """The arguments of `toolkit report ARGV` when every one is plain (see the module doc): a value
    that is not empty and does not start with `-`, at most one notebook; else None."""
    if not argv or argv[0] != "report":
        return None
    found: dict[str, Any] = {"param": []}
    rest = iter(argv[1:])
    for arg in rest:
        if arg in REPORT_FLAGS:
            if "show_code" in found:
                return None
            found["show_code"] = True
            continue
        name, eq, inline = arg.partition("=")
        key = REPORT_VALUES.get(name)
        if key is not None and (not eq or name.startswith("--")):
            value = inline if eq else next(rest, None)
            if not value or value.startswith("-"):
                return None
            if key == "param":
                found["param"].append(value)
            elif key in found:
                return None
            else:
                found[key] = value
            continue
        if arg.startswith("-") or "notebook" in found:
            return None
        found["notebook"] = arg
    return found


def run_plain_report(found: dict[str, Any]) -> None:
    """`toolkit report` with the arguments `plain_report` found, as its command does: the report's
    path on stdout, or a `ToolkitError` as one line on stderr and exit status 2."""
    import gc
    from pathlib import Path

    from toolkit.cli.report_run import run_report
    from toolkit.errors import ERROR_EXIT, ToolkitError, error_line

    def path(key: str) -> Path | None:
        return Path(found[key]) if key in found else None

    try:
        written = run_report(
            path("notebook"),
            scenario=found.get("scenario"),
            params=list(found["param"]),
            out=path("out"),
            show_code=bool(found.get("show_code")),
            pack=path("pack"),
        )
    except ToolkitError as exc:
        sys.stderr.write(error_line(exc) + "\n")
        sys.exit(ERROR_EXIT)
    finally:
        gc.freeze()  # as the CLI's main: no final collection over everything a report loaded
    sys.stdout.write(f"{written}\n")


def main() -> None:
    """Entry point of the `toolkit` script and `python -m toolkit`; Ctrl-C exits 130 without a traceback."""
    from toolkit.fastimport import enter_toolkit_process

    enter_toolkit_process()  # before anything can load jsonschema
    sys.argv[1:] = join_papermill_params(sys.argv[1:])
    try:
        if is_help_request(sys.argv[1:]):
            serve_help(sys.argv[1:], _run_cli)
        if sys.argv[1:] == ["--version"]:  # as the app's --version prints it, without typer
            import toolkit

            sys.stdout.write(f"toolkit {toolkit.__version__}\n")
            return
        if sys.argv[1:2] == ["validate"]:  # other commands never load the memo's modules
            from toolkit.cli.validated import remembered_line

            valid = remembered_line(sys.argv[1:])  # a pack found valid before: no typer, no checks
            if valid is not None:
                sys.stdout.write(f"{valid}\n")
                return
        plain = plain_report(sys.argv[1:])
        if plain is not None:
            prespawn_report_kernel(plain)
            run_plain_report(plain)
            return
        _run_cli()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
