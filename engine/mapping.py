"""From practice-database tables to contact documents, in one place.

The logical schema (the reference tables and columns) is fixed here; a mapping file
(TOML, default ``resources/mapping/reference.toml``) says which physical table and column
hold each logical one, so a database whose names differ can be read without code
changes. This module builds the SELECT statements (identifiers quoted per dialect, values
always parameters) and assembles documents from plain row tuples, so any DB-API cursor
can be used: a source only supplies the connection, the transaction and the dialect.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, Protocol

from engine.document import ContactType, Document
from engine.errors import SchemaError, SettingsError
from engine.resources import resource_path
from engine.sources.base import Employee, Page

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

#: Tables whose rows carry a RowVer and belong to a contact's document.
CHILD_TABLES: Final = (T.CONTACT_ADDRESS, T.CONTACT_EXTRA_FIELD, T.CONTACT_RELATIONSHIP)
VERSIONED_TABLES: Final = (T.CONTACT, *CHILD_TABLES)

_MAX_IDENTIFIER_LENGTH: Final = 128
#: Most ids read by one key-range query when read_documents gets a dense id list.
RANGE_CHUNK: Final = 2000


# --- the mapping file ------------------------------------------------------------------


@dataclass(frozen=True)
class TableName:
    name: str
    #: Database schema (e.g. "dbo") or None for the connection's default.
    schema: str | None = None


@dataclass(frozen=True)
class SchemaMapping:
    """Physical names for every logical table and column."""

    source: Path
    tables: dict[LogicalTable, TableName]
    columns: dict[LogicalTable, dict[str, str]]

    def table(self, table: LogicalTable) -> TableName:
        return self.tables[table]

    def column(self, table: LogicalTable, column: str) -> str:
        return self.columns[table][column]


def default_mapping_path() -> Path:
    return resource_path("mapping", "reference.toml")


def _settings_error(path: Path, key: str, problem: str) -> SettingsError:
    return SettingsError(
        f"The mapping file {path} is not valid: {key} {problem}.",
        "Correct it (see resources/mapping/reference.toml for the expected shape).",
    )


def _identifier(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise _settings_error(path, key, "must be a text value")
    if not value or len(value) > _MAX_IDENTIFIER_LENGTH:
        raise _settings_error(path, key, f"must be 1 to {_MAX_IDENTIFIER_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise _settings_error(path, key, "must not contain control characters")
    return value


def load_mapping(path: Path | None = None) -> SchemaMapping:
    """Read and validate a mapping file; SettingsError names the bad key and the file."""
    path = default_mapping_path() if path is None else path
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(
            f"The mapping file {path} does not exist.",
            "Check the path, or leave the mapping setting empty to use the reference one.",
        ) from None
    except OSError as error:
        raise SettingsError(
            f"The mapping file {path} can't be read ({error.strerror or error}).",
            "Check that it exists and that you may read it.",
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(
            f"The mapping file {path} is not valid TOML: {error}.",
            "Correct the file (see resources/mapping/reference.toml).",
        ) from None
    return parse_mapping(data, path)


def parse_mapping(data: dict[str, Any], path: Path) -> SchemaMapping:
    """Validate already-parsed mapping data; ``path`` is named in error messages."""
    unknown = sorted(set(data) - {"format", "tables"})
    if unknown:
        raise _settings_error(path, unknown[0], "is not a known key (expected format, tables)")
    if data.get("format") != MAPPING_FORMAT:
        raise _settings_error(path, "format", f"must be {MAPPING_FORMAT}")
    tables_data = data.get("tables", {})
    if not isinstance(tables_data, dict):
        raise _settings_error(path, "tables", "must be a table of [tables.<Name>] sections")
    known_tables = {table.value for table in LogicalTable}
    for name in tables_data:
        if name not in known_tables:
            raise _settings_error(
                path, f"tables.{name}", f"is not a known table ({', '.join(sorted(known_tables))})"
            )

    tables: dict[LogicalTable, TableName] = {}
    columns: dict[LogicalTable, dict[str, str]] = {}
    for logical in LogicalTable:
        prefix = f"tables.{logical.value}"
        section = tables_data.get(logical.value, {})
        if not isinstance(section, dict):
            raise _settings_error(path, prefix, "must be a [section]")
        bad = sorted(set(section) - {"name", "schema", "columns"})
        if bad:
            raise _settings_error(
                path, f"{prefix}.{bad[0]}", "is not a known key (expected name, schema, columns)"
            )
        name = _identifier(path, f"{prefix}.name", section.get("name", logical.value))
        schema_value = section.get("schema")
        schema = (
            None if schema_value is None else _identifier(path, f"{prefix}.schema", schema_value)
        )
        tables[logical] = TableName(name=name, schema=schema)

        column_data = section.get("columns", {})
        if not isinstance(column_data, dict):
            raise _settings_error(path, f"{prefix}.columns", "must be a [section]")
        logical_columns = LOGICAL_COLUMNS[logical]
        for column in column_data:
            if column not in logical_columns:
                raise _settings_error(
                    path,
                    f"{prefix}.columns.{column}",
                    f"is not a column of {logical.value} ({', '.join(logical_columns)})",
                )
        physical: dict[str, str] = {}
        seen: dict[str, str] = {}
        for column in logical_columns:
            key = f"{prefix}.columns.{column}"
            value = _identifier(path, key, column_data.get(column, column))
            folded = value.casefold()
            if folded in seen:
                raise _settings_error(
                    path, key, f"names the same column as {prefix}.columns.{seen[folded]}"
                )
            seen[folded] = column
            physical[column] = value
        columns[logical] = physical
    return SchemaMapping(source=path, tables=tables, columns=columns)


# --- dialects --------------------------------------------------------------------------


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"
    SQLSERVER = "sqlserver"


@dataclass(frozen=True)
class SqlDialect:
    """The few ways the SQL differs per database; everything else is shared."""

    dialect: Dialect
    open_quote: str
    close_quote: str
    #: Appended after ORDER BY to take the first ``?`` rows.
    limit_clause: str
    #: How a row-version parameter is written in a comparison with RowVer.
    version_parameter: str
    #: Whether quoted identifiers must match case exactly (PostgreSQL).
    case_sensitive_identifiers: bool
    #: Most ids bound into one IN (...) list (below every driver's parameter limit).
    max_in_list: int
    placeholder: str = "?"

    def quote(self, identifier: str) -> str:
        escaped = identifier.replace(self.close_quote, self.close_quote * 2)
        return f"{self.open_quote}{escaped}{self.close_quote}"

    def table(self, name: TableName) -> str:
        quoted = self.quote(name.name)
        return quoted if name.schema is None else f"{self.quote(name.schema)}.{quoted}"

    def watermark_sql(self, mapping: SchemaMapping) -> str:
        """Highest row version below which every write is committed."""
        if self.dialect is Dialect.SQLITE:
            # SQLite serialises writers: the counter read in a transaction is committed.
            counter = mapping.table(T.ROW_VERSION_COUNTER)
            value = self.quote(mapping.column(T.ROW_VERSION_COUNTER, "Value"))
            return f"SELECT MAX({value}) FROM {self.table(counter)}"
        if self.dialect is Dialect.SQLSERVER:
            return "SELECT CAST(MIN_ACTIVE_ROWVERSION() AS bigint) - 1"
        # PostgreSQL: RowVer is the writing transaction's id (see its schema.sql); every
        # transaction with an id below the snapshot's xmin has ended, so xmin - 1 is safe.
        return "SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint) - 1"


SQL_DIALECTS: Final[dict[Dialect, SqlDialect]] = {
    Dialect.SQLITE: SqlDialect(
        dialect=Dialect.SQLITE,
        open_quote='"',
        close_quote='"',
        limit_clause="LIMIT ?",
        version_parameter="?",
        case_sensitive_identifiers=False,
        max_in_list=500,
    ),
    Dialect.POSTGRESQL: SqlDialect(
        dialect=Dialect.POSTGRESQL,
        open_quote='"',
        close_quote='"',
        limit_clause="OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY",
        version_parameter="?",
        case_sensitive_identifiers=True,
        max_in_list=500,
    ),
    Dialect.SQLSERVER: SqlDialect(
        dialect=Dialect.SQLSERVER,
        open_quote="[",
        close_quote="]",
        limit_clause="OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY",
        version_parameter="CAST(? AS binary(8))",
        case_sensitive_identifiers=False,
        max_in_list=500,
    ),
}


# --- queries ---------------------------------------------------------------------------


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

    def _columns(self, table: LogicalTable, columns: Iterable[str]) -> str:
        return ", ".join(self._c(table, column) for column in columns)

    # Contacts and their children. Each child query selects ContactID first.

    def _contact_select(self) -> str:
        columns = self._columns(T.CONTACT, (column for column, _, _ in CONTACT_COLUMNS))
        return f"SELECT {columns} FROM {self._t(T.CONTACT)}"

    def _child_select(self, table: LogicalTable) -> tuple[str, str]:
        """(SELECT ... FROM child, ORDER BY ...) for one child table."""
        if table is T.CONTACT_ADDRESS:
            columns = (CONTACT_ID, *(column for column, _, _ in ADDRESS_COLUMNS))
            order = (CONTACT_ID, "AddressID")
        elif table is T.CONTACT_EXTRA_FIELD:
            columns = (CONTACT_ID, "FieldID", "Value")
            order = (CONTACT_ID, "FieldID")
        else:
            columns = (CONTACT_ID, "Kind", "RelatedContactID", "StartDate", "EndDate")
            order = (CONTACT_ID, "RelationshipID")
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
        """Params: (since, after_id) for each versioned table, then limit."""
        parts = []
        for table in VERSIONED_TABLES:
            cid = self._c(table, CONTACT_ID)
            parts.append(
                f"SELECT {cid} AS {self.sql.quote('ChangedID')} FROM {self._t(table)}"
                f" WHERE {self._c(table, ROW_VER)} > {self.sql.version_parameter} AND {cid} > ?"
            )
        changed = self.sql.quote("ChangedID")
        return f"{' UNION '.join(parts)} ORDER BY {changed} {self.sql.limit_clause}"

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


def required_tables(dialect: Dialect) -> tuple[LogicalTable, ...]:
    """The logical tables a database of this kind must have."""
    if dialect is Dialect.SQLITE:
        return tuple(LogicalTable)
    return tuple(table for table in LogicalTable if table is not T.ROW_VERSION_COUNTER)


# --- values ----------------------------------------------------------------------------


def as_text(value: object) -> Any:
    """A stored value as document text; str (the usual case) is carried exactly.

    Bytes decode with ``surrogateescape`` so nothing is lost and JSON encoding can't
    fail; numbers (a text column of another type in a mapped schema) become their text.
    """
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "surrogateescape")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def as_flag(value: object) -> Any:
    """bit → bool; anything that isn't a number is kept so validation can reject it."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, Decimal):
        return value != 0
    return as_text(value)


