"""The pages the agent uploads, read from the database in the source worker's thread.

A *pass* reads every contact (the first migration: ``since`` is None) or the contacts
changed since the checkpoint's row version, page by page from the checkpoint's cursor; a
*repair* reads the current documents of given ids (deletes found by count,
reconciliation). Each page is validated and encoded in the worker (:func:`prepare`), so
the event loop only sends. Kept apart from :mod:`engine.sync.agent`, which decides *when* to
read; this module knows *how*.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Final

from engine.sources.base import Source
from engine.sync.checkpoint import Checkpoint
from engine.sync.id_set import IdSet
from engine.sync.page_work import Item, PageWork, prepare
from engine.sync.source_worker import SourceWorker

#: Contacts on a pass's first page: a little more than the uploader's small first batch
#: (``FIRST_BATCH_BYTES``, ~100 contacts), so it goes after reading 200, not a full page.
FIRST_PAGE: Final = 200


class PageReader:
    """Reads pages of prepared work for a pass or a repair.

    ``known`` gives the ids the service holds *now* (the agent's set changes as batches
    are accepted), read when a page needs it."""

    def __init__(self, worker: SourceWorker, page_size: int, known: Callable[[], IdSet]) -> None:
        self._worker = worker
        self._size = page_size
        self._known = known

    async def pass_pages(
        self, checkpoint: Checkpoint, counted: Callable[[int], None]
    ) -> AsyncIterator[PageWork]:
        """The pages of a pass from ``checkpoint``; ``counted`` is told how many contacts
        each page of a changes pass holds (a full pass's total is known up front)."""
        after = checkpoint.after
        size = min(self._size, FIRST_PAGE)
        since = checkpoint.since
        #: Online ids at the start: a full pass deletes those missing from its pages.
        known = self._known().as_array() if since is None else array("q")
        while True:
            if since is None:

                def read_full(
                    source: Source, start: int = after, size: int = size
                ) -> PageWork | None:
                    page = source.read_upload_page(start, size)
                    if page.last_id is None:
                        return None
                    low = bisect.bisect_right(known, start)
                    high = bisect.bisect_right(known, page.last_id)
                    gone: list[int] = []
                    if low < high:  # ids online in this range: which are gone
                        present = {contact_id for contact_id, _ in page.encoded}
                        present.update(int(doc["id"]) for doc in page.documents)
                        gone = [i for i in known[low:high] if i not in present]
                    return prepare(page.documents, gone, page.last_id, page.encoded)

                work = await self._worker.call(read_full)
            else:
                floor: int = since

                def read_changed(
                    source: Source,
                    start: int = after,
                    since: int = floor,
                    # a pass stops at its watermark (also one resumed after a kill, begun
                    # long ago): later edits are the next pass's, sent once, by it
                    upper: int | None = checkpoint.upper,
                    size: int = size,
                ) -> PageWork | None:
                    ids = source.changed_ids(since, start, size, upper)
                    if not ids:
                        return None
                    documents = source.read_documents(ids)
                    present = {int(doc["id"]) for doc in documents}
                    return prepare(documents, [i for i in ids if i not in present], ids[-1])

                work = await self._worker.call(read_changed)
            if work is None:
                return
            if since is not None:
                counted(len(work.items) + len(work.set_aside))
            yield work
            after, size = work.after, self._size

    async def desktop_ids(self, expected: int) -> set[int] | None:
        """Every contact id on the desktop; None when there are ``expected`` contacts (the
        cheap count first: then nothing was deleted or left unsent)."""
        count = await self._worker.call(lambda source: source.contact_count())
        if count == expected:
            return None
        return set(await self._worker.call(lambda source: source.contact_ids()))

    async def id_pages(
        self, ids: Sequence[int], gone: Sequence[int], cursor: int
    ) -> AsyncIterator[PageWork]:
        """Pages of the current documents of these ids, and deletes of ``gone`` (repairs);
        ``cursor`` is the checkpoint's, unchanged by a repair."""
        size = self._size
        if gone:
            yield PageWork([Item(i, None) for i in gone], cursor)
        for start in range(0, len(ids), size):
            chunk = list(ids[start : start + size])
            known = self._known()
            online = [i for i in chunk if i in known]

            def read(
                source: Source, chunk: list[int] = chunk, online: list[int] = online
            ) -> PageWork:
                documents = source.read_documents(chunk)
                present = {int(doc["id"]) for doc in documents}
                return prepare(documents, [i for i in online if i not in present], cursor)

            yield await self._worker.call(read)
