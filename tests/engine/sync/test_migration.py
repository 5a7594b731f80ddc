"""Migration and every kind of change, on each kind of source, against the real sandbox."""

from __future__ import annotations

from engine.status.model import SyncState
from tests.engine.conftest import EngineFactory, PracticeDb, activate
from tests.sandbox_harness import RunningSandbox


async def test_full_migration_arrives_identical(
    make_engine: EngineFactory, practice: PracticeDb, sandbox: RunningSandbox
) -> None:
    engine = make_engine()
    await activate(engine)
    status = await engine.sync_once()
    report = await engine.verify()
    assert report.identical, report.summary()
    assert report.desktop_count == 300
    assert status.online_count == 300
    assert status.state is SyncState.INACTIVE  # sync_once ends with the agent stopped
    with sandbox.client("read") as api:
        assert api.get("/sync/state").json()["contact_count"] == 300


async def test_every_kind_of_change_arrives(
    make_engine: EngineFactory, practice: PracticeDb
) -> None:
    engine = make_engine()
    await activate(engine)
    await engine.sync_once()
    db = practice.desktop()
    ids = [row[0] for row in db.execute('SELECT "ContactID" FROM "Contact" ORDER BY 1')]
    db.execute('UPDATE "Contact" SET "Email" = ? WHERE "ContactID" = ?', ("new@x.au", ids[0]))
    db.execute('UPDATE "ContactAddress" SET "Suburb" = ? WHERE "ContactID" = ?', ("Glebe", ids[1]))
    db.execute('DELETE FROM "ContactAddress" WHERE "ContactID" = ?', (ids[2],))
    db.execute('DELETE FROM "ContactExtraField" WHERE "ContactID" = ?', (ids[3],))
    db.execute(
        'INSERT INTO "ContactExtraField" ("ContactID", "FieldID", "Value") '
        'SELECT ?, "FieldID", ? FROM "ExtraFieldDefinition" LIMIT 1 '
        'ON CONFLICT ("ContactID", "FieldID") DO UPDATE SET "Value" = excluded."Value"',
        (ids[4], "changed"),
    )
    db.execute(
        'INSERT INTO "ContactRelationship" ("ContactID", "RelatedContactID", "Kind") '
        "VALUES (?, ?, ?)",
        (ids[5], ids[6], "is spouse of"),
    )
    db.execute('DELETE FROM "Contact" WHERE "ContactID" = ?', (ids[7],))
    db.execute(
        'INSERT INTO "Contact" ("ContactType", "IsContact", "LastName", "FirstName") '
        "VALUES ('P', TRUE, 'Nguyen', 'Thi')"
    )
    db.close()
    await engine.sync_once()
    report = await engine.verify()
    assert report.identical, report.summary()
    assert report.desktop_count == 300
