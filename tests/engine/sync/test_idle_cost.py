"""An idle agent costs little without growing blind: its looks at the database run in
the database's thread, and the login check reads the schema, settings and employees
again only after someone wrote to the database. Counts, not timings."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.api import Engine
from engine.sources.base import Source
from engine.sources.sqlite import SqliteSource
from engine.status.model import Light, Reason, Status, SyncState
from engine.sync.source_worker import SourceWorker
from tests.engine.conftest import activate, config_for, desktop
from tests.engine.sync.test_continuous_sync import wait_for
from tests.sandbox_harness import RunningSandbox

LOGIN_READS = ("check_schema", "practice_settings", "employees")


class CountingSource:
    """A real source that counts the calls made on it, by method name."""

    def __init__(self, source: Source, calls: Counter[str]) -> None:
        self._source = source
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._source, name)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return value(*args, **kwargs)

        return counted


async def until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.02)


def counting_engine(
    db: Path, sandbox: RunningSandbox, calls: Counter[str], **config: Any
) -> Engine:
    opener: Callable[[], Source] = lambda: CountingSource(SqliteSource(db), calls)  # noqa: E731
    return Engine(config_for(db, sandbox, **config), source_opener=opener)


async def test_idle_login_checks_read_the_login_facts_again_only_after_a_write(
    practice_db: Path, sandbox: RunningSandbox
) -> None:
    calls: Counter[str] = Counter()
    engine = counting_engine(
        practice_db,
        sandbox,
        calls,
        liveness_interval=0.3,
        liveness_timeout=0.25,
        login_check_interval=0.05,
    )
    try:
        await activate(engine)
        await engine.start()
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
        agent = engine._agent
        assert agent is not None
        rounds, looks, before = agent.watcher.rounds, calls["change_token"], dict(calls)
        await until(lambda: agent.watcher.rounds >= rounds + 4, "four liveness rounds")
        # every round still asked the database (the DATABASE and LOGIN channels stay
        # confirmed), with one look at its change token instead of the login facts
        assert calls["change_token"] >= looks + 4
        assert {name: calls[name] for name in LOGIN_READS} == {
            name: before.get(name, 0) for name in LOGIN_READS
        }
        assert engine.status().light is Light.GREEN

        db = desktop(practice_db)  # a write: the next check reads everything again
        (email,) = db.execute(
            'SELECT "Value" FROM "PracticeSetting" WHERE "Name" = \'Practice.MyobEmail\''
        ).fetchone()
        db.execute('UPDATE "Employee" SET "IsActive" = FALSE WHERE "Email" = ?', (email,))
        red = await wait_for(engine, lambda s: s.light is Light.RED)
        assert red.reason is Reason.LOGIN_NOT_ACTIVE_EMPLOYEE
        assert calls["employees"] > before.get("employees", 0)
        db.execute('UPDATE "Employee" SET "IsActive" = TRUE WHERE "Email" = ?', (email,))
        db.close()
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE and not s.retrying)
    finally:
        await engine.aclose()


async def test_idle_looks_run_in_the_database_thread(
    practice_db: Path, sandbox: RunningSandbox
) -> None:
    """Several looks at the change token for each cycle the event loop runs (each of
    those was two wake-ups of the loop: the call and its answer)."""
    calls: Counter[str] = Counter()
    engine = counting_engine(practice_db, sandbox, calls, poll_interval=2.0, liveness_interval=60)
    try:
        await activate(engine)
        await engine.start()
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE)
        agent = engine._agent
        assert agent is not None
        cycles, looks = agent.counters.cycles, calls["change_token"]
        await until(lambda: agent.counters.cycles >= cycles + 3, "three more cycles")
        idle_cycles = agent.counters.cycles - cycles
        assert calls["change_token"] - looks >= 3 * idle_cycles

        db = desktop(practice_db)  # an edit is still seen by the next look
        db.execute('UPDATE "Contact" SET "Notes" = \'seen at once\' WHERE "ContactID" = 3')
        db.close()
        with sandbox.client("read") as api:
            await until(
                lambda: api.get("/contacts/3").json().get("notes") == "seen at once",
                "the edit online",
            )
    finally:
        await engine.aclose()


class TokenSource:
    """Just a change token: ``tokens`` in turn, then the last one for good."""

    def __init__(self, tokens: list[int]) -> None:
        self.tokens = tokens
        self.looks = 0

    def change_token(self) -> int:
        self.looks += 1
        return self.tokens[min(self.looks, len(self.tokens)) - 1]

    def close(self) -> None:
        pass


def worker_for(source: TokenSource) -> SourceWorker:
    return SourceWorker(lambda: source)  # type: ignore[arg-type,return-value]


async def test_a_watch_ends_when_the_token_moves() -> None:
    source = TokenSource([1, 1, 1, 2])
    worker = worker_for(source)
    try:
        seen = await asyncio.wait_for(worker.watch(1, 600, 0.001), 60)
        assert seen is not None and (seen.token, source.looks) == (2, 4)
        assert worker.answered_at == seen.at  # the database answered the last look
    finally:
        await worker.close()


async def test_a_watch_gives_way_to_any_other_call_and_to_an_interrupt() -> None:
    source = TokenSource([1])
    worker = worker_for(source)
    try:
        watch = asyncio.create_task(worker.watch(1, 600, 600))
        await asyncio.sleep(0)  # the watch is handed to the thread
        assert await asyncio.wait_for(worker.call(lambda s: "answered"), 60) == "answered"
        assert await asyncio.wait_for(watch, 60) is None  # ended before its first look

        watch = asyncio.create_task(worker.watch(1, 600, 0.001))
        await until(lambda: source.looks >= 3, "a few looks")
        worker.interrupt()
        seen = await asyncio.wait_for(watch, 60)
        assert seen is not None and seen.token == 1
    finally:
        await worker.close()


def test_the_sqlite_token_moves_with_this_connections_own_writes(practice_db: Path) -> None:
    """data_version counts only the other connections' commits."""
    source = SqliteSource(practice_db)
    try:
        before = source.change_token()
        assert source.change_token() == before
        source.write_practice_settings({"ContactsMigration.Note": "x"})
        assert source.change_token() != before
    finally:
        source.close()


async def test_an_idle_agent_writes_the_state_file_for_its_heartbeat_only(
    practice_db: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Each liveness round moves "last confirmed up to date": views hear of it, the
    state file waits for its heartbeat (every 5 s) instead of a write for each."""
    written: list[Status] = []
    heard: list[Status] = []
    config = config_for(
        practice_db,
        sandbox,
        state_file=tmp_path / "state.json",
        liveness_interval=0.3,
        liveness_timeout=0.25,
    )
    engine = Engine(config, status_writer=lambda _path, status: written.append(status))
    engine.subscribe(lambda event: heard.append(event.status))
    try:
        await activate(engine)
        await engine.start()
        await wait_for(engine, lambda s: s.state is SyncState.ACTIVE and s.last_sync_at is not None)
        agent = engine._agent
        assert agent is not None
        rounds, writes, events = agent.watcher.rounds, len(written), len(heard)
        await until(lambda: agent.watcher.rounds >= rounds + 12, "twelve liveness rounds")
        confirmations = len({s.last_sync_at for s in heard[events:]})
        assert confirmations >= 6  # the views were told as it moved
        assert (len(written) - writes) * 2 < agent.watcher.rounds - rounds
        assert written[-1].last_sync_at is not None
    finally:
        await engine.aclose()
