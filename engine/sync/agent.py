"""The sync agent: migrates every contact, then keeps the online copy equal to the desktop.

How nothing is lost:
- The checkpoint (see :mod:`engine.sync.checkpoint`) lives online and moves only in the same
  all-or-nothing request as the data it covers (compare-and-set on ``base_checkpoint``),
  so a kill at any moment resumes from exactly what the service holds.
- Only the holder of the single-agent lock writes, and the online epoch fences off any
  agent that lost its turn without noticing.
- Changes are found by row version bounded by the lowest version still in flight;
  deleted contacts by count; anything else missed by the periodic reconciliation, which
  compares every contact's hash with the service's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, TypeVar

from engine.errors import CheckpointConflict, NotActivated, SourceError, StaleEpoch
from engine.local.config import EngineConfig
from engine.online.client import OnlineClient
from engine.sources.base import AgentLock
from engine.status.health import Channel, Health
from engine.status.model import EngineState, Phase, Reason
from engine.sync.checkpoint import Checkpoint
from engine.sync.consistency import compare, online_position
from engine.sync.control import FaultPersisted, LeaseLost, LockLost, Stopping
from engine.sync.counters import Counters
from engine.sync.id_set import IdSet
from engine.sync.liveness import LeaseHolder, Watcher, ask_lease_holder, lease_lost_text
from engine.sync.login_check import LoginCheck
from engine.sync.memory import release_memory
from engine.sync.pass_reader import PageReader
from engine.sync.retry import RetryListener, RetryNotice, backoff, classify
from engine.sync.source_worker import Seen, SourceWorker
from engine.sync.uploader import Uploader

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds between looks at a source whose change token makes a look nearly free.
QUICK_POLL: Final = 0.2


class Agent:
    #: Told of each retry in one-shot mode (``sync --once`` shows them on the terminal).
    on_retry: RetryListener | None = None

    def __init__(
        self,
        config: EngineConfig,
        state: EngineState,
        online: OnlineClient,
        worker: SourceWorker,
        lock: AgentLock,
        changed: Callable[[], None],
        batch_done: Callable[[int, int], None],
        counters: Counters | None = None,
    ) -> None:
        self.counters = counters or Counters()
        self._config = config
        self._state = state
        self._online = online
        self._worker = worker
        self._lock = lock
        self._changed = changed
        self._batch_done = batch_done
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._epoch = 0
        self._checkpoint = Checkpoint()
        #: The checkpoint exactly as the service holds it (compare-and-set base).
        self._checkpoint_text: str | None = None
        self._known = IdSet()
        self._next_reconcile = time.monotonic() + config.reconcile_interval
        self._reconcile_requested = False
        self._fail_fast = False
        #: The database's change token when the last full cycle began.
        self._quiet_token: int | None = None
        #: What a watch saw last, for the cycle it ended (None: read the token again).
        self._seen: Seen | SourceError | None = None
        self._login = LoginCheck(worker, state, changed, self.counters)
        self._next_login_check = 0.0
        self.health = Health(state, changed)
        #: Wall time as of which the desktop's changes were all online (a full cycle's
        #: start, or a quiet cycle's check that nothing was written since).
        self._desktop_as_of: float | None = None
        #: Set by the liveness watch; the main loop acts on them at its next step.
        self._lease_holder: LeaseHolder | None = None
        self._lock_lost = False
        self.watcher = Watcher(
            self.health,
            online,
            self._probe_database,
            lambda: self._epoch,
            self._on_lease_lost,
            self._on_recovered,
            interval=config.liveness_interval,
            timeout=config.liveness_timeout,
        )
        self._pages = PageReader(worker, config.page_size, lambda: self._known)
        self._uploader = Uploader(
            config,
            state,
            online,
            self.counters,
            self._guarded,
            lambda: (self._epoch, self._checkpoint_text),
            self._still_holding_lock,
            self._accepted,
            changed,
        )

    # -- control -----------------------------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()
        self._wake_up()

    def wake(self, reconcile: bool = False) -> None:
        self._reconcile_requested = self._reconcile_requested or reconcile
        self._wake_up()

    def _wake_up(self) -> None:  # a sleep or a watch of the database ends now
        self._wake.set()
        self._worker.interrupt()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, cut short by a stop or a wake-up; raises Stopping on stop."""
        if self._stop.is_set():
            raise Stopping
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(seconds, 0.0))
        if self._stop.is_set():
            raise Stopping

    def _set_phase(self, phase: Phase) -> None:
        if self._state.phase is not phase:
            self._state.phase = phase
            self._changed()

    def _set_fault(self, reason: Reason, detail: str, immediate: bool = False) -> None:
        """Called from ``except`` blocks: the error being handled says what was actually
        observed (refused, no network, a proxy...), so the words fit it."""
        self.health.fault(reason, detail, immediate=immediate, error=sys.exc_info()[1])

    def _clear_fault(self) -> None:
        """After an operation succeeded: clear only the faults of a side that answered a
        round trip begun after the fault was last seen (a database-only step proves
        nothing about the service)."""
        self._note_round_trips()
        if self.health.settle():
            self._update_last_sync()
        if self.health.clear:
            self.health.next_try(None)

    def _note_round_trips(self) -> None:
        self.health.confirmed(Channel.ONLINE, self._online.answered_at)
        self.health.confirmed(Channel.DATABASE, self._worker.answered_at)

    def _on_recovered(self) -> None:
        """A side is back: retry now instead of at the end of a backoff."""
        self._update_last_sync()
        self._wake_up()

    def _on_lease_lost(self, holder: LeaseHolder) -> None:
        self._lease_holder = holder
        message, detail = lease_lost_text(holder.machine)
        self.health.fault(Reason.LEASE_LOST, detail, immediate=True, message=message)
        self._wake_up()

    async def _probe_database(self) -> None:
        """The liveness query: the login check (schema, settings, employees), and that
        the single-agent lock's session is still there."""
        await self._check_login()
        if self._epoch and not await asyncio.to_thread(self._lock.is_held):
            self._lock_lost = True
            self._wake_up()

    def _update_last_sync(self) -> None:
        """ "Last successful sync": as of when the online copy was confirmed equal to the
        desktop, by a round trip to each side; it never moves while a side is failing."""
        self._note_round_trips()
        online = self.health.confirmed_at(Channel.ONLINE)
        if (
            self._desktop_as_of is None
            or online is None
            or not self.health.clear
            or self._state.phase is not Phase.IDLE
        ):
            return
        as_of = min(self._desktop_as_of, time.time() - (time.monotonic() - online))
        if self._state.last_sync_at is None or as_of > self._state.last_sync_at:
            self._state.last_sync_at = as_of
            self._changed()  # shown now, not at the status's next heartbeat

    # -- the retry policy: one place decides what each failure means ---------------------

    async def _guarded(self, operation: Callable[[], Awaitable[T]]) -> T:
        """``operation()`` until it succeeds, each failure turned into the status fault
        :func:`engine.sync.retry.classify` says it is. In one-shot mode a fault a retry can't
        fix, or one that lasted ``retry_for`` seconds, ends the run (FaultPersisted)."""
        attempt = 0
        while True:
            if self._stop.is_set():
                raise Stopping
            try:
                result = await operation()
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
                self._set_fault(failure.reason, failure.detail, immediate=failure.immediate)
            else:
                self._clear_fault()
                return result
            fault = self._state.fault
            if (
                self._fail_fast
                and fault is not None
                and (
                    fault.immediate
                    or not failure.transient
                    or time.time() - fault.since >= self._config.retry_for
                )
            ):
                raise FaultPersisted(fault)
            wait = backoff(attempt, self._config.max_backoff, failure.retry_after)
            attempt += 1
            self.counters.retries += 1
            if self.on_retry is not None and fault is not None:
                elapsed = time.time() - fault.since
                self.on_retry(
                    RetryNotice("the sync", failure, attempt, elapsed, wait, self._config.retry_for)
                )
            self.health.next_try(time.time() + wait)
            self._changed()
            await self._sleep(wait)

    # -- the main loop -------------------------------------------------------------------

    async def run(self, once: bool = False) -> None:
        self._fail_fast = once
        watch = None if once else asyncio.create_task(self.watcher.run(self._stop))
        try:
            while True:
                await self._take_lock()
                try:
                    await self._serve(once)
                    return
                except LockLost:
                    self._set_fault(
                        Reason.DATABASE_UNREACHABLE,
                        "The database session that held the agent lock ended.",
                    )
                    await self._end_session()
                    await self._sleep(self._config.standby_poll)
                except (StaleEpoch, LeaseLost):
                    holder = self._lease_holder or await ask_lease_holder(
                        self._online, self._config.liveness_timeout
                    )
                    self._on_lease_lost(holder)
                    await self._end_session()
                    await self._sleep(self._config.standby_poll * 5)
        except Stopping:
            pass
        finally:
            if watch is not None:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
            await self._release_lock()

    async def _end_session(self) -> None:
        self._epoch = 0
        self._lease_holder = None
        self._lock_lost = False
        await self._release_lock()

    async def _release_lock(self) -> None:
        try:
            await asyncio.to_thread(self._lock.release)
        except Exception:  # the session ends with the connection anyway
            log.warning("releasing the single-agent lock failed", exc_info=True)

    async def _take_lock(self) -> None:
        """Wait as standby until this agent holds the lock. Lock calls may wait on a
        database server, so they run off the event loop, and an unreachable server is a
        fault retried like any other, not the end of the agent."""
        while not await self._guarded(lambda: asyncio.to_thread(self._lock.try_acquire)):
            self._set_phase(Phase.STANDBY)
            await self._sleep(self._config.standby_poll)
        log.info("holding the single-agent lock")

    async def _still_holding_lock(self) -> None:
        """Before each checkpoint: a lock lost with its session (a server restart, a
        killed connection) means another agent may already be writing."""
        if not await asyncio.to_thread(self._lock.is_held):
            log.warning("the single-agent lock was lost; stopping writes")
            raise LockLost()

    async def _serve(self, once: bool) -> None:
        self._set_phase(Phase.STARTING)
        await self._guarded(self._check_login)
        await self._guarded(self._start_session)
        while True:
            try:
                await self._guarded(self._cycle)
            except CheckpointConflict:
                log.info("the online checkpoint moved; reloading it")
                await self._guarded(self._reload)
                continue
            if once:
                return
            if self._quiet_token is not None and not self._checkpoint.in_pass:
                await self._watch()
            else:  # no change token (the ODBC sources): the next cycle is the look
                await self._sleep(self._config.poll_interval)

    async def _watch(self) -> None:
        """Until the change token moves (looked at every QUICK_POLL s in the database's
        thread: the loop sleeps meanwhile), a wake-up, or one poll interval."""
        if self._stop.is_set():
            raise Stopping
        self._wake.clear()
        seconds = min(self._config.poll_interval, self._next_reconcile - time.monotonic())
        self._seen = await self._worker.watch(self._quiet_token, max(seconds, 0.0), QUICK_POLL)
        if self._stop.is_set():
            raise Stopping

    async def _start_session(self) -> None:
        practice = await self._online.practice()
        if not practice.activated:
            raise NotActivated()
        self._epoch = await self._online.lease(self._config.agent_id, self._config.machine)
        self._lease_holder = None
        self.health.forget(Channel.LEASE)
        log.info("lease taken, epoch %d", self._epoch)
        await self._reload()

    async def _reload(self) -> None:
        """Take the checkpoint and the set of online ids from the service itself."""
        state, known = await online_position(self._online)
        if state.epoch != self._epoch:
            raise LeaseLost()
        self._checkpoint = Checkpoint.decode(state.checkpoint)
        self._checkpoint_text = state.checkpoint
        self._known = known
        self._state.online_count = len(known)
        self._changed()

    async def _check_login(self) -> None:
        """The login check (engine.sync.login_check), proof of the LOGIN channel."""
        started = time.monotonic()
        self._reconcile_requested |= await self._login.run()
        self.health.confirmed(Channel.LOGIN, started)
        self._next_login_check = time.monotonic() + self._config.login_check_interval

    async def _cycle(self) -> None:
        self.counters.cycles += 1
        if self._lease_holder is not None:
            raise LeaseLost()
        if self._lock_lost:
            raise LockLost()
        seen, self._seen = self._seen, None  # the token as a watch just read it, or now
        if isinstance(seen, SourceError):
            raise seen  # the watch's look failed (a lock held too long...)
        now = time.monotonic()
        if now >= self._next_login_check:
            await self._check_login()
        as_of = seen.wall if seen else time.time()
        token = seen.token if seen else await self._worker.call(lambda s: s.change_token())
        quiet = (
            token is not None
            and token == self._quiet_token
            and not self._checkpoint.in_pass
            and not self._reconcile_requested
            and now < self._next_reconcile
        )
        if quiet:  # nobody wrote since the last full cycle: nothing can have changed
            self._set_phase(Phase.IDLE)
            self._desktop_as_of = as_of
            self._update_last_sync()
            return
        await self._full_cycle()
        self._quiet_token = token

    async def _full_cycle(self) -> None:
        as_of = time.time()
        watermark, digest = await self._worker.call(
            lambda source: (source.watermark(), source.lookup_digest())
        )
        checkpoint = self._checkpoint
        if checkpoint.migrated and not checkpoint.in_pass and checkpoint.lookups != digest:
            log.info("employees or extra-field definitions changed; reconciling")
            await self.reconcile()
            await self._uploader.send([], checkpoint.with_lookups(digest), checkpoint)
            checkpoint = self._checkpoint
        if checkpoint.in_pass:
            # A pass another run started (resumed after a kill) stops at the watermark it
            # began with; changes made since are caught by the pass started just below,
            # in this same cycle, so even one cycle (``sync --once``) leaves nothing behind.
            await self._run_pass(checkpoint)
            checkpoint = self._checkpoint
        if checkpoint.since is None or watermark > checkpoint.since:
            await self._run_pass(checkpoint.start_pass(watermark, digest))
        await self._detect_deletes()
        if self._reconcile_requested or time.monotonic() >= self._next_reconcile:
            await self.reconcile()
        self._set_phase(Phase.IDLE)
        self._desktop_as_of = as_of
        self._update_last_sync()

    # -- passes ----------------------------------------------------------------------------

    async def _run_pass(self, checkpoint: Checkpoint) -> None:
        full = not checkpoint.migrated
        self._state.phase = Phase.MIGRATING if full else Phase.CATCHING_UP
        self._state.done = 0
        self._state.bytes_done = self._state.wire_bytes_done = 0
        self._state.rate_from = None
        self._state.pass_started = time.time()
        if full:
            self._state.total = await self._worker.call(lambda source: source.contact_count())
        else:
            self._state.total = 0
        self._changed()
        pages = self._pages.pass_pages(checkpoint, self._counted)
        await self._uploader.upload(pages, checkpoint, finish=checkpoint.finished())
        self._state.pass_started = None
        if full:
            release_memory()

    def _counted(self, contacts: int) -> None:
        """A changes pass read a page of this many contacts: its total grows."""
        self._state.total += contacts

    def _accepted(self, target: Checkpoint, upserts: Sequence[int], deletes: Sequence[int]) -> None:
        """The service applied a batch: its checkpoint and contacts are online."""
        self._checkpoint = target
        self._checkpoint_text = target.encode()
        for contact_id in deletes:
            self._known.discard(contact_id)
            self._state.set_aside.pop(contact_id, None)
        self._known.update(upserts)
        self._state.online_count = len(self._known)
        self._state.done += len(upserts) + len(deletes)
        self.counters.batches_accepted += 1
        self._batch_done(len(upserts), len(deletes))
        self._changed()

    # -- deletes and reconciliation ------------------------------------------------------

    async def _detect_deletes(self) -> None:
        known, set_aside = self._known, self._state.set_aside
        held = len(known) + sum(1 for i in set_aside if i not in known)
        desktop = await self._pages.desktop_ids(held)
        if desktop is None:
            return
        gone = [i for i in known if i not in desktop]
        for contact_id in list(self._state.set_aside):
            if contact_id not in desktop:
                del self._state.set_aside[contact_id]
        missing = sorted(i for i in desktop if i not in known and i not in set_aside)
        if gone or missing:
            log.info("found %d deleted and %d unsent contacts", len(gone), len(missing))
            pages = self._pages.id_pages(missing, gone, self._checkpoint.after)
            await self._uploader.upload(pages, self._checkpoint, self._checkpoint)

    async def reconcile(self) -> None:
        """Compare every contact's hash with the service's and repair any difference."""
        self._reconcile_requested = False
        self._next_reconcile = time.monotonic() + self._config.reconcile_interval
        self.counters.reconciliations += 1
        report = await compare(self._worker, self._online, self._config.page_size)
        self._known = report.online_ids
        self._state.online_count = len(self._known)
        repair = [
            i for i in sorted({*report.lost, *report.stale}) if i not in self._state.set_aside
        ]
        if repair or report.extra:
            log.warning(
                "reconciliation repairs %d missing, %d out-of-date and %d deleted contacts",
                len(report.lost),
                len(report.stale),
                len(report.extra),
            )
            pages = self._pages.id_pages(repair, report.extra, self._checkpoint.after)
            await self._uploader.upload(pages, self._checkpoint, self._checkpoint)
        release_memory()
