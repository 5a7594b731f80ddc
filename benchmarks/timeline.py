"""Where a shaped upload's time goes: its phases, and how long the uplink sat idle in each.

The uploader logs each batch it sends and each answer (``engine.sync.uploader``, DEBUG),
the coding chooser its choice (``engine.sync.coding``, INFO); the shaper lists the spells
its uplink had nothing to send (``time.monotonic()`` seconds, shared by every process).
Idle link time while contacts are waiting to go is the waste a faster upload removes:
before the first batch (start-up), while the coding is measured, in the steady state, and
after the last byte (the last answers).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from engine.sync.uploader import BATCH_ANSWERED, BATCH_SENT, WINDOW

LOGGERS = ("engine.sync.uploader", "engine.sync.coding")


#: This process's threads, by what they do in an upload (their names' prefixes).
THREAD_ROLES = (("source", "source thread"), ("asyncio", "compression (worker threads)"))


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads so far, by role: the event loop (the
    main thread), the source thread, the worker threads that compress, the rest; from
    the kernel's run time of each thread (nanoseconds), independent of the machine's load
    except through its speed."""
    spent: dict[str, float] = {}
    main = threading.main_thread().native_id
    for thread in threading.enumerate():
        role = "event loop" if thread.native_id == main else "other"
        for prefix, name in THREAD_ROLES:
            if thread.name.startswith(prefix):
                role = name
        with contextlib.suppress(OSError, ValueError):
            stat = Path(f"/proc/self/task/{thread.native_id}/schedstat").read_text()
            spent[role] = spent.get(role, 0.0) + int(stat.split()[0]) / 1e9
    return spent


def cpu_text(before: dict[str, float], after: dict[str, float], contacts: int) -> str:
    """What each role spent between two :func:`thread_cpu` readings, per contact too."""
    parts = []
    for role, seconds in after.items():
        spent = seconds - before.get(role, 0.0)
        parts.append(f"{role} {spent:.2f} s ({spent / max(contacts, 1) * 1e6:.1f} µs)")
    return "  - client CPU by thread: " + "; ".join(parts)


@dataclass(frozen=True)
class Event:
    at: float
    kind: str  # "sent", "answered", "coding"
    wire: int = 0
    level: int = 0


class Recorder(logging.Handler):
    """The batches and coding choices of one upload, with their monotonic times."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[Event] = []
        self.codings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        now = time.monotonic()
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg in (BATCH_SENT, BATCH_ANSWERED) and len(args) >= 3:
            kind = "sent" if record.msg == BATCH_SENT else "answered"
            wire, level = args[0], args[2]
            assert isinstance(wire, int) and isinstance(level, int)
            self.events.append(Event(now, kind, wire, level))
        elif record.name == "engine.sync.coding":
            self.codings.append(record.getMessage())
            self.events.append(Event(now, "coding"))


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        for logger, level in saved:
            logger.removeHandler(recorder)
            logger.setLevel(level)


@dataclass
class Timeline:
    """One upload between ``start`` and ``end`` (monotonic seconds)."""

    start: float
    end: float
    events: list[Event]
    #: The uplink's idle spells of 5 ms or more, (since, seconds).
    gaps: list[tuple[float, float]]
    #: All idle seconds in the window, spells under 5 ms included.
    idle: float
    bytes_per_second: float
    phases: list[tuple[str, float, float, float]] = field(default_factory=list)
    #: Idle seconds after the first batch, by what the uploader was waiting for: its
    #: window full (answers: the service or the round trip) or not (the client: the next
    #: batch was not ready).
    window_full: float = 0.0
    client_late: float = 0.0

    def __post_init__(self) -> None:
        sent = [e.at for e in self.events if e.kind == "sent"]
        answered = [e.at for e in self.events if e.kind == "answered"]
        coding = [e.at for e in self.events if e.kind == "coding"]
        first = sent[0] if sent else self.end
        chosen = coding[0] if coding else first
        last = answered[-1] if answered else self.end
        marks = [
            ("start-up (to the first batch sent)", self.start, first),
            ("choosing the coding (to the choice)", first, max(first, chosen)),
            ("steady state (to the last answer)", max(first, chosen), last),
            ("tail (to the end of sync_once)", last, self.end),
        ]
        for name, begin, finish in marks:
            if finish < begin:
                finish = begin
            wire = sum(e.wire for e in self.events if e.kind == "sent" and begin <= e.at < finish)
            self.phases.append((name, finish - begin, self._idle(begin, finish), wire))
        self._split_idle(first, last)

    def _split_idle(self, first: float, last: float) -> None:
        """Each idle spell between the first batch and the last answer, by how many
        batches were sent and not yet answered in its middle."""
        marks = sorted(
            (e.at, 1 if e.kind == "sent" else -1) for e in self.events if e.kind != "coding"
        )
        for since, seconds in self.gaps:
            begin, finish = max(since, first), min(since + seconds, last)
            if finish <= begin:
                continue
            middle = (begin + finish) / 2
            flight = sum(step for at, step in marks if at <= middle)
            if flight >= WINDOW:
                self.window_full += finish - begin
            else:
                self.client_late += finish - begin

    def _idle(self, begin: float, finish: float) -> float:
        return sum(
            max(0.0, min(finish, since + seconds) - max(begin, since))
            for since, seconds in self.gaps
        )

    def text(self) -> str:
        total = self.end - self.start
        listed = self._idle(self.start, self.end)
        lines = [
            f"  - whole upload {total:.2f} s; uplink idle {self.idle:.2f} s"
            f" ({listed:.2f} s in spells of 5 ms or more)"
        ]
        for name, seconds, idle, wire in self.phases:
            lines.append(
                f"  - {name}: {seconds:.2f} s, uplink idle {idle:.2f} s,"
                f" {wire / 1e6:.2f} MB sent ({wire / self.bytes_per_second:.2f} s of line)"
            )
        lines.append(
            f"  - idle after the first batch: window full {self.window_full:.2f} s (waiting"
            f" for answers), window not full {self.client_late:.2f} s (waiting for the client)"
        )
        sent = [e for e in self.events if e.kind == "sent"]
        levels = Counter(e.level for e in sent)
        used = ", ".join(f"{level}: {levels[level]}" for level in sorted(levels))
        lines.append(f"  - {len(sent)} batches; batches by level {{{used}}}")
        return "\n".join(lines)
