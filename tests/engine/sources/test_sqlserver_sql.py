"""The SQL Server dialect without a server: its exact statements and parameters,
reviewed once and pinned here, and the value converters. (No SQL Server runs on the
development machines; docs/databases.md says what has and hasn't met a live one.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from engine.sources.dialects.detect import dialect_for, dialect_for_driver
from engine.sources.dialects.sql import Dialect
from engine.sources.dialects.sqlserver import (
    APPLOCK_RESOURCE,
    CT_VERSION_BASE,
    SqlServerAppLock,
    SqlServerDialect,
    SqlServerStatements,
    datetimeoffset_to_datetime,
    rowversion_to_int,
)
from engine.sources.mapping.mapping_file import load_mapping
from engine.sources.mapping.queries import Queries
from engine.sources.mapping.reads import NO_UPPER
from engine.sources.mapping.schema import LogicalTable

T = LogicalTable


@pytest.fixture
def queries() -> Queries:
    return Queries(load_mapping(), SqlServerDialect())


@pytest.fixture
def statements(queries: Queries) -> SqlServerStatements:
    return SqlServerStatements(queries)


def test_rowversion_watermark_and_change_scan(queries: Queries) -> None:
    assert queries.watermark == "SELECT CAST(MIN_ACTIVE_ROWVERSION() AS bigint) - 1"
    assert queries.changed_ids == (
        "SELECT [ContactID] AS [ChangedID] FROM [Contact]"
        " WHERE [RowVer] > CAST(? AS binary(8)) AND [RowVer] <= CAST(? AS binary(8))"
        " AND [ContactID] > ?"
        " UNION SELECT [ContactID] AS [ChangedID] FROM [ContactAddress]"
        " WHERE [RowVer] > CAST(? AS binary(8)) AND [RowVer] <= CAST(? AS binary(8))"
        " AND [ContactID] > ?"
        " UNION SELECT [ContactID] AS [ChangedID] FROM [ContactExtraField]"
        " WHERE [RowVer] > CAST(? AS binary(8)) AND [RowVer] <= CAST(? AS binary(8))"
        " AND [ContactID] > ?"
        " UNION SELECT [ContactID] AS [ChangedID] FROM [ContactRelationship]"
        " WHERE [RowVer] > CAST(? AS binary(8)) AND [RowVer] <= CAST(? AS binary(8))"
        " AND [ContactID] > ?"
        " ORDER BY [ChangedID] OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY"
    )


def test_change_tracking_statements(statements: SqlServerStatements) -> None:
    assert statements.ct_current_version == "SELECT CHANGE_TRACKING_CURRENT_VERSION()"
    assert statements.ct_min_valid_version == (
        "SELECT CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(?))"
    )
    assert statements.object_name(T.CONTACT) == "[Contact]"
    assert statements.ct_contact_ids(T.CONTACT) == (
        "SELECT ct.[ContactID] FROM CHANGETABLE(CHANGES [Contact], ?) AS ct"
    )
    assert statements.ct_contact_ids(T.CONTACT_EXTRA_FIELD) == (
        "SELECT ct.[ContactID] FROM CHANGETABLE(CHANGES [ContactExtraField], ?) AS ct"
    )
    assert statements.ct_owned_changes(T.CONTACT_ADDRESS, "AddressID") == (
        "SELECT ct.[AddressID], ct.SYS_CHANGE_OPERATION, c.[ContactID]"
        " FROM CHANGETABLE(CHANGES [ContactAddress], ?) AS ct"
        " LEFT JOIN [ContactAddress] AS c ON c.[AddressID] = ct.[AddressID]"
    )
    assert statements.owner_index(T.CONTACT_RELATIONSHIP, "RelationshipID") == (
        "SELECT [RelationshipID], [ContactID] FROM [ContactRelationship]"
    )
    assert statements.contact_ids_after == (
        "SELECT [ContactID] FROM [Contact] WHERE [ContactID] > ?"
        " ORDER BY [ContactID] OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY"
    )
    assert statements.tracked_tables == (
        "SELECT COUNT(*) FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(?)"
    )
    assert statements.snapshot_allowed == (
        "SELECT snapshot_isolation_state FROM sys.databases WHERE database_id = DB_ID()"
    )


def test_lock_statements() -> None:
    assert SqlServerStatements.lock_acquire == (
        "SET NOCOUNT ON; DECLARE @result int;"
        " EXEC @result = sp_getapplock @Resource = ?, @LockMode = 'Exclusive',"
        " @LockOwner = 'Session', @LockTimeout = 0, @DbPrincipal = 'public';"
        " SELECT @result"
    )
    assert SqlServerStatements.lock_check == "SELECT APPLOCK_MODE('public', ?, 'Session')"
    assert SqlServerStatements.lock_release == (
        "EXEC sp_releaseapplock @Resource = ?, @LockOwner = 'Session', @DbPrincipal = 'public'"
    )


class FakeCursor:
    """Records statements and answers them from a script (statement → rows)."""

    def __init__(self, answers: dict[str, list[tuple[Any, ...]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, *params: Any) -> FakeCursor:
        flat = params[0] if len(params) == 1 and isinstance(params[0], tuple | list) else params
        self.calls.append((sql, tuple(flat)))
        self._rows = list(self.answers.get(sql, []))
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)


def ct_dialect(statements: SqlServerStatements) -> SqlServerDialect:
    dialect = SqlServerDialect()
    dialect.state.change_tracking = True
    dialect.state.snapshot_allowed = True
    return dialect


def test_change_tracking_scan_reads_one_snapshot_and_places_child_deletes(
    queries: Queries, statements: SqlServerStatements
) -> None:
    dialect = ct_dialect(statements)
    address = statements.ct_owned_changes(T.CONTACT_ADDRESS, "AddressID")
    relationship = statements.ct_owned_changes(T.CONTACT_RELATIONSHIP, "RelationshipID")
    cursor = FakeCursor(
        {
            statements.ct_min_valid_version: [(10,)],
            statements.ct_contact_ids(T.CONTACT): [(7,), (3,)],
            statements.ct_contact_ids(T.CONTACT_EXTRA_FIELD): [(9,)],
            statements.owner_index(T.CONTACT_ADDRESS, "AddressID"): [(100, 20), (101, 21)],
            # address 100 deleted (owner from the index), 101 moved from 21 to 22.
            address: [(100, "D", None), (101, "U", 22), (555, "D", None)],
            statements.owner_index(T.CONTACT_RELATIONSHIP, "RelationshipID"): [],
            relationship: [(7, "I", 30)],
        }
    )
    since = CT_VERSION_BASE + 12
    assert dialect.changed_ids(cursor, queries, since, 0, 4) == [3, 7, 9, 20]
    assert dialect.changed_ids(cursor, queries, since, 20, 4) == [21, 22, 30]
    executed = [call for call in cursor.calls]
    # The baseline goes to every CHANGETABLE as a plain parameter, once per pass.
    assert (statements.ct_contact_ids(T.CONTACT), (12,)) in executed
    assert (address, (12,)) in executed
    assert sum(1 for sql, _ in executed if sql == address) == 1
    assert [params for sql, params in executed if sql == statements.ct_min_valid_version] == [
        ("[Contact]",),
        ("[ContactAddress]",),
        ("[ContactExtraField]",),
        ("[ContactRelationship]",),
    ]
    assert dialect.state.owners[T.CONTACT_ADDRESS] == {101: 22}


def test_a_checkpoint_older_than_change_tracking_keeps_rereads_everything(
    queries: Queries, statements: SqlServerStatements
) -> None:
    dialect = ct_dialect(statements)
    cursor = FakeCursor(
        {
            statements.ct_min_valid_version: [(50,)],
            statements.contact_ids_after: [(1,), (2,), (4,)],
        }
    )
    assert dialect.changed_ids(cursor, queries, CT_VERSION_BASE + 12, 0, 3) == [1, 2, 4]
    assert cursor.calls[-1] == (statements.contact_ids_after, (0, 3))
    assert not any("CHANGETABLE" in sql for sql, _ in cursor.calls)


def test_rowversion_checkpoint_is_scanned_by_rowversion_even_with_ct(
    queries: Queries, statements: SqlServerStatements
) -> None:
    dialect = ct_dialect(statements)
    cursor = FakeCursor({queries.changed_ids: [(5,)]})
    assert dialect.changed_ids(cursor, queries, 1234, 0, 10) == [5]
    assert cursor.calls == [(queries.changed_ids, (1234, NO_UPPER, 0) * 4 + (10,))]


def test_ct_checkpoint_without_ct_rereads_everything(
    queries: Queries, statements: SqlServerStatements
) -> None:
    dialect = SqlServerDialect()
    cursor = FakeCursor({statements.contact_ids_after: [(8,)]})
    assert dialect.changed_ids(cursor, queries, CT_VERSION_BASE + 1, 5, 10) == [8]


def test_watermark_per_mode(queries: Queries, statements: SqlServerStatements) -> None:
    tracked = {statements.tracked_tables: [(1,)], statements.ct_current_version: [(77,)]}
    assert SqlServerDialect().watermark(FakeCursor(tracked), queries) == CT_VERSION_BASE + 77
    untracked = {statements.tracked_tables: [(0,)], queries.watermark: [(4096,)]}
    assert SqlServerDialect().watermark(FakeCursor(untracked), queries) == 4096


def test_read_transaction_isolation() -> None:
    dialect = SqlServerDialect()
    cursor = FakeCursor({})
    dialect.begin_read(cursor)
    dialect.state.snapshot_allowed = True
    dialect.begin_read(cursor)
    dialect.begin_write(cursor)
    assert [sql for sql, _ in cursor.calls] == [
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SET TRANSACTION ISOLATION LEVEL SNAPSHOT",
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
    ]


def test_applock_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.sources.odbc_connect import ConnectionString

    lock = SqlServerAppLock(ConnectionString.parse("Driver={x};Server=y"))
    granted = FakeCursor({SqlServerStatements.lock_acquire: [(0,)]})
    assert lock._acquire(granted)
    assert granted.calls == [(SqlServerStatements.lock_acquire, (APPLOCK_RESOURCE,))]
    assert not lock._acquire(FakeCursor({SqlServerStatements.lock_acquire: [(-1,)]}))
    assert lock._check(FakeCursor({SqlServerStatements.lock_check: [("Exclusive",)]}))
    assert not lock._check(FakeCursor({SqlServerStatements.lock_check: [("NoLock",)]}))
    lock._executor.shutdown()


def test_converters() -> None:
    assert rowversion_to_int(b"\x00\x00\x00\x00\x00\x00\x07\xd1") == 2001
    assert rowversion_to_int(None) is None
    assert rowversion_to_int(b"\x01\x02") == b"\x01\x02"  # not a rowversion: untouched
    raw = (2024).to_bytes(2, "little", signed=True)
    for part in (5, 1, 9, 30, 15):
        raw += part.to_bytes(2, "little", signed=True)
    raw += (250_000_000).to_bytes(4, "little") + (10).to_bytes(2, "little", signed=True)
    raw += (30).to_bytes(2, "little", signed=True)
    assert datetimeoffset_to_datetime(raw) == datetime(
        2024, 5, 1, 9, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=10, minutes=30))
    )
    assert datetimeoffset_to_datetime(None) is None


def test_dialect_is_chosen_by_dbms_name() -> None:
    assert isinstance(dialect_for("Microsoft SQL Server"), SqlServerDialect)
    assert dialect_for("PostgreSQL").kind is Dialect.POSTGRESQL
    assert dialect_for("SQLite").kind is Dialect.SQLITE
    assert dialect_for_driver("ODBC Driver 18 for SQL Server") is SqlServerDialect
    assert dialect_for_driver("Something") is None
    from engine.errors import SourceError

    with pytest.raises(SourceError, match="MySQL database"):
        dialect_for("MySQL")
