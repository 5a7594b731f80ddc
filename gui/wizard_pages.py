"""The activation wizard's pages before the commit: confirmation, pre-flight, Terms of use.

The migration and finish pages are in ``gui.wizard_migration``.

Each page runs its engine call through one :class:`gui.wizard_task.PageTask` (spinner,
the retry line, the problem and the retry button); nothing here blocks the GUI thread or
opens a nested event loop.
"""

from __future__ import annotations

import asyncio
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
)
from gui.accessibility import announce
from gui.bridge import StatusBridge
from gui.icons import IconName, pixmap
from gui.style import beside_icon
from gui.text import tr
from gui.wizard_task import PageTask, problem_label, problem_text

#: The Terms page's commit button: it starts an activation that can't be undone.
AGREE_TEXT: Final = "Agree and &activate"
#: The wizard field the Terms checkbox fills; the trailing * makes it mandatory.
AGREED_FIELD: Final = "agreed*"
CHECK_ICON_SIZE: Final = 20


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
    #: Back to the set-up dialog to change what was entered (None: nothing to change
    #: here, the setup is this computer's saved one).
    change_setup: Callable[[], None] | None = None


@dataclass
class WizardState:
    """What one page learns and a later page needs."""

    needs_terms: bool | None = None
    terms_version: str | None = None
    migration_seconds: float | None = None
    final_status: Status | None = None


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

    def focus_order(self) -> list[QWidget | None]:
        """Where focus goes on this page, first usable first (the wizard adds its own
        forward button and Cancel after these)."""
        return []


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
        self.detail = problem_label()
        if not check.ok:
            self.detail.setText(problem_text(check.problem, check.fix))
        self.detail.setVisible(not check.ok)
        beside_icon(self, mark, (self.title, self.detail), spacing=4, margin=2)
        self.setAccessibleName(f"{self.title.text()}: {mark.accessibleName()}")


class PreflightPage(QWizardPage):
    def __init__(self, services: ActivationServices, state: WizardState) -> None:
        super().__init__()
        self._services = services
        self._state = state
        self._passed = False
        self.rows: list[CheckRow] = []
        self._checks: list[Check] = []
        self.setTitle(tr("Checking everything is ready"))
        self.setSubTitle(
            tr("The practice database, its online login and the online service are checked.")
        )
        self.retry = QPushButton(tr("&Check again"))
        self.retry.clicked.connect(self.run_checks)
        self.task = PageTask("preflight", services.engine, self.retry, retry_always_shown=True)
        self.spinner, self.problem = self.task.spinner, self.task.problem
        self.busy = QLabel(tr("Checking…"))
        self.busy.setProperty("role", "muted")
        busy_row = QHBoxLayout()
        busy_row.addWidget(self.spinner)
        busy_row.addWidget(self.busy, 1)
        self.checks = QVBoxLayout()
        self.checks.setSpacing(6)
        self.change_setup = QPushButton(tr("C&hange the set-up…"))
        self.change_setup.hide()
        if services.change_setup is not None:
            self.change_setup.clicked.connect(services.change_setup)
        retry_row = QHBoxLayout()
        retry_row.addStretch(1)
        retry_row.addWidget(self.change_setup)
        retry_row.addWidget(self.retry)
        layout = QVBoxLayout(self)
        layout.addLayout(busy_row)
        layout.addWidget(self.task.waiting)
        layout.addLayout(self.checks)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addLayout(retry_row)
        self.setButtonText(QWizard.WizardButton.CommitButton, tr("&Start migration"))

    @property
    def checking(self) -> bool:
        return self.task.running

    def initializePage(self) -> None:
        self.run_checks()

    def cleanupPage(self) -> None:
        self.stop()

    def stop(self) -> None:
        self.task.stop()

    def run_checks(self) -> None:
        """Run every check again (the person may have fixed something meanwhile)."""
        self._passed = False
        self._checks = []
        self.busy.setText(tr("Checking…"))
        self.task.run(self._check, self._checked, self._failed)
        self.completeChanged.emit()

    async def _check(self) -> bool | None:
        """Whether the Terms are needed; None when a check failed."""
        self._checks = await self._services.engine.preflight()
        if all(check.ok for check in self._checks):
            return await self._services.engine.needs_terms()
        return None

    def _checked(self, needs_terms: bool | None) -> None:
        self._show_rows()
        self._state.needs_terms = needs_terms
        self.setCommitPage(needs_terms is False)
        self._passed = needs_terms is not None
        self._say()

    def _failed(self) -> None:
        self._show_rows()
        self._state.needs_terms = None
        self.setCommitPage(False)
        self._say()

    def _say(self) -> None:
        stopped = not self._passed and not self.task.running
        self.change_setup.setVisible(stopped and self._services.change_setup is not None)
        self.busy.setText(
            tr("Everything is ready.")
            if self._passed
            else tr("Fix the problems below, then choose Check again.")
        )
        self.completeChanged.emit()
        failed = [row.title.text() for row in self.rows if not row.check.ok]
        if failed:
            announce(" ".join([self.busy.text(), *failed]), self, assertive=True)

    def focus_order(self) -> list[QWidget | None]:
        """A failed check's problem first (the error takes focus), else the way on."""
        failed = [row.detail for row in self.rows if not row.check.ok]
        return [*failed, self.problem, None if self._passed else self.retry]

    def _show_rows(self) -> None:
        for row in self.rows:
            self.checks.removeWidget(row)
            row.deleteLater()
        self.rows = [CheckRow(check) for check in self._checks]
        for row in self.rows:
            self.checks.addWidget(row)

    def isComplete(self) -> bool:
        return self._passed and not self.task.running

    def nextId(self) -> int:
        return int(PageId.MIGRATION if self._state.needs_terms is False else PageId.TERMS)


