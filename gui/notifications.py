"""Which status changes are worth a balloon: a practice edits contacts all day.

Only transitions a person should know about get one (the first migration finished, the
light turned red with the reason, it recovered from red), and never more than one a
minute, so a busy day of edits stays quiet. A balloon due within that minute is not
dropped: it waits and is shown once the minute is over, and a newer one replaces it (a
recovery replaces the red one still waiting), so the last balloon shown always matches
the light. Plain Python: the tray shows what it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final

from engine import Light, Phase, Reason, Status
from gui import formatting
from gui.lights import LIGHT_LOOK
from gui.text import tr

#: At most one balloon in this many seconds.
MIN_INTERVAL_SECONDS: Final = 60.0


class NoticeKind(Enum):
    MIGRATED = "migrated"
    TURNED_RED = "turned_red"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    title: str
    text: str

    @property
    def warning(self) -> bool:
        return self.kind is NoticeKind.TURNED_RED

    def matches(self, light: Light) -> bool:
        """Still true under ``light``: a red balloon only while red, the others while green."""
        return (light is Light.RED) == (self.kind is NoticeKind.TURNED_RED)


class Notifier:
    """Remembers what the light went through since it was last green, and when the last
    balloon was shown."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._previous: Status | None = None
        #: Why it was red since it was last green (an orange catch-up may come between).
        self._red_reason: Reason | None = None
        self._migrated = 0
        self._last_shown: float | None = None
        #: The balloon due but held back by the once-a-minute limit.
        self._pending: Notice | None = None

    @property
    def pending(self) -> Notice | None:
        return self._pending

    def due(self) -> Notice | None:
        """The balloon waiting for the minute to pass, once it has (the tray asks every
        second); None while nothing waits or the minute is not over."""
        if self._pending is None:
            return None
        now = self._clock()
        if self._last_shown is not None and now - self._last_shown < MIN_INTERVAL_SECONDS:
            return None
        notice, self._pending = self._pending, None
        self._last_shown = now
        return notice

    def consider(self, status: Status) -> Notice | None:
        """The balloon to show now for this status, if any: its own, or one that waited."""
        previous, self._previous = self._previous, status
        notice = None if previous is None else self._transition(previous, status)
        if status.light is Light.RED:
            self._red_reason = status.reason
        elif status.light is Light.GREEN:
            self._red_reason = None
        if status.phase is Phase.MIGRATING and status.progress is not None:
            self._migrated = max(self._migrated, status.progress.done)
        elif status.light is Light.GREEN:
            self._migrated = 0
        if notice is not None:
            self._pending = notice  # replaces any older one still waiting
        elif self._pending is not None and not self._pending.matches(status.light):
            self._pending = None  # no longer true (red, then orange while it retries)
        return self.due()

    def _transition(self, previous: Status, status: Status) -> Notice | None:
        if status.light is Light.RED and previous.light is not Light.RED:
            if status.reason is Reason.STOPPED:
                return None  # stopping is this program's own doing, not news
            text = f"{status.message} {status.fix}".strip()
            return Notice(NoticeKind.TURNED_RED, tr(LIGHT_LOOK[Light.RED].headline), text)
        if status.light is not Light.GREEN:
            return None
        if self._migrated > 0:
            return Notice(NoticeKind.MIGRATED, tr("Contacts are in sync"), _online_line(status))
        if self._red_reason is not None and self._red_reason not in QUIET_REDS:
            return Notice(NoticeKind.RECOVERED, tr("Sync is running again"), _online_line(status))
        return None


#: Red before green that is no fault: a normal start, or the first activation.
QUIET_REDS: Final = frozenset({Reason.STOPPED, Reason.NOT_ACTIVATED, Reason.NOT_CONFIGURED})


def _online_line(status: Status) -> str:
    if status.online_count is None:
        return tr("Changes made on the desktop are sent online automatically.")
    return formatting.count(status.online_count) + tr(" contacts are online.")
