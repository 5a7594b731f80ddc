"""The single-agent lock on a database session of its own.

A session lock (PostgreSQL advisory lock, SQL Server application lock) lasts exactly
as long as the session: when the agent's process dies the server drops it, so a crashed
agent never leaves a stale lock. The session is this lock's own, never pooled, and
lives in one thread of its own (pyodbc connections are not thread-safe); callers on any
thread wait for that thread, which answers within the lock connection's timeouts.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Final, TypeVar

import pyodbc

from engine.errors import SourceError
from engine.sources.odbc_connect import ConnectionString, connect, translate_error

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The lock's statements are tiny; anything slower means the server is in trouble.
LOCK_QUERY_TIMEOUT_SECONDS: Final = 10
LOCK_LOGIN_TIMEOUT_SECONDS: Final = 10


class SessionLock(ABC):
    """:class:`engine.sources.base.AgentLock` held by a dedicated database session."""

    def __init__(self, connection: ConnectionString) -> None:
        self._connection_string = connection
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agent-lock")
        self._connection: pyodbc.Connection | None = None
        self._held = False

    # Each database's statements; run on the lock's thread with its connection.

    @abstractmethod
    def _acquire(self, cursor: pyodbc.Cursor) -> bool: ...

    @abstractmethod
    def _check(self, cursor: pyodbc.Cursor) -> bool: ...

    @abstractmethod
    def _release(self, cursor: pyodbc.Cursor) -> None: ...

    def _on_thread(self, work: Callable[[], T]) -> T:
        return self._executor.submit(work).result()

    def _cursor(self) -> pyodbc.Cursor:
        if self._connection is None:
            self._connection = connect(
                self._connection_string,
                autocommit=True,  # a session lock, never a transaction left open
                login_timeout=LOCK_LOGIN_TIMEOUT_SECONDS,
                query_timeout=LOCK_QUERY_TIMEOUT_SECONDS,
            )
        return self._connection.cursor()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._held = False
        if connection is not None:
            with suppress(pyodbc.Error):
                connection.close()

    def try_acquire(self) -> bool:
        def work() -> bool:
            if self._held and self._check_now():
                return True
            try:
                cursor = self._cursor()
                self._held = self._acquire(cursor)
                cursor.close()
            except pyodbc.Error as error:
                self._drop()
                raise translate_error(error, self._connection_string) from None
            except SourceError:
                self._drop()
                raise
            return self._held

        return self._on_thread(work)

    def _check_now(self) -> bool:
        if self._connection is None or not self._held:
            return False
        try:
            cursor = self._connection.cursor()
            held = self._check(cursor)
            cursor.close()
        except pyodbc.Error:
            log.warning("the agent lock's database session was lost", exc_info=True)
            self._drop()
            return False
        if not held:
            self._held = False
        return held

    def is_held(self) -> bool:
        """Asks the server: the session (and with it the lock) may have been lost."""
        return self._on_thread(self._check_now)

    def release(self) -> None:
        def work() -> None:
            if self._connection is not None and self._held:
                try:
                    cursor = self._connection.cursor()
                    self._release(cursor)
                    cursor.close()
                except pyodbc.Error:
                    log.debug("releasing the agent lock failed; closing the session drops it")
            self._drop()

        self._on_thread(work)

    def close(self) -> None:
        self.release()
        self._executor.shutdown(wait=True)
