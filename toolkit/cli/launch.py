"""The `toolkit` command's entry point: a report's kernel interpreter starts before the CLI loads.

The interpreter that becomes a report's kernel imports the notebook's modules for about a second
(`toolkit.jupyter.prespawn`), and that is the longest path of a `toolkit report`. Loading the
command-line framework and parsing the arguments first would delay it by ~0.2 s. So, for `report`
only, this module reads the two arguments the kernel depends on (the notebook and `--pack`) with the
standard library, starts the interpreter at once, and leaves it for `render_report` to adopt
(`toolkit.jupyter.prespawn.take_prespawned`). It checks nothing: anything it does not recognise
(`--help`, an unknown option, a second notebook) means no early start, and the CLI parses and checks
every argument as before. An interpreter nobody adopts is discarded at exit.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

VALUE_OPTIONS = frozenset({"--scenario", "-p", "--param", "--out", "--pack"})
FLAG_OPTIONS = frozenset({"--show-code"})


def report_arguments(argv: Sequence[str]) -> tuple[str | None, str | None] | None:
    """(notebook, pack) of a `report` command line, or None if it is not one this module reads."""
    if not argv or argv[0] != "report":
        return None
    notebook: list[str] = []
    pack: str | None = None
    rest = iter(argv[1:])
    for arg in rest:
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


def main() -> None:
    """Entry point of the `toolkit` script and `python -m toolkit`; Ctrl-C exits 130 without a traceback."""
    from toolkit.fastimport import enter_toolkit_process

    enter_toolkit_process()  # before anything can load jsonschema
    try:
        prespawn_report_kernel(sys.argv[1:])
        from toolkit.cli.app import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
