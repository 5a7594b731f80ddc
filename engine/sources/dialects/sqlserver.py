"""Microsoft SQL Server (the product's target) through Microsoft's ODBC driver.

Versions
    RowVer is a real ``rowversion``. Without Change Tracking the watermark is
    ``MIN_ACTIVE_ROWVERSION() - 1`` (every version below the lowest one still in flight
    is committed) and the change scan compares RowVer of the contact and child tables.

Change Tracking
    When it is enabled on the contact table and its three child tables the watermark is
    ``CHANGE_TRACKING_CURRENT_VERSION()`` (CT versions are given at commit, so every
    change at or below it is committed) and changes come from ``CHANGETABLE(CHANGES …)``,
    read with the minimum-valid-version checks in one SNAPSHOT transaction when the
    database allows snapshot isolation. CT versions are offset by
    :data:`CT_VERSION_BASE` so a checkpoint says which kind it holds: a rowversion
    checkpoint met with CT on is scanned once more by rowversion (RowVer still exists),
    and a CT checkpoint older than ``CHANGE_TRACKING_MIN_VALID_VERSION`` (the agent was
    off longer than the retention) makes a full re-read: every contact id is returned,
    so every document is sent again and only contacts really gone are deleted.

Deleted child rows
    SQL Server's reference schema has no trigger that raises the owning contact's
    RowVer when an address, extra field or relationship is deleted (the vendor schema
    can't be assumed to have one). With CT, ContactExtraField's key holds ContactID, so
    its deletes name their contact. An address or relationship delete names only its
    own key; its contact is found in an owner index (child key → ContactID) this dialect
    builds from the current rows on its first CT scan and keeps up to date from every
    scan, so deletes (and moves to another contact) after that are sent exactly. A child
    deleted between the checkpoint and the index build (only right after the agent
    starts) can't be placed and is left to the periodic reconciliation (at most the
    reconcile interval, 10 minutes by default), as are child deletes without CT.

Lock
    ``sp_getapplock @LockOwner = 'Session', @LockTimeout = 0`` on a session of its own,
    checked with ``APPLOCK_MODE``.

Nothing here has run against a live SQL Server (none runs on the development machines):
the statements are covered by reviewed snapshot tests (tests/engine/sources/test_sqlserver_sql.py).
"""

from __future__ import annotations

import bisect
import logging
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import ClassVar, Final

import pyodbc

from engine.errors import SchemaError
from engine.sources.base import AgentLock
from engine.sources.dialects.odbc_dialect import OdbcDialect
from engine.sources.dialects.sql import Dialect
from engine.sources.mapping.queries import Queries
from engine.sources.mapping.schema import (
    CONTACT_ID,
    ROW_VER,
    VERSIONED_TABLES,
    LogicalTable,
    SchemaMapping,
)
from engine.sources.odbc_connect import ConnectionString
from engine.sources.odbc_lock import SessionLock

log = logging.getLogger(__name__)

T = LogicalTable

#: Change Tracking versions are stored in checkpoints as CT_VERSION_BASE + version, far
#: above any rowversion a database reaches, so the two kinds never mix silently.
CT_VERSION_BASE: Final = 1 << 62
#: The application lock's resource name (one per database).
APPLOCK_RESOURCE: Final = "ContactsMigration.SingleAgent"
#: ODBC type code of datetimeoffset (SQL_SS_TIMESTAMPOFFSET, msodbcsql's sqlncli.h).
SQL_SS_TIMESTAMPOFFSET: Final = -155
#: Drivers whose fast_executemany is safe (it crashes others): Microsoft's own.
MICROSOFT_DRIVER_MARKERS: Final = ("msodbcsql", "sqlncli", "sqlsrv32")
_ROWVERSION_BYTES: Final = 8


class IsolationLevel(StrEnum):
    SNAPSHOT = "SNAPSHOT"
    READ_COMMITTED = "READ COMMITTED"


class ChangeOperation(StrEnum):
    """CHANGETABLE's SYS_CHANGE_OPERATION."""

    INSERT = "I"
    UPDATE = "U"
    DELETE = "D"


#: Child tables whose key does not hold ContactID: (table, key column).
OWNED_BY_KEY: Final = (
    (T.CONTACT_ADDRESS, "AddressID"),
    (T.CONTACT_RELATIONSHIP, "RelationshipID"),
)


# --- value converters --------------------------------------------------------------------


def rowversion_to_int(value: bytes | None) -> int | bytes | None:
    """rowversion/binary(8) → int (big-endian, as SQL Server compares them)."""
    if value is None or len(value) != _ROWVERSION_BYTES:
        return value
    return int.from_bytes(value, "big")


