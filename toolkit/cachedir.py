"""Where the toolkit's cache lives, with the standard library's `os` only (the CLI's fast paths read it
before anything heavier loads): $TOOLKIT_CACHE_DIR, else $XDG_CACHE_HOME/toolkit, else
~/.cache/toolkit."""

from __future__ import annotations

import os
from typing import Final

CACHE_ENV: Final = "TOOLKIT_CACHE_DIR"


def cache_root() -> str:
    """$TOOLKIT_CACHE_DIR, else $XDG_CACHE_HOME/toolkit, else ~/.cache/toolkit."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "toolkit")
