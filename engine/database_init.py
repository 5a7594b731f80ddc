"""``init-db``: create a reference practice database filled with generated contacts.

Only SQLite files are created by this version. Creating the schema elsewhere needs
nothing but a DB-API connection and the dialect (see :func:`create_schema`), so
PostgreSQL and SQL Server through pyodbc only have to add the connection.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import Final

from engine.ddl import DbApiConnection, SchemaSection, execute_statements, schema_sections
from engine.errors import UserFacingError
from engine.generator import GenerationSummary, generate_reference_database
from engine.mapping import Dialect
from engine.source_url import SourceKind, SourceUrl

#: Files SQLite keeps beside a database, removed with it when replacing it.
SQLITE_SIDE_FILES: Final = ("-wal", "-shm", "-journal")


def create_schema(connection: DbApiConnection, dialect: Dialect) -> None:
    """Run the bundled schema.sql (tables, then triggers); the caller commits."""
    sections = schema_sections(dialect)
    execute_statements(connection, sections[SchemaSection.TABLES])
    execute_statements(connection, sections[SchemaSection.TRIGGERS])


def _has_content(path: Path) -> bool:
    """True when replacing ``path`` could lose someone's data."""
    if not path.exists():
        return False
    if path.is_dir():
        raise UserFacingError(
            f"{path} is a folder.", "Give the path of a database file to create instead."
        )
    if path.stat().st_size == 0:
        return False
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            count = connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return True  # not SQLite (or unreadable): certainly not ours to overwrite silently
    return bool(count)


def init_sqlite_database(
    path: Path, *, contacts: int = 1000, seed: int = 1, force: bool = False
) -> GenerationSummary:
    """Create ``path`` with the reference schema and generated data (WAL mode)."""
    if not force and _has_content(path):
        raise UserFacingError(
            f"{path} already exists and is not empty.",
            "Choose another path, or pass --force to replace it (its contents are lost).",
        )
    if path.exists():
        try:
            path.unlink()
            for suffix in SQLITE_SIDE_FILES:
                with suppress(FileNotFoundError):
                    os.remove(f"{path}{suffix}")
        except OSError as error:
            raise UserFacingError(
                f"Can't replace {path} ({error.strerror or error}).",
                "Close any program using it and check that you may write to its folder.",
            ) from error
    if not path.parent.is_dir():
        raise UserFacingError(
            f"The folder {path.parent} does not exist.", "Create it first or choose another path."
        )
    return generate_reference_database(path, contacts=contacts, seed=seed)


def init_database(
    url: SourceUrl, *, contacts: int = 1000, seed: int = 1, force: bool = False
) -> GenerationSummary:
    """Create the database ``url`` points at, with ``contacts`` generated contacts."""
    if url.kind is SourceKind.SQLITE:
        return init_sqlite_database(url.sqlite_path, contacts=contacts, seed=seed, force=force)
    raise UserFacingError(
        "Creating an ODBC database (SQL Server, PostgreSQL) is not supported by this version.",
        "Create a SQLite one with --source sqlite:PATH.",
    )
