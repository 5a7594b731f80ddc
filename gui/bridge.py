"""Engine events in, Qt signals out: every view renders the Status the engine derives.

Events only say *that* something changed; the Status they carry is the engine's whole
model, so views never piece a state together from events. ``StateFileWatcher`` does the
same for an agent running in another process (a service, another login).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, QTimer, Signal

from engine import (
    HEARTBEAT_SECONDS,
    Engine,
    EngineEvent,
    EventKind,
    Status,
    UserFacingError,
    current_status,
)

log = logging.getLogger(__name__)

MILLISECONDS: Final = 1000
#: The state file is read twice per heartbeat, so a stopped agent shows within seconds.
STATE_FILE_POLL_MS: Final = int(HEARTBEAT_SECONDS * MILLISECONDS / 2)


class StatusBridge(QObject):
    """Holds the latest Status and announces each new one."""

    status_changed = Signal(object)  # engine.status.Status
    batch_sent = Signal(int, int)  # upserts, deletes

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status: Status | None = None
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def status(self) -> Status | None:
        return self._status

    def attach(self, engine: Engine, *, publish_now: bool = True) -> None:
        """Follow ``engine`` from now on, starting with its current status."""
        self.detach()
        self._unsubscribe = engine.subscribe(self._on_event)
        if publish_now:
            self.publish(engine.status())

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def publish(self, status: Status) -> None:
        self._status = status
        self.status_changed.emit(status)

    def _on_event(self, event: EngineEvent) -> None:
        if event.kind is EventKind.RETRY:
            return  # the status is unchanged; the window waiting on that call says it
        if event.kind is EventKind.BATCH:
            self.batch_sent.emit(event.upserts, event.deletes)
        self.publish(event.status)


class StateFileWatcher(QObject):
    """Feeds the bridge from the state file of an agent running elsewhere."""

    def __init__(self, bridge: StatusBridge, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._path = path
        self._last: Status | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(STATE_FILE_POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.poll()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def poll(self) -> None:
        try:
            status = current_status(self._path, time.time())
        except UserFacingError:
            log.warning("the state file could not be read", exc_info=True)
            return
        if self._last is None or status != self._last:
            self._last = status
            self._bridge.publish(status)
