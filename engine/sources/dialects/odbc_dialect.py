"""What differs per database behind ODBC, in one small class per database.

The shared SQL (document reads, lookups, settings) comes from
:mod:`engine.sources.mapping`; a dialect (a :class:`SqlDialect`, so its SQL text too)
owns only what each database does its own way: how a read transaction starts, the
watermark, the change scan, checking that versions are kept and the single-agent lock.
Loading sample data (``init-db``) lives in ``sampledata/loaders.py``, not here.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import pyodbc

from engine.sources.base import AgentLock
from engine.sources.dialects.sql import SqlDialect
from engine.sources.mapping.queries import Queries
from engine.sources.mapping.reads import fetch_changed_ids
from engine.sources.mapping.schema import SchemaMapping
from engine.sources.odbc_connect import ConnectionString


class OdbcDialect(SqlDialect):
    """One database's ways; stateless apart from what it learns about the database."""

    #: The database's name in messages.
    label: ClassVar[str]
    #: A query for a value that moves whenever anyone commits a write to the database,
    #: reading no table (see :meth:`engine.sources.base.Source.change_token`); None:
    #: the database has none, and every poll is a full cycle.
    change_token_sql: ClassVar[str | None] = None

    @classmethod
    @abstractmethod
    def matches(cls, dbms_name: str) -> bool:
        """Whether ``SQL_DBMS_NAME`` of a connection names this database."""

    @classmethod
    def connection_defaults(cls, connection: ConnectionString) -> ConnectionString:
        """Driver keywords this program needs unless the user set them."""
        return connection

    def configure(self, connection: pyodbc.Connection, query_timeout: int) -> None:
        """Once per connection, before any read: output converters, session settings
        (and the query timeout where the driver can't set it)."""
        return None

    def begin_read(self, cursor: pyodbc.Cursor) -> None:
        """First statements of every read transaction (its isolation level)."""
        return None

    def begin_write(self, cursor: pyodbc.Cursor) -> None:
        """First statements of every write transaction."""
        return None

    def watermark(self, cursor: pyodbc.Cursor, queries: Queries) -> int:
        """See :meth:`engine.sources.base.Source.watermark`."""
        cursor.execute(queries.watermark)
        row = cursor.fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    def changed_ids(
        self,
        cursor: pyodbc.Cursor,
        queries: Queries,
        since: int,
        after_id: int,
        limit: int,
        upper: int | None = None,
    ) -> list[int]:
        """See :meth:`engine.sources.base.Source.changed_ids`."""
        return fetch_changed_ids(cursor, queries, since, after_id, limit, upper)

    def is_missing_table(self, error: pyodbc.Error) -> bool:
        """Whether an error from a probe SELECT means "no such table"."""
        state = error.args[0] if error.args else ""
        return state in ("42S02", "42P01")

    @abstractmethod
    def check_versioning(self, cursor: pyodbc.Cursor, mapping: SchemaMapping, where: str) -> None:
        """Raise SchemaError when changes would be missed (no RowVer triggers...)."""

    @abstractmethod
    def open_lock(self, connection: ConnectionString) -> AgentLock:
        """The single-agent lock for this database (its own session where it has one)."""
