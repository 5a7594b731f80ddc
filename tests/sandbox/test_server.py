"""The ``sandbox serve`` process: clean stops, private reused credentials, persistence,
plain errors for bad input, logs without secrets, added latency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox
from tests.sign_in_support import signed_in_browser

Start = Callable[..., RunningSandbox]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_server_cleanly(sandbox_factory: Start, sig: int) -> None:
    sandbox = sandbox_factory()
    with api(sandbox) as client:
        assert client.get("/practice").status_code == 200
        assert sandbox.stop(sig) == 0
    assert "Traceback" not in sandbox.stderr()
    assert "Sandbox stopped." in sandbox.stdout()
    with pytest.raises(httpx.ConnectError):
        httpx.get(sandbox.url + "/api/v1/openapi.json")


def test_credentials_are_private_reused_and_data_persists(
    sandbox_factory: Start, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = sandbox_factory(data_dir=data, practice_name="Persistent & Co")
    path = data / "credentials.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (data / "sandbox.db").stat().st_mode & 0o077 == 0
    saved = json.loads(path.read_text())
    assert saved["url"] == first.url
    assert set(saved["clients"]) == {"sync", "read", "desktop"}
    assert saved["clients"]["sync"]["client_id"] != saved["clients"]["read"]["client_id"]
    assert f"Credentials and sign-in users: {path}" in first.stdout()

    with api(first) as client:
        record = activate(client)
        agent = Agent(client)
        agent.send_ok([contact(1), contact(2)])
        before = agent.state()
    token = first.token("read")
    assert first.stop() == 0

    second = sandbox_factory(data_dir=data)
    again = json.loads(path.read_text())
    assert path.stat().st_mode & 0o777 == 0o600
    assert again["url"] == second.url
    assert {**again, "url": None} == {**saved, "url": None}
    with api(second, scope=None, headers={"Authorization": f"Bearer {token}"}) as old_token:
        practice = old_token.get("/practice").json()  # tokens survive a restart
        assert practice["name"] == "Persistent & Co"
        assert practice["practice_id"] == saved["practice_id"]
        assert practice["contacts_migration"] == {
            key: record[key] for key in practice["contacts_migration"]
        }
        assert old_token.get("/sync/state").json() == {**before, "checksum": None}  # read
        assert old_token.get("/contacts/2").json() == contact(2)


def _serve(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "contacts_migration", "sandbox", "serve", *arguments]
    env_home = {"CONTACTS_MIGRATION_HOME": str(tmp_path / "home")}

    return subprocess.run(
        command, capture_output=True, text=True, timeout=30, env={**os.environ, **env_home}
    )


def test_port_in_use_is_one_plain_line(sandbox_factory: Start, tmp_path: Path) -> None:
    sandbox = sandbox_factory()
    port = sandbox.url.rsplit(":", 1)[1]
    result = _serve(tmp_path, "--port", port, "--data", str(tmp_path / "other"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "already in use" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_data_folder_is_one_plain_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _serve(tmp_path, "--port", "0", "--data", str(blocker / "sandbox"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--data" in lines[0], result.stderr


def test_damaged_credentials_file_is_one_plain_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "credentials.json").write_text("{not json")
    result = _serve(tmp_path, "--port", "0", "--data", str(data))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "credentials" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "arguments", [["--fault-rate", "2"], ["--port", "70000"], ["--token-lifetime", "0"]]
)
def test_bad_options_exit_2(tmp_path: Path, arguments: list[str]) -> None:
    result = _serve(tmp_path, *arguments, "--data", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d").exists()


def test_request_log_leaves_out_secrets_and_contacts(sandbox_server: RunningSandbox) -> None:
    secret_name = "Zebediah Quartermaine"
    with api(sandbox_server) as client:
        activate(client)
        Agent(client).send_ok([contact(1, main_name=secret_name)])
        client.get("/contacts/1")
        client.get("/contacts/999")
        with signed_in_browser(sandbox_server.url, sandbox_server.credentials) as browser:
            page = browser.get("/", params={"q": secret_name})
        assert secret_name in page.text
    log = sandbox_server.stderr()
    assert "POST /api/v1/sync/batches 200" in log
    assert "GET /api/v1/contacts/1 200" in log
    assert "GET / 200" in log
    assert "GET /api/v1/contacts/999 404 not_found" in log
    for secret in (
        sandbox_server.token("sync"),
        sandbox_server.credentials["clients"]["sync"]["client_secret"],
        sandbox_server.credentials["clients"]["read"]["client_secret"],
        secret_name,
        "Zebediah",
        *(user["password"] for user in sandbox_server.credentials["users"]),
    ):
        assert secret not in log


@pytest.mark.sandbox_options(latency_ms=150)
def test_latency_is_added_to_api_requests(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server, "read") as client:
        started = time.perf_counter()
        client.get("/practice")
        assert time.perf_counter() - started >= 0.15