def as_date(value: object) -> Any:
    """ISO ``YYYY-MM-DD`` for a valid date; any other stored text exactly as it is."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if value.__class__ is str:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return as_text(value)


def as_datetime(value: object) -> Any:
    """ISO 8601 with a 'T' for a valid date-time; any other stored text exactly."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    if value.__class__ is str:
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return as_text(value)


def as_id(value: object) -> Any:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return as_text(value)


_CONTACT_TYPES: Final = {"P": ContactType.PERSON.value, "O": ContactType.ORGANISATION.value}


def as_contact_type(value: object) -> Any:
    """P/O → person/organisation; any other value is kept so validation rejects it."""
    mapped = _CONTACT_TYPES.get(value) if value.__class__ is str else None
    return as_text(value) if mapped is None else mapped


def employee_name(first: object, last: object) -> str | None:
    parts = [as_text(part) for part in (first, last) if part is not None]
    return " ".join(parts) if parts else None


def _row_employee(row: Sequence[Any]) -> Employee:
    flag = as_flag(row[5])
    return Employee(
        employee_id=int(row[0]),
        code=as_text(row[1]),
        first_name=as_text(row[2]),
        last_name=as_text(row[3]),
        email=as_text(row[4]),
        is_active=flag is True,
    )


# --- assembly --------------------------------------------------------------------------
#
# The hot path: 100,000 contacts must become documents in a couple of seconds, so the
# common case (text is str, bits are ints, dates are ISO text) is handled inline and the
# general converters above only run for anything unusual.

