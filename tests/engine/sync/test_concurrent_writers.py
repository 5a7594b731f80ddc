"""People keep working while the agent migrates 50,000 contacts and then syncs: no
writer is blocked or slowed beyond noise, and the online copy ends equal (PostgreSQL)."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.status.model import SyncState
from tests.engine.conftest import EngineFactory, PostgresPractices, activate
from tests.engine.sync.test_continuous_sync import wait_for, wait_identical
from tests.writer_load import Latency, Writers

CONTACTS = 50_000
WRITERS = 4
BASELINE_SECONDS = 4.0
SYNC_SECONDS = 4.0
#: A writer transaction waiting this long was blocked, not slowed.
BLOCKED_SECONDS = 2.0


@pytest.mark.slow
async def test_writers_are_never_blocked_by_migration_and_sync(
    postgres_practices: PostgresPractices, make_engine: EngineFactory
) -> None:
    practice = postgres_practices.create(CONTACTS, 11)
    assert practice.connection_string is not None
    writers = Writers(practice.connection_string, WRITERS, CONTACTS)
    engine = make_engine(practice, page_size=1000, batch_bytes=2_000_000)
    await activate(engine)
    writers.start()
    try:
        await asyncio.sleep(BASELINE_SECONDS)
        without_agent = Latency.of(writers.take_latencies())
        started = time.perf_counter()
        await engine.start()
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE, timeout=240)
        migration_seconds = time.perf_counter() - started
        during_migration = Latency.of(writers.take_latencies())
        await asyncio.sleep(SYNC_SECONDS)
        during_sync = Latency.of(writers.take_latencies())
    finally:
        writers.stop()
    print()
    print(f"migration of {CONTACTS} contacts with {WRITERS} writers: {migration_seconds:.1f} s"
          f" ({CONTACTS / migration_seconds:,.0f} contacts/s)")  # fmt: skip
    for label, latency in (
        ("writers without the agent", without_agent),
        ("writers during migration", during_migration),
        ("writers during continuous sync", during_sync),
    ):
        print(latency.line(label))
    print(f"writer errors: {len(writers.errors)}; operations: {writers.operations}")
    assert not writers.errors, writers.errors[:5]
    for latency in (without_agent, during_migration, during_sync):
        assert latency.count > 50, "the writers hardly ran"
        assert latency.max_ms < BLOCKED_SECONDS * 1000, "a writer was blocked"
    await wait_identical(engine, timeout=120)
    report = await engine.verify()
    assert report.desktop_count > CONTACTS // 2
    await engine.stop()
