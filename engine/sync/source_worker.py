"""Runs every call on the practice database in one worker thread of its own.

Database connections (sqlite3, pyodbc) are not thread-safe, and a slow query must never
block the event loop that the GUI shares: so each source lives in exactly one thread and
the engine awaits it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from engine.errors import SourceError
from engine.sources.base import Source

log = logging.getLogger(__name__)

T = TypeVar("T")

_DATABASE_MODULES = ("sqlite3", "pyodbc", "_sqlite3")


@dataclass(frozen=True)
class Seen:
    """A change token as read by :meth:`SourceWorker.watch`, and when."""

    token: int | None
    #: ``time.monotonic()`` just before it was read: the database answered a round trip
    #: begun then.
    at: float
    #: ``time.time()`` at the same moment: nothing was committed before this unseen.
    wall: float


class SourceWorker:
    def __init__(self, opener: Callable[[], Source], name: str = "source") -> None:
        self._opener = opener
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._source: Source | None = None
        #: ``time.monotonic()`` when the latest call that succeeded was made: proof the
        #: database answered a round trip begun then (None: none yet).
        self.answered_at: float | None = None
        #: Set when a watch must give way (another call, a wake-up, a stop).
        self._interrupt = threading.Event()

    async def call(self, work: Callable[[Source], T]) -> T:
        self._interrupt.set()  # a watch running in the thread gives way to this call
        started = time.monotonic()
        result = await self._in_thread(work)
        self._answered(started)
        return result

    async def _in_thread(self, work: Callable[[Source], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, work)

    def _answered(self, started: float) -> None:
        if self.answered_at is None or started > self.answered_at:
            self.answered_at = started

    def interrupt(self) -> None:
        """End a running :meth:`watch` now (thread-safe)."""
        self._interrupt.set()

    async def watch(
        self, token: int | None, seconds: float, every: float
    ) -> Seen | SourceError | None:
        """Look at the source's change token every ``every`` s until it differs from
        ``token``, ``seconds`` have passed, or another call or :meth:`interrupt` comes;
        the token last seen (None: interrupted before the first look), or why a look
        failed (for the caller to raise under its retry policy, as from its own call).

        The looks run in the worker thread and wake nothing else while the token stays
        the same: an idle agent's event loop (the GUI's too) sleeps a whole poll interval
        instead of waking for every look."""
        self._interrupt.clear()
        try:
            seen = await self._in_thread(lambda s: self._watch(s, token, seconds, every))
        except SourceError as error:
            return error
        if seen is not None:
            self._answered(seen.at)
        return seen

    def _watch(
        self, source: Source, token: int | None, seconds: float, every: float
    ) -> Seen | None:
        deadline = time.monotonic() + seconds
        seen = None
        while not self._interrupt.wait(max(min(every, deadline - time.monotonic()), 0.0)):
            at, wall = time.monotonic(), time.time()
            seen = Seen(source.change_token(), at, wall)
            if seen.token != token or at >= deadline:
                break
        return seen

    def _run(self, work: Callable[[Source], T]) -> T:
        try:
            if self._source is None:
                self._source = self._opener()
            return work(self._source)
        except SourceError:
            self._drop()
            raise
        except Exception as error:
            if type(error).__module__.split(".")[0] not in _DATABASE_MODULES:
                raise
            self._drop()
            raise SourceError(f"The practice database failed: {error}.") from error

    def _drop(self) -> None:
        """Forget a connection after a failure; the next call reconnects."""
        if self._source is not None:
            try:
                self._source.close()
            except Exception:
                log.debug("closing a failed source", exc_info=True)
            self._source = None

    async def close(self) -> None:
        self._interrupt.set()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._drop)
        self._executor.shutdown(wait=False)
