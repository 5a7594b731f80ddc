"""Reading documents, ids and lookups through any DB-API cursor.

Each function runs its statements on the cursor it is given, inside the caller's
transaction; which database it is matters only through ``Queries``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, Protocol

from engine.contract.document import Document
from engine.sources.base import Employee, Page, UploadPage
from engine.sources.mapping.assembly import (
    Lookups,
    assemble_documents,
    group_addresses,
    group_extra_fields,
    group_relationships,
)
from engine.sources.mapping.queries import Cursor, Queries
from engine.sources.mapping.schema import VERSIONED_TABLES, LogicalTable
from engine.sources.mapping.values import as_text, employee_from_row
from engine.sources.mapping.wire_assembly import encode_contacts

T = LogicalTable

#: Most ids read by one key-range query when read_documents gets a dense id list.
RANGE_CHUNK: Final = 2000


def fetch_lookups(cursor: Cursor, queries: Queries) -> Lookups:
    cursor.execute(queries.employees)
    employees = [employee_from_row(row) for row in cursor.fetchall()]
    cursor.execute(queries.extra_field_definitions)
    definitions = {row[0]: (as_text(row[1]), as_text(row[2])) for row in cursor.fetchall()}
    return Lookups(employees=employees, extra_fields=definitions)


def _assemble(
    contact_rows: list[Any], lookups: Lookups, children: Callable[[LogicalTable], list[Any]]
) -> list[Document]:
    """Documents for ``contact_rows``; ``children`` reads one child table's rows."""
    return assemble_documents(
        contact_rows,
        lookups,
        group_addresses(children(T.CONTACT_ADDRESS)),
        group_extra_fields(children(T.CONTACT_EXTRA_FIELD), lookups.extra_fields),
        group_relationships(children(T.CONTACT_RELATIONSHIP)),
    )


def _documents_between(
    cursor: Cursor,
    queries: Queries,
    lookups: Lookups,
    contact_rows: list[Any],
    wanted: set[Any] | None,
) -> list[Document]:
    """Documents for ``contact_rows`` whose children are fetched by one id range."""
    if not contact_rows:
        return []
    bounds = (contact_rows[0][0], contact_rows[-1][0])

    def children(table: LogicalTable) -> list[Any]:
        cursor.execute(queries.children_between(table), bounds)
        rows = cursor.fetchall()
        if wanted is None:
            return rows
        return [row for row in rows if row[0] in wanted]

    return _assemble(contact_rows, lookups, children)


def fetch_page(cursor: Cursor, queries: Queries, after_id: int, limit: int) -> Page:
    """One key-range page: a query for the contacts, one per child table for the range."""
    if limit <= 0:
        return Page(documents=[], last_id=None)
    cursor.execute(queries.contacts_after, (after_id, limit))
    contact_rows = cursor.fetchall()
    if not contact_rows:
        return Page(documents=[], last_id=None)
    lookups = fetch_lookups(cursor, queries)
    documents = _documents_between(cursor, queries, lookups, contact_rows, None)
    return Page(documents=documents, last_id=int(contact_rows[-1][0]))


class PageRows(Protocol):
    """How :func:`fetch_upload_page` gets a page's rows: by default as the cursor returns
    them (:data:`PLAIN_ROWS`); a source may read the same statements' rows its own way."""

    def contacts(self, cursor: Cursor, queries: Queries, after_id: int, limit: int) -> list[Any]:
        """The rows of ``queries.contacts_after``."""

    def children(
        self, cursor: Cursor, queries: Queries, table: LogicalTable, bounds: tuple[Any, Any]
    ) -> list[Any]:
        """The rows of ``queries.children_between(table)``."""


class _CursorRows:
    def contacts(self, cursor: Cursor, queries: Queries, after_id: int, limit: int) -> list[Any]:
        cursor.execute(queries.contacts_after, (after_id, limit))
        return cursor.fetchall()

    def children(
        self, cursor: Cursor, queries: Queries, table: LogicalTable, bounds: tuple[Any, Any]
    ) -> list[Any]:
        cursor.execute(queries.children_between(table), bounds)
        return cursor.fetchall()


PLAIN_ROWS: Final[PageRows] = _CursorRows()


def fetch_upload_page(
    cursor: Cursor,
    queries: Queries,
    after_id: int,
    limit: int,
    rows: PageRows = PLAIN_ROWS,
) -> UploadPage:
    """:func:`fetch_page`'s contacts (the same statements' rows), each as its wire bytes
    where it was built valid (``wire_assembly``), as its document where not."""
    if limit <= 0:
        return UploadPage([], [], None)
    contact_rows = rows.contacts(cursor, queries, after_id, limit)
    if not contact_rows:
        return UploadPage([], [], None)
    lookups = fetch_lookups(cursor, queries)
    bounds = (contact_rows[0][0], contact_rows[-1][0])
    encoded, documents = encode_contacts(
        contact_rows,
        lookups,
        rows.children(cursor, queries, T.CONTACT_ADDRESS, bounds),
        rows.children(cursor, queries, T.CONTACT_EXTRA_FIELD, bounds),
        rows.children(cursor, queries, T.CONTACT_RELATIONSHIP, bounds),
    )
    return UploadPage(encoded, documents, int(contact_rows[-1][0]))


