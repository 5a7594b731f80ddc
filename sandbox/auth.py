"""OAuth2 client-credentials tokens and the scope check every API request goes through.

Secrets and tokens are kept only as SHA-256 digests; tokens are cached in memory (a
check is a dict lookup) and persisted so a restarted sandbox still honours them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

from engine.contract.wire import ErrorCode, Scope
from sandbox.errors import ApiError
from sandbox.storage import Store

GRANT_TYPE: Final = "client_credentials"
FORM_MEDIA_TYPE: Final = "application/x-www-form-urlencoded"
DEFAULT_TOKEN_LIFETIME: Final = 3600
#: A token request is a handful of short fields: anything bigger is refused unread.
MAX_TOKEN_REQUEST_BYTES: Final = 4096
MAX_FORM_FIELDS: Final = 8
#: Live tokens one client may hold; a new one beyond it retires that client's oldest. An
#: agent needs one or two; a client minting hundreds a second can't grow the service.
MAX_LIVE_TOKENS_PER_CLIENT: Final = 100


#: The scopes a client registered with a scope may ask a token for.
GRANTABLE: Final[Mapping[Scope, frozenset[Scope]]] = {
    Scope.SYNC: frozenset({Scope.SYNC, Scope.READ}),
    Scope.READ: frozenset({Scope.READ}),
}

#: The scopes whose tokens satisfy a route that needs a scope.
SATISFIES: Final[Mapping[Scope, frozenset[Scope]]] = {
    Scope.READ: frozenset({Scope.READ, Scope.SYNC}),
    Scope.SYNC: frozenset({Scope.SYNC}),
}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Grant:
    scope: Scope
    expires_at: float


@dataclass(frozen=True)
class Client:
    client_id: str
    secret_sha256: str
    scope: Scope


def _bad_request(code: ErrorCode, message: str) -> ApiError:
    return ApiError(400, code, message, headers={"Cache-Control": "no-store"})


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """A strict urlencoded form: one value per name, UTF-8."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise _bad_request(
            ErrorCode.INVALID_REQUEST, f"Send the token request as {FORM_MEDIA_TYPE}."
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_request(ErrorCode.INVALID_REQUEST, "The form is not valid UTF-8.") from None
    if text.count("&") + text.count(";") >= MAX_FORM_FIELDS:
        raise _bad_request(
            ErrorCode.INVALID_REQUEST, f"A token request has at most {MAX_FORM_FIELDS} fields."
        )
    try:
        fields = parse_qs(
            text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise _bad_request(ErrorCode.INVALID_REQUEST, "The form is not valid UTF-8.") from None
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise _bad_request(
            ErrorCode.INVALID_REQUEST,
            f"Send each form field once (repeated: {', '.join(repeated)}).",
        )
    return {name: values[0] for name, values in fields.items()}


def claimed_credentials(form: Mapping[str, str], authorization: str | None) -> tuple[str, str]:
    """The client id and secret a token request claims (Basic auth, else the form)."""
    basic = _basic_credentials(authorization)
    return basic or (form.get("client_id", ""), form.get("client_secret", ""))


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """client_secret_basic: ``Authorization: Basic base64(id:secret)``, if present."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


class Authenticator:
    """Issues tokens to registered clients and checks bearer tokens on requests."""

    def __init__(self, store: Store, lifetime: int, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._lifetime = lifetime
        self._clock = clock
        self._clients = {
            client_id: Client(client_id, digest, Scope(scope))
            for client_id, digest, scope in store.clients()
        }
        self._tokens = {
            digest: Grant(Scope(scope), expires_at)
            for digest, scope, expires_at in store.live_tokens()
        }
        #: (expires_at, digest), soonest first: expired tokens are dropped from memory as
        #: new ones are issued, so a client minting many doesn't grow the process.
        self._expiries = [(grant.expires_at, digest) for digest, grant in self._tokens.items()]
        heapq.heapify(self._expiries)
        #: token digest -> client id, for tokens issued by this process.
        self._owners: dict[str, str] = {}

    def registered(self, client_id: str) -> bool:
        return client_id in self._clients

    def live_token_count(self) -> int:
        return len(self._tokens)

    def _prune(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            _, digest = heapq.heappop(self._expiries)
            self._tokens.pop(digest, None)  # one digest, one token: its expiry is this
            self._owners.pop(digest, None)

    def _retire(self, digests: list[str]) -> None:
        """Drop tokens retired before their expiry (the per-client bound); the expiry
        heap is rebuilt when it holds mostly retired entries, so it stays bounded too."""
        for digest in digests:
            self._tokens.pop(digest, None)
            self._owners.pop(digest, None)
        if len(self._expiries) > 2 * len(self._tokens) + 64:
            self._expiries = [(g.expires_at, d) for d, g in self._tokens.items()]
            heapq.heapify(self._expiries)

    def holder(self, authorization: str | None) -> str:
        """Who a (checked) bearer token belongs to, for per-client limits: its client
        id, or the token's digest for one issued before this process started."""
        digest = sha256_hex((authorization or "").partition(" ")[2].strip())
        return self._owners.get(digest, digest)

    def issue(self, form: Mapping[str, str], authorization: str | None) -> dict[str, object]:
        """Blocking (writes the token): call from a worker thread."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise _bad_request(ErrorCode.INVALID_REQUEST, "grant_type is missing.")
        if grant_type != GRANT_TYPE:
            raise _bad_request(
                ErrorCode.UNSUPPORTED_GRANT_TYPE,
                f"Only grant_type={GRANT_TYPE} is supported.",
            )
        client_id, secret = claimed_credentials(form, authorization)
        client = self._clients.get(client_id)
        if client is None or not hmac.compare_digest(client.secret_sha256, sha256_hex(secret)):
            raise ApiError(
                401,
                ErrorCode.INVALID_CLIENT,
                "The client id or secret is wrong; check the credentials.",
                headers={"WWW-Authenticate": 'Basic realm="contacts"', "Cache-Control": "no-store"},
            )
        requested = form.get("scope") or client.scope.value
        try:
            scope = Scope(requested)
        except ValueError:
            scope = None
        if scope is None or scope not in GRANTABLE[client.scope]:
            raise _bad_request(
                ErrorCode.INVALID_SCOPE,
                f"This client may ask for scope {' or '.join(sorted(GRANTABLE[client.scope]))}.",
            )
        token = secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + self._lifetime
        digest = sha256_hex(token)
        self._store.save_token(digest, client.client_id, scope.value, expires_at)
        retired = self._store.evict_tokens_beyond(client.client_id, MAX_LIVE_TOKENS_PER_CLIENT)
        with self._lock:  # issue runs in worker threads
            self._prune(now)
            self._tokens[digest] = Grant(scope, expires_at)
            self._owners[digest] = client.client_id
            heapq.heappush(self._expiries, (expires_at, digest))
            self._retire(retired)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self._lifetime,
            "scope": scope.value,
        }

    def mint(self, scope: Scope) -> tuple[str, str, int]:
        """(token, digest, lifetime) for a grant the sign-in made (authorization code or
        refresh token). Kept in memory only: after a restart the program refreshes."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + self._lifetime
        digest = sha256_hex(token)
        with self._lock:
            self._prune(now)
            self._tokens[digest] = Grant(scope, expires_at)
            heapq.heappush(self._expiries, (expires_at, digest))
        return token, digest, self._lifetime

    def forget(self, digest: str) -> None:
        """Revoke one minted token (its sign-in was revoked)."""
        with self._lock:
            self._tokens.pop(digest, None)

    def check(self, authorization: str | None, needed: Scope) -> Grant:
        """The grant behind a bearer token, or 401 (no/unknown/expired) / 403 (scope)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self._unauthorized("A bearer token is required; get one from /oauth/token.")
        digest = sha256_hex(token.strip())
        grant = self._tokens.get(digest)
        if grant is None:
            raise self._unauthorized("The access token is not valid; get a new one.")
        if grant.expires_at <= self._clock():
            self._tokens.pop(digest, None)
            raise self._unauthorized("The access token has expired; get a new one.")
        if grant.scope not in SATISFIES[needed]:
            raise ApiError(
                403,
                ErrorCode.INSUFFICIENT_SCOPE,
                f"This needs a token with scope {needed.value}; yours has {grant.scope.value}.",
                headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'
                },
            )
        return grant

    @staticmethod
    def _unauthorized(message: str) -> ApiError:
        return ApiError(
            401,
            ErrorCode.INVALID_TOKEN,
            message,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
