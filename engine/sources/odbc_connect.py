"""Opening pyodbc connections: connection strings as users write them, timeouts, and
every failure a user can cause turned into a message with the fix.

Kept apart from :mod:`engine.sources.odbc` so the dialect modules, the lock and
``init-db`` share it without importing the source.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import pyodbc

from engine.errors import ConnectionStringError, SchemaError, SourceError

log = logging.getLogger(__name__)

#: Seconds to wait for the server to accept a login.
LOGIN_TIMEOUT_SECONDS: Final = 15
#: Seconds any one statement may run before the driver cancels it.
QUERY_TIMEOUT_SECONDS: Final = 120

# Never pool: the lock's session must be this process's own, and a pooled connection
# handed back after a failure could carry a stale transaction. Set before any connect.
pyodbc.pooling = False


class Keyword(StrEnum):
    """Connection-string keywords the program reads or sets (compared case-insensitively)."""

    DRIVER = "driver"
    DSN = "dsn"
    SERVER = "server"
    DATABASE = "database"
    UID = "uid"
    PWD = "pwd"
    PASSWORD = "password"
    TRUST_SERVER_CERTIFICATE = "trustservercertificate"
    ENCRYPT = "encrypt"
    BOOLS_AS_CHAR = "boolsaschar"


class SqlState(StrEnum):
    """ODBC SQLSTATEs a user's setup can cause."""

    DRIVER_NOT_FOUND = "IM002"
    DRIVER_LOAD_FAILED = "IM003"
    CONNECT_FAILED = "08001"
    CONNECTION_REFUSED = "08004"
    LINK_FAILURE = "08S01"
    LOGIN_FAILED = "28000"
    TIMEOUT = "HYT00"
    CONNECTION_TIMEOUT = "HYT01"
    NO_TABLE = "42S02"
    NO_COLUMN = "42S22"
    PG_UNDEFINED_TABLE = "42P01"
    PG_UNDEFINED_COLUMN = "42703"
    LOCK_TIMEOUT = "HYT00"


_SECRET_KEYS: Final = (Keyword.PWD.value, Keyword.PASSWORD.value)


@dataclass(frozen=True)
class ConnectionString:
    """An ODBC connection string as ordered (keyword, value) pairs.

    Values in braces (``Driver={ODBC Driver 18 for SQL Server}``) may hold ``;`` and
    ``=``; a ``}}`` inside braces is a literal ``}``. Backslashes (``Server=HOST\\INST``)
    are ordinary characters.
    """

    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> ConnectionString:
        pairs: list[tuple[str, str]] = []
        index = 0
        length = len(text)
        while index < length:
            while index < length and text[index] in "; \t":
                index += 1
            if index >= length:
                break
            equals = text.find("=", index)
            if equals < 0:
                raise ConnectionStringError(
                    f"The connection string part '{text[index:]}' has no '='.",
                    "Write it as Keyword=value pairs separated by ';', e.g. "
                    "Driver={ODBC Driver 18 for SQL Server};Server=HOST\\INSTANCE;...",
                )
            key = text[index:equals].strip()
            index = equals + 1
            if index < length and text[index] == "{":
                value_chars: list[str] = []
                index += 1
                while True:
                    if index >= length:
                        raise ConnectionStringError(
                            f"The value of {key} opens a '{{' that is never closed.",
                            "Close it with '}' (write '}}' for a literal '}').",
                        )
                    char = text[index]
                    if char == "}":
                        if index + 1 < length and text[index + 1] == "}":
                            value_chars.append("}")
                            index += 2
                            continue
                        index += 1
                        break
                    value_chars.append(char)
                    index += 1
                value = "".join(value_chars)
                while index < length and text[index] != ";":
                    if not text[index].isspace():
                        raise ConnectionStringError(
                            f"Unexpected text after the braced value of {key}.",
                            "Put a ';' after the closing '}'.",
                        )
                    index += 1
            else:
                end = text.find(";", index)
                end = length if end < 0 else end
                value = text[index:end].strip()
                index = end
            if not key:
                raise ConnectionStringError(
                    "The connection string has a value without a keyword.",
                    "Write it as Keyword=value pairs separated by ';'.",
                )
            pairs.append((key, value))
        if not pairs:
            raise ConnectionStringError(
                "The ODBC connection string is empty.",
                "Give at least Driver={...} (or DSN=...) and the server and database.",
            )
        return cls(tuple(pairs))

    def get(self, keyword: Keyword) -> str | None:
        for key, value in self.pairs:
            if key.casefold() == keyword.value:
                return value
        return None

    def with_default(self, keyword: str, value: str) -> ConnectionString:
        """The string with ``keyword=value`` added unless the user set it."""
        if any(key.casefold() == keyword.casefold() for key, _ in self.pairs):
            return self
        return ConnectionString((*self.pairs, (keyword, value)))

    def text(self) -> str:
        return ";".join(f"{key}={_quote_value(value)}" for key, value in self.pairs)

    def redacted(self) -> str:
        """For logs and messages: passwords hidden."""
        return ";".join(
            f"{key}=***" if key.casefold() in _SECRET_KEYS else f"{key}={_quote_value(value)}"
            for key, value in self.pairs
        )

    def where(self) -> str:
        """A short name for messages: the server and database, or the DSN."""
        parts = [
            f"{label} {value}"
            for label, value in (
                ("server", self.get(Keyword.SERVER)),
                ("database", self.get(Keyword.DATABASE)),
                ("DSN", self.get(Keyword.DSN)),
            )
            if value
        ]
        return ", ".join(parts) or self.redacted()


