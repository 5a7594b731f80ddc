"""Throttling of failed sign-ins (per client id and per address, failures only), and
the per-client bound on requests held waiting (``Checkpoint-Wait``), read strictly.

Without it one laptop on the LAN can try about 500 secrets a second. Each failed token
request is remembered for :data:`FAILURE_WINDOW_SECONDS` under its address and, when the
client id is a registered one, under that id. While a key has too many failures in the
window every token request for it is answered 429 with ``Retry-After`` *before* the
secret is checked, so a locked key reveals nothing about the secret; successful requests
are never counted, so an agent that fetches many tokens is never slowed. Unregistered
client ids are counted only under the address, so made-up ids can't grow memory.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from engine.contract.wire import ErrorCode
from sandbox.errors import ApiError

FAILURE_WINDOW_SECONDS: Final = 60.0
#: Failed token requests per registered client id in the window (from any address).
CLIENT_FAILURE_LIMIT: Final = 10
#: Failed token requests per address in the window (any client ids).
ADDRESS_FAILURE_LIMIT: Final = 20
#: Addresses remembered at most (the oldest are forgotten first when more appear).
MAX_TRACKED_KEYS: Final = 10_000


class KeyKind(StrEnum):
    CLIENT = "client id"
    ADDRESS = "address"


@dataclass(frozen=True)
class Refusal:
    """Why a token request is refused unchecked, and for how many whole seconds."""

    kind: KeyKind
    retry_after: int


class FailureThrottle:
    """Counts failures in a sliding window; call only from one thread (the event loop)."""

    def __init__(
        self,
        *,
        window: float = FAILURE_WINDOW_SECONDS,
        client_limit: int = CLIENT_FAILURE_LIMIT,
        address_limit: int = ADDRESS_FAILURE_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._limits = {KeyKind.CLIENT: client_limit, KeyKind.ADDRESS: address_limit}
        self._clock = clock
        self._failures: dict[tuple[KeyKind, str], deque[float]] = {}

    def refusal(self, address: str, client_id: str | None) -> Refusal | None:
        """A :class:`Refusal` when the address or client id is over its limit."""
        now = self._clock()
        for key in self._keys(address, client_id):
            times = self._recent(key, now)
            if times is not None and len(times) >= self._limits[key[0]]:
                wait = max(1, math.ceil(times[0] + self._window - now))
                return Refusal(key[0], wait)
        return None

    def failed(self, address: str, client_id: str | None) -> None:
        now = self._clock()
        for key in self._keys(address, client_id):
            times = self._recent(key, now)
            if times is None:
                if len(self._failures) >= MAX_TRACKED_KEYS:
                    self._forget_oldest()
                times = self._failures[key] = deque()
            times.append(now)
            while len(times) > self._limits[key[0]]:  # more are never needed
                times.popleft()

    def tracked(self) -> int:
        """How many keys are remembered (for tests of the memory bound)."""
        return len(self._failures)

    @staticmethod
    def _keys(address: str, client_id: str | None) -> list[tuple[KeyKind, str]]:
        keys = [(KeyKind.ADDRESS, address)]
        if client_id is not None:
            keys.append((KeyKind.CLIENT, client_id))
        return keys

    def _recent(self, key: tuple[KeyKind, str], now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def _forget_oldest(self) -> None:
        oldest = min(self._failures, key=lambda key: self._failures[key][-1])
        del self._failures[oldest]


#: A number of seconds in a header: plain decimal digits, nothing else (no ``nan``,
#: ``inf``, exponent, sign, underscore or non-ASCII digit).
_SECONDS: Final = re.compile(r"[0-9]{1,5}(?:\.[0-9]{1,6})?")


def header_seconds(name: str, raw: str, maximum: float) -> float:
    """A numeric header parsed strictly: finite, from 0 to ``maximum``, else a 400."""
    value = float(raw) if _SECONDS.fullmatch(raw.strip()) else math.nan
    if not 0 <= value <= maximum:  # NaN fails every comparison: refused too
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            f"{name} must be a number of seconds from 0 to {maximum:g}.",
        )
    return value


class WaitSlots:
    """How many requests each client holds waiting at once (``Checkpoint-Wait``): past
    ``per_client`` a request is answered at once, as without the header, so one client
    can hold at most that many of the service's waiting slots, each for the capped time."""

    def __init__(self, per_client: int) -> None:
        self._per_client = per_client
        self._held: dict[str, int] = {}

    @contextlib.contextmanager
    def hold(self, holder: str) -> Iterator[bool]:
        """True (and a slot held until exit) when ``holder`` may wait; else False."""
        if self._held.get(holder, 0) >= self._per_client:
            yield False
            return
        self._held[holder] = self._held.get(holder, 0) + 1
        try:
            yield True
        finally:
            left = self._held[holder] - 1
            if left:
                self._held[holder] = left
            else:
                del self._held[holder]
