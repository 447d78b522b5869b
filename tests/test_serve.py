"""`toolkit serve` cannot be used to exhaust the machine: idle kernels are culled, kernels are capped,
and a token is required off loopback (issue 10, item 14)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tornado import web

from toolkit.explore.kernel_cap import CappedKernelManager
from toolkit.explore.servers import is_loopback, voila_argv


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "localhost", "::1", "[::1]"])
def test_loopback_serves_without_token(host: str) -> None:
    assert is_loopback(host)
    argv = voila_argv(Path("nb.ipynb"), host=host, open_browser=False)
    assert not [a for a in argv if "token" in a]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "::", "myhost.example"])
def test_any_other_address_requires_a_token(host: str) -> None:
    assert not is_loopback(host)
    assert "--Voila.auto_token=True" in voila_argv(Path("nb.ipynb"), host=host)


def test_idle_kernels_are_culled_and_capped() -> None:
    argv = voila_argv(Path("nb.ipynb"), max_kernels=3, cull_idle=120)
    assert "--MappingKernelManager.cull_idle_timeout=120" in argv
    assert "--MappingKernelManager.cull_interval=60" in argv
    assert "--CappedKernelManager.max_kernels=3" in argv
    assert (
        "--VoilaConfiguration.multi_kernel_manager_class="
        "toolkit.explore.kernel_cap.CappedKernelManager"
    ) in argv


def test_capped_manager_refuses_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = CappedKernelManager(max_kernels=2)
    monkeypatch.setattr(manager, "list_kernel_ids", lambda: ["a", "b"])
    with pytest.raises(web.HTTPError) as caught:
        asyncio.run(manager.start_kernel())
    assert caught.value.status_code == 503
    assert "at most 2" in str(caught.value.log_message)


def test_serve_help_names_the_limits() -> None:
    from typer.testing import CliRunner

    from toolkit.cli.app import app

    result = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--max-kernels", "--cull-idle", "token"):
        assert option in result.output


def _refuse_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any server start fail the test: the checks must come before it."""
    from toolkit.explore import servers

    def started(*args: object) -> None:
        raise AssertionError("a server was started")

    monkeypatch.setattr(servers, "require_extra", started)


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "99999"],
        ["serve", "--port", "65536"],
        ["serve", "--port", "-1"],
        ["serve", "--port", "0"],
        ["lab", "--no-browser", "--port", "70000"],
        ["lab", "--no-browser", "--port", "-1"],
    ],
)
def test_a_port_out_of_range_is_refused_before_a_server_starts(
    monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """`--port 99999` printed http://127.0.0.1:99999/ and listened on 34463 (the OS took it modulo
    65536); `--port -1` was a traceback once the server had started (found in a bug hunt)."""
    from typer.testing import CliRunner

    from toolkit.cli.app import app

    _refuse_to_start(monkeypatch)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr == f"error: --port {args[-1]} is not a port: give one in 1..65535\n"


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("999.1.1.1", "error: --host '999.1.1.1': cannot resolve it to an address ("),
        ("192.0.2.7", "error: --host '192.0.2.7': cannot listen on 192.0.2.7 ("),  # TEST-NET-1
    ],
)
def test_a_host_the_server_cannot_listen_on_is_refused_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, host: str, message: str
) -> None:
    """`serve --host 999.1.1.1` (or an address not this machine's) was a socket traceback after Voilà
    had started (found in a bug hunt)."""
    from typer.testing import CliRunner

    from toolkit.cli.app import app

    _refuse_to_start(monkeypatch)
    result = CliRunner().invoke(app, ["serve", "--host", host])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0.0.0.0"])
def test_a_host_the_server_can_listen_on_passes_the_check(host: str) -> None:
    from toolkit.explore.servers import check_host

    check_host(host)
