"""Memory during and after a large pass.

glibc keeps freed heap pages (per thread arena) for reuse, so after migrating 100,000
contacts an idle agent would keep the peak of the migration for the rest of the day.
``malloc_trim`` hands them back; elsewhere this does nothing.

While a pass runs, every page allocates thousands of short-lived dicts and lists (the
documents). With Python's default collector threshold (700 new containers) each page
triggers dozens of collections that find nothing (the documents are freed by reference
counting as soon as they are encoded) and promote live pages into older generations,
whose full collections then walk every object of the process: 1.7 s of the client's CPU
in a 100,000-contact migration, with the GIL held. :func:`few_collections` raises the
threshold for the pass only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

log = logging.getLogger(__name__)


def _libc_trim() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _libc_trim()


#: New containers between two young-generation collections while a pass runs (a page of
#: documents is freed before that many are made, so nearly nothing is promoted).
PASS_GC_THRESHOLD: Final = 50_000


@contextmanager
def few_collections() -> Iterator[None]:
    """Raise the collector's first threshold for a pass; restore it after (unless
    someone else changed it meanwhile). Cyclic garbage is still collected, just later."""
    before = gc.get_threshold()
    raised = (max(before[0], PASS_GC_THRESHOLD), before[1], before[2])
    gc.set_threshold(*raised)
    try:
        yield
    finally:
        if gc.get_threshold() == raised:
            gc.set_threshold(*before)


def compact(body: bytes) -> bytes:
    """``body`` in a buffer of its own size, for bytes kept a while (a page's encoded
    documents wait for their batch to be answered). An encoder may hand back each
    document in the buffer it wrote into: orjson 3.13 kept 16 kB for a 1.2 kB contact
    (~80 MB for the ~5,000 documents in the upload pipeline), msgspec 0.23 keeps ~1.5x.
    The copy costs well under a microsecond."""
    return bytes(memoryview(body))


def release_memory() -> None:
    gc.collect()
    trim()


def trim() -> None:
    """Hand freed heap pages back (glibc; nothing elsewhere). During a pass too: the
    worker threads' arenas otherwise keep every page they ever held, and the agent's
    memory grows with the number of contacts instead of staying flat."""
    if _TRIM is not None:
        _TRIM(0)  # type: ignore[operator]
