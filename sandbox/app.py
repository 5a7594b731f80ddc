"""The Starlette application: routes of the online contacts API and the contacts page.

Handlers stay thin: parse and check the request, then do blocking SQLite work in a worker
thread so the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from engine.contract.formats import is_id
from engine.contract.wire import (
    ACCEPT_ENCODING_HEADER,
    CHECKPOINT_WAIT_HEADER,
    IDEMPOTENCY_KEY_HEADER,
    RETRY_AFTER_HEADER,
    ErrorCode,
    Scope,
)
from sandbox import jsonio
from sandbox.accounts import ACCOUNTS_FILE_NAME, Accounts
from sandbox.auth import (
    DEFAULT_TOKEN_LIFETIME,
    MAX_TOKEN_REQUEST_BYTES,
    Authenticator,
    Grant,
    claimed_credentials,
    parse_form,
)
from sandbox.batch import PreparedBatch, prepare_batch
from sandbox.bodies import is_plain_unicode, read_body, text_fields
from sandbox.decoding import ACCEPTED_ENCODINGS, accept_value, decode_body
from sandbox.errors import ApiError
from sandbox.faults import FaultInjector
from sandbox.limits import (
    DEFAULT_HASHES_LIMIT,
    DEFAULT_LIST_LIMIT,
    DEFAULT_MAX_BODY,
    IDEMPOTENCY_KEY_RE,
    MAX_HASHES_LIMIT,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_LIST_LIMIT,
    PAGE_SIZE,
)
from sandbox.middleware import AccessLog, Faults, Latency
from sandbox.openapi import OPERATIONS, openapi_document
from sandbox.page import PAGE_CSP, render_page, render_problem
from sandbox.params import (
    after_param as _after,
    bad_query as _bad_query,
    limit_param as _limit,
    page_number,
)
from sandbox.scopes import for_scope
from sandbox.search import PageResult, SearchQuery
from sandbox.security import HostCheck, SecurityHeaders, printable, read_small_body
from sandbox.sign_in import SignIn
from sandbox.storage import Store
from sandbox.terms import current_terms
from sandbox.throttle import FailureThrottle, WaitSlots, header_seconds

log = logging.getLogger("sandbox")

#: A pipelined batch asks to be held (up to this many seconds) until its base is current.
MAX_CHECKPOINT_WAIT_SECONDS: Final = 30.0
MAX_WAITING_PER_CLIENT: Final = 8  # waiting batches per client: agents hold WINDOW - 1
_MAX_QUERY_LENGTH: Final = 200


@dataclass(frozen=True)
class ServiceOptions:
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    max_body: int = DEFAULT_MAX_BODY
    fault_rate: float = 0.0
    fault_seed: int | None = None
    latency_ms: int = 0
    #: The Host names answered (see sandbox.security); None: any, for in-process tests
    #: only — ``serve`` always sets it.
    allowed_hosts: frozenset[str] | None = None
    #: Request body codings decoded (and advertised); empty: plain JSON only.
    request_encodings: tuple[str, ...] = ACCEPTED_ENCODINGS
    #: The desktop program's public client id (browser sign-in); None: no sign-in.
    desktop_client_id: str | None = None


def _read_only() -> ApiError:
    return ApiError(
        405,
        ErrorCode.READ_ONLY,
        "Contacts are synchronised from the practice database and can't be edited online.",
        headers={"Allow": "GET"},
    )


Handler = Callable[[Request], Awaitable[Response]]
#: A waiting batch's view of the sync position: the "moved" event taken before the read,
#: and (epoch, checkpoint, whether its key was already applied).
Seen = tuple[asyncio.Event, tuple[int, str | None, bool]]


class Api:
    """The handlers, bound to one store and one set of options."""

    def __init__(self, store: Store, options: ServiceOptions, accounts: Accounts) -> None:
        self.store = store
        self.options = options
        self.auth = Authenticator(store, options.token_lifetime)
        self.throttle = FailureThrottle()
        self.waits = WaitSlots(MAX_WAITING_PER_CLIENT)
        self.sign_in = SignIn.for_service(accounts, self.auth, store, options.desktop_client_id)
        self.terms = current_terms()
        #: Answers that tell clients which request body codings this service decodes.
        self.encodings_header = {ACCEPT_ENCODING_HEADER: accept_value(options.request_encodings)}
        #: Set (and replaced) whenever a batch or a lease changed the sync position.
        self._moved = asyncio.Event()

    def _notify_moved(self) -> None:
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def _wait_for_base(
        self, request: Request, batch: PreparedBatch, key: str, seen: Seen | None
    ) -> None:
        """Hold a pipelined batch (``Checkpoint-Wait``, read strictly) until its
        ``base_checkpoint`` is current instead of a 409 at once; the compare-and-set is
        unchanged. A new lease, a replayed key, a hang-up or the deadline ends the wait;
        then it is answered as without the header (also when its client holds too many).
        ``seen``: the position read with the parse (None without the header)."""
        raw = request.headers.get(CHECKPOINT_WAIT_HEADER)
        if raw is None or seen is None:
            return
        seconds = header_seconds(CHECKPOINT_WAIT_HEADER, raw, MAX_CHECKPOINT_WAIT_SECONDS)
        holder = self.auth.holder(request.headers.get("authorization"))
        with self.waits.hold(holder) as may_wait:  # one client holds a few slots at most
            if may_wait:
                await self._wait_until(request, batch, key, seen, time.monotonic() + seconds)

    async def _wait_until(
        self, request: Request, batch: PreparedBatch, key: str, seen: Seen, t: float
    ) -> None:
        moved, (epoch, checkpoint, replay) = seen
        while not (replay or checkpoint == batch.base_checkpoint or epoch != batch.epoch):
            remaining = t - time.monotonic()
            if remaining <= 0 or await request.is_disconnected():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved.wait(), min(remaining, 0.5))
            moved = self._moved  # taken before the read: a move after it is not missed
            epoch, checkpoint, replay = await run_in_threadpool(self.store.batch_position, key)

    # -- plumbing -----------------------------------------------------------------------

    def _authorize(self, request: Request, scope: Scope) -> Grant:
        return self.auth.check(request.headers.get("authorization"), scope)

    def guarded(self, handler: Handler, scopes: Mapping[str, Scope | None]) -> Handler:
        """``handler`` behind the scope check its table entry asks for, per method (HEAD
        as GET); the grant is left in ``request.state.grant``."""

        async def endpoint(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            scope = scopes.get(method)
            if scope is not None:
                request.state.grant = self._authorize(request, scope)
            return await handler(request)

        return endpoint

    async def _body(self, request: Request) -> bytes:
        return await read_body(request, self.options.max_body)

    async def _json(self, request: Request) -> Any:
        return jsonio.parse(await self._body(request))

    # -- routes -------------------------------------------------------------------------

    async def openapi(self, request: Request) -> Response:
        return jsonio.response(openapi_document())

    async def token(self, request: Request) -> Response:
        body = await read_small_body(request, MAX_TOKEN_REQUEST_BYTES)
        form = parse_form(body, request.headers.get("content-type"))
        if self.sign_in.handles(form.get("grant_type")):  # the desktop program's sign-in
            return await self.sign_in.token(request, form)
        authorization = request.headers.get("authorization")
        claimed, _ = claimed_credentials(form, authorization)
        client_id = claimed if self.auth.registered(claimed) else None
        address = request.client.host if request.client else ""
        refusal = self.throttle.refusal(address, client_id)
        if refusal is not None:
            log.warning(
                "token request refused unchecked: too many failures for %s (client id '%s', "
                "address %s)",
                refusal.kind.value,
                printable(claimed),
                address,
            )
            raise ApiError(
                429,
                ErrorCode.RATE_LIMITED,
                "Too many wrong client secrets; wait and try again.",
                headers={RETRY_AFTER_HEADER: str(refusal.retry_after), "Cache-Control": "no-store"},
            )
        try:
            issued = await run_in_threadpool(self.auth.issue, form, authorization)
        except ApiError as error:
            if error.code is ErrorCode.INVALID_CLIENT:
                self.throttle.failed(address, client_id)
                # The client id, never the secret.
                log.warning(
                    "failed token request for client id '%s' from %s", printable(claimed), address
                )
            raise
        return jsonio.response(
            issued,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache", **self.encodings_header},
        )

    async def practice(self, request: Request) -> Response:
        practice = await run_in_threadpool(self.store.practice)
        assert practice is not None
        return jsonio.response(practice.as_json())

    async def terms_current(self, request: Request) -> Response:
        return jsonio.response(self.terms.as_json())

    async def activation(self, request: Request) -> Response:
        if request.method == "DELETE":
            raise ApiError(
                405,
                ErrorCode.IRREVERSIBLE,
                "Contacts migration can't be deactivated: once synchronised, "
                "contacts migration can't be turned off.",
                headers={"Allow": "POST"},
            )
        fields = text_fields(await self._json(request), ("terms_version", "accepted_by", "machine"))
        practice, created = await run_in_threadpool(
            self.store.activate,
            fields["terms_version"],
            self.terms.version,
            fields["accepted_by"],
            fields["machine"],
        )
        record = {**practice.activation_record(), "live_activated": practice.live_activated}
        return jsonio.response(record, 201 if created else 200)

    async def lease(self, request: Request) -> Response:
        fields = text_fields(await self._json(request), ("agent_id", "machine"))
        epoch = await run_in_threadpool(self.store.lease, fields["agent_id"], fields["machine"])
        self._notify_moved()
        return jsonio.response({"epoch": epoch})

    async def sync_state(self, request: Request) -> Response:
        state = await run_in_threadpool(self.store.sync_state)
        grant: Grant = request.state.grant
        # A digest over full documents (TFNs included): not for a scope that can't read them.
        checksum = state.checksum if grant.scope is Scope.SYNC else None
        return jsonio.response(
            {
                "epoch": state.epoch,
                "checkpoint": state.checkpoint,
                "contact_count": state.contact_count,
                "checksum": checksum,
                "last_batch_at": state.last_batch_at,
                "lease_machine": state.lease_machine,
            },
            headers=self.encodings_header,
        )

    async def batches(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_KEY_HEADER, "")
        if not key.strip():
            raise ApiError(
                400,
                ErrorCode.IDEMPOTENCY_KEY_MISSING,
                f"Send an {IDEMPOTENCY_KEY_HEADER} header, unique to this batch's content.",
            )
        if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not IDEMPOTENCY_KEY_RE.fullmatch(key):
            raise _bad_query(
                f"{IDEMPOTENCY_KEY_HEADER} must be printable ASCII without spaces at either "
                f"end, at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters."
            )
        wire = await self._body(request)
        encoding = request.headers.get("content-encoding")
        limit, accepted = self.options.max_body, self.options.request_encodings
        waits = request.headers.get(CHECKPOINT_WAIT_HEADER) is not None
        moved = self._moved  # taken before the position is read: no move is missed

        def parse() -> tuple[PreparedBatch, Seen | None]:
            # decompressed in the worker thread, never beyond the same limit as plain JSON
            batch = prepare_batch(decode_body(wire, encoding, limit, accepted))
            # a waiting batch's first look at the position, in the same thread hop
            return batch, (moved, self.store.batch_position(key)) if waits else None

        batch, seen = await run_in_threadpool(parse)
        await self._wait_for_base(request, batch, key, seen)

        def answer(applied_upserts: int, applied_deletes: int) -> str:
            return jsonio.to_text(
                {
                    "applied_upserts": applied_upserts,
                    "applied_deletes": applied_deletes,
                    "checkpoint": batch.checkpoint,
                }
            )

        try:
            outcome = await run_in_threadpool(self.store.apply_batch, batch, key, answer)
        finally:
            self._notify_moved()
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        return jsonio.raw_response(outcome.body.encode("utf-8"), outcome.status, headers)

    async def contacts(self, request: Request) -> Response:
        if request.method != "GET":  # the table asked for a sync token
            raise _read_only()
        grant: Grant = request.state.grant
        after = _after(request)
        limit = _limit(request, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
        rows, more = await run_in_threadpool(self.store.contacts_after, after, limit)
        next_after = jsonio.to_text(str(rows[-1][0]) if rows and more else None)
        docs = [doc for _, doc in rows]
        if grant.scope is not Scope.SYNC:  # re-encoding a page is CPU work: off the loop
            docs = await run_in_threadpool(lambda: [for_scope(d, grant.scope) for d in docs])
        items = ",".join(docs)
        return jsonio.raw_response(f'{{"items":[{items}],"next":{next_after}}}'.encode())

    async def contact(self, request: Request) -> Response:
        if request.method != "GET":  # the table asked for a sync token
            raise _read_only()
        grant: Grant = request.state.grant
        raw_id = request.path_params["id"]
        doc = await run_in_threadpool(self.store.contact, int(raw_id)) if is_id(raw_id) else None
        if doc is None:
            raise ApiError(404, ErrorCode.NOT_FOUND, f"There is no contact with id {raw_id}.")
        return jsonio.raw_response(for_scope(doc, grant.scope).encode("utf-8"))

    async def hashes(self, request: Request) -> Response:
        after = _after(request)
        limit = _limit(request, DEFAULT_HASHES_LIMIT, MAX_HASHES_LIMIT)
        rows = await run_in_threadpool(self.store.hashes_after, after, limit)
        text = ",".join(f'{{"id":"{contact_id}","hash":"{digest}"}}' for contact_id, digest in rows)
        return jsonio.raw_response(f"[{text}]".encode("ascii"))

    async def page(self, request: Request) -> Response:
        refused = self.sign_in.page_gate(request, lambda: self._authorize(request, Scope.READ))
        if refused is not None:
            return refused
        text = request.query_params.get("q", "").strip()[:_MAX_QUERY_LENGTH]
        if not is_plain_unicode(text):
            text = text.encode("utf-8", "replace").decode("utf-8")
        page, problem = page_number(request)
        query = SearchQuery.parse(text)

        def load() -> tuple[str, PageResult]:
            practice = self.store.practice()
            assert practice is not None
            return practice.name, self.store.page_rows(query, page, 0 if problem else PAGE_SIZE)

        name, result = await run_in_threadpool(load)
        headers = {"Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP}
        if problem is not None:
            return HTMLResponse(render_problem(name, result.total, problem), 400, headers=headers)
        html = render_page(
            name,
            result.rows,
            query=text,
            page=page,
            size=PAGE_SIZE,
            matched=result.matched,
            total=result.total,
        )
        return HTMLResponse(html, headers=headers)


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    request.state.error_code = error.code.value  # for the request log line
    return jsonio.error_response(error)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        api_error = ApiError(404, ErrorCode.NOT_FOUND, f"There is nothing at {request.url.path}.")
    elif error.status_code == 405:
        api_error = ApiError(
            405,
            ErrorCode.METHOD_NOT_ALLOWED,
            f"{request.method} is not allowed on {request.url.path}.",
            headers=dict(error.headers or {}),
        )
    else:
        api_error = ApiError(error.status_code, ErrorCode.INVALID_REQUEST, str(error.detail))
    return jsonio.error_response(api_error)


async def _unexpected(request: Request, error: Exception) -> Response:
    log.error(
        "unexpected error on %s %s",
        request.method,
        printable(request.url.path),
        exc_info=error,
    )
    return jsonio.error_response(
        ApiError(500, ErrorCode.SERVER_ERROR, "The service failed; nothing was changed.")
    )


def api_routes(api: Api) -> list[Route]:
    """The Starlette routes from the one table (:data:`sandbox.openapi.OPERATIONS`) that
    also makes the OpenAPI paths: each path's handler, its methods, and the scope each
    method needs, checked before the handler runs. Table order is match order.

    A path's documented methods are one route and its by-design-405 methods a second one
    after it, so any other method gets the generic 405 whose ``Allow`` names exactly the
    documented methods (what the document says the path supports)."""
    table: dict[str, tuple[str, dict[bool, dict[str, Scope | None]]]] = {}
    for op in OPERATIONS:
        handler, groups = table.setdefault(op.path, (op.handler, {True: {}, False: {}}))
        if handler != op.handler:
            raise ValueError(f"{op.path} has two handlers: {handler} and {op.handler}")
        groups[op.documented][op.method] = op.scope
    return [
        Route(path, api.guarded(attrgetter(handler)(api), scopes), methods=list(scopes))
        for path, (handler, groups) in table.items()
        for scopes in (groups[True], groups[False])
        if scopes
    ]


def create_app(
    store: Store, options: ServiceOptions | None = None, accounts: Accounts | None = None
) -> Starlette:
    options = options or ServiceOptions()
    api = Api(store, options, accounts or Accounts(store.path.with_name(ACCOUNTS_FILE_NAME)))
    routes = api_routes(api)
    host_check = (
        []
        if options.allowed_hosts is None
        else [Middleware(HostCheck, allowed=options.allowed_hosts)]
    )
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(AccessLog),
            Middleware(SecurityHeaders),
            *host_check,
            Middleware(Latency, latency_ms=options.latency_ms),
            Middleware(Faults, injector=FaultInjector(options.fault_rate, options.fault_seed)),
        ],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
