"""The wire contract between the engine's online client and the service, defined once.

Both sides import these names (the sandbox too), so a path prefix, a scope, an error code,
a header name or a content coding can't drift apart between client and service. Like
:mod:`engine.contract.canonical`, this module holds no behaviour, only the words of the API.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

#: Every API path starts with this.
API_PREFIX: Final = "/api/v1"
#: The desktop program's public OAuth client id (browser sign-in with PKCE: a native app
#: holds no secret, RFC 8252 8.4), the same for every installation.
DESKTOP_CLIENT_ID: Final = "contacts-migration-desktop"

#: Request header: makes a batch safe to resend (the service replays the first answer).
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
#: Request header: asks the service to hold a pipelined batch until its base checkpoint
#: is current (seconds).
CHECKPOINT_WAIT_HEADER: Final = "Checkpoint-Wait"
#: Answer header (RFC 7694): the request codings the service decodes.
ACCEPT_ENCODING_HEADER: Final = "Accept-Encoding"
#: Request header: the coding of a compressed request body.
CONTENT_ENCODING_HEADER: Final = "Content-Encoding"
#: Answer header: seconds to wait before asking again (429, 503).
RETRY_AFTER_HEADER: Final = "Retry-After"


class Scope(StrEnum):
    """What a token may do."""

    SYNC = "sync"  # the agent: everything
    READ = "read"  # viewers: GET only


class ContentEncoding(StrEnum):
    """Request-body codings in order of preference (best first); identity means none."""

    ZSTD = "zstd"
    GZIP = "gzip"
    IDENTITY = "identity"


#: The compressed codings, best first (what the service decodes by default).
COMPRESSED_ENCODINGS: Final = (ContentEncoding.ZSTD, ContentEncoding.GZIP)


class ErrorCode(StrEnum):
    """The ``error`` value of every JSON refusal the service can send.

    Every refusal is ``{"error": code, "message": plain words}``: the engine branches on
    the code and shows the message to a person unchanged."""

    INVALID_REQUEST = "invalid_request"
    INVALID_HOST = "invalid_host"
    INVALID_JSON = "invalid_json"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    INVALID_TOKEN = "invalid_token"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    READ_ONLY = "read_only"
    IRREVERSIBLE = "irreversible"
    TERMS_OUTDATED = "terms_outdated"
    NOT_ACTIVATED = "not_activated"
    STALE_EPOCH = "stale_epoch"
    CHECKPOINT_CONFLICT = "checkpoint_conflict"
    IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    INVALID_DOCUMENTS = "invalid_documents"
    RATE_LIMITED = "rate_limited"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVER_ERROR = "server_error"