def fetch_documents(cursor: Cursor, queries: Queries, ids: Iterable[int]) -> list[Document]:
    """Documents of these ids, ascending. A dense run of ids is read as one key range
    (no parameter list, cheap to filter); sparse ids go through IN (...) lists."""
    wanted_ids = sorted(set(ids))
    if not wanted_ids:
        return []
    lookups = fetch_lookups(cursor, queries)
    documents: list[Document] = []
    in_size = queries.sql.max_in_list
    for start in range(0, len(wanted_ids), RANGE_CHUNK):
        chunk = wanted_ids[start : start + RANGE_CHUNK]
        first, last = chunk[0], chunk[-1]
        span = last - first + 1
        if span <= 2 * len(chunk):
            wanted = None if span == len(chunk) else set(chunk)
            cursor.execute(queries.contacts_between, (first, last))
            rows = cursor.fetchall()
            if wanted is not None:
                rows = [row for row in rows if row[0] in wanted]
            documents.extend(_documents_between(cursor, queries, lookups, rows, wanted))
            continue
        for sub_start in range(0, len(chunk), in_size):
            documents.extend(
                _documents_in(cursor, queries, lookups, chunk[sub_start : sub_start + in_size])
            )
    return documents


def _documents_in(
    cursor: Cursor, queries: Queries, lookups: Lookups, ids: list[int]
) -> list[Document]:
    cursor.execute(queries.contacts_in(len(ids)), ids)
    contact_rows = cursor.fetchall()

    def children(table: LogicalTable) -> list[Any]:
        cursor.execute(queries.children_in(table, len(ids)), ids)
        return cursor.fetchall()

    return _assemble(contact_rows, lookups, children)


#: No upper bound on a change scan (the largest row version any database gives).
NO_UPPER: Final = (1 << 63) - 1


def _change_scan_params(since: int, upper: int | None, after_id: int, limit: int) -> list[int]:
    params: list[int] = []
    for _ in VERSIONED_TABLES:
        params.extend((since, NO_UPPER if upper is None else upper, after_id))
    params.append(limit)
    return params


def fetch_changed_ids(
    cursor: Cursor,
    queries: Queries,
    since: int,
    after_id: int,
    limit: int,
    upper: int | None = None,
) -> list[int]:
    """Ids after ``after_id`` changed after row version ``since`` and at most ``upper``."""
    if limit <= 0:
        return []
    cursor.execute(queries.changed_ids, _change_scan_params(since, upper, after_id, limit))
    return [int(row[0]) for row in cursor.fetchall()]


def fetch_few_changed_ids(
    cursor: Cursor,
    queries: Queries,
    since: int,
    after_id: int,
    limit: int,
    bound: int,
    upper: int | None = None,
) -> list[int] | None:
    """What :func:`fetch_changed_ids` returns, read through the RowVer indexes when at
    most ``bound`` rows changed (an edit or a few: the usual poll); None when more did
    (then the ordered scan is the cheaper one). Costs at most ``bound`` index rows."""
    if limit <= 0:
        return []
    params = _change_scan_params(since, upper, after_id, bound + 1)
    cursor.execute(queries.recent_changed_ids, params)
    rows = cursor.fetchall()
    if len(rows) > bound:
        return None
    return sorted({int(row[0]) for row in rows})[:limit]


def fetch_practice_settings(cursor: Cursor, queries: Queries) -> dict[str, str]:
    """Name → value; a NULL value counts as not set."""
    cursor.execute(queries.practice_settings)
    return {as_text(name): as_text(value) for name, value in cursor.fetchall() if value is not None}


def lookup_digest(cursor: Cursor, queries: Queries) -> str:
    """SHA-256 over the employee and extra-field-definition rows, in key order."""
    digest = hashlib.sha256()
    for sql in (queries.employees, queries.extra_field_definitions):
        cursor.execute(sql)
        for row in cursor.fetchall():
            line = json.dumps([as_text(value) for value in row], ensure_ascii=False)
            digest.update(line.encode("utf-8", "surrogatepass"))
            digest.update(b"\n")
        digest.update(b"\x00")
    return digest.hexdigest()


def employees_from_rows(rows: Iterable[Sequence[Any]]) -> list[Employee]:
    return [employee_from_row(row) for row in rows]
