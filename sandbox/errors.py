"""The exception that carries an error code (:class:`engine.contract.wire.ErrorCode`) to a
response.

Every refusal is ``{"error": code, "message": plain words}`` so the engine can branch on
the code and show the message to a person unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.contract.wire import ErrorCode


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
