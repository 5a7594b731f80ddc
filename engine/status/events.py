"""Events the engine publishes to any number of listeners (GUI, CLI progress, tests)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from engine.status.model import Status

if TYPE_CHECKING:
    from engine.sync.retry import RetryNotice

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    STATUS = "status"  # the status changed (state, message, progress)
    BATCH = "batch"  # a batch was accepted online
    RETRY = "retry"  # a one-shot call (activate, its checks, verify...) failed; retrying


@dataclass(frozen=True)
class EngineEvent:
    kind: EventKind
    status: Status
    upserts: int = 0
    deletes: int = 0
    #: With RETRY: what failed and when it is tried again.
    notice: RetryNotice | None = None


Listener = Callable[[EngineEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, event: EngineEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken view must never stop the sync
                log.exception("an event listener failed")
