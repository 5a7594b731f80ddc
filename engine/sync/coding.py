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
4. the client's time per plain byte (its CPU per byte read, plus a level's compressing
   cost) grows along the table (:data:`ZSTD_LEVELS`, scaled by what this machine and
   this data measured for level 3) and the link's time per plain byte (wire bytes over
   its rate) falls: the quickest upload is where they meet, usually *between* two
   levels, so that share of the batches gets the dearer one (a level the client can't
   keep up with leaves the link idle, a cheaper one sends more bytes; stepping between
   them as the client falls behind and catches up does both in turn). The client is
   kept :data:`HEADROOM` under the link;
5. every :data:`REVIEW_AFTER` answers the balance is found again with the client's CPU
   measured since and, when the window was full most of the time, the link's rate
   measured since. When the client was the bottleneck (the uploader waited for pages
   and compression more than for a free slot), what it made per second is its speed:
   its wall time per byte against its CPU time per byte scales the client's side of the
   model (a core shared with other work; :data:`CLIENT_SCALE`), and the stream moves at
   least :data:`STEP_DOWN` cheaper; it is never made cheaper while the link was full.
   The link's rate is the best the pipeline carried (a window full because the service
   was slow shows less). A raise that then carried no more plain JSON per second
   (:data:`RAISE_GAIN`) is undone, and the second time from the same level that level
   becomes the ceiling: a slow service fills the window as a slow link does, but only a
   link carries more contacts at a better ratio.

Every batch carries its own ``Content-Encoding``, so the coding changing between batches
is safe; a batch sent again keeps its body.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final

from engine.online.compression import ZSTD_LEVEL, ZSTD_LEVELS, ContentEncoding
from engine.sync.pacing import PipelineWindow

log = logging.getLogger(__name__)

