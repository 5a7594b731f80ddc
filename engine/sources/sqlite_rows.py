"""A first migration's rows from SQLite handed to a Python function, one call a row.

The sqlite3 module returns a row value by value and releases and retakes the GIL around
each (``sqlite3_column_type`` inside ``Py_BEGIN_ALLOW_THREADS``): ~100-200 ns a value on
the benchmark machine, ~60 values a contact, most of the fetch. A function SQLite calls
for each row gets all of the row's values under one hold of the GIL, converted as the
cursor converts them (``_pysqlite_build_py_params``: the same int, float, str, bytes or
None), and the statement returns one number. Measured on the generated practice: the
contact rows in about half the CPU (4.1 -> 2.6 µs a contact), the address rows ~2.9 ->
2.2 µs; SQLite's own JSON or concatenation of the values costs more than it saves.

The calls come in the order SQLite evaluates the rows, which no document promises to be
the statement's ORDER BY. So a page is used only when its rows are as many as the
statement counted and strictly ascending by (ContactID, the child's key), integers both
(Python's ``<`` is not a text column's collation), which is that order: the checkpoint's id
order and each contact's child order are checked, not assumed. Otherwise
(:class:`Unproven`, and for the rest of the source's life: its schema doesn't give them),
or when the statement fails (the function does
on text that isn't UTF-8: the cursor's own decoding then decides; any other error the
plain read meets and reports as before), the source reads the page with the plain
statements (:data:`engine.sources.mapping.reads.PLAIN_ROWS`).
"""

from __future__ import annotations

import sqlite3
from functools import cached_property
from itertools import chain, compress, islice
from operator import eq, itemgetter, le, lt
from typing import Any, Final

from engine.sources.mapping.queries import Cursor, Queries
from engine.sources.mapping.schema import (
    CHILD_TABLES,
    CONTACT_COLUMNS,
    CONTACT_ID,
    LogicalTable,
)

T = LogicalTable

#: The name the rows are handed to (registered on the source's own connection).
ROW_FUNCTION: Final = "contacts_migration_row"
#: The same with the row's ORDER BY key first, kept apart from the row (a child table
#: whose rows don't hold it: no row of one more value to strip afterwards).
KEYED_ROW_FUNCTION: Final = "contacts_migration_keyed_row"


class Unproven(Exception):
    """The handed rows are not provably the statement's rows in its order."""


class HandingQueries(Queries):
    """The page statements with each row handed to :data:`ROW_FUNCTION` (SQLite only:
    the other databases' statements stay those of :class:`Queries`)."""

    @cached_property
    def contacts_after_handed(self) -> str:
        """:attr:`contacts_after`'s rows handed over; returns how many. Params alike."""
        columns = self._columns(T.CONTACT, (column for column, _, _ in CONTACT_COLUMNS))
        cid = self._c(T.CONTACT, CONTACT_ID)
        return (
            f"SELECT count(handed) FROM (SELECT {ROW_FUNCTION}({columns}) AS handed"
            f" FROM {self._t(T.CONTACT)} WHERE {cid} > ? ORDER BY {cid} {self.sql.limit_clause})"
        )

    @cached_property
    def children_between_handed(self) -> dict[LogicalTable, tuple[str, bool]]:
        """Child table → (statement, key added): :meth:`children_between`'s
        rows handed over, each to :data:`KEYED_ROW_FUNCTION` with its ORDER BY key first
        where the row doesn't hold it already. Params alike."""
        statements = {}
        for table in CHILD_TABLES:
            columns, order = self._child_columns(table)
            added = order[1] not in columns
            function, handed = (
                (KEYED_ROW_FUNCTION, (order[1], *columns)) if added else (ROW_FUNCTION, columns)
            )
            cid = self._c(table, CONTACT_ID)
            statements[table] = (
                f"SELECT count(handed) FROM (SELECT {function}({self._columns(table, handed)})"
                f" AS handed FROM {self._t(table)} WHERE {cid} BETWEEN ? AND ?"
                f" ORDER BY {self._columns(table, order)})",
                added,
            )
        return statements


_FIRST: Final = itemgetter(0)
_SECOND: Final = itemgetter(1)
_ONLY_INT: Final = frozenset((int,))


def _strictly_ascending(keys: list[Any], minor: list[Any] | None = None) -> bool:
    """Whether integer keys (or the pairs of ``keys`` and ``minor`` keys) ascend strictly.
    Python's ``<`` is SQLite's ORDER BY only for integers: text sorts by its column's
    collation (NOCASE, RTRIM...), a NULL or a mix of types by SQLite's own rules; those are
    no proof, the plain read decides. Asked in C, a few passes over the lists (no tuples)."""
    if not _ONLY_INT.issuperset(map(type, keys if minor is None else chain(keys, minor))):
        return False
    if minor is None:
        return all(map(lt, keys, islice(keys, 1, None)))
    if not all(map(le, keys, islice(keys, 1, None))):
        return False
    tied = list(map(eq, keys, islice(keys, 1, None)))  # pairs whose minor keys decide
    return all(map(lt, compress(minor, tied), compress(islice(minor, 1, None), tied)))


class HandedRows:
    """:class:`engine.sources.mapping.reads.PageRows` through :data:`ROW_FUNCTION`, for
    one connection (used by one thread at a time, as the source is)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._keys: list[Any] = []
        #: False once a page's rows were not provably the statements' (their order or
        #: count): the schema doesn't give them (e.g. no index on ContactID, so SQLite would
        #: call the function for every row after the page's start), so don't ask again.
        self.trusted = True
        append = self._rows.append
        append_key = self._keys.append

        def hand(*values: Any) -> int:
            append(values)
            return 1

        def hand_keyed(key: Any, *values: Any) -> int:
            append_key(key)
            append(values)
            return 1

        connection.create_function(ROW_FUNCTION, -1, hand)
        connection.create_function(KEYED_ROW_FUNCTION, -1, hand_keyed)

    def _read(self, cursor: Cursor, statement: str, params: tuple[Any, Any]) -> list[Any]:
        self._rows.clear()
        self._keys.clear()
        try:
            cursor.execute(statement, params)
            (count,) = cursor.fetchone()
        except sqlite3.OperationalError as error:
            # the function failed ("user-defined function raised exception": decoding its
            # arguments), or SQLite did: the plain read meets, and reports, what is wrong
            raise Unproven from error
        rows = self._rows[:]
        self._rows.clear()
        if count != len(rows):
            raise self._distrust()
        return rows

    def _distrust(self) -> Unproven:
        self.trusted = False
        return Unproven()

    def contacts(self, cursor: Cursor, queries: Queries, after_id: int, limit: int) -> list[Any]:
        assert isinstance(queries, HandingQueries)
        rows = self._read(cursor, queries.contacts_after_handed, (after_id, limit))
        if len(rows) > limit or not _strictly_ascending(list(map(_FIRST, rows))):
            raise self._distrust()
        return rows

    def children(
        self, cursor: Cursor, queries: Queries, table: LogicalTable, bounds: tuple[Any, Any]
    ) -> list[Any]:
        assert isinstance(queries, HandingQueries)
        statement, added = queries.children_between_handed[table]
        rows = self._read(cursor, statement, bounds)
        keys = self._keys[:] if added else list(map(_SECOND, rows))
        self._keys.clear()
        if len(keys) != len(rows) or not _strictly_ascending(list(map(_FIRST, rows)), keys):
            raise self._distrust()
        return rows
