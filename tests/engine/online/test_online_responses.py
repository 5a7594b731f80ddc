"""Hostile answers from the online service: each is a clear error, never a success.

These shapes (HTML error pages, redirects elsewhere, 200 with a wrong body) are hard to
get from a real server, so httpx.MockTransport plays the service here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import httpx
import pytest

from engine.contract.wire import ContentEncoding
from engine.errors import CredentialsRejected, OnlineProtocolError, StaleEpoch, TransientOnlineError
from engine.online.client import BatchResult, Credentials, OnlineClient, encode_batch
from engine.online.compression import EncodedBody

Handler = Callable[[httpx.Request], httpx.Response]


def _token(request: httpx.Request) -> httpx.Response | None:
    if request.url.path.endswith("/oauth/token"):
        return httpx.Response(
            200,
            json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600, "scope": "sync"},
        )
    return None


def client_for(handler: Handler) -> OnlineClient:
    def route(request: httpx.Request) -> httpx.Response:
        return _token(request) or handler(request)

    return OnlineClient(
        "https://service.test", Credentials("id", "secret"), transport=httpx.MockTransport(route)
    )


async def post_batch(
    client: OnlineClient,
    *,
    idempotency_key: str,
    epoch: int,
    base_checkpoint: str | None,
    checkpoint: str,
    upserts_json: Sequence[bytes],
    deletes: Sequence[int],
) -> BatchResult:
    """One plain (uncompressed) batch, encoded as the uploader encodes it."""
    content = encode_batch(epoch, base_checkpoint, checkpoint, upserts_json, deletes)
    body = EncodedBody(content, ContentEncoding.IDENTITY, len(content))
    return await client.post_encoded_batch(body, idempotency_key, checkpoint)


async def _post(client: OnlineClient) -> None:
    await post_batch(
        client,
        idempotency_key="k",
        epoch=1,
        base_checkpoint=None,
        checkpoint="c",
        upserts_json=[b'{"id":"1"}'],
        deletes=[],
    )


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            httpx.Response(
                200, text="<html>Bad gateway</html>", headers={"Content-Type": "text/html"}
            ),
            OnlineProtocolError,
        ),
        (
            httpx.Response(200, content=b"{not json", headers={"Content-Type": "application/json"}),
            OnlineProtocolError,
        ),
        (httpx.Response(200, json={"applied": "yes"}), OnlineProtocolError),
        (
            httpx.Response(
                200, json={"applied_upserts": 1, "applied_deletes": 0, "checkpoint": "other"}
            ),
            OnlineProtocolError,
        ),
        (httpx.Response(302, headers={"Location": "http://evil.test/"}), OnlineProtocolError),
        (
            httpx.Response(502, text="<html>proxy</html>", headers={"Content-Type": "text/html"}),
            TransientOnlineError,
        ),
        (httpx.Response(409, json={"error": "stale_epoch", "message": "x"}), StaleEpoch),
    ],
)
async def test_hostile_batch_answers_raise(response: httpx.Response, error: type) -> None:
    async with client_for(lambda request: response) as client:
        with pytest.raises(error):
            await _post(client)


async def test_429_carries_retry_after() -> None:
    async with client_for(
        lambda request: httpx.Response(429, headers={"Retry-After": "7"}, json={})
    ) as client:
        with pytest.raises(TransientOnlineError) as raised:
            await client.sync_state()
    assert raised.value.retry_after == 7.0


async def test_expired_token_is_refreshed_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if len(seen) == 1:
            return httpx.Response(401, json={"error": "token_expired", "message": "expired"})
        return httpx.Response(
            200, json={"epoch": 3, "checkpoint": None, "contact_count": 0, "checksum": "x"}
        )

    async with client_for(handler) as client:
        state = await client.sync_state()
    assert state.epoch == 3
    assert len(seen) == 2


async def test_rejected_credentials_are_named() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client", "message": "no"})

    client = OnlineClient(
        "https://s.test", Credentials("who", "bad"), transport=httpx.MockTransport(route)
    )
    async with client:
        with pytest.raises(CredentialsRejected, match="who"):
            await client.practice()


async def test_batch_body_is_valid_json() -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(
            200, json={"applied_upserts": 2, "applied_deletes": 1, "checkpoint": "c"}
        )

    async with client_for(handler) as client:
        await post_batch(
            client,
            idempotency_key="k",
            epoch=2,
            base_checkpoint="b",
            checkpoint="c",
            upserts_json=[b'{"id":"1"}', b'{"id":"2"}'],
            deletes=[3],
        )
    assert json.loads(bodies[0]) == {
        "epoch": 2,
        "base_checkpoint": "b",
        "checkpoint": "c",
        "upserts": [{"id": "1"}, {"id": "2"}],
        "deletes": ["3"],
    }
