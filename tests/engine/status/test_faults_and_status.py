"""The status model walks green, orange and red on the right faults, and back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.status.model import Light, Reason, SyncState
from tests.engine.conftest import EngineFactory, PracticeDb, activate
from tests.engine.sync.test_continuous_sync import wait_for, wait_identical
from tests.sandbox_harness import RunningSandbox, start_sandbox


async def test_online_outage_goes_orange_then_red_then_recovers(
    make_engine: EngineFactory, practice: PracticeDb, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    engine = make_engine(fault_grace=1.5)
    await activate(engine)
    await engine.start()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    port = sandbox.url.rsplit(":", 1)[1]
    sandbox.stop()
    db = practice.desktop()
    db.execute('UPDATE "Contact" SET "Fax" = \'1\' WHERE "ContactID" = 9')
    db.close()
    retrying = await wait_for(engine, lambda s: s.retrying)
    assert retrying.light is Light.ORANGE
    red = await wait_for(engine, lambda s: s.light is Light.RED)
    assert red.reason is Reason.ONLINE_UNREACHABLE
    assert red.fix
    again = start_sandbox(tmp_path, data_dir=sandbox.data_dir, port=int(port))
    try:
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE and not s.retrying)
        await wait_identical(engine)
    finally:
        await engine.stop()
        again.stop()


async def test_inactive_login_employee_is_red_at_once_and_heals(
    make_engine: EngineFactory, practice: PracticeDb
) -> None:
    engine = make_engine(login_check_interval=0.05)
    await activate(engine)
    await engine.start()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    db = practice.desktop()
    (email,) = db.execute(
        'SELECT "Value" FROM "PracticeSetting" WHERE "Name" = \'Practice.MyobEmail\''
    ).fetchone()
    db.execute('UPDATE "Employee" SET "IsActive" = FALSE WHERE "Email" = ?', (email,))
    red = await wait_for(engine, lambda s: s.light is Light.RED)
    assert red.reason is Reason.LOGIN_NOT_ACTIVE_EMPLOYEE
    assert email in red.detail
    db.execute('UPDATE "Employee" SET "IsActive" = TRUE WHERE "Email" = ?', (email,))
    db.close()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    await engine.stop()


async def test_database_gone_goes_red_and_recovers(
    make_engine: EngineFactory, practice: PracticeDb
) -> None:
    engine = make_engine(fault_grace=1.0, login_check_interval=0.05)
    await activate(engine)
    await engine.start()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    # Rename the table away: the practice's file stays, its contacts vanish for a while.
    db = practice.desktop()
    db.execute('ALTER TABLE "ContactAddress" RENAME TO "Moved"')
    red = await wait_for(engine, lambda s: s.light is Light.RED)
    assert red.reason in (Reason.DATABASE_SCHEMA, Reason.DATABASE_UNREACHABLE)
    db.execute('ALTER TABLE "Moved" RENAME TO "ContactAddress"')
    db.close()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    await engine.stop()


async def test_lease_taken_by_another_agent_stops_writes(
    make_engine: EngineFactory, practice: PracticeDb, sandbox: RunningSandbox
) -> None:
    engine = make_engine(standby_poll=5)
    await activate(engine)
    await engine.start()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    with sandbox.client("sync") as api:
        api.post("/sync/lease", json={"agent_id": "intruder", "machine": "elsewhere"})
        before = api.get("/sync/state").json()
    db = practice.desktop()
    db.execute('UPDATE "Contact" SET "Fax" = \'x\' WHERE "ContactID" = 3')
    db.close()
    red = await wait_for(engine, lambda s: s.light is Light.RED)
    assert red.reason is Reason.LEASE_LOST
    with sandbox.client("sync") as api:
        after = api.get("/sync/state").json()
    assert after["checkpoint"] == before["checkpoint"]
    assert after["checksum"] == before["checksum"]
    await engine.stop()


async def test_contact_the_service_would_refuse_is_set_aside(
    make_engine: EngineFactory, practice: PracticeDb
) -> None:
    db = practice.desktop()
    db.execute('UPDATE "Contact" SET "ContactType" = \'X\' WHERE "ContactID" = 12')
    db.close()
    engine = make_engine()
    await activate(engine)
    status = await engine.sync_once()
    assert [item.contact_id for item in status.set_aside] == [12]
    assert "type" in status.set_aside[0].reason
    report = await engine.verify()
    assert report.lost == [12]
    assert report.desktop_count == 300 and report.online_count == 299
    db = practice.desktop()
    db.execute('UPDATE "Contact" SET "ContactType" = \'O\' WHERE "ContactID" = 12')
    db.close()
    status = await engine.sync_once()
    assert status.set_aside == ()
    assert (await engine.verify()).identical


async def test_oversized_batches_are_split_and_huge_contacts_set_aside(
    practice: PracticeDb, tmp_path: Path
) -> None:
    from engine.api import Engine
    from tests.engine.conftest import config_for
    from tests.sandbox_harness import running_sandbox

    db = practice.desktop()
    db.execute('UPDATE "Contact" SET "Notes" = ? WHERE "ContactID" = 20', ("n" * 300_000,))
    db.close()
    with running_sandbox(tmp_path / "small", max_body=200_000) as small:
        engine = Engine(config_for(practice, small, batch_bytes=1_000_000, page_size=300))
        try:
            await activate(engine)
            status = await engine.sync_once()
            assert [item.contact_id for item in status.set_aside] == [20]
            assert "larger" in status.set_aside[0].reason
            report = await engine.verify()
            assert report.lost == [20] and not report.stale and not report.extra
        finally:
            await engine.aclose()


async def test_status_file_is_written_for_other_processes(
    make_engine: EngineFactory, tmp_path: Path
) -> None:
    import time

    from engine.status.state_file import current_status

    state_file = tmp_path / "state.json"
    engine = make_engine(state_file=state_file)
    await activate(engine)
    await engine.start()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    await asyncio.sleep(0.1)
    assert current_status(state_file, time.time()).state is SyncState.ACTIVE
    await engine.stop()
    assert current_status(state_file, time.time()).state is SyncState.INACTIVE
    assert current_status(state_file, time.time() + 3600).reason is Reason.STOPPED
