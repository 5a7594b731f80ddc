"""How big each upload batch is (sized from the link's measured rate and round trip), what
the pipeline of batches did (for the coding chooser), and how quickly the event loop
gets its turn while an upload runs.

Kept apart from :mod:`engine.sync.uploader`, which sends the batches.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

#: The window full at least this share of the time the uploader waited: link-bound.
LINK_BOUND: Final = 0.6
#: The first batch of an upload is small, so the first answer (and progress) comes soon.
FIRST_BATCH_BYTES: Final = 128 * 1024
MIN_BATCH_BYTES: Final = 32 * 1024


class LinkMeter:
    """Measured throughput and round trip of the link, for batch sizing.

    A batch should take a few round trips to send (so headers and answers are a small
    share) and at most about a second (so progress moves and a retry costs little).
    Throughput is measured between settled batches (the pipeline keeps the link busy, so
    that is what the link and service together deliver); the round trip from batches
    sent alone.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.round_trip: float | None = None
        #: Wire bytes per second, smoothed.
        self.rate: float | None = None
        #: Plain bytes per wire byte (the compression ratio), smoothed.
        self.ratio = 1.0
        self._last_settled: float | None = None

    def sent_alone(self, seconds: float) -> None:
        seconds = max(seconds, 1e-4)
        self.round_trip = seconds if self.round_trip is None else min(self.round_trip, seconds)

    def settled(self, wire: int, raw: int, busy: bool, at: float | None = None) -> float | None:
        """A batch was answered (``at``, ``time.monotonic()``: now when not given; an
        answer may be settled a little later); ``busy``: others were in flight right
        behind it. Returns the seconds it held the pipeline when that could be measured
        (busy, after a busy one): the gap since the answer before it."""
        now = time.monotonic() if at is None else at
        self.ratio = 0.7 * self.ratio + 0.3 * (raw / max(wire, 1))
        gap = None
        if busy and self._last_settled is not None:
            gap = max(now - self._last_settled, 1e-4)
            rate = wire / gap
            self.rate = rate if self.rate is None else 0.7 * self.rate + 0.3 * rate
        self._last_settled = now if busy else None
        return gap

    def batch_bytes(self) -> int:
        """The plain (uncompressed) size the next batch should have."""
        if self.round_trip is None:
            return min(FIRST_BATCH_BYTES, self.max_bytes)
        if self.rate is None:
            return self.max_bytes
        seconds = min(max(4 * self.round_trip, 0.25), 1.0)
        wanted = int(self.rate * self.ratio * seconds)
        return max(min(wanted, self.max_bytes), min(MIN_BATCH_BYTES, self.max_bytes))


@dataclass
class PipelineWindow:
    """What the pipeline of batches did since the coding was last chosen (the chooser's
    measurements: :mod:`engine.sync.coding`)."""

    raw: int = 0
    wire: int = 0
    seconds: float = 0.0
    answers: int = 0
    blocked: float = 0.0
    starved: float = 0.0

    def answered(self, raw: int, wire: int, gap: float) -> None:
        self.raw += raw
        self.wire += wire
        self.seconds += max(gap, 1e-4)
        self.answers += 1

    def wire_rate(self) -> float:
        return self.wire / max(self.seconds, 1e-4)

    def plain_rate(self) -> float:
        return self.raw / max(self.seconds, 1e-4)

    def link_bound(self) -> bool:
        return self.blocked >= LINK_BOUND * max(self.blocked + self.starved, 1e-9)

    def client_bound(self) -> bool:
        return self.starved >= LINK_BOUND * max(self.blocked + self.starved, 1e-9)


#: The interpreter's thread switch interval while an upload to a far service runs
#: (Python's default is 5 ms; near, where the link outruns the rest, it is left alone).
#: The reader thread runs Python nearly all the time on a busy client, and the event
#: loop, woken by an answer, waits up to that long for the GIL before it can post the
#: next batch (and again when a compression finishes): with one thread busy in Python,
#: an asyncio timer woke 10 ms late (median) at 5 ms, 2.5 ms late at 1 ms, one core.
SWITCH_SECONDS: Final = 0.001


@contextmanager
def quick_switches() -> Iterator[None]:
    """The shorter switch interval for the block; the one before after it (unless
    someone changed it meanwhile)."""
    before = sys.getswitchinterval()
    quick = min(before, SWITCH_SECONDS)
    sys.setswitchinterval(quick)
    try:
        yield
    finally:
        if math.isclose(sys.getswitchinterval(), quick):
            sys.setswitchinterval(before)
