"""SQLite through the SQLite3 ODBC driver (libsqliteodbc).

The same database file and rules as the stdlib source (engine/sources/sqlite.py): the
counter-table watermark (SQLite serialises writers), RowVer triggers, and the lock file
beside the database, so a stdlib agent and an ODBC agent exclude each other too.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Final

import pyodbc

from engine.errors import SourceError
from engine.sources.base import AgentLock
from engine.sources.dialects.odbc_dialect import OdbcDialect
from engine.sources.dialects.sqlite import TRIGGERS_SQL, SqliteDialect, check_triggers
from engine.sources.mapping.schema import SchemaMapping
from engine.sources.odbc_connect import ConnectionString, Keyword
from engine.sources.sqlite import SqliteAgentLock

#: Milliseconds a statement waits for another program's write lock (driver keyword).
BUSY_TIMEOUT_MS: Final = "5000"


def database_path(connection: ConnectionString) -> Path:
    database = connection.get(Keyword.DATABASE)
    if not database:
        raise SourceError(
            "The SQLite ODBC connection string has no Database= keyword.",
            "Add Database=PATH-OF-THE-PRACTICE-DATABASE.",
        )
    return Path(database).expanduser().resolve()


class SqliteOdbcDialect(SqliteDialect, OdbcDialect):
    label: ClassVar[str] = "SQLite"

    @classmethod
    def matches(cls, dbms_name: str) -> bool:
        return dbms_name.casefold().startswith("sqlite")

    @classmethod
    def connection_defaults(cls, connection: ConnectionString) -> ConnectionString:
        # NoCreat: a wrong path is an error, not a new empty database.
        return connection.with_default("Timeout", BUSY_TIMEOUT_MS).with_default("NoCreat", "1")

    def configure(self, connection: pyodbc.Connection, query_timeout: int) -> None:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.commit()

    def is_missing_table(self, error: pyodbc.Error) -> bool:
        return "no such table" in str(error).lower() or super().is_missing_table(error)

    def check_versioning(self, cursor: pyodbc.Cursor, mapping: SchemaMapping, where: str) -> None:
        check_triggers(cursor.execute(TRIGGERS_SQL).fetchall(), mapping, where)

    def open_lock(self, connection: ConnectionString) -> AgentLock:
        return SqliteAgentLock(database_path(connection))
