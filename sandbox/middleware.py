"""Raw ASGI layers around the app: request log, added latency, injected faults.

Raw ASGI (not BaseHTTPMiddleware) so a fault can be decided before the body is read and
a dropped connection can happen before any byte of a response is sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final, assert_never

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.contract.wire import API_PREFIX, RETRY_AFTER_HEADER, ErrorCode
from sandbox import jsonio
from sandbox.errors import ApiError
from sandbox.faults import RETRY_AFTER_SECONDS, Fault, FaultInjector
from sandbox.security import printable

#: ASGI scope extension holding a callable that aborts the TCP connection; set by the
#: sandbox's uvicorn protocol (sandbox.server), absent elsewhere (e.g. in-process tests).
DROP_CONNECTION_EXTENSION: Final = "sandbox.drop_connection"

http_log = logging.getLogger("sandbox.http")


class AccessLog:
    """One line per request: method, path (no query: it may hold contact names), status,
    error code if any, duration. Never headers or bodies, so tokens, secrets and contacts
    stay out of logs; the path with control characters escaped, so a ``%0A`` in it can't
    forge a line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            code = scope.get("state", {}).get("error_code")  # set by the ApiError handler
            http_log.info(
                "%s %s %s%s %.1f ms",
                printable(scope["method"]),
                printable(scope["path"]),
                status[0] if status else "dropped",
                f" {code}" if code else "",
                (time.perf_counter() - started) * 1000,
            )


class Latency:
    """Delays every API request, to make the engine's timeouts and pipelining visible."""

    def __init__(self, app: ASGIApp, latency_ms: int) -> None:
        self.app = app
        self.delay = latency_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.delay > 0 and scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


class Faults:
    """Fails a seeded share of sync requests before they are handled."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = (
            self.injector.draw(scope["method"], scope["path"]) if scope["type"] == "http" else None
        )
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault is Fault.DROP_CONNECTION:
            drop: Callable[[], None] | None = scope.get("extensions", {}).get(
                DROP_CONNECTION_EXTENSION
            )
            if drop is not None:
                drop()
                while (await receive())["type"] != "http.disconnect":
                    pass
                return
            fault = Fault.UNAVAILABLE  # no way to drop here: fail visibly instead
        error = _fault_error(fault)
        await jsonio.error_response(error)(scope, receive, send)


def _fault_error(fault: Fault) -> ApiError:
    retry = {RETRY_AFTER_HEADER: str(RETRY_AFTER_SECONDS)}
    match fault:
        case Fault.RATE_LIMITED:
            return ApiError(
                429, ErrorCode.RATE_LIMITED, "Too many requests; wait and retry.", headers=retry
            )
        case Fault.UNAVAILABLE:
            return ApiError(
                503,
                ErrorCode.SERVICE_UNAVAILABLE,
                "The service is briefly unavailable; retry shortly.",
                headers=retry,
            )
        case Fault.SERVER_ERROR | Fault.DROP_CONNECTION:  # a drop that can't drop: a 500
            return ApiError(
                500, ErrorCode.SERVER_ERROR, "The service failed; nothing was changed. Retry."
            )
        case _:
            assert_never(fault)
