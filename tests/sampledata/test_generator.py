"""The data generator and init-db."""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

import pytest

from engine.contract.document import document_problems
from engine.errors import UserFacingError
from engine.local.source_url import SourceKind, SourceUrl
from engine.practice.setting_rows import PracticeSetting
from engine.sources.sqlite import SqliteSource
from sampledata.database_init import init_database, init_sqlite_database
from sampledata.sqlite_file import generate_reference_database
from sampledata.tax_numbers import abn_is_valid, make_abn, make_acn, make_tfn

CONTACTS = 1500


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "practice.db"
    summary = generate_reference_database(path, contacts=CONTACTS, seed=42)
    assert summary.contacts == CONTACTS
    return path


def _dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_same_seed_same_database(tmp_path: Path, generated: Path) -> None:
    again = tmp_path / "again.db"
    generate_reference_database(again, contacts=CONTACTS, seed=42)
    assert _dump(again) == _dump(generated)
    other = tmp_path / "other.db"
    generate_reference_database(other, contacts=CONTACTS, seed=43)
    assert _dump(other) != _dump(generated)


def test_every_document_is_valid(generated: Path) -> None:
    with SqliteSource(generated) as source:
        source.check_schema()
        documents = source.read_page(0, CONTACTS + 1).documents
    assert len(documents) == CONTACTS
    for doc in documents:
        assert document_problems(doc) == [], doc["id"]
    types = {doc["type"] for doc in documents}
    assert types == {"person", "organisation"}
    assert any(doc["archived"] for doc in documents)
    assert any(doc["code"] is None and doc["is_contact"] for doc in documents)
    assert any(doc["relationships"] for doc in documents)
    notes = "".join(doc["notes"] or "" for doc in documents)
    assert not notes.isascii()
    organisations = [doc["main_name"] for doc in documents if doc["type"] == "organisation"]
    assert any(name.endswith("Pty Ltd") for name in organisations)
    assert any(name.endswith("Family Trust") for name in organisations)
    for doc in documents:
        primaries = [address["primary"] for address in doc["addresses"]]
        assert primaries.count(True) == (1 if primaries else 0)


def test_database_is_consistent(generated: Path) -> None:
    connection = sqlite3.connect(generated)
    try:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [
            row[0]
            for table in ("Contact", "ContactAddress", "ContactExtraField", "ContactRelationship")
            for row in connection.execute(f"SELECT RowVer FROM {table}")
        ]
        assert len(versions) == len(set(versions))
        assert min(versions) > 0
        top = connection.execute("SELECT Value FROM RowVersionCounter").fetchone()[0]
        assert max(versions) == top
        codes = [row[0] for row in connection.execute("SELECT Code FROM Contact")]
        real = [code for code in codes if code is not None]
        assert len(real) == len(set(real))
        assert all(re.fullmatch(r"[A-Z0-9]{1,10}", code) for code in real)
        settings = dict(connection.execute("SELECT Name, Value FROM PracticeSetting"))
        assert PracticeSetting.PRACTICE_NAME.value in settings
        assert PracticeSetting.LIVE_ACTIVATED.value not in settings
        login = settings[PracticeSetting.MYOB_EMAIL.value]
        assert connection.execute(
            "SELECT IsActive FROM Employee WHERE Email = ?", (login,)
        ).fetchone() == (1,)
        employees = connection.execute("SELECT COUNT(*), SUM(IsActive) FROM Employee").fetchone()
        assert 10 <= employees[0] <= 30
        abns = connection.execute(
            "SELECT Value FROM ContactExtraField JOIN ExtraFieldDefinition USING (FieldID)"
            " WHERE Name = 'ABN'"
        ).fetchall()
        assert abns and all(abn_is_valid(value) for (value,) in abns)
        states = {row[0] for row in connection.execute("SELECT DISTINCT State FROM ContactAddress")}
        assert {"NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"} <= states
    finally:
        connection.close()


def test_triggers_work_after_the_bulk_load(generated: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    source_connection = sqlite3.connect(generated)
    target = sqlite3.connect(copy)
    source_connection.backup(target)
    source_connection.close()
    target.close()
    connection = sqlite3.connect(copy, isolation_level=None)
    try:
        top = connection.execute("SELECT Value FROM RowVersionCounter").fetchone()[0]
        connection.execute("UPDATE Contact SET Notes = 'changed' WHERE ContactID = 1")
        assert connection.execute("SELECT RowVer FROM Contact WHERE ContactID = 1").fetchone() == (
            top + 1,
        )
    finally:
        connection.close()


def test_check_digits() -> None:
    rng = random.Random(1)
    for _ in range(200):
        assert abn_is_valid(make_abn(rng))
        tfn = make_tfn(rng).replace(" ", "")
        weights = (1, 4, 3, 7, 5, 8, 6, 9, 10)
        assert sum(int(d) * w for d, w in zip(tfn, weights, strict=True)) % 11 == 0
        acn = make_acn(rng).replace(" ", "")
        total = sum(int(d) * w for d, w in zip(acn[:8], range(8, 0, -1), strict=True))
        assert (10 - total % 10) % 10 == int(acn[8])
    assert abn_is_valid("51 824 753 556")  # the ATO's published example
    assert not abn_is_valid("51 824 753 557")


def test_init_database_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "practice.db"
    url = SourceUrl(SourceKind.SQLITE, str(path))
    init_database(url, contacts=20, seed=1)
    with pytest.raises(UserFacingError, match="already exists"):
        init_database(url, contacts=20, seed=1)
    with SqliteSource(path) as source:
        source.write_practice_settings({"PracticeName": "Mine"})
    summary = init_database(url, contacts=30, seed=2, force=True)
    assert summary.contacts == 30
    with SqliteSource(path) as source:
        assert source.contact_count() == 30
        assert source.practice_settings()["PracticeName"] != "Mine"

    junk = tmp_path / "junk.txt"
    junk.write_text("not a database")
    with pytest.raises(UserFacingError, match="not empty"):
        init_sqlite_database(junk, contacts=1)
    empty = tmp_path / "empty.db"
    empty.touch()
    init_sqlite_database(empty, contacts=1)
    with pytest.raises(UserFacingError, match="does not exist"):
        init_sqlite_database(tmp_path / "no" / "such.db", contacts=1)


def test_init_database_odbc_with_a_driver_not_installed(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="not installed"):
        init_database(SourceUrl(SourceKind.ODBC, "Driver={x}"), contacts=1)


def test_zero_contacts(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    summary = generate_reference_database(path, contacts=0, seed=1)
    assert summary.contacts == summary.last_row_version == 0
    with SqliteSource(path) as source:
        source.check_schema()
        assert source.read_page(0, 10).last_id is None
        assert source.employees()
