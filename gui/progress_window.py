"""Watching progress: the live figures, recent activity, and what was set aside."""

from __future__ import annotations

import time
from typing import Final, Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAccessible, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine import Command, Light, Status
from gui.accessibility import announce, enter_presses, set_role
from gui.bridge import StatusBridge
from gui.history import History
from gui.icons import IconName, icon
from gui.lights import COMMAND_LABEL, LIGHT_LOOK, command_label
from gui.status_panel import StatusPanel
from gui.text import tr

WINDOW_SIZE: Final = QSize(620, 560)
TIME_FORMAT: Final = "%H:%M:%S"


class StatusCommands(Protocol):
    def sync_now(self) -> None: ...

    def show_troubleshooting(self) -> None: ...

    def open_online_page(self) -> None: ...


class ProgressWindow(QWidget):
    def __init__(self, bridge: StatusBridge, history: History, commands: StatusCommands) -> None:
        super().__init__()
        self._history = history
        self.setWindowTitle(tr("Contacts Migration status"))
        self.setWindowIcon(icon(IconName.APP))
        set_role(self, QAccessible.Role.Window)  # a window (frame), not a filler
        self.panel = StatusPanel()
        history_title = QLabel(tr("Recent activity"))
        history_title.setProperty("role", "headline")
        self.history_list = QListWidget()
        self.history_list.setAccessibleName(tr("Recent activity"))
        self.history_list.setWordWrap(True)
        self.history_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sync_button = QPushButton(tr(COMMAND_LABEL[Command.SYNC]))
        self.sync_button.setProperty("role", "primary")
        self.sync_button.setAccessibleName(self.sync_button.text().replace("&", ""))
        self.sync_button.clicked.connect(commands.sync_now)
        self.online_button = QPushButton(tr("Open the &online contacts page"))
        self.online_button.clicked.connect(commands.open_online_page)
        self.troubleshooting_button = QPushButton(tr("&Troubleshooting…"))
        self.troubleshooting_button.clicked.connect(commands.show_troubleshooting)
        self.close_button = QPushButton(tr("&Close"))
        self.close_button.clicked.connect(self.close)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setProperty("role", "muted")
        self.feedback.hide()
        #: The light when the feedback line was said: it is cleared when the light changes.
        self._feedback_light: Light | None = None
        self._light: Light | None = None
        enter_presses(  # not a dialog: Qt would ignore Enter on a focused button
            self.online_button, self.troubleshooting_button, self.sync_button, self.close_button
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.online_button)
        buttons.addStretch(1)
        buttons.addWidget(self.troubleshooting_button)
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 18)
        layout.addWidget(self.panel)
        layout.addSpacing(6)
        layout.addWidget(history_title)
        layout.addWidget(self.history_list, 1)
        layout.addWidget(self.feedback)
        layout.addLayout(buttons)
        self.resize(WINDOW_SIZE)
        self.sync_button.setFocus()  # where a keyboard starts: the one action
        bridge.status_changed.connect(self.show_status)
        history.changed.connect(self._render_history)
        if bridge.status is not None:
            self.show_status(bridge.status)
        self._render_history()

    def show_status(self, status: Status) -> None:
        self._light = status.light
        if self._feedback_light is not None and status.light is not self._feedback_light:
            self.show_feedback("")  # said under another light: no longer true
        self.panel.show_status(status)
        self.sync_button.setText(command_label(status))
        self.sync_button.setAccessibleName(self.sync_button.text().replace("&", ""))

    def show_feedback(self, text: str) -> None:
        """What the last "Sync now" or "Retry now" did, in words, until the light changes."""
        self._feedback_light = self._light if text else None
        self.feedback.setText(text)
        self.feedback.setVisible(bool(text))
        if self.isVisible():
            announce(text, self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape closes the status window, as it does a dialog."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def _render_history(self) -> None:
        self.history_list.clear()
        for entry in self._history.entries:
            item = QListWidgetItem(
                icon(LIGHT_LOOK[entry.light].icon),
                f"{time.strftime(TIME_FORMAT, time.localtime(entry.at))}  {entry.text}",
            )
            self.history_list.addItem(item)
        # No current row until the list has focus: Qt reports the current row as FOCUSED
        # to screen readers even while a button holds the focus.
        if not self.history_list.hasFocus():
            self.history_list.setCurrentRow(-1)
