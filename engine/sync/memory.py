"""Give memory freed by a large pass back to the operating system.

glibc keeps freed heap pages (per thread arena) for reuse, so after migrating 100,000
contacts an idle agent would keep the peak of the migration for the rest of the day.
``malloc_trim`` hands them back; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys

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


def release_memory() -> None:
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)  # type: ignore[operator]
