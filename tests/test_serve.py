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
