"""Reproducible failures on the sync routes, so the engine's retry paths get exercised.

With ``--fault-rate F --fault-seed S`` each sync request fails with probability F; the
sequence of outcomes depends only on S and the order of requests. A fault is decided
before the request is handled, so a failed batch is never applied.
"""

from __future__ import annotations

import random
import threading
from enum import Enum
from typing import Final

#: (method, path) of the requests that may fail.
FAULT_ROUTES: Final = frozenset(
    {
        ("POST", "/api/v1/sync/batches"),
        ("POST", "/api/v1/sync/lease"),
        ("GET", "/api/v1/sync/state"),
        ("GET", "/api/v1/contacts/hashes"),
    }
)
RETRY_AFTER_SECONDS: Final = 1


class Fault(Enum):
    SERVER_ERROR = 500
    UNAVAILABLE = 503
    RATE_LIMITED = 429
    DROP_CONNECTION = 0  # the connection is closed without any response


class FaultInjector:
    def __init__(self, rate: float, seed: int | None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, method: str, path: str) -> Fault | None:
        """The fault for this request, or None to handle it normally."""
        if self.rate <= 0 or (method, path) not in FAULT_ROUTES:
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            return self._random.choice(list(Fault))
