"""SQLite's SQL, shared by the stdlib source (engine/sources/sqlite.py) and the SQLite
ODBC driver (sqlite_odbc.py): the counter-table watermark and the RowVer trigger check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import ClassVar, Final

from engine.errors import SchemaError
from engine.sources.dialects.sql import Dialect, SqlDialect
from engine.sources.mapping.schema import (
    CHILD_TABLES,
    VERSIONED_TABLES,
    LogicalTable,
    SchemaMapping,
)

#: Every trigger of the database: (table, CREATE TRIGGER text).
TRIGGERS_SQL: Final = "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
_TRIGGER_EVENT: Final = re.compile(
    r"\b(?:BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b", re.IGNORECASE
)


class TriggerEvent(StrEnum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class SqliteDialect(SqlDialect):
    kind: ClassVar[Dialect] = Dialect.SQLITE
    limit_clause: ClassVar[str] = "LIMIT ?"

    def watermark_sql(self, mapping: SchemaMapping) -> str:
        # SQLite serialises writers: the counter read in a transaction is committed.
        counter = mapping.table(LogicalTable.ROW_VERSION_COUNTER)
        value = self.quote(mapping.column(LogicalTable.ROW_VERSION_COUNTER, "Value"))
        return f"SELECT MAX({value}) FROM {self.table(counter)}"

    def required_tables(self) -> tuple[LogicalTable, ...]:
        return tuple(LogicalTable)


def check_triggers(
    triggers: Iterable[Sequence[object]], mapping: SchemaMapping, where: str
) -> None:
    """Refuse a database without the RowVer triggers: changes would be missed silently.

    ``triggers`` are the rows of :data:`TRIGGERS_SQL`.
    """
    events: dict[str, set[str]] = {}
    for table, sql in triggers:
        match = _TRIGGER_EVENT.search(str(sql or ""))
        if match:
            events.setdefault(str(table).casefold(), set()).add(match.group(1).upper())
    missing: list[str] = []
    for table in VERSIONED_TABLES:
        name = mapping.table(table).name
        needed = [TriggerEvent.INSERT, TriggerEvent.UPDATE]
        if table in CHILD_TABLES:
            needed.append(TriggerEvent.DELETE)
        have = events.get(name.casefold(), set())
        missing.extend(f"{name} {event}" for event in needed if event not in have)
    if missing:
        raise SchemaError(
            f"The database {where} lacks the triggers that keep RowVer up to date "
            f"(no trigger for {', '.join(missing)}), so changes would be missed.",
            "Create them as in the program's resources/sql/sqlite/schema.sql.",
        )
