"""`toolkit lab` and `toolkit serve`: the live explorer in JupyterLab, or as a Voilà dashboard.

The typer commands in `toolkit.cli.app` only parse options and call `run_lab` / `run_serve` here. Both start
their server in this process (JupyterLab's `LabApp`, Voilà's `Voila`) so Ctrl-C stops everything.

JupyterLab and Voilà are optional (the `lab` and `serve` extras): a missing one is a one-line error that
says how to install it. Installed from a wheel, the notebooks are the copy the wheel ships; JupyterLab
then works on a temporary copy of them, so nothing is saved into the installed package.

Offline: ipywidgets 8 ships its JupyterLab extension prebuilt in the `jupyterlab_widgets` wheel, so
widgets work in JupyterLab 4 with no build step; Voilà serves the same prebuilt extensions itself. The
only external URLs on Voilà's "lab" page are Font Awesome style sheets (jsdelivr) and a lazy Mermaid
import (cdnjs); the `toolkit` template under `toolkit/explore/share/voila/templates/` drops them. Charts are
drawn by the Vega renderer bundled in JupyterLab and Voilà, not fetched. JupyterLab's news prompt
("Would you like to get notified about official Jupyter news?") comes from its announcements plugin,
which `config/labconfig/page_config.json` here disables (a Jupyter config directory put first on
`JUPYTER_CONFIG_PATH` for `toolkit lab` only; the user's own settings are left alone).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit import DISTRIBUTION
from toolkit.errors import ParameterError, ToolkitError
from toolkit.files import PACKAGE_DIR, data_dir

#: The cells of the analyst entry point, `notebooks/explore.ipynb`: the first is tagged `parameters`
#: (papermill injects values after it); its defaults are `toolkit.engine.defaults`' (tests check).
EXPLORE_CELLS: tuple[str, ...] = (
    "# Parameters (papermill injects values after this cell); defaults: toolkit.engine.defaults\n"
    'scenario: str = "baseline"  # the preset the explorer opens with (seeds/scenarios.yaml)\n'
    "paths: int = 10000  # Monte Carlo paths (DEFAULT_EXPLORER_PATHS, for slider speed)\n"
    "months: int = 36  # horizon, in months after month 0\n"
    "seed: int = 20241025  # random seed, the same for every run (common random numbers)\n"
    'as_of: str = ""  # YYYY-MM-DD: month 0 = this date, from the tracker (empty: the pack\'s date)\n'
    'observations: str = ""  # observation log (YAML or CSV) instead of the pack\'s observations.yaml',
    "from toolkit import explore",
    "explore(\n"
    "    scenario=scenario, paths=paths, months=months, seed=seed, as_of=as_of or None,\n"
    "    observations=observations or None,\n"
    ")",
)
EXPLORE_PARAMETERS_CELL = 0
#: Voilà template that serves the dashboard without any CDN link (see the module docstring).
VOILA_TEMPLATE = "toolkit"
DEFAULT_SERVE_PORT = 8866
MAX_PORT = 65535  # TCP ports are 16 bits; 0 (any free port) would print a URL with no real port
DEFAULT_MAX_KERNELS = 8  # explorers open at once (~160 MB each)
DEFAULT_CULL_IDLE = 600  # seconds before an idle explorer's kernel is shut down
_HERE = Path(__file__).resolve().parent
_SHARE = _HERE / "share"
#: A Jupyter config directory for `toolkit lab`: its `labconfig/page_config.json` turns the news off.
LAB_CONFIG_DIR = _HERE / "config"
#: The plugin that asks whether to fetch Jupyter news and then fetches it (JupyterLab 4).
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"


def notebooks_dir() -> Path:
    """The project's `notebooks/`: the clone's, next to `toolkit/`, or the copy an installed wheel ships."""
    return data_dir("notebooks", "explore.ipynb")


def require_extra(module: str, what: str, extra: str) -> None:
    """Fail in one line that says how to install it when `module`, from an optional extra, is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ToolkitError(
            f"{what} is not installed; install it with: pip install '{DISTRIBUTION}[{extra}]'"
        )


