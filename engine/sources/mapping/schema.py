"""The logical schema: the reference tables and columns every practice database maps to.

A mapping file (``mapping_file.py``) may rename each table and column; everything else
(queries, document assembly, schema checks) speaks these logical names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final

MAPPING_FORMAT: Final = 1


class LogicalTable(StrEnum):
    EMPLOYEE = "Employee"
    PRACTICE_SETTING = "PracticeSetting"
    ROW_VERSION_COUNTER = "RowVersionCounter"
    CONTACT = "Contact"
    CONTACT_ADDRESS = "ContactAddress"
    EXTRA_FIELD_DEFINITION = "ExtraFieldDefinition"
    CONTACT_EXTRA_FIELD = "ContactExtraField"
    CONTACT_RELATIONSHIP = "ContactRelationship"


T = LogicalTable

#: Column names shared by several tables.
CONTACT_ID: Final = "ContactID"
ROW_VER: Final = "RowVer"


class ValueKind(StrEnum):
    """How a stored value becomes a document value."""

    ID = "id"
    TEXT = "text"
    FLAG = "flag"
    DATE = "date"
    DATETIME = "datetime"
    CONTACT_TYPE = "contact_type"
    EMPLOYEE = "employee"


#: Contact columns in SELECT order: (logical column, document key, kind).
CONTACT_COLUMNS: Final[tuple[tuple[str, str, ValueKind], ...]] = (
    (CONTACT_ID, "id", ValueKind.ID),
    ("Code", "code", ValueKind.TEXT),
    ("ContactType", "type", ValueKind.CONTACT_TYPE),
    ("IsContact", "is_contact", ValueKind.FLAG),
    ("Title", "title", ValueKind.TEXT),
    ("FirstName", "first_name", ValueKind.TEXT),
    ("MiddleName", "middle_name", ValueKind.TEXT),
    ("LastName", "last_name", ValueKind.TEXT),
    ("Suffix", "suffix", ValueKind.TEXT),
    ("MainName", "main_name", ValueKind.TEXT),
    ("OrganisationType", "organisation_type", ValueKind.TEXT),
    ("Gender", "gender", ValueKind.TEXT),
    ("DateOfBirth", "date_of_birth", ValueKind.DATE),
    ("TaxFileNumber", "tax_file_number", ValueKind.TEXT),
    ("Salutation", "salutation", ValueKind.TEXT),
    ("Addressee", "addressee", ValueKind.TEXT),
    ("PartnerID", "partner", ValueKind.EMPLOYEE),
    ("ManagerID", "manager", ValueKind.EMPLOYEE),
    ("Office", "office", ValueKind.TEXT),
    ("Department", "department", ValueKind.TEXT),
    ("FamilyGroup", "family_group", ValueKind.TEXT),
    ("Phone", "phone", ValueKind.TEXT),
    ("Fax", "fax", ValueKind.TEXT),
    ("Mobile", "mobile", ValueKind.TEXT),
    ("Email", "email", ValueKind.TEXT),
    ("Website", "website", ValueKind.TEXT),
    ("Notes", "notes", ValueKind.TEXT),
    ("IsArchived", "archived", ValueKind.FLAG),
    ("CreatedAt", "created_at", ValueKind.DATETIME),
    ("ModifiedAt", "modified_at", ValueKind.DATETIME),
)

#: Address columns after ContactID in SELECT order: (logical column, key, kind).
ADDRESS_COLUMNS: Final[tuple[tuple[str, str, ValueKind], ...]] = (
    ("AddressType", "type", ValueKind.TEXT),
    ("Line1", "line1", ValueKind.TEXT),
    ("Line2", "line2", ValueKind.TEXT),
    ("Line3", "line3", ValueKind.TEXT),
    ("Suburb", "suburb", ValueKind.TEXT),
    ("State", "state", ValueKind.TEXT),
    ("Postcode", "postcode", ValueKind.TEXT),
    ("Country", "country", ValueKind.TEXT),
    ("IsPrimary", "primary", ValueKind.FLAG),
)

#: Every logical column of every logical table (the mapping file may rename each).
LOGICAL_COLUMNS: Final[dict[LogicalTable, tuple[str, ...]]] = {
    T.EMPLOYEE: ("EmployeeID", "Code", "FirstName", "LastName", "Email", "IsActive"),
    T.PRACTICE_SETTING: ("Name", "Value"),
    T.ROW_VERSION_COUNTER: ("Value",),
    T.CONTACT: (*(column for column, _, _ in CONTACT_COLUMNS), ROW_VER),
    T.CONTACT_ADDRESS: (
        "AddressID",
        CONTACT_ID,
        *(column for column, _, _ in ADDRESS_COLUMNS),
        ROW_VER,
    ),
    T.EXTRA_FIELD_DEFINITION: ("FieldID", "Name", "DataType"),
    T.CONTACT_EXTRA_FIELD: (CONTACT_ID, "FieldID", "Value", ROW_VER),
    T.CONTACT_RELATIONSHIP: (
        "RelationshipID",
        CONTACT_ID,
        "RelatedContactID",
        "Kind",
        "StartDate",
        "EndDate",
        ROW_VER,
    ),
}

#: The columns a mapping may mark ``optional``: plain data a contact can be without.
#: Keys, row versions, the contact type and what the login check reads stay required.
MAY_BE_OPTIONAL: Final[dict[LogicalTable, frozenset[str]]] = {
    T.CONTACT: frozenset(
        column for column, _, _ in CONTACT_COLUMNS if column not in {CONTACT_ID, "ContactType"}
    ),
    T.CONTACT_ADDRESS: frozenset(column for column, _, _ in ADDRESS_COLUMNS),
    T.CONTACT_RELATIONSHIP: frozenset({"StartDate", "EndDate"}),
    T.EMPLOYEE: frozenset({"Code", "FirstName", "LastName"}),
}

#: Tables whose rows carry a RowVer and belong to a contact's document.
CHILD_TABLES: Final = (T.CONTACT_ADDRESS, T.CONTACT_EXTRA_FIELD, T.CONTACT_RELATIONSHIP)
VERSIONED_TABLES: Final = (T.CONTACT, *CHILD_TABLES)


@dataclass(frozen=True)
class TableName:
    name: str
    #: Database schema (e.g. "dbo") or None for the connection's default.
    schema: str | None = None

    def label(self) -> str:
        """``schema.name`` (unquoted) for messages."""
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class SchemaMapping:
    """Physical names for every logical table and column, which columns the database
    may lack (``optional``), and which it was found to lack (``absent``: read as NULL)."""

    source: Path
    tables: dict[LogicalTable, TableName]
    columns: dict[LogicalTable, dict[str, str]]
    optional: dict[LogicalTable, frozenset[str]] = field(default_factory=dict)
    absent: dict[LogicalTable, frozenset[str]] = field(default_factory=dict)

    def is_optional(self, table: LogicalTable, column: str) -> bool:
        return column in self.optional.get(table, frozenset())

    def is_absent(self, table: LogicalTable, column: str) -> bool:
        return column in self.absent.get(table, frozenset())

    def table(self, table: LogicalTable) -> TableName:
        return self.tables[table]

    def column(self, table: LogicalTable, column: str) -> str:
        return self.columns[table][column]
