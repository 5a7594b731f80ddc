"""Client of the practice's online contacts service (the sandbox implements the same API).

Every response is checked before it is believed: a garbage body, an HTML error page or a
redirect elsewhere is an :class:`OnlineProtocolError`, never a silent success, so the
checkpoint only ever moves with a well-formed answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx
import msgspec

from engine.contract.document import Document
from engine.contract.wire import (
    ACCEPT_ENCODING_HEADER,
    API_PREFIX,
    CHECKPOINT_WAIT_HEADER,
    CONTENT_ENCODING_HEADER,
    IDEMPOTENCY_KEY_HEADER,
    RETRY_AFTER_HEADER,
    ContentEncoding,
    ErrorCode,
    Scope as Scope,
)
from engine.errors import (
    CheckpointConflict,
    CredentialsRejected,
    InvalidDocuments,
    NotActivated,
    OnlineProtocolError,
    PayloadTooLarge,
    RequestRefused,
    StaleEpoch,
    TransientOnlineError,
)
from engine.online.compression import EncodedBody, choose_encoding, decompress
from engine.online.credentials import Credentials as Credentials
from engine.online.network import NetworkOptions, async_client, unreachable_kind
from engine.online.service_url import require_secure_service_url
from engine.online.sign_in import current_tokens
from engine.online.unreachable import Unreachable

log = logging.getLogger(__name__)

#: Refresh a token this long before the service says it expires.
TOKEN_MARGIN_SECONDS: Final = 30.0
HASH_PAGE_SIZE: Final = 20_000


@dataclass(frozen=True)
class OnlineSyncState:
    """The service's sync state of this practice (``GET /sync/state``); not to be confused
    with :class:`engine.status.model.SyncState`, the light's state."""

    epoch: int
    checkpoint: str | None
    contact_count: int
    checksum: str
    #: The machine that took the current lease (None from a service that doesn't say).
    lease_machine: str | None = None


@dataclass(frozen=True)
class BatchResult:
    applied_upserts: int
    applied_deletes: int
    checkpoint: str


@dataclass(frozen=True)
class Terms:
    version: str
    title: str
    html: str


