"""What an attacker uses: raw HTTP over a socket (any Host, any body) and the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from engine.local.paths import HOME_ENV

#: Generous: the machine is shared and busy; nothing here measures speed.
TIMEOUT: Final = 30.0
ROOT: Final = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def read_answer(sock: socket.socket) -> RawAnswer:
    """One HTTP/1.1 answer (Content-Length bodies, as the sandbox sends)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawAnswer(status, headers, body[:length])


def raw_request(url: str, request: bytes) -> RawAnswer:
    """Send ``request`` bytes exactly as given to the server of ``url``; read one answer."""
    with socket.create_connection(address(url), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        return read_answer(sock)


def get(url: str, path: str, host: str | None, extra: str = "") -> RawAnswer:
    """``GET path`` with the given Host header (None: no Host header, HTTP/1.0)."""
    if host is None:
        return raw_request(url, f"GET {path} HTTP/1.0\r\n{extra}\r\n".encode())
    head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n"
    return raw_request(url, head.encode("latin-1"))


def run_cli(
    *args: str, home: Path, env: Mapping[str, str] | None = None, umask: int = 0
) -> subprocess.CompletedProcess[str]:
    """``contacts-migration ARGS`` as a separate process, with a permissive umask by
    default (0: every file it creates would be world-writable unless it says otherwise)."""
    environment = {**os.environ, HOME_ENV: str(home), **(env or {})}
    environment.pop("CONTACTS_MIGRATION_CLIENT_SECRET", None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "contacts_migration", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(umask),
        check=False,
    )
