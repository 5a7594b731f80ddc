"""Attack (issue #22, 12): unbounded tokens per client, and a connection that never
finishes its headers.

A read client could mint about 500 tokens a second, each kept 3,600 s (10,000 tokens:
+7 MiB of memory, +6 MB of database), and the service never closed a connection that
stopped partway through its headers. Now one client holds at most
``MAX_LIVE_TOKENS_PER_CLIENT`` live tokens (a new one retires its oldest), and a request
line and headers must arrive within ``HEADER_TIMEOUT_SECONDS``."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from sandbox.auth import MAX_LIVE_TOKENS_PER_CLIENT
from sandbox.server import HEADER_TIMEOUT_SECONDS
from sandbox.storage import DB_FILE_NAME
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.security.support import TIMEOUT, address


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("mint")) as running:
        yield running


def test_a_client_minting_tokens_keeps_only_a_bounded_number(sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("read")
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    minted = MAX_LIVE_TOKENS_PER_CLIENT + 50
    with httpx.Client(timeout=TIMEOUT) as http:
        tokens = [
            http.post(sandbox.api_url + "/oauth/token", data=form).json()["access_token"]
            for _ in range(minted)
        ]

        def status(token: str) -> int:
            answer = http.get(
                sandbox.api_url + "/practice", headers={"Authorization": f"Bearer {token}"}
            )
            return answer.status_code

        assert status(tokens[-1]) == 200  # the latest works
        assert status(tokens[0]) == 401  # the oldest was retired
    with sqlite3.connect(sandbox.data_dir / DB_FILE_NAME) as db:
        (stored,) = db.execute(
            "SELECT count(*) FROM tokens WHERE client_id = ?", (client_id,)
        ).fetchone()
    assert stored <= MAX_LIVE_TOKENS_PER_CLIENT


@pytest.mark.parametrize(
    "partial",
    [b"GET /api/v1/practice HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"G", b""],
    ids=["stalled-headers", "one-byte", "nothing"],
)
def test_a_connection_stalled_in_its_headers_is_closed(
    sandbox: RunningSandbox, partial: bytes
) -> None:
    with socket.create_connection(address(sandbox.url), timeout=TIMEOUT) as sock:
        sock.settimeout(HEADER_TIMEOUT_SECONDS + TIMEOUT)  # generous: a busy machine
        sock.sendall(partial)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            pytest.fail("the service kept the stalled connection open")
    assert data == b""  # closed by the service, no answer
    with sandbox.client("sync") as client:  # and it serves everyone else
        assert client.get("/practice").status_code == 200