@dataclass(frozen=True)
class PracticeInfo:
    practice_id: str
    name: str
    live_activated: bool
    activated: bool
    activated_at: str | None
    activated_by: str | None
    machine: str | None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get(RETRY_AFTER_HEADER)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _require(data: object, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(data, dict) or key not in data or not isinstance(data[key], kind):
        raise OnlineProtocolError(f"The online service sent an unexpected answer to {what}.")
    return data[key]


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; falls back to ASCII escapes for text UTF-8 can't carry."""
    try:
        return msgspec.json.encode(body)
    except UnicodeEncodeError:  # a lone surrogate: JSON's \\u escape carries it exactly
        return json.dumps(body, separators=(",", ":")).encode("ascii")


def encode_batch(
    epoch: int,
    base_checkpoint: str | None,
    checkpoint: str,
    upserts_json: Sequence[bytes],
    deletes: Sequence[int],
) -> bytes:
    """The ``POST /sync/batches`` JSON body around documents encoded once, earlier."""
    head = encode_body(
        {"epoch": epoch, "base_checkpoint": base_checkpoint, "checkpoint": checkpoint}
    )
    deletes_json = encode_body({"deletes": [str(i) for i in deletes]})
    return b"".join((head[:-1], b',"upserts":[', b",".join(upserts_json), b"],", deletes_json[1:]))


class OnlineClient:
    """One practice's online service; holds a token and refreshes it when it expires."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        scope: Scope = Scope.SYNC,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        network: NetworkOptions | None = None,
    ) -> None:
        # Before anything is sent: never the secret or a contact over plain http.
        require_secure_service_url(base_url)
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._scope = scope
        self._token: str | None = None
        self._used_token: str | None = None
        self._token_expires = 0.0
        #: ``time.monotonic()`` when the latest request that was answered with success
        #: was sent: proof of a round trip begun then (None: none yet).
        self.answered_at: float | None = None
        #: The quickest answer to a request without a body (seconds): the round trip to
        #: the service and its least work; the upload tells a near service (a LAN, the
        #: loopback) from a far one by it.
        self.round_trip: float | None = None
        self._encoding = ContentEncoding.IDENTITY
        self._encodings_known = False
        self._http = async_client(
            network,
            base_url=self._base_url + API_PREFIX,
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": "contacts-migration"},
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> OnlineClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport -----------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return await self._http.request(
                method,
                path,
                content=content,
                data=form,
                params=params,
                headers=headers,
            )
        except httpx.TimeoutException as error:
            raise TransientOnlineError(
                f"The online service at {self._base_url} did not answer in time "
                f"({type(error).__name__}).",
                kind=unreachable_kind(error),
            ) from error
        except httpx.TransportError as error:
            raise TransientOnlineError(
                f"The online service at {self._base_url} can't be reached "
                f"({type(error).__name__}: {error}).",
                kind=unreachable_kind(error),
            ) from error

    def _json(self, response: httpx.Response, what: str) -> Any:
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type:
            raise OnlineProtocolError(
                f"The online service answered {what} with {content_type or 'no content type'}"
                f" (HTTP {response.status_code}) instead of JSON."
            )
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise OnlineProtocolError(
                f"The online service sent malformed JSON in answer to {what}."
            ) from error

    def _raise_for_error(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status < 300:
            return
        if 300 <= status < 400:
            target = response.headers.get("Location", "?")
            raise OnlineProtocolError(
                f"The online service redirected {what} to {target}, which is not followed."
            )
        if status == 429 or status >= 500:
            raise TransientOnlineError(
                f"The online service at {self._base_url} is busy or failing (HTTP {status}).",
                _retry_after(response),
                Unreachable.FAILING,
            )
        try:
            body = self._json(response, what)
        except OnlineProtocolError:
            body = {}
        code = str(body.get("error", "")) if isinstance(body, dict) else ""
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if status == 401:
            self._token = None
            raise CredentialsRejected(message or "HTTP 401")
        if status == 403:
            raise CredentialsRejected(message or "the credentials lack the permission needed")
        if status == 413:
            raise PayloadTooLarge()
        if code == ErrorCode.STALE_EPOCH:
            raise StaleEpoch()
        if code == ErrorCode.CHECKPOINT_CONFLICT:
            raise CheckpointConflict()
        if code == ErrorCode.NOT_ACTIVATED:
            raise NotActivated()
        if code == ErrorCode.INVALID_DOCUMENTS and isinstance(body, dict):
            problems: dict[str, list[str]] = {}
            for entry in body.get("problems") or []:
                if isinstance(entry, dict):
                    problems[str(entry.get("id"))] = [str(p) for p in entry.get("problems", [])]
            raise InvalidDocuments(problems)
        raise RequestRefused(status, code or "error", message or response.reason_phrase)

    async def _token_header(self) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._token_expires:
            await self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch_token(self) -> None:
        if (keeper := self._credentials.sign_in) is not None:  # a person's browser sign-in
            tokens = await current_tokens(self._http, self._base_url, keeper, self._used_token)
            self._token = self._used_token = tokens.access_token
            self._token_expires = time.monotonic() + tokens.expires_at - time.time()
            return
        response = await self._send(
            "POST",
            "/oauth/token",
            form={
                "grant_type": "client_credentials",
                "client_id": self._credentials.client_id,
                "client_secret": self._credentials.client_secret,
                "scope": self._scope.value,
            },
        )
        if response.status_code in (400, 401, 403):
            raise CredentialsRejected(f"client id {self._credentials.client_id!r}")
        self._raise_for_error(response, "the sign-in")
        self._note_encodings(response)
        body = self._json(response, "the sign-in")
        token = _require(body, "access_token", str, "the sign-in")
        expires_in = _require(body, "expires_in", (int, float), "the sign-in")
        self._token = token
        lifetime = float(expires_in)
        self._token_expires = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)

    async def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send with a valid token; an expired token is refreshed once and retried."""
        payload = content if content is not None else encode_body(body) if body else None
        for attempt in range(2):
            started = time.monotonic()
            all_headers = dict(headers or {})
            all_headers.update(await self._token_header())
            if payload is not None:
                all_headers["Content-Type"] = "application/json"
            response = await self._send(
                method, path, content=payload, params=params, headers=all_headers
            )
            if response.status_code == 401 and attempt == 0:
                self._token = None  # expired or revoked mid-run: sign in again once
                continue
            self._raise_for_error(response, what)
            self._note_encodings(response)
            answer = self._json(response, what)
            self.answered_at = started
            if payload is None:
                took = time.monotonic() - started
                self.round_trip = took if self.round_trip is None else min(self.round_trip, took)
            return response.status_code, answer
        raise AssertionError("unreachable")

    # -- API -------------------------------------------------------------------------

    async def practice(self) -> PracticeInfo:
        _, body = await self._call("GET", "/practice", "the practice request")
        migration = _require(body, "contacts_migration", dict, "the practice request")
        return PracticeInfo(
            practice_id=str(_require(body, "practice_id", (str, int), "the practice request")),
            name=str(body.get("name") or ""),
            live_activated=bool(body.get("live_activated")),
            activated=bool(migration.get("activated")),
            activated_at=migration.get("activated_at"),
            activated_by=migration.get("activated_by"),
            machine=migration.get("machine"),
        )

    async def terms(self) -> Terms:
        _, body = await self._call("GET", "/terms/current", "the Terms of use request")
        return Terms(
            version=str(_require(body, "version", (str, int), "the Terms of use request")),
            title=str(body.get("title") or "Terms of use"),
            html=str(_require(body, "html", str, "the Terms of use request")),
        )

    async def activate(self, terms_version: str, accepted_by: str, machine: str) -> PracticeInfo:
        await self._call(
            "POST",
            "/practice/activation",
            "the activation",
            body={"terms_version": terms_version, "accepted_by": accepted_by, "machine": machine},
        )
        return await self.practice()

    async def lease(self, agent_id: str, machine: str) -> int:
        _, body = await self._call(
            "POST",
            "/sync/lease",
            "the lease request",
            body={"agent_id": agent_id, "machine": machine},
        )
        return int(_require(body, "epoch", int, "the lease request"))

    async def sync_state(self) -> OnlineSyncState:
        _, body = await self._call("GET", "/sync/state", "the sync state request")
        checkpoint = body.get("checkpoint") if isinstance(body, dict) else None
        if checkpoint is not None and not isinstance(checkpoint, str):
            raise OnlineProtocolError("The online service sent a checkpoint that is not text.")
        return OnlineSyncState(
            epoch=int(_require(body, "epoch", int, "the sync state request")),
            checkpoint=checkpoint,
            contact_count=int(_require(body, "contact_count", int, "the sync state request")),
            checksum=str(_require(body, "checksum", str, "the sync state request")),
            lease_machine=str(body["lease_machine"]) if body.get("lease_machine") else None,
        )

    @property
    def request_encoding(self) -> ContentEncoding:
        """The best body compression both sides know (identity until the service said)."""
        return self._encoding

    def _note_encodings(self, response: httpx.Response) -> None:
        """Read the service's ``Accept-Encoding`` answer header (RFC 7694), once."""
        offered = response.headers.get(ACCEPT_ENCODING_HEADER)
        if self._encodings_known or offered is None:
            return
        self._encodings_known = True
        self._encoding = choose_encoding(offered)
        log.info("request bodies are sent with %s", self._encoding.value)

    async def post_encoded_batch(
        self,
        body: EncodedBody,
        idempotency_key: str,
        checkpoint: str,
        *,
        wait_seconds: float | None = None,
    ) -> BatchResult:
        """Upload a batch already encoded (and maybe compressed) off the event loop.

        ``wait_seconds`` asks the service to hold the batch until its base checkpoint is
        the current one (pipelining: the batch before it is still being applied).
        A service that refuses the compression (415) is sent the plain body instead.
        """
        headers = {IDEMPOTENCY_KEY_HEADER: idempotency_key}
        if wait_seconds is not None:
            headers[CHECKPOINT_WAIT_HEADER] = f"{wait_seconds:g}"
        if body.encoding is not ContentEncoding.IDENTITY:
            headers[CONTENT_ENCODING_HEADER] = body.encoding.value
        try:
            _, answer = await self._call(
                "POST", "/sync/batches", "the upload", content=body.content, headers=headers
            )
        except RequestRefused as refused:
            if refused.status != 415 or body.encoding is ContentEncoding.IDENTITY:
                raise
            log.warning("the online service refused %s bodies; sending plain JSON", body.encoding)
            self._encoding = ContentEncoding.IDENTITY
            plain = EncodedBody(decompress(body), ContentEncoding.IDENTITY, body.raw_size)
            return await self.post_encoded_batch(
                plain, idempotency_key, checkpoint, wait_seconds=wait_seconds
            )
        result = BatchResult(
            applied_upserts=int(_require(answer, "applied_upserts", int, "the upload")),
            applied_deletes=int(_require(answer, "applied_deletes", int, "the upload")),
            checkpoint=str(_require(answer, "checkpoint", str, "the upload")),
        )
        if result.checkpoint != checkpoint:
            raise OnlineProtocolError("The online service confirmed an upload it did not apply.")
        return result

    async def hash_page(
        self, after: int | None, page_size: int = HASH_PAGE_SIZE
    ) -> list[tuple[int, str]]:
        """One page of online (id, hash) with ids above ``after``, ascending by id; a
        page can be fetched again on its own, so a retry never starts the listing over."""
        params: dict[str, str | int] = {"limit": page_size}
        if after is not None:
            params["after"] = after
        _, body = await self._call("GET", "/contacts/hashes", "the hash listing", params=params)
        if not isinstance(body, list):
            raise OnlineProtocolError("The online service sent a hash listing that is not a list.")
        page: list[tuple[int, str]] = []
        for entry in body:
            contact = int(_require(entry, "id", str, "the hash listing"))
            if after is not None and contact < after:  # equal: a duplicate, reported
                raise OnlineProtocolError("The online hash listing is out of order.")
            page.append((contact, str(_require(entry, "hash", str, "the hash listing"))))
            after = contact
        return page

    async def iter_hashes(self, page_size: int = HASH_PAGE_SIZE) -> AsyncIterator[tuple[int, str]]:
        """Every online (id, hash), ascending by id, fetched page by page."""
        after: int | None = None
        while True:
            page = await self.hash_page(after, page_size)
            for pair in page:
                yield pair
            if len(page) < page_size:
                return
            after = page[-1][0]

    async def contact(self, contact_id: int) -> Document | None:
        try:
            _, body = await self._call("GET", f"/contacts/{contact_id}", "the contact request")
        except RequestRefused as refused:
            if refused.status == 404:
                return None
            raise
        if not isinstance(body, dict):
            raise OnlineProtocolError("The online service sent a contact that is not an object.")
        return body
