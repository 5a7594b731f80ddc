"""The database connection dropped mid-page (PostgreSQL kills the agent's sessions,
the lock's included): the engine reconnects, takes the lock again, and converges."""

from __future__ import annotations

import asyncio

from engine.api import Engine
from engine.status.model import Reason, SyncState
from tests.engine.conftest import PostgresPractices, activate, config_for
from tests.engine.sync.test_continuous_sync import wait_for, wait_identical
from tests.sandbox_harness import RunningSandbox

KILL_OTHER_SESSIONS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


async def test_killed_database_sessions_mid_migration_heal(
    postgres_practices: PostgresPractices, sandbox: RunningSandbox
) -> None:
    practice = postgres_practices.create(contacts=3000, seed=11)
    engine = Engine(config_for(practice, sandbox, page_size=100, batch_bytes=50_000))
    killer = practice.desktop()
    killed = 0
    reasons: set[Reason] = set()
    engine.subscribe(
        lambda event: reasons.add(event.status.reason) if event.status.reason else None
    )
    try:
        await activate(engine)
        await engine.start()
        await wait_for(engine, lambda s: s.progress is not None and s.progress.done > 0)
        for _ in range(5):
            killed += int(killer.execute(KILL_OTHER_SESSIONS).fetchone()[0])
            await asyncio.sleep(0.3)
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE and not s.retrying, timeout=60)
        await wait_identical(engine)
    finally:
        killer.close()
        await engine.aclose()
    assert killed >= 2, "the agent's sessions were never killed"
    # The killed lock session is noticed before the next batch; the source reconnects.
    assert Reason.DATABASE_UNREACHABLE in reasons, reasons
    assert Reason.LEASE_LOST not in reasons, "a dropped session is not another agent"
