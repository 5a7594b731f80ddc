"""The sandbox's HTTP protocol, with httptools and with the h11 fallback: the same
header deadline, the same dropped connection, and a body handed over whole.

Each test serves a tiny ASGI app in-process on a loopback port with one protocol class
and talks to it over a plain socket (the service end to end is in test_faults and
tests/security)."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from sandbox import protocol
from sandbox.middleware import DROP_CONNECTION_EXTENSION

httptools = pytest.importorskip("httptools")

PROTOCOLS = [protocol.SANDBOX_PROTOCOL, protocol.DroppingH11Protocol]
IDS = ["httptools", "h11"]
#: Generous for a busy machine; nothing waits this long unless the behaviour is broken.
WAIT = 20.0


async def _app(scope: Any, receive: Any, send: Any) -> None:
    """``/drop`` drops the connection; ``/first`` answers with the size of the first
    piece of the body; anything else with the body's piece sizes and its SHA-256."""
    if scope["path"] == "/drop":
        scope["extensions"][DROP_CONNECTION_EXTENSION]()
        while (await receive())["type"] != "http.disconnect":
            pass
        return
    if scope["path"] == "/first":
        await _answer(send, str(len((await receive())["body"])).encode())
        return
    pieces = []
    digest = hashlib.sha256()
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
        pieces.append(len(message.get("body", b"")))
        digest.update(message.get("body", b""))
    await _answer(send, f"{','.join(map(str, pieces))} {digest.hexdigest()}".encode())


async def _answer(send: Any, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def _serving(protocol_class: Callable[..., Any]) -> AsyncIterator[tuple[str, int]]:
    loop = asyncio.get_running_loop()
    # keep-alive never closes a connection here: only the header deadline can
    config = uvicorn.Config(_app, lifespan="off", log_config=None, timeout_keep_alive=1000)
    state = ServerState()
    server = await loop.create_server(
        lambda: protocol_class(config=config, server_state=state, app_state={}, _loop=loop),
        "127.0.0.1",
        0,
    )
    try:
        yield server.sockets[0].getsockname()[:2]
    finally:
        for connection in list(state.connections):
            connection.shutdown()
        server.close()
        await server.wait_closed()


async def _exchange(address: tuple[str, int], request: bytes) -> bytes:
    """What the server sends until it closes the connection."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), WAIT)
    finally:
        writer.close()


def test_the_service_runs_httptools_when_it_can() -> None:
    assert protocol.SANDBOX_PROTOCOL.__name__ == "DroppingHttpToolsProtocol"


@pytest.mark.parametrize("protocol_class", PROTOCOLS, ids=IDS)
@pytest.mark.parametrize("partial", [b"GET / HTTP/1.1\r\nHost: x\r\n", b"G", b""])
async def test_a_stalled_head_is_closed_unanswered(
    protocol_class: Callable[..., Any], partial: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "HEADER_TIMEOUT_SECONDS", 0.2)
    async with _serving(protocol_class) as address:
        assert await _exchange(address, partial) == b""


@pytest.mark.parametrize("protocol_class", PROTOCOLS, ids=IDS)
async def test_the_next_request_head_gets_the_same_deadline(
    protocol_class: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "HEADER_TIMEOUT_SECONDS", 0.2)
    async with _serving(protocol_class) as address:
        first = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"
        answer = await _exchange(address, first + b"GET / HTTP/1.1")
    assert answer.startswith(b"HTTP/1.1 200 ")  # the first answered, then closed
    assert answer.count(b"HTTP/1.1") == 1


@pytest.mark.parametrize("protocol_class", PROTOCOLS, ids=IDS)
async def test_a_slow_request_after_its_head_is_not_cut(
    protocol_class: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "HEADER_TIMEOUT_SECONDS", 0.2)
    async with _serving(protocol_class) as address:
        reader, writer = await asyncio.open_connection(*address)
        try:
            writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
            await asyncio.sleep(0.6)  # the head was complete: the deadline doesn't apply
            writer.write(b"cd")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        finally:
            writer.close()
    assert head.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("protocol_class", PROTOCOLS, ids=IDS)
async def test_a_dropped_connection_sends_nothing(protocol_class: Callable[..., Any]) -> None:
    async with _serving(protocol_class) as address:
        request = b"POST /drop HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        try:
            answer = await _exchange(address, request)
        except ConnectionResetError:  # aborted: a reset is as good as an empty close
            answer = b""
    assert answer == b""


@pytest.mark.parametrize("protocol_class", PROTOCOLS, ids=IDS)
async def test_the_app_sees_a_chunked_body_as_it_comes(protocol_class: Callable[..., Any]) -> None:
    async with _serving(protocol_class) as address:
        reader, writer = await asyncio.open_connection(*address)
        try:  # one chunk and no end: the app can refuse it (the token route's limit)
            chunked = b"POST /first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            writer.write(chunked + b"2000\r\n" + b"a" * 0x2000 + b"\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
            body = await asyncio.wait_for(reader.readexactly(4), WAIT)
        finally:
            writer.close()
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == b"8192"


async def test_a_batch_sized_body_reaches_the_app_in_one_piece() -> None:
    size = 3 * 1024 * 1024 // 2  # a large batch: under BODY_PIECE_BYTES
    body = random.Random(1).randbytes(size)  # no period: a piece out of order shows
    async with _serving(protocol.SANDBOX_PROTOCOL) as address:
        head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        answer = await _exchange(address, head.encode() + body)
    assert answer.endswith(f"\r\n\r\n{size} {hashlib.sha256(body).hexdigest()}".encode())


async def test_a_larger_body_arrives_whole_in_bounded_pieces() -> None:
    size = 5 * protocol.BODY_PIECE_BYTES + 12345
    body = random.Random(2).randbytes(size)
    async with _serving(protocol.SANDBOX_PROTOCOL) as address:
        head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        answer = await _exchange(address, head.encode() + body)
    sizes, _, digest = answer.partition(b"\r\n\r\n")[2].partition(b" ")
    pieces = [int(n) for n in sizes.split(b",")]
    assert digest.decode() == hashlib.sha256(body).hexdigest()  # every byte, in order
    assert sum(pieces) == size
    assert max(pieces) < protocol.BODY_PIECE_BYTES + protocol.READ_BYTES  # never held whole
