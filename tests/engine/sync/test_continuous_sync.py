"""The running agent: changes arrive by themselves, including those made mid-migration."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from engine.api import Engine
from engine.status.model import Status, SyncState
from tests.engine.conftest import EngineFactory, PracticeDb, PracticeFactory, activate


async def wait_for(
    engine: Engine, predicate: Callable[[Status], bool], timeout: float = 60
) -> Status:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = engine.status()
        if predicate(status):
            return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"status never matched; last: {engine.status()}")


async def wait_identical(engine: Engine, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    report = await engine.verify()
    while not report.identical and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        report = await engine.verify()
    assert report.identical, report.summary()


async def test_agent_goes_green_and_picks_up_edits(
    make_engine: EngineFactory, practice: PracticeDb
) -> None:
    engine = make_engine()
    await activate(engine)
    await engine.start()
    await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
    db = practice.desktop()
    db.execute('UPDATE "Contact" SET "Notes" = \'Called about BAS 🧾\' WHERE "ContactID" = 5')
    db.execute('DELETE FROM "Contact" WHERE "ContactID" = 6')
    db.close()
    await wait_identical(engine)
    await engine.stop()
    assert engine.status().state is SyncState.INACTIVE


async def test_edits_made_while_migrating_all_arrive(
    make_engine: EngineFactory, make_practice: PracticeFactory
) -> None:
    big = make_practice(4000, 3)
    engine = make_engine(big, page_size=200, batch_bytes=100_000)
    await activate(engine)
    stop = threading.Event()
    edits = {"count": 0}

    def writer() -> None:
        db = big.desktop()
        n = 0
        while not stop.is_set():
            n += 1
            contact = 1 + (n * 37) % 4000
            db.execute(
                'UPDATE "Contact" SET "Phone" = ? WHERE "ContactID" = ?', (f"02 9{n:07d}", contact)
            )
            if n % 7 == 0:
                db.execute(
                    'DELETE FROM "ContactAddress" WHERE "AddressID" = ('
                    'SELECT MIN("AddressID") FROM "ContactAddress" WHERE "ContactID" = ?)',
                    (contact,),
                )
            if n % 11 == 0:
                db.execute('DELETE FROM "Contact" WHERE "ContactID" = ?', (contact + 1,))
            if n % 13 == 0:
                db.execute(
                    'INSERT INTO "Contact" ("ContactType", "IsContact", "MainName") '
                    "VALUES ('O', FALSE, ?)",
                    (f"New Pty Ltd {n}",),
                )
            edits["count"] = n
            time.sleep(0.001)
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        await engine.start()
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE, timeout=60)
        during_migration = edits["count"]
        # at least 51 edits in all, however fast the migration was against the writer's
        # turns on a busy machine (the rest arrive through the sync that follows)
        while edits["count"] <= 50:
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    assert during_migration > 0  # the writer started before the engine: ~500 at rest
    await wait_identical(engine, timeout=30)
