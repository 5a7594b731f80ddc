"""Query parameters of the listings and the contacts page, read exactly as the OpenAPI
document states them: a value outside its schema (empty included) is refused, never read
as "the default"."""

from __future__ import annotations

import re
from typing import Final

from starlette.requests import Request

from engine.contract.formats import CURSOR_RE
from engine.contract.wire import ErrorCode
from sandbox.errors import ApiError

#: The contacts page's page numbers (the OpenAPI schema says the same).
MAX_PAGE: Final = 999_999_999
_PAGE: Final = re.compile("[1-9][0-9]{0,8}")


def bad_query(message: str) -> ApiError:
    return ApiError(400, ErrorCode.INVALID_REQUEST, message)


def after_param(request: Request) -> int:
    value = request.query_params.get("after")
    if value is None:
        return 0
    if not CURSOR_RE.fullmatch(value):
        raise bad_query(
            "after must be a contact id (digits without leading zeros), or 0 for the start."
        )
    return int(value)


def limit_param(request: Request, default: int, maximum: int) -> int:
    value = request.query_params.get("limit")
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= maximum):
        raise bad_query(f"limit must be a whole number from 1 to {maximum}.")
    return int(value)


def page_number(request: Request) -> tuple[int, str | None]:
    """The contacts page's page number, or 1 and a plain message saying what is wrong."""
    raw = request.query_params.get("page")
    if "after" in request.query_params:
        return 1, "This page is paged by page number (page=2), not by after=; start again here."
    if raw is None:
        return 1, None
    if not _PAGE.fullmatch(raw):
        return 1, f"“{raw[:20]}” is not a page number: pages are numbered 1, 2, 3 and so on."
    return int(raw), None
