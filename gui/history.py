"""Recent activity for the progress window: syncs, contacts changed, errors.

A record of what happened, kept beside (not instead of) the Status the views render.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QObject, Signal

from engine import Light, Phase, Status
from gui.bridge import StatusBridge
from gui.lights import small_catch_up
from gui.text import tr

#: How many entries the window keeps.
HISTORY_LENGTH: Final = 200


@dataclass(frozen=True)
class HistoryEntry:
    at: float
    light: Light
    text: str


class History(QObject):
    changed = Signal()

    def __init__(self, bridge: StatusBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: deque[HistoryEntry] = deque(maxlen=HISTORY_LENGTH)
        self._last: tuple[Light, str] | None = None
        self._sent = 0
        self._deleted = 0
        bridge.status_changed.connect(self._on_status)
        bridge.batch_sent.connect(self._on_batch)

    @property
    def entries(self) -> list[HistoryEntry]:
        """Newest first."""
        return list(reversed(self._entries))

    def _add(self, light: Light, text: str) -> None:
        self._entries.append(HistoryEntry(time.time(), light, text))
        self.changed.emit()

    def _on_status(self, status: Status) -> None:
        """One line per meaningful event: a change of light or of what is wrong."""
        busy = status.light is Light.ORANGE and not status.retrying
        if not busy:
            self._flush_sent()
        if busy and (small_catch_up(status) or status.phase is Phase.STARTING):
            return  # a few edits on their way, or starting: the summary line follows
        key = (status.light, status.message)
        if key == self._last:
            return
        self._last = key
        text = status.message
        if status.light is Light.RED and status.fix:
            text = f"{text} {status.fix}"
        if status.light is Light.GREEN and status.online_count is not None:
            text = f"{text} ({status.online_count:,} " + tr("contacts online") + ")"
        self._add(status.light, text)

    def _on_batch(self, upserts: int, deletes: int) -> None:
        """Batches are added up and told in one line once the pass is over."""
        self._sent += upserts
        self._deleted += deletes

    def _flush_sent(self) -> None:
        if not (self._sent or self._deleted):
            return
        parts = []
        if self._sent:
            parts.append(
                f"{self._sent:,} "
                + (tr("contact") if self._sent == 1 else tr("contacts"))
                + tr(" sent")
            )
        if self._deleted:
            parts.append(f"{self._deleted:,} " + tr("deleted"))
        self._sent = self._deleted = 0
        self._add(Light.GREEN, tr("Online copy updated: ") + ", ".join(parts))
