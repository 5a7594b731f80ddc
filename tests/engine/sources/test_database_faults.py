"""Database faults: locked, busy, or missing a table for a while; the engine goes red with
the right reason once the fault has lasted, and back to green by itself."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from engine.status.model import Light, Reason, SyncState
from tests.engine.conftest import EngineFactory, activate, desktop
from tests.engine.sync.test_continuous_sync import wait_for, wait_identical


async def test_database_locked_by_a_writer_goes_red_then_recovers(
    make_engine: EngineFactory, practice_db: Path
) -> None:
    db = desktop(practice_db)
    db.execute("PRAGMA journal_mode = DELETE")  # no WAL: a writer's lock blocks readers too
    db.close()
    engine = make_engine(fault_grace=1.0, login_check_interval=0.05)
    await activate(engine)
    await engine.start()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)

    holding = threading.Event()
    release = threading.Event()

    def hold_exclusive_lock() -> None:
        locker = desktop(practice_db)
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute('UPDATE "Contact" SET "Fax" = \'locked\' WHERE "ContactID" = 4')
        holding.set()
        release.wait(60)
        locker.execute("COMMIT")
        locker.close()

    thread = threading.Thread(target=hold_exclusive_lock)
    thread.start()
    try:
        holding.wait(10)
        red = await wait_for(engine, lambda s: s.light is Light.RED, timeout=30)
        assert red.reason is Reason.DATABASE_UNREACHABLE
        assert "locked" in red.detail or "busy" in red.detail
    finally:
        release.set()
        await asyncio.to_thread(thread.join)
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE and not s.retrying, timeout=30)
    await wait_identical(engine)
    await engine.stop()
