"""Test connection's answers, from real databases and a real SQL Server ODBC driver.

SQL Server runs nowhere here, so its answers come from Debian's FreeTDS driver (tdsodbc)
against what a person meets when something is wrong: a port where nothing listens, a
loopback listener that accepts the connection and drops it, a name no computer has.
SQLite and PostgreSQL are checked live.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import (
    DatabaseProblem,
    PostgresAnswers,
    SqliteAnswers,
    SqlServerAnswers,
    check_practice_database,
    practice_database,
)
from tests.components import require_odbc_driver
from tests.engine.conftest import PostgresPractices
from tests.postgres_harness import POSTGRES_USER


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dropping_listener() -> Iterator[int]:
    """A loopback port that accepts every connection and closes it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=10)


def sql_server(server: str) -> SqlServerAnswers:
    return SqlServerAnswers(server, "MYOBAE", windows_sign_in=False, user="sa", password="pw")


def test_sql_server_on_a_closed_port_is_not_answering() -> None:
    require_odbc_driver("FreeTDS")
    port = closed_port()
    check = check_practice_database(practice_database(sql_server(f"127.0.0.1,{port}"), ["FreeTDS"]))
    assert check.problem is DatabaseProblem.NOT_ANSWERING
    assert check.words == f"The database server '127.0.0.1' is not answering on port {port}."
    assert "firewall" in check.fix


def test_sql_server_that_drops_the_connection(dropping_listener: int) -> None:
    require_odbc_driver("FreeTDS")
    answers = sql_server(f"127.0.0.1,{dropping_listener}")
    check = check_practice_database(practice_database(answers, ["FreeTDS"]))
    assert check.problem is DatabaseProblem.CONNECTION_DROPPED, check
    assert "closed the connection before the login" in check.words
    assert "pw" not in check.words + check.fix


def test_a_server_name_no_computer_has() -> None:
    require_odbc_driver("FreeTDS")
    answers = sql_server("no-such-server.invalid\\MYOBACCT")
    check = check_practice_database(practice_database(answers, ["FreeTDS"]))
    assert check.problem is DatabaseProblem.SERVER_NOT_FOUND
    assert "'no-such-server.invalid'" in check.words


def test_a_sqlite_practice_passes(practice_db: Path) -> None:
    check = check_practice_database(practice_database(SqliteAnswers(str(practice_db))))
    assert check.ok, check


def test_a_sqlite_file_that_is_not_a_practice_names_the_missing_tables(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE Invoice (Id INTEGER PRIMARY KEY)")
    check = check_practice_database(practice_database(SqliteAnswers(str(other))))
    assert check.problem is DatabaseProblem.NOT_A_PRACTICE_DATABASE
    assert check.words.startswith("This is not a practice database: it has no Employee, ")
    assert ", Contact, " in check.words


def test_a_missing_sqlite_file(tmp_path: Path) -> None:
    check = check_practice_database(practice_database(SqliteAnswers(str(tmp_path / "no.db"))))
    assert check.problem is DatabaseProblem.FILE_MISSING
    assert "Browse" in check.fix


def test_postgresql_live(postgres_practices: PostgresPractices) -> None:
    practice = postgres_practices.create(50, 3)
    name = practice.source.split("Database=")[1].split(";")[0]
    server = postgres_practices.server
    answers = PostgresAnswers("127.0.0.1", name, POSTGRES_USER, "unused", port=server.port)
    assert check_practice_database(practice_database(answers)).ok

    missing = PostgresAnswers("127.0.0.1", "nope", POSTGRES_USER, "x", port=server.port)
    check = check_practice_database(practice_database(missing))
    assert check.problem is DatabaseProblem.DATABASE_MISSING, check
    assert check.words == "The server '127.0.0.1' has no database called 'nope'."

    stranger = PostgresAnswers("127.0.0.1", name, "stranger", "x", port=server.port)
    check = check_practice_database(practice_database(stranger))
    assert check.problem is DatabaseProblem.LOGIN_FAILED, check

    empty = server.create_database("not_a_practice")
    other = PostgresAnswers("127.0.0.1", empty, POSTGRES_USER, "x", port=server.port)
    check = check_practice_database(practice_database(other))
    assert check.problem is DatabaseProblem.NOT_A_PRACTICE_DATABASE, check

    server.stop_server()
    try:
        check = check_practice_database(practice_database(answers))
        assert check.problem is DatabaseProblem.NOT_ANSWERING, check
    finally:
        server.start_server()
