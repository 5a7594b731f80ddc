"""The light's promises against real processes: the sandbox stopped, paused and
restarted on the same port, the PostgreSQL server stopped and restarted, the agent's
backend killed, the login employee made inactive, the sync client's secret rotated.

Each measures the time from the fault (or the recovery) to the state the light must
show, with the product's own liveness settings, and asserts the bound plus
``ALLOWANCE`` for scheduling on a busy 2-core machine. The grace before red is shortened
to ``GRACE`` here (the bound is grace + the time to see the fault; the table-driven
test checks the real 60 s grace on the engine's clock).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from engine.api import Engine
from engine.status.model import Light, Reason, Status, SyncState
from tests.engine.conftest import EngineFactory, PostgresPractices, activate, desktop
from tests.engine.sync.test_continuous_sync import wait_identical
from tests.sandbox_harness import RunningSandbox, start_sandbox

#: Time from a fault to leaving green, and from recovery back to green (the promise).
BOUND = 10.0
#: Extra time allowed for scheduling on a busy machine (stated, not hidden).
ALLOWANCE = 4.0
GRACE = 12.0


async def seconds_until(
    engine: Engine,
    predicate: Callable[[Status], bool],
    since: float,
    limit: float,
    seen: list[Status] | None = None,
) -> tuple[float, Status]:
    """Seconds from ``since`` (monotonic) until the status matches; fails past ``limit``
    plus the allowance, saying what it last showed."""
    deadline = since + limit + ALLOWANCE
    while True:
        status = engine.status()
        if seen is not None:
            seen.append(status)
        if predicate(status):
            return time.monotonic() - since, status
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit} + {ALLOWANCE} s; last: {status}")
        await asyncio.sleep(0.05)


async def sample(engine: Engine, seconds: float, seen: list[Status]) -> None:
    """Record the status every 50 ms for this long."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        seen.append(engine.status())
        await asyncio.sleep(0.05)


def green(status: Status) -> bool:
    return status.light is Light.GREEN and not status.retrying


def not_green(status: Status) -> bool:
    return status.light is not Light.GREEN


async def started(engine: Engine) -> Status:
    await activate(engine)
    await engine.start()
    _, status = await seconds_until(
        engine, lambda s: green(s) and s.last_sync_at is not None, time.monotonic(), 60
    )
    return status


