"""Attack 5: guessing client secrets (1,500 wrong secrets at ~490/s, all plain 401s).

Failed token requests are now counted per registered client id (from any address) and
per address (any client ids); over the limit every request for that key is answered 429
with Retry-After *before* the secret is checked, so even the right secret learns nothing.
Only failures count: an agent that fetches many tokens is never throttled. Deterministic:
the limits are counts within a 60 s window, and each test needs only seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.throttle import ADDRESS_FAILURE_LIMIT, CLIENT_FAILURE_LIMIT, FAILURE_WINDOW_SECONDS
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.security.support import TIMEOUT

#: Another loopback address: the "second laptop" of the attacker (Linux routes 127/8).
OTHER_ADDRESS = "127.0.0.2"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path, token_lifetime=2) as running:
        yield running


def _token(
    sandbox: RunningSandbox, client_id: str, secret: str, source: str = "127.0.0.1"
) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=TIMEOUT) as client:
        return client.post(
            sandbox.api_url + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )


def test_guessing_one_clients_secret_is_stopped(sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("sync")
    statuses = [_token(sandbox, client_id, f"guess-{i}").status_code for i in range(30)]
    assert statuses[:CLIENT_FAILURE_LIMIT] == [401] * CLIENT_FAILURE_LIMIT
    assert set(statuses[CLIENT_FAILURE_LIMIT:]) == {429}
    refused = _token(sandbox, client_id, "one-more-guess")
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= FAILURE_WINDOW_SECONDS
    # The right secret gets the same 429 while locked: a guess can't be confirmed...
    assert _token(sandbox, client_id, secret).status_code == 429
    # ...from another address too (the lock is on the client id).
    assert _token(sandbox, client_id, secret, OTHER_ADDRESS).status_code == 429


def test_the_lock_on_one_client_does_not_lock_the_others(sandbox: RunningSandbox) -> None:
    sync_id, _ = sandbox.client_credentials("sync")
    read_id, read_secret = sandbox.client_credentials("read")
    for i in range(CLIENT_FAILURE_LIMIT + 1):
        _token(sandbox, sync_id, f"guess-{i}", OTHER_ADDRESS)
    assert _token(sandbox, read_id, read_secret).status_code == 200


def test_spraying_many_client_ids_from_one_address_is_stopped(sandbox: RunningSandbox) -> None:
    statuses = [
        _token(sandbox, f"made-up-{i}", "guess", OTHER_ADDRESS).status_code
        for i in range(ADDRESS_FAILURE_LIMIT + 5)
    ]
    assert statuses[:ADDRESS_FAILURE_LIMIT] == [401] * ADDRESS_FAILURE_LIMIT
    assert set(statuses[ADDRESS_FAILURE_LIMIT:]) == {429}
    # Another address, and the real agent, are not affected.
    read_id, read_secret = sandbox.client_credentials("read")
    assert _token(sandbox, read_id, read_secret).status_code == 200


def test_many_good_token_requests_are_never_throttled(sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("sync")
    for _ in range(3 * ADDRESS_FAILURE_LIMIT):
        assert _token(sandbox, client_id, secret).status_code == 200


def test_failed_attempts_are_logged_with_the_client_id_never_the_secret(
    sandbox: RunningSandbox,
) -> None:
    client_id, _ = sandbox.client_credentials("sync")
    for i in range(CLIENT_FAILURE_LIMIT + 1):
        _token(sandbox, client_id, f"SECRET-GUESS-{i}-xyzzy")
    log = sandbox.stderr()
    assert log.count(f"failed token request for client id '{client_id}'") == CLIENT_FAILURE_LIMIT
    assert "too many failures for client id" in log
    assert "SECRET-GUESS" not in log and "xyzzy" not in log
