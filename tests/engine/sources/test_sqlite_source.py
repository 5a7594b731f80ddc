"""The SQLite source: triggers, documents, change scans, paging, errors, the agent lock."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.contract.document import document_problems
from engine.contract.formats import CONTROL_RE
from engine.errors import SchemaError, SourceError
from engine.sources import sqlite as sqlite_source
from engine.sources.dialects.sql import Dialect
from engine.sources.mapping.mapping_file import load_mapping
from engine.sources.mapping.reads import NO_UPPER, fetch_changed_ids
from engine.sources.mapping.schema import LOGICAL_COLUMNS, LogicalTable
from engine.sources.sqlite import SqliteAgentLock, SqliteSource, lock_path
from sampledata.ddl import SchemaSection, execute_statements, schema_path, schema_sections
from sampledata.sqlite_file import generate_reference_database
from tests.engine.db_support import (
    add_lookups,
    connect,
    counter,
    empty_reference_db,
    insert,
    rowver,
)

# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = empty_reference_db(tmp_path / "practice.db")
    with connect(path) as connection:
        add_lookups(connection)
    return path


@pytest.fixture
def conn(db: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(db)
    yield connection
    connection.close()


@pytest.fixture
def source(db: Path) -> Iterator[SqliteSource]:
    with SqliteSource(db) as opened:
        yield opened


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generated") / "practice.db"
    generate_reference_database(path, contacts=300, seed=11)
    return path


def full_contact(connection: sqlite3.Connection) -> int:
    """One contact with every column set, three kinds of children and NULL corners."""
    contact = insert(
        connection,
        "Contact",
        Code="SMIT0001",
        ContactType="P",
        IsContact=0,
        Title="Ms",
        FirstName="Zoë",
        MiddleName=None,
        LastName="Smith-Ngāta",
        Suffix="",
        MainName="Smith-Ngāta, Zoë",
        OrganisationType=None,
        Gender="F",
        DateOfBirth="1980-02-29",
        TaxFileNumber="123 456 782",
        Salutation="Dear Zoë",
        Addressee="  Ms Zoë Smith-Ngāta  ",
        PartnerID=1,
        ManagerID=2,
        Office="Sydney",
        Department=None,
        FamilyGroup="SMITH",
        Phone="(02) 9999 0000",
        Fax=None,
        Mobile="0400 000 000",
        Email="zoe@example.com",
        Website=None,
        Notes="Café 👍\nline two",
        IsArchived=1,
        CreatedAt="2024-05-01 09:30:00",
        ModifiedAt="not a date",
    )
    other = insert(connection, "Contact", ContactType="O", MainName="Other Pty Ltd")
    insert(
        connection,
        "ContactAddress",
        AddressID=20,
        ContactID=contact,
        AddressType="Postal",
        Line1="PO Box 1",
        Suburb="Sydney",
        State="NSW",
        Postcode="2000",
        Country="Australia",
        IsPrimary=0,
    )
    insert(
        connection,
        "ContactAddress",
        AddressID=10,
        ContactID=contact,
        AddressType="Home",
        Line1="1 George Street",
        Line2="Unit 2",
        Line3=None,
        Suburb="Sydney",
        State="NSW",
        Postcode="2000",
        Country="Australia",
        IsPrimary=1,
    )
    insert(connection, "ContactExtraField", ContactID=contact, FieldID=1, Value="6")
    insert(connection, "ContactExtraField", ContactID=contact, FieldID=2, Value="51 824 753 556")
    insert(connection, "ContactExtraField", ContactID=contact, FieldID=3, Value=None)
    insert(
        connection,
        "ContactRelationship",
        RelationshipID=7,
        ContactID=contact,
        RelatedContactID=other,
        Kind="is director of",
        StartDate="2001-07-01",
        EndDate=None,
    )
    insert(
        connection,
        "ContactRelationship",
        RelationshipID=3,
        ContactID=contact,
        RelatedContactID=other,
        Kind="is shareholder of",
        StartDate=None,
        EndDate="2020-06-30",
    )
    return contact


EXPECTED: dict[str, Any] = {
    "id": "1",
    "code": "SMIT0001",
    "type": "person",
    "is_contact": False,
    "title": "Ms",
    "first_name": "Zoë",
    "middle_name": None,
    "last_name": "Smith-Ngāta",
    "suffix": "",
    "main_name": "Smith-Ngāta, Zoë",
    "organisation_type": None,
    "gender": "F",
    "date_of_birth": "1980-02-29",
    "tax_file_number": "123 456 782",
    "salutation": "Dear Zoë",
    "addressee": "  Ms Zoë Smith-Ngāta  ",
    "partner": {"code": "JS", "name": "Jane Smith"},
    "manager": {"code": "NOLAST", "name": "Tāne"},
    "office": "Sydney",
    "department": None,
    "family_group": "SMITH",
    "phone": "(02) 9999 0000",
    "fax": None,
    "mobile": "0400 000 000",
    "email": "zoe@example.com",
    "website": None,
    "notes": "Café 👍\nline two",
    "archived": True,
    "created_at": "2024-05-01T09:30:00",
    "modified_at": "not a date",
    "addresses": [
        {
            "type": "Home",
            "line1": "1 George Street",
            "line2": "Unit 2",
            "line3": None,
            "suburb": "Sydney",
            "state": "NSW",
            "postcode": "2000",
            "country": "Australia",
            "primary": True,
        },
        {
            "type": "Postal",
            "line1": "PO Box 1",
            "line2": None,
            "line3": None,
            "suburb": "Sydney",
            "state": "NSW",
            "postcode": "2000",
            "country": "Australia",
            "primary": False,
        },
    ],
    "extra_fields": [
        {"name": "ABN", "type": "Text", "value": "51 824 753 556"},
        {"name": "ACN", "type": "Text", "value": None},
        {"name": "BALMTH", "type": "Number", "value": "6"},
    ],
    "relationships": [
        {"kind": "is shareholder of", "related_id": "2", "start": None, "end": "2020-06-30"},
        {"kind": "is director of", "related_id": "2", "start": "2001-07-01", "end": None},
    ],
}


# --- triggers --------------------------------------------------------------------------


def test_every_insert_and_update_takes_a_new_version_from_one_counter(
    conn: sqlite3.Connection,
) -> None:
    contact = full_contact(conn)
    versions = [
        rowver(conn, "Contact", "ContactID = ?", contact),
        *(row[0] for row in conn.execute("SELECT RowVer FROM ContactAddress")),
        *(row[0] for row in conn.execute("SELECT RowVer FROM ContactExtraField")),
        *(row[0] for row in conn.execute("SELECT RowVer FROM ContactRelationship")),
        rowver(conn, "Contact", "ContactID = 2"),
    ]
    assert len(set(versions)) == len(versions)
    assert max(versions) == counter(conn)

    updates = [
        ("Contact", "Notes = 'x'", "ContactID = 1"),
        ("ContactAddress", "Line3 = 'x'", "AddressID = 10"),
        ("ContactExtraField", "Value = 'x'", "ContactID = 1 AND FieldID = 1"),
        ("ContactRelationship", "Kind = 'x'", "RelationshipID = 7"),
    ]
    for table, assignment, where in updates:
        before = counter(conn)
        conn.execute(f"UPDATE {table} SET {assignment} WHERE {where}")
        assert rowver(conn, table, where) == before + 1 == counter(conn), table


def test_update_trigger_does_not_loop_with_recursive_triggers(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA recursive_triggers = ON")
    contact = insert(conn, "Contact", ContactType="P")
    before = counter(conn)
    conn.execute("UPDATE Contact SET Notes = 'n' WHERE ContactID = ?", (contact,))
    assert counter(conn) == before + 1


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ("ContactAddress", "AddressID = 10"),
        ("ContactExtraField", "FieldID = 2"),
        ("ContactRelationship", "RelationshipID = 7"),
    ],
)
def test_deleting_a_child_raises_the_owners_version(
    conn: sqlite3.Connection, table: str, where: str
) -> None:
    contact = full_contact(conn)
    before = counter(conn)
    conn.execute(f"DELETE FROM {table} WHERE {where}")
    assert rowver(conn, "Contact", "ContactID = ?", contact) == before + 1 == counter(conn)


def test_moving_a_child_raises_both_owners(conn: sqlite3.Connection) -> None:
    contact = full_contact(conn)
    before = counter(conn)
    conn.execute("UPDATE ContactAddress SET ContactID = 2 WHERE AddressID = 10")
    assert rowver(conn, "Contact", "ContactID = ?", contact) > before
    assert rowver(conn, "ContactAddress", "AddressID = 10") > before


def test_cascade_delete_fires_child_triggers(conn: sqlite3.Connection) -> None:
    contact = full_contact(conn)
    before = counter(conn)
    # Deleting the related contact cascades to the owner's relationships, which fires
    # their delete trigger and so raises the owner's version.
    conn.execute("DELETE FROM Contact WHERE ContactID = 2")
    assert conn.execute("SELECT COUNT(*) FROM ContactRelationship").fetchone()[0] == 0
    assert rowver(conn, "Contact", "ContactID = ?", contact) > before
    # Deleting the owner itself cascades to every child; their touch finds nothing.
    conn.execute("DELETE FROM Contact WHERE ContactID = ?", (contact,))
    for table in ("ContactAddress", "ContactExtraField", "ContactRelationship"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM Contact").fetchone()[0] == 0


# --- documents -------------------------------------------------------------------------


def test_document_matches_hand_written_expectation(
    conn: sqlite3.Connection, source: SqliteSource
) -> None:
    contact = full_contact(conn)
    [doc] = source.read_documents([contact])
    assert doc == EXPECTED
    assert list(doc) == list(EXPECTED)  # every key, in the documented order
    # text that is not a timestamp is carried exactly as stored, and the shared validator
    # names it: the agent sets such a contact aside with this reason (the service would 422)
    assert document_problems(doc) == [
        "modified_at must be a timestamp (YYYY-MM-DDTHH:MM:SS) or null"
    ]
    assert document_problems({**doc, "modified_at": None}) == []
    page = source.read_page(0, 10)
    assert page.documents[0] == EXPECTED
    assert page.last_id == 2


def test_unknown_contact_type_is_kept_for_validation_to_reject(
    conn: sqlite3.Connection, source: SqliteSource
) -> None:
    contact = insert(conn, "Contact", ContactType="X", IsContact=7)
    [doc] = source.read_documents([contact])
    assert doc["type"] == "X"
    assert doc["is_contact"] is True
    assert document_problems(doc) == ["type must be 'person' or 'organisation'"]


def test_odd_stored_values_do_not_crash(conn: sqlite3.Connection, source: SqliteSource) -> None:
    contact = insert(
        conn,
        "Contact",
        ContactType="O",
        Notes=b"\xff\xfebytes",
        IsArchived="yes",
        DateOfBirth="20240501",
        CreatedAt="2024-05-01",
    )
    [doc] = source.read_documents([contact])
    assert doc["notes"] == b"\xff\xfebytes".decode("utf-8", "surrogateescape")
    assert doc["archived"] == "yes"
    assert doc["date_of_birth"] == "2024-05-01"
    assert doc["created_at"] == "2024-05-01T00:00:00"
    assert document_problems(doc) == ["archived must be true, false or null"]


CONTACT_TEXT = {
    "Code": "code",
    "Title": "title",
    "FirstName": "first_name",
    "MiddleName": "middle_name",
    "LastName": "last_name",
    "Suffix": "suffix",
    "MainName": "main_name",
    "OrganisationType": "organisation_type",
    "Gender": "gender",
    "TaxFileNumber": "tax_file_number",
    "Salutation": "salutation",
    "Addressee": "addressee",
    "Office": "office",
    "Department": "department",
    "FamilyGroup": "family_group",
    "Phone": "phone",
    "Fax": "fax",
    "Mobile": "mobile",
    "Email": "email",
    "Website": "website",
    "Notes": "notes",
}
ADDRESS_TEXT = {
    "AddressType": "type",
    "Line1": "line1",
    "Line2": "line2",
    "Line3": "line3",
    "Suburb": "suburb",
    "State": "state",
    "Postcode": "postcode",
    "Country": "country",
}

# Python's sqlite3 can't bind a lone surrogate (UnicodeEncodeError), so no program using
# it could store one: they are left out of the alphabet.
any_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]),
    max_size=300,
) | st.sampled_from(["", " ", "\x00", "\u202eRTL עברית", "👩‍👩‍👧 ZWJ", "a" * 100_000])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_text_round_trips_exactly(
    conn: sqlite3.Connection, source: SqliteSource, data: st.DataObject
) -> None:
    contact_values = {column: data.draw(any_text, column) for column in CONTACT_TEXT}
    address_values = {column: data.draw(any_text, column) for column in ADDRESS_TEXT}
    kind = data.draw(any_text, "Kind")
    value = data.draw(any_text, "Value")
    contact = insert(conn, "Contact", ContactType="P", **contact_values)
    insert(conn, "ContactAddress", ContactID=contact, **address_values)
    insert(conn, "ContactExtraField", ContactID=contact, FieldID=1, Value=value)
    insert(conn, "ContactRelationship", ContactID=contact, RelatedContactID=contact, Kind=kind)
    [doc] = source.read_documents([contact])
    for column, text in contact_values.items():
        assert doc[CONTACT_TEXT[column]] == text, column
    for column, text in address_values.items():
        assert doc["addresses"][0][ADDRESS_TEXT[column]] == text, column
    assert doc["extra_fields"][0]["value"] == value
    assert doc["relationships"][0]["kind"] == kind
    # read exactly; text with control characters is then set aside, naming each field
    drawn = [*contact_values.values(), *address_values.values(), kind, value]
    problems = document_problems(doc)
    assert bool(problems) == any(CONTROL_RE.search(text) for text in drawn), problems
    assert all("holds a control character" in problem for problem in problems)


# --- change scans and paging -----------------------------------------------------------


def test_watermark_is_the_counter(conn: sqlite3.Connection, source: SqliteSource) -> None:
    assert source.watermark() == 0
    full_contact(conn)
    assert source.watermark() == counter(conn) > 0


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE Contact SET Notes = 'n' WHERE ContactID = {id}",
        "INSERT INTO ContactAddress (ContactID, AddressType) VALUES ({id}, 'Other')",
        "UPDATE ContactAddress SET Line1 = 'x' WHERE AddressID = 10",
        "DELETE FROM ContactAddress WHERE AddressID = 10",
        "UPDATE ContactExtraField SET Value = '12' WHERE ContactID = {id} AND FieldID = 1",
        "DELETE FROM ContactExtraField WHERE ContactID = {id} AND FieldID = 1",
        "UPDATE ContactRelationship SET EndDate = '2024-01-01' WHERE RelationshipID = 7",
        "DELETE FROM ContactRelationship WHERE RelationshipID = 7",
    ],
)
def test_changed_ids_sees_changes_through_every_table(
    conn: sqlite3.Connection, source: SqliteSource, change: str
) -> None:
    contact = full_contact(conn)
    for _ in range(3):
        insert(conn, "Contact", ContactType="P")
    since = source.watermark()
    assert source.changed_ids(since, 0, 100) == []
    conn.execute(change.format(id=contact))
    assert source.changed_ids(since, 0, 100) == [contact]
    assert source.changed_ids(since, contact, 100) == []
    assert source.changed_ids(since, 0, 0) == []
    # a pass that began at ``since`` stops there: this edit is the next pass's
    assert source.changed_ids(since, 0, 100, upper=since) == []
    assert source.changed_ids(since, 0, 100, upper=source.watermark()) == [contact]


@pytest.mark.parametrize("few", [True, False])
def test_a_pass_leaves_edits_made_after_it_began_to_the_next(
    generated: Path, monkeypatch: pytest.MonkeyPatch, few: bool
) -> None:
    """Both scans (through the RowVer indexes and in contact order) stop at ``upper``:
    a pass resumed long after it began would otherwise send every later edit, and the
    next pass would send each of them again."""
    if not few:
        monkeypatch.setattr(sqlite_source, "FEW_CHANGES", 0)
    with SqliteSource(generated) as source, sqlite3.connect(generated) as plain:
        ids = source.contact_ids()
        since = source.watermark()
        plain.executemany(
            "UPDATE Contact SET Notes = 'during' WHERE ContactID = ?", [(i,) for i in ids[:3]]
        )
        plain.commit()
        upper = source.watermark()
        plain.executemany(
            "UPDATE Contact SET Notes = 'after' WHERE ContactID = ?", [(i,) for i in ids[2:6]]
        )
        plain.commit()
        # ids[2] was edited again after the pass began: the next pass sends it
        assert source.changed_ids(since, 0, 100, upper) == ids[:2]
        assert source.changed_ids(upper, 0, 100) == ids[2:6]
        assert source.changed_ids(since, 0, 100) == ids[:6]


def test_changed_ids_is_ascending_and_limited(generated: Path) -> None:
    with SqliteSource(generated) as source:
        everything = source.changed_ids(0, 0, 10_000)
        assert everything == source.contact_ids() == sorted(everything)
        assert source.changed_ids(0, 0, 5) == everything[:5]
        assert source.changed_ids(0, everything[4], 5) == everything[5:10]
        assert source.changed_ids(source.watermark(), 0, 10) == []


@pytest.mark.parametrize("few", [0, 3, 50, 100_000])
def test_changed_ids_agree_whichever_scan_reads_them(
    generated: Path, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """Few changes are read through the RowVer indexes, many by the scan in contact
    order; either way the same ids come back, page by page."""
    monkeypatch.setattr(sqlite_source, "FEW_CHANGES", few)
    with SqliteSource(generated) as source, sqlite3.connect(generated) as plain:
        top = source.watermark()
        ids = source.contact_ids()
        for since in (0, top // 2, top - 40, top - 3, top):
            for after in (0, ids[len(ids) // 2], ids[-1]):
                for limit in (1, 7, 1000):
                    expected = fetch_changed_ids(
                        plain.cursor(), source.queries, since, after, limit
                    )
                    assert source.changed_ids(since, after, limit) == expected, (since, after)
                    bounded = fetch_changed_ids(
                        plain.cursor(), source.queries, since, after, limit, top - 3
                    )
                    found = source.changed_ids(since, after, limit, top - 3)
                    assert found == bounded, (since, after)


def test_few_changes_are_found_through_the_row_version_indexes(generated: Path) -> None:
    """The point of the first scan: it must not walk every contact (the planner would
    rather read in contact order, 170 ms a poll with 100,000 contacts)."""
    with SqliteSource(generated) as source, sqlite3.connect(generated) as plain:
        query = source.queries.recent_changed_ids
        plan = [
            row[3]
            for row in plain.execute(f"EXPLAIN QUERY PLAN {query}", [0, NO_UPPER, 0] * 4 + [1])
        ]
    for table in ("Contact", "ContactAddress", "ContactExtraField", "ContactRelationship"):
        assert any(f"SEARCH {table} USING" in step and "RowVer" in step for step in plan), plan


@pytest.mark.parametrize("page_size", [1, 7, 100, 1000])
def test_read_page_covers_every_contact_once(generated: Path, page_size: int) -> None:
    with SqliteSource(generated) as source:
        seen: list[int] = []
        after = 0
        while True:
            page = source.read_page(after, page_size)
            if page.last_id is None:
                assert page.documents == []
                break
            assert 0 < len(page.documents) <= page_size
            assert page.last_id == int(page.documents[-1]["id"])
            seen.extend(int(doc["id"]) for doc in page.documents)
            after = page.last_id
        assert seen == source.contact_ids()
        assert len(seen) == source.contact_count() == 300


def test_read_documents_dense_sparse_and_missing_agree_with_pages(generated: Path) -> None:
    with SqliteSource(generated) as source:
        by_id = {int(doc["id"]): doc for doc in source.read_page(0, 1000).documents}
        dense = list(range(40, 120))
        sparse = list(range(1, 301, 7))
        for ids in (dense, sparse, [*reversed(dense), *dense, 5000, -1]):
            docs = source.read_documents(ids)
            wanted = sorted({i for i in ids if i in by_id})
            assert [int(doc["id"]) for doc in docs] == wanted
            assert docs == [by_id[i] for i in wanted]
        assert source.read_documents([]) == []


# --- lookups and settings --------------------------------------------------------------


def test_employees_settings_and_lookup_digest(
    conn: sqlite3.Connection, source: SqliteSource
) -> None:
    employees = source.employees()
    assert [(e.employee_id, e.code, e.is_active) for e in employees] == [
        (1, "JS", True),
        (2, "NOLAST", False),
    ]
    digest = source.lookup_digest()
    assert source.lookup_digest() == digest
    conn.execute("UPDATE Employee SET LastName = 'Smythe' WHERE EmployeeID = 1")
    changed = source.lookup_digest()
    assert changed != digest
    conn.execute("UPDATE ExtraFieldDefinition SET DataType = 'Text' WHERE FieldID = 1")
    assert source.lookup_digest() != changed

    assert source.practice_settings() == {}
    source.write_practice_settings({"PracticeName": "Café Accountants", "Live.Activated": "1"})
    source.write_practice_settings({"Live.Activated": "0"})
    assert source.practice_settings() == {"PracticeName": "Café Accountants", "Live.Activated": "0"}


# --- opening and schema errors ---------------------------------------------------------


def test_missing_file_is_a_source_error_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.db"
    with pytest.raises(SourceError, match="no database at"):
        SqliteSource(path)
    assert not path.exists()


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite\n" * 100)
    with pytest.raises(SourceError, match="not a readable SQLite database"):
        SqliteSource(path)
    with pytest.raises(SourceError, match="folder"):
        SqliteSource(tmp_path)


def test_check_schema_names_every_missing_table_and_column(tmp_path: Path) -> None:
    path = empty_reference_db(tmp_path / "practice.db")
    with connect(path) as connection:
        connection.execute("DROP TABLE ContactRelationship")
        connection.execute("ALTER TABLE Contact DROP COLUMN Fax")
        connection.execute("ALTER TABLE Employee RENAME COLUMN Email TO EmailAddress")
    with SqliteSource(path) as source, pytest.raises(SchemaError) as caught:
        source.check_schema()
    message = str(caught.value)
    for part in ("ContactRelationship", "Contact.Fax", "Employee.Email", "reference.toml"):
        assert part in message
    assert "Contact.Notes" not in message


def test_check_schema_wants_the_rowver_triggers(tmp_path: Path) -> None:
    path = empty_reference_db(tmp_path / "practice.db")
    with SqliteSource(path) as source:
        source.check_schema()
    with connect(path) as connection:
        connection.execute("DROP TRIGGER ContactAddress_Delete_TouchContact")
    with SqliteSource(path) as source, pytest.raises(SchemaError, match="ContactAddress DELETE"):
        source.check_schema()


def test_busy_database_is_a_source_error(db: Path, source: SqliteSource) -> None:
    other = connect(db)
    other.execute("BEGIN IMMEDIATE")
    try:
        with SqliteSource(db, busy_timeout=0.2) as impatient:
            assert impatient.contact_count() == 0  # WAL: readers are not blocked
            with pytest.raises(SourceError, match="busy"):
                impatient.write_practice_settings({"PracticeName": "x"})
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_rollback_journal_lock_is_a_source_error(tmp_path: Path) -> None:
    path = empty_reference_db(tmp_path / "practice.db", wal=False)
    other = connect(path)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(SourceError, match="busy"):
            SqliteSource(path, busy_timeout=0.2)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with SqliteSource(path) as source:
        assert source.contact_count() == 0
    # Opening never switches the user's journal mode.
    with connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_closed_source_says_so(db: Path) -> None:
    source = SqliteSource(db)
    source.close()
    source.close()
    with pytest.raises(SourceError, match="closed"):
        source.contact_count()


# --- a renamed schema through a mapping file -------------------------------------------

RENAMES = {
    "Contact": "tblClient",
    "ContactAddress": "tblClientAddr",
    "ContactExtraField": "tblClientExtra",
    "ContactRelationship": "tblClientRel",
    "Employee": "tblStaff",
    "ExtraFieldDefinition": "tblExtraDef",
    "PracticeSetting": "tblSetting",
    "RowVersionCounter": "tblVersion",
}
COLUMN_RENAMES = {"ContactID": "client_id", "MainName": "Main Name", "RowVer": "row_version"}


def renamed_schema_sql() -> str:
    """The reference DDL with tables renamed and some columns renamed everywhere."""
    text = schema_path(Dialect.SQLITE).read_text(encoding="utf-8")
    for old, new in sorted(RENAMES.items(), key=lambda item: -len(item[0])):
        text = re.sub(rf"\b{old}\b", new, text)
    for old, new in COLUMN_RENAMES.items():
        text = re.sub(rf"\b{old}\b", f'"{new}"', text)
    return text


def test_mapping_file_points_at_renamed_tables_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "renamed.db"
    sections = schema_sections(Dialect.SQLITE, renamed_schema_sql())
    with connect(path) as connection:
        execute_statements(connection, sections[SchemaSection.TABLES])
        execute_statements(connection, sections[SchemaSection.TRIGGERS])
    mapping_file = tmp_path / "vendor.toml"
    lines = ["format = 1"]
    for logical, physical in RENAMES.items():
        lines.append(f'[tables.{logical}]\nname = "{physical}"\n[tables.{logical}.columns]')
        for column in LOGICAL_COLUMNS[LogicalTable(logical)]:
            if column in COLUMN_RENAMES:
                lines.append(f'{column} = "{COLUMN_RENAMES[column]}"')
    mapping_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # The same hand-made contact, written through the renamed schema.
    with connect(path) as connection:
        translated = _RenamingConnection(connection)
        add_lookups(translated)  # type: ignore[arg-type]
        full_contact(translated)  # type: ignore[arg-type]
    with SqliteSource(path, load_mapping(mapping_file)) as source:
        source.check_schema()
        [doc] = source.read_documents([1])
        assert doc == EXPECTED
        assert source.changed_ids(0, 0, 10) == [1, 2]
        assert source.watermark() > 0
        assert source.read_page(0, 1).documents == [EXPECTED]
    with SqliteSource(path) as reference, pytest.raises(SchemaError, match="Contact"):
        reference.check_schema()


class _RenamingConnection:
    """Lets the reference-named helpers insert into the renamed schema."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        for old, new in sorted(RENAMES.items(), key=lambda item: -len(item[0])):
            sql = re.sub(rf"\b{old}\b", new, sql)
        for old, new in COLUMN_RENAMES.items():
            sql = re.sub(rf"\b{old}\b", f'"{new}"', sql)
        return self.connection.execute(sql, params)