#: Answers of pipelined batches before the coding is chosen (or probes are planned).
PASSIVE_ANSWERS: Final = 3
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
#: The client's modelled time per byte is kept this much under the link's: at the exact
#: balance every slow second of the client (this VM's speed varies ~1.8x) idles the link.
HEADROOM: Final = 0.03
#: A review that found the client the bottleneck moves at least this far down the
#: table (a position: 0.5 is half the batches one level cheaper).
STEP_DOWN: Final = 0.5
#: A review moves at most this far up the table (at 20 Mbit/s the first review went from
#: level 3 to a mix of 8 and 12 or to 12, on a link rate read low, in every baseline
#: run; the client fell behind and the next review came back to 5 or 6).
MAX_RAISE: Final = 2.0
#: The client's time per byte is its CPU time per byte times this factor, measured when
#: it was the bottleneck (a core shared with other work; thread switches), and eased
#: down while it had time to spare (at once to what the time it did not wait for a slot
#: allows: the model may overrate it), within these bounds, and never below what the
#: client's cores allow (:meth:`CodingChooser._scale_floor`).
CLIENT_SCALE: Final = (0.7, 4.0)
CLIENT_EASE: Final = 0.9
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

    def __init__(
        self, cpu_clock: Callable[[], float] = time.process_time, cores: int | None = None
    ) -> None:
        """``cpu_clock``: this process's CPU seconds, ``cores`` the cores it may run on
        (parameters for tests)."""
        self._cpu_clock = cpu_clock
        self._cores = cores or _usable_cores()
        self._decided: Coding | None = None
        self._plan: list[Coding] = []
        self._planned = False
        self._probe_bytes = 0
        self._times: dict[Role, list[float]] = {Role.REFERENCE: [], Role.PROBE: []}
        self._wire: dict[Role, int] = {}
        self._round_trip: float | None = None
        #: Since the last choice: pipelined compressed answers (plain and wire bytes and
        #: the seconds they held the pipeline), and what the uploader waited for.
        self._window = PipelineWindow()
        self._pipeline = 0.0  # plain bytes per second of the stream before the probes
        self._link: float | None = None
        self._passive = False
        self._last_window: PipelineWindow | None = None
        #: The level before the last raise and the plain bytes per second it carried;
        #: levels a raise from carried no more; the ceiling: one that did so twice.
        self._raised: tuple[float, float] | None = None
        self._undone: set[float] = set()
        self._ceiling: float | None = None
        #: CPU seconds since the first answer: all of this process's, and compressing.
        self._cpu_mark: float | None = None
        self._cpu_spent = 0.0
        self._compress_spent = 0.0
        self._raw_settled = 0
        self._review_in: int | None = None
        self._cost_scale = 1.0
        self._ratio_scale = 1.0
        self._client_scale = 1.0
        #: Where in the zstd table the stream is (0: its first level): between two
        #: levels, that share of the batches gets the dearer one (error diffusion).
        self._position = 0.0
        self._upper: Coding | None = None
        self._share = 0.0
        self._carry = 0.0
        self._raw_produced = 0

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
            if self._upper is not None:
                self._carry += self._share
                if self._carry >= 1.0:
                    self._carry -= 1.0
                    return self._upper
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

    def produced(self, raw: int) -> None:
        """The reader handed over a page of ``raw`` plain bytes: the client's CPU per byte
        is its CPU over what it read (settled bytes lag the read-ahead at the start)."""
        self._raw_produced += raw

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
        else:
            self._raw_produced = 0  # from the first answer, as the CPU
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
        if self.far:
            self._passive = True
            self._link = self._window.wire_rate()
            start = _index(START.level)
            position = self._crossover()
            if not self._window.link_bound():
                # the link carried only what the client made: its rate is not known, and
                # on a busy machine the client's CPU time understates its wall time; the
                # reviews raise the level once the window is seen full
                position = min(position, start)
            self._note_raise(start, position, self._window.plain_rate())
            self._place(position)
            self._decide(self._decided or START)
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
            self._raw_settled = self._raw_produced = 0
        self._window = PipelineWindow()

    def _place(self, position: float) -> None:
        """The stream at ``position`` in the table: its lower level, and the dearer one
        for the fraction of batches past it."""
        levels = _levels(self._near())
        position = _clamp(position, 0.0, len(levels) - 1.0)
        low = int(position)
        self._position, self._share = position, position - low
        self._decided = Coding(ContentEncoding.ZSTD, levels[low])
        upper = levels[low + 1] if self._share > 0.01 and low + 1 < len(levels) else None
        self._upper = None if upper is None else Coding(ContentEncoding.ZSTD, upper)
        if self._upper is None:
            self._share = 0.0

    def _review(self) -> None:
        """Every :data:`REVIEW_AFTER` answers: the level again, with the client's CPU per
        byte measured since and, while the window was full, the link's rate."""
        assert self._review_in is not None and self._decided is not None
        self._review_in -= 1
        if self._review_in > 0:
            return
        self._review_in = REVIEW_AFTER
        window, self._window = self._window, PipelineWindow()
        self._last_window = window
        current = self._position
        if window.answers:
            # no more can cross the link than it carries: the best rate seen is the
            # surest (a window full because the service was slow shows less)
            self._link = max(self._link or 0.0, window.wire_rate())
        if window.answers and window.link_bound():
            # it made these bytes in the time it did not wait for a slot, at most
            busy = max(window.seconds - window.blocked, 0.0) / max(window.raw, 1)
            modelled = max(self._client_seconds(current, scaled=False), 1e-12)
            eased = min(self._client_scale * CLIENT_EASE, busy / modelled)
            self._client_scale = max(self._scale_floor(current), eased)
        if window.answers and window.client_bound():
            # what the client made per second is its speed: its wall time per byte
            # against its CPU time per byte (a shared core, thread switches)
            modelled = self._client_seconds(current, scaled=False)
            wall = 1 / max(window.plain_rate(), 1.0)
            floor = self._scale_floor(current)
            self._client_scale = _clamp(wall / max(modelled, 1e-12), floor, CLIENT_SCALE[1])
        # the link's rate is the best a window carried: it only rises as windows fill, so
        # a raise far up the table is the likeliest to overshoot
        chosen = min(self._crossover(), current + MAX_RAISE)
        if window.link_bound():
            chosen = max(chosen, current)  # fewer bytes still pay while the link is full
        if window.client_bound():
            # the client is the bottleneck: cheaper, whatever the link's rate looked
            # like (a slow service fills the window as a slow link does)
            chosen = min(chosen, current - STEP_DOWN)
        raised, self._raised = self._raised, None
        if raised is not None and window.answers and chosen >= current:
            position, plain = raised
            if window.plain_rate() < plain * (1 + RAISE_GAIN):
                # a dearer level carried no more: not the link's limit (a slow service, a
                # shared core). Undone; the ceiling the second time (one window can lie)
                chosen = position
                if position in self._undone:
                    self._ceiling = position
                self._undone.add(position)
        if self._ceiling is not None:
            chosen = min(chosen, self._ceiling)
        chosen = max(chosen, 0.0)
        self._note_raise(current, chosen, window.plain_rate())
        if abs(chosen - current) > 0.01:
            self._place(chosen)
            log.info("upload coding reviewed: %s", self.describe())
        self._cpu_spent = self._compress_spent = 0.0
        self._raw_settled = self._raw_produced = 0

    def _note_raise(self, current: float, chosen: float, plain: float) -> None:
        """Remember a raise worth checking: one whose ratio should carry at least twice
        :data:`RAISE_GAIN` more plain JSON on a full link (smaller ones drown in noise)."""
        near = self._near()
        gain = _mixed(chosen, near)[0] / _mixed(current, near)[0] - 1
        if gain >= 2 * RAISE_GAIN:
            self._raised = (current, plain)

    def _near(self) -> bool:
        """Something was answered in under :data:`NEAR_SECONDS`: a LAN or the loopback."""
        quickest = min([*self._times[Role.REFERENCE], self._round_trip or 1.0])
        return quickest < NEAR_SECONDS

    @property
    def far(self) -> bool:
        """A far service: known to answer no request in under :data:`NEAR_SECONDS`."""
        return self._round_trip is not None and not self._near()

    def _verdict(self) -> Coding:
        probe_wire, reference_wire = self._wire[Role.PROBE], self._wire[Role.REFERENCE]
        extra = min(self._times[Role.PROBE]) - min(self._times[Role.REFERENCE])
        self._link = (probe_wire - reference_wire) / max(extra, 1e-3)
        if self._link >= OUTRUNS * self._pipeline:
            return IDENTITY
        self._place(self._crossover())  # near: level 1 at most
        return self._decided or START

    def _client_seconds(self, position: float, scaled: bool = True) -> float:
        """The client's modelled time per plain byte at ``position``: its own CPU per
        byte (reading, checking, sending) and the levels' compressing cost."""
        other = max(self._cpu_spent - self._compress_spent, 0.0)
        other /= max(self._raw_produced, self._raw_settled, 1)
        _, cost = _mixed(position, self._near())
        seconds = other + cost * 1e-9 * self._cost_scale
        return seconds * (self._client_scale if scaled else 1.0)

    def _scale_floor(self, position: float) -> float:
        """The least the client's wall time per byte can be against its CPU time per
        byte: on one core its threads take turns (1.0; below it, time spent reading ahead
        while the window was full looks like spare time and the level overshoots); on
        more, compressing (the GIL released) runs beside the rest, the longer of the two."""
        if self._cores <= 1:
            return 1.0
        whole = max(self._client_seconds(position, scaled=False), 1e-12)
        compress = _mixed(position, self._near())[1] * 1e-9 * self._cost_scale
        return max(CLIENT_SCALE[0], max(compress, whole - compress) / whole)

    def _crossover(self) -> float:
        """Where in the table the client's time per plain byte meets the link's (the
        quickest mix: a cheaper one leaves the link more bytes, a dearer one leaves it
        waiting for the client); the cheapest level when the client is slower than the
        link at all of them, the dearest when it is quicker at all of them."""
        link = self._link or 1.0
        top = len(_levels(self._near())) - 1

        def excess(position: float) -> float:
            ratio, _ = _mixed(position, self._near())
            client = self._client_seconds(position) * (1 + HEADROOM)
            return client - 1 / (link * ratio * self._ratio_scale)

        if excess(0.0) >= 0:
            return 0.0
        if excess(float(top)) <= 0:
            return float(top)
        low, high = 0.0, float(top)
        for _ in range(30):  # the excess grows along the table: bisect
            middle = (low + high) / 2
            low, high = (middle, high) if excess(middle) < 0 else (low, middle)
        return low

    def describe(self) -> str:
        """The choice and what it was made from, for the log and the benchmarks."""
        coding = self._decided
        name = "not chosen yet" if coding is None else coding.encoding.value
        if coding is not None and coding.level:
            name += f" level {coding.level}"
        if self._upper is not None:
            name += f" ({self._share * 100:.0f} % of batches level {self._upper.level})"
        other = max(self._cpu_spent - self._compress_spent, 0.0)
        other /= max(self._raw_produced, self._raw_settled, 1)
        window = self._last_window or self._window
        waits = window.blocked + window.starved
        share = window.blocked / waits * 100 if waits else 0.0
        parts = ["from the full pipeline" if self._passive else "from probes"]
        parts.append(f"round trip {(self._round_trip or 0) * 1000:.0f} ms")
        parts.append(f"link {(self._link or 0) * 8 / 1e6:.1f} Mbit/s")
        if not self._passive:  # only probes time batches alone and the plain pipeline
            times = {r.value: [round(t * 1000, 1) for t in ts] for r, ts in self._times.items()}
            parts.append(f"alone, ms: {times}")
            pipeline = self._pipeline * 8 / 1e6
            parts.append(f"pipeline, compressed: {pipeline:.0f} Mbit/s of plain JSON")
        parts.append(f"client {other * 1e9:.0f} ns CPU per plain byte, x{self._client_scale:.2f}")
        parts.append(f"waited for the window {share:.0f} % of {waits:.2f} s")
        return f"{name} ({'; '.join(parts)})"


