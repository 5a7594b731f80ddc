"""The upload path: pages of contacts become compressed batches, several in flight.

Why it is shaped like this: a practice uploads over its own internet link (5-20 Mbit/s
up, 20-60 ms away), so the link, not the database, sets the pace. Reading the next page,
assembling, encoding and compressing a batch (in a worker thread) all overlap the upload
of the batches before it, and up to :data:`WINDOW` batches are in flight at once so the
link keeps sending while the service processes a batch.

How that stays safe (the contract change, see ``sandbox.app.Api._wait_for_base``): each
batch's compare-and-set ``base_checkpoint`` is the checkpoint of the batch before it; a
batch sent while that one is unanswered carries ``Checkpoint-Wait`` and the service holds
it until its base is current, then applies it exactly as before (all or nothing, the
checkpoint moved in the same transaction, never ahead of the data). Answers are settled
strictly in order. When a batch fails (too large, a refused contact, a checkpoint that
moved), the ones behind it are cancelled, the failed one is handled alone exactly as a
single batch always was, and the ones behind it are sent again with the same
``Idempotency-Key`` and body, so one the service applied meanwhile is only replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, TypeVar

from engine.errors import CheckpointConflict, InvalidDocuments, PayloadTooLarge
from engine.local.config import EngineConfig
from engine.online.client import OnlineClient, encode_batch
from engine.online.compression import ZSTD_LEVEL, ContentEncoding, EncodedBody, compress
from engine.status.model import EngineState
from engine.sync.checkpoint import Checkpoint
from engine.sync.coding import Coding, CodingChooser, Role
from engine.sync.counters import Counters
from engine.sync.failpoints import Failpoint, reached
from engine.sync.memory import few_collections, trim
from engine.sync.pacing import LinkMeter, quick_switches
from engine.sync.page_work import (
    BODY,
    ID,
    Item,
    PageWork,
    all_upserts,
    byte_offsets,
    fitting,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Batches in flight at once to a far service (it holds the later ones until their base
#: is in; up to 8 a client). With the client, the link and the service each taking
#: ~45 ms a batch at 20 Mbit/s, 3 left the link idle whenever one of them was slow for a
#: moment: pinned at load ~6, the link waited 8.2-12.7 s for answers with 3, 2.4-3.8 s
#: with 5 (24.4 / 16.8 / 24.4 s against 19.7 / 15.3 / 13.0 s, alternating).
WINDOW: Final = 5
#: A near service (the loopback, a LAN: no link latency to cover) keeps the 3 it was
#: measured with: there, client and service share the CPU and waiting batches only cost.
NEAR_WINDOW: Final = 3
#: How long the service may hold a pipelined batch for the one before it.
CHECKPOINT_WAIT_SECONDS: Final = 20.0
#: Settled batches between two hand-backs of freed heap pages (engine.sync.memory.trim).
TRIM_EVERY: Final = 8
#: Each batch on the wire, for the log (and the WAN benchmark's timeline): wire bytes,
#: plain bytes, zstd level (0: none), then pipelined or not / seconds to the answer.
BATCH_SENT: Final = "batch sent: %d bytes (%d plain, level %d), pipelined %s"
BATCH_ANSWERED: Final = "batch answered: %d bytes (%d plain, level %d) in %.3f s"


class Guard(Protocol):
    """The agent's retry policy (``Agent._guarded``): retries what a retry can fix."""

    def __call__(self, operation: Callable[[], Awaitable[T]]) -> Awaitable[T]: ...


@dataclass
class Batch:
    items: list[Item]
    target: Checkpoint
    #: The pass checkpoint a part of this batch advances when it has to be split.
    progress: Checkpoint
    #: The compare-and-set base: the checkpoint the batch before it leaves online.
    base: str | None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    body: EncodedBody | None = None
    #: None: the chooser's settled choice (batches sent alone never probe).
    coding: Coding | None = None
    #: ``time.monotonic()`` when the service answered it (None: not yet).
    answered: float | None = None

    @property
    def upserts(self) -> list[Item]:
        items = self.items
        return items if all_upserts(items) else [item for item in items if item.body is not None]

    @property
    def deletes(self) -> list[int]:
        items = self.items
        return (
            [] if all_upserts(items) else [item.contact_id for item in items if item.body is None]
        )


