"""Where the project's files are: the package directory, and the project root beside it in a clone."""

from __future__ import annotations

from pathlib import Path

#: The installed `toolkit/` package directory.
PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The directory that holds `toolkit/`, `seeds/` and `notebooks/` in a clone."""
    return PACKAGE_DIR.parent
