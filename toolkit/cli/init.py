"""`toolkit init DIR`: a working folder with an editable copy of a pack and the notebooks.

What cookiecutter or `quarto create` users expect of an installed tool: `DIR/seeds/` (the default pack,
or `--pack`) and `DIR/notebooks/` (`report.ipynb`, `explore.ipynb`, `scorecard.ipynb`), then the commands to run there.
The copying is `toolkit.files.init_workspace`; this module checks the arguments and prints.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.options import handles_errors
from toolkit.errors import ToolkitError


def register(app: typer.Typer) -> None:
    """Add `init` to `app`."""
    app.command("init")(init)


@handles_errors
def init(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="Folder to create (or an empty one).", show_default=False
        ),
    ],
    pack: Annotated[
        Path | None,
        typer.Option(
            "--pack",
            help="Pack to copy into DIR/seeds (default: the default pack).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Make a working folder: DIR/seeds (an editable pack) and DIR/notebooks; refuse a non-empty DIR."""
    from toolkit.files import data_dir, init_workspace
    from toolkit.pack.load import META_FILE, default_pack_path

    source = pack if pack is not None else default_pack_path()
    if not (source / META_FILE).is_file():
        raise ToolkitError(f"--pack {str(source)!r}: not a pack (no {META_FILE})")
    seeds, notebooks = init_workspace(folder, source, data_dir("notebooks", "report.ipynb"))
    count = sum(1 for path in seeds.rglob("*") if path.is_file())
    names = ", ".join(sorted(path.name for path in notebooks.iterdir()))
    typer.echo(f"created {seeds}/ (the pack, {count} files) and {notebooks}/ ({names})")
    typer.echo(
        "next:\n"
        f"  cd {shlex.quote(str(folder))}\n"
        "  toolkit validate --pack seeds                        # after editing seeds/\n"
        "  toolkit report notebooks/report.ipynb --pack seeds   # writes reports/report.html"
    )
