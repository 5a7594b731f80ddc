"""Reading request bodies within the size limit, and checks for the small JSON ones
(activation, lease).

Each refusal names every problem at once, so a developer fixes a request in one go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from starlette.requests import Request

from engine.contract.wire import ErrorCode
from sandbox.errors import ApiError
from sandbox.params import bad_query

MAX_TEXT_LENGTH: Final = 500
#: Unknown field names listed in a refusal; a body with thousands gets a count.
MAX_LISTED_NAMES: Final = 20
#: How much of an oversized body is read and discarded so the client can see the 413.
MAX_DRAIN_BYTES: Final = 64 * 1024 * 1024


def invalid(problems: Sequence[str]) -> ApiError:
    return ApiError(
        422,
        ErrorCode.INVALID_REQUEST,
        "The request body is not valid: " + "; ".join(problems) + ".",
    )


def unknown_and_missing(body: dict[str, object], names: Sequence[str]) -> list[str]:
    problems: list[str] = []
    missing = [name for name in names if name not in body]
    unknown = sorted(key for key in body if key not in names)
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unknown:
        problems.append("unknown fields " + listed_names(unknown))
    return problems


def listed_names(names: Sequence[str]) -> str:
    """The first :data:`MAX_LISTED_NAMES` names (each cut to 100 characters), then a count."""
    shown = ", ".join(name[:100] for name in names[:MAX_LISTED_NAMES])
    more = len(names) - MAX_LISTED_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


def require_object(body: object) -> dict[str, object]:
    if not isinstance(body, dict):
        raise invalid(["the body must be a JSON object"])
    return body


def is_plain_unicode(value: str) -> bool:
    """True when the text can be stored as UTF-8 (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_fields(body: object, names: Sequence[str]) -> dict[str, str]:
    """A JSON object with exactly these keys, each a non-empty string of sensible length."""
    obj = require_object(body)
    problems = unknown_and_missing(obj, names)
    values: dict[str, str] = {}
    for name in names:
        if name not in obj:
            continue
        value = obj[name]
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name} must be non-empty text")
        elif not is_plain_unicode(value):
            problems.append(f"{name} must not contain lone surrogates")
        elif len(value) > MAX_TEXT_LENGTH:
            problems.append(f"{name} must be at most {MAX_TEXT_LENGTH} characters")
        else:
            values[name] = value
    if problems:
        raise invalid(problems)
    return values


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk; over the limit it is a 413.

    An oversized body is still read to its end (and thrown away, never held) up to
    ``MAX_DRAIN_BYTES``, so the client finishes sending and then reads the 413; a
    server that hangs up mid-upload leaves the client with a connection error
    instead, and it could not tell "too large" from "network trouble".
    """
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isascii() or not declared.isdigit()):
        raise bad_query("Content-Length must be a number.")
    too_large = declared is not None and int(declared) > limit
    drained = not (too_large and int(declared or 0) > limit + MAX_DRAIN_BYTES)
    chunks: list[bytes] = []  # joined once at the end: no growing copy of the body
    received = 0
    if drained:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                too_large = True
                chunks.clear()
                if received > limit + MAX_DRAIN_BYTES:
                    drained = False
                    break
                continue
            if chunk:  # the stream ends with b"": a second piece would copy the body
                chunks.append(chunk)
    if too_large:
        raise ApiError(
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"The request body is larger than {limit} bytes; send smaller batches.",
            headers={} if drained else {"Connection": "close"},
        )
    return b"".join(chunks)
