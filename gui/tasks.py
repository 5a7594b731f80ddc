"""Running engine calls as asyncio tasks on the qasync loop from Qt slots.

A slot can't await, so it spawns a task; the task is kept referenced until it ends (or
asyncio may collect it) and any failure is logged rather than lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from PySide6.QtWidgets import QDialog

from engine import UserFacingError

log = logging.getLogger(__name__)

T = TypeVar("T")

_running: set[asyncio.Task[Any]] = set()


def spawn(coroutine: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
    task = asyncio.get_running_loop().create_task(coroutine, name=name)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if isinstance(error, UserFacingError):
        log.info("GUI task %s: %s", task.get_name(), error)  # shown to the person already
    elif error is not None:
        log.error("GUI task %s failed", task.get_name(), exc_info=error)


async def finished(dialog: QDialog) -> int:
    """Open ``dialog`` window-modal and wait for its result without a nested event loop
    (``exec()`` inside a coroutine would re-enter the qasync loop)."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(done)
