"""Loading the bundled schema.sql files through any DB-API connection.

Each file stays runnable by its database's own tool (sqlite3, psql, sqlcmd); splitting
it into single statements is the only dialect-specific part, so creating a schema
needs nothing but a connection and the dialect's name. A ``-- @section NAME`` line
starts a named part of a file (the tables, then the triggers), so a bulk load can
create the triggers after the data.
"""

from __future__ import annotations

import re
import sqlite3
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Protocol

from engine.local.resources import resource_path
from engine.sources.dialects.sql import Dialect

SCHEMA_FILE: Final = "schema.sql"
_SECTION = re.compile(r"^--\s*@section\s+(\w+)\s*$")
_GO = re.compile(r"^\s*GO\s*$", re.IGNORECASE)
_TRIGGER_NAME = re.compile(
    r"CREATE\s+(?:OR\s+ALTER\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w\[\]\".]+)",
    re.IGNORECASE,
)


class SchemaSection(StrEnum):
    TABLES = "tables"
    TRIGGERS = "triggers"


class DbApiConnection(Protocol):
    def cursor(self) -> Any: ...


def schema_path(dialect: Dialect) -> Path:
    return resource_path("sql", dialect.value, SCHEMA_FILE)


def _is_blank(text: str) -> bool:
    """True when a chunk holds nothing but whitespace and ``--`` comments."""
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


def _split_sqlite(text: str) -> list[str]:
    statements: list[str] = []
    buffer: list[str] = []
    for line in text.splitlines(keepends=True):
        if not buffer and _is_blank(line):
            continue
        buffer.append(line)
        candidate = "".join(buffer)
        if candidate.rstrip().endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate.strip())
            buffer = []
    if buffer and not _is_blank("".join(buffer)):
        statements.append("".join(buffer).strip())
    return statements


def _split_postgresql(text: str) -> list[str]:
    """Statements end with ``;`` at a line end, except inside ``$$`` function bodies."""
    statements: list[str] = []
    buffer: list[str] = []
    in_body = False
    for line in text.splitlines(keepends=True):
        if not buffer and _is_blank(line):
            continue
        buffer.append(line)
        if line.count("$$") % 2 == 1:
            in_body = not in_body
        if not in_body and line.rstrip().endswith(";"):
            statements.append("".join(buffer).strip())
            buffer = []
    if buffer and not _is_blank("".join(buffer)):
        statements.append("".join(buffer).strip())
    return statements


def _split_sqlserver(text: str) -> list[str]:
    """Batches separated by ``GO`` lines, as sqlcmd and SSMS read them."""
    batches: list[str] = []
    buffer: list[str] = []
    for line in text.splitlines(keepends=True):
        if _GO.match(line):
            batch = "".join(buffer)
            if not _is_blank(batch):
                batches.append(batch.strip())
            buffer = []
        else:
            buffer.append(line)
    batch = "".join(buffer)
    if not _is_blank(batch):
        batches.append(batch.strip())
    return batches


_SPLITTERS: Final = {
    Dialect.SQLITE: _split_sqlite,
    Dialect.POSTGRESQL: _split_postgresql,
    Dialect.SQLSERVER: _split_sqlserver,
}


def split_statements(text: str, dialect: Dialect) -> list[str]:
    return _SPLITTERS[dialect](text)


def schema_sections(dialect: Dialect, text: str | None = None) -> dict[SchemaSection, list[str]]:
    """Statements of each section of a schema file (the bundled one by default)."""
    if text is None:
        text = schema_path(dialect).read_text(encoding="utf-8")
    parts: dict[SchemaSection, list[str]] = {section: [] for section in SchemaSection}
    current = SchemaSection.TABLES
    chunk: list[str] = []
    for line in text.splitlines(keepends=True):
        match = _SECTION.match(line.strip())
        if match:
            parts[current].extend(split_statements("".join(chunk), dialect))
            current = SchemaSection(match.group(1))
            chunk = []
        else:
            chunk.append(line)
    parts[current].extend(split_statements("".join(chunk), dialect))
    return parts


def trigger_names(statements: list[str]) -> list[str]:
    """Names of the triggers these CREATE TRIGGER statements make (as written)."""
    names = []
    for statement in statements:
        match = _TRIGGER_NAME.search(statement)
        if match:
            names.append(match.group(1))
    return names


def execute_statements(connection: DbApiConnection, statements: list[str]) -> None:
    """Run statements in order; the caller owns the transaction."""
    cursor = connection.cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
    finally:
        cursor.close()
