"""The contact ids the service holds, kept in about 8 bytes each.

The agent keeps every id online for the whole run (deletes, repairs, the next full pass).
As a ``set[int]`` that is ~64 bytes an id (a 16-byte slot at most 60 % full, plus a
32-byte int object each): 64 MB at 1,000,000 contacts, growing with every batch of a
first migration and doubling its table on the way. Here the ids live in one sorted
``array('q')``; ids added out of order and ids removed wait in two small sets until
they are folded in, which happens when they grow past a share of the array (so the
cost is spread thin). A first migration adds ids in ascending order: they are appended.
"""

from __future__ import annotations

import heapq
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from operator import lt
from typing import Final

#: Ids waiting outside the array before they are folded in: at least this many...
FOLD_AT_LEAST: Final = 4096
#: ...or this share of the array (a fold copies it).
FOLD_SHARE: Final = 8


class IdSet:
    """A set of contact ids (64-bit ints), compact and iterated in ascending order."""

    __slots__ = ("_added", "_ids", "_removed")

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._ids = array("q")
        #: Not in ``_ids``; in the set.
        self._added: set[int] = set()
        #: In ``_ids``; no longer in the set.
        self._removed: set[int] = set()
        self.update(ids)

    def __len__(self) -> int:
        return len(self._ids) - len(self._removed) + len(self._added)

    def __contains__(self, contact_id: object) -> bool:
        if not isinstance(contact_id, int):
            return False
        if contact_id in self._added:
            return True
        return contact_id not in self._removed and self._in_array(contact_id)

    def __iter__(self) -> Iterator[int]:
        removed = self._removed
        kept = (i for i in self._ids if i not in removed) if removed else iter(self._ids)
        return heapq.merge(kept, sorted(self._added)) if self._added else kept

    def _in_array(self, contact_id: int) -> bool:
        ids = self._ids
        at = bisect_left(ids, contact_id)
        return at < len(ids) and ids[at] == contact_id

    def add(self, contact_id: int) -> None:
        ids = self._ids
        if not self._added and (not ids or contact_id > ids[-1]):
            ids.append(contact_id)  # ascending, as a first migration adds them
        elif contact_id in self._removed:
            self._removed.discard(contact_id)
        elif contact_id not in self._added and not self._in_array(contact_id):
            self._added.add(contact_id)
            self._fold_if_due()

    def update(self, contact_ids: Iterable[int]) -> None:
        if isinstance(contact_ids, Sequence) and self._appendable(contact_ids):
            self._ids.extend(contact_ids)  # a batch of a first migration: one C call
            return
        for contact_id in contact_ids:
            self.add(contact_id)

    def _appendable(self, contact_ids: Sequence[int]) -> bool:
        """Strictly ascending, all above every id held, none waiting."""
        if not contact_ids or self._added or (self._ids and contact_ids[0] <= self._ids[-1]):
            return False
        return all(map(lt, contact_ids, islice(contact_ids, 1, None)))

    def discard(self, contact_id: int) -> None:
        if contact_id in self._added:
            self._added.discard(contact_id)
        elif contact_id not in self._removed and self._in_array(contact_id):
            self._removed.add(contact_id)
            self._fold_if_due()

    def as_array(self) -> array[int]:
        """The ids in ascending order, as an array of their own (a snapshot)."""
        self.fold()
        return array("q", self._ids)

    def copy(self) -> IdSet:
        twin = IdSet()
        twin._ids = array("q", self._ids)
        twin._added = set(self._added)
        twin._removed = set(self._removed)
        return twin

    def nbytes(self) -> int:
        """What the ids take: the array as allocated, plus ~64 bytes a waiting id."""
        return sys.getsizeof(self._ids) + 64 * (len(self._added) + len(self._removed))

    def _fold_if_due(self) -> None:
        if len(self._added) + len(self._removed) > max(FOLD_AT_LEAST, len(self._ids) // FOLD_SHARE):
            self.fold()

    def fold(self) -> None:
        """Put the waiting ids into the array (one pass over it)."""
        if self._added or self._removed:
            self._ids = array("q", iter(self))
            self._added = set()
            self._removed = set()
