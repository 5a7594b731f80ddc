"""Sizes and page limits the service enforces (and its OpenAPI document states)."""

from __future__ import annotations

import re
from typing import Final

DEFAULT_MAX_BODY: Final = 4 * 1024 * 1024
DEFAULT_LIST_LIMIT: Final = 100
MAX_LIST_LIMIT: Final = 1000
DEFAULT_HASHES_LIMIT: Final = 10_000
MAX_HASHES_LIMIT: Final = 50_000
PAGE_SIZE: Final = 50
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 200
#: An Idempotency-Key: printable ASCII, no space at either end (HTTP strips those).
IDEMPOTENCY_KEY_PATTERN: Final = "^[!-~](?:[ -~]*[!-~])?$"
IDEMPOTENCY_KEY_RE: Final = re.compile(IDEMPOTENCY_KEY_PATTERN)
