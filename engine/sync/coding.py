"""Which coding (none, or a zstd level) each upload batch gets, from what was measured.

Why: compression only pays while the link is the bottleneck. On a practice's line (5-20
Mbit/s up) every byte saved is time saved, and a higher level pays as long as the client
keeps up; on a fast link (the loopback, a LAN) the link outruns the client and the
service, and compression would only spend CPU on both sides.

How it is measured, once per upload stream, at its start, never leaving a slow link idle:

1. batches go with zstd level 3, pipelined, for :data:`PASSIVE_ANSWERS` answers of
   batches with others in flight behind them; the uploader says how long it waited for a
   free slot in its window (the link, or the service, is the bottleneck) and how long for
   the next page or its compression (the client is);
2. a far service (nothing was answered in under :data:`NEAR_SECONDS`: not a LAN, not the
   loopback) is always sent compressed: a practice's uplink, even a 400 Mbit/s one, is
   slower than twice what the client makes of plain JSON, the only case where no
   compression pays. The wire bytes the pipeline carried per second are the link's rate
   when the window was full, and a lower bound when the client was behind (then level 3
   stays until a review sees the window full). Chosen from that at once: no batch is
   sent alone to measure (each would leave the link idle for a round trip and a
   service's work);
3. a near service (a LAN, the loopback: where the link may outrun the client, and a
   round trip costs nothing): :data:`PROBES` small compressed batches and as many
   uncompressed ones of the same plain size are sent in turn, each *alone* on an idle
   pipeline (batches in flight share the link and are answered in bunches, so only a
   batch alone shows its own time); the extra time the uncompressed bytes took gives the
   link's rate. A link at least twice as fast as the pipeline's compressed throughput
   outruns the rest: no compression; else zstd level 1 at most;
4. each zstd level's time per plain byte is modelled as
   ``max(client CPU per byte + its compressing cost, link time per byte / its ratio)``
   and the quickest wins (:data:`ZSTD_LEVELS`: ratios and relative costs, scaled by what
   this machine and this data measured for level 3);
5. every :data:`REVIEW_AFTER` answers the level is chosen again with the client's CPU
   measured since (at the first choice it still includes the start-up's read-ahead) and,
   when the window was full most of the time, the link's rate measured since; a level is
   never raised while the client was the bottleneck (the uploader waited for pages and
   compression more than for a free slot), nor lowered while the link was. A raised
   level that then carried no more plain JSON per second (:data:`RAISE_GAIN`) is undone
   and becomes the ceiling: a slow service fills the window as a slow link does, but
   only a link carries more contacts at a better ratio.

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

#: Answers of pipelined batches before the coding is chosen (or probes are planned).
PASSIVE_ANSWERS: Final = 3
#: The window full at least this share of the time the uploader waited: link-bound.
LINK_BOUND: Final = 0.6
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
#: Batches answered between two reviews of the level, with the client's CPU (and, while
#: link-bound, the link's rate) measured since.
REVIEW_AFTER: Final = 16
#: A higher level must be this much quicker (modelled) to be chosen over a lower one
#: (small: with levels 6 and 8 in the table, 5 % kept a 5 Mbit/s line at level 8,
#: 4 % more bytes than level 12).
MARGIN: Final = 0.02
#: A raised level is kept only if the pipeline then carried this much more plain JSON
#: per second: a link-bound stream gains its ratio's worth, a service-bound one nothing.
RAISE_GAIN: Final = 0.05


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
        self._round_trip: float | None = None
        #: Since the last choice: pipelined compressed answers (plain and wire bytes and
        #: the seconds they held the pipeline), and what the uploader waited for.
        self._window = _Window()
        self._pipeline = 0.0  # plain bytes per second of the stream before the probes
        self._link: float | None = None
        self._passive = False
        self._last_window: _Window | None = None
        #: The level before the last raise and the plain bytes per second it carried;
        #: the highest level allowed once a raise carried no more.
        self._raised: tuple[int, float] | None = None
        self._ceiling: int | None = None
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

    def round_trip(self, seconds: float | None) -> None:
        """A request answered in ``seconds`` with nothing else in flight (a call without
        a body, or a batch sent alone): the quickest tells a near service from a far one."""
        if seconds is not None:
            quickest = self._round_trip
            self._round_trip = seconds if quickest is None else min(quickest, seconds)

    def waited(self, blocked: float, starved: float) -> None:
        """The uploader waited ``blocked`` seconds for a free slot in its window of
        batches in flight (the link or the service is the bottleneck) and ``starved``
        seconds for the next page or its compression (the client is)."""
        self._window.blocked += blocked
        self._window.starved += starved

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
        normal = coding.role is Role.NORMAL
        if gap is not None and normal and coding.encoding is ContentEncoding.ZSTD:
            self._window.answered(raw, wire, gap)
        if self._decided is not None and self._review_in is not None:
            self._review()
        if self._decided is not None:
            return
        if gap is None or coding.role is not Role.NORMAL or self._planned:
            return
        if self._window.answers < PASSIVE_ANSWERS:
            return
        if self._far():
            self._passive = True
            self._link = self._window.wire_rate()
            chosen = self.choose()
            if not self._window.link_bound() and chosen.level > START.level:
                # the link carried only what the client made: its rate is not known, and
                # on a busy machine the client's CPU time understates its wall time; the
                # reviews raise the level once the window is seen full
                chosen = START
            if chosen.level > START.level:
                self._raised = (START.level, self._window.plain_rate())
            self._decide(chosen)
            return
        self._pipeline = self._window.plain_rate()
        self._probe_bytes = max(int(self._window.wire_rate() * PROBE_SECONDS), MIN_PROBE_BYTES)
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
            self._plan = []
            self._decide(self._verdict())

    def _decide(self, coding: Coding) -> None:
        self._decided = coding
        log.info("upload coding: %s", self.describe())
        if coding.encoding is ContentEncoding.ZSTD:
            self._review_in = REVIEW_AFTER
            self._cpu_spent = self._compress_spent = 0.0
            self._raw_settled = 0
        self._window = _Window()

    def _review(self) -> None:
        """Every :data:`REVIEW_AFTER` answers: the level again, with the client's CPU per
        byte measured since and, while the window was full, the link's rate."""
        assert self._review_in is not None and self._decided is not None
        self._review_in -= 1
        if self._review_in > 0:
            return
        self._review_in = REVIEW_AFTER
        window, self._window = self._window, _Window()
        self._last_window = window
        current = self._decided
        if window.answers and window.link_bound():
            self._link = window.wire_rate()  # the link's rate, measured at full load
        elif window.answers:  # the link carried this much and could carry more
            self._link = max(self._link or 0.0, window.wire_rate())
        chosen = self.choose()
        if window.link_bound() and chosen.level < current.level:
            chosen = current  # fewer bytes still pay while the link is the bottleneck
        if window.client_bound() and chosen.level >= current.level:
            # the client is the bottleneck: a cheaper level, whatever the link's rate
            # looked like (a slow service fills the window as a slow link does)
            chosen = _cheaper(current)
        raised, self._raised = self._raised, None
        if raised is not None and window.answers and chosen.level >= current.level:
            level, plain = raised
            if window.plain_rate() < plain * (1 + RAISE_GAIN):
                # a dearer level carried no more contacts: the link was not the
                # bottleneck (a slow service, or one sharing the client's cores)
                chosen, self._ceiling = Coding(current.encoding, level), level
        if self._ceiling is not None and chosen.level > self._ceiling:
            chosen = Coding(chosen.encoding, self._ceiling)
        if chosen.level > current.level:
            self._raised = (current.level, window.plain_rate())
        if chosen != current:
            self._decided = chosen
            log.info("upload coding reviewed: %s", self.describe())
        self._cpu_spent = self._compress_spent = 0.0
        self._raw_settled = 0

    def _near(self) -> bool:
        """Something was answered in under :data:`NEAR_SECONDS`: a LAN or the loopback."""
        quickest = min([*self._times[Role.REFERENCE], self._round_trip or 1.0])
        return quickest < NEAR_SECONDS

    def _far(self) -> bool:
        return self._round_trip is not None and not self._near()

    def _verdict(self) -> Coding:
        probe_wire, reference_wire = self._wire[Role.PROBE], self._wire[Role.REFERENCE]
        extra = min(self._times[Role.PROBE]) - min(self._times[Role.REFERENCE])
        self._link = (probe_wire - reference_wire) / max(extra, 1e-3)
        if self._link >= OUTRUNS * self._pipeline:
            return IDENTITY
        return self.choose()

    def choose(self) -> Coding:
        """The quickest zstd level on a link that is the bottleneck at the measured rate."""
        link = self._link or 1.0
        other = max(self._cpu_spent - self._compress_spent, 0.0) / max(self._raw_settled, 1)
        best, best_time = START, float("inf")
        near = self._near()
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
        how = "from the full pipeline" if self._passive else "from probes"
        times = {r.value: [round(t * 1000, 1) for t in ts] for r, ts in self._times.items()}
        other = max(self._cpu_spent - self._compress_spent, 0.0) / max(self._raw_settled, 1)
        trip = (self._round_trip or 0) * 1000
        window = self._last_window or self._window
        waits = window.blocked + window.starved
        share = window.blocked / waits * 100 if waits else 0.0
        return (
            f"{name} ({how}; round trip {trip:.0f} ms; alone, ms: {times};"
            f" link {(self._link or 0) * 8 / 1e6:.1f} Mbit/s;"
            f" pipeline, compressed: {self._pipeline * 8 / 1e6:.0f} Mbit/s of plain JSON;"
            f" client {other * 1e9:.0f} ns CPU per plain byte;"
            f" waited for the window {share:.0f} % of {waits:.2f} s)"
        )


@dataclass
class _Window:
    """What the pipeline did since the last choice."""

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


def _cheaper(coding: Coding) -> Coding:
    """The next zstd level down the table (the cheapest stays)."""
    lower = [level for level, _, _ in ZSTD_LEVELS if level < coding.level]
    return Coding(coding.encoding, lower[-1]) if lower else coding


def _table(level: int) -> tuple[float, float]:
    for known, ratio, cost in ZSTD_LEVELS:
        if known == level:
            return ratio, cost
    return ZSTD_LEVELS[1][1], ZSTD_LEVELS[1][2]


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
