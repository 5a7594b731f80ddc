"""The words every front end shows beside the light, made from one Status at the moment
they are shown (the tray, the status window, troubleshooting and ``status`` all call
these), so no view keeps a sentence from an earlier state or names a value differently.
"""

from __future__ import annotations

import math
import time
from typing import Final

from engine.status.model import Reason, Status, SyncState

#: The one name of ``Status.last_sync_at`` in every front end and in the README.
LAST_CONFIRMED_LABEL: Final = "Online copy last confirmed up to date"

SECONDS_PER_MINUTE: Final = 60
MINUTES_PER_HOUR: Final = 60
SECONDS_PER_DAY: Final = 24 * 60 * 60

#: The state in words for the states that need no figures.
STATE_HEADLINE: Final[dict[SyncState, str]] = {
    SyncState.ACTIVE: "Sync is active and running normally",
    SyncState.STANDBY: "Sync is active on another computer",
    SyncState.STARTING: "Starting",
    SyncState.MIGRATING: "Migrating contacts online",
    SyncState.SENDING: "Sending changes",
    SyncState.RETRYING: "Trying again",
    SyncState.INACTIVE: "Sync is inactive",
}

#: What a retry is trying to reach, for each reason ("Trying to reach …").
TRYING_TO_REACH: Final[dict[Reason, str]] = {
    Reason.ONLINE_UNREACHABLE: "the online service",
    Reason.ONLINE_ERROR: "the online service",
    Reason.DATABASE_UNREACHABLE: "the practice database",
    Reason.DATABASE_SCHEMA: "the practice database",
}


def clock_time(timestamp: float, now: float) -> str:
    """``14:02:05`` today, ``3 Mar 14:02`` on another day."""
    local = time.localtime(timestamp)
    if abs(now - timestamp) < SECONDS_PER_DAY and time.localtime(now).tm_mday == local.tm_mday:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%d %b %H:%M", local)


def time_ago(timestamp: float, now: float) -> str:
    """``just now``, ``5 s ago``, ``3 min ago``, ``2 h ago``, or the date."""
    seconds = max(0, round(now - timestamp))
    if seconds < 1:
        return "just now"
    if seconds < SECONDS_PER_MINUTE:
        return f"{seconds} s ago"
    minutes = seconds // SECONDS_PER_MINUTE
    if minutes < MINUTES_PER_HOUR:
        return f"{minutes} min ago"
    if seconds < SECONDS_PER_DAY:
        return f"{minutes // MINUTES_PER_HOUR} h ago"
    return clock_time(timestamp, now)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def next_try(status: Status, now: float) -> str:
    """``next try in 4 s`` (or ``trying now``) while a fault is retried; empty otherwise."""
    if status.next_try_at is None or not status.retrying:
        return ""
    left = math.ceil(status.next_try_at - now)
    return f"next try in {left} s" if left > 0 else "trying now"


def state_headline(status: Status, now: float | None = None) -> str:
    """The state in words, naming what orange is doing: "Migrating: 50,043 of 100,000",
    "Sending 3 changes", "Trying to reach the online service (next try in 4 s)"."""
    now = time.time() if now is None else now
    progress = status.progress
    if status.state is SyncState.MIGRATING and progress is not None and progress.total > 0:
        return f"Migrating: {progress.done:,} of {progress.total:,}"
    if status.state is SyncState.SENDING and progress is not None and progress.total > 0:
        return "Sending " + _plural(progress.total, "change", "changes")
    if status.state is SyncState.RETRYING:
        target = TRYING_TO_REACH.get(status.reason) if status.reason else None
        text = f"Trying to reach {target}" if target else "Trying again"
        when = next_try(status, now)
        return f"{text} ({when})" if when else text
    return STATE_HEADLINE[status.state]


def progress_label(status: Status) -> str:
    """The count on a progress bar, with what it counts (never a bare "0 / 1")."""
    progress = status.progress
    if progress is None or progress.total <= 0:
        return ""
    if status.state is SyncState.MIGRATING:
        return f"{progress.done:,} of {progress.total:,} contacts online"
    return f"{progress.done:,} of " + _plural(progress.total, "change", "changes") + " sent"


def last_confirmed(status: Status, now: float | None = None, *, spoken: bool = False) -> str:
    """When the online copy was last confirmed equal to the desktop; before the first
    confirmation, how far the first migration is instead of "never". ``spoken``: as a
    clock time, which stands still for a screen reader ("5 s ago" moves every second)."""
    now = time.time() if now is None else now
    if status.last_sync_at is not None:
        if spoken:
            return "at " + clock_time(status.last_sync_at, now)
        return time_ago(status.last_sync_at, now)
    progress = status.progress
    if status.state is SyncState.MIGRATING and progress is not None and progress.total > 0:
        return f"not yet ({progress.done:,} of {progress.total:,} migrated)"
    return "not yet"


def last_confirmed_line(status: Status, now: float | None = None, *, spoken: bool = False) -> str:
    """``Online copy last confirmed up to date: 5 s ago``: the one line every view shows
    (``spoken``: ``… at 14:02:05``, for a screen reader)."""
    return f"{LAST_CONFIRMED_LABEL}: {last_confirmed(status, now, spoken=spoken)}"