_DATETIMEOFFSET: Final = struct.Struct("<6hI2h")


def datetimeoffset_to_datetime(value: bytes | None) -> datetime | None:
    """The driver's SQL_SS_TIMESTAMPOFFSET_STRUCT → an aware datetime (µs precision)."""
    if value is None:
        return None
    year, month, day, hour, minute, second, nanoseconds, tz_hour, tz_minute = (
        _DATETIMEOFFSET.unpack(value)
    )
    return datetime(
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanoseconds // 1000,
        tzinfo=timezone(timedelta(hours=tz_hour, minutes=tz_minute)),
    )


# --- the statements (pure, so they can be reviewed and snapshot-tested) --------------------


@dataclass(frozen=True)
class SqlServerStatements:
    """Every SQL Server-only statement, built from the mapping like the shared ones."""

    queries: Queries

    def _t(self, table: LogicalTable) -> str:
        return self.queries.sql.table(self.queries.mapping.table(table))

    def _c(self, table: LogicalTable, column: str) -> str:
        return self.queries.sql.quote(self.queries.mapping.column(table, column))

    def object_name(self, table: LogicalTable) -> str:
        """The quoted name OBJECT_ID() takes as a parameter."""
        return self._t(table)

    snapshot_allowed: ClassVar[str] = (
        "SELECT snapshot_isolation_state FROM sys.databases WHERE database_id = DB_ID()"
    )
    tracked_tables: ClassVar[str] = (
        "SELECT COUNT(*) FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(?)"
    )
    rowversion_column: ClassVar[str] = (
        "SELECT COUNT(*) FROM sys.columns AS c"
        " JOIN sys.types AS t ON t.user_type_id = c.user_type_id"
        " WHERE c.object_id = OBJECT_ID(?) AND c.name = ?"
        " AND t.name IN ('timestamp', 'rowversion')"
    )
    ct_current_version: ClassVar[str] = "SELECT CHANGE_TRACKING_CURRENT_VERSION()"
    ct_min_valid_version: ClassVar[str] = "SELECT CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(?))"

    @staticmethod
    def set_isolation(level: IsolationLevel) -> str:
        return f"SET TRANSACTION ISOLATION LEVEL {level.value}"

    def ct_contact_ids(self, table: LogicalTable) -> str:
        """Params: baseline. ContactIDs with any change (deletes too) in ``table``,
        whose key holds ContactID (Contact, ContactExtraField)."""
        return (
            f"SELECT ct.{self._c(table, CONTACT_ID)}"
            f" FROM CHANGETABLE(CHANGES {self._t(table)}, ?) AS ct"
        )

    def ct_owned_changes(self, table: LogicalTable, key: str) -> str:
        """Params: baseline. (child key, operation, current ContactID or NULL if gone)."""
        key_column = self._c(table, key)
        return (
            f"SELECT ct.{key_column}, ct.SYS_CHANGE_OPERATION, c.{self._c(table, CONTACT_ID)}"
            f" FROM CHANGETABLE(CHANGES {self._t(table)}, ?) AS ct"
            f" LEFT JOIN {self._t(table)} AS c ON c.{key_column} = ct.{key_column}"
        )

    def owner_index(self, table: LogicalTable, key: str) -> str:
        return f"SELECT {self._c(table, key)}, {self._c(table, CONTACT_ID)} FROM {self._t(table)}"

    @property
    def contact_ids_after(self) -> str:
        """Params: after_id, limit. The full re-read's id pages."""
        cid = self._c(T.CONTACT, CONTACT_ID)
        return (
            f"SELECT {cid} FROM {self._t(T.CONTACT)} WHERE {cid} > ?"
            f" ORDER BY {cid} {self.queries.sql.limit_clause}"
        )

    # The single-agent lock (its own session).
    lock_acquire: ClassVar[str] = (
        "SET NOCOUNT ON; DECLARE @result int;"
        " EXEC @result = sp_getapplock @Resource = ?, @LockMode = 'Exclusive',"
        " @LockOwner = 'Session', @LockTimeout = 0, @DbPrincipal = 'public';"
        " SELECT @result"
    )
    lock_check: ClassVar[str] = "SELECT APPLOCK_MODE('public', ?, 'Session')"
    lock_release: ClassVar[str] = (
        "EXEC sp_releaseapplock @Resource = ?, @LockOwner = 'Session', @DbPrincipal = 'public'"
    )


