"""An answer read by the agent leaves no reference cycle behind (issue 26, memory).

httpx 0.28.1 wraps every answer's stream in a ``BoundAsyncStream`` that points back at
the response; the response holds its request, and an upload's request holds the whole
batch body. Left to the cyclic collector, which a pass runs rarely, those bodies piled up:
the agent grew by every body it sent (850 MB at 90 % of 1,000,000 contacts). Here the
collector is off, so only reference counting can free the request: it must be gone as
soon as the caller lets go of the answer.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from engine.online.network import async_client


class _Chunks(httpx.AsyncByteStream):
    """An answer body that arrives in pieces, as from a socket (the streaming path)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body[:3]
        yield self._body[3:]


def _streamed(request: httpx.Request) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    return httpx.Response(200, headers=headers, stream=_Chunks(b'{"ok": true}'))


def _whole(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("answer", [_streamed, _whole], ids=["streamed", "in memory"])
async def test_an_upload_is_freed_once_its_answer_is_dropped(
    answer: Callable[[httpx.Request], httpx.Response], no_collector: None
) -> None:
    async with async_client(None, transport=httpx.MockTransport(answer)) as client:
        for _ in range(3):
            response = await client.post("https://service.test/sync/batches", content=bytes(1000))
            assert response.json() == {"ok": True}
            request = weakref.ref(response.request)
            del response
            assert request() is None, "the request (and its body) outlived its answer"
