"""What every DB-API source reads the same way, whatever the database.

A subclass supplies its ``queries`` and ``_transaction`` (how a short read or write
transaction is opened on its connection); the small lookups every source needs are
written once here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager

from engine.sources.base import Employee
from engine.sources.mapping.queries import Cursor, Queries
from engine.sources.mapping.reads import (
    employees_from_rows,
    fetch_practice_settings,
    lookup_digest,
)


class CursorSource(ABC):
    queries: Queries

    @abstractmethod
    def _transaction(self, *, write: bool = False) -> AbstractContextManager[Cursor]: ...

    def contact_count(self) -> int:
        with self._transaction() as cursor:
            cursor.execute(self.queries.contact_count)
            row = cursor.fetchone()
            return int(row[0]) if row is not None else 0

    def contact_ids(self) -> list[int]:
        with self._transaction() as cursor:
            cursor.execute(self.queries.contact_ids)
            return [int(row[0]) for row in cursor.fetchall()]

    def lookup_digest(self) -> str:
        with self._transaction() as cursor:
            return lookup_digest(cursor, self.queries)

    def employees(self) -> list[Employee]:
        with self._transaction() as cursor:
            cursor.execute(self.queries.employees)
            return employees_from_rows(cursor.fetchall())

    def practice_settings(self) -> dict[str, str]:
        with self._transaction() as cursor:
            return fetch_practice_settings(cursor, self.queries)

    def write_practice_settings(self, values: Mapping[str, str]) -> None:
        """Upsert in one short write transaction (update, else insert: portable SQL)."""
        if not values:
            return
        with self._transaction(write=True) as cursor:
            for name, value in values.items():
                cursor.execute(self.queries.update_practice_setting, (value, name))
                if getattr(cursor, "rowcount", 0) == 0:
                    cursor.execute(self.queries.insert_practice_setting, (name, value))
