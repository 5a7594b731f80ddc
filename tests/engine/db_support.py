"""Helpers for the database-side tests: empty reference databases and hand-made rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sampledata.sqlite_file import create_sqlite_schema


def empty_reference_db(path: Path, *, wal: bool = True) -> Path:
    """The reference schema with no rows (beyond the counter)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        if wal:
            connection.execute("PRAGMA journal_mode = WAL")
        create_sqlite_schema(connection)
    finally:
        connection.close()
    return path


def connect(path: Path) -> sqlite3.Connection:
    """As another program would connect: autocommit, foreign keys on."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=10)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def insert(connection: sqlite3.Connection, table: str, **values: Any) -> int:
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cursor = connection.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values())
    )
    return int(cursor.lastrowid or 0)


def counter(connection: sqlite3.Connection) -> int:
    return int(connection.execute("SELECT Value FROM RowVersionCounter").fetchone()[0])


def rowver(connection: sqlite3.Connection, table: str, where: str, *params: Any) -> int:
    row = connection.execute(f"SELECT RowVer FROM {table} WHERE {where}", params).fetchone()
    return int(row[0])


def add_lookups(connection: sqlite3.Connection) -> None:
    """Two employees and three extra-field definitions used by the hand-made contacts."""
    insert(
        connection,
        "Employee",
        EmployeeID=1,
        Code="JS",
        FirstName="Jane",
        LastName="Smith",
        Email="jane@practice.example",
        IsActive=1,
    )
    insert(
        connection,
        "Employee",
        EmployeeID=2,
        Code="NOLAST",
        FirstName="Tāne",
        LastName=None,
        Email=None,
        IsActive=0,
    )
    insert(connection, "ExtraFieldDefinition", FieldID=1, Name="BALMTH", DataType="Number")
    insert(connection, "ExtraFieldDefinition", FieldID=2, Name="ABN", DataType="Text")
    insert(connection, "ExtraFieldDefinition", FieldID=3, Name="ACN", DataType="Text")
