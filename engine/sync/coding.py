"""Which coding (none, or a zstd level) each upload batch gets, from what was measured.

Why: compression only pays while the link is the bottleneck. On a practice's line (5-20
Mbit/s up) every byte saved is time saved, and a higher level pays as long as the client
keeps up; on a fast link (the loopback, a LAN) the link outruns the client and the
service, and compression would only spend CPU on both sides.

How it is measured, once per upload stream, at its start:

1. batches go with zstd level 3, pipelined, until the pipeline's plain throughput with
   compression is known (answers of batches with others in flight behind them);
2. then :data:`PROBES` small compressed batches and as many uncompressed ones of the same
   plain size (0.08 s of the link each at most) are sent in turn, each *alone* on an idle
   pipeline (batches in flight share the link and are answered in bunches, so only a
   batch alone shows its own time), and the quickest of each kind timed;
3. the extra time the uncompressed bytes took gives the link's rate. A link at least twice
   as fast as the pipeline's compressed throughput outruns the rest: no compression.
   Otherwise each zstd level's time per plain byte is modelled as
   ``max(client CPU per byte + its compressing cost, link time per byte / its ratio)``
   and the quickest wins (:data:`ZSTD_LEVELS`: ratios and relative costs, scaled by what
   this machine and this data measured for level 3).

Every batch carries its own ``Content-Encoding``, so the coding changing between batches
is safe; a batch sent again keeps its body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final

from engine.online.compression import ZSTD_LEVEL, ZSTD_LEVELS, ContentEncoding

log = logging.getLogger(__name__)

#: Compressed and uncompressed batches of one (small) size, each sent alone.
PROBES: Final = 2
#: Link time a probe may take at most, at the rate the compressed batches showed.
PROBE_SECONDS: Final = 0.08
MIN_PROBE_BYTES: Final = 32 * 1024
#: No compression only when the link measured at least this many times the pipeline's
#: compressed throughput: wrongly compressing costs a fast link a few per cent, wrongly
#: not compressing costs a slow one 8x (seen: loopback 5x, 20 Mbit/s 0.8x).
OUTRUNS: Final = 2.0
#: A compressed batch sent alone answered this quickly: the service is near (a LAN, the
#: loopback), where timings are mostly noise and a fast link is the rule: zstd level 1 at
#: most (cheap on both sides), whatever the model says.
NEAR_SECONDS: Final = 0.01
NEAR_LEVEL: Final = 1
#: Batches answered after the choice before it is reviewed once with the client's CPU
#: measured since (at the choice it still includes the start-up's read-ahead).
REVIEW_AFTER: Final = 16
#: A higher level must be this much quicker (modelled) to be chosen over a lower one.
MARGIN: Final = 0.05


class Role(Enum):
    NORMAL = "normal"
    REFERENCE = "reference"
    PROBE = "probe"


@dataclass(frozen=True)
class Coding:
    encoding: ContentEncoding
    level: int = 0
    role: Role = Role.NORMAL


IDENTITY: Final = Coding(ContentEncoding.IDENTITY)
START: Final = Coding(ContentEncoding.ZSTD, ZSTD_LEVEL)


class CodingChooser:
    """Picks each batch's coding; told what every answered batch measured."""

    def __init__(self, cpu_clock: Callable[[], float] = time.process_time) -> None:
        """``cpu_clock``: this process's CPU seconds (a parameter for tests)."""
        self._cpu_clock = cpu_clock
        self._decided: Coding | None = None
        self._plan: list[Coding] = []
        self._planned = False
        self._probe_bytes = 0
        self._times: dict[Role, list[float]] = {Role.REFERENCE: [], Role.PROBE: []}
        self._wire: dict[Role, int] = {}
        self._pipeline_raw = 0  # plain bytes and seconds of pipelined compressed batches
        self._pipeline_seconds = 0.0
        self._wire_rate: float | None = None
        self._link: float | None = None
        #: CPU seconds since the first answer: all of this process's, and compressing.
        self._cpu_mark: float | None = None
        self._cpu_spent = 0.0
        self._compress_spent = 0.0
        self._raw_settled = 0
        self._review_in: int | None = None
        self._cost_scale = 1.0
        self._ratio_scale = 1.0

    @property
    def decided(self) -> Coding | None:
        return self._decided

    def next(self, offered: ContentEncoding) -> Coding:
        """The coding of the next batch, given the best one the service accepts."""
        if offered is ContentEncoding.IDENTITY:
            return IDENTITY
        if offered is not ContentEncoding.ZSTD:
            return Coding(offered)
        if self._decided is not None:
            return self._decided
        if self._plan:
            return self._plan.pop(0)
        return START

    def probe_bytes(self) -> int | None:
        """The plain size of the next batch while references and probes are sent."""
        return self._probe_bytes if self._plan else None

    def settled(
        self, coding: Coding, wire: int, raw: int, compress_cpu: float, gap: float | None
    ) -> None:
        """A batch was answered; ``gap``: seconds since the answer before it, when others
        were in flight right behind it (None when it went alone: nothing to learn)."""
        now_cpu = self._cpu_clock()
        mark, self._cpu_mark = self._cpu_mark, now_cpu
        if raw <= 0:
            return
        if mark is not None:  # over the whole stream, so read-ahead evens out
            self._cpu_spent += now_cpu - mark
            self._compress_spent += compress_cpu
            self._raw_settled += raw
        if coding.encoding is ContentEncoding.ZSTD and coding.level == ZSTD_LEVEL:
            table_ratio, table_cost = _table(ZSTD_LEVEL)
            self._ratio_scale = _clamp(raw / max(wire, 1) / table_ratio, 0.5, 2.0)
            if compress_cpu > 0:
                self._cost_scale = _clamp(compress_cpu / raw / (table_cost * 1e-9), 0.25, 8.0)
        if self._review_in is not None:
            self._review()
        if gap is None or self._decided is not None or coding.role is not Role.NORMAL:
            return
        if coding.encoding is ContentEncoding.ZSTD:
            self._pipeline_raw += raw
            self._pipeline_seconds += max(gap, 1e-4)
        if not self._planned:
            self._probe_bytes = max(int(wire / max(gap, 1e-4) * PROBE_SECONDS), MIN_PROBE_BYTES)
            reference = Coding(ContentEncoding.ZSTD, ZSTD_LEVEL, Role.REFERENCE)
            probe = Coding(ContentEncoding.IDENTITY, 0, Role.PROBE)
            self._plan = [reference, probe] * PROBES
            self._planned = True

    def timed(self, coding: Coding, wire: int, seconds: float) -> None:
        """A reference or probe batch, sent alone, took ``seconds`` from send to answer."""
        if coding.role is Role.NORMAL or self._decided is not None:
            return
        self._times[coding.role].append(seconds)
        self._wire[coding.role] = wire
        if all(len(times) >= PROBES for times in self._times.values()):
            self._decided = self._verdict()
            self._plan = []
            log.info("upload coding: %s", self.describe())
            if self._decided.encoding is ContentEncoding.ZSTD:
                self._review_in = REVIEW_AFTER
                self._cpu_spent = self._compress_spent = 0.0
                self._raw_settled = 0

    def _review(self) -> None:
        """Once, after :data:`REVIEW_AFTER` answers: the level again, with the client's
        CPU per byte measured since the choice (the link's rate stays as probed)."""
        assert self._review_in is not None
        self._review_in -= 1
        if self._review_in > 0:
            return
        self._review_in = None
        self._decided = self.choose()
        log.info("upload coding reviewed: %s", self.describe())

    def _verdict(self) -> Coding:
        probe_wire, reference_wire = self._wire[Role.PROBE], self._wire[Role.REFERENCE]
        extra = min(self._times[Role.PROBE]) - min(self._times[Role.REFERENCE])
        self._link = (probe_wire - reference_wire) / max(extra, 1e-3)
        pipeline = self._pipeline_raw / max(self._pipeline_seconds, 1e-4)
        if self._link >= OUTRUNS * pipeline:
            return IDENTITY
        return self.choose()

    def choose(self) -> Coding:
        """The quickest zstd level on a link that is the bottleneck at the probes' rate."""
        link = self._link or 1.0
        other = max(self._cpu_spent - self._compress_spent, 0.0) / max(self._raw_settled, 1)
        best, best_time = START, float("inf")
        near = min(self._times[Role.REFERENCE], default=1.0) < NEAR_SECONDS
        for level, ratio, cost in ZSTD_LEVELS:
            if near and level > NEAR_LEVEL:
                break
            seconds = max(
                other + cost * 1e-9 * self._cost_scale,
                1 / (link * ratio * self._ratio_scale),
            )
            if seconds < best_time * (1 - MARGIN):
                best, best_time = Coding(ContentEncoding.ZSTD, level), seconds
        return best

    def describe(self) -> str:
        """The choice and what it was made from, for the log and the benchmarks."""
        coding = self._decided
        name = "not chosen yet" if coding is None else coding.encoding.value
        if coding is not None and coding.level:
            name += f" level {coding.level}"
        times = {r.value: [round(t * 1000, 1) for t in ts] for r, ts in self._times.items()}
        pipeline = self._pipeline_raw / max(self._pipeline_seconds, 1e-4)
        other = max(self._cpu_spent - self._compress_spent, 0.0) / max(self._raw_settled, 1)
        return (
            f"{name} (alone, ms: {times}; link {(self._link or 0) * 8 / 1e6:.1f} Mbit/s;"
            f" pipeline, compressed: {pipeline * 8 / 1e6:.0f} Mbit/s of plain JSON;"
            f" client {other * 1e9:.0f} ns CPU per plain byte)"
        )


def _table(level: int) -> tuple[float, float]:
    for known, ratio, cost in ZSTD_LEVELS:
        if known == level:
            return ratio, cost
    return ZSTD_LEVELS[1][1], ZSTD_LEVELS[1][2]


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
