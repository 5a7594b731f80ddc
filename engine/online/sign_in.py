"""Signing in as a person does: the system browser, a loopback redirect, PKCE S256
(OAuth 2.0 for native apps, RFC 8252; RFC 7636), and the refresh-token grant.

The program never sees the password: it opens the service's sign-in page in the
browser, listens on ``http://127.0.0.1:<random port>/callback`` for the one answer
whose ``state`` matches the one it sent, and exchanges the code with its
``code_verifier``. Answers with another ``state`` are refused and the wait goes on (a
page elsewhere can't slip its own code in). Tokens never reach a log line.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from engine.contract.wire import API_PREFIX, DESKTOP_CLIENT_ID, Scope
from engine.errors import OnlineProtocolError, SignInFailed, SignInNeeded, TransientOnlineError
from engine.online.network import NetworkOptions, async_client, unreachable_kind
from engine.online.service_url import require_secure_service_url

log = logging.getLogger(__name__)

METADATA_PATH: Final = "/.well-known/oauth-authorization-server"
CALLBACK_PATH: Final = "/callback"
#: How long the program waits for the person to finish in the browser.
SIGN_IN_TIMEOUT_SECONDS: Final = 600.0
MAX_CALLBACK_REQUEST_BYTES: Final = 16 * 1024

_DONE_PAGE: Final = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Contacts Migration"
    "</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
)


@dataclass(frozen=True)
class SignInTokens:
    """What a sign-in holds: kept in the OS keyring (or a 0600 file), never elsewhere."""

    access_token: str
    #: Wall-clock time (``time.time()``) the access token stops being used.
    expires_at: float
    refresh_token: str
    #: The email the person signed in with (the service says it).
    email: str

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
            "email": self.email,
        }

    @classmethod
    def from_json(cls, data: Any) -> SignInTokens | None:
        try:
            return cls(
                str(data["access_token"]),
                float(data["expires_at"]),
                str(data["refresh_token"]),
                str(data["email"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def __repr__(self) -> str:  # never the tokens, should one be logged by accident
        return f"SignInTokens(email={self.email!r})"


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 4.1-4.2."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _tokens(body: Any, now: float, margin: float) -> SignInTokens:
    try:
        lifetime = float(body["expires_in"])
        return SignInTokens(
            str(body["access_token"]),
            now + max(lifetime - margin, lifetime / 2),
            str(body["refresh_token"]),
            str(body["signed_in_as"]),
        )
    except (KeyError, TypeError, ValueError):
        raise OnlineProtocolError(
            "The online service sent an unexpected answer to the sign-in."
        ) from None


async def _post_token(
    http: httpx.AsyncClient, base_url: str, form: dict[str, str]
) -> httpx.Response:
    try:
        return await http.post(f"{base_url}{API_PREFIX}/oauth/token", data=form)
    except httpx.TransportError as error:
        raise TransientOnlineError(
            f"The online service at {base_url} can't be reached ({type(error).__name__}).",
            kind=unreachable_kind(error),
        ) from error


async def refresh_tokens(
    http: httpx.AsyncClient, base_url: str, refresh_token: str, margin: float = 30.0
) -> SignInTokens:
    """Spend the refresh token for new tokens (the service rotates it every time).
    SignInNeeded when the service refuses it: revoked, expired, replayed, password changed."""
    response = await _post_token(
        http,
        base_url,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": DESKTOP_CLIENT_ID,
        },
    )
    if response.status_code in (400, 401):
        raise SignInNeeded()
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientOnlineError(
            f"The online service at {base_url} is busy or failing (HTTP {response.status_code})."
        )
    if response.status_code != 200:
        raise OnlineProtocolError(
            f"The online service answered the sign-in with HTTP {response.status_code}."
        )
    return _tokens(response.json(), time.time(), margin)


class TokenKeeper(Protocol):
    """Where a sign-in's tokens are kept (memory during the set-up, then the keyring)."""

    def load(self) -> SignInTokens | None: ...
    def save(self, tokens: SignInTokens) -> None: ...
    def try_lock(self) -> bool: ...
    def unlock(self) -> None: ...


async def current_tokens(
    http: httpx.AsyncClient, base_url: str, keeper: TokenKeeper, refused: str | None
) -> SignInTokens:
    """A live access token: the kept one unless it is ``refused`` (answered 401) or
    expired; otherwise the refresh token is spent for new ones, under the keeper's lock
    and after reading again what another process may have stored meanwhile."""
    while not await asyncio.to_thread(keeper.try_lock):
        await asyncio.sleep(0.05)
    try:
        tokens = await asyncio.to_thread(keeper.load)
        if tokens is None:
            raise SignInNeeded()
        if tokens.access_token != refused and tokens.expires_at > time.time():
            return tokens
        fresh = await refresh_tokens(http, base_url, tokens.refresh_token)
        await asyncio.to_thread(keeper.save, fresh)
        return fresh
    finally:
        keeper.unlock()


@dataclass
class _Callback:
    state: str
    answer: asyncio.Future[dict[str, str]]


def _page(title: str, text: str) -> bytes:
    return _DONE_PAGE.format(title=title, text=text).encode("utf-8")