_NoneType: Final = type(None)
_TEXT_TYPES: Final = frozenset((str, _NoneType))
_CONTACT_KEYS: Final = tuple(key for _, key, _ in CONTACT_COLUMNS)


def _index(key: str, kind: ValueKind) -> int:
    """Position of a document key in the contact SELECT (checked against its kind)."""
    for index, (_, each_key, each_kind) in enumerate(CONTACT_COLUMNS):
        if each_key == key:
            assert each_kind is kind, f"{key} is {each_kind}, not {kind}"
            return index
    raise AssertionError(f"{key} is not selected")


_TEXT_POSITIONS: Final = tuple(
    (index, key) for index, (_, key, kind) in enumerate(CONTACT_COLUMNS) if kind is ValueKind.TEXT
)
_TEXT_GETTER: Final = itemgetter(*(index for index, _ in _TEXT_POSITIONS))
_I_ID: Final = _index("id", ValueKind.ID)
_I_TYPE: Final = _index("type", ValueKind.CONTACT_TYPE)
_I_IS_CONTACT: Final = _index("is_contact", ValueKind.FLAG)
_I_ARCHIVED: Final = _index("archived", ValueKind.FLAG)
_I_DATE_OF_BIRTH: Final = _index("date_of_birth", ValueKind.DATE)
_I_CREATED_AT: Final = _index("created_at", ValueKind.DATETIME)
_I_MODIFIED_AT: Final = _index("modified_at", ValueKind.DATETIME)
_I_PARTNER: Final = _index("partner", ValueKind.EMPLOYEE)
_I_MANAGER: Final = _index("manager", ValueKind.EMPLOYEE)
#: assemble_documents handles every non-text column by its index above.
assert _I_ID == 0 and len(_TEXT_POSITIONS) + 9 == len(CONTACT_COLUMNS)