def _quote_value(value: str) -> str:
    if any(char in value for char in ";{}=") or value != value.strip():
        return "{" + value.replace("}", "}}") + "}"
    return value


def installed_drivers() -> list[str]:
    """The ODBC drivers this computer has, by name (``pyodbc.drivers()``)."""
    try:
        return sorted(pyodbc.drivers())
    except pyodbc.Error:  # pragma: no cover - a broken driver manager
        return []


def _drivers_text() -> str:
    drivers = installed_drivers()
    return ", ".join(f"{{{name}}}" for name in drivers) if drivers else "none"


def error_parts(error: pyodbc.Error) -> tuple[str, str]:
    """(SQLSTATE, message) of a pyodbc error."""
    args = error.args
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        return args[0], args[1]
    return "", str(error)


def _has(message: str, *needles: str) -> bool:
    lowered = message.lower()
    return any(needle in lowered for needle in needles)


_BRACKETED: Final = re.compile(r"\[[^\]]*\]")


def _clean(message: str) -> str:
    """The driver's text without the ``[unixODBC][Driver]...`` prefixes and codes."""
    text = _BRACKETED.sub("", message).strip()
    text = re.sub(r"\s*\(\d+\)\s*(\(SQL\w+\))?\s*$", "", text)
    text = re.sub(r"\s+", " ", text).strip(" ;.")
    return text or message


