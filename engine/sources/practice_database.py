"""The practice database as a practice names it, turned into a source the engine opens.

Nobody at a practice writes ODBC connection strings: they know the server's name
("MYOBSERVER\\MYOBACCT"), at most the database's, and whether they sign in with Windows
or a SQL login. This module turns those answers into a ``--source`` value (the ODBC
driver chosen from the installed ones) and keeps the password apart: it is never part of
the saved source; it is merged into the connection string only when connecting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final

from engine.errors import SettingsError
from engine.local.source_url import SourceKind, SourceUrl
from engine.sources.odbc_connect import (
    ConnectionString,
    Keyword,
    installed_drivers as installed_odbc_drivers,
)

#: Microsoft's drivers first (they speak every SQL Server feature), FreeTDS last.
SQL_SERVER_DRIVERS: Final = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server")
FREETDS: Final = "FreeTDS"
POSTGRESQL_DRIVERS: Final = ("PostgreSQL Unicode", "PostgreSQL ANSI")
SQL_SERVER_PORT: Final = 1433
POSTGRESQL_PORT: Final = 5432
#: The TDS protocol version FreeTDS speaks to SQL Server 2008 and later.
FREETDS_TDS_VERSION: Final = "7.4"


class DatabaseKind(StrEnum):
    SQL_SERVER = "sqlserver"
    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"


@dataclass(frozen=True)
class SqlServerAnswers:
    """``server`` as people write it: ``HOST``, ``HOST\\INSTANCE`` or ``HOST,PORT``."""

    server: str
    database: str
    windows_sign_in: bool = True
    user: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class PostgresAnswers:
    host: str
    database: str
    user: str
    password: str = field(default="", repr=False)
    port: int = POSTGRESQL_PORT


@dataclass(frozen=True)
class SqliteAnswers:
    path: str


DatabaseAnswers = SqlServerAnswers | PostgresAnswers | SqliteAnswers


@dataclass(frozen=True)
class PracticeDatabase:
    """What the answers describe: a ``--source`` value without any password, the
    password kept apart (for the keyring), and where to look for the server."""

    source: str
    password: str = field(default="", repr=False)
    host: str = ""
    port: int | None = None

    def connect_url(self) -> SourceUrl:
        """The source with its password merged in: for connecting only, never saved."""
        return with_password(self.source, self.password)


def with_password(source: str, password: str | None) -> SourceUrl:
    """``source`` as a SourceUrl with ``PWD`` added (an ODBC SQL login) when given."""
    kind, _, target = source.partition(":")
    url = SourceUrl(SourceKind(kind.lower()), target.strip())
    if not password or url.kind is not SourceKind.ODBC:
        return url
    connection = ConnectionString.parse(url.target)
    if connection.get(Keyword.PWD) is not None or connection.get(Keyword.PASSWORD) is not None:
        return url  # written out in full (the CLI's --source): left as it is
    return SourceUrl(url.kind, ConnectionString((*connection.pairs, ("PWD", password))).text())


def password_key(source: str) -> str:
    """The secret store's key for this source's database password."""
    return f"database:{source}"


def sql_server_driver(installed: Sequence[str]) -> str:
    """Microsoft's 18, then 17, then FreeTDS; otherwise words naming what to install."""
    for name in (*SQL_SERVER_DRIVERS, FREETDS):
        if name in installed:
            return name
    raise SettingsError(
        "This computer has no ODBC driver for SQL Server.",
        "Install Microsoft's 'ODBC Driver 18 for SQL Server' (on Windows from Microsoft's "
        "download page; on Debian or Ubuntu the msodbcsql18 package, or FreeTDS's tdsodbc), "
        "then try again.",
    )


def postgresql_driver(installed: Sequence[str]) -> str:
    for name in POSTGRESQL_DRIVERS:
        if name in installed:
            return name
    raise SettingsError(
        "This computer has no ODBC driver for PostgreSQL.",
        "Install psqlODBC (the 'PostgreSQL Unicode' driver; on Debian or Ubuntu the "
        "odbc-postgresql package), then try again.",
    )


