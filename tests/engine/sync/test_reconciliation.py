"""Reconciliation: whatever drift the change scan could miss, the hash comparison heals."""

from __future__ import annotations

import json
import sqlite3

from tests.engine.conftest import EngineFactory, PracticeDb, activate
from tests.sandbox_harness import RunningSandbox


def online_store(sandbox: RunningSandbox) -> sqlite3.Connection:
    return sqlite3.connect(sandbox.data_dir / "sandbox.db", isolation_level=None, timeout=10)


async def test_reconciliation_repairs_lost_stale_and_extra_contacts(
    make_engine: EngineFactory, practice: PracticeDb, sandbox: RunningSandbox
) -> None:
    engine = make_engine()
    await activate(engine)
    await engine.sync_once()
    store = online_store(sandbox)
    (doc,) = store.execute("SELECT doc FROM contacts WHERE id = 10").fetchone()
    tampered = json.loads(doc) | {"email": "tampered@example.com"}
    store.execute("UPDATE contacts SET doc = ?, hash = 'x' WHERE id = 10", (json.dumps(tampered),))
    store.execute("DELETE FROM contacts WHERE id = 11")
    store.execute(
        "INSERT INTO contacts (id, doc, hash) SELECT 99999, doc, hash FROM contacts WHERE id = 12"
    )
    store.close()
    drift = await engine.verify()
    assert (drift.stale, drift.lost, drift.extra) == ([10], [11], [99999])

    await engine.sync_once()  # the change scan alone sees nothing: no row version moved
    assert not (await engine.verify()).identical
    await engine.sync_once(reconcile=True)
    assert (await engine.verify()).identical


async def test_employee_rename_reaches_every_contact_they_partner(
    make_engine: EngineFactory, practice: PracticeDb, sandbox: RunningSandbox
) -> None:
    engine = make_engine()
    await activate(engine)
    await engine.sync_once()
    db = practice.desktop()
    (partner, contact) = db.execute(
        'SELECT "PartnerID", "ContactID" FROM "Contact" WHERE "PartnerID" IS NOT NULL LIMIT 1'
    ).fetchone()
    db.execute('UPDATE "Employee" SET "LastName" = \'Renamed\' WHERE "EmployeeID" = ?', (partner,))
    db.close()
    await engine.sync_once()  # a new agent: the digest comes from the online checkpoint
    report = await engine.verify()
    assert report.identical, report.summary()
    with sandbox.client("read") as api:
        assert api.get(f"/contacts/{contact}").json()["partner"]["name"].endswith("Renamed")
