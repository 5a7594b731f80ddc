"""Optional columns: a practice database that lacks a column the mapping marks optional
still syncs, with that field empty online and the status naming what is missing; a
missing required column still stops the sync (red, ``database_schema``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import SchemaError, SettingsError
from engine.sources.base import Source
from engine.sources.mapping.mapping_file import load_mapping
from engine.sources.mapping.schema import LogicalTable, SchemaMapping
from engine.sources.sqlite import SqliteSource
from engine.status.model import Status
from sampledata.sqlite_file import generate_reference_database
from tests.components import require_odbc_driver
from tests.engine.conftest import SQLITE_ODBC_DRIVER, activate, config_for
from tests.sandbox_harness import RunningSandbox


def _mapping(tmp_path: Path, optional: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(f"format = 1\n\n[tables.Contact]\n{optional}\n", encoding="utf-8")
    return path


def _practice_without(tmp_path: Path, column: str) -> Path:
    path = tmp_path / "practice.db"
    generate_reference_database(path, contacts=120, seed=11)
    with sqlite3.connect(path) as db:
        db.execute(f'ALTER TABLE "Contact" DROP COLUMN "{column}"')
    return path


def test_the_mapping_marks_columns_optional(tmp_path: Path) -> None:
    mapping = load_mapping(_mapping(tmp_path, 'optional = ["Website", "Fax"]'))
    assert mapping.is_optional(LogicalTable.CONTACT, "Website")
    assert mapping.is_optional(LogicalTable.CONTACT, "Fax")
    assert not mapping.is_optional(LogicalTable.CONTACT, "Email")


@pytest.mark.parametrize(
    ("optional", "named"),
    [
        ('optional = ["Nickname"]', "Nickname, which is not a column of Contact"),
        ('optional = ["ContactID"]', "ContactID, which the program needs"),
        ('optional = ["RowVer"]', "RowVer, which the program needs"),
        ('optional = "Website"', "must be a list of column names"),
    ],
)
def test_a_bad_optional_list_names_the_key_and_the_problem(
    tmp_path: Path, optional: str, named: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_mapping(_mapping(tmp_path, optional))
    assert "tables.Contact.optional" in str(caught.value)
    assert named in str(caught.value)


def _open(kind: str, db: Path, mapping: SchemaMapping) -> Source:
    """The SQLite reader, or the ODBC reader through SQLite's ODBC driver (the other
    code path that builds its statements from the mapping)."""
    if kind == "sqlite":
        return SqliteSource(db, mapping=mapping)
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    from engine.sources.odbc import OdbcSource

    return OdbcSource(f"Driver={{{SQLITE_ODBC_DRIVER}}};Database={db}", mapping=mapping)


READERS = pytest.mark.parametrize("kind", ["sqlite", "sqlite-odbc"])


@READERS
def test_a_missing_required_column_still_stops_the_sync(tmp_path: Path, kind: str) -> None:
    db = _practice_without(tmp_path, "Website")
    source = _open(kind, db, load_mapping())
    try:
        with pytest.raises(SchemaError) as caught:
            source.check_schema()
        assert "Contact.Website" in str(caught.value)
    finally:
        source.close()


@READERS
def test_a_missing_optional_column_is_read_as_empty(tmp_path: Path, kind: str) -> None:
    db = _practice_without(tmp_path, "Website")
    source = _open(kind, db, load_mapping(_mapping(tmp_path, 'optional = ["Website"]')))
    try:
        assert source.check_schema() == ("Contact.Website",)
        page = source.read_page(0, 50)
        assert page.documents and all(doc["website"] is None for doc in page.documents)
        assert any(doc["email"] for doc in page.documents)  # the rest is read as ever
    finally:
        source.close()


@pytest.mark.slow
async def test_a_practice_without_an_optional_column_syncs_and_says_what_is_missing(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    db = _practice_without(tmp_path, "Website")
    mapping = _mapping(tmp_path, 'optional = ["Website"]')
    written: list[Status] = []
    engine = Engine(
        config_for(db, sandbox, mapping_file=mapping, state_file=tmp_path / "state.json"),
        status_writer=lambda _path, status: written.append(status),
    )
    try:
        await activate(engine)
        status = await engine.sync_once()
        report = await engine.verify()
        assert report.identical, report.summary()
        assert report.desktop_count == 120
        assert status.missing_columns == ("Contact.Website",)
        assert "Contact.Website" in status.missing_note
        # other processes (the tray on another login, `status`) are told too
        assert any(each.missing_columns == ("Contact.Website",) for each in written)
        with sandbox.client("read") as api:
            contacts = api.get("/contacts", params={"limit": 200}).json()["items"]
        assert len(contacts) == 120
        assert all(contact["website"] is None for contact in contacts)
    finally:
        await engine.aclose()