class Uploader:
    """Sends pages of changes as pipelined, compressed, all-or-nothing batches."""

    def __init__(
        self,
        config: EngineConfig,
        state: EngineState,
        online: OnlineClient,
        counters: Counters,
        guarded: Guard,
        position: Callable[[], tuple[int, str | None]],
        before_post: Callable[[], Awaitable[None]],
        accepted: Callable[[Checkpoint, Sequence[int], Sequence[int]], None],
        changed: Callable[[], None],
    ) -> None:
        """``position`` gives (epoch, checkpoint text online); ``before_post`` checks the
        single-agent lock; ``accepted`` records a batch the service applied."""
        self._config = config
        self._state = state
        self._online = online
        self._counters = counters
        self._guarded = guarded
        self._position = position
        self._before_post = before_post
        self._accepted = accepted
        self._changed = changed
        self.meter = LinkMeter(config.batch_bytes)
        self.coding = CodingChooser()
        self._settled = 0

    # -- one batch on the wire --------------------------------------------------------

    async def _encode(self, batch: Batch) -> EncodedBody:
        if batch.body is None:
            epoch = self._position()[0]
            offered = self._online.request_encoding
            coding = batch.coding or self.coding.decided or Coding(offered, ZSTD_LEVEL)
            if coding.encoding not in (offered, ContentEncoding.IDENTITY):
                coding = Coding(offered, ZSTD_LEVEL)  # not one the service takes (now)
            bodies = list(map(BODY, batch.upserts))
            deletes = batch.deletes
            target = batch.target.encode()

            def build() -> None:
                # set here, not returned: a finished executor future can linger in a
                # reference cycle until a full collection, and must not hold the body
                plain = encode_batch(epoch, batch.base, target, bodies, deletes)
                batch.body = compress(plain, coding.encoding, coding.level or ZSTD_LEVEL)

            await asyncio.to_thread(build)
            assert batch.body is not None
        return batch.body

    async def _post(self, batch: Batch, pipelined: bool) -> None:
        body = await self._encode(batch)

        async def post() -> None:
            await self._before_post()
            reached(Failpoint.BEFORE_BATCH)
            self._counters.batch_attempts += 1
            self._counters.contacts_sent += len(batch.items)
            self._counters.bytes_sent += body.raw_size
            self._counters.batches_pipelined += pipelined
            started = time.monotonic()
            log.debug(BATCH_SENT, len(body.content), body.raw_size, body.level, pipelined)
            await self._online.post_encoded_batch(
                body,
                batch.key,
                batch.target.encode(),
                wait_seconds=CHECKPOINT_WAIT_SECONDS if pipelined else None,
            )
            batch.answered = time.monotonic()
            seconds = batch.answered - started
            log.debug(BATCH_ANSWERED, len(body.content), body.raw_size, body.level, seconds)
            if not pipelined:
                self.meter.sent_alone(seconds)
                self.coding.round_trip(seconds)

        await self._guarded(post)

    def _record(self, batch: Batch, busy: bool = False) -> None:
        reached(Failpoint.AFTER_BATCH_ACCEPTED)
        body = batch.body
        if body is not None:
            self._state.bytes_done += body.raw_size
            self._state.wire_bytes_done += len(body.content)
            gap = self.meter.settled(len(body.content), body.raw_size, busy, batch.answered)
            coding = batch.coding or Coding(body.encoding, body.level)
            self.coding.settled(coding, len(body.content), body.raw_size, body.cpu_seconds, gap)
        self._accepted(batch.target, list(map(ID, batch.upserts)), batch.deletes)
        if self._state.rate_from is None and self._state.pass_started is not None:
            self._state.rate_from = time.time()
            self._state.rate_from_done = self._state.done

    # -- one batch alone: the contract as it always was --------------------------------

    async def send(self, items: list[Item], target: Checkpoint, progress: Checkpoint) -> None:
        """One all-or-nothing batch; splits on 413, sets aside what the service refuses.

        ``progress`` is the checkpoint a partial batch advances (the pass in progress).
        """
        base = self._position()[1]
        if not items and target.encode() == base:
            return
        await self._send_alone(Batch(items, target, progress, base))

    async def _send_alone(self, batch: Batch) -> None:
        try:
            await self._post(batch, pipelined=False)
        except (PayloadTooLarge, InvalidDocuments, CheckpointConflict) as error:
            await self._recover(batch, error, pipelined=False)
            return
        self._record(batch)

    async def _recover(self, batch: Batch, error: Exception, pipelined: bool) -> None:
        """Handle a failed batch alone; it is the oldest unsettled one, so the checkpoint
        online is its base (or its target, when only the answer was lost)."""
        items, target, progress = batch.items, batch.target, batch.progress
        if isinstance(error, PayloadTooLarge):
            if len(items) == 1:
                self._state.set_aside[items[0].contact_id] = (
                    "the contact is larger than the online service accepts"
                )
                await self.send([], target, progress)
                return
            half = len(items) // 2
            first = progress.advanced(items[half - 1].contact_id) if progress.in_pass else progress
            await self.send(items[:half], first, progress)
            await self.send(items[half:], target, progress)
            return
        if isinstance(error, InvalidDocuments):
            rejected = {int(i) for i in error.problems if i.isdigit()}
            for contact_id in rejected:
                self._state.set_aside[contact_id] = "; ".join(
                    error.problems.get(str(contact_id), ["refused by the online service"])
                )
            self._changed()
            remaining = [item for item in items if item.contact_id not in rejected]
            if len(remaining) == len(items):
                raise error
            await self.send(remaining, target, progress)
            return
        state = await self._guarded(self._online.sync_state)
        if state.checkpoint == target.encode():
            self._record(batch)  # applied; only its answer was lost
            return
        if pipelined and state.checkpoint == batch.base:
            # held too long for the batch before it; that one is in now: send it again
            await self._send_alone(batch)
            return
        raise error

    # -- a stream of pages: pipelined -------------------------------------------------

    async def upload(
        self,
        pages: AsyncIterator[PageWork],
        checkpoint: Checkpoint,
        finish: Checkpoint,
    ) -> None:
        """Send pages in byte-sized batches, several in flight, settled in order.

        Inside a pass each batch carries the pass checkpoint advanced to its last
        contact, and the last batch carries ``finish``; outside a pass (repairs) every
        batch keeps the checkpoint as it is.
        """
        # pages of documents: short-lived, freed by refcount; the loop's turn comes soon
        self.coding.round_trip(self._online.round_trip)
        far = self.coding.far
        switches = quick_switches() if far else contextlib.nullcontext()
        with few_collections(), switches:
            await self._upload(pages, checkpoint, finish, WINDOW if far else NEAR_WINDOW)

    async def _upload(
        self,
        pages: AsyncIterator[PageWork],
        checkpoint: Checkpoint,
        finish: Checkpoint,
        window: int,
    ) -> None:
        queue: asyncio.Queue[PageWork | BaseException | None] = asyncio.Queue(maxsize=2)

        async def produce() -> None:
            try:
                async for work in pages:
                    work.offsets = work.offsets or byte_offsets(work.items)
                    self.coding.produced(work.offsets[-1])
                    await queue.put(work)
            except Exception as error:  # handed to the consumer, which raises it
                await queue.put(error)
                return
            await queue.put(None)

        producer = asyncio.create_task(produce())
        flight: deque[tuple[Batch, asyncio.Task[None]]] = deque()
        chain = self._position()[1]
        #: Since the last post: when the window had room (None: it was full) or else the
        #: batch whose answer frees a slot.
        room_since: float | None = None
        oldest: Batch | None = None

        async def launch(items: list[Item], target: Checkpoint) -> None:
            nonlocal chain, room_since, oldest
            if not items and target.encode() == chain:
                return
            batch = Batch(items, target, checkpoint, chain)
            batch.coding = self.coding.next(self._online.request_encoding)
            chain = target.encode()
            if batch.coding.role is not Role.NORMAL:  # a measurement: alone, pipeline idle
                while flight:
                    await self._settle(flight)
                started = time.monotonic()
                await self._send_alone(batch)
                wire = len(batch.body.content) if batch.body is not None else 0
                self.coding.timed(batch.coding, wire, time.monotonic() - started)
                room_since = oldest = None  # the pipeline was emptied on purpose
                return
            # encoded while the window is still full, in a thread: the moment an answer
            # frees a slot, this batch goes (the link never waits for its compression)
            await self._encode(batch)
            encoded = time.monotonic()
            while len(flight) >= window:
                await self._settle(flight)
            posted = time.monotonic()
            # what the stream waited for since the last post: a free slot in the window
            # (the link or the service) or, with a slot free, this batch (the client)
            free = room_since if oldest is None else oldest.answered
            starved = encoded - free if free is not None and free < encoded else 0.0
            self.coding.waited(posted - encoded, starved)
            flight.append((batch, asyncio.create_task(self._post(batch, bool(flight)))))
            room_since, oldest = (posted, None) if len(flight) < window else (None, flight[0][0])

        try:
            pending: list[Item] = []
            pending_bytes = 0
            limit = self._batch_limit()
            while True:
                work = await queue.get()
                if work is None:
                    break
                if isinstance(work, BaseException):
                    raise work
                self._note_set_aside(work)
                items, work.items = work.items, []  # the worker's future may outlive it
                offsets, work.offsets = work.offsets or byte_offsets(items), None
                work.cleared.clear()
                start, end = 0, len(items)
                while start < end:
                    fit = fitting(offsets, start, limit - pending_bytes, not pending)
                    if fit > start:
                        pending.extend(items[start:fit])
                        pending_bytes += offsets[fit] - offsets[start]
                        start = fit
                    else:  # the next one doesn't fit: what is pending goes
                        target = (
                            checkpoint.advanced(pending[-1].contact_id)
                            if checkpoint.in_pass
                            else checkpoint
                        )
                        await launch(pending, target)
                        pending, pending_bytes = [], 0
                        limit = self._batch_limit()
            await launch(pending, finish)
            while flight:
                await self._settle(flight)
        finally:
            await _cancel([task for _, task in flight])
            flight.clear()
            if not producer.done():
                producer.cancel()
                try:
                    await producer
                except (asyncio.CancelledError, Exception):
                    log.debug("page reader stopped", exc_info=True)

    def _batch_limit(self) -> int:
        """The next batch's plain size: the meter's, or a probe's (small) while the
        coding is being chosen."""
        limit = self.meter.batch_bytes()
        probe = self.coding.probe_bytes()
        return limit if probe is None else min(limit, probe)

    async def _settle(self, flight: deque[tuple[Batch, asyncio.Task[None]]]) -> None:
        """Wait for the oldest batch in flight and record it; on a failure, handle it
        alone and send the ones behind it again (same keys, same bodies)."""
        batch, task = flight[0]
        try:
            await task
        except (PayloadTooLarge, InvalidDocuments, CheckpointConflict) as error:
            flight.popleft()
            behind = [queued for queued, _ in flight]
            await _cancel([running for _, running in flight])
            flight.clear()
            log.info("batch needs handling alone (%s); %d behind it resent", error, len(behind))
            await self._recover(batch, error, pipelined=True)
            for later in behind:
                flight.append((later, asyncio.create_task(self._post(later, bool(flight)))))
            return
        flight.popleft()
        self._record(batch, busy=bool(flight))
        batch.items, batch.body = [], None  # settled: nothing of it is needed again
        self._settled += 1
        if self._settled % TRIM_EVERY == 0:
            trim()
        # Answers often land together; a finished task's await does not yield, so give the
        # loop (a GUI's, too) its turn between them.
        await asyncio.sleep(0)

    def _note_set_aside(self, work: PageWork) -> None:
        if self._state.set_aside:  # (a first migration: nothing to clear, per contact)
            for contact_id in work.cleared:
                self._state.set_aside.pop(contact_id, None)
        if work.set_aside:
            for contact_id, reason in work.set_aside.items():
                log.warning("contact %d set aside: %s", contact_id, reason)
            self._state.set_aside.update(work.set_aside)
            self._changed()


async def _cancel(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
