"""The OpenAPI 3.1 description of the service, built from the same tables it enforces.

The operations (paths, scopes, answers) are here; the body schemas in
:mod:`sandbox.openapi_schemas`. ``tests/sandbox`` checks that every route and
every status the service answers with is described here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from engine.contract.wire import API_PREFIX, Scope
from sandbox.auth import FORM_MEDIA_TYPE
from sandbox.decoding import OPENAPI_ANSWER_HEADER, OPENAPI_BATCH_PARAMETERS, OPENAPI_BODY_CODING
from sandbox.limits import (
    DEFAULT_HASHES_LIMIT,
    DEFAULT_LIST_LIMIT,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_HASHES_LIMIT,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_LIST_LIMIT,
)
from sandbox.openapi_schemas import (
    CURSOR_PATTERN,
    HTML,
    ID_PATTERN,
    JSON,
    component_schemas,
    ref,
)
from sandbox.params import MAX_PAGE


@dataclass(frozen=True)
class Operation:
    """One method on one path: the single table the Starlette routes, the OpenAPI paths
    and the scope checks are all built from (:func:`sandbox.app.api_routes`)."""

    method: str
    path: str
    #: The name of the :class:`sandbox.app.Api` method that answers it.
    handler: str
    summary: str
    #: The scope a token needs; None for routes that need no token.
    scope: Scope | None
    responses: Mapping[int, str | tuple[str, dict[str, Any], str]]
    request: tuple[str, dict[str, Any]] | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    #: False for a method that is by design never allowed (always 405): it is routed (to
    #: say why, with ``Allow``) but not an operation of the document, which names it in
    #: its description instead, so no tool takes it for something callable.
    documented: bool = True
    #: OpenAPI links from the 200 answer to operations that use its values.
    links: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def _html(description: str) -> tuple[str, dict[str, Any], str]:
    return (description, {"type": "string"}, HTML)


_SIGN_IN_ANSWERS: Final[Mapping[int, str | tuple[str, dict[str, Any], str]]] = {
    200: _html("The page"),
    303: "Signed in, cancelled or refused with an OAuth error: back to the program or page.",
    400: _html("Unknown program or a return address that is not loopback."),
    401: _html("Wrong email or password (the page again)."),
    429: _html("Too many wrong passwords lately (the page again); see Retry-After."),
}
_RETRY: Final = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}
_AUTH_ERRORS: Final = {401: "No token, or an unknown or expired one (`invalid_token`)."}
_SCOPE_ERRORS: Final = {**_AUTH_ERRORS, 403: "The token lacks the `sync` scope."}
_FAULTS: Final = {
    429: "Injected fault (`--fault-rate`): too many requests; see Retry-After.",
    500: "Injected fault (`--fault-rate`).",
    503: "Injected fault (`--fault-rate`): unavailable; see Retry-After.",
}
_TOO_LARGE: Final = {413: "The (decompressed) body is larger than the sandbox's `--max-body`."}
_BAD_JSON: Final = {400: "The body is not JSON (`invalid_json`)."}


def _page_params(default: int, maximum: int) -> list[dict[str, Any]]:
    return [
        {
            "name": "after",
            "in": "query",
            "required": False,
            "description": "Only ids greater than this (the previous page's `next`); 0 or"
            " absent: from the start.",
            "schema": {"type": "string", "pattern": CURSOR_PATTERN},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
        },
    ]


_ID_PARAM: Final = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": ID_PATTERN},
}
_READ_ONLY_MESSAGE: Final = "Contacts are read-only online (`read_only`)."
_HTML: Final = {"type": "string"}
#: How a batch is built on the current state: the state's epoch and checkpoint.
_STATE_TO_BATCH: Final = {
    "operationId": "post_api_v1_sync_batches",
    "requestBody": {
        "epoch": "$response.body#/epoch",
        "base_checkpoint": "$response.body#/checkpoint",
    },
    "description": "A batch on the current state (it applies if nothing moved since).",
}

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "GET",
        "/",
        "page",
        "The read-only contacts page (HTML), searchable with `q`",
        None,
        {
            200: ("The page", {"type": "string"}, HTML),
            303: "Not signed in: to the sign-in page, which comes back here.",
            400: ("Not a page number (or an old `after=` link): a page saying so", _HTML, HTML),
            401: "An unknown or expired `read` token.",
        },
        parameters=[
            {
                "name": "q",
                "in": "query",
                "required": False,
                "description": "Name (first last, last first or last, first), code, email"
                " or phone (any spacing).",
                "schema": {"type": "string"},
            },
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Contacts by name, 50 a page; past the last: an empty page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
        ],
        description="Needs a signed-in browser session (or a `read` token, for tools).",
    ),
    *(
        Operation(
            method,
            path,
            handler,
            "The sign-in page (HTML): email, password, allow access",
            None,
            {status: _SIGN_IN_ANSWERS[status] for status in statuses},
            description="Authorization code + PKCE S256 (RFC 7636, 8252) for the desktop "
            "program; the contacts page's own sign-in.",
        )
        for method, path, handler, statuses in (
            ("GET", "/oauth/authorize", "sign_in.authorize", (200, 303, 400)),
            ("POST", "/oauth/authorize", "sign_in.authorize", (303, 400, 401, 429)),
            ("GET", "/sign-in", "sign_in.page_sign_in", (200,)),
            ("POST", "/sign-in", "sign_in.page_sign_in", (303, 401, 429)),
        )
    ),
    Operation(
        "GET",
        "/.well-known/oauth-authorization-server",
        "sign_in.metadata",
        "Authorization server metadata (RFC 8414)",
        None,
        {200: ("The metadata", {"type": "object"}, JSON)},
    ),
    Operation(
        "POST",
        f"{API_PREFIX}/oauth/revoke",
        "sign_in.revoke",
        "Revoke a refresh token (and its whole sign-in) or an access token (RFC 7009)",
        None,
        {
            200: ("Revoked, or nothing to revoke", {"type": "object"}, JSON),
            400: "No token in the form.",
            401: "Not the desktop program's client id.",
        },
        request=(
            FORM_MEDIA_TYPE,
            {
                "type": "object",
                "properties": {
                    "token": {"type": "string", "minLength": 1},
                    "client_id": {"type": "string"},
                    "token_type_hint": {"type": "string"},
                },
                "required": ["token", "client_id"],
                "additionalProperties": False,
            },
        ),
    ),
    Operation(
        "GET",
        f"{API_PREFIX}/openapi.json",
        "openapi",
        "This document",
        None,
        {200: ("The OpenAPI document", {"type": "object"}, JSON)},
    ),
    Operation(
        "POST",
        f"{API_PREFIX}/oauth/token",
        "token",
        "Get an access token: client credentials (IT's unattended installs), or the "
        "desktop program's authorization code + PKCE and rotating refresh tokens",
        None,
        {
            200: ("A bearer token", ref("Token"), JSON),
            400: "Missing grant type, unsupported grant type or scope, not a form, or a "
            "refused code or refresh token (`invalid_grant`: sign in again).",
            401: "Unknown client or wrong secret (`invalid_client`).",
            413: "The form is larger than 4 KiB.",
            429: "Too many wrong secrets lately for this client id or from this address "
            "(`rate_limited`); nothing was checked. See Retry-After.",
        },
        request=(FORM_MEDIA_TYPE, ref("TokenRequest")),
        description="Client credentials go in the form or in HTTP Basic authentication.",
    ),
    Operation(
        "GET",
        f"{API_PREFIX}/practice",
        "practice",
        "The practice and its activation",
        Scope.READ,
        {200: ("The practice", ref("Practice"), JSON), **_AUTH_ERRORS},
    ),
    Operation(
        "GET",
        f"{API_PREFIX}/terms/current",
        "terms_current",
        "The current Terms of use",
        Scope.READ,
        {200: ("The terms", ref("Terms"), JSON), **_AUTH_ERRORS},
    ),
    Operation(
        "POST",
        f"{API_PREFIX}/practice/activation",
        "activation",
        "Activate contacts migration (irreversible)",
        Scope.SYNC,
        {
            200: (
                "Already activated: the first activation's record",
                ref("ActivationRecord"),
                JSON,
            ),
            201: ("Activated now", ref("ActivationRecord"), JSON),
            **_BAD_JSON,
            **_SCOPE_ERRORS,
            409: "The accepted terms are not the current version (`terms_outdated`).",
            **_TOO_LARGE,
            422: "The body is not an ActivationRequest (`invalid_request`).",
        },
        request=(JSON, ref("ActivationRequest")),
    ),
    Operation(
        "DELETE",
        f"{API_PREFIX}/practice/activation",
        "activation",
        "Deactivation is not possible",
        Scope.SYNC,
        {**_SCOPE_ERRORS, 405: "Always (`irreversible`)."},
        documented=False,
    ),
    Operation(
        "POST",
        f"{API_PREFIX}/sync/lease",
        "lease",
        "Take the sync lease: raises the epoch, fencing off earlier agents",
        Scope.SYNC,
        {
            200: ("The new epoch", ref("Lease"), JSON),
            **_BAD_JSON,
            **_SCOPE_ERRORS,
            **_TOO_LARGE,
            422: "The body is not a LeaseRequest (`invalid_request`).",
            **_FAULTS,
        },
        request=(JSON, ref("LeaseRequest")),
    ),
    Operation(
        "GET",
        f"{API_PREFIX}/sync/state",
        "sync_state",
        "Epoch, checkpoint, count and checksum of the online contacts "
        "(the checksum for a `sync` token only: `null` for `read`)",
        Scope.READ,
        {200: ("The state", ref("SyncState"), JSON), **_AUTH_ERRORS, **_FAULTS},
        links={"SendBatch": _STATE_TO_BATCH},
    ),
    Operation(
        "POST",
        f"{API_PREFIX}/sync/batches",
        "batches",
        "Apply upserts and deletes atomically (fenced, compare-and-set, idempotent)",
        Scope.SYNC,
        {
            200: ("Applied (or the replayed first answer)", ref("BatchResult"), JSON),
            400: "No Idempotency-Key header, or the body is not JSON (or not its coding).",
            **_SCOPE_ERRORS,
            409: "`not_activated`, `stale_epoch` or `checkpoint_conflict`; nothing applied.",
            **_TOO_LARGE,
            422: "`invalid_request`, `invalid_documents` (with per-id problems) or "
            "`idempotency_key_reused`; nothing applied.",
            415: "A Content-Encoding it does not decode (`unsupported_encoding`).",
            **_FAULTS,
        },
        request=(JSON, ref("BatchRequest")),
        description=OPENAPI_BODY_CODING,
        parameters=[
            *OPENAPI_BATCH_PARAMETERS,
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "description": "Retrying with the same key returns the first answer.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
                    "pattern": IDEMPOTENCY_KEY_PATTERN,
                },
            },
        ],
    ),
    Operation(
        "GET",
        f"{API_PREFIX}/contacts",
        "contacts",
        "Contacts by ascending id, a page at a time",
        Scope.READ,
        {
            200: ("A page", ref("ContactPage"), JSON),
            400: "Bad `after` or `limit` (`invalid_request`).",
            **_AUTH_ERRORS,
        },
        parameters=_page_params(DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT),
    ),
    Operation(
        "POST",
        f"{API_PREFIX}/contacts",
        "contacts",
        "Not possible: contacts are read-only",
        Scope.SYNC,
        {**_SCOPE_ERRORS, 405: _READ_ONLY_MESSAGE},
        documented=False,
    ),
    Operation(
        "GET",
        f"{API_PREFIX}/contacts/hashes",
        "hashes",
        "Id and hash of each contact, for reconciliation (the agent's only)",
        Scope.SYNC,
        {
            200: ("Ascending by id", {"type": "array", "items": ref("ContactHash")}, JSON),
            400: "Bad `after` or `limit` (`invalid_request`).",
            **_SCOPE_ERRORS,
            **_FAULTS,
        },
        parameters=_page_params(DEFAULT_HASHES_LIMIT, MAX_HASHES_LIMIT),
    ),
    Operation(
        "GET",
        f"{API_PREFIX}/contacts/{{id}}",
        "contact",
        "One contact",
        Scope.READ,
        {
            200: ("The contact", ref("Contact"), JSON),
            **_AUTH_ERRORS,
            404: "No such contact (`not_found`).",
        },
        parameters=[_ID_PARAM],
    ),
    *(
        Operation(
            method,
            f"{API_PREFIX}/contacts/{{id}}",
            "contact",
            "Not possible: contacts are read-only",
            Scope.SYNC,
            {**_SCOPE_ERRORS, 405: _READ_ONLY_MESSAGE},
            parameters=[_ID_PARAM],
            documented=False,
        )
        for method in ("PUT", "PATCH", "DELETE")
    ),
)


def _response(status: int, spec: str | tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    if isinstance(spec, tuple):
        description, schema, media_type = spec
        return {"description": description, "content": {media_type: {"schema": schema}}}
    if 300 <= status < 400:  # a redirect: Location, no body
        return {"description": spec, "headers": {"Location": {"schema": {"type": "string"}}}}
    result: dict[str, Any] = {
        "description": spec,
        "content": {JSON: {"schema": ref("Error")}},
    }
    if status in (429, 503):
        result["headers"] = _RETRY
    return result


def _operation(op: Operation) -> dict[str, Any]:
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.method.lower()
        + op.path.replace("/", "_").replace("{", "").replace("}", "").replace(".", "_"),
        "security": [] if op.scope is None else [{"oauth2": [op.scope.value]}],
        "responses": {
            str(status): _response(status, spec) for status, spec in sorted(op.responses.items())
        },
    }
    if op.description:
        result["description"] = op.description
    if op.parameters:
        result["parameters"] = op.parameters
    if op.request is not None:
        media_type, schema = op.request
        result["requestBody"] = {"required": True, "content": {media_type: {"schema": schema}}}
    if op.links:
        result["responses"]["200"]["links"] = dict(op.links)
    return result


@cache
def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        if op.documented:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    for path in ("/oauth/token", "/sync/state"):  # where clients learn the codings
        answer = next(iter(paths[API_PREFIX + path].values()))["responses"]["200"]
        answer["headers"] = OPENAPI_ANSWER_HEADER
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Practice online contacts service (Contacts Migration sandbox)",
            "version": "1",
            "description": (
                "Every error body is `{error, message}`. Unknown paths answer 404 "
                "`not_found` and other methods 405 `method_not_allowed` with `Allow`. By "
                "design never allowed, so not operations here, and answered 405 with the "
                "reason: PUT, PATCH and DELETE on `/contacts/{id}` and POST on `/contacts` "
                "(`read_only`: contacts come only from the practice database, through "
                "batches), and DELETE on `/practice/activation` (`irreversible`); they need "
                "a `sync` token like any change. Token scopes: "
                "`read` may use every GET; `sync` may use everything. A `read` token gets "
                "contacts with `tax_file_number` withheld (null). Every request must name "
                "this service in `Host` (otherwise 400 `invalid_host`). A 422 lists at most "
                "100 refused contacts and counts the rest in `problems_not_listed`; a batch "
                "of more than 10,000 upserts is 413 like an oversized body. Within a batch "
                "each contact id appears at most once (upserts and deletes together: 422 "
                "otherwise), which a JSON Schema can't say. A contact id has one spelling: "
                "digits without a leading zero."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": f"{API_PREFIX}/oauth/token",
                            "scopes": {
                                Scope.SYNC.value: "Synchronise contacts (the agent).",
                                Scope.READ.value: "Read the practice and its contacts.",
                            },
                        }
                    },
                }
            },
        },
    }
