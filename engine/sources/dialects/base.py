"""What differs per database behind ODBC, in one small class per database.

The shared SQL (document reads, lookups, settings) comes from :mod:`engine.mapping`;
a dialect owns only what each database does its own way: how a read transaction
starts, the watermark, the change scan, checking that versions are kept, the
single-agent lock and the bulk load ``init-db`` uses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import pyodbc

from engine.mapping import (
    SQL_DIALECTS,
    Dialect,
    Queries,
    SchemaMapping,
    SqlDialect,
    fetch_changed_ids,
)
from engine.sources.base import AgentLock
from engine.sources.odbc_connect import ConnectionString


class OdbcDialect(ABC):
    """One database's ways; stateless apart from what it learns about the database."""

    kind: ClassVar[Dialect]
    #: The database's name in messages.
    label: ClassVar[str]

    @classmethod
    @abstractmethod
    def matches(cls, dbms_name: str) -> bool:
        """Whether ``SQL_DBMS_NAME`` of a connection names this database."""

    @classmethod
    def connection_defaults(cls, connection: ConnectionString) -> ConnectionString:
        """Driver keywords this program needs unless the user set them."""
        return connection

    @property
    def sql(self) -> SqlDialect:
        return SQL_DIALECTS[self.kind]

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
        self, cursor: pyodbc.Cursor, queries: Queries, since: int, after_id: int, limit: int
    ) -> list[int]:
        """See :meth:`engine.sources.base.Source.changed_ids`."""
        return fetch_changed_ids(cursor, queries, since, after_id, limit)

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

    # --- init-db -----------------------------------------------------------------------

    @abstractmethod
    def drop_reference_schema(self, cursor: pyodbc.Cursor) -> None:
        """Remove the reference schema's objects (``init-db --force``)."""

    def bulk_insert(
        self,
        cursor: pyodbc.Cursor,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """Insert many rows; portable executemany unless the dialect knows better."""
        if not rows:
            return
        column_list = ", ".join(self.sql.quote(column) for column in columns)
        marks = ", ".join("?" * len(columns))
        cursor.executemany(
            f"INSERT INTO {self.sql.quote(table)} ({column_list}) VALUES ({marks})", rows
        )

    def before_load(self, cursor: pyodbc.Cursor, table: str) -> None:
        """Before explicit key values go into ``table`` (SQL Server's IDENTITY_INSERT)."""
        return None

    def after_load(self, cursor: pyodbc.Cursor, table: str) -> None:
        """After the load of ``table`` (move identity counters past the loaded keys)."""
        return None

    def load_version(self, cursor: pyodbc.Cursor) -> int | None:
        """The RowVer to give loaded rows, or None to keep the generator's own."""
        return None

    #: Whether loaded rows may carry a RowVer value at all (not a rowversion column).
    loads_row_versions: ClassVar[bool] = True
