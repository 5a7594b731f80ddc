"""The database as a practice names it, turned into the connection string each driver
gets: pinned, so a change to what is sent (encryption above all) is seen in review."""

from __future__ import annotations

import pytest

from engine import (
    PostgresAnswers,
    SettingsError,
    SqliteAnswers,
    SqlServerAnswers,
    practice_database,
)
from engine.sources.practice_database import password_key, with_password

MS18 = "ODBC Driver 18 for SQL Server"
MS17 = "ODBC Driver 17 for SQL Server"
EVERY_DRIVER = ("FreeTDS", MS17, MS18, "PostgreSQL Unicode", "SQLite3")


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (
            EVERY_DRIVER,
            "odbc:Driver=ODBC Driver 18 for SQL Server;Server=MYOBSERVER\\MYOBACCT;"
            "Database=MYOBAE;Encrypt=yes;TrustServerCertificate=no;Trusted_Connection=yes",
        ),
        (
            ("FreeTDS", MS17),
            "odbc:Driver=ODBC Driver 17 for SQL Server;Server=MYOBSERVER\\MYOBACCT;"
            "Database=MYOBAE;Encrypt=yes;TrustServerCertificate=no;Trusted_Connection=yes",
        ),
        (
            ("FreeTDS", "PostgreSQL Unicode"),
            "odbc:Driver=FreeTDS;Server=MYOBSERVER\\MYOBACCT;Database=MYOBAE;"
            "TDS_Version=7.4;Encryption=require;Trusted_Connection=yes",
        ),
    ],
    ids=["msodbc18-first", "msodbc17-next", "freetds-last"],
)
def test_sql_server_with_windows_sign_in(installed: tuple[str, ...], expected: str) -> None:
    answers = SqlServerAnswers("MYOBSERVER\\MYOBACCT", "MYOBAE")
    database = practice_database(answers, installed)
    assert database.source == expected
    assert database.password == ""
    assert (database.host, database.port) == ("MYOBSERVER", None)  # the Browser's port


@pytest.mark.parametrize(
    ("driver", "expected"),
    [
        (
            MS18,
            "odbc:Driver=ODBC Driver 18 for SQL Server;Server=db.practice.local,1500;"
            "Database=MYOBAE;Encrypt=yes;TrustServerCertificate=no;UID=contacts_reader",
        ),
        (
            "FreeTDS",
            "odbc:Driver=FreeTDS;Server=db.practice.local;Port=1500;Database=MYOBAE;"
            "TDS_Version=7.4;Encryption=require;UID=contacts_reader",
        ),
    ],
)
def test_sql_server_with_a_sql_login_keeps_the_password_apart(driver: str, expected: str) -> None:
    answers = SqlServerAnswers(
        "db.practice.local,1500",
        "MYOBAE",
        windows_sign_in=False,
        user="contacts_reader",
        password="s3cret;{x}",
    )
    database = practice_database(answers, (driver,))
    assert database.source == expected
    assert "s3cret" not in database.source and "s3cret" not in repr(database)
    assert database.password == "s3cret;{x}"
    assert (database.host, database.port) == ("db.practice.local", 1500)
    merged = database.connect_url().target
    assert merged == expected.removeprefix("odbc:") + ";PWD={s3cret;{x}}}"


def test_a_plain_host_is_asked_on_sql_servers_own_port() -> None:
    database = practice_database(SqlServerAnswers("MYOBSERVER", "MYOBAE"), ("FreeTDS",))
    assert "Server=MYOBSERVER;Port=1433;" in database.source
    assert database.port == 1433


def test_never_trusts_a_certificate_blindly() -> None:
    for driver in (MS18, MS17, "FreeTDS"):
        source = practice_database(SqlServerAnswers("S\\I", "D"), (driver,)).source.lower()
        assert "trustservercertificate=yes" not in source
        assert "encrypt=yes" in source or "encryption=require" in source


def test_postgresql() -> None:
    answers = PostgresAnswers("db.practice.local", "practice", "reader", "pw", port=5433)
    database = practice_database(answers, EVERY_DRIVER)
    assert database.source == (
        "odbc:Driver=PostgreSQL Unicode;Server=db.practice.local;Port=5433;"
        "Database=practice;UID=reader"
    )
    assert database.password == "pw"
    assert (database.host, database.port) == ("db.practice.local", 5433)


def test_sqlite_file_and_plain_paths() -> None:
    assert practice_database(SqliteAnswers("/srv/practice.db"), ()).source == (
        "sqlite:/srv/practice.db"
    )
    pasted = practice_database(SqliteAnswers("sqlite:/srv/p.db"), ())
    assert pasted.source == "sqlite:/srv/p.db"


def test_no_driver_names_what_to_install() -> None:
    with pytest.raises(SettingsError) as raised:
        practice_database(SqlServerAnswers("S", "D"), ("PostgreSQL Unicode",))
    assert "no ODBC driver for SQL Server" in raised.value.problem
    assert "ODBC Driver 18 for SQL Server" in raised.value.fix
    with pytest.raises(SettingsError) as raised:
        practice_database(PostgresAnswers("h", "d", "u"), ("FreeTDS",))
    assert "psqlODBC" in raised.value.fix


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        (SqlServerAnswers("", "D"), "The server is missing."),
        (SqlServerAnswers("\\INSTANCE", "D"), "names no server"),
        (SqlServerAnswers("S", " "), "The database name is missing."),
        (SqlServerAnswers("S,abc", "D"), "'abc' is not a port number."),
        (SqlServerAnswers("S", "D", windows_sign_in=False), "The SQL login name is missing."),
        (PostgresAnswers("h", "d", ""), "The user name is missing."),
        (SqliteAnswers(""), "The database file is missing."),
    ],
)
def test_half_answered(answers: object, words: str) -> None:
    with pytest.raises(SettingsError) as raised:
        practice_database(answers, EVERY_DRIVER)  # type: ignore[arg-type]
    assert words in raised.value.problem


def test_a_password_written_in_the_source_is_left_as_written() -> None:
    assert with_password("odbc:DSN=X;PWD=a", "b").target == "DSN=X;PWD=a"
    assert with_password("sqlite:/p.db", "b").target == "/p.db"
    assert password_key("odbc:DSN=X") == "database:odbc:DSN=X"
