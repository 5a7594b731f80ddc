"""The activation wizard's pages: confirmation, pre-flight, Terms of use, migration, finish.

Each page awaits engine calls as asyncio tasks on the qasync loop and shows a spinner
meanwhile; nothing here blocks the GUI thread or opens a nested event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, auto
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from engine.api import Activation, Check, Engine
from engine.errors import UserFacingError
from engine.online import Terms
from engine.status import Light, Status, SyncState
from gui import formatting
from gui.bridge import StatusBridge
from gui.icons import IconName, pixmap
from gui.spinner import Spinner
from gui.status_panel import StatusPanel
from gui.tasks import spawn
from gui.text import tr

log = logging.getLogger(__name__)

CONFIRMATION: Final = (
    "The process to migrate contact details online may take some time. "
    "Are you sure you want to continue?"
)
AGREEMENT: Final = "I agree with the above terms of use"
#: The wizard field the Terms checkbox fills; the trailing * makes it mandatory.
AGREED_FIELD: Final = "agreed*"
CHECK_ICON_SIZE: Final = 20
UNEXPECTED: Final = (
    "Something unexpected went wrong. It was written to the log file; "
    "try again, and if it happens again send the log file to support."
)
#: States after which the first pass is over: in sync here, or another computer syncs.
SETTLED: Final = frozenset({SyncState.ACTIVE, SyncState.STANDBY})


class PageId(IntEnum):
    CONFIRM = auto()
    PREFLIGHT = auto()
    TERMS = auto()
    MIGRATION = auto()
    FINISH = auto()


@dataclass(frozen=True)
class ActivationServices:
    """What the wizard needs from the application around it."""

    engine: Engine
    bridge: StatusBridge
    #: Activate, save the setup and start the agent; the task outlives the wizard.
    activate: Callable[[str | None], asyncio.Task[Activation]]


@dataclass
class WizardState:
    """What one page learns and a later page needs."""

    needs_terms: bool | None = None
    terms_version: str | None = None
    migration_seconds: float | None = None
    final_status: Status | None = None


def _problem_text(error: UserFacingError) -> str:
    return f"{error.problem}\n{tr('What to do: ')}{error.fix}" if error.fix else error.problem


def _problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setProperty("role", "problem")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class ConfirmPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(tr("Activate Contacts Migration"))
        self.setSubTitle(
            tr(
                "Copies every contact in the practice database online and keeps the online "
                "copy up to date. Once activated it stays on."
            )
        )
        self.question = QLabel(tr(CONFIRMATION))
        self.question.setWordWrap(True)
        self.question.setProperty("role", "headline")
        note = QLabel(
            tr(
                "Everyone can keep working in the desktop program meanwhile. "
                "Nothing is changed until you confirm in a later step."
            )
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addSpacing(12)
        layout.addWidget(note)
        layout.addStretch(1)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("&Yes"))
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("&No"))


class CheckRow(QWidget):
    """One pre-flight check: a tick or a cross, its title, and for a cross what to do."""

    def __init__(self, check: Check) -> None:
        super().__init__()
        self.check = check
        mark = QLabel()
        mark.setPixmap(pixmap(IconName.GREEN if check.ok else IconName.RED, CHECK_ICON_SIZE))
        mark.setFixedSize(CHECK_ICON_SIZE, CHECK_ICON_SIZE)
        mark.setAccessibleName(tr("Passed") if check.ok else tr("Failed"))
        self.title = QLabel(tr(check.title))
        self.title.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setProperty("role", "problem")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if not check.ok:
            self.detail.setText(
                f"{check.problem}\n{tr('What to do: ')}{check.fix}" if check.fix else check.problem
            )
        self.detail.setVisible(not check.ok)
        words = QVBoxLayout()
        words.setSpacing(4)
        words.addWidget(self.title)
        words.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(words, 1)
        self.setAccessibleName(f"{self.title.text()}: {mark.accessibleName()}")


class PreflightPage(QWizardPage):
    def __init__(self, services: ActivationServices, state: WizardState) -> None:
        super().__init__()
        self._services = services
        self._state = state
        self._task: asyncio.Task[None] | None = None
        self._passed = False
        self._busy = False
        self.rows: list[CheckRow] = []
        self.setTitle(tr("Checking everything is ready"))
        self.setSubTitle(
            tr("The practice database, its online login and the online service are checked.")
        )
        self.spinner = Spinner()
        self.busy = QLabel(tr("Checking…"))
        self.busy.setProperty("role", "muted")
        busy_row = QHBoxLayout()
        busy_row.addWidget(self.spinner)
        busy_row.addWidget(self.busy, 1)
        self.checks = QVBoxLayout()
        self.checks.setSpacing(6)
        self.problem = _problem_label()
        self.retry = QPushButton(tr("&Check again"))
        self.retry.setAccessibleName(tr("Check again"))
        self.retry.clicked.connect(self.run_checks)
        retry_row = QHBoxLayout()
        retry_row.addStretch(1)
        retry_row.addWidget(self.retry)
        layout = QVBoxLayout(self)
        layout.addLayout(busy_row)
        layout.addLayout(self.checks)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addLayout(retry_row)
        self.setButtonText(QWizard.WizardButton.CommitButton, tr("&Start migration"))

    @property
    def checking(self) -> bool:
        return self._busy

    def initializePage(self) -> None:
        self.run_checks()

    def cleanupPage(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def run_checks(self) -> None:
        """Run every check again (the person may have fixed something meanwhile)."""
        self.stop()
        self._passed = False
        self._busy = True
        self.completeChanged.emit()
        self.problem.hide()
        self.retry.setEnabled(False)
        self.busy.setText(tr("Checking…"))
        self.busy.show()
        self.spinner.start()
        self._task = spawn(self._check(), "preflight")

    async def _check(self) -> None:
        checks: list[Check] = []
        needs_terms: bool | None = None
        problem: UserFacingError | None = None
        try:
            checks = await self._services.engine.preflight()
            if all(check.ok for check in checks):
                needs_terms = await self._services.engine.needs_terms()
        except UserFacingError as error:
            problem = error
        except Exception:
            log.exception("the pre-flight checks failed unexpectedly")
            problem = UserFacingError(tr(UNEXPECTED))
        finally:
            self._busy = False
            self.spinner.stop()
            self.retry.setEnabled(True)
        self._show(checks, problem)
        self._state.needs_terms = needs_terms
        self.setCommitPage(needs_terms is False)
        self._passed = needs_terms is not None
        self.busy.setText(
            tr("Everything is ready.")
            if self._passed
            else tr("Fix the problems below, then choose Check again.")
        )
        self.completeChanged.emit()

    def _show(self, checks: list[Check], problem: UserFacingError | None) -> None:
        for row in self.rows:
            self.checks.removeWidget(row)
            row.deleteLater()
        self.rows = [CheckRow(check) for check in checks]
        for row in self.rows:
            self.checks.addWidget(row)
        if problem is not None:
            self.problem.setText(_problem_text(problem))
            self.problem.show()

    def isComplete(self) -> bool:
        return self._passed and not self._busy

    def nextId(self) -> int:
        return int(PageId.MIGRATION if self._state.needs_terms is False else PageId.TERMS)


class TermsPage(QWizardPage):
    def __init__(self, services: ActivationServices, state: WizardState) -> None:
        super().__init__()
        self._services = services
        self._state = state
        self._terms: Terms | None = None
        self._task: asyncio.Task[None] | None = None
        self.setTitle(tr("Terms of use"))
        self.setSubTitle(
            tr("AE/AO Live is not yet activated for this practice: please read the Terms of use.")
        )
        self.spinner = Spinner()
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName(tr("Terms of use"))
        self.problem = _problem_label()
        self.retry = QPushButton(tr("&Load again"))
        self.retry.clicked.connect(self.load)
        self.retry.hide()
        self.agree = QCheckBox(tr(AGREEMENT))
        self.agree.setAccessibleName(tr(AGREEMENT))
        self.registerField(AGREED_FIELD, self.agree)
        layout = QVBoxLayout(self)
        layout.addWidget(self.spinner)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.agree)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, tr("OK"))

    def initializePage(self) -> None:
        self.load()

    def cleanupPage(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def load(self) -> None:
        self.stop()
        self._terms = None
        self.problem.hide()
        self.retry.hide()
        self.spinner.start()
        self.completeChanged.emit()
        self._task = spawn(self._load(), "terms")

    async def _load(self) -> None:
        try:
            terms = await self._services.engine.terms()
        except UserFacingError as error:
            self.problem.setText(_problem_text(error))
            self.problem.show()
            self.retry.show()
            return
        finally:
            self.spinner.stop()
        self._terms = terms
        self.browser.setHtml(terms.html)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._terms is not None and super().isComplete()

    def validatePage(self) -> bool:
        if self._terms is None:
            return False
        self._state.terms_version = self._terms.version
        return True


class MigrationPage(QWizardPage):
    def __init__(self, services: ActivationServices, state: WizardState) -> None:
        super().__init__()
        self._services = services
        self._state = state
        self._started = 0.0
        self._activated = False
        self._done = False
        self.setTitle(tr("Migrating contacts online"))
        self.setSubTitle(
            tr(
                "You can close this window at any time: the migration carries on, and the "
                "traffic light in the system tray shows how it goes."
            )
        )
        self.spinner = Spinner()
        self.activity = QLabel()
        self.activity.setProperty("role", "muted")
        activity_row = QHBoxLayout()
        activity_row.addWidget(self.spinner)
        activity_row.addWidget(self.activity, 1)
        self.panel = StatusPanel()
        self.panel.hide()
        self.problem = _problem_label()
        self.retry = QPushButton(tr("Try &again"))
        self.retry.clicked.connect(self._start)
        self.retry.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(activity_row)
        layout.addWidget(self.panel)
        layout.addWidget(self.problem)
        layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignRight)
        layout.addStretch(1)
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("&Close"))
        services.bridge.status_changed.connect(self._on_status)

    @property
    def activated(self) -> bool:
        return self._activated

    def initializePage(self) -> None:
        self._start()

    def _start(self) -> None:
        self.problem.hide()
        self.retry.hide()
        self.activity.setText(tr("Activating Contacts Migration for the practice…"))
        self.spinner.start()
        self._started = time.monotonic()
        spawn(self._activate(), "activation")

    async def _activate(self) -> None:
        try:
            await asyncio.shield(self._services.activate(self._state.terms_version))
        except UserFacingError as error:
            self._fail(_problem_text(error))
            return
        except Exception:
            log.exception("the activation failed unexpectedly")
            self._fail(tr(UNEXPECTED))
            return
        self._activated = True
        self.activity.setText(tr("Contacts Migration is activated. Sending the contacts online…"))
        self.panel.show()
        status = self._services.bridge.status
        if status is not None:
            self._on_status(status)

    def _fail(self, text: str) -> None:
        self.spinner.stop()
        self.activity.setText(tr("Contacts Migration could not be activated."))
        self.problem.setText(text)
        self.problem.show()
        self.retry.show()

    def _on_status(self, status: Status) -> None:
        if not self._activated:
            return
        self.panel.show_status(status)
        if status.light is Light.RED:
            self.spinner.stop()
        elif not self._done:
            self.spinner.start()
        if status.state in SETTLED and not self._done:
            self._done = True
            self._state.migration_seconds = time.monotonic() - self._started
            self._state.final_status = status
            self.spinner.stop()
            self.activity.setText(tr("The contacts are online."))
            self.completeChanged.emit()
            QTimer.singleShot(0, self._advance)

    def _advance(self) -> None:
        wizard = self.wizard()
        if wizard is not None and wizard.isVisible() and wizard.currentPage() is self:
            wizard.next()

    def isComplete(self) -> bool:
        return self._done

    def nextId(self) -> int:
        return int(PageId.FINISH)


class FinishPage(QWizardPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(tr("Contacts Migration is active"))
        self.setSubTitle(tr("The practice's contacts are online and will stay up to date."))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "headline")
        self.next_steps = QLabel(
            tr(
                "From now on, changes made to contacts in the desktop program are sent online "
                "automatically. The traffic light in the system tray shows the sync at a glance: "
                "green when all is well, orange while syncing, red when something needs you."
            )
        )
        self.next_steps.setWordWrap(True)
        self.set_aside = QLabel()
        self.set_aside.setWordWrap(True)
        self.set_aside.setProperty("role", "problem")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addSpacing(8)
        layout.addWidget(self.set_aside)
        layout.addWidget(self.next_steps)
        layout.addStretch(1)
        self.setFinalPage(True)
        self.setButtonText(QWizard.WizardButton.FinishButton, tr("&Close"))

    def initializePage(self) -> None:
        status = self._state.final_status
        online = status.online_count if status is not None else None
        took = formatting.duration(self._state.migration_seconds)
        if status is not None and status.state is SyncState.STANDBY:
            self.summary.setText(status.message)
        else:
            self.summary.setText(
                f"{formatting.count(online or 0)} "
                + tr("contacts are online. The migration took ")
                + took
                + "."
            )
        set_aside = len(status.set_aside) if status is not None else 0
        self.set_aside.setText(
            f"{set_aside:,} "
            + tr("contacts were set aside: see the reasons in the status window (tray menu).")
        )
        self.set_aside.setVisible(set_aside > 0)
