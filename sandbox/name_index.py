"""The contacts page's name index, kept off the bulk load of a first migration.

Every new contact puts an entry at a random place of the name index
(:data:`sandbox.search.NAME_INDEX`), so each batch of ~800 dirtied nearly every leaf page
of it and every commit wrote the whole index to the WAL again (O(N) a batch: a third of
``apply_batch``'s CPU at 100,000 contacts, 60 % at 1,000,000). As databases are
bulk-loaded, the index is dropped when a batch arrives at an empty contacts table and
built in one sort (``CREATE INDEX``, far cheaper than random inserts) when the page first
needs it. An absent index is the whole record of the deferral: opening a database does
not build it, so a restart in the middle of a migration keeps it off.
"""

from __future__ import annotations

import sqlite3
from typing import Final

from sandbox.search import NAME_INDEX

#: The page's one index on contacts: name order, so that listing a page reads only its
#: rows (narrow: the search text lives in ``contact_search``).
CREATE_NAME_INDEX: Final = (
    f"CREATE INDEX IF NOT EXISTS {NAME_INDEX} ON contacts (name COLLATE NOCASE, id)"
)


def defer_for_bulk_load(conn: sqlite3.Connection) -> None:
    """In a batch's write transaction, before its rows: drop the name index when no
    contact is stored yet (a first migration starts), so the batches that fill the table
    write none of it. Part of the batch's transaction: a crash keeps both or neither, and
    a database without the index opens and works (the page builds it)."""
    if conn.execute("SELECT 1 FROM contacts LIMIT 1").fetchone() is None:
        conn.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")


def has_name_index(conn: sqlite3.Connection) -> bool:
    """Whether the index is in ``conn``'s snapshot (a read of the small schema table)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?", (NAME_INDEX,)
    )
    return found.fetchone() is not None
