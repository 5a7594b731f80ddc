"""Start the real sandbox server as a subprocess, for any test that needs the online side.

Usage::

    with running_sandbox(tmp_path, token_lifetime=1) as sandbox:
        with sandbox.client("sync") as api:        # base_url .../api/v1, bearer token set
            api.get("/sync/state")

The process is ``python -m contacts_migration sandbox serve --port 0 ...`` on loopback,
with CONTACTS_MIGRATION_HOME pointed into tmp_path so nothing touches the real profile.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

STARTUP_TIMEOUT: Final = 20.0
STOP_TIMEOUT: Final = 10.0
_URL_LINE = re.compile(r"running at (http://\S+)")


class SandboxStartError(RuntimeError):
    pass


@dataclass
class RunningSandbox:
    """A started sandbox process and what a test needs to talk to it."""

    url: str
    data_dir: Path
    credentials: dict[str, Any]
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1"

    def client_credentials(self, scope: str = "sync") -> tuple[str, str]:
        client = self.credentials["clients"][scope]
        return client["client_id"], client["client_secret"]

    def token(self, scope: str = "sync", *, fresh: bool = False) -> str:
        """An access token for the client of that scope (cached unless ``fresh``)."""
        if fresh or scope not in self._tokens:
            client_id, secret = self.client_credentials(scope)
            response = httpx.post(
                self.api_url + "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                    "scope": scope,
                },
                timeout=10,
            )
            response.raise_for_status()
            self._tokens[scope] = response.json()["access_token"]
        return self._tokens[scope]

    def client(self, scope: str | None = "sync", **kwargs: Any) -> httpx.Client:
        """An httpx client on the API base URL, with a bearer token unless scope is None."""
        headers = dict(kwargs.pop("headers", {}))
        if scope is not None:
            headers["Authorization"] = f"Bearer {self.token(scope)}"
        kwargs.setdefault("timeout", 10)
        return httpx.Client(base_url=self.api_url, headers=headers, **kwargs)

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``sig`` and wait; returns the exit status (killed if it doesn't stop)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


def _arguments(data_dir: Path, options: Mapping[str, Any]) -> list[str]:
    arguments = ["--host", "127.0.0.1", "--port", str(options.get("port", 0))]
    arguments += ["--data", str(data_dir)]
    for name, value in options.items():
        if name == "port" or value is None:
            continue
        arguments += ["--" + name.replace("_", "-"), str(value)]
    return arguments


def start_sandbox(
    tmp_path: Path, *, data_dir: Path | None = None, **options: Any
) -> RunningSandbox:
    """Start a sandbox and wait until it answers; the caller must ``stop()`` it.

    ``options`` are ``serve`` flags in Python spelling: port, token_lifetime, max_body,
    fault_rate, fault_seed, latency_ms, practice_name.
    """
    data_dir = data_dir or tmp_path / "sandbox-data"
    logs = tmp_path / "sandbox-logs"
    logs.mkdir(parents=True, exist_ok=True)
    run = len(list(logs.glob("*.stdout"))) + 1
    stdout_path, stderr_path = logs / f"run{run}.stdout", logs / f"run{run}.stderr"
    env = {**os.environ, "CONTACTS_MIGRATION_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "contacts_migration", "sandbox", "serve"]
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            command + _arguments(data_dir, options), stdout=out, stderr=err, env=env
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxStartError(
                f"sandbox exited with {process.returncode}: "
                + stderr_path.read_text(errors="replace")
            )
        match = _URL_LINE.search(stdout_path.read_text(errors="replace"))
        if match:
            url = match.group(1)
            try:
                if httpx.get(url + "/api/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
        time.sleep(0.02)
    else:
        process.kill()
        process.wait()
        raise SandboxStartError("sandbox did not answer in time: " + stderr_path.read_text())
    assert url is not None
    credentials = json.loads((data_dir / "credentials.json").read_text(encoding="utf-8"))
    return RunningSandbox(url, data_dir, credentials, process, stdout_path, stderr_path)


@contextmanager
def running_sandbox(
    tmp_path: Path, *, data_dir: Path | None = None, **options: Any
) -> Iterator[RunningSandbox]:
    """A started sandbox for the duration of the block; stopped with SIGTERM after."""
    sandbox = start_sandbox(tmp_path, data_dir=data_dir, **options)
    try:
        yield sandbox
    finally:
        if sandbox.process.poll() is None:
            sandbox.stop()