def _split_server(server: str) -> tuple[str, str, int | None]:
    """(host, instance, port) of ``HOST``, ``HOST\\INSTANCE`` or ``HOST,PORT``."""
    text = server.strip()
    port: int | None = None
    if "," in text:
        text, _, port_text = text.partition(",")
        port = _port(port_text, "the server's port (after the comma)")
    host, _, instance = text.partition("\\")
    host = host.strip()
    if not host:
        raise SettingsError(
            f"'{server}' names no server.",
            "Give the server's name as the desktop program shows it, e.g. MYOBSERVER\\MYOBACCT.",
        )
    return host, instance.strip(), port


def _port(text: str, what: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 0 < value < 65536:
        raise SettingsError(f"'{text.strip()}' is not a port number.", f"Give {what} as 1-65535.")
    return value


def _required(value: str, what: str, example: str) -> str:
    if not value.strip():
        raise SettingsError(f"The {what} is missing.", f"Give the {what}, e.g. {example}.")
    return value.strip()


def sql_server_connection(answers: SqlServerAnswers, driver: str) -> tuple[ConnectionString, str]:
    """The connection string for this driver (no password) and the host to look for.

    Encryption is always on and the server's certificate always checked (never
    TrustServerCertificate): a practice database holds tax file numbers.
    """
    host, instance, port = _split_server(_required(answers.server, "server", "MYOBSERVER"))
    database = _required(answers.database, "database name", "MYOBACCT")
    pairs: list[tuple[str, str]] = [("Driver", driver)]
    if driver == FREETDS:
        pairs.append(("Server", f"{host}\\{instance}" if instance else host))
        if port is not None or not instance:
            pairs.append(("Port", str(port or SQL_SERVER_PORT)))
        pairs += [("Database", database), ("TDS_Version", FREETDS_TDS_VERSION)]
        pairs.append(("Encryption", "require"))
    else:
        server = f"{host}\\{instance}" if instance else host
        pairs.append(("Server", f"{server},{port}" if port is not None else server))
        pairs += [("Database", database), ("Encrypt", "yes"), ("TrustServerCertificate", "no")]
    if answers.windows_sign_in:
        pairs.append(("Trusted_Connection", "yes"))
    else:
        pairs.append(("UID", _required(answers.user, "SQL login name", "contacts_reader")))
    return ConnectionString(tuple(pairs)), host


def practice_database(
    answers: DatabaseAnswers, installed_drivers: Sequence[str] | None = None
) -> PracticeDatabase:
    """The source these answers describe; SettingsError with the words when one is wrong
    or no installed driver fits (``installed_drivers``: this computer's, unless given)."""
    if installed_drivers is None:
        installed_drivers = installed_odbc_drivers()
    if isinstance(answers, SqliteAnswers):
        path = _required(answers.path, "database file", "C:\\Practice\\practice.db")
        if path.lower().startswith("sqlite:"):  # pasted from the command line's --source
            path = path[len("sqlite:") :]
        return PracticeDatabase(f"sqlite:{Path(path).expanduser()}")
    if isinstance(answers, SqlServerAnswers):
        connection, host = sql_server_connection(answers, sql_server_driver(installed_drivers))
        _, instance, port = _split_server(answers.server)
        known_port = port if port is not None else (None if instance else SQL_SERVER_PORT)
        password = "" if answers.windows_sign_in else answers.password
        return PracticeDatabase(f"odbc:{connection.text()}", password, host, known_port)
    connection = ConnectionString(
        (
            ("Driver", postgresql_driver(installed_drivers)),
            ("Server", _required(answers.host, "server", "localhost")),
            ("Port", str(answers.port)),
            ("Database", _required(answers.database, "database name", "practice")),
            ("UID", _required(answers.user, "user name", "contacts_reader")),
        )
    )
    return PracticeDatabase(
        f"odbc:{connection.text()}", answers.password, answers.host.strip(), answers.port
    )
