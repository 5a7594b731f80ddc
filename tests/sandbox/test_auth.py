"""OAuth2 client credentials and scope checks, against the real server."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sandbox.support import api
from tests.sandbox_harness import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("auth")) as running:
        yield running


def _token_request(sandbox: RunningSandbox, **form: str) -> httpx.Response:
    with api(sandbox, scope=None) as client:
        return client.post("/oauth/token", data=form)


def test_good_credentials_get_a_bearer_token_that_works(sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("sync")
    response = _token_request(
        sandbox,
        grant_type="client_credentials",
        client_id=client_id,
        client_secret=secret,
        scope="sync",
    )
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "sync"
    assert token["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with api(sandbox, scope=None, headers=headers) as client:
        assert client.get("/practice").status_code == 200


def test_http_basic_client_authentication_works(sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("read")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    with api(sandbox, scope=None) as client:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert response.status_code == 200
    assert response.json()["scope"] == "read"


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"scope": "admin"}, 400, "invalid_scope"),
    ],
)
def test_bad_token_requests_are_refused(
    sandbox: RunningSandbox, change: dict[str, str], status: int, error: str
) -> None:
    client_id, secret = sandbox.client_credentials("sync")
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    response = _token_request(sandbox, **{**form, **change})
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["message"]


def test_read_client_cannot_get_a_sync_token(sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("read")
    response = _token_request(
        sandbox,
        grant_type="client_credentials",
        client_id=client_id,
        client_secret=secret,
        scope="sync",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_token_request_must_be_a_form(sandbox: RunningSandbox) -> None:
    with api(sandbox, scope=None) as client:
        response = client.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_missing_or_unknown_token_is_401(
    sandbox: RunningSandbox, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    with api(sandbox, scope=None, headers=headers) as client:
        for path in ("/practice", "/sync/state", "/contacts", "/contacts/hashes", "/contacts/1"):
            response = client.get(path)
            assert response.status_code == 401, path
            assert response.json()["error"] == "invalid_token"
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_read_scope_can_read_but_not_write(sandbox: RunningSandbox) -> None:
    with api(sandbox, "read") as client:
        for path in ("/practice", "/terms/current", "/sync/state", "/contacts"):
            assert client.get(path).status_code == 200, path
        assert client.get("/contacts/hashes").status_code == 403  # digests of TFNs: sync only
        refused = [
            client.post("/sync/lease", json={"agent_id": "a", "machine": "m"}),
            client.post("/sync/batches", json={}, headers={"Idempotency-Key": "k"}),
            client.post(
                "/practice/activation",
                json={"terms_version": "x", "accepted_by": "y", "machine": "z"},
            ),
            client.delete("/practice/activation"),
            client.post("/contacts", json={}),
            client.put("/contacts/1", json={}),
        ]
    for response in refused:
        assert response.status_code == 403, response.request.url
        assert response.json()["error"] == "insufficient_scope"


def test_tokens_expire(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, token_lifetime=1) as sandbox:
        # A busy machine may take longer than the lifetime between the token and its
        # first use: take a fresh one until one is used in time.
        for _ in range(50):
            issued = time.monotonic()
            headers = {"Authorization": f"Bearer {sandbox.token('read', fresh=True)}"}
            with api(sandbox, scope=None, headers=headers) as client:
                first = client.get("/practice")
            if first.status_code == 200:
                break
        assert first.status_code == 200
        deadline = time.monotonic() + 30
        with api(sandbox, scope=None, headers=headers) as client:
            while (response := client.get("/practice")).status_code == 200:
                assert time.monotonic() < deadline, "the token never expired"
                time.sleep(0.05)
        assert time.monotonic() - issued >= 1.0  # never before its lifetime
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert "expired" in response.json()["message"]
