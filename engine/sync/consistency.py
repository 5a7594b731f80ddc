"""The consistency checker: desktop against online, contact by contact, by hash.

``verify`` reports what it finds; the agent's reconciliation repairs it. Both sides are
walked in ascending id order at once (a merge join), so memory holds one page of
documents and the id lists, never the whole practice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from engine.contract.canonical import contact_hash
from engine.online.client import HASH_PAGE_SIZE, OnlineClient, OnlineSyncState
from engine.sources.base import Source
from engine.sync.failpoints import Failpoint, reached
from engine.sync.id_set import IdSet
from engine.sync.source_worker import SourceWorker

_END = 1 << 62

T = TypeVar("T")


class Runner(Protocol):
    """Runs one online call the way its caller retries (see :mod:`engine.sync.retry`)."""

    def __call__(self, operation: Callable[[], Awaitable[T]], what: str) -> Awaitable[T]: ...


async def _once(operation: Callable[[], Awaitable[T]], what: str) -> T:
    """No retry here: the agent retries its whole reconciliation itself."""
    return await operation()


@dataclass
class Comparison:
    desktop_count: int = 0
    online_count: int = 0
    lost: list[int] = field(default_factory=list)  # on the desktop, not online
    extra: list[int] = field(default_factory=list)  # online, not on the desktop
    stale: list[int] = field(default_factory=list)  # online, but not equal to the desktop
    duplicated: list[int] = field(default_factory=list)  # online more than once
    online_ids: IdSet = field(default_factory=IdSet)

    @property
    def identical(self) -> bool:
        return not (self.lost or self.extra or self.stale or self.duplicated)

    def summary(self) -> str:
        if self.identical:
            return f"Identical: {self.desktop_count} contacts on the desktop and online."
        return (
            f"Different: {len(self.lost)} missing online, {len(self.stale)} out of date "
            f"online, {len(self.extra)} online but deleted on the desktop, "
            f"{len(self.duplicated)} online more than once "
            f"({self.desktop_count} on the desktop, {self.online_count} online)."
        )


async def desktop_hashes(worker: SourceWorker, page_size: int) -> AsyncIterator[tuple[int, str]]:
    after = 0
    while True:

        def read(source: Source, start: int = after) -> tuple[int | None, list[tuple[int, str]]]:
            page = source.read_page(start, page_size)
            return page.last_id, [(int(doc["id"]), contact_hash(doc)) for doc in page.documents]

        reached(Failpoint.DURING_RECONCILE)
        last_id, hashes = await worker.call(read)
        if last_id is None:
            return
        for pair in hashes:
            yield pair
        after = last_id


async def online_hashes(
    online: OnlineClient, run: Runner, page_size: int = HASH_PAGE_SIZE
) -> AsyncIterator[tuple[int, str]]:
    """Every online (id, hash) in id order; each page is retried on its own by ``run``,
    so a dropped connection costs one page, never the comparison."""
    after: int | None = None
    while True:

        def fetch(start: int | None = after) -> Awaitable[list[tuple[int, str]]]:
            return online.hash_page(start, page_size)

        page = await run(fetch, "the online hash listing")
        for pair in page:
            yield pair
        if len(page) < page_size:
            return
        after = page[-1][0]


async def online_position(online: OnlineClient) -> tuple[OnlineSyncState, IdSet]:
    """The service's sync state and every id it holds, asked at once: under the agent's
    lease nothing else writes, so their order is free, and the first batch waits one
    round trip less."""
    known = IdSet()

    async def listing() -> None:
        async for contact_id, _ in online.iter_hashes():
            known.add(contact_id)

    hashes = asyncio.create_task(listing())
    try:
        state = await online.sync_state()
        await hashes
    finally:
        hashes.cancel()  # nothing when it is done
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await hashes
    return state, known


async def _next(iterator: AsyncIterator[tuple[int, str]]) -> tuple[int, str]:
    try:
        return await anext(iterator)
    except StopAsyncIteration:
        return _END, ""


async def compare(
    worker: SourceWorker, online: OnlineClient, page_size: int, run: Runner = _once
) -> Comparison:
    """Desktop against online; ``run`` retries each online page (one-shot ``verify``)."""
    result = Comparison()
    mine_iter = desktop_hashes(worker, page_size)
    theirs_iter = online_hashes(online, run)
    mine, theirs = await _next(mine_iter), await _next(theirs_iter)
    while mine[0] != _END or theirs[0] != _END:
        if theirs[0] < mine[0] and theirs[0] in result.online_ids:  # cheap test first
            result.duplicated.append(theirs[0])
            theirs = await _next(theirs_iter)
        elif mine[0] < theirs[0]:
            result.lost.append(mine[0])
            result.desktop_count += 1
            mine = await _next(mine_iter)
        elif theirs[0] < mine[0]:
            result.extra.append(theirs[0])
            result.online_ids.add(theirs[0])
            theirs = await _next(theirs_iter)
        else:
            if mine[1] != theirs[1]:
                result.stale.append(mine[0])
            result.desktop_count += 1
            result.online_ids.add(theirs[0])
            mine, theirs = await _next(mine_iter), await _next(theirs_iter)
    result.online_count = len(result.online_ids)
    return result
