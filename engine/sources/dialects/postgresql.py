"""PostgreSQL through psqlODBC: transaction-id row versions, advisory lock.

RowVer is the id of the transaction that wrote the row and the watermark is the
snapshot's xmin - 1 (reasoning in resources/sql/postgresql/schema.sql). Reads run in
REPEATABLE READ READ ONLY transactions: one consistent snapshot per call that takes no
row lock and no transaction id, so writers are never blocked and the watermark is never
held back by the agent.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar, Final

import pyodbc

from engine.errors import SchemaError
from engine.sources.base import AgentLock
from engine.sources.dialects.odbc_dialect import OdbcDialect
from engine.sources.dialects.sql import Dialect
from engine.sources.mapping.schema import CHILD_TABLES, VERSIONED_TABLES, SchemaMapping
from engine.sources.odbc_connect import ConnectionString
from engine.sources.odbc_lock import SessionLock

#: The advisory-lock key: the first 8 bytes of a fixed name's SHA-256, as a signed bigint.
ADVISORY_LOCK_KEY: Final = int.from_bytes(
    hashlib.sha256(b"contacts-migration:single-agent").digest()[:8], "big", signed=True
)

# pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h).
_TRIGGER_INSERT: Final = 1 << 2
_TRIGGER_DELETE: Final = 1 << 3
_TRIGGER_UPDATE: Final = 1 << 4
#: The function a RowVer trigger must call for the watermark to be safe.
_VERSION_FUNCTION: Final = "pg_current_xact_id"

_TRIGGERS_SQL: Final = (
    "SELECT t.tgtype, p.prosrc FROM pg_trigger AS t"
    " JOIN pg_proc AS p ON p.oid = t.tgfoid"
    " WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgrelid = to_regclass(?)"
)
_READ_TRANSACTION: Final = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


class PostgresAdvisoryLock(SessionLock):
    """``pg_try_advisory_lock`` on a session of its own (per database)."""

    def _acquire(self, cursor: pyodbc.Cursor) -> bool:
        row = cursor.execute("SELECT pg_try_advisory_lock(?)", ADVISORY_LOCK_KEY).fetchone()
        return row is not None and row[0] in (True, 1, "1")

    def _check(self, cursor: pyodbc.Cursor) -> bool:
        # A bigint key shows in pg_locks as classid (high 32 bits), objid (low), objsubid 1.
        unsigned = ADVISORY_LOCK_KEY & 0xFFFF_FFFF_FFFF_FFFF
        row = cursor.execute(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid() AND objsubid = 1"
            " AND CAST(classid AS bigint) = ? AND CAST(objid AS bigint) = ?",
            unsigned >> 32,
            unsigned & 0xFFFF_FFFF,
        ).fetchone()
        return row is not None and int(row[0]) > 0

    def _release(self, cursor: pyodbc.Cursor) -> None:
        cursor.execute("SELECT pg_advisory_unlock(?)", ADVISORY_LOCK_KEY).fetchall()


class PostgresDialect(OdbcDialect):
    kind: ClassVar[Dialect] = Dialect.POSTGRESQL
    label: ClassVar[str] = "PostgreSQL"
    # The snapshot: xmin, xmax (one past the latest ended transaction) and the ids of
    # those in progress below it. Any transaction that wrote (it has an id), anywhere on
    # the server, moves it when it commits or aborts: xmax never goes back, and below an
    # unchanged xmax the in-progress list can only shrink. Equal: nothing was committed.
    change_token_sql: ClassVar[str | None] = "SELECT CAST(pg_current_snapshot() AS text)"
    case_sensitive_identifiers: ClassVar[bool] = True

    def watermark_sql(self, mapping: SchemaMapping) -> str:
        # RowVer is the writing transaction's id (see its schema.sql); every transaction
        # with an id below the snapshot's xmin has ended, so xmin - 1 is safe.
        return "SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint) - 1"

    @classmethod
    def matches(cls, dbms_name: str) -> bool:
        return dbms_name.casefold().startswith("postgresql")

    @classmethod
    def connection_defaults(cls, connection: ConnectionString) -> ConnectionString:
        # psqlODBC hands booleans back as '1'/'0' text by default; bit → bool instead.
        return connection.with_default("BoolsAsChar", "0")

    def configure(self, connection: pyodbc.Connection, query_timeout: int) -> None:
        # psqlODBC has no connection-wide query timeout: the server's own, per session.
        connection.execute(
            "SELECT set_config('statement_timeout', ?, false)", f"{query_timeout * 1000}"
        ).fetchall()
        connection.commit()

    def begin_read(self, cursor: pyodbc.Cursor) -> None:
        cursor.execute(_READ_TRANSACTION)

    def check_versioning(self, cursor: pyodbc.Cursor, mapping: SchemaMapping, where: str) -> None:
        missing: list[str] = []
        unsafe: list[str] = []
        for table in VERSIONED_TABLES:
            name = mapping.table(table)
            cursor.execute(_TRIGGERS_SQL, self.table(name))
            events = 0
            versioned = False
            for tgtype, source in cursor.fetchall():
                kinds = int(tgtype)
                events |= kinds
                if kinds & _TRIGGER_INSERT and _VERSION_FUNCTION in str(source).casefold():
                    versioned = True
            if events & _TRIGGER_INSERT and not versioned:
                unsafe.append(name.name)
            needed = [("INSERT", _TRIGGER_INSERT), ("UPDATE", _TRIGGER_UPDATE)]
            if table in CHILD_TABLES:
                needed.append(("DELETE", _TRIGGER_DELETE))
            missing.extend(f"{name.name} {label}" for label, bit in needed if not events & bit)
        if missing:
            raise SchemaError(
                f"The database {where} lacks the triggers that keep RowVer up to date "
                f"(no trigger for {', '.join(missing)}), so changes would be missed.",
                "Create them as in the program's resources/sql/postgresql/schema.sql.",
            )
        if unsafe:
            raise SchemaError(
                f"The RowVer triggers of {', '.join(sorted(set(unsafe)))} in {where} do not "
                f"use {_VERSION_FUNCTION}(), so a slow transaction's changes could be skipped.",
                "Re-create the triggers from the program's resources/sql/postgresql/schema.sql.",
            )

    def open_lock(self, connection: ConnectionString) -> AgentLock:
        return PostgresAdvisoryLock(connection)
