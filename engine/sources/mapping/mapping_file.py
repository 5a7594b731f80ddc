"""The mapping file (TOML): which physical table and column hold each logical one.

The default is ``resources/mapping/reference.toml``; a database whose names differ is
read with another file and no code change. Every problem names the file and the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

from engine.errors import SettingsError
from engine.local.resources import resource_path
from engine.sources.mapping.schema import (
    LOGICAL_COLUMNS,
    MAPPING_FORMAT,
    MAY_BE_OPTIONAL,
    LogicalTable,
    SchemaMapping,
    TableName,
)

_MAX_IDENTIFIER_LENGTH: Final = 128


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
    optional: dict[LogicalTable, frozenset[str]] = {}
    for logical in LogicalTable:
        prefix = f"tables.{logical.value}"
        section = tables_data.get(logical.value, {})
        if not isinstance(section, dict):
            raise _settings_error(path, prefix, "must be a [section]")
        bad = sorted(set(section) - {"name", "schema", "columns", "optional"})
        if bad:
            raise _settings_error(
                path,
                f"{prefix}.{bad[0]}",
                "is not a known key (expected name, schema, columns, optional)",
            )
        optional[logical] = _optional_columns(path, logical, section.get("optional", []))
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
    return SchemaMapping(
        source=path,
        tables=tables,
        columns=columns,
        optional={table: names for table, names in optional.items() if names},
    )


def _optional_columns(path: Path, table: LogicalTable, value: object) -> frozenset[str]:
    """``optional = ["Website", ...]``: logical columns a database may lack (read as
    empty, named in the status) instead of stopping the sync."""
    key = f"tables.{table.value}.optional"
    if not isinstance(value, list) or not all(isinstance(each, str) for each in value):
        raise _settings_error(path, key, 'must be a list of column names, e.g. ["Website"]')
    allowed = MAY_BE_OPTIONAL.get(table, frozenset())
    for column in value:
        if column not in LOGICAL_COLUMNS[table]:
            raise _settings_error(
                path, key, f"names {column}, which is not a column of {table.value}"
            )
        if column not in allowed:
            raise _settings_error(
                path,
                key,
                f"names {column}, which the program needs (a key, a row version or what "
                "the checks read); it can't be optional",
            )
    return frozenset(value)
