"""The ODBC source layer on real drivers: PostgreSQL (psqlODBC, a throwaway cluster) and
SQLite's ODBC driver; connection strings, user-caused failures, the transaction-id
watermark under concurrent writers, the single-agent locks, init-db."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import ConnectionStringError, SchemaError, SourceError, UserFacingError
from engine.sources.odbc import OdbcAgentLock, OdbcSource
from engine.sources.odbc_connect import ConnectionString, Keyword, translate_error
from engine.sources.sqlite import SqliteAgentLock, SqliteSource
from sampledata.database_init import init_odbc_database
from sampledata.sqlite_file import generate_reference_database
from tests.components import require_odbc_driver
from tests.engine.conftest import SQLITE_ODBC_DRIVER, PostgresPractices
from tests.postgres_harness import PostgresServer, free_port

# --- connection strings and messages (no database needed) ---------------------------------


def test_connection_string_as_users_write_it() -> None:
    text = (
        r"Driver={ODBC Driver 18 for SQL Server};Server=MYOBSERVER\MYOBACCT;"
        "Database=AE_Practice;Trusted_Connection=yes;Encrypt=yes;Pwd={se;cr}}et};"
    )
    parsed = ConnectionString.parse(text)
    assert parsed.get(Keyword.DRIVER) == "ODBC Driver 18 for SQL Server"
    assert parsed.get(Keyword.SERVER) == "MYOBSERVER\\MYOBACCT"
    assert parsed.get(Keyword.PWD) == "se;cr}et"
    assert ConnectionString.parse(parsed.text()) == parsed
    assert "se;cr" not in parsed.redacted() and "Pwd=***" in parsed.redacted()
    assert parsed.where() == "server MYOBSERVER\\MYOBACCT, database AE_Practice"
    assert parsed.with_default("encrypt", "no") is parsed
    assert parsed.with_default("BoolsAsChar", "0").get(Keyword.BOOLS_AS_CHAR) == "0"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("Driver={x;Server=y", "never closed"), ("Driver", "no '='")],
)
def test_unreadable_connection_strings(text: str, problem: str) -> None:
    with pytest.raises(ConnectionStringError, match=problem):
        ConnectionString.parse(text)


class FakeOdbcError(Exception):
    pass


@pytest.mark.parametrize(
    ("state", "message", "fix"),
    [
        ("28000", "[Microsoft][ODBC Driver 18 for SQL Server]Login failed for user 'x'.", "Uid"),
        (
            "08001",
            "[Microsoft][ODBC Driver 18 for SQL Server]SSL Provider: certificate verify failed"
            ":self-signed certificate",
            "install the CA",
        ),
        (
            "08001",
            "[Microsoft][ODBC Driver 18 for SQL Server]SQL Server Network Interfaces: Error "
            "Locating Server/Instance Specified [xFFFFFFFF].",
            "SQL Server Browser",
        ),
        ("HYT00", "[Microsoft][ODBC Driver 18 for SQL Server]Login timeout expired", "running"),
        (
            "08S01",
            "[Microsoft][ODBC Driver 18 for SQL Server]Communication link failure",
            "tries again by itself",
        ),
        (
            "42S02",
            "[Microsoft][ODBC Driver 18 for SQL Server]Invalid object name 'Contact'.",
            "mapping",
        ),
        (
            "01000",
            "[unixODBC][Driver Manager]Can't open lib 'ODBC Driver 18 for SQL Server'",
            "installed",
        ),
    ],
)
def test_driver_errors_become_messages_with_the_fix(state: str, message: str, fix: str) -> None:
    import pyodbc

    connection = ConnectionString.parse(
        r"Driver={ODBC Driver 18 for SQL Server};Server=MYOBSERVER\MYOBACCT;Database=AE"
    )
    error = translate_error(pyodbc.Error(state, message), connection)
    assert isinstance(error, SourceError)
    assert fix in error.fix
    assert "[Microsoft]" not in error.problem
    if state == "42S02":
        assert isinstance(error, SchemaError)


def test_driver_not_installed_lists_the_installed_ones() -> None:
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    with pytest.raises(SourceError) as raised:
        OdbcSource(r"Driver={ODBC Driver 18 for SQL Server};Server=MYOBSERVER\MYOBACCT")
    assert "not installed" in raised.value.problem
    assert "{SQLite3}" in raised.value.fix


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture
def pg(postgres_practices: PostgresPractices) -> str:
    practice = postgres_practices.create(300, 7)
    assert practice.connection_string is not None
    return practice.connection_string


def test_postgres_documents_equal_the_sqlite_ones(pg: str, tmp_path: Path) -> None:
    """The same generated practice reads into identical documents on both databases."""
    path = tmp_path / "same.db"
    generate_reference_database(path, contacts=300, seed=7)
    ids = list(range(1, 301))
    with SqliteSource(path) as sqlite, OdbcSource(pg) as postgres:
        postgres.check_schema()
        assert postgres.read_documents(ids) == sqlite.read_documents(ids)
        # (The lookup digest is per database: IsActive reads as bool here, 1 there.)
        assert postgres.lookup_digest() == postgres.lookup_digest()
        assert postgres.practice_settings() == sqlite.practice_settings()
        assert postgres.contact_ids() == sqlite.contact_ids()
        page = postgres.read_page(0, 50)
        assert page.documents == sqlite.read_page(0, 50).documents


def test_an_open_writer_is_never_skipped_by_the_watermark(pg: str) -> None:
    """A transaction that wrote first but commits last must be found by the next scan."""
    import pyodbc

    slow = pyodbc.connect(pg, autocommit=False)
    quick = pyodbc.connect(pg, autocommit=True)
    with OdbcSource(pg) as source:
        before = source.watermark()
        slow.execute('UPDATE "Contact" SET "Fax" = \'slow\' WHERE "ContactID" = 11')
        quick.execute('UPDATE "Contact" SET "Fax" = \'quick\' WHERE "ContactID" = 12')
        during = source.watermark()
        assert during < int(
            slow.execute("SELECT CAST(CAST(pg_current_xact_id() AS text) AS bigint)").fetchone()[0]
        )
        # The engine would now send changes in (before, during] and remember `during`.
        seen = source.changed_ids(before, 0, 100)
        assert 11 not in seen  # not committed yet, so not visible
        slow.commit()
        later = source.changed_ids(during, 0, 100)
        assert 11 in later, "the slow writer's change was skipped"
        assert source.watermark() > during
        quick.execute('DELETE FROM "ContactAddress" WHERE "ContactID" = 13')
        assert 13 in source.changed_ids(during, 0, 100)  # child delete raises the owner
    slow.close()
    quick.close()


def test_the_postgres_change_token_moves_with_every_commit_and_only_then(pg: str) -> None:
    """A writer that began before the token was read and commits after it moves it too,
    as do deletes; reads (the agent's own) don't."""
    import pyodbc

    slow = pyodbc.connect(pg, autocommit=False)
    quick = pyodbc.connect(pg, autocommit=True)
    with OdbcSource(pg) as source:
        quiet = source.change_token()
        assert quiet is not None
        source.read_page(0, 50)
        source.watermark()
        assert source.change_token() == quiet
        slow.execute('UPDATE "Contact" SET "Fax" = \'slow\' WHERE "ContactID" = 11')
        begun = source.change_token()  # an open writer's change is not visible yet...
        slow.commit()
        committed = source.change_token()
        assert committed != begun  # ...its commit moves the token
        assert source.change_token() == committed
        quick.execute('DELETE FROM "ContactAddress" WHERE "ContactID" = 13')
        deleted = source.change_token()
        assert deleted != committed
        source.write_practice_settings({"ContactsMigration.Note": "own write"})
        assert source.change_token() != deleted
    with OdbcSource(pg) as again:  # a new connection: the schema is read again
        assert again.change_token() != deleted
    slow.close()
    quick.close()


def test_postgres_lock_is_exclusive_and_lost_with_its_session(
    pg: str, postgres_server: PostgresServer
) -> None:
    first, second = OdbcAgentLock(pg), OdbcAgentLock(pg)
    try:
        assert first.try_acquire()
        assert first.try_acquire()  # already ours
        assert first.is_held()
        assert not second.try_acquire()
        assert not second.is_held()
        first.release()
        assert not first.is_held()
        assert second.try_acquire()
        # The server ends the holder's session (a restart, a DBA): the lock is gone.
        postgres_server.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
        )
        assert not second.is_held()
        assert first.try_acquire()
    finally:
        first.release()
        second.release()


def test_postgres_user_errors(pg: str, postgres_server: PostgresServer) -> None:
    unreachable = pg.replace(f"Port={postgres_server.port}", f"Port={free_port()}")
    with pytest.raises(SourceError, match="can't be reached"):
        OdbcSource(unreachable)
    missing = pg.replace("Database=practice_", "Database=nothing_")
    with pytest.raises(SourceError) as raised:
        OdbcSource(missing)
    assert "Database=" in raised.value.fix
    empty = postgres_server.create_database(f"empty_{free_port()}")
    with (
        OdbcSource(postgres_server.connection_string(empty)) as source,
        pytest.raises(SchemaError, match="missing Employee, PracticeSetting, Contact"),
    ):
        source.check_schema()


def test_postgres_schema_without_safe_triggers_is_refused(pg: str) -> None:
    import pyodbc

    admin = pyodbc.connect(pg, autocommit=True)
    admin.execute('DROP TRIGGER "ContactExtraField_TouchContact" ON "ContactExtraField"')
    with OdbcSource(pg) as source, pytest.raises(SchemaError, match="ContactExtraField DELETE"):
        source.check_schema()
    admin.execute(
        'CREATE OR REPLACE FUNCTION "SetRowVer"() RETURNS trigger LANGUAGE plpgsql AS $$ '
        'BEGIN NEW."RowVer" := 1; RETURN NEW; END; $$'
    )
    admin.execute(
        'CREATE TRIGGER "ContactExtraField_TouchContact" AFTER DELETE OR UPDATE ON '
        '"ContactExtraField" FOR EACH ROW EXECUTE FUNCTION "TouchOwningContact"()'
    )
    with OdbcSource(pg) as source, pytest.raises(SchemaError, match="pg_current_xact_id"):
        source.check_schema()
    admin.close()


def test_postgres_query_timeout_is_a_source_error(pg: str) -> None:
    import pyodbc

    blocker = pyodbc.connect(pg, autocommit=False)
    blocker.execute('LOCK TABLE "Contact" IN ACCESS EXCLUSIVE MODE')
    try:
        with (
            OdbcSource(pg, query_timeout=1) as source,
            pytest.raises(SourceError, match="did not answer in time"),
        ):
            source.contact_count()
    finally:
        blocker.rollback()
        blocker.close()


def test_init_db_on_postgres_refuses_then_replaces(postgres_server: PostgresServer) -> None:
    name = postgres_server.create_database(f"init_{free_port()}")
    target = postgres_server.connection_string(name)
    done = subprocess.run(
        [sys.executable, "-m", "contacts_migration", "init-db", "--source", f"odbc:{target}",
         "--contacts", "40", "--seed", "2"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with pytest.raises(UserFacingError, match="--force"):
        init_odbc_database(target, contacts=10)
    with OdbcSource(target) as source:
        assert source.contact_count() == 40
        source.write_practice_settings({"PracticeName": "Mine"})
    summary = init_odbc_database(target, contacts=25, seed=3, force=True)
    assert summary.contacts == 25
    with OdbcSource(target) as source:
        source.check_schema()
        assert source.contact_count() == 25
        assert source.practice_settings()["PracticeName"] != "Mine"
        # Identities continue after the loaded keys: a new contact gets a fresh id.
        import pyodbc

        writer = pyodbc.connect(target, autocommit=True)
        writer.execute('INSERT INTO "Contact" ("ContactType", "MainName") VALUES (\'O\', \'N\')')
        writer.close()
        assert source.contact_ids()[-1] == 26


# --- SQLite through its ODBC driver ----------------------------------------------------


@pytest.fixture
def sqlite_odbc(tmp_path: Path) -> tuple[Path, str]:
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    path = tmp_path / "practice.db"
    generate_reference_database(path, contacts=120, seed=5)
    return path, f"Driver={{{SQLITE_ODBC_DRIVER}}};Database={path}"


def test_sqlite_odbc_reads_what_the_stdlib_reads(sqlite_odbc: tuple[Path, str]) -> None:
    path, connection = sqlite_odbc
    with SqliteSource(path) as stdlib, OdbcSource(connection) as odbc:
        odbc.check_schema()
        assert odbc.read_documents(list(range(1, 121))) == stdlib.read_documents(
            list(range(1, 121))
        )
        assert odbc.watermark() == stdlib.watermark()
        assert odbc.changed_ids(0, 0, 10) == stdlib.changed_ids(0, 0, 10)


def test_sqlite_odbc_lock_excludes_a_stdlib_agent(sqlite_odbc: tuple[Path, str]) -> None:
    path, connection = sqlite_odbc
    odbc_lock = OdbcAgentLock(connection)
    stdlib_lock = SqliteAgentLock(path)
    try:
        assert odbc_lock.try_acquire()
        assert not stdlib_lock.try_acquire()
        odbc_lock.release()
        assert stdlib_lock.try_acquire()
    finally:
        odbc_lock.release()
        stdlib_lock.release()


def test_sqlite_odbc_missing_file_is_not_created(tmp_path: Path) -> None:
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    missing = tmp_path / "nowhere.db"
    with pytest.raises(SourceError):
        source = OdbcSource(f"Driver={{{SQLITE_ODBC_DRIVER}}};Database={missing}")
        source.check_schema()
    assert not missing.exists()
