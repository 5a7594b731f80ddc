"""Rows SQLite hands to a function (``engine/sources/sqlite_rows.py``) are exactly the rows
the cursor returns for the same statements, value for value and type for type, in the
same order; when they can't be shown to be (another order, another count, a failed
function), the page is read the plain way and comes out the same."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.sources.mapping.reads import PLAIN_ROWS, fetch_upload_page
from engine.sources.mapping.schema import CHILD_TABLES
from engine.sources.sqlite import SqliteSource
from engine.sources.sqlite_rows import HandingQueries, Unproven, _strictly_ascending
from sampledata.sqlite_file import generate_reference_database
from tests.engine.db_support import add_lookups, connect, empty_reference_db, insert


def _typed(rows: list[Any]) -> list[list[tuple[type, Any]]]:
    """Rows with each value's type beside it (1, 1.0 and True are equal in Python)."""
    return [[(type(value), value) for value in row] for row in rows]


def _pages(source: SqliteSource, size: int) -> Iterator[tuple[int, int]]:
    """(after, limit) of each page of the source, and one past the end."""
    after = 0
    while True:
        yield after, size
        page = source.read_page(after, size)
        if page.last_id is None:
            return
        after = page.last_id


def assert_handed_rows_are_the_cursor_rows(source: SqliteSource, size: int) -> None:
    handed = source._handed
    assert source._connection is not None
    cursor = source._connection.cursor()
    for after, limit in _pages(source, size):
        contacts = handed.contacts(cursor, source.queries, after, limit)
        assert _typed(contacts) == _typed(PLAIN_ROWS.contacts(cursor, source.queries, after, limit))
        if not contacts:
            continue
        bounds = (contacts[0][0], contacts[-1][0])
        for table in CHILD_TABLES:
            rows = handed.children(cursor, source.queries, table, bounds)
            plain = PLAIN_ROWS.children(cursor, source.queries, table, bounds)
            assert _typed(rows) == _typed(plain)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("handed") / "practice.db"
    generate_reference_database(path, contacts=300, seed=5)
    return path


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_generated_practice_rows_are_the_cursor_rows(generated: Path, size: int) -> None:
    with SqliteSource(generated) as source:
        assert_handed_rows_are_the_cursor_rows(source, size)


#: Values of every storage class, as a text column of a customer's database may hold them.
_ODD_VALUES = (
    st.none()
    | st.text(max_size=8)
    | st.binary(max_size=4)
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
)


@pytest.fixture
def odd_db(tmp_path: Path) -> Path:
    path = empty_reference_db(tmp_path / "practice.db")
    with connect(path) as connection:
        add_lookups(connection)
    return path


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_ODD_VALUES, _ODD_VALUES, _ODD_VALUES), min_size=1, max_size=4))
def test_odd_values_are_handed_as_the_cursor_returns_them(
    odd_db: Path, values: list[tuple[Any, Any, Any]]
) -> None:
    connection = connect(odd_db)
    for text, other, number in values:
        # TEXT affinity (numbers become text there, bytes stay), then INTEGER affinity
        flag = 0 if number is None else number
        contact = insert(connection, "Contact", ContactType="P", Notes=text, IsArchived=flag)
        insert(
            connection, "ContactAddress", ContactID=contact, AddressType="Home", Line1=other,
            IsPrimary=flag,
        )  # fmt: skip
        insert(
            connection, "ContactRelationship", ContactID=contact, RelatedContactID=contact,
            Kind="Spouse", StartDate=other,
        )  # fmt: skip
    connection.close()
    with SqliteSource(odd_db) as source:
        assert_handed_rows_are_the_cursor_rows(source, 3)


def _upload(source: SqliteSource, after: int, limit: int) -> Any:
    assert source._connection is not None
    page = fetch_upload_page(source._connection.cursor(), source.queries, after, limit)
    return page.encoded, page.documents, page.last_id


def _handing(source: SqliteSource) -> HandingQueries:
    assert isinstance(source.queries, HandingQueries)
    return source.queries


def _with_statement(source: SqliteSource, name: str, statement: Any) -> None:
    """Replaces one handed statement of the source's queries (a cached property)."""
    _handing(source).__dict__[name] = statement


def test_contacts_handed_in_another_order_are_read_the_plain_way(generated: Path) -> None:
    with SqliteSource(generated) as source:
        expected = _upload(source, 10, 50)
        statement = _handing(source).contacts_after_handed
        _with_statement(source, "contacts_after_handed", statement.replace(" LIMIT", " DESC LIMIT"))
        assert source._connection is not None
        with pytest.raises(Unproven):
            source._handed.contacts(source._connection.cursor(), source.queries, 10, 50)
        page = source.read_upload_page(10, 50)
        assert (page.encoded, page.documents, page.last_id) == expected


