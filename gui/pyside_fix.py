"""Guard against PySide6 6.12.0's reference-count bug on Python 3.11.

Its generated bindings hand back ``None``, ``True`` and ``False`` without taking a
reference (harmless on Python 3.12+, where those objects are immortal). On 3.11 every call
of a void Qt method or ``Signal.emit()`` lowers their count by one, until CPython aborts
with "none_dealloc" or "bool_dealloc" — a GUI that updates a label each second would die
within hours. When the loss is measured, these three objects get what Python 3.12 gives
them: a reference count no run of the program can bring to zero. The real fix is a
PySide6 without the bug (6.11.x); this stays harmless once it is installed.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Final

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import QObject

log = logging.getLogger(__name__)

#: Python 3.12 made None, True and False immortal: nothing to guard there.
IMMORTAL_SINGLETONS: Final = (3, 12)
PROBE_CALLS: Final = 8
#: Far more references than any process will ever drop.
REFERENCE_RESERVE: Final = 1 << 40


def loses_references() -> bool:
    """Whether a void Qt call (``setObjectName``) drops a reference to ``None``."""
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - PROBE_CALLS // 2


def guard_singletons() -> bool:
    """Apply the guard when this PySide6 needs it; True when it was applied."""
    if sys.version_info >= IMMORTAL_SINGLETONS or not loses_references():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object, at the object's address.
        ctypes.c_ssize_t.from_address(id(singleton)).value += REFERENCE_RESERVE
    log.warning(
        "PySide6 %s loses references to None/True/False on Python %d.%d; guarded. "
        "Install PySide6-Essentials 6.11 (or a fixed release) to be rid of it.",
        PYSIDE_VERSION,
        *sys.version_info[:2],
    )
    return True