class SqlServerAppLock(SessionLock):
    """``sp_getapplock`` owned by a session of its own, checked with ``APPLOCK_MODE``."""

    def _acquire(self, cursor: pyodbc.Cursor) -> bool:
        row = cursor.execute(SqlServerStatements.lock_acquire, APPLOCK_RESOURCE).fetchone()
        # 0 granted, 1 granted after waiting; negative: refused, timed out, deadlock.
        return row is not None and row[0] is not None and int(row[0]) >= 0

    def _check(self, cursor: pyodbc.Cursor) -> bool:
        row = cursor.execute(SqlServerStatements.lock_check, APPLOCK_RESOURCE).fetchone()
        return row is not None and row[0] == "Exclusive"

    def _release(self, cursor: pyodbc.Cursor) -> None:
        cursor.execute(SqlServerStatements.lock_release, APPLOCK_RESOURCE)


@dataclass
class _ChangeSet:
    """Every contact changed since one baseline, computed once per watermark."""

    since: int
    ids: list[int]


@dataclass
class SqlServerState:
    """What the dialect learned about the database on connecting."""

    snapshot_allowed: bool = False
    change_tracking: bool = False
    fast_executemany: bool = False
    #: Child key → ContactID per table without ContactID in its key (CT mode only).
    owners: dict[LogicalTable, dict[int, int]] = field(default_factory=dict)
    changes: _ChangeSet | None = None


