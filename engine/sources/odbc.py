"""The practice database through pyodbc: SQL Server, PostgreSQL, SQLite's ODBC driver.

One connection, used by the one worker thread the SourceWorker gives a source. Every
method is one short transaction (the dialect chooses its isolation: a snapshot where
the database has one) that is committed or rolled back before returning, so nothing
is held between calls and writers are never blocked. The dialect is chosen from the
connected driver's DBMS name; documents are read with :mod:`engine.sources.mapping`'s queries.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Final

import pyodbc

from engine.contract.document import Document
from engine.errors import SourceError
from engine.sources.base import AgentLock, Page, UploadPage
from engine.sources.cursor_source import CursorSource
from engine.sources.dialects.detect import dialect_for, dialect_for_driver
from engine.sources.dialects.odbc_dialect import OdbcDialect
from engine.sources.mapping.mapping_file import load_mapping
from engine.sources.mapping.queries import Queries
from engine.sources.mapping.reads import fetch_documents, fetch_page, fetch_upload_page
from engine.sources.mapping.schema import LogicalTable, SchemaMapping
from engine.sources.mapping.schema_check import schema_error, schema_gaps
from engine.sources.odbc_connect import (
    QUERY_TIMEOUT_SECONDS,
    ConnectionString,
    Keyword,
    connect,
    translate_error,
)
from engine.sources.odbc_lock import LOCK_QUERY_TIMEOUT_SECONDS

log = logging.getLogger(__name__)

_CONNECTION_SERIALS: Final = itertools.count(1)


def open_connection(
    connection: ConnectionString, *, query_timeout: int = QUERY_TIMEOUT_SECONDS
) -> tuple[pyodbc.Connection, OdbcDialect, ConnectionString]:
    """Connect, choose the dialect from the DBMS name and configure the connection.

    Returns the connection string actually used (with the dialect's defaults), which
    the lock connection reuses.
    """
    guessed = dialect_for_driver(connection.get(Keyword.DRIVER))
    if guessed is not None:
        connection = guessed.connection_defaults(connection)
    opened = connect(connection, autocommit=False, query_timeout=query_timeout)
    try:
        dialect = dialect_for(str(opened.getinfo(pyodbc.SQL_DBMS_NAME)))
        wanted = dialect.connection_defaults(connection)
        if wanted != connection:  # a DSN hid the driver: reconnect with the defaults
            opened.close()
            connection = wanted
            opened = connect(connection, autocommit=False, query_timeout=query_timeout)
        dialect.configure(opened, query_timeout)
    except pyodbc.Error as error:
        opened.close()
        raise translate_error(error, connection) from None
    except BaseException:
        opened.close()
        raise
    return opened, dialect, connection


class OdbcSource(CursorSource):
    """:class:`engine.sources.base.Source` over any ODBC database with a dialect."""

    def __init__(
        self,
        connection_string: str | ConnectionString,
        mapping: SchemaMapping | None = None,
        *,
        query_timeout: int = QUERY_TIMEOUT_SECONDS,
    ) -> None:
        parsed = (
            connection_string
            if isinstance(connection_string, ConnectionString)
            else ConnectionString.parse(connection_string)
        )
        self.mapping = load_mapping() if mapping is None else mapping
        self._connection: pyodbc.Connection | None
        self._connection, self.dialect, self.connection_string = open_connection(
            parsed, query_timeout=query_timeout
        )
        self.queries = Queries(self.mapping, self.dialect)
        self.where = self.connection_string.where()
        self._serial = next(_CONNECTION_SERIALS)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(pyodbc.Error):
                connection.rollback()
            with suppress(pyodbc.Error):
                connection.close()

    def __enter__(self) -> OdbcSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[pyodbc.Cursor]:
        """One short transaction, always ended before returning."""
        connection = self._connection
        if connection is None:
            raise SourceError(f"The connection to {self.where} was closed.", "Open it again.")
        cursor = connection.cursor()
        try:
            if write:
                self.dialect.begin_write(cursor)
            else:
                self.dialect.begin_read(cursor)
            yield cursor
            connection.commit()
        except pyodbc.Error as error:
            self._rollback()
            raise translate_error(error, self.connection_string) from None
        except BaseException:
            self._rollback()
            raise
        finally:
            with suppress(pyodbc.Error):
                cursor.close()

    def _rollback(self) -> None:
        if self._connection is not None:
            with suppress(pyodbc.Error):  # the original error matters more
                self._connection.rollback()

    # --- schema ------------------------------------------------------------------------

    def check_schema(self) -> tuple[str, ...]:
        connection = self._connection
        if connection is None:
            raise SourceError(f"The connection to {self.where} was closed.", "Open it again.")

        def describe(table: LogicalTable) -> list[str] | None:
            # Each probe in a transaction of its own: on PostgreSQL a failed statement
            # spoils the rest of its transaction.
            cursor = connection.cursor()
            try:
                self.dialect.begin_read(cursor)
                cursor.execute(self.queries.probe(table))
                columns = [str(column[0]) for column in cursor.description]
                connection.commit()
                return columns
            except pyodbc.Error as error:
                self._rollback()
                if self.dialect.is_missing_table(error):
                    return None
                raise translate_error(error, self.connection_string) from None
            finally:
                with suppress(pyodbc.Error):
                    cursor.close()

        gaps = schema_gaps(describe, self.mapping, self.queries.sql)
        if gaps.required:
            raise schema_error(gaps.required, self.mapping, self.where)
        with self._transaction() as cursor:
            self.dialect.check_versioning(cursor, self.mapping, self.where)
        mapping = gaps.applied_to(self.mapping)
        if mapping is not self.mapping:
            self.mapping, self.queries = mapping, Queries(mapping, self.dialect)
        return gaps.absent_labels

    # --- reading -----------------------------------------------------------------------

    def change_token(self) -> int | None:
        sql = self.dialect.change_token_sql
        if sql is None:
            return None  # no server-wide signal (SQL Server): every cycle is a full one
        with self._transaction() as cursor:
            row = cursor.execute(sql).fetchone()
        # The value can be long (PostgreSQL lists every open writer): a digest of it. Each
        # connection its own tokens, so a reconnect reads the schema again.
        digest = hashlib.blake2b(str(row[0] if row else None).encode(), digest_size=16)
        return self._serial << 128 | int.from_bytes(digest.digest(), "big")

    def watermark(self) -> int:
        with self._transaction() as cursor:
            return self.dialect.watermark(cursor, self.queries)

    def read_page(self, after_id: int, limit: int) -> Page:
        with self._transaction() as cursor:
            return fetch_page(cursor, self.queries, after_id, limit)

    def read_upload_page(self, after_id: int, limit: int) -> UploadPage:
        with self._transaction() as cursor:
            return fetch_upload_page(cursor, self.queries, after_id, limit)

    def changed_ids(
        self, since: int, after_id: int, limit: int, upper: int | None = None
    ) -> list[int]:
        with self._transaction() as cursor:
            return self.dialect.changed_ids(cursor, self.queries, since, after_id, limit, upper)

    def read_documents(self, ids: Sequence[int]) -> list[Document]:
        with self._transaction() as cursor:
            return fetch_documents(cursor, self.queries, ids)


class OdbcAgentLock:
    """:class:`engine.sources.base.AgentLock` for an ODBC source, resolved on first use.

    Which lock a database needs is known only once connected, so the first
    :meth:`try_acquire` connects briefly (in this lock's own thread) to learn the DBMS,
    then hands over to the dialect's lock: a session lock on a connection of its own
    (PostgreSQL, SQL Server) or the lock file beside a SQLite database.
    """

    def __init__(self, connection_string: str) -> None:
        self._connection_string = ConnectionString.parse(connection_string)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lock-probe")
        self._delegate: AgentLock | None = None

    def _resolve(self) -> AgentLock:
        if self._delegate is None:

            def probe() -> AgentLock:
                connection, dialect, used = open_connection(
                    self._connection_string, query_timeout=LOCK_QUERY_TIMEOUT_SECONDS
                )
                with suppress(pyodbc.Error):
                    connection.close()
                return dialect.open_lock(used)

            self._delegate = self._executor.submit(probe).result()
        return self._delegate

    def try_acquire(self) -> bool:
        return self._resolve().try_acquire()

    def is_held(self) -> bool:
        return self._delegate is not None and self._delegate.is_held()

    def release(self) -> None:
        if self._delegate is not None:
            self._delegate.release()