@pytest.mark.parametrize("table", CHILD_TABLES)
def test_children_handed_in_another_order_are_read_the_plain_way(
    generated: Path, table: Any
) -> None:
    with SqliteSource(generated) as source:
        expected = _upload(source, 0, 300)
        statements = dict(_handing(source).children_between_handed)
        text, added = statements[table]
        reversed_order = text.replace('ORDER BY "ContactID", ', 'ORDER BY "ContactID" DESC, ')
        assert reversed_order != text
        statements[table] = (reversed_order, added)
        _with_statement(source, "children_between_handed", statements)
        assert source._connection is not None
        with pytest.raises(Unproven):
            source._handed.children(source._connection.cursor(), source.queries, table, (1, 300))
        page = source.read_upload_page(0, 300)
        assert (page.encoded, page.documents, page.last_id) == expected


def test_rows_handed_more_or_fewer_times_than_counted_are_not_used(generated: Path) -> None:
    with SqliteSource(generated) as source:
        expected = _upload(source, 0, 20)
        statement = _handing(source).contacts_after_handed
        _with_statement(
            source, "contacts_after_handed", statement.replace("count(handed)", "count(handed) + 1")
        )
        page = source.read_upload_page(0, 20)
        assert (page.encoded, page.documents, page.last_id) == expected


def test_text_that_is_not_utf8_is_read_the_plain_way(odd_db: Path) -> None:
    """The function's arguments are decoded strictly; the cursor's re-read decides (here:
    the bytes kept as lone surrogates, as for every read)."""
    connection = connect(odd_db)
    contact = insert(connection, "Contact", ContactType="P", FirstName="Ann")
    connection.execute(
        "UPDATE Contact SET Notes = CAST(x'61ff62' AS TEXT) WHERE ContactID = ?", (contact,)
    )
    connection.close()
    with SqliteSource(odd_db) as source:
        assert source._connection is not None
        with pytest.raises(Unproven):
            source._handed.contacts(source._connection.cursor(), source.queries, 0, 10)
        page = source.read_upload_page(0, 10)
        [document] = source.read_documents([contact])
        assert source._handed.trusted  # that page's data, not the schema
    assert document["notes"] == b"a\xffb".decode("utf-8", "surrogateescape")
    assert page.documents == [document] and page.encoded == []


def test_a_failing_statement_is_left_to_the_plain_read(generated: Path) -> None:
    """Whatever made the handed statement fail, the plain read meets it (and reports it as
    it always has) or reads the page."""
    with SqliteSource(generated) as source:
        expected = _upload(source, 0, 10)
        _with_statement(source, "contacts_after_handed", "SELECT count(*) FROM NoSuchTable")
        assert source._connection is not None
        with pytest.raises(Unproven):
            source._handed.contacts(source._connection.cursor(), source.queries, 0, 10)
        page = source.read_upload_page(0, 10)
        assert (page.encoded, page.documents, page.last_id) == expected


def test_only_integer_keys_prove_the_order() -> None:
    """Python's < is SQLite's ORDER BY only for integers: text keys sort by their column's
    collation (NOCASE puts 'a' before 'B'), NULLs and mixed types by SQLite's rules."""
    assert _strictly_ascending([1, 1, 2], [1, 2, 0])
    assert _strictly_ascending([1, 2, 5])
    assert not _strictly_ascending([1, 1], [2, 2])
    assert not _strictly_ascending([1, 1], [None, 2])
    assert not _strictly_ascending([1, "2"])
    assert not _strictly_ascending([1, 1], ["B", "a"])
    assert not _strictly_ascending([True, 2])
    assert not _strictly_ascending([1, 2], [1, 2.0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=8))
def test_pairs_of_keys_ascend_as_their_tuples(pairs: list[tuple[int, int]]) -> None:
    """(ContactID, key) taken as two lists: strictly ascending exactly when the tuples are."""
    owners, keys = [owner for owner, _ in pairs], [key for _, key in pairs]
    expected = all(earlier < later for earlier, later in pairwise(pairs))
    assert _strictly_ascending(owners, keys) == expected


def test_a_page_not_proven_stops_the_handing_for_the_source(generated: Path) -> None:
    """Rows that once came in another order or count say the schema doesn't give them (no
    index on ContactID would make SQLite call the function for every later row): the
    rest of the migration reads plainly, and the same."""
    with SqliteSource(generated) as source:
        expected = [_upload(source, after, 50) for after in (0, 50, 100)]
        statement = _handing(source).contacts_after_handed
        _with_statement(source, "contacts_after_handed", statement.replace(" LIMIT", " DESC LIMIT"))
        assert source._handed.trusted
        pages = [source.read_upload_page(0, 50)]
        assert not source._handed.trusted

        def not_asked_again(*args: Any) -> Any:
            raise AssertionError("handed rows asked for after a page was not proven")

        source._handed.contacts = not_asked_again  # type: ignore[method-assign]
        pages += [source.read_upload_page(after, 50) for after in (50, 100)]
    assert [(p.encoded, p.documents, p.last_id) for p in pages] == expected
