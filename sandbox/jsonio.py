"""JSON in and out, safe for the lone surrogates some practice databases hold.

``json.loads`` accepts an escaped lone surrogate ("\\ud800"); a plain UTF-8 encode of it
would crash. Encoding with ``backslashreplace`` writes it back as the same JSON escape,
so documents round-trip exactly and every response is valid UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

import msgspec
from starlette.responses import Response

from engine.contract.wire import ErrorCode
from sandbox.errors import ApiError

JSON_MEDIA_TYPE = "application/json"


def to_text(value: Any) -> str:
    """Compact JSON text that is valid UTF-8 even when strings hold lone surrogates."""
    return to_bytes(value).decode("utf-8")


def escape_surrogates(text: str) -> str:
    """Rewrite lone surrogates in JSON text as their ``\\uXXXX`` escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def to_bytes(value: Any) -> bytes:
    try:
        return msgspec.json.encode(value)  # json.dumps's bytes below, several times faster
    except UnicodeEncodeError:  # lone surrogates
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return escape_surrogates(text).encode("utf-8")


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def parse(body: bytes) -> Any:
    """Parse a request body; anything that is not strict JSON is a 400 with the reason."""
    try:
        try:
            return msgspec.json.decode(body)
        except msgspec.DecodeError:
            pass  # lone surrogate escapes, numbers past a float, or not JSON: the reference decides
        return json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise ApiError(400, ErrorCode.INVALID_JSON, "The JSON body is nested too deeply.") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ApiError(
            400, ErrorCode.INVALID_JSON, f"The request body is not valid JSON: {error}."
        ) from None


def response(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(to_bytes(value), status, dict(headers or {}), JSON_MEDIA_TYPE)


def raw_response(
    body: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A response whose JSON was assembled from stored text (no re-encoding)."""
    return Response(body, status, dict(headers or {}), JSON_MEDIA_TYPE)


def error_response(error: ApiError) -> Response:
    return response(error.body(), error.status, error.headers)