def explore_notebook_json() -> dict[str, object]:
    """The explorer notebook as nbformat 4 JSON: code cells (parameters first), no outputs, no
    execution counts."""
    cells: list[dict[str, object]] = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"explore-{index}",
            "metadata": {"tags": ["parameters"]} if index == EXPLORE_PARAMETERS_CELL else {},
            "outputs": [],
            "source": source,
        }
        for index, source in enumerate(EXPLORE_CELLS)
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "title": "Explorer",
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def explore_notebook() -> Path:
    """`notebooks/explore.ipynb` (the clone's or the wheel's); if neither exists, a generated copy in a
    temp dir."""
    path = notebooks_dir() / "explore.ipynb"
    if path.is_file():
        return path
    folder = Path(tempfile.mkdtemp(prefix="toolkit-explore-"))
    path = folder / "explore.ipynb"
    path.write_text(json.dumps(explore_notebook_json(), indent=1) + "\n", encoding="utf-8")
    return path


def _environment(pack: Path | None) -> None:
    """Make the kernel see the chosen pack, and Jupyter find the toolkit's Voilà template."""
    if pack is not None:
        if not pack.is_dir():
            raise ToolkitError(f"--pack: not a directory: {pack}")
        os.environ["TOOLKIT_PACK"] = str(pack.resolve())
    paths = [str(_SHARE), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))


def is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_port(port: int | None) -> None:
    """Refuse a port no socket can have, before a server starts: the OS took 99999 modulo 65536
    (listening on 34463 while the printed URL said 99999), and -1 was a traceback once the server
    had started (found in a bug hunt). No port (None) lets the server choose."""
    if port is not None and not 1 <= port <= MAX_PORT:
        raise ParameterError(f"--port {port} is not a port: give one in 1..{MAX_PORT}")


