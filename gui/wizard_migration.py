"""The activation wizard's pages after the commit: the migration under way, then finish.

The activation runs through :class:`gui.wizard_task.PageTask` like the pages before it;
nothing here blocks the GUI thread or opens a nested event loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from engine import Activation, Light, Status, SyncState
from gui import formatting
from gui.status_panel import StatusPanel
from gui.text import tr
from gui.wizard_pages import ActivationServices, PageId, WizardState
from gui.wizard_task import PageTask

#: States after which the first pass is over: in sync here, or another computer syncs.
SETTLED: Final = frozenset({SyncState.ACTIVE, SyncState.STANDBY})


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
        self.retry = QPushButton(tr("Try &again"))
        self.retry.clicked.connect(self._start)
        self.task = PageTask("activation", services.engine, self.retry)
        self.spinner, self.problem = self.task.spinner, self.task.problem
        self.activity = QLabel()
        self.activity.setProperty("role", "muted")
        activity_row = QHBoxLayout()
        activity_row.addWidget(self.spinner)
        activity_row.addWidget(self.activity, 1)
        self.panel = StatusPanel()
        self.panel.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(activity_row)
        layout.addWidget(self.task.waiting)
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
        self.activity.setText(tr("Activating Contacts Migration for the practice…"))
        self._started = time.monotonic()
        terms = self._state.terms_version
        # Shielded: closing the wizard must not cancel a commit that is under way.
        self.task.run(
            lambda: asyncio.shield(self._services.activate(terms)),
            self._activation_done,
            self._failed,
        )

    def _activation_done(self, _activation: Activation) -> None:
        self._activated = True
        self.activity.setText(tr("Contacts Migration is activated. Sending the contacts online…"))
        self.panel.show()
        status = self._services.bridge.status
        if status is not None:
            self._on_status(status)

    def _failed(self) -> None:
        self.activity.setText(tr("Contacts Migration could not be activated."))

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

    def focus_order(self) -> list[QWidget | None]:
        """The problem and Try again if activating failed; else the wizard's Close."""
        return [self.problem, self.retry]


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

    def focus_order(self) -> list[QWidget | None]:
        return []

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
