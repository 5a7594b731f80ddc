"""The engine's one public API, used alike by the CLI, the GUI and the tests.

``start``/``stop`` run the agent on the caller's asyncio loop (qasync's in the GUI);
``status()`` is always the model derived from the engine's state; ``subscribe`` gets
events; ``preflight``/``activate`` turn it on for the practice, once and for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Final, TypeVar

import httpx

from engine.errors import (
    GIVE_UP_FIX,
    CredentialsRejected,
    GaveUp,
    LoginProblem,
    OnlineError,
    PreflightFailed,
    SchemaError,
    SourceError,
    TermsNotAccepted,
    UserFacingError,
)
from engine.local.config import EngineConfig
from engine.local.source_url import parse_source_url
from engine.online.client import OnlineClient, PracticeInfo, Terms
from engine.practice.rules import check_practice_login, check_signed_in_as, is_set
from engine.practice.setting_rows import SETTING_TRUE, PracticeSetting
from engine.sources.base import AgentLock, Source
from engine.sources.open import open_lock, open_source
from engine.sources.practice_database import with_password
from engine.status.events import EngineEvent, EventBus, EventKind, Listener
from engine.status.model import EngineState, Phase, Reason, Status, derive_status
from engine.status.state_file import HEARTBEAT_SECONDS, write_status
from engine.sync.agent import Agent
from engine.sync.consistency import Comparison, compare
from engine.sync.control import FaultPersisted
from engine.sync.counters import Counters
from engine.sync.retry import RetryListener, RetryNotice, run_with_deadline
from engine.sync.source_worker import SourceWorker
from engine.texts import REASON_WORDS

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The state file is rewritten at most this often for progress-only changes.
STATE_FILE_INTERVAL: Final = 0.5
#: How often the status is re-derived while time alone changes it.
TICK_SECONDS: Final = 1.0
#: The phases whose status moves with time (rate, ETA).
TIMED_PHASES: Final = frozenset({Phase.STARTING, Phase.MIGRATING, Phase.CATCHING_UP})


class CheckId(StrEnum):
    DATABASE = "database"
    PRACTICE_LOGIN = "practice_login"
    ONLINE = "online"
    CREDENTIALS = "credentials"


CHECK_TITLES: Final[dict[CheckId, str]] = {
    CheckId.DATABASE: "The practice database can be read",
    CheckId.PRACTICE_LOGIN: "The practice login email belongs to an active employee",
    CheckId.ONLINE: "The online service can be reached",
    CheckId.CREDENTIALS: "The online service accepts this practice's credentials",
}


@dataclass(frozen=True)
class Check:
    check: CheckId
    ok: bool
    problem: str = ""
    fix: str = ""

    @property
    def title(self) -> str:
        return CHECK_TITLES[self.check]


@dataclass(frozen=True)
class Activation:
    practice: PracticeInfo
    terms_version: str
    newly_activated: bool


class Engine:
    def __init__(
        self,
        config: EngineConfig,
        *,
        source_opener: Callable[[], Source] | None = None,
        lock: AgentLock | None = None,
        online_transport: httpx.AsyncBaseTransport | None = None,
        on_retry: RetryListener | None = None,
        status_writer: Callable[[Path, Status], None] = write_status,
    ) -> None:
        self.config = config
        #: Writes the state file other processes read (a test may record the writes).
        self._write_status = status_writer
        #: Told of each retry of a one-shot call (verify, activate, sync_once...), so a
        #: terminal or a window can say what is being retried and why.
        self.on_retry = on_retry
        url = parse_source_url(config.source)
        if config.source_password:
            url = with_password(config.source, config.source_password)
        self._worker = SourceWorker(
            source_opener or (lambda: open_source(url, config.mapping_file))
        )
        self._lock_factory: Callable[[], AgentLock] = (
            (lambda: lock) if lock else (lambda: open_lock(url))
        )
        self._online = OnlineClient(
            config.online_url,
            config.credentials,
            transport=online_transport,
            network=config.network,
        )
        self._state = EngineState(machine=config.machine)
        self._events = EventBus()
        self._counters = Counters()
        self._agent: Agent | None = None
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        #: Set when time alone starts to change the status: ends the idle ticker's wait.
        self._timed: asyncio.Event | None = None
        self._last: Status | None = None
        self._last_written = 0.0
        #: Counts or progress moved since the state file was last written.
        self._file_behind = False
        self.error: BaseException | None = None

    # -- status and events -----------------------------------------------------------------

    def status(self) -> Status:
        return derive_status(self._state, time.time(), self.config.fault_grace)

    def counters(self) -> Counters:
        """A copy of what the agent did since this engine was made."""
        return replace(self._counters)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._events.subscribe(listener)

    def _changed(self) -> None:
        status = self.status()
        last = self._last
        significant = last is None or (
            status.state,
            status.message,
            status.reason,
            len(status.set_aside),
            status.missing_columns,
            status.last_sync_at is None,
        ) != (
            last.state,
            last.message,
            last.reason,
            len(last.set_aside),
            last.missing_columns,
            last.last_sync_at is None,
        )
        # An idle agent confirms the online copy every few seconds: views hear of it at
        # once, the state file with its next heartbeat (it was two writes in five seconds).
        confirmed = last is not None and status.last_sync_at != last.last_sync_at
        # A batch moves only the counts: at most one file write per interval for those
        # (every batch wrote the file before: ~800 writes in a 100,000-contact migration).
        progressed = (
            last is None
            or status.progress != last.progress
            or status.online_count != last.online_count
        )
        if significant or confirmed or progressed:
            self._last = status
            self._events.publish(EngineEvent(EventKind.STATUS, status))
        if self._timed is not None and self._timing():
            self._timed.set()  # an idle ticker waiting for the heartbeat ticks each second
        if self.config.state_file is None:
            return
        since_written = time.monotonic() - self._last_written
        self._file_behind = self._file_behind or progressed
        if (
            significant
            or (self._file_behind and since_written >= STATE_FILE_INTERVAL)
            or since_written >= HEARTBEAT_SECONDS
        ):
            self._last_written = time.monotonic()
            self._file_behind = False
            try:
                self._write_status(self.config.state_file, status)
            except OSError:
                log.warning("could not write the state file", exc_info=True)

    def _batch_done(self, upserts: int, deletes: int) -> None:
        self._events.publish(
            EngineEvent(EventKind.BATCH, self.status(), upserts=upserts, deletes=deletes)
        )

    # -- running -------------------------------------------------------------------------------

    def _new_agent(self) -> Agent:
        return Agent(
            self.config,
            self._state,
            self._online,
            self._worker,
            self._lock_factory(),
            self._changed,
            self._batch_done,
            self._counters,
        )

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Run the agent in the background on the current loop until :meth:`stop`."""
        if self.running:
            return
        self._agent = self._new_agent()
        self._state.phase = Phase.STARTING
        self._state.fault = None  # a fresh start proves everything again
        self._changed()
        self._task = asyncio.create_task(self._run(self._agent, once=False))
        self._ticker = asyncio.create_task(self._tick())

    async def wait(self) -> None:
        """Until the agent ends (a stop, or an error that is re-raised here)."""
        if self._task is not None:
            await self._task
        if self.error is not None:
            raise self.error

    async def _run(self, agent: Agent, once: bool) -> None:
        try:
            await agent.run(once=once)
        except Exception as error:  # never leave the status saying it is running
            self.error = error
            log.exception("the agent stopped on an unexpected error")
        finally:
            self._state.phase = Phase.STOPPED
            self._state.pass_started = None
            self._changed()

    async def _tick(self) -> None:
        """Time alone turns a lasting fault red and moves a pass's rate: re-derive the
        status every second while there is one of those. This also writes the state
        file's heartbeat, from the same loop the agent runs on, so a stuck loop shows in
        another process as "not responding"; an idle agent wakes only for that."""
        timed = self._timed = asyncio.Event()
        while self.running:
            if self._timing():
                await asyncio.sleep(TICK_SECONDS)
            else:  # until the heartbeat is due, or time starts to matter
                timed.clear()
                due = self._last_written + HEARTBEAT_SECONDS - time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(timed.wait(), min(max(due, 0.0), HEARTBEAT_SECONDS))
            self._changed()

    def _timing(self) -> bool:
        """Whether time alone changes the status now (a fault's grace, a pass's rate)."""
        return self._state.fault is not None or self._state.phase in TIMED_PHASES

    async def stop(self) -> None:
        if self._agent is not None:
            self._agent.request_stop()
        if self._ticker is not None:
            self._ticker.cancel()  # it may be waiting seconds for a heartbeat
        for task in (self._task, self._ticker):
            if task is not None and not task.done():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=30)
        self._task = self._ticker = None

    async def sync_once(self, reconcile: bool = False) -> Status:
        """One full cycle (migrating first if needed), then return; faults raise.

        ``reconcile`` also compares every contact's hash with the service's and repairs
        any drift (otherwise done every ``reconcile_interval``)."""
        agent = self._new_agent()
        agent.on_retry = self._retried
        self._agent = agent
        if reconcile:
            agent.wake(reconcile=True)
        try:
            await agent.run(once=True)
        except FaultPersisted as persisted:
            fault = persisted.fault
            problem, fix = fault.text
            fix = GIVE_UP_FIX.get(fault.reason, fix)  # nothing "keeps retrying" after this
            tried = time.time() - fault.since
            if not fault.immediate and tried >= self.config.retry_for:
                problem = f"Gave up on the sync after trying for {tried:.0f} s. {problem}"
            raise UserFacingError(f"{problem} {fault.detail}".strip(), fix) from None
        finally:
            self._state.phase = Phase.STOPPED
            self._changed()
        return self.status()

    def request_reconcile(self) -> None:
        if self._agent is not None:
            self._agent.wake(reconcile=True)

    async def check_now(self) -> None:
        """One liveness round trip to each side now, each bounded by the liveness timeout:
        Retry now learns within seconds whether the fault is still there, even while the
        service hangs (the status says the outcome)."""
        agent = self._agent
        if agent is not None and self.running:
            await agent.watcher.round()

    async def verify(self) -> Comparison:
        """Desktop against online; each online page is retried until the deadline, so a
        flaky service never turns "identical" into "could not tell" (GaveUp after)."""
        return await compare(self._worker, self._online, self.config.page_size, self._retrying)

    def _retried(self, notice: RetryNotice) -> None:
        """Tell ``on_retry`` and every subscriber (a window's "trying again" line)."""
        if self.on_retry is not None:
            self.on_retry(notice)
        self._events.publish(EngineEvent(EventKind.RETRY, self.status(), notice=notice))

    async def _retrying(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        """One online call of a one-shot method under the one retry policy: transient
        failures are retried until ``config.retry_for`` seconds, then GaveUp."""
        return await run_with_deadline(
            operation,
            what=what,
            retry_for=self.config.retry_for,
            max_backoff=self.config.max_backoff,
            on_retry=self._retried,
        )

    async def aclose(self) -> None:
        await self.stop()
        await self._online.aclose()
        await self._worker.close()

    # -- activation --------------------------------------------------------------------------

    async def preflight(self) -> list[Check]:
        """Every precondition, each with what to do when it fails; never raises."""
        checks: list[Check] = []
        try:
            await self._worker.call(lambda source: source.check_schema())
            settings, employees = await self._worker.call(
                lambda source: (source.practice_settings(), source.employees())
            )
            checks.append(Check(CheckId.DATABASE, True))
            keeper = self.config.credentials.sign_in
            signed_in = await asyncio.to_thread(keeper.load) if keeper else None
            try:
                login = check_practice_login(settings, employees)
                check_signed_in_as(signed_in.email if signed_in else None, login)
                checks.append(Check(CheckId.PRACTICE_LOGIN, True))
            except LoginProblem as login_error:
                checks.append(
                    Check(CheckId.PRACTICE_LOGIN, False, login_error.problem, login_error.fix)
                )
        except (SourceError, SchemaError) as error:
            checks.append(Check(CheckId.DATABASE, False, error.problem, error.fix))
        try:
            await self._retrying(self._online.terms, "the online service check")
            checks.append(Check(CheckId.ONLINE, True))
            checks.append(Check(CheckId.CREDENTIALS, True))
        except CredentialsRejected as error:
            checks.append(Check(CheckId.ONLINE, True))
            checks.append(Check(CheckId.CREDENTIALS, False, error.problem, error.fix))
        except GaveUp as error:
            checks.append(Check(CheckId.ONLINE, False, error.problem, error.fix))
        except OnlineError as error:
            words = REASON_WORDS[Reason.ONLINE_UNREACHABLE]
            checks.append(Check(CheckId.ONLINE, False, error.problem or words.problem, words.fix))
        return checks

    async def terms(self) -> Terms:
        return await self._retrying(self._online.terms, "the Terms of use request")

    async def practice(self) -> PracticeInfo:
        return await self._retrying(self._online.practice, "the practice request")

    async def is_activated(self) -> bool:
        """What every workstation sees: the desktop's record, or the online one."""
        settings = await self._worker.call(lambda source: source.practice_settings())
        if is_set(settings, PracticeSetting.CONTACTS_MIGRATION_ACTIVATED):
            return True
        try:
            return (await self.practice()).activated
        except OnlineError:
            return False

    async def needs_terms(self) -> bool:
        settings = await self._worker.call(lambda source: source.practice_settings())
        if is_set(settings, PracticeSetting.LIVE_ACTIVATED):
            return False
        return not (await self.practice()).live_activated

    async def activate(self, *, accepted_terms: str | None, accepted_by: str) -> Activation:
        """Turn Contacts Migration on for the practice, for good.

        ``accepted_terms`` is the Terms of use version the person agreed to; it is needed
        only while AE/AO Live was never activated, and must be the current one.
        """
        failed = [check for check in await self.preflight() if not check.ok]
        if failed:
            raise PreflightFailed(failed)
        practice = await self.practice()
        terms = await self.terms()
        if await self.needs_terms() and accepted_terms != terms.version:
            raise TermsNotAccepted(terms.title, terms.version)
        newly = not practice.activated
        practice = await self._retrying(  # the service answers a repeat with the same record
            lambda: self._online.activate(terms.version, accepted_by, self.config.machine),
            "the activation",
        )
        settings = await self._worker.call(lambda source: source.practice_settings())
        record = {
            PracticeSetting.LIVE_ACTIVATED.value: SETTING_TRUE,
            PracticeSetting.CONTACTS_MIGRATION_ACTIVATED.value: SETTING_TRUE,
            PracticeSetting.CONTACTS_MIGRATION_ACTIVATED_AT.value: practice.activated_at
            or datetime.now(UTC).isoformat(timespec="seconds"),
            PracticeSetting.CONTACTS_MIGRATION_ACTIVATED_BY.value: practice.activated_by
            or accepted_by,
            PracticeSetting.CONTACTS_MIGRATION_MACHINE.value: practice.machine
            or self.config.machine,
        }
        missing = {k: v for k, v in record.items() if settings.get(k) != v}
        if missing:
            await self._worker.call(lambda source: source.write_practice_settings(missing))
        log.info("Contacts Migration activated by %s on %s", accepted_by, self.config.machine)
        return Activation(practice, terms.version, newly)
