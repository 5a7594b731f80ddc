"""The mapping file, the SQL builder, value conversion and the DDL splitter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.contract.document import document_problems
from engine.errors import SettingsError
from engine.sources.base import Employee
from engine.sources.dialects.sql import Dialect
from engine.sources.dialects.sqlite import SqliteDialect
from engine.sources.dialects.sqlserver import SqlServerDialect
from engine.sources.mapping.assembly import (
    Lookups,
    assemble_documents,
    group_addresses,
    group_extra_fields,
    group_relationships,
)
from engine.sources.mapping.mapping_file import default_mapping_path, load_mapping
from engine.sources.mapping.queries import Queries
from engine.sources.mapping.schema import (
    CONTACT_COLUMNS,
    LOGICAL_COLUMNS,
    LogicalTable,
    TableName,
)
from engine.sources.mapping.values import (
    as_date,
    as_datetime,
    as_flag,
    as_text,
    employee_name,
)
from sampledata.ddl import SchemaSection, schema_sections, split_statements, trigger_names


def test_reference_mapping_names_every_logical_column_as_itself() -> None:
    mapping = load_mapping()
    assert mapping.source == default_mapping_path()
    for table in LogicalTable:
        assert mapping.table(table) == TableName(table.value)
        for column in LOGICAL_COLUMNS[table]:
            assert mapping.column(table, column) == column


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("format = 2\n", "format"),
        ("tables = 3\nformat = 1\n", "tables"),
        ("format = 1\nextra = 1\n", "extra"),
        ("format = 1\n[tables.Clients]\nname = 'x'\n", "tables.Clients"),
        ("format = 1\n[tables.Contact]\ntable = 'x'\n", "tables.Contact.table"),
        ("format = 1\n[tables.Contact]\nname = 5\n", "tables.Contact.name"),
        ("format = 1\n[tables.Contact]\nname = ''\n", "tables.Contact.name"),
        ('format = 1\n[tables.Contact]\nschema = "a\\tb"\n', "tables.Contact.schema"),
        (
            "format = 1\n[tables.Contact.columns]\nNickname = 'x'\n",
            "tables.Contact.columns.Nickname",
        ),
        ("format = 1\n[tables.Contact.columns]\nPhone = 'Fax'\n", "tables.Contact.columns.Phone"),
        ("format = 1\n[tables.Contact]\ncolumns = 'x'\n", "tables.Contact.columns"),
        ("format = [1\n", "not valid TOML"),
    ],
)
def test_bad_mapping_names_the_key_and_the_file(tmp_path: Path, text: str, named: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_mapping(path)
    assert named in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_mapping(tmp_path / "missing.toml")


def test_partial_mapping_keeps_logical_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'format = 1\n[tables.Contact]\nname = "Client"\nschema = "dbo"\n'
        '[tables.Contact.columns]\nMainName = "Main Name"\n',
    )
    mapping = load_mapping(path)
    assert mapping.table(LogicalTable.CONTACT) == TableName("Client", "dbo")
    assert mapping.column(LogicalTable.CONTACT, "MainName") == "Main Name"
    assert mapping.column(LogicalTable.CONTACT, "Notes") == "Notes"
    assert mapping.table(LogicalTable.EMPLOYEE) == TableName("Employee")


def test_identifiers_are_quoted_per_dialect() -> None:
    sqlite = SqliteDialect()
    sqlserver = SqlServerDialect()
    assert sqlite.quote('we"ird') == '"we""ird"'
    assert sqlserver.quote("we]ird") == "[we]]ird]"
    assert sqlserver.table(TableName("Contact", "dbo")) == "[dbo].[Contact]"


def test_queries_are_parameterised_and_quoted() -> None:
    mapping = load_mapping()
    sqlite = Queries(mapping, SqliteDialect())
    sqlserver = Queries(mapping, SqlServerDialect())
    assert sqlite.contacts_after.endswith('WHERE "ContactID" > ? ORDER BY "ContactID" LIMIT ?')
    assert sqlserver.contacts_after.endswith(
        "WHERE [ContactID] > ? ORDER BY [ContactID] OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY"
    )
    assert sqlserver.changed_ids.count("CAST(? AS binary(8))") == 8  # since and upper, 4 tables
    assert sqlite.changed_ids.count("?") == 13  # since, upper, after per table; limit
    assert sqlite.contacts_in(3).count("?") == 3
    assert "MIN_ACTIVE_ROWVERSION" in sqlserver.watermark
    assert '"RowVersionCounter"' in sqlite.watermark


def _row(**overrides: Any) -> tuple[Any, ...]:
    values: dict[str, Any] = {column: None for column, _, _ in CONTACT_COLUMNS}
    values.update(ContactID=5, ContactType="O", IsContact=False, IsArchived=True)
    values.update(overrides)
    return tuple(values[column] for column, _, _ in CONTACT_COLUMNS)


LOOKUPS = Lookups(
    employees=[Employee(1, "JS", None, None, None, True), Employee(2, None, "A", "B", None, False)],
    extra_fields={1: ("ZED", "Text"), 2: ("ABN", "Text")},
)


def test_driver_value_types_become_document_values() -> None:
    """What pyodbc hands back (bool, date, datetime, Decimal) maps like SQLite's text."""
    row = _row(
        DateOfBirth=date(1970, 1, 2),
        CreatedAt=datetime(2024, 5, 1, 9, 30),
        ModifiedAt=datetime(2024, 5, 1, 9, 30, 0, 250000),
        PartnerID=1,
        ManagerID=2,
        Phone=61290000000,
    )
    addresses = group_addresses([(5, "Home", "1 St", None, None, "X", "NSW", 2000, "AU", True)])
    extras = group_extra_fields([(5, 1, "z"), (5, 2, Decimal("6"))], LOOKUPS.extra_fields)
    relationships = group_relationships([(5, "is spouse of", 9, date(2001, 1, 1), None)])
    [doc] = assemble_documents([row], LOOKUPS, addresses, extras, relationships)
    assert document_problems(doc) == []
    assert doc["type"] == "organisation"
    assert (doc["is_contact"], doc["archived"]) == (False, True)
    assert doc["date_of_birth"] == "1970-01-02"
    assert doc["created_at"] == "2024-05-01T09:30:00"
    assert doc["modified_at"] == "2024-05-01T09:30:00.250000"
    assert doc["partner"] == {"code": "JS", "name": None}
    assert doc["manager"] == {"code": None, "name": "A B"}
    assert doc["phone"] == "61290000000"
    assert doc["addresses"][0]["postcode"] == "2000"
    assert doc["addresses"][0]["primary"] is True
    assert [item["name"] for item in doc["extra_fields"]] == ["ABN", "ZED"]
    assert doc["extra_fields"][0]["value"] == "6"
    assert doc["relationships"] == [
        {"kind": "is spouse of", "related_id": "9", "start": "2001-01-01", "end": None}
    ]


