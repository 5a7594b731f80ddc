"""A page of changes as the source thread hands it to the uploader: each contact's
encoded document (or its delete) and what the batches need to know of them.

Made in the source worker's thread (:func:`prepare`), so the event loop only cuts the
pages into batches and sends them; what it does per contact there is done in C calls
over the page (``map``, ``accumulate``, ``bisect``), not a Python step a contact.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add, itemgetter
from typing import Final, NamedTuple

from engine.contract.document import Document, InvalidDocument, wire_document
from engine.sync.failpoints import Failpoint, reached
from engine.sync.memory import compact


class Item(NamedTuple):
    """One contact's change: its encoded document, or None when it is deleted (a tuple:
    one per contact, made several times faster than a frozen dataclass)."""

    contact_id: int
    body: bytes | None


ID: Final = itemgetter(0)
BODY: Final = itemgetter(1)


def all_upserts(items: Sequence[Item]) -> bool:
    """No deletes among them, asked in C (an empty body, which no document is, just takes
    the long way): a first migration's batches, whose per-contact work then stays in C."""
    return all(map(BODY, items))


@dataclass
class PageWork:
    items: list[Item]
    #: The pass cursor once this page is online.
    after: int
    set_aside: dict[int, str] = field(default_factory=dict)
    #: Ids the page covered that are fine again (no longer set aside).
    cleared: list[int] = field(default_factory=list)
    #: :func:`byte_offsets` of ``items`` (None: not yet; ``prepare`` makes them off the loop)
    offsets: list[int] | None = None


def byte_offsets(items: Sequence[Item]) -> list[int]:
    """The batch bytes before each item and after the last (:func:`item_size`): the
    uploader cuts batches with a bisect instead of a Python step per contact."""
    if all_upserts(items):  # each len(body) + 1: the lengths summed, plus one each
        summed = list(accumulate(map(len, map(BODY, items)), initial=0))
        return list(map(add, summed, range(len(summed))))
    return [0, *accumulate(map(item_size, items))]


def fitting(offsets: Sequence[int], start: int, room: int, alone: bool) -> int:
    """Where the items from ``start`` that fit in ``room`` more bytes end (``offsets``:
    :func:`byte_offsets`); ``alone``: at least one (larger than a batch, it goes alone)."""
    fit = bisect_right(offsets, offsets[start] + room, start, len(offsets)) - 1
    return max(fit, start + alone)


def prepare(
    documents: Sequence[Document],
    deleted: Sequence[int],
    after: int,
    encoded: Sequence[tuple[int, bytes]] = (),
) -> PageWork:
    """Validate and encode in the worker thread, so the event loop never does it.

    ``encoded``: contacts already encoded by a source that built them valid
    (``Source.read_upload_page``: exact-size bytes, kept as they are), ascending."""
    reached(Failpoint.DURING_READ)
    new = tuple.__new__  # an Item of each (id, bytes) pair: half the cost of Item(id, bytes)
    items: list[Item] = [new(Item, pair) for pair in encoded]
    work = PageWork(items, after, cleared=list(map(ID, encoded)))
    for doc in documents:
        contact_id = int(doc["id"])
        try:
            body = wire_document(doc)  # checked with the service's own types, encoded once
        except InvalidDocument as error:
            work.set_aside[contact_id] = error.problem
            continue
        work.cleared.append(contact_id)
        items.append(Item(contact_id, compact(body)))  # msgspec's buffer is ~1.5x the bytes
    if deleted or documents:
        items.extend(Item(contact_id, None) for contact_id in deleted)
        items.sort(key=ID)
    work.offsets = byte_offsets(items)
    return work


def item_size(item: Item) -> int:
    return len(item.body) + 1 if item.body is not None else 12