_ADDRESS_KEYS: Final = tuple(key for _, key, _ in ADDRESS_COLUMNS)
_ADDRESS_TEXT: Final = itemgetter(*range(1, len(ADDRESS_COLUMNS)))  # all but the flag
_ADDRESS_FLAG_INDEX: Final = len(ADDRESS_COLUMNS)
_ADDRESS_FLAG_KEY: Final = ADDRESS_COLUMNS[-1][1]


@dataclass(frozen=True)
class Lookups:
    """The small tables documents embed, read once per transaction."""

    employees: list[Employee]
    #: FieldID → (Name, DataType) of every extra-field definition.
    extra_fields: dict[Any, tuple[Any, Any]]

    def employee_refs(self) -> dict[Any, tuple[Any, Any]]:
        return {
            e.employee_id: (e.code, employee_name(e.first_name, e.last_name))
            for e in self.employees
        }


def _append(grouped: dict[Any, list[dict[str, Any]]], contact: Any, item: dict[str, Any]) -> None:
    items = grouped.get(contact)
    if items is None:
        grouped[contact] = [item]
    else:
        items.append(item)


def group_addresses(rows: Iterable[Sequence[Any]]) -> dict[Any, list[dict[str, Any]]]:
    """Rows (ContactID, ADDRESS_COLUMNS...) grouped by contact, in row order."""
    grouped: dict[Any, list[dict[str, Any]]] = {}
    keys = _ADDRESS_KEYS
    text_of = _ADDRESS_TEXT
    all_text = _TEXT_TYPES.issuperset
    flag_index = _ADDRESS_FLAG_INDEX
    flag_key = _ADDRESS_FLAG_KEY
    for row in rows:
        item = dict(zip(keys, row[1:], strict=True))
        if not all_text(map(type, text_of(row))):
            for key, value in zip(keys, text_of(row), strict=False):
                item[key] = as_text(value)
        flag = row[flag_index]
        item[flag_key] = (flag != 0) if flag.__class__ is int else as_flag(flag)
        _append(grouped, row[0], item)
    return grouped