async def test_service_stopped_and_restarted_while_idle(
    make_engine: EngineFactory, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    engine = make_engine(fault_grace=GRACE, max_backoff=30.0)
    await started(engine)
    port = int(sandbox.url.rsplit(":", 1)[1])
    stopped_at = time.time()
    fault = time.monotonic()
    sandbox.stop()
    seen: list[Status] = []
    took, orange = await seconds_until(engine, not_green, fault, BOUND, seen)
    assert orange.light is Light.ORANGE and orange.reason is Reason.ONLINE_UNREACHABLE
    assert orange.state is SyncState.RETRYING  # orange, and says it is retrying, not migrating
    assert orange.message == "The online service is not accepting connections."
    assert orange.observed == "refused"
    assert "down or restarting" in orange.fix
    down: list[Status] = []
    took_red, red = await seconds_until(
        engine, lambda s: s.light is Light.RED, fault, GRACE + BOUND, down
    )
    assert red.reason is Reason.ONLINE_UNREACHABLE
    # More liveness rounds while down: still red, and the sync is never "confirmed".
    await sample(engine, 6.0, down)
    during = engine.status()
    assert during.light is Light.RED
    assert not any(green(s) for s in down), "green while the service was down"
    assert during.last_sync_at is not None and during.last_sync_at <= stopped_at
    again = start_sandbox(tmp_path, data_dir=sandbox.data_dir, port=port)
    try:
        back = time.monotonic()
        restarted_at = time.time()
        took_green, status = await seconds_until(engine, green, back, BOUND, seen)
        assert status.last_sync_at is not None and status.last_sync_at >= restarted_at
        print(f"\norange {took:.1f} s, red {took_red:.1f} s, green again {took_green:.1f} s")
        db = desktop(Path(engine.config.source.removeprefix("sqlite:")))
        db.execute('UPDATE "Contact" SET "Fax" = \'after\' WHERE "ContactID" = 5')
        db.close()
        await wait_identical(engine)
    finally:
        await engine.stop()
        again.stop()


async def test_service_hung_during_a_migration(make_engine: EngineFactory, tmp_path: Path) -> None:
    """A paused service accepts connections and never answers: the liveness timeout, not
    the upload's 30 s, bounds how long the light can hide it."""
    from sampledata.sqlite_file import generate_reference_database
    from tests.sandbox_harness import running_sandbox

    db = tmp_path / "big.db"
    generate_reference_database(db, contacts=4000, seed=3)
    with running_sandbox(tmp_path / "slow", latency_ms=40) as slow:
        from tests.engine.conftest import config_for

        engine = Engine(config_for(db, slow, fault_grace=GRACE, max_backoff=30.0))
        try:
            await activate(engine)
            await engine.start()
            await seconds_until(
                engine,
                lambda s: s.progress is not None and s.progress.done > 0,
                time.monotonic(),
                60,
            )
            fault = time.monotonic()
            slow.process.send_signal(signal.SIGSTOP)
            try:
                took, status = await seconds_until(engine, lambda s: s.retrying, fault, BOUND)
                assert status.reason is Reason.ONLINE_UNREACHABLE
                assert status.message == "The online service is not answering."
                assert status.state is SyncState.RETRYING and status.observed == "not_answering"
                assert status.light is Light.ORANGE
            finally:
                slow.process.send_signal(signal.SIGCONT)
            back = time.monotonic()
            took_back, _ = await seconds_until(engine, lambda s: not s.retrying, back, BOUND)
            print(f"\nretrying after {took:.1f} s, resumed after {took_back:.1f} s")
            await seconds_until(engine, green, back, 120)
            await wait_identical(engine)
        finally:
            await engine.aclose()


async def test_login_employee_made_inactive_and_active_again(
    make_engine: EngineFactory, practice_db: Path
) -> None:
    engine = make_engine(max_backoff=30.0)
    await started(engine)
    db = desktop(practice_db)
    (email,) = db.execute(
        'SELECT "Value" FROM "PracticeSetting" WHERE "Name" = \'Practice.MyobEmail\''
    ).fetchone()
    fault = time.monotonic()
    db.execute('UPDATE "Employee" SET "IsActive" = 0 WHERE "Email" = ?', (email,))
    took, red = await seconds_until(engine, lambda s: s.light is Light.RED, fault, BOUND)
    assert red.reason is Reason.LOGIN_NOT_ACTIVE_EMPLOYEE and email in red.detail
    back = time.monotonic()
    db.execute('UPDATE "Employee" SET "IsActive" = 1 WHERE "Email" = ?', (email,))
    db.close()
    took_back, _ = await seconds_until(engine, green, back, BOUND)
    print(f"\nred {took:.1f} s, green again {took_back:.1f} s")
    await engine.stop()


async def test_sync_client_secret_rotated(
    make_engine: EngineFactory, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    engine = make_engine(max_backoff=30.0)
    await started(engine)
    port = int(sandbox.url.rsplit(":", 1)[1])
    sandbox.stop()
    rotate = [sys.executable, "-m", "contacts_migration", "sandbox", "rotate-secret"]
    done = subprocess.run(
        [*rotate, "--data", str(sandbox.data_dir)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    again = start_sandbox(tmp_path, data_dir=sandbox.data_dir, port=port)
    try:
        assert again.client_credentials("sync")[1] != sandbox.client_credentials("sync")[1]
        fault = time.monotonic()
        took, red = await seconds_until(
            engine, lambda s: s.reason is Reason.CREDENTIALS_REJECTED, fault, BOUND
        )
        assert red.light is Light.RED
        print(f"\nred {took:.1f} s after the service came back with a new secret")
    finally:
        await engine.stop()
        again.stop()


async def test_database_server_stopped_restarted_and_backend_killed(
    make_engine: EngineFactory, postgres_practices: PostgresPractices
) -> None:
    server = postgres_practices.server
    practice = postgres_practices.create(300, 7)
    database = practice.connection_string.split("Database=")[1].split(";")[0]  # type: ignore[union-attr]
    engine = make_engine(practice, fault_grace=GRACE, max_backoff=30.0)
    await started(engine)

    fault = time.monotonic()
    killed = server.psql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        f" WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    )
    killed_at = time.time()
    assert int(killed) >= 1
    took_kill, _ = await seconds_until(
        engine,
        lambda s: green(s) and s.last_sync_at is not None and s.last_sync_at > killed_at,
        fault,
        BOUND,
    )

    fault = time.monotonic()
    await asyncio.to_thread(server.stop_server)
    stopped_at = time.time()
    try:
        took, orange = await seconds_until(engine, not_green, fault, BOUND)
        assert orange.reason is Reason.DATABASE_UNREACHABLE
        took_red, _ = await seconds_until(
            engine, lambda s: s.light is Light.RED, fault, GRACE + BOUND
        )
        assert engine.status().last_sync_at is not None
        assert engine.status().last_sync_at <= stopped_at  # type: ignore[operator]
    finally:
        await asyncio.to_thread(server.start_server)
    back = time.monotonic()
    took_back, _ = await seconds_until(engine, green, back, BOUND)
    print(
        f"\nbackend killed: confirmed again {took_kill:.1f} s; server stopped: orange "
        f"{took:.1f} s, red {took_red:.1f} s; restarted: green {took_back:.1f} s"
    )
    await engine.stop()


async def test_database_file_moved_away_and_back(
    make_engine: EngineFactory, practice_db: Path
) -> None:
    engine = make_engine(fault_grace=GRACE, max_backoff=30.0)
    await started(engine)
    away = practice_db.with_name("moved.db")
    fault = time.monotonic()
    practice_db.rename(away)
    took, orange = await seconds_until(engine, not_green, fault, BOUND)
    assert orange.reason is Reason.DATABASE_UNREACHABLE
    assert "deleted, moved or replaced" in orange.detail or "no database" in orange.detail
    back = time.monotonic()
    away.rename(practice_db)
    took_back, _ = await seconds_until(engine, green, back, BOUND)
    print(f"\nfile gone: orange {took:.1f} s; back: green {took_back:.1f} s")
    await engine.stop()


async def test_lease_taken_while_idle_is_red_at_once_naming_the_machine(
    make_engine: EngineFactory, sandbox: RunningSandbox
) -> None:
    engine = make_engine(max_backoff=30.0, standby_poll=30.0)
    await started(engine)
    fault = time.monotonic()
    with sandbox.client("sync") as api:
        taken = api.post("/sync/lease", json={"agent_id": "intruder", "machine": "FRONTDESK"})
        assert taken.status_code == 200
    took, red = await seconds_until(engine, lambda s: s.light is Light.RED, fault, BOUND)
    assert red.reason is Reason.LEASE_LOST
    assert "FRONTDESK" in red.message
    print(f"\nlease lost: red {took:.1f} s")
    await engine.stop()