async def _serve_callback(
    callback: _Callback, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """One request to the loopback listener: the browser coming back, or anything else."""
    status, body = 404, _page("Not found", "Nothing here.")
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _ = [*line.split(" "), "", ""][:3]
        parts = urlsplit(target)
        if method == "GET" and parts.path == CALLBACK_PATH:
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if not hmac.compare_digest(query.get("state", "").encode(), callback.state.encode()):
                status, body = (
                    400,
                    _page(
                        "This sign-in answer is not the one Contacts Migration asked for",
                        "Nothing was changed. Start the sign-in again from the program if you "
                        "meant to sign in.",
                    ),
                )
                log.warning("refused a sign-in answer with another state")
            elif "error" in query:
                status, body = (
                    200,
                    _page("Not signed in", "The sign-in was cancelled. You can close this tab."),
                )
                if not callback.answer.done():
                    callback.answer.set_result(query)
            else:
                status, body = (
                    200,
                    _page(
                        "Signed in",
                        "You are signed in. You can close this tab and go back to "
                        "Contacts Migration.",
                    ),
                )
                if not callback.answer.done():
                    callback.answer.set_result(query)
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        return
    finally:
        with contextlib.suppress(OSError):
            reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
                "Content-Security-Policy: default-src 'none'\r\n"
                "Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n".encode("latin-1")
                + body
            )
            await writer.drain()
            writer.close()


def open_system_browser(url: str) -> bool:
    """The system browser (``BROWSER`` is honoured: tests and kiosks set it)."""
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


@dataclass(frozen=True)
class SignInStarted:
    """What a front end may show while the person signs in."""

    #: The address to open by hand when no browser could be started.
    url: str
    browser_opened: bool


async def sign_in_with_browser(
    base_url: str,
    *,
    network: NetworkOptions | None = None,
    open_browser: Callable[[str], bool] | None = None,
    started: Callable[[SignInStarted], Awaitable[None] | None] | None = None,
    timeout: float = SIGN_IN_TIMEOUT_SECONDS,
) -> SignInTokens:
    """The whole browser sign-in; SignInFailed (plain words) when it can't finish.
    ``open_browser``: the system browser unless a caller plays it (tests, the demo)."""
    require_secure_service_url(base_url)
    base_url = base_url.rstrip("/")
    async with async_client(
        network or NetworkOptions(), timeout=httpx.Timeout(30.0), follow_redirects=False
    ) as http:
        metadata = await _metadata(http, base_url)
        verifier, challenge = pkce_pair()
        loop = asyncio.get_running_loop()
        callback = _Callback(secrets.token_urlsafe(32), loop.create_future())
        server = await asyncio.start_server(
            lambda r, w: _serve_callback(callback, r, w),
            "127.0.0.1",
            0,
            limit=MAX_CALLBACK_REQUEST_BYTES,
        )
        try:
            port = server.sockets[0].getsockname()[1]
            redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
            url = (
                metadata["authorization_endpoint"]
                + "?"
                + urlencode(
                    {
                        "response_type": "code",
                        "client_id": DESKTOP_CLIENT_ID,
                        "redirect_uri": redirect_uri,
                        "state": callback.state,
                        "code_challenge": challenge,
                        "code_challenge_method": "S256",
                        "scope": Scope.SYNC.value,
                    }
                )
            )
            opened = await asyncio.to_thread(open_browser or open_system_browser, url)
            if started is not None:
                shown = started(SignInStarted(url, opened))
                if shown is not None:
                    await shown
            try:
                answer = await asyncio.wait_for(callback.answer, timeout)
            except TimeoutError:
                raise SignInFailed(
                    f"The sign-in was not finished within {timeout / 60:g} minutes."
                ) from None
        finally:
            server.close()
        if "error" in answer:
            raise SignInFailed("The sign-in was cancelled or refused in the browser.")
        response = await _post_token(
            http,
            base_url,
            {
                "grant_type": "authorization_code",
                "code": answer.get("code", ""),
                "redirect_uri": redirect_uri,
                "client_id": DESKTOP_CLIENT_ID,
                "code_verifier": verifier,
            },
        )
        if response.status_code != 200:
            raise SignInFailed("The online service did not accept the sign-in's code.")
        return _tokens(response.json(), time.time(), 30.0)


async def _metadata(http: httpx.AsyncClient, base_url: str) -> dict[str, str]:
    """The service's RFC 8414 metadata; it must offer PKCE S256."""
    try:
        response = await http.get(base_url + METADATA_PATH)
    except httpx.TransportError as error:
        raise TransientOnlineError(
            f"The online service at {base_url} can't be reached ({type(error).__name__}).",
            kind=unreachable_kind(error),
        ) from error
    try:
        data = response.json() if response.status_code == 200 else {}
    except ValueError:
        data = {}
    endpoint = data.get("authorization_endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or "S256" not in (
        data.get("code_challenge_methods_supported") or []
    ):
        raise SignInFailed(
            f"The online service at {base_url} does not offer the browser sign-in.",
            "Check the online service address.",
        )
    require_secure_service_url(endpoint, "its sign-in page")
    return {"authorization_endpoint": endpoint}