# --- the agent lock --------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from engine.sources.sqlite import SqliteAgentLock
    lock = SqliteAgentLock(Path(sys.argv[1]))
    print("acquired" if lock.try_acquire() else "refused", flush=True)
    sys.stdin.readline()
    lock.release()
    print("released", flush=True)
    sys.stdin.readline()
    """
)


def _holder(db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )


def _step(process: subprocess.Popen[str]) -> str:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def test_lock_is_exclusive_across_processes(db: Path) -> None:
    process = _holder(db)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "acquired"
        ours = SqliteAgentLock(db)
        assert not ours.try_acquire()
        assert not ours.is_held()
        assert _step(process) == "released"
        assert ours.try_acquire()
        assert ours.is_held()
        assert ours.try_acquire()  # already ours
        assert lock_path(db).exists()

        second = _holder(db)
        try:
            assert second.stdout is not None
            assert second.stdout.readline().strip() == "refused"
        finally:
            second.kill()
            second.wait()
        ours.release()
        ours.release()
        assert not ours.is_held()
        assert SqliteAgentLock(db).try_acquire()
    finally:
        process.kill()
        process.wait()


def test_lock_is_dropped_when_the_holder_dies(db: Path) -> None:
    process = _holder(db)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "acquired"
    process.kill()
    process.wait()
    lock = SqliteAgentLock(db)
    assert lock.try_acquire()
    lock.release()