def test_unknown_extra_field_and_employee_do_not_crash() -> None:
    extras = group_extra_fields([(5, 99, "v"), (5, 2, "a")], LOOKUPS.extra_fields)
    [doc] = assemble_documents([_row(PartnerID=42)], LOOKUPS, {}, extras, {})
    assert doc["partner"] is None
    assert [item["name"] for item in doc["extra_fields"]] == ["ABN", None]
    assert document_problems(doc) == []


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2024-05-01 09:30:00", "2024-05-01T09:30:00"),
        ("2024-05-01T09:30", "2024-05-01T09:30:00"),
        ("2024-05-01 09:30:00.5", "2024-05-01T09:30:00.500000"),
        ("2024-05-01T09:30:00+10:00", "2024-05-01T09:30:00+10:00"),
        ("2024-02-30 00:00:00", "2024-02-30 00:00:00"),
        ("last Tuesday", "last Tuesday"),
        ("", ""),
        (None, None),
    ],
)
def test_datetime_text(stored: str | None, expected: str | None) -> None:
    assert as_datetime(stored) == expected


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("1980-02-29", "1980-02-29"),
        ("1981-02-29", "1981-02-29"),
        ("1980-01-01 00:00:00", "1980-01-01 00:00:00"),
        (" 1980-01-01", " 1980-01-01"),
        (datetime(1980, 1, 1), "1980-01-01"),
    ],
)
def test_date_text(stored: object, expected: str) -> None:
    assert as_date(stored) == expected


def test_flag_and_text_conversions() -> None:
    assert as_flag(None) is None
    assert as_flag(0) is False
    assert as_flag(1) is True
    assert as_flag(True) is True
    assert as_flag(Decimal("0")) is False
    assert as_flag("Y") == "Y"
    assert as_text(b"caf\xc3\xa9") == "café"
    assert as_text(memoryview(b"\xff")) == "\udcff"
    assert employee_name(None, None) is None
    assert employee_name("", "Smith") == " Smith"
    assert employee_name(None, "Smith") == "Smith"


def test_schema_files_split_into_statements() -> None:
    sqlite = schema_sections(Dialect.SQLITE)
    assert len(sqlite[SchemaSection.TABLES]) >= 10
    assert all(s.rstrip().endswith(";") for s in sqlite[SchemaSection.TRIGGERS])
    assert len(trigger_names(sqlite[SchemaSection.TRIGGERS])) == 11

    postgresql = schema_sections(Dialect.POSTGRESQL)
    functions = [s for s in postgresql[SchemaSection.TRIGGERS] if "CREATE FUNCTION" in s]
    assert len(functions) == 2
    assert all(body.count("$$") == 2 and body.endswith("$$;") for body in functions)

    sqlserver = schema_sections(Dialect.SQLSERVER)
    assert all("\nGO" not in batch for batch in sqlserver[SchemaSection.TABLES])
    assert sqlserver[SchemaSection.TRIGGERS][0].startswith("-- Deleting a contact")


def test_split_ignores_comment_only_chunks() -> None:
    assert split_statements("-- nothing\n\n", Dialect.SQLITE) == []
    assert split_statements("SELECT 1;\n-- tail\n", Dialect.POSTGRESQL) == ["SELECT 1;"]
    assert split_statements("SELECT 1\nGO\n\nGO\nSELECT 2", Dialect.SQLSERVER) == [
        "SELECT 1",
        "SELECT 2",
    ]
