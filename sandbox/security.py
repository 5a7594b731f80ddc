"""The service's defences that sit around the routes: which Host names it answers, the
headers every answer carries, log-safe text, and a small-body reader for the token route.

* **Host allow-list** (DNS rebinding): a web page on ``attacker.example`` can make the
  practice's browser resolve its own name to 127.0.0.1 and read ``GET /`` (which needs
  no token from loopback). The browser still sends ``Host: attacker.example``, so
  only the names the service was started for are answered.
* **Headers**: the page runs no script, can't be framed, posts forms only to itself and
  sends no Referer; no answer may be sniffed as another type or cached.
* **Logs**: anything taken from a request is logged with control characters escaped, so
  a ``%0A`` in a path can't forge a log line.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.contract.wire import ErrorCode
from sandbox import jsonio
from sandbox.errors import ApiError

#: Every answer: not sniffed as another type, no Referer leaks, never framed.
COMMON_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
#: Answers other than the page: nothing in them may load or run anything.
STRICT_CSP: Final = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARD_HOSTS: Final = frozenset({"0.0.0.0", "::", ""})
#: The longest request text copied into one log line.
MAX_LOGGED_CHARS: Final = 300


def printable(text: str, limit: int = MAX_LOGGED_CHARS) -> str:
    """``text`` safe for one log line: control and other invisible characters escaped
    (``\\n`` -> ``\\x0a``), and cut to ``limit`` characters."""
    cut = text[:limit]
    safe = "".join(
        ch if ch.isprintable() and ch != "\\" else ch.encode("unicode_escape").decode("ascii")
        for ch in cut
    )
    return safe + ("…" if len(text) > limit else "")


def host_name(header: str) -> str:
    """The host part of a Host header, lower case, without port, brackets or final dot."""
    value = header.strip().lower()
    if value.startswith("["):
        name = value[1 : value.find("]")] if "]" in value else value
    elif value.count(":") == 1:
        name = value.partition(":")[0]
    else:
        name = value
    return name.rstrip(".")


def allowed_hosts(bound_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names to answer: the bound address, loopback forms, ``--allowed-host``s,
    and this computer's names when bound to every interface."""
    names = {host_name(bound_host), *LOOPBACK_HOSTS, *(host_name(h) for h in extra)}
    if bound_host.strip("[]") in _WILDCARD_HOSTS:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(name for name in names if name)


class HostCheck:
    """Answers only requests whose ``Host`` is one of ``allowed`` (400 ``invalid_host``)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        name = host_name(hosts[0].decode("latin-1")) if len(hosts) == 1 else ""
        if name in self.allowed:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["error_code"] = ErrorCode.INVALID_HOST.value
        error = ApiError(
            400,
            ErrorCode.INVALID_HOST,
            "This service does not answer to that host name. Use the address it printed at "
            "start, or start it with --allowed-host NAME.",
            headers={"Connection": "close"},
        )
        await jsonio.error_response(error)(scope, receive, send)


class SecurityHeaders:
    """Adds :data:`COMMON_HEADERS` to every answer, a strict CSP where the route set none,
    and ``Cache-Control: no-store`` to every JSON answer (they may carry contacts)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [item for item in COMMON_HEADERS if item[0] not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", STRICT_CSP.encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, secured)


async def read_small_body(request: Request, limit: int) -> bytes:
    """The whole body if it is at most ``limit`` bytes; otherwise 413 and the connection
    is closed without reading the rest (only an attacker sends a big token request)."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isascii() or not declared.isdigit()):
        raise ApiError(400, ErrorCode.INVALID_REQUEST, "Content-Length must be a number.")
    too_large = ApiError(
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"A token request is at most {limit} bytes.",
        headers={"Connection": "close"},
    )
    if declared and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)
