"""How generated rows go into each kind of ODBC database (``init-db`` only).

The sync engine never writes contact tables, so this lives here and not in the
dialects: dropping the reference schema (``--force``), the fastest parameterised bulk
insert each driver allows, identity keys and the RowVer loaded rows carry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import pyodbc

from engine.sources.dialects.odbc_dialect import OdbcDialect
from engine.sources.dialects.sql import Dialect
from engine.sources.dialects.sqlserver import SqlServerDialect
from engine.sources.mapping.schema import LogicalTable

T = LogicalTable
Rows = Sequence[Sequence[Any]]

#: The reference tables in load order (parents first); dropped in the reverse order.
#: RowVersionCounter is SQLite's own and created by its schema.sql.
LOAD_ORDER: Final = (
    T.EMPLOYEE,
    T.PRACTICE_SETTING,
    T.EXTRA_FIELD_DEFINITION,
    T.CONTACT,
    T.CONTACT_ADDRESS,
    T.CONTACT_EXTRA_FIELD,
    T.CONTACT_RELATIONSHIP,
)
#: Reference tables with identity keys: table → key column.
IDENTITY_KEYS: Final = {
    T.CONTACT: "ContactID",
    T.CONTACT_ADDRESS: "AddressID",
    T.EXTRA_FIELD_DEFINITION: "FieldID",
    T.CONTACT_RELATIONSHIP: "RelationshipID",
}

_POSTGRES_FUNCTIONS: Final = ("SetRowVer", "TouchOwningContact")
_POSTGRES_OLD_SEQUENCE: Final = "RowVersionSequence"
_POSTGRES_CURRENT_XACT: Final = "SELECT CAST(CAST(pg_current_xact_id() AS text) AS bigint)"
#: Rows per json_populate_recordset statement in a PostgreSQL bulk load.
_POSTGRES_BULK_ROWS: Final = 5000


def drop_order(dialect: OdbcDialect) -> tuple[str, ...]:
    """The reference tables this kind of database has, children first."""
    required = dialect.required_tables()
    tables = (*reversed(LOAD_ORDER), T.ROW_VERSION_COUNTER)
    return tuple(table.value for table in tables if table in required)


class Loader:
    """Portable loading: executemany, no identity handling, the generator's RowVer."""

    #: Whether loaded rows may carry a RowVer value at all (not a rowversion column).
    loads_row_versions: ClassVar[bool] = True

    def __init__(self, dialect: OdbcDialect) -> None:
        self.dialect = dialect

    def drop_reference_schema(self, cursor: pyodbc.Cursor) -> None:
        """Remove the reference schema's objects (``init-db --force``)."""
        for table in drop_order(self.dialect):
            cursor.execute(f"DROP TABLE IF EXISTS {self.dialect.quote(table)}")

    def bulk_insert(
        self,
        cursor: pyodbc.Cursor,
        table: str,
        columns: Sequence[str],
        rows: Rows,
    ) -> None:
        """Insert many rows; portable executemany unless the database knows better."""
        if not rows:
            return
        quote = self.dialect.quote
        column_list = ", ".join(quote(column) for column in columns)
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f"INSERT INTO {quote(table)} ({column_list}) VALUES ({marks})", rows)

    def before_load(self, cursor: pyodbc.Cursor, table: str) -> None:
        """Before explicit key values go into ``table`` (SQL Server's IDENTITY_INSERT)."""
        return None

    def after_load(self, cursor: pyodbc.Cursor, table: str) -> None:
        """After the load of ``table`` (move identity counters past the loaded keys)."""
        return None

    def load_version(self, cursor: pyodbc.Cursor) -> int | None:
        """The RowVer to give loaded rows, or None to keep the generator's own."""
        return None


class PostgresLoader(Loader):
    def drop_reference_schema(self, cursor: pyodbc.Cursor) -> None:
        quote = self.dialect.quote
        tables = ", ".join(quote(name) for name in drop_order(self.dialect))
        cursor.execute(f"DROP TABLE IF EXISTS {tables} CASCADE")
        for function in _POSTGRES_FUNCTIONS:
            cursor.execute(f"DROP FUNCTION IF EXISTS {quote(function)}() CASCADE")
        cursor.execute(f"DROP SEQUENCE IF EXISTS {quote(_POSTGRES_OLD_SEQUENCE)}")

    def bulk_insert(
        self,
        cursor: pyodbc.Cursor,
        table: str,
        columns: Sequence[str],
        rows: Rows,
    ) -> None:
        """One parameter per few thousand rows: psqlODBC's executemany is a round trip
        per row, json_populate_recordset is one statement (still fully parameterised)."""
        quoted = self.dialect.quote(table)
        column_list = ", ".join(self.dialect.quote(column) for column in columns)
        sql = (
            f"INSERT INTO {quoted} ({column_list}) SELECT {column_list}"
            f" FROM json_populate_recordset(CAST(NULL AS {quoted}), ?)"
        )
        for start in range(0, len(rows), _POSTGRES_BULK_ROWS):
            chunk = rows[start : start + _POSTGRES_BULK_ROWS]
            payload = json.dumps(
                [dict(zip(columns, row, strict=True)) for row in chunk], ensure_ascii=False
            )
            cursor.execute(sql, payload)

    def after_load(self, cursor: pyodbc.Cursor, table: str) -> None:
        key = IDENTITY_KEYS.get(LogicalTable(table))
        if key is None:
            return
        quoted = self.dialect.quote(table)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(?, ?),"
            f" COALESCE((SELECT MAX({self.dialect.quote(key)}) FROM {quoted}), 0) + 1, false)",
            quoted,
            key,
        ).fetchall()

    def load_version(self, cursor: pyodbc.Cursor) -> int | None:
        row = cursor.execute(_POSTGRES_CURRENT_XACT).fetchone()
        return int(row[0])


class SqlServerLoader(Loader):
    #: RowVer is a rowversion column: the database sets it.
    loads_row_versions: ClassVar[bool] = False

    def before_load(self, cursor: pyodbc.Cursor, table: str) -> None:
        dialect = self.dialect
        assert isinstance(dialect, SqlServerDialect)
        # The driver's fast bulk path, where it is safe (Microsoft's own drivers).
        cursor.fast_executemany = dialect.state.fast_executemany
        if LogicalTable(table) in IDENTITY_KEYS:
            cursor.execute(f"SET IDENTITY_INSERT {self.dialect.quote(table)} ON")

    def after_load(self, cursor: pyodbc.Cursor, table: str) -> None:
        if LogicalTable(table) in IDENTITY_KEYS:
            cursor.execute(f"SET IDENTITY_INSERT {self.dialect.quote(table)} OFF")


_LOADERS: Final[dict[Dialect, type[Loader]]] = {
    Dialect.POSTGRESQL: PostgresLoader,
    Dialect.SQLSERVER: SqlServerLoader,
}


def loader_for(dialect: OdbcDialect) -> Loader:
    """The loader for the database a connection leads to."""
    return _LOADERS.get(dialect.kind, Loader)(dialect)
