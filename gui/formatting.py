"""Numbers, durations and times as a person reads them."""

from __future__ import annotations

import time
from typing import Final

from engine import time_ago

SECONDS_PER_MINUTE: Final = 60
MINUTES_PER_HOUR: Final = 60
SECONDS_PER_DAY: Final = 24 * 60 * 60
#: Below this a duration reads "under a second"; below TENTHS_BELOW it has one decimal.
SUB_SECOND: Final = 0.1
TENTHS_BELOW: Final = 10.0


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < SUB_SECOND:
        return "under a second"
    if seconds < TENTHS_BELOW:
        return f"{seconds:.1f} s"
    whole = max(0, round(seconds))
    if whole < SECONDS_PER_MINUTE:
        return f"{whole} s"
    minutes, whole = divmod(whole, SECONDS_PER_MINUTE)
    if minutes < MINUTES_PER_HOUR:
        return f"{minutes} min {whole:02d} s"
    hours, minutes = divmod(minutes, MINUTES_PER_HOUR)
    return f"{hours} h {minutes:02d} min"


def clock(timestamp: float | None, now: float | None = None) -> str:
    """``14:02`` today, ``3 Mar 14:02`` on another day, ``never`` for None."""
    if timestamp is None:
        return "never"
    now = time.time() if now is None else now
    local = time.localtime(timestamp)
    if abs(now - timestamp) < SECONDS_PER_DAY and time.localtime(now).tm_mday == local.tm_mday:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%d %b %H:%M", local)


def count(value: int) -> str:
    return f"{value:,}"


def rate(per_second: float) -> str:
    return f"{per_second:,.0f} contacts/s"


def ago(timestamp: float | None, now: float | None = None) -> str:
    """``just now``, ``5 s ago``, ``3 min ago``...: the engine's one clock wording (the
    same as ``contacts-migration status``); ``never`` for None."""
    if timestamp is None:
        return "never"
    return time_ago(timestamp, time.time() if now is None else now)