class SqlServerDialect(OdbcDialect):
    kind: ClassVar[Dialect] = Dialect.SQLSERVER
    label: ClassVar[str] = "SQL Server"
    open_quote: ClassVar[str] = "["
    close_quote: ClassVar[str] = "]"
    version_parameter: ClassVar[str] = "CAST(? AS binary(8))"

    def __init__(self) -> None:
        self.state = SqlServerState()

    @classmethod
    def matches(cls, dbms_name: str) -> bool:
        return "sql server" in dbms_name.casefold()

    def watermark_sql(self, mapping: SchemaMapping) -> str:
        """The rowversion watermark (Change Tracking's is chosen in :meth:`watermark`)."""
        return "SELECT CAST(MIN_ACTIVE_ROWVERSION() AS bigint) - 1"

    def statements(self, queries: Queries) -> SqlServerStatements:
        return SqlServerStatements(queries)

    def configure(self, connection: pyodbc.Connection, query_timeout: int) -> None:
        connection.add_output_converter(pyodbc.SQL_BINARY, rowversion_to_int)
        connection.add_output_converter(SQL_SS_TIMESTAMPOFFSET, datetimeoffset_to_datetime)
        driver = str(connection.getinfo(pyodbc.SQL_DRIVER_NAME)).casefold()
        self.state.fast_executemany = any(mark in driver for mark in MICROSOFT_DRIVER_MARKERS)
        row = connection.execute(SqlServerStatements.snapshot_allowed).fetchone()
        self.state.snapshot_allowed = row is not None and row[0] == 1
        connection.commit()

    def detect_change_tracking(self, cursor: pyodbc.Cursor, queries: Queries) -> bool:
        """CT is used only when every versioned table is tracked."""
        statements = self.statements(queries)
        tracked = []
        for table in VERSIONED_TABLES:
            row = cursor.execute(
                SqlServerStatements.tracked_tables, statements.object_name(table)
            ).fetchone()
            tracked.append(row is not None and int(row[0]) > 0)
        enabled = all(tracked)
        if any(tracked) and not enabled:
            log.warning(
                "Change Tracking is on for some contact tables only; using rowversion. "
                "Enable it on Contact, ContactAddress, ContactExtraField and "
                "ContactRelationship to have deleted addresses and relationships sent "
                "at once."
            )
        if enabled != self.state.change_tracking:
            self.state.owners.clear()
            self.state.changes = None
        self.state.change_tracking = enabled
        return enabled

    def begin_read(self, cursor: pyodbc.Cursor) -> None:
        level = (
            IsolationLevel.SNAPSHOT
            if self.state.snapshot_allowed
            else IsolationLevel.READ_COMMITTED
        )
        cursor.execute(SqlServerStatements.set_isolation(level))

    def begin_write(self, cursor: pyodbc.Cursor) -> None:
        cursor.execute(SqlServerStatements.set_isolation(IsolationLevel.READ_COMMITTED))

    def watermark(self, cursor: pyodbc.Cursor, queries: Queries) -> int:
        self.state.changes = None  # a new watermark may start a new pass
        if self.detect_change_tracking(cursor, queries):
            row = cursor.execute(SqlServerStatements.ct_current_version).fetchone()
            return CT_VERSION_BASE + (int(row[0]) if row and row[0] is not None else 0)
        return super().watermark(cursor, queries)

    def changed_ids(
        self,
        cursor: pyodbc.Cursor,
        queries: Queries,
        since: int,
        after_id: int,
        limit: int,
        upper: int | None = None,
    ) -> list[int]:
        # Change Tracking's set is read once per ``since`` and kept for the pass, which
        # bounds a running pass; ``upper`` bounds the rowversion scan.
        if limit <= 0:
            return []
        statements = self.statements(queries)
        if since >= CT_VERSION_BASE:
            if not self.state.change_tracking:
                log.warning(
                    "The checkpoint holds a Change Tracking version but Change Tracking is "
                    "off: re-reading every contact."
                )
                return self._all_ids(cursor, statements, after_id, limit)
            changes = self.state.changes
            if changes is None or changes.since != since:
                ids = self._ct_changes(cursor, statements, since - CT_VERSION_BASE)
                changes = self.state.changes = _ChangeSet(since, ids)
            if changes.ids and changes.ids[0] == -1:
                return self._all_ids(cursor, statements, after_id, limit)
            start = bisect.bisect_right(changes.ids, after_id)
            return changes.ids[start : start + limit]
        # A rowversion checkpoint (also the first scan after CT was turned on).
        return super().changed_ids(cursor, queries, since, after_id, limit, upper)

    def _all_ids(
        self, cursor: pyodbc.Cursor, statements: SqlServerStatements, after_id: int, limit: int
    ) -> list[int]:
        cursor.execute(statements.contact_ids_after, (after_id, limit))
        return [int(row[0]) for row in cursor.fetchall()]

    def _ct_changes(
        self, cursor: pyodbc.Cursor, statements: SqlServerStatements, baseline: int
    ) -> list[int]:
        """Sorted changed ContactIDs since ``baseline``, or [-1] when it is too old."""
        for table in VERSIONED_TABLES:
            row = cursor.execute(
                SqlServerStatements.ct_min_valid_version, statements.object_name(table)
            ).fetchone()
            minimum = row[0] if row is not None else None
            if minimum is None or baseline < int(minimum):
                log.warning(
                    "The checkpoint is older than Change Tracking keeps changes for %s; "
                    "re-reading every contact.",
                    table.value,
                )
                return [-1]
        changed: set[int] = set()
        for table in (T.CONTACT, T.CONTACT_EXTRA_FIELD):
            cursor.execute(statements.ct_contact_ids(table), baseline)
            changed.update(int(row[0]) for row in cursor.fetchall())
        unplaced = 0
        for table, key in OWNED_BY_KEY:
            owners = self.state.owners.get(table)
            if owners is None:
                cursor.execute(statements.owner_index(table, key))
                owners = {int(child): int(owner) for child, owner in cursor.fetchall()}
                self.state.owners[table] = owners
            cursor.execute(statements.ct_owned_changes(table, key), baseline)
            for child, operation, current in cursor.fetchall():
                child_key = int(child)
                previous = owners.get(child_key)
                if previous is not None:
                    changed.add(previous)  # deleted, or moved away from this contact
                if operation == ChangeOperation.DELETE or current is None:
                    owners.pop(child_key, None)
                    if previous is None:
                        unplaced += 1
                else:
                    owners[child_key] = int(current)
                    changed.add(int(current))
        if unplaced:
            log.info(
                "%d deleted addresses or relationships could not be placed; the next "
                "reconciliation repairs their contacts",
                unplaced,
            )
        return sorted(changed)

    def check_versioning(self, cursor: pyodbc.Cursor, mapping: SchemaMapping, where: str) -> None:
        queries = Queries(mapping, self)
        statements = self.statements(queries)
        wrong: list[str] = []
        for table in VERSIONED_TABLES:
            row = cursor.execute(
                SqlServerStatements.rowversion_column,
                statements.object_name(table),
                mapping.column(table, ROW_VER),
            ).fetchone()
            if row is None or int(row[0]) == 0:
                wrong.append(f"{mapping.table(table).name}.{mapping.column(table, ROW_VER)}")
        if wrong:
            raise SchemaError(
                f"In the database {where} {', '.join(wrong)} is not a rowversion column, "
                "so changes can't be found.",
                "Point the mapping file at the tables' rowversion columns.",
            )
        if not self.detect_change_tracking(cursor, queries):
            log.info(
                "Change Tracking is off on %s: changes are found by rowversion; deleted "
                "addresses and relationships reach the online copy at the next "
                "reconciliation. ALTER TABLE ... ENABLE CHANGE_TRACKING sends them at once.",
                where,
            )

    def open_lock(self, connection: ConnectionString) -> AgentLock:
        return SqlServerAppLock(connection)
