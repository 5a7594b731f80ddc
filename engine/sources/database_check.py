""" "Test connection": the real checks against what a person entered, in plain words.

Blocking (name lookups, sockets, pyodbc): front ends run it in a worker thread. Each step
narrows down what is wrong the way a person would fix it: is there such a server, does
it answer, does it accept the login, is there such a database, is it a practice's.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import pyodbc

from engine.errors import SchemaError, UserFacingError
from engine.local.source_url import SourceKind
from engine.sources.odbc_connect import ConnectionString, Keyword, error_parts
from engine.sources.open import open_source
from engine.sources.practice_database import PracticeDatabase

log = logging.getLogger(__name__)

#: How long to wait for the server to answer or to accept the login.
ANSWER_SECONDS: Final = 8


class DatabaseProblem(StrEnum):
    SERVER_NOT_FOUND = "server not found"
    NOT_ANSWERING = "not answering"
    CONNECTION_DROPPED = "connection dropped"
    LOGIN_FAILED = "login failed"
    DATABASE_MISSING = "database missing"
    NOT_A_PRACTICE_DATABASE = "not a practice database"
    FILE_MISSING = "file missing"
    CERTIFICATE = "certificate not trusted"
    DRIVER_MISSING = "driver missing"
    OTHER = "other"


@dataclass(frozen=True)
class DatabaseCheck:
    """The outcome: ``problem`` is None when the database is usable."""

    problem: DatabaseProblem | None
    words: str = ""
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None


PASSED: Final = DatabaseCheck(None, "The practice database answered and has every table needed.")


def check_practice_database(
    database: PracticeDatabase, mapping_file: Path | None = None
) -> DatabaseCheck:
    """Never raises for anything a person can cause; says what is wrong and what to do."""
    url = database.connect_url()
    if url.kind is SourceKind.SQLITE:
        if not url.sqlite_path.is_file():
            return DatabaseCheck(
                DatabaseProblem.FILE_MISSING,
                f"There is no database file at {url.sqlite_path}.",
                "Choose the practice database file with Browse….",
            )
    else:
        reached = _reach(database)
        if reached is not None:
            return reached
        signed_in = _sign_in(ConnectionString.parse(url.target), database.host)
        if signed_in is not None:
            return signed_in
    try:
        source = open_source(url, mapping_file)
    except UserFacingError as error:
        return DatabaseCheck(DatabaseProblem.OTHER, error.problem, error.fix)
    try:
        source.check_schema()
    except SchemaError as error:
        if not error.missing:  # the tables are there; something else about them is wrong
            return DatabaseCheck(DatabaseProblem.OTHER, error.problem, error.fix)
        return DatabaseCheck(
            DatabaseProblem.NOT_A_PRACTICE_DATABASE,
            "This is not a practice database: it has no " + ", ".join(error.missing) + ".",
            "Choose the practice's own database (the one the desktop program uses).",
        )
    except UserFacingError as error:
        return DatabaseCheck(DatabaseProblem.OTHER, error.problem, error.fix)
    finally:
        source.close()
    return PASSED


def _reach(database: PracticeDatabase) -> DatabaseCheck | None:
    """Whether the server's name is known and, when its port is, whether it answers."""
    host = database.host
    if not host:
        return None
    try:
        socket.getaddrinfo(host, database.port or 0, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return DatabaseCheck(
            DatabaseProblem.SERVER_NOT_FOUND,
            f"No computer called '{host}' can be found on the network.",
            "Check the server's name (the desktop program's database settings show it).",
        )
    if database.port is None:
        return None  # a named instance: its port comes from the SQL Server Browser
    try:
        with socket.create_connection((host, database.port), timeout=ANSWER_SECONDS):
            return None
    except OSError:
        return DatabaseCheck(
            DatabaseProblem.NOT_ANSWERING,
            f"The database server '{host}' is not answering on port {database.port}.",
            "Check that the database server is running and that its firewall lets this "
            "computer in on that port.",
        )


def _sign_in(connection: ConnectionString, host: str) -> DatabaseCheck | None:
    """Log in once, to tell a refused login or a missing database from the rest."""
    try:
        opened = pyodbc.connect(connection.text(), autocommit=True, timeout=ANSWER_SECONDS)
    except pyodbc.Error as error:
        return _sign_in_problem(error, connection, host)
    opened.close()
    return None


def _sign_in_problem(error: pyodbc.Error, connection: ConnectionString, host: str) -> DatabaseCheck:
    state, message = error_parts(error)
    text = message.lower()
    database = connection.get(Keyword.DATABASE) or ""
    server = connection.get(Keyword.SERVER) or host
    log.info("the database check could not sign in: %s %s", state, connection.redacted())
    if state in ("IM002", "IM003") or "can't open lib" in text:
        return DatabaseCheck(
            DatabaseProblem.DRIVER_MISSING,
            f"The ODBC driver {connection.get(Keyword.DRIVER)} can't be loaded.",
            "Install the database's ODBC driver again, then try again.",
        )
    refused = "login failed" in text or "authentication failed" in text
    if state == "28000" or refused or ("role" in text and "does not exist" in text):
        return DatabaseCheck(
            DatabaseProblem.LOGIN_FAILED,
            f"The database server '{server}' refused the login.",
            "Check the login name and password (or that this Windows account may open the "
            "practice database).",
        )
    if ("cannot open database" in text or "does not exist" in text) and "database" in text:
        return DatabaseCheck(
            DatabaseProblem.DATABASE_MISSING,
            f"The server '{server}' has no database called '{database}'.",
            "Check the database's name (the desktop program's database settings show it).",
        )
    if "certificate" in text or "ssl" in text or "tls" in text:
        return DatabaseCheck(
            DatabaseProblem.CERTIFICATE,
            f"This computer does not trust the certificate of the database server '{server}'.",
            "Ask your IT contact to install the server's certificate (or its issuer's) as "
            "trusted on this computer.",
        )
    if "instance" in text and ("locating" in text or "specified" in text):
        return DatabaseCheck(
            DatabaseProblem.SERVER_NOT_FOUND,
            f"The SQL Server instance '{server}' can't be found.",
            "Check the instance's name after the backslash, and that the SQL Server Browser "
            "service runs on the server.",
        )
    if state in ("HYT00", "HYT01") or "timeout" in text or "timed out" in text:
        return DatabaseCheck(
            DatabaseProblem.NOT_ANSWERING,
            f"The database server '{server}' is not answering.",
            "Check that the database server is running and that its firewall lets this "
            "computer in.",
        )
    return DatabaseCheck(
        DatabaseProblem.CONNECTION_DROPPED,
        f"Something answered at '{server}' but closed the connection before the login.",
        "Check that this is the database server's name (and instance or port), and that "
        "the server accepts connections from this computer.",
    )
