"""Runs every call on the practice database in one worker thread of its own.

Database connections (sqlite3, pyodbc) are not thread-safe, and a slow query must never
block the event loop that the GUI shares: so each source lives in exactly one thread and
the engine awaits it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from engine.errors import SourceError
from engine.sources.base import Source

log = logging.getLogger(__name__)

T = TypeVar("T")

_DATABASE_MODULES = ("sqlite3", "pyodbc", "_sqlite3")


class SourceWorker:
    def __init__(self, opener: Callable[[], Source], name: str = "source") -> None:
        self._opener = opener
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._source: Source | None = None
        #: ``time.monotonic()`` when the latest call that succeeded was made: proof the
        #: database answered a round trip begun then (None: none yet).
        self.answered_at: float | None = None

    async def call(self, work: Callable[[Source], T]) -> T:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        result = await loop.run_in_executor(self._executor, self._run, work)
        if self.answered_at is None or started > self.answered_at:
            self.answered_at = started
        return result

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
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._drop)
        self._executor.shutdown(wait=False)
