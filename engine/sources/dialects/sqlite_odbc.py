"""SQLite through the SQLite3 ODBC driver (libsqliteodbc).

The same database file and rules as the stdlib source (engine/sources/sqlite.py): the
counter-table watermark (SQLite serialises writers), RowVer triggers, and the lock file
beside the database, so a stdlib agent and an ODBC agent exclude each other too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar, Final

import pyodbc

from engine.errors import SchemaError, SourceError
from engine.mapping import CHILD_TABLES, VERSIONED_TABLES, Dialect, SchemaMapping
from engine.sources.base import AgentLock
from engine.sources.dialects.base import OdbcDialect
from engine.sources.odbc_connect import ConnectionString, Keyword
from engine.sources.sqlite import SqliteAgentLock, TriggerEvent

#: Milliseconds a statement waits for another program's write lock (driver keyword).
BUSY_TIMEOUT_MS: Final = "5000"
_TRIGGER_EVENT: Final = re.compile(
    r"\b(?:BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b", re.IGNORECASE
)
_TRIGGERS_SQL: Final = "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
_REFERENCE_TABLES: Final = (
    "ContactRelationship",
    "ContactExtraField",
    "ContactAddress",
    "ExtraFieldDefinition",
    "Contact",
    "PracticeSetting",
    "Employee",
    "RowVersionCounter",
)


def database_path(connection: ConnectionString) -> Path:
    database = connection.get(Keyword.DATABASE)
    if not database:
        raise SourceError(
            "The SQLite ODBC connection string has no Database= keyword.",
            "Add Database=PATH-OF-THE-PRACTICE-DATABASE.",
        )
    return Path(database).expanduser().resolve()


class SqliteOdbcDialect(OdbcDialect):
    kind: ClassVar[Dialect] = Dialect.SQLITE
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
        events: dict[str, set[str]] = {}
        for table, sql in cursor.execute(_TRIGGERS_SQL).fetchall():
            match = _TRIGGER_EVENT.search(str(sql or ""))
            if match:
                events.setdefault(str(table).casefold(), set()).add(match.group(1).upper())
        missing: list[str] = []
        for table in VERSIONED_TABLES:
            name = mapping.table(table).name
            needed = [TriggerEvent.INSERT, TriggerEvent.UPDATE]
            if table in CHILD_TABLES:
                needed.append(TriggerEvent.DELETE)
            have = events.get(name.casefold(), set())
            missing.extend(f"{name} {event}" for event in needed if event not in have)
        if missing:
            raise SchemaError(
                f"The database {where} lacks the triggers that keep RowVer up to date "
                f"(no trigger for {', '.join(missing)}), so changes would be missed.",
                "Create them as in the program's resources/sql/sqlite/schema.sql.",
            )

    def open_lock(self, connection: ConnectionString) -> AgentLock:
        return SqliteAgentLock(database_path(connection))

    def drop_reference_schema(self, cursor: pyodbc.Cursor) -> None:
        for table in _REFERENCE_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {self.sql.quote(table)}")
