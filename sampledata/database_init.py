"""``init-db``: create a reference practice database filled with generated contacts.

A SQLite file is generated directly (sampledata/generator.py). Any other database is
reached through ODBC: the same data is generated into a temporary SQLite file, the
bundled schema.sql tables are created, the rows are copied with the dialect's bulk
insert, and the triggers are created last, all in one transaction where the database
allows DDL in one (PostgreSQL does; SQL Server creates it batch by batch).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from engine.errors import UserFacingError
from engine.local.source_url import SourceKind, SourceUrl
from engine.sources.dialects.sql import Dialect
from engine.sources.mapping.schema import ROW_VER, LogicalTable
from sampledata.ddl import SchemaSection, execute_statements, schema_sections
from sampledata.generator import GenerationSummary
from sampledata.sqlite_file import generate_reference_database

#: Files SQLite keeps beside a database, removed with it when replacing it.
SQLITE_SIDE_FILES: Final = ("-wal", "-shm", "-journal")
#: The table whose presence means "this database already holds a practice".
MARKER_TABLE: Final = LogicalTable.CONTACT.value


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


def _read_generated(path: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    connection = sqlite3.connect(path)
    try:
        cursor = connection.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # a known name
        columns = [str(column[0]) for column in cursor.description]
        return columns, cursor.fetchall()
    finally:
        connection.close()


def init_odbc_database(
    connection_string: str, *, contacts: int = 1000, seed: int = 1, force: bool = False
) -> GenerationSummary:
    """The reference schema and generated data in the database a connection string
    names (PostgreSQL, SQL Server; a SQLite ODBC string creates the file directly)."""
    import pyodbc

    from engine.sources.dialects.sqlite_odbc import database_path
    from engine.sources.odbc import open_connection
    from engine.sources.odbc_connect import ConnectionString, translate_error
    from sampledata.loaders import LOAD_ORDER, loader_for

    if contacts < 0:
        raise UserFacingError("The number of contacts can't be negative.", "Give 0 or more.")
    started = time.perf_counter()
    parsed = ConnectionString.parse(connection_string)
    connection, dialect, used = open_connection(parsed, query_timeout=0)
    if dialect.kind is Dialect.SQLITE:
        connection.close()
        return init_sqlite_database(database_path(used), contacts=contacts, seed=seed, force=force)
    loader = loader_for(dialect)
    where = used.where()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(f"SELECT COUNT(*) FROM {dialect.quote(MARKER_TABLE)}")
            cursor.fetchall()
            exists = True
        except pyodbc.Error:
            exists = False
        connection.rollback()
        if exists and not force:
            raise UserFacingError(
                f"The database {where} already has a {MARKER_TABLE} table.",
                "Choose an empty database, or pass --force to replace the reference "
                "tables (their contents are lost).",
            )
        with tempfile.TemporaryDirectory(prefix="contacts-migration-") as folder:
            generated = Path(folder) / "generated.db"
            summary = generate_reference_database(generated, contacts=contacts, seed=seed)
            if exists:
                loader.drop_reference_schema(cursor)
            sections = schema_sections(dialect.kind)
            execute_statements(connection, sections[SchemaSection.TABLES])
            version = loader.load_version(cursor)
            for logical in LOAD_ORDER:
                table = logical.value
                columns, rows = _read_generated(generated, table)
                if ROW_VER in columns:
                    position = columns.index(ROW_VER)
                    if not loader.loads_row_versions:
                        columns.pop(position)
                        rows = [row[:position] + row[position + 1 :] for row in rows]
                    elif version is not None:
                        rows = [(*row[:position], version, *row[position + 1 :]) for row in rows]
                loader.before_load(cursor, table)
                loader.bulk_insert(cursor, table, columns, rows)
                loader.after_load(cursor, table)
        execute_statements(connection, sections[SchemaSection.TRIGGERS])
        connection.commit()
        cursor.close()
    except pyodbc.Error as error:
        with suppress(pyodbc.Error):
            connection.rollback()
        raise translate_error(error, used) from None
    except BaseException:
        with suppress(pyodbc.Error):
            connection.rollback()
        raise
    finally:
        with suppress(pyodbc.Error):
            connection.close()
    return replace(
        summary,
        last_row_version=version if version is not None else summary.last_row_version,
        seconds=time.perf_counter() - started,
    )


def init_database(
    url: SourceUrl, *, contacts: int = 1000, seed: int = 1, force: bool = False
) -> GenerationSummary:
    """Create the database ``url`` points at, with ``contacts`` generated contacts."""
    if url.kind is SourceKind.SQLITE:
        return init_sqlite_database(url.sqlite_path, contacts=contacts, seed=seed, force=force)
    return init_odbc_database(url.target, contacts=contacts, seed=seed, force=force)
