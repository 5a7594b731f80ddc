"""Status changes a screen reader should say, once each: the migration finished, the
light turned red (with the reason), it is back to green.

The transitions are the tray balloon's (``gui.notifications.Notifier``), but every one is
said: the balloon's one-a-minute limit is for eyes, and a person who can't see the tray
must not miss a red that follows a green within the minute. Ticking figures (progress,
"checked N s ago") are never announced.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from engine import Status
from gui.accessibility import announce
from gui.bridge import StatusBridge
from gui.notifications import MIN_INTERVAL_SECONDS, Notifier


class StatusAnnouncer(QObject):
    def __init__(self, bridge: StatusBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ticks = 0.0
        # A clock a limit's length apart at every look: the Notifier never holds one back.
        self._notifier = Notifier(clock=self._tick)
        #: Every announcement made, oldest first.
        self.said: list[str] = []
        bridge.status_changed.connect(self.consider)
        if bridge.status is not None:
            self.consider(bridge.status)

    def _tick(self) -> float:
        self._ticks += MIN_INTERVAL_SECONDS
        return self._ticks

    def consider(self, status: Status) -> None:
        notice = self._notifier.consider(status)
        if notice is None:
            return
        text = f"{notice.title}. {notice.text}".strip()
        self.said.append(text)
        announce(text, assertive=notice.warning)
