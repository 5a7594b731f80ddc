"""One engine call of a wizard page, the same way on every page.

While it runs (an asyncio task on the qasync loop: the GUI thread never waits) the
spinner turns, and each retry of a failing service is said in a plain line that counts
down to the next try ("The online service is not accepting connections. Trying again in
8 s (attempt 3; …)"), from the engine's retry events. When it fails, the problem and what
to do are said in plain words next to the page's retry button; never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton

from engine import Engine, EngineEvent, EventKind, RetryNotice, UserFacingError, visible
from gui.accessibility import announce, focusable_label
from gui.spinner import Spinner
from gui.tasks import spawn
from gui.text import tr

log = logging.getLogger(__name__)

T = TypeVar("T")

UNEXPECTED: Final = (
    "Something unexpected went wrong. It was written to the log file; "
    "try again, and if it happens again send the log file to support."
)
#: How often the "Trying again in 8 s" line counts down.
COUNTDOWN_MS: Final = 1000


def problem_text(problem: str, fix: str = "") -> str:
    """A problem and what to do about it, as every page and dialog words it (outside
    text in either shown with control characters made visible)."""
    problem, fix = visible(problem), visible(fix)
    return f"{problem}\n{tr('What to do: ')}{fix}" if fix else problem


def problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setProperty("role", "problem")
    label.setTextFormat(Qt.TextFormat.PlainText)  # a service's words are never markup
    focusable_label(label)  # an error takes focus, so a screen reader reads it at once
    label.hide()
    return label


class PageTask(QObject):
    """Runs one engine call for a page: a spinner, the retry line, the problem.

    The page places :attr:`spinner`, :attr:`waiting` and :attr:`problem` in its layout
    and hands over its retry button, which is disabled while the call runs and shown
    when it fails (a page that keeps it in view, as the checks page does, says so).
    """

    #: A retry notice from the engine, delivered on the GUI thread whichever thread sent it.
    retried = Signal(object)
    #: The call started (the retry button is disabled: focus must move off it).
    started = Signal()
    #: The call ended: True when it succeeded, False when the problem is shown.
    settled = Signal(bool)

    def __init__(
        self,
        name: str,
        engine: Engine,
        retry: QPushButton,
        *,
        retry_always_shown: bool = False,
    ) -> None:
        super().__init__(retry)
        self._name = name
        self._engine = engine
        self._retry = retry
        self._retry_always_shown = retry_always_shown
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._notice: RetryNotice | None = None
        self._noticed_at = 0.0
        self.spinner = Spinner()
        self.waiting = QLabel()
        self.waiting.setWordWrap(True)
        self.waiting.setProperty("role", "muted")
        self.waiting.hide()
        self.problem = problem_label()
        self._countdown = QTimer(self)
        self._countdown.setInterval(COUNTDOWN_MS)
        self._countdown.timeout.connect(self._render_waiting)
        self.retried.connect(self._on_retry)
        retry.setVisible(retry_always_shown)

    @property
    def running(self) -> bool:
        return self._running

    def run(
        self,
        work: Callable[[], Awaitable[T]],
        done: Callable[[T], None],
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Start ``work`` (stopping one under way); ``done`` gets its result, ``failed``
        is told after the problem is shown."""
        self.stop()
        self._running = True
        self.problem.hide()
        self._retry.setEnabled(False)
        self._retry.setVisible(self._retry_always_shown)
        self.spinner.start()
        self._task = spawn(self._run(work, done, failed), self._name)
        self.started.emit()

    def stop(self) -> None:
        """Cancel the call under way (the wizard closed, or the page is left)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._settle()

    async def _run(
        self,
        work: Callable[[], Awaitable[T]],
        done: Callable[[T], None],
        failed: Callable[[], None] | None,
    ) -> None:
        unsubscribe = self._engine.subscribe(self._on_event)
        problem: str | None = None
        try:
            result = await work()
        except UserFacingError as error:
            problem = problem_text(error.problem, error.fix)
        except Exception:
            log.exception("%s failed unexpectedly", self._name)
            problem = tr(UNEXPECTED)
        finally:
            unsubscribe()
            if self._task is asyncio.current_task():  # not a call already replaced
                self._settle()
        if problem is None:
            done(result)
            self.settled.emit(True)
            return
        self.problem.setText(problem)
        self.problem.show()
        self._retry.show()
        if failed is not None:
            failed()
        announce(problem, self.problem, assertive=True)
        self.settled.emit(False)

    def _settle(self) -> None:
        self._running = False
        self.spinner.stop()
        self._retry.setEnabled(True)
        self._notice = None
        self._countdown.stop()
        self.waiting.hide()

    def _on_event(self, event: EngineEvent) -> None:
        if event.kind is EventKind.RETRY and event.notice is not None:
            self.retried.emit(event.notice)

    def _on_retry(self, notice: RetryNotice) -> None:
        if not self._running:
            return
        self._notice = notice
        self._noticed_at = time.monotonic()
        # Its name stays as first said: the countdown ticks every second and a screen
        # reader would announce each tick.
        self.waiting.setAccessibleName(notice.plain(0.0))
        self._render_waiting()
        self.waiting.show()
        self._countdown.start()

    def _render_waiting(self) -> None:
        notice = self._notice
        if notice is not None:
            self.waiting.setText(notice.plain(time.monotonic() - self._noticed_at))
