"""Error codes the service answers with, and the exception that carries them to a response.

Every refusal is ``{"error": code, "message": plain words}`` so the engine can branch on
the code and show the message to a person unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"
    INVALID_HOST = "invalid_host"
    INVALID_JSON = "invalid_json"
    INVALID_CLIENT = "invalid_client"
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


class ApiError(Exception):
    """A refusal with its HTTP status; raised anywhere, turned into JSON in one place."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": self.code.value, "message": self.message, **self.extra}
