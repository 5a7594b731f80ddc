"""A generated practice as a SQLite file: the reference schema, then every row in one
transaction with the RowVer triggers created after the load."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Final

from engine.errors import SourceError, UserFacingError
from engine.sources.dialects.sql import Dialect
from engine.sources.mapping.schema import LOGICAL_COLUMNS, LogicalTable
from sampledata.ddl import SchemaSection, execute_statements, schema_sections, trigger_names
from sampledata.generator import GenerationSummary, RowBuilder
from sampledata.vocabulary import EXTRA_FIELDS


def _insert(table: LogicalTable) -> str:
    """The INSERT for one table, from the schema's one column list (the generator's rows
    are built in the same order, see ``sampledata.generator.table_row``)."""
    columns = LOGICAL_COLUMNS[table]
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table.value} ({', '.join(columns)}) VALUES ({marks})"


_INSERTS: Final = {table.value: _insert(table) for table in LogicalTable}


def populate(connection: sqlite3.Connection, *, contacts: int, seed: int) -> GenerationSummary:
    """Fill an empty reference-schema SQLite database in one transaction.

    The RowVer triggers are dropped for the load and created again before COMMIT (SQLite
    DDL is transactional), with every RowVer assigned here from one sequence and the
    counter left at the highest, exactly as the triggers would have done it.
    """
    if contacts < 0:
        raise UserFacingError("The number of contacts can't be negative.", "Give 0 or more.")
    started = time.perf_counter()
    rows = RowBuilder(seed, contacts).build()
    sections = schema_sections(Dialect.SQLITE)
    triggers = sections[SchemaSection.TRIGGERS]
    if connection.in_transaction:
        connection.commit()
    previous_isolation = connection.isolation_level
    connection.isolation_level = None
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        existing = cursor.execute("SELECT COUNT(*) FROM Contact").fetchone()[0]
        if existing:
            raise SourceError(
                "The database already has contacts; the generator only fills an empty one.",
                "Create a new database instead.",
            )
        for name in trigger_names(triggers):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.executemany(_INSERTS["Employee"], rows.employees)
        cursor.executemany(_INSERTS["PracticeSetting"], rows.settings)
        cursor.executemany(
            _INSERTS["ExtraFieldDefinition"], [(i, n, t.value) for i, n, t in EXTRA_FIELDS]
        )
        cursor.executemany(_INSERTS["Contact"], rows.contacts)
        cursor.executemany(_INSERTS["ContactAddress"], rows.addresses)
        cursor.executemany(_INSERTS["ContactExtraField"], rows.extra_fields)
        cursor.executemany(_INSERTS["ContactRelationship"], rows.relationships)
        cursor.execute(
            "UPDATE RowVersionCounter SET Value = ? WHERE Id = 1", (rows.last_row_version,)
        )
        execute_statements(connection, triggers)
        cursor.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()
        connection.isolation_level = previous_isolation
    return GenerationSummary(
        employees=len(rows.employees),
        contacts=len(rows.contacts),
        addresses=len(rows.addresses),
        extra_fields=len(rows.extra_fields),
        relationships=len(rows.relationships),
        last_row_version=rows.last_row_version,
        seconds=time.perf_counter() - started,
    )


def create_sqlite_schema(connection: sqlite3.Connection) -> None:
    """The whole reference schema (tables, then triggers) in one transaction."""
    sections = schema_sections(Dialect.SQLITE)
    previous_isolation = connection.isolation_level
    connection.isolation_level = None
    try:
        connection.execute("BEGIN")
        execute_statements(connection, sections[SchemaSection.TABLES])
        execute_statements(connection, sections[SchemaSection.TRIGGERS])
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.isolation_level = previous_isolation


def generate_reference_database(
    path: Path, *, contacts: int = 1000, seed: int = 1
) -> GenerationSummary:
    """Create a new SQLite database (WAL mode) with the reference schema and data."""
    if path.exists() and path.stat().st_size > 0:
        raise UserFacingError(
            f"{path} already exists.", "Choose a new file name for the generated database."
        )
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # Bulk load with a rollback journal (no WAL copy of every page), then hand the
        # database over in WAL mode so readers and the desktop product don't block.
        connection.execute("PRAGMA foreign_keys = OFF")  # generated rows are consistent
        connection.execute("PRAGMA cache_size = -65536")
        create_sqlite_schema(connection)
        summary = populate(connection, contacts=contacts, seed=seed)
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()
    return replace(summary, seconds=time.perf_counter() - started)
