"""Which ODBC dialect a connection needs: the connected driver's DBMS name chooses."""

from __future__ import annotations

from typing import Final

from engine.errors import SourceError
from engine.sources.dialects.odbc_dialect import OdbcDialect
from engine.sources.dialects.postgresql import PostgresDialect
from engine.sources.dialects.sqlite_odbc import SqliteOdbcDialect
from engine.sources.dialects.sqlserver import SqlServerDialect

DIALECTS: Final[tuple[type[OdbcDialect], ...]] = (
    SqlServerDialect,
    PostgresDialect,
    SqliteOdbcDialect,
)


def dialect_for(dbms_name: str) -> OdbcDialect:
    """A fresh dialect for the database the driver reports (``SQL_DBMS_NAME``)."""
    for dialect in DIALECTS:
        if dialect.matches(dbms_name):
            return dialect()
    supported = ", ".join(dialect.label for dialect in DIALECTS)
    raise SourceError(
        f"The ODBC connection leads to a {dbms_name or 'unknown'} database, which this "
        "program can't read.",
        f"Connect to the practice database ({supported}).",
    )


def dialect_for_driver(driver: str | None) -> type[OdbcDialect] | None:
    """A guess from the driver's name, used only to add connection-string defaults
    before connecting (the DBMS name decides after)."""
    if not driver:
        return None
    name = driver.casefold()
    for dialect in DIALECTS:
        if dialect.label.casefold() in name:
            return dialect
    return None
