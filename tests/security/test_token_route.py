"""Attack 3: a 4 MiB form to the unauthenticated ``/oauth/token`` was parsed on the
event loop (1.2 s of CPU each) and stalled every other request. The token route now
refuses anything over 4 KiB from its Content-Length, before reading it, and a form
with more than a handful of fields before parsing it.

Attack 10 (same route): expired tokens stayed in memory until used again."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.auth import MAX_FORM_FIELDS, MAX_TOKEN_REQUEST_BYTES, Authenticator
from sandbox.credentials import ensure_credentials
from sandbox.storage import Store
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.security.support import TIMEOUT, address, read_answer

BIG: int = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("token")) as running:
        yield running


def _token_head(sandbox: RunningSandbox, length: int) -> bytes:
    _, port = address(sandbox.url)
    return (
        f"POST /api/v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_a_4_mib_form_is_refused_without_being_read(sandbox: RunningSandbox) -> None:
    """The attacker announces 4 MiB and sends only the first kilobyte: the 413 comes
    back anyway (the service never waited for, read or parsed the rest)."""
    with socket.create_connection(address(sandbox.url), timeout=TIMEOUT) as sock:
        sock.sendall(_token_head(sandbox, BIG) + b"grant_type=client_credentials&x=" + b"a" * 1000)
        answer = read_answer(sock)
        assert answer.status == 413
        assert b"payload_too_large" in answer.body
        assert answer.header("connection") == "close"
        # And the connection is closed: no more upload (FIN, or RST for unread bytes).
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""


def test_a_big_form_without_content_length_is_cut_off(sandbox: RunningSandbox) -> None:
    _, port = address(sandbox.url)
    head = (
        f"POST /api/v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"a" * 8192
    with socket.create_connection(address(sandbox.url), timeout=TIMEOUT) as sock:
        sock.sendall(head + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        assert read_answer(sock).status == 413


def test_a_form_at_the_limit_is_still_an_answer(sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("sync")
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    padded = httpx.QueryParams(form).__str__()
    assert len(padded) < MAX_TOKEN_REQUEST_BYTES
    response = httpx.post(
        sandbox.api_url + "/oauth/token",
        content=padded.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200


def test_a_form_with_many_fields_is_refused_unparsed(sandbox: RunningSandbox) -> None:
    body = "&".join(f"f{i}=" for i in range(1000))[: MAX_TOKEN_REQUEST_BYTES - 10]
    response = httpx.post(
        sandbox.api_url + "/oauth/token",
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 400
    assert f"at most {MAX_FORM_FIELDS} fields" in response.json()["message"]


def test_the_service_keeps_answering_while_big_forms_arrive(sandbox: RunningSandbox) -> None:
    """Ten senders hold 4 MiB token uploads open; a normal request still gets its answer
    (no timing: it must simply not be stuck behind them)."""
    senders = []
    try:
        for _ in range(10):
            sock = socket.create_connection(address(sandbox.url), timeout=TIMEOUT)
            sock.sendall(_token_head(sandbox, BIG) + b"a" * 4096)
            senders.append(sock)
        with sandbox.client("read") as client:
            assert client.get("/sync/state").status_code == 200
        for sock in senders:
            with contextlib.suppress(ConnectionResetError):  # closed before we read it
                assert read_answer(sock).status == 413
    finally:
        for sock in senders:
            sock.close()


def test_expired_tokens_are_dropped_from_memory(tmp_path: Path) -> None:
    """A client minting many short-lived tokens does not grow the service (a fake clock
    makes this exact; the route is the same one the process serves)."""
    now = [1_000_000.0]
    store = Store(tmp_path / "db.sqlite")
    try:
        credentials, _ = ensure_credentials(tmp_path, store, "http://127.0.0.1:1", None)
        client = credentials.as_json()["clients"]["sync"]
        auth = Authenticator(store, lifetime=5, clock=lambda: now[0])
        form = {
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
        for _ in range(200):
            auth.issue(form, None)
            now[0] += 1.0
        assert auth.live_token_count() <= 6  # only the ones minted in the last 5 s
    finally:
        store.close()
