"""Emitting Qt signals from Python without corrupting CPython's ``True``.

PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True`` without owning a reference to
it, so every emit from Python lowers ``True``'s reference count by one until CPython
aborts ("bool_dealloc: deallocating True or False"). Signals emitted by Qt itself are not
affected. :func:`emit` gives the reference back when, and only when, the installed
PySide6 is measured to lose it, so it stays correct once PySide6 is fixed.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Final

from PySide6.QtCore import QObject, Signal, SignalInstance

#: Emits used to measure the loss; several, so a stray reference elsewhere can't fool it.
PROBE_EMITS: Final = 8


class _Probe(QObject):
    ping = Signal()


def _measure() -> int:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBE_EMITS):
        probe.ping.emit()
    lost = (before - sys.getrefcount(True)) // PROBE_EMITS
    for _ in range(lost * PROBE_EMITS):  # repair the probe's own damage
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return max(lost, 0)


#: Measured once, at import, before any worker thread of the engine runs Python code.
LOST_PER_EMIT: Final = _measure()


def emit(signal: SignalInstance, *args: object) -> None:
    """``signal.emit(*args)``, keeping the reference counts right."""
    # The stubs say None; PySide6 returns whether the emit was delivered.
    result: object = signal.emit(*args)  # type: ignore[func-returns-value]
    for _ in range(LOST_PER_EMIT):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
