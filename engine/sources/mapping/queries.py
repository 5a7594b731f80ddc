"""Every SELECT/UPDATE the engine runs, built once from a mapping and a dialect.

Identifiers are quoted by the dialect, values are always parameters; a source only
supplies the cursor, the transaction and the dialect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from engine.sources.dialects.sql import SqlDialect
from engine.sources.mapping.schema import (
    ADDRESS_COLUMNS,
    CONTACT_COLUMNS,
    CONTACT_ID,
    LOGICAL_COLUMNS,
    ROW_VER,
    VERSIONED_TABLES,
    LogicalTable,
    SchemaMapping,
)

T = LogicalTable


class Cursor(Protocol):
    """The part of a DB-API 2.0 cursor this module uses."""

    @property
    def description(self) -> Any: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...


@dataclass(frozen=True)
class Queries:
    """Every statement the engine runs, built once from a mapping and a dialect."""

    mapping: SchemaMapping
    sql: SqlDialect
    _in_cache: dict[tuple[str, int], str] = field(default_factory=dict, compare=False)

    def _t(self, table: LogicalTable) -> str:
        return self.sql.table(self.mapping.table(table))

    def _c(self, table: LogicalTable, column: str) -> str:
        return self.sql.quote(self.mapping.column(table, column))

    def _selected(self, table: LogicalTable, column: str) -> str:
        """A column in a SELECT list: NULL for an optional one this database lacks."""
        return "NULL" if self.mapping.is_absent(table, column) else self._c(table, column)

    def _columns(self, table: LogicalTable, columns: Iterable[str]) -> str:
        return ", ".join(self._selected(table, column) for column in columns)

    # Contacts and their children. Each child query selects ContactID first.

    def _contact_select(self) -> str:
        columns = self._columns(T.CONTACT, (column for column, _, _ in CONTACT_COLUMNS))
        return f"SELECT {columns} FROM {self._t(T.CONTACT)}"

    @staticmethod
    def _child_columns(table: LogicalTable) -> tuple[tuple[str, ...], tuple[str, str]]:
        """(selected columns, ORDER BY columns) of one child table: ContactID first."""
        if table is T.CONTACT_ADDRESS:
            columns = (CONTACT_ID, *(column for column, _, _ in ADDRESS_COLUMNS))
            return columns, (CONTACT_ID, "AddressID")
        if table is T.CONTACT_EXTRA_FIELD:
            return (CONTACT_ID, "FieldID", "Value"), (CONTACT_ID, "FieldID")
        columns = (CONTACT_ID, "Kind", "RelatedContactID", "StartDate", "EndDate")
        return columns, (CONTACT_ID, "RelationshipID")

    def _child_select(self, table: LogicalTable) -> tuple[str, str]:
        """(SELECT ... FROM child, ORDER BY ...) for one child table."""
        columns, order = self._child_columns(table)
        select = f"SELECT {self._columns(table, columns)} FROM {self._t(table)}"
        return select, f"ORDER BY {self._columns(table, order)}"

    @cached_property
    def contacts_after(self) -> str:
        """Params: after_id, limit."""
        cid = self._c(T.CONTACT, CONTACT_ID)
        return f"{self._contact_select()} WHERE {cid} > ? ORDER BY {cid} {self.sql.limit_clause}"

    @cached_property
    def contacts_between(self) -> str:
        """Params: first_id, last_id."""
        cid = self._c(T.CONTACT, CONTACT_ID)
        return f"{self._contact_select()} WHERE {cid} BETWEEN ? AND ? ORDER BY {cid}"

    def contacts_in(self, count: int) -> str:
        key = (T.CONTACT.value, count)
        if key not in self._in_cache:
            cid = self._c(T.CONTACT, CONTACT_ID)
            marks = ", ".join("?" * count)
            self._in_cache[key] = (
                f"{self._contact_select()} WHERE {cid} IN ({marks}) ORDER BY {cid}"
            )
        return self._in_cache[key]

    def children_between(self, table: LogicalTable) -> str:
        """Params: first_id, last_id."""
        select, order = self._child_select(table)
        return f"{select} WHERE {self._c(table, CONTACT_ID)} BETWEEN ? AND ? {order}"

    def children_in(self, table: LogicalTable, count: int) -> str:
        key = (table.value, count)
        if key not in self._in_cache:
            select, order = self._child_select(table)
            marks = ", ".join("?" * count)
            self._in_cache[key] = (
                f"{select} WHERE {self._c(table, CONTACT_ID)} IN ({marks}) {order}"
            )
        return self._in_cache[key]

    @cached_property
    def changed_ids(self) -> str:
        """Params: (since, upper, after_id) for each versioned table, then limit.

        ``upper`` is the watermark the pass stops at: an edit made after the pass began
        belongs to the next pass, which would otherwise send it a second time."""
        parts = []
        for table in VERSIONED_TABLES:
            cid = self._c(table, CONTACT_ID)
            parts.append(
                f"SELECT {cid} AS {self.sql.quote('ChangedID')} FROM {self._t(table)}"
                f" WHERE {self._c(table, ROW_VER)} > {self.sql.version_parameter}"
                f" AND {self._c(table, ROW_VER)} <= {self.sql.version_parameter} AND {cid} > ?"
            )
        changed = self.sql.quote("ChangedID")
        return f"{' UNION '.join(parts)} ORDER BY {changed} {self.sql.limit_clause}"

    @cached_property
    def recent_changed_ids(self) -> str:
        """Params as :attr:`changed_ids`; ids unsorted, repeated, at most ``?`` rows.
        Only for a dialect whose row limit needs no ORDER BY (SQLite's; the SQLite reader
        is the one that uses it). With no ORDER BY each table is read through its RowVer index,
        so a scan that finds few changes costs next to nothing however many contacts
        there are (the ordered scan above walks every contact after the cursor)."""
        parts = []
        for table in VERSIONED_TABLES:
            cid = self._c(table, CONTACT_ID)
            parts.append(
                f"SELECT {cid} FROM {self._t(table)}"
                f" WHERE {self._c(table, ROW_VER)} > {self.sql.version_parameter}"
                f" AND {self._c(table, ROW_VER)} <= {self.sql.version_parameter} AND {cid} > ?"
            )
        return f"{' UNION ALL '.join(parts)} {self.sql.limit_clause}"

    @cached_property
    def contact_count(self) -> str:
        return f"SELECT COUNT(*) FROM {self._t(T.CONTACT)}"

    @cached_property
    def contact_ids(self) -> str:
        cid = self._c(T.CONTACT, CONTACT_ID)
        return f"SELECT {cid} FROM {self._t(T.CONTACT)} ORDER BY {cid}"

    @cached_property
    def employees(self) -> str:
        columns = LOGICAL_COLUMNS[T.EMPLOYEE]
        select = f"SELECT {self._columns(T.EMPLOYEE, columns)} FROM {self._t(T.EMPLOYEE)}"
        return f"{select} ORDER BY {self._c(T.EMPLOYEE, 'EmployeeID')}"

    @cached_property
    def extra_field_definitions(self) -> str:
        table = T.EXTRA_FIELD_DEFINITION
        columns = self._columns(table, LOGICAL_COLUMNS[table])
        return f"SELECT {columns} FROM {self._t(table)} ORDER BY {self._c(table, 'FieldID')}"

    @cached_property
    def practice_settings(self) -> str:
        table = T.PRACTICE_SETTING
        columns = self._columns(table, ("Name", "Value"))
        return f"SELECT {columns} FROM {self._t(table)} ORDER BY {self._c(table, 'Name')}"

    @cached_property
    def update_practice_setting(self) -> str:
        """Params: value, name."""
        table = T.PRACTICE_SETTING
        return (
            f"UPDATE {self._t(table)} SET {self._c(table, 'Value')} = ?"
            f" WHERE {self._c(table, 'Name')} = ?"
        )

    @cached_property
    def insert_practice_setting(self) -> str:
        """Params: name, value."""
        table = T.PRACTICE_SETTING
        columns = self._columns(table, ("Name", "Value"))
        return f"INSERT INTO {self._t(table)} ({columns}) VALUES (?, ?)"

    @cached_property
    def watermark(self) -> str:
        return self.sql.watermark_sql(self.mapping)

    def probe(self, table: LogicalTable) -> str:
        """A statement returning no rows whose cursor description lists the columns."""
        return f"SELECT * FROM {self._t(table)} WHERE 1 = 0"