def _levels(near: bool) -> list[int]:
    """The zstd levels worth choosing: each compresses better than the one before (a
    near service: :data:`NEAR_LEVEL` at most)."""
    levels: list[int] = []
    best = 0.0
    for level, ratio, _ in ZSTD_LEVELS:
        if (near and level > NEAR_LEVEL and levels) or ratio <= best:
            continue
        levels.append(level)
        best = ratio
    return levels


def _index(level: int) -> float:
    levels = _levels(False)
    return float(levels.index(level)) if level in levels else 0.0


def _mixed(position: float, near: bool) -> tuple[float, float]:
    """The ratio and cost (ns per plain byte) at ``position``: per plain byte, a share
    of the batches at the dearer level adds its share of that level's wire bytes."""
    levels = _levels(near)
    position = _clamp(position, 0.0, len(levels) - 1.0)
    low = int(position)
    share = position - low
    high = min(low + 1, len(levels) - 1)
    ratio_low, cost_low = _table(levels[low])
    ratio_high, cost_high = _table(levels[high])
    wire = (1 - share) / ratio_low + share / ratio_high
    return 1 / wire, (1 - share) * cost_low + share * cost_high


def _table(level: int) -> tuple[float, float]:
    for known, ratio, cost in ZSTD_LEVELS:
        if known == level:
            return ratio, cost
    return ZSTD_LEVELS[1][1], ZSTD_LEVELS[1][2]


def _usable_cores() -> int:
    """The cores this process may run on (its affinity where the system has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
