"""Which side is failing, and when each side last proved it works.

The light must only go back to green after a real round trip to the side that failed:
never on a timer, and never because some other operation (a database-only cycle while
the service is down) happened to succeed. So each fault belongs to a :class:`Channel`,
each channel keeps the time its latest *successful round trip began*, and a fault is
cleared only by a success that began after the fault was last seen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from engine.errors import TransientOnlineError, UntrustedCertificate
from engine.online.unreachable import UNREACHABLE_TEXT, Unreachable
from engine.status.model import EngineState, Fault, Reason

log = logging.getLogger(__name__)


class Channel(StrEnum):
    """What a fault is about, and so which success proves it is over."""

    ONLINE = "online"  # any answered request to the service
    DATABASE = "database"  # any query the database answered
    LOGIN = "login"  # the schema and the practice login email checked fine
    LEASE = "lease"  # a new lease taken


CHANNEL_OF_REASON: Final[dict[Reason, Channel]] = {
    Reason.STOPPED: Channel.LEASE,
    Reason.NOT_CONFIGURED: Channel.LOGIN,
    Reason.NOT_ACTIVATED: Channel.ONLINE,
    Reason.DATABASE_UNREACHABLE: Channel.DATABASE,
    Reason.DATABASE_SCHEMA: Channel.LOGIN,
    Reason.ONLINE_UNREACHABLE: Channel.ONLINE,
    Reason.ONLINE_ERROR: Channel.ONLINE,
    Reason.CREDENTIALS_REJECTED: Channel.ONLINE,
    Reason.SIGN_IN_AGAIN: Channel.ONLINE,
    Reason.LOGIN_NOT_ACTIVE_EMPLOYEE: Channel.LOGIN,
    Reason.LEASE_LOST: Channel.LEASE,
}


@dataclass(frozen=True)
class Observation:
    """What an error says for the status: its reason and the words that fit it."""

    reason: Reason
    message: str = ""
    fix: str = ""
    #: What was seen (an :class:`Unreachable` value), so the steps fit it too.
    kind: str = ""


def observed(reason: Reason, error: BaseException | None) -> Observation:
    """The plain sentence and advice that fit the error actually seen (a refused
    connection is not "check your internet"); a certificate problem is named as such."""
    if isinstance(error, TransientOnlineError):
        return Observation(reason, error.summary, error.fix, error.kind.value)
    if isinstance(error, UntrustedCertificate):  # its reason is the table's: can't reach
        message, fix = UNREACHABLE_TEXT[Unreachable.CERTIFICATE]
        return Observation(reason, message, fix, Unreachable.CERTIFICATE.value)
    return Observation(reason)


@dataclass
class _Entry:
    fault: Fault
    #: ``time.monotonic()`` when this fault was last seen.
    seen: float


class Health:
    """The faults of each channel; ``state.fault`` is kept as the one to show."""

    def __init__(
        self,
        state: EngineState,
        changed: Callable[[], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._state = state
        self._changed = changed
        self._clock = clock
        self._wall = wall
        self._faults: dict[Channel, _Entry] = {}
        self._confirmed: dict[Channel, float] = {}

    def faulty(self, channel: Channel) -> bool:
        return channel in self._faults

    @property
    def clear(self) -> bool:
        return not self._faults

    def fault(
        self,
        reason: Reason,
        detail: str,
        *,
        immediate: bool = False,
        error: BaseException | None = None,
        message: str = "",
    ) -> None:
        """Note a failure seen now; the light changes only when what it shows changes."""
        seen = observed(reason, error)
        if message:
            seen = replace(seen, message=message)
        channel = CHANNEL_OF_REASON[seen.reason]
        entry = self._faults.get(channel)
        now = self._clock()
        if entry is not None:
            entry.seen = now
            current = entry.fault
            if (current.reason, current.detail, current.immediate, current.message) == (
                seen.reason,
                detail,
                immediate,
                seen.message,
            ):
                return
            since = current.since
        else:
            since = self._wall()
        fault = Fault(seen.reason, detail, since, immediate, seen.message, seen.fix, seen.kind)
        self._faults[channel] = _Entry(fault, now)
        log.warning("%s: %s", seen.reason.value, detail)
        self._publish()

    def next_try(self, at: float | None) -> None:
        """When a failing side is tried again (wall time), for "next try in 4 s": the
        soonest of the agent's backoff and the liveness watch's next round; None clears."""
        current = self._state.next_try_at
        if at is not None and current is not None and self._wall() < current < at:
            at = current
        if current != at:
            self._state.next_try_at = at
            if self._faults:
                self._changed()

    def confirmed(self, channel: Channel, started: float | None) -> None:
        """A round trip on ``channel`` begun at ``started`` (monotonic) succeeded."""
        if started is not None and started > self._confirmed.get(channel, float("-inf")):
            self._confirmed[channel] = started

    def confirmed_at(self, channel: Channel) -> float | None:
        return self._confirmed.get(channel)

    def settle(self) -> list[Reason]:
        """Clear each fault whose channel proved itself after the fault was last seen;
        the reasons cleared (empty when nothing recovered)."""
        recovered: list[Reason] = []
        for channel, entry in list(self._faults.items()):
            if self._confirmed.get(channel, float("-inf")) > entry.seen:
                del self._faults[channel]
                recovered.append(entry.fault.reason)
                log.info("recovered from %s", entry.fault.reason.value)
        if recovered:
            self._publish()
        return recovered

    def forget(self, channel: Channel) -> None:
        """Drop a channel's fault that a fresh start made moot (a new lease taken)."""
        entry = self._faults.pop(channel, None)
        if entry is not None:
            log.info("recovered from %s", entry.fault.reason.value)
            self._publish()

    def _publish(self) -> None:
        """Show the most telling fault: one a retry can't fix first, then the oldest."""
        entries = sorted(
            self._faults.values(), key=lambda e: (not e.fault.immediate, e.fault.since)
        )
        self._state.fault = replace(entries[0].fault) if entries else None
        self._changed()
