"""The activation wizard's pages before the commit: confirmation, pre-flight, Terms of use.

The migration and finish pages are in ``gui.wizard_migration``.

Each page awaits engine calls as asyncio tasks on the qasync loop and shows a spinner
meanwhile; nothing here blocks the GUI thread or opens a nested event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, auto
from typing import Final

from PySide6.QtCore import Qt
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

from engine import (
    AGREEMENT,
    CONFIRMATION,
    Activation,
    Check,
    Engine,
    Status,
    Terms,
    UserFacingError,
)
from gui.bridge import StatusBridge
from gui.icons import IconName, pixmap
from gui.spinner import Spinner
from gui.tasks import spawn
from gui.text import tr

log = logging.getLogger(__name__)

#: The wizard field the Terms checkbox fills; the trailing * makes it mandatory.
AGREED_FIELD: Final = "agreed*"
CHECK_ICON_SIZE: Final = 20
UNEXPECTED: Final = (
    "Something unexpected went wrong. It was written to the log file; "
    "try again, and if it happens again send the log file to support."
)


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


def problem_text(error: UserFacingError) -> str:
    return f"{error.problem}\n{tr('What to do: ')}{error.fix}" if error.fix else error.problem


def problem_label() -> QLabel:
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
        self.problem = problem_label()
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
            self.problem.setText(problem_text(problem))
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
        self.problem = problem_label()
        self.retry = QPushButton(tr("&Load again"))
        self.retry.clicked.connect(self.load)
        self.retry.hide()
        self.agree = QCheckBox(tr(AGREEMENT))
        self.agree.setAccessibleName(tr(AGREEMENT))
        self.registerField(AGREED_FIELD, self.agree)
        self.hint = QLabel(tr("Tick '") + tr(AGREEMENT) + tr("' to continue."))
        self.hint.setProperty("role", "muted")
        self.agree.toggled.connect(self._show_hint)
        self.browser.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.spinner)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.agree)
        layout.addWidget(self.hint)
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
        self.hint.hide()
        self.spinner.start()
        self.completeChanged.emit()
        self._task = spawn(self._load(), "terms")

    async def _load(self) -> None:
        try:
            terms = await self._services.engine.terms()
        except UserFacingError as error:
            self.problem.setText(problem_text(error))
            self.problem.show()
            self.retry.show()
            return
        finally:
            self.spinner.stop()
        self._terms = terms
        self.browser.setHtml(terms.html)
        self._show_hint()
        self.completeChanged.emit()

    def _show_hint(self) -> None:
        """OK stays disabled until the box is ticked: say so, rather than refuse silently."""
        self.hint.setVisible(self._terms is not None and not self.agree.isChecked())

    def isComplete(self) -> bool:
        return self._terms is not None and super().isComplete()

    def validatePage(self) -> bool:
        if self._terms is None:
            return False
        self._state.terms_version = self._terms.version
        return True