def translate_error(error: pyodbc.Error, connection: ConnectionString) -> SourceError:
    """Any pyodbc error as a SourceError (or SchemaError) saying what to do."""
    state, message = error_parts(error)
    where = connection.where()
    detail = _clean(message)
    driver = connection.get(Keyword.DRIVER)
    if state in (SqlState.DRIVER_NOT_FOUND, SqlState.DRIVER_LOAD_FAILED) or _has(
        message, "can't open lib", "data source name not found"
    ):
        if driver is None and connection.get(Keyword.DSN) is None:
            return SourceError(
                "The ODBC connection string names no driver.",
                "Add Driver={...}; installed drivers: " + _drivers_text() + ".",
            )
        named = f"driver {{{driver}}}" if driver else f"DSN {connection.get(Keyword.DSN)}"
        return SourceError(
            f"The ODBC {named} is not installed on this computer ({detail}).",
            "Install it, or use one of the installed drivers: " + _drivers_text() + ".",
        )
    if _has(message, "certificate", "ssl provider", "ssl security error", "tls"):
        return SourceError(
            f"The database server's certificate was rejected ({detail}).",
            "Trust the server's certificate, never switch the check off: install the CA "
            "that issued it (or the server's own certificate) in this computer's "
            "certificate store, and connect with the name it was issued to (Server= as "
            "written in the certificate, not an IP address or alias).",
        )
    if _has(message, "error locating server/instance", "instance specified"):
        return SourceError(
            f"The SQL Server instance in '{connection.get(Keyword.SERVER)}' can't be found "
            f"({detail}).",
            "Check the Server=HOST\\INSTANCE name, that the SQL Server Browser service runs "
            "on that computer and UDP 1434 is open, or give the port as Server=HOST,PORT.",
        )
    if state == SqlState.LOGIN_FAILED or _has(
        message, "login failed", "password authentication failed", "authentication failed"
    ):
        return SourceError(
            f"The database server refused the login ({detail}).",
            "Check Uid and Pwd in the connection string, or use Trusted_Connection=yes "
            "for Windows sign-in, and that this login may open the database.",
        )
    if _has(message, "does not exist", "cannot open database") and _has(message, "database"):
        return SourceError(
            f"The database named in the connection string can't be opened ({detail}).",
            "Check the Database= keyword: it must name the practice database.",
        )
    if state in (SqlState.TIMEOUT, SqlState.CONNECTION_TIMEOUT) or _has(
        message, "timeout expired", "timed out", "canceling statement"
    ):
        return SourceError(
            f"The database at {where} did not answer in time ({detail}).",
            "Check that the server is running and not overloaded; try again in a moment.",
        )
    if state in (SqlState.CONNECT_FAILED, SqlState.CONNECTION_REFUSED) or _has(
        message,
        "could not connect",
        "connection refused",
        "server does not exist",
        "could not translate host",
        "network-related",
    ):
        return SourceError(
            f"The database server at {where} can't be reached ({detail}).",
            "Check the Server (and Port) in the connection string, that the server is "
            "running, and that the firewall lets this computer in.",
        )
    if state == SqlState.LINK_FAILURE or _has(message, "connection", "server closed"):
        return SourceError(
            f"The connection to the database at {where} was lost ({detail}).",
            "Check the network and the database server. A running sync tries again by itself; "
            "a command can be run again.",
        )
    if state in (
        SqlState.NO_TABLE,
        SqlState.NO_COLUMN,
        SqlState.PG_UNDEFINED_TABLE,
        SqlState.PG_UNDEFINED_COLUMN,
    ):
        return SchemaError(
            f"The database at {where} does not have the tables the mapping describes ({detail}).",
            "Check the mapping file, or point Database= at the practice's database.",
        )
    return SourceError(f"The database at {where} failed: {detail}.", "Try again.")


def connect(
    connection: ConnectionString,
    *,
    autocommit: bool,
    login_timeout: int = LOGIN_TIMEOUT_SECONDS,
    query_timeout: int = QUERY_TIMEOUT_SECONDS,
) -> pyodbc.Connection:
    """A new, unpooled connection with both timeouts set; errors say what to fix."""
    driver = connection.get(Keyword.DRIVER)
    if driver is not None and connection.get(Keyword.DSN) is None:
        installed = installed_drivers()
        if installed and driver not in installed:
            raise SourceError(
                f"The ODBC driver {{{driver}}} is not installed on this computer.",
                "Install it, or use one of the installed drivers: " + _drivers_text() + ".",
            )
    try:
        opened = pyodbc.connect(connection.text(), autocommit=autocommit, timeout=login_timeout)
    except pyodbc.Error as error:
        raise translate_error(error, connection) from None
    try:
        opened.timeout = query_timeout
    except pyodbc.Error:
        # Not every driver has a connection-wide query timeout (psqlODBC hasn't); the
        # dialect then sets the database's own (see OdbcDialect.configure).
        log.debug("the driver has no query timeout attribute", exc_info=True)
    return opened
