"""The sandbox's HTTP connection protocol: uvicorn's, plus two behaviours of its own.

* An injected "dropped connection" fault closes the TCP connection without sending a
  single byte (uvicorn itself would answer 500 to an exception): a scope extension.
* A connection must finish its request line and headers within
  ``HEADER_TIMEOUT_SECONDS`` (uvicorn's keep-alive timer never runs before the first
  request, and any byte cancels it): a client that stalls in its headers is closed.

uvicorn's httptools protocol (llhttp, in C) is used: h11 in pure Python was most of the
event loop's work on a 1 MB batch body. h11 remains the fallback where httptools can't
be imported. The httptools protocol also hands a request body to the app in large pieces
(uvicorn wakes the app at every read and pauses reading at 64 KiB), without growing a
buffer read by read.
"""

from __future__ import annotations

from typing import Any, Final, Self

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sandbox.middleware import DROP_CONNECTION_EXTENSION

#: How long a connection may take to send a request's line and headers.
HEADER_TIMEOUT_SECONDS: Final = 10.0
#: Request body bytes held before the app is woken to take them (and reading pauses
#: until it has): a whole batch in one piece, while an oversized body being drained is
#: still never held whole.
BODY_PIECE_BYTES: Final = 2 * 1024 * 1024
#: The most bytes one socket read takes (asyncio's default is 256 KiB): fewer reads of
#: a batch body when it has piled up while the event loop waited for the GIL.
READ_BYTES: Final = 1024 * 1024


class _BodyPieces:
    """A request body's reads as they came, joined once when the app takes them.

    uvicorn grows one bytearray instead: ~0.8 ms of reallocation for a 1 MB batch on
    the event loop (a join is ~0.03 ms). It stands in for that bytearray: ``+=``,
    ``len`` and ``bytes()`` are all uvicorn asks of it.
    """

    __slots__ = ("_pieces", "_size")

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._size = 0

    def __iadd__(self, piece: bytes) -> Self:
        self._pieces.append(piece)
        self._size += len(piece)
        return self

    def __len__(self) -> int:
        return self._size

    def __bytes__(self) -> bytes:
        return b"".join(self._pieces)  # one piece: that piece itself, not a copy


class _SandboxConnection:
    """The two behaviours, for either uvicorn protocol (mixed in before it)."""

    transport: Any
    loop: Any
    app: Any
    _header_deadline: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})[DROP_CONNECTION_EXTENSION] = self._abort
            await inner(scope, receive, send)

        self.app = app

    def _abort(self) -> None:
        self.transport.abort()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._arm_header_deadline()  # the next request's headers get the same time

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
        self._header_deadline = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._headers_late)

    def _headers_late(self) -> None:
        if self._awaiting_head() and not self.transport.is_closing():
            self.transport.close()  # still no complete request head: never answered

    def _awaiting_head(self) -> bool:
        """True while the connection's next request has not sent all of its head."""
        raise NotImplementedError


class DroppingH11Protocol(_SandboxConnection, H11Protocol):
    """uvicorn's h11 protocol with the sandbox's behaviours (the fallback)."""

    conn: h11.Connection

    def _awaiting_head(self) -> bool:
        return self.conn.their_state is h11.IDLE


def _httptools_protocol() -> type[Any]:
    """The httptools protocol with the sandbox's behaviours, or h11's without httptools."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools wheel for this platform
        return DroppingH11Protocol

    class DroppingHttpToolsProtocol(_SandboxConnection, HttpToolsProtocol):
        """uvicorn's httptools protocol with the sandbox's behaviours."""

        def connection_made(self, transport: Any) -> None:
            if hasattr(transport, "max_size"):  # asyncio's selector transport
                transport.max_size = READ_BYTES
            super().connection_made(transport)

        def _awaiting_head(self) -> bool:
            # A cycle is made when a request's head is complete (a pipelined one
            # replaces the current one at once); answered, the next head is awaited.
            cycle = self.cycle
            return cycle is None or bool(cycle.response_complete)

        _sized = False

        def on_headers_complete(self) -> None:
            names = [name for name, _ in self.headers]
            self._sized = b"content-length" in names and b"transfer-encoding" not in names
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            """uvicorn's, but for a body of a declared length the app is woken (and
            reading paused) only once ``BODY_PIECE_BYTES`` are held or the body is
            complete. A chunked body's app sees every read, as uvicorn does: the token
            route refuses a big one from its first piece."""
            if not self._sized:
                super().on_body(body)
                return
            cycle = self.cycle
            if cycle.response_complete or (self.parser.should_upgrade() and self._should_upgrade()):
                return
            held = cycle.body
            if not isinstance(held, _BodyPieces):  # uvicorn's new (empty) bytearray
                held = cycle.body = _BodyPieces()  # type: ignore[assignment]
            held += body
            if len(held) >= BODY_PIECE_BYTES:
                self.flow.pause_reading()
                cycle.message_event.set()

    return DroppingHttpToolsProtocol


#: The protocol class the sandbox's server runs.
SANDBOX_PROTOCOL: Final = _httptools_protocol()