def check_host(host: str) -> None:
    """Refuse an address the server could not listen on, before a server starts: one that does not
    resolve (999.1.1.1, a misspelt name) or is not this machine's (192.0.2.7) was a traceback after
    Voilà had started (found in a bug hunt). Each address is resolved and bound as the server binds
    them (tornado's `bind_sockets`: passive TCP, IPv6 apart from IPv4), on a free port (0) so that a
    busy port is left to the server's own message."""
    import socket

    address = host.strip("[]") or None  # "" is every interface, as for the server
    try:
        found = socket.getaddrinfo(address, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ParameterError(
            f"--host {host!r}: cannot resolve it to an address ({reason})"
        ) from None
    for family, kind, proto, _, sockaddr in dict.fromkeys(found):
        try:
            _probe_bind(family, kind, proto, sockaddr)
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL and host == "localhost" and sockaddr[0] == "::1":
                continue  # IPv6 half disabled (docker): the server skips this address too
            reason = exc.strerror or type(exc).__name__
            raise ParameterError(
                f"--host {host!r}: cannot listen on {sockaddr[0]} ({reason})"
            ) from None


def _probe_bind(family: int, kind: int, proto: int, sockaddr: tuple[Any, ...]) -> None:
    """Bind a socket to `sockaddr` and close it; OSError if the address cannot be bound (an address
    family the system lacks is skipped, as the server skips it)."""
    import socket

    try:
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        if exc.errno == errno.EAFNOSUPPORT:
            return
        raise
    with sock:
        if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(sockaddr)


def voila_argv(
    notebook: Path,
    port: int = DEFAULT_SERVE_PORT,
    host: str = "127.0.0.1",
    open_browser: bool = True,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    cull_idle: int = DEFAULT_CULL_IDLE,
) -> list[str]:
    """Voilà's command line for the dashboard: code hidden, fixed port, offline template; idle
    kernels culled, at most `max_kernels` at once, and a token required off loopback."""
    argv = [
        str(notebook),
        f"--port={port}",
        "--Voila.port_retries=0",  # fail on a busy port rather than silently pick another
        f"--Voila.ip={host}",
        f"--template={VOILA_TEMPLATE}",
        "--theme=light",
        "--VoilaConfiguration.strip_sources=True",  # code hidden
        "--VoilaConfiguration.show_tracebacks=False",
        # one kernel runs the notebook ahead of the next visitor: a page opens in ~3 s instead of ~10
        "--preheat_kernel=True",
        "--pool_size=1",
        # every page load starts a ~160 MB kernel: cap them, and shut down those idle (a closed tab)
        "--VoilaConfiguration.multi_kernel_manager_class=toolkit.explore.kernel_cap.CappedKernelManager",
        f"--CappedKernelManager.max_kernels={max_kernels}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
        f"--MappingKernelManager.cull_interval={max(1, min(60, cull_idle))}",
        # kernels talk to the server over local sockets, not TCP ports on loopback (which
        # ipykernel warns about on every start: "running over TCP without encryption")
        "--KernelManager.transport=ipc",
    ]
    if not is_loopback(host):
        argv.append("--Voila.auto_token=True")  # others on the network need the printed URL's token
    if not open_browser:
        argv.append("--no-browser")
    return argv


def lab_argv(root: Path, port: int | None = None, open_browser: bool = True) -> list[str]:
    """JupyterLab's command line on `root`, local only. Everything that would go online is off: the
    news feed, the update check, and the PyPI-backed extension manager (read-only instead). As root
    (containers, CI) JupyterLab refuses to start unless told it may."""
    argv = [
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--ServerApp.allow_root=True")
    if port is not None:
        argv += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def run_serve(
    port: int = DEFAULT_SERVE_PORT,
    host: str = "127.0.0.1",
    open_browser: bool = True,
    pack: Path | None = None,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    cull_idle: int = DEFAULT_CULL_IDLE,
) -> None:
    """Serve `notebooks/explore.ipynb` as a Voilà dashboard until interrupted."""
    check_port(port)
    check_host(host)
    require_extra("voila", "Voilà", "serve")
    _environment(pack)
    from voila.app import Voila

    argv = voila_argv(explore_notebook(), port, host, open_browser, max_kernels, cull_idle)
    Voila.launch_instance(argv=argv)


def lab_environment() -> None:
    """Put the toolkit's Jupyter config directory (the news prompt off) first on JUPYTER_CONFIG_PATH."""
    paths = [
        str(LAB_CONFIG_DIR),
        *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)),
    ]
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(paths))


@contextlib.contextmanager
def scratch_copy(folder: Path) -> Iterator[Path]:
    """A temporary copy of the notebooks in `folder`, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="toolkit-lab-") as tmp:
        root = Path(tmp) / "notebooks"
        root.mkdir()
        for notebook in sorted(folder.glob("*.ipynb")):
            shutil.copyfile(notebook, root / notebook.name)
        yield root


def run_lab(port: int | None = None, open_browser: bool = True, pack: Path | None = None) -> None:
    """Start JupyterLab on `notebooks/` until interrupted: the clone's, or, installed from a wheel, a
    temporary copy of the shipped notebooks (removed when JupyterLab stops)."""
    check_port(port)
    require_extra("jupyterlab", "JupyterLab", "lab")
    root = notebooks_dir()
    if not root.is_dir():
        raise ToolkitError(f"no notebooks directory at {root}")
    _environment(pack)
    lab_environment()
    from jupyterlab.labapp import LabApp

    with contextlib.ExitStack() as stack:
        if root.is_relative_to(PACKAGE_DIR):
            root = stack.enter_context(scratch_copy(root))
            print(
                f"toolkit lab: working on a temporary copy of the notebooks ({root}), removed when "
                "JupyterLab stops (`toolkit init DIR` copies them into a folder of your own)",
                file=sys.stderr,
            )
        LabApp.launch_instance(argv=lab_argv(root, port, open_browser))
