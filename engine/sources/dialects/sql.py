"""The SQL text each database writes its own way: the root of the one dialect tree.

Everything database-specific is a subclass in ``engine/sources/dialects/<db>.py``:
:class:`SqlDialect` holds what the shared queries need (quoting, the row limit, the
version parameter, the watermark statement, which tables must exist), and
:class:`engine.sources.dialects.odbc_dialect.OdbcDialect` adds what an ODBC connection does
(transactions, change scans, versioning checks, the single-agent lock). Nothing here
imports a database driver, so the stdlib SQLite source uses it too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import ClassVar

from engine.sources.mapping.schema import LogicalTable, SchemaMapping, TableName


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"
    SQLSERVER = "sqlserver"


class SqlDialect(ABC):
    """The few ways the SQL differs per database; everything else is shared."""

    kind: ClassVar[Dialect]
    open_quote: ClassVar[str] = '"'
    close_quote: ClassVar[str] = '"'
    #: Appended after ORDER BY to take the first ``?`` rows.
    limit_clause: ClassVar[str] = "OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY"
    #: How a row-version parameter is written in a comparison with RowVer.
    version_parameter: ClassVar[str] = "?"
    #: Whether quoted identifiers must match case exactly (PostgreSQL).
    case_sensitive_identifiers: ClassVar[bool] = False
    #: Most ids bound into one IN (...) list (below every driver's parameter limit).
    max_in_list: ClassVar[int] = 500

    def quote(self, identifier: str) -> str:
        escaped = identifier.replace(self.close_quote, self.close_quote * 2)
        return f"{self.open_quote}{escaped}{self.close_quote}"

    def table(self, name: TableName) -> str:
        quoted = self.quote(name.name)
        return quoted if name.schema is None else f"{self.quote(name.schema)}.{quoted}"

    @abstractmethod
    def watermark_sql(self, mapping: SchemaMapping) -> str:
        """Highest row version below which every write is committed."""

    def required_tables(self) -> tuple[LogicalTable, ...]:
        """The logical tables a database of this kind must have (the row-version
        counter is SQLite's own)."""
        return tuple(
            table for table in LogicalTable if table is not LogicalTable.ROW_VERSION_COUNTER
        )
