"""Attack 1: a plain ``http://`` service address would carry the client secret and every
contact in clear. Every path that takes an address refuses it before anything is sent;
only loopback (this computer) may use plain http."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import pytest

from engine.errors import InsecureServiceUrl, SettingsError
from engine.local.paths import AppPaths
from engine.online.client import Credentials, OnlineClient
from engine.online.service_url import service_url_problem
from gui.cli import _config_from_flags
from tests.security.support import run_cli

REMOTE_PLAIN = ("http://online.example", "HTTP://Online.Example:80/", "ftp://online.example")
LOCAL_PLAIN = ("http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:8765")


@pytest.mark.parametrize("url", REMOTE_PLAIN)
def test_the_rule_refuses_plain_remote_addresses(url: str) -> None:
    problem = service_url_problem(url)
    assert problem is not None
    assert "only https" in problem or "unencrypted" in problem


@pytest.mark.parametrize("url", (*LOCAL_PLAIN, "https://online.example", "https://10.0.0.5"))
def test_the_rule_allows_https_and_loopback(url: str) -> None:
    assert service_url_problem(url) is None


async def test_the_online_client_sends_nothing_to_a_plain_address() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"access_token": "t", "expires_in": 60})

    with pytest.raises(InsecureServiceUrl) as caught:
        OnlineClient(
            "http://online.example",
            Credentials("sync-1", "the-secret"),
            transport=httpx.MockTransport(record),
        )
    assert sent == []
    assert "https://" in caught.value.fix and "unencrypted" in caught.value.problem


def test_activate_refuses_before_asking_or_sending(tmp_path: Path) -> None:
    result = run_cli(
        "activate",
        "--source",
        f"sqlite:{tmp_path / 'none.db'}",
        "--online",
        "http://online.example",
        "--client-id",
        "sync-1",
        home=tmp_path / "home",
        env={"CONTACTS_MIGRATION_CLIENT_SECRET": "the-secret"},
    )
    assert result.returncode != 0
    assert "https://" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "config" / "settings.toml").exists()


def test_a_settings_file_with_a_plain_address_is_refused_by_every_command(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.toml").write_text(
        '[source]\nurl = "sqlite:/x.db"\n[online]\nurl = "http://online.example"\n'
        'client_id = "sync-1"\n'
    )
    for command in (["run"], ["sync", "--once"], ["verify"]):
        result = run_cli(*command, home=home, env={"CONTACTS_MIGRATION_CLIENT_SECRET": "s"})
        assert result.returncode != 0, command
        assert "online.url" in result.stderr and "https://" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_the_gui_set_up_refuses_a_plain_address(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path, tmp_path, tmp_path, tmp_path, tmp_path)
    args = argparse.Namespace(
        source=f"sqlite:{tmp_path / 'p.db'}",
        credentials=None,
        client_id="sync-1",
        online="http://online.example",
        mapping=None,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONTACTS_MIGRATION_CLIENT_SECRET", "the-secret")
        with pytest.raises(SettingsError, match="https://"):
            _config_from_flags(args, paths)