_NAME: Final = itemgetter("name")


def _extra_sort_key(item: dict[str, Any]) -> tuple[bool, str]:
    """Sort key when some name isn't text (a definition missing or odd): those last."""
    name = item["name"]
    return (name is None, name if isinstance(name, str) else "")


def group_extra_fields(
    rows: Iterable[Sequence[Any]], definitions: dict[Any, tuple[Any, Any]]
) -> dict[Any, list[dict[str, Any]]]:
    """Rows (ContactID, FieldID, Value) grouped by contact, each list in field-name order
    (code-point order: the same on every database whatever its collation)."""
    grouped: dict[Any, list[dict[str, Any]]] = {}
    unknown = (None, None)
    names_are_text = all(name.__class__ is str for name, _ in definitions.values())
    for contact, field_id, value in rows:
        definition = definitions.get(field_id)
        if definition is None:
            definition = unknown
            names_are_text = False
        if value is not None and value.__class__ is not str:
            value = as_text(value)
        item = {"name": definition[0], "type": definition[1], "value": value}
        items = grouped.get(contact)
        if items is None:
            grouped[contact] = [item]
        else:
            items.append(item)
    sort_key = _NAME if names_are_text else _extra_sort_key
    for items in grouped.values():
        if len(items) > 1:
            items.sort(key=sort_key)
    return grouped


def group_relationships(rows: Iterable[Sequence[Any]]) -> dict[Any, list[dict[str, Any]]]:
    """Rows (ContactID, Kind, RelatedContactID, StartDate, EndDate) grouped by contact."""
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for contact, kind, related, start, end in rows:
        item = {
            "kind": as_text(kind),
            "related_id": as_id(related),
            "start": as_date(start),
            "end": as_date(end),
        }
        _append(grouped, contact, item)
    return grouped


def assemble_documents(
    contact_rows: Iterable[Sequence[Any]],
    lookups: Lookups,
    addresses: dict[Any, list[dict[str, Any]]],
    extra_fields: dict[Any, list[dict[str, Any]]],
    relationships: dict[Any, list[dict[str, Any]]],
) -> list[Document]:
    """Contact rows (selected in CONTACT_COLUMNS order) plus grouped children → documents.

    Unrolled on purpose (it runs once per contact): the common case costs a dict build,
    one type check over the text columns and the date parses.
    """
    employees = lookups.employee_refs()
    documents: list[Document] = []
    append = documents.append
    keys = _CONTACT_KEYS
    text_of = _TEXT_GETTER
    all_text = _TEXT_TYPES.issuperset
    contact_types = _CONTACT_TYPES
    parse_date = date.fromisoformat
    parse_datetime = datetime.fromisoformat
    get_addresses = addresses.get
    get_extra_fields = extra_fields.get
    get_relationships = relationships.get
    for row in contact_rows:
        doc = dict(zip(keys, row, strict=True))
        if not all_text(map(type, text_of(row))):
            for index, key in _TEXT_POSITIONS:
                doc[key] = as_text(row[index])
        contact = row[0]
        doc["id"] = str(contact) if contact.__class__ is int else as_id(contact)
        value = row[_I_TYPE]
        mapped = contact_types.get(value) if value.__class__ is str else None
        doc["type"] = as_contact_type(value) if mapped is None else mapped
        value = row[_I_IS_CONTACT]
        doc["is_contact"] = (value != 0) if value.__class__ is int else as_flag(value)
        value = row[_I_ARCHIVED]
        doc["archived"] = (value != 0) if value.__class__ is int else as_flag(value)
        value = row[_I_DATE_OF_BIRTH]
        if value.__class__ is str:
            try:  # noqa: SIM105 - suppress() costs a context manager per row
                doc["date_of_birth"] = parse_date(value).isoformat()
            except ValueError:
                pass  # not a date: carried exactly as stored
        elif value is not None:
            doc["date_of_birth"] = as_date(value)
        value = row[_I_CREATED_AT]
        if value.__class__ is str:
            try:  # noqa: SIM105
                doc["created_at"] = parse_datetime(value).isoformat()
            except ValueError:
                pass  # not a date-time: carried exactly as stored
        elif value is not None:
            doc["created_at"] = as_datetime(value)
        value = row[_I_MODIFIED_AT]
        if value.__class__ is str:
            try:  # noqa: SIM105
                doc["modified_at"] = parse_datetime(value).isoformat()
            except ValueError:
                pass  # carried exactly as stored
        elif value is not None:
            doc["modified_at"] = as_datetime(value)
        value = row[_I_PARTNER]
        if value is not None:
            ref = employees.get(value)
            doc["partner"] = None if ref is None else {"code": ref[0], "name": ref[1]}
        value = row[_I_MANAGER]
        if value is not None:
            ref = employees.get(value)
            doc["manager"] = None if ref is None else {"code": ref[0], "name": ref[1]}
        doc["addresses"] = get_addresses(contact) or []
        doc["extra_fields"] = get_extra_fields(contact) or []
        doc["relationships"] = get_relationships(contact) or []
        append(doc)
    return documents