class TermsPage(QWizardPage):
    def __init__(self, services: ActivationServices, state: WizardState) -> None:
        super().__init__()
        self._services = services
        self._state = state
        self._terms: Terms | None = None
        self.setTitle(tr("Terms of use"))
        self.setSubTitle(
            tr("AE/AO Live is not yet activated for this practice: please read the Terms of use.")
        )
        self.retry = QPushButton(tr("&Load again"))
        self.retry.clicked.connect(self.load)
        self.task = PageTask("terms", services.engine, self.retry)
        self.spinner, self.problem = self.task.spinner, self.task.problem
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName(tr("Terms of use"))
        self.agree = QCheckBox(tr(AGREEMENT))
        self.agree.setAccessibleName(tr(AGREEMENT))
        self.registerField(AGREED_FIELD, self.agree)
        self.hint = QLabel(tr("Tick '") + tr(AGREEMENT) + tr("' to continue."))
        self.hint.setProperty("role", "muted")
        self.agree.toggled.connect(self._show_hint)
        self.browser.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.spinner)
        layout.addWidget(self.task.waiting)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.agree)
        layout.addWidget(self.hint)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, tr(AGREE_TEXT))

    def focus_order(self) -> list[QWidget | None]:
        """The problem if loading failed, else the Terms to read (then the box to tick)."""
        return [self.problem, self.retry, self.browser]

    def initializePage(self) -> None:
        self.load()

    def cleanupPage(self) -> None:
        self.stop()

    def stop(self) -> None:
        self.task.stop()

    def load(self) -> None:
        self._terms = None
        self.hint.hide()
        self.task.run(self._services.engine.terms, self._loaded)
        self.completeChanged.emit()

    def _loaded(self, terms: Terms) -> None:
        self._terms = terms
        self.browser.setHtml(terms.html)
        self._show_hint()
        self.completeChanged.emit()

    def _show_hint(self) -> None:
        """Agree and activate stays disabled until the box is ticked: say so, rather than
        refuse silently."""
        self.hint.setVisible(self._terms is not None and not self.agree.isChecked())

    def isComplete(self) -> bool:
        return self._terms is not None and super().isComplete()

    def validatePage(self) -> bool:
        if self._terms is None:
            return False
        self._state.terms_version = self._terms.version
        return True
