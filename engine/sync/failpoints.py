"""Named places where a crash test can make the agent die on purpose.

Inert unless CONTACTS_MIGRATION_FAILPOINTS is set (e.g. ``after_batch_accepted=3``:
die with SIGKILL the 3rd time that point is reached). Killing at an exact point, not
only at a random time, is how the harness proves the moments that matter most, such as
between the service accepting a batch and the agent learning of it.
"""

from __future__ import annotations

import os
import signal
import threading
from enum import StrEnum
from typing import Final

ENV: Final = "CONTACTS_MIGRATION_FAILPOINTS"


class Failpoint(StrEnum):
    DURING_READ = "during_read"
    BEFORE_BATCH = "before_batch"
    AFTER_BATCH_ACCEPTED = "after_batch_accepted"
    DURING_RECONCILE = "during_reconcile"


def _parse(text: str) -> dict[Failpoint, int]:
    armed: dict[Failpoint, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.partition("=")
        armed[Failpoint(name.strip())] = int(count or 1)
    return armed


_ARMED: Final = _parse(os.environ.get(ENV, ""))
_seen: dict[Failpoint, int] = {}
_lock = threading.Lock()


def reached(point: Failpoint) -> None:
    """Die here if this point is armed and reached its count; otherwise nothing."""
    if not _ARMED or point not in _ARMED:
        return
    with _lock:
        _seen[point] = _seen.get(point, 0) + 1
        if _seen[point] >= _ARMED[point]:
            os.kill(os.getpid(), signal.SIGKILL)