# --- reading through any DB-API cursor -------------------------------------------------


def fetch_lookups(cursor: Cursor, queries: Queries) -> Lookups:
    cursor.execute(queries.employees)
    employees = [_row_employee(row) for row in cursor.fetchall()]
    cursor.execute(queries.extra_field_definitions)
    definitions = {row[0]: (as_text(row[1]), as_text(row[2])) for row in cursor.fetchall()}
    return Lookups(employees=employees, extra_fields=definitions)


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

    return assemble_documents(
        contact_rows,
        lookups,
        group_addresses(children(T.CONTACT_ADDRESS)),
        group_extra_fields(children(T.CONTACT_EXTRA_FIELD), lookups.extra_fields),
        group_relationships(children(T.CONTACT_RELATIONSHIP)),
    )


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

    return assemble_documents(
        contact_rows,
        lookups,
        group_addresses(children(T.CONTACT_ADDRESS)),
        group_extra_fields(children(T.CONTACT_EXTRA_FIELD), lookups.extra_fields),
        group_relationships(children(T.CONTACT_RELATIONSHIP)),
    )


def fetch_changed_ids(
    cursor: Cursor, queries: Queries, since: int, after_id: int, limit: int
) -> list[int]:
    if limit <= 0:
        return []
    params: list[int] = []
    for _ in VERSIONED_TABLES:
        params.extend((since, after_id))
    params.append(limit)
    cursor.execute(queries.changed_ids, params)
    return [int(row[0]) for row in cursor.fetchall()]


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


def missing_schema_parts(
    describe: Callable[[LogicalTable], list[str] | None],
    mapping: SchemaMapping,
    sql: SqlDialect,
) -> list[str]:
    """``Table`` or ``Table.Column`` (physical names) for everything the database lacks.

    ``describe`` returns a table's column names, or None when the table doesn't exist.
    """
    missing: list[str] = []

    def fold(name: str) -> str:
        return name if sql.case_sensitive_identifiers else name.casefold()

    for table in required_tables(sql.dialect):
        table_name = mapping.table(table)
        label = (
            table_name.name
            if table_name.schema is None
            else f"{table_name.schema}.{table_name.name}"
        )
        columns = describe(table)
        if columns is None:
            missing.append(label)
            continue
        present = {fold(column) for column in columns}
        for logical in LOGICAL_COLUMNS[table]:
            physical = mapping.column(table, logical)
            if fold(physical) not in present:
                missing.append(f"{label}.{physical}")
    return missing


def schema_error(missing: Sequence[str], mapping: SchemaMapping, where: str) -> SchemaError:
    return SchemaError(
        f"The database {where} does not match the mapping file {mapping.source}: "
        f"missing {', '.join(missing)}.",
        "Point the mapping file at the right table and column names, or choose the "
        "practice's database.",
    )


def employees_from_rows(rows: Iterable[Sequence[Any]]) -> list[Employee]:
    return [_row_employee(row) for row in rows]
