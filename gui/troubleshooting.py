"""Troubleshooting: what the current Status means, the steps to fix it, Retry now, and the
diagnostics for support (on the clipboard or as a zip).

Rendered from the engine's Status alone (its light and reason), never from events or
logs. Each reason's words (what it means, the steps) come from the engine's one table,
``engine.REASON_WORDS``, which ``contacts-migration status`` prints as well.
"""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import (
    AppPaths,
    Command,
    Engine,
    FrontEnd,
    Light,
    Reason,
    Status,
    SyncState,
    UserFacingError,
    diagnostics_text,
    words_for,
    write_diagnostics,
)
from gui.accessibility import announce, enter_means_default
from gui.bridge import StatusBridge
from gui.icons import IconName, icon
from gui.lights import COMMAND_LABEL, command_label
from gui.status_panel import StatusHeader
from gui.tasks import spawn
from gui.text import tr

log = logging.getLogger(__name__)

DIALOG_SIZE: Final = QSize(660, 500)


#: Green and orange need no fixing: a sentence each.
STATE_NOTES: Final[dict[SyncState, str]] = {
    SyncState.ACTIVE: (
        "Everything is working: changes made on the desktop are sent online within "
        "seconds. There is nothing to do."
    ),
    SyncState.STANDBY: (
        "Another computer keeps the contacts in sync; this one takes over if it stops. "
        "There is nothing to do."
    ),
    SyncState.MIGRATING: (
        "Every contact is being copied online for the first time. It carries on in the "
        "background; there is nothing to do but wait."
    ),
    SyncState.SENDING: (
        "Changes made on the desktop are being sent online. There is nothing to do."
    ),
    SyncState.STARTING: (
        "Contacts Migration is starting: it signs in to the online service and checks the "
        "practice database. There is nothing to do."
    ),
}
RETRYING_NOTE: Final = (
    "A problem is being retried. If it lasts more than a minute the light turns red; "
    "meanwhile, this is what it means and how to fix it:"
)


class TroubleshootingCommands(Protocol):
    engine: Engine | None

    def sync_now(self) -> None: ...


def numbered(steps: tuple[str, ...]) -> str:
    """The steps as a numbered list (rich text; each step escaped)."""
    items = "".join(f"<li>{html.escape(tr(step), quote=False)}</li>" for step in steps)
    return f"<ol style='margin-left: 0px; -qt-list-indent: 1;'>{items}</ol>"


class TroubleshootingDialog(QDialog):
    def __init__(
        self,
        bridge: StatusBridge,
        commands: TroubleshootingCommands,
        paths: AppPaths,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._commands = commands
        self.paths = paths
        self._busy: asyncio.Task[None] | None = None
        self._save_dialog: QFileDialog | None = None
        self.status: Status | None = None
        self.setWindowTitle(tr("Contacts Migration troubleshooting"))
        self.setWindowIcon(icon(IconName.APP))
        self.setModal(False)

        self.header = StatusHeader()
        self.headline, self.message = self.header.headline, self.header.message
        self.meaning_title = QLabel(tr("What this means"))
        self.meaning_title.setProperty("role", "headline")
        self.meaning = QLabel()
        self.meaning.setWordWrap(True)
        self.steps_title = QLabel(tr("How to fix it"))
        self.steps_title.setProperty("role", "headline")
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.steps.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setProperty("role", "muted")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Settings-file details are for IT: folded away so the steps stay plain words.
        self.for_it_button = QToolButton()
        self.for_it_button.setText(tr("For &IT"))
        self.for_it_button.setCheckable(True)
        self.for_it_button.setArrowType(Qt.ArrowType.RightArrow)
        self.for_it_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.for_it_button.toggled.connect(self._toggle_for_it)
        self.for_it = QLabel()
        self.for_it.setWordWrap(True)
        self.for_it.setProperty("role", "muted")
        self.for_it.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.for_it.hide()
        #: The light when the feedback line was said: it is cleared when the light changes.
        self._feedback_light: Light | None = None

        self.copy_button = QPushButton(tr("&Copy diagnostics"))
        self.copy_button.setAccessibleName(tr("Copy diagnostics to the clipboard"))
        self.copy_button.clicked.connect(self.copy_diagnostics)
        self.save_button = QPushButton(tr("Save diagnostics &file…"))
        self.save_button.setAccessibleDescription(tr("A zip file to send to support."))
        self.save_button.clicked.connect(self.choose_diagnostics_file)
        self.feedback = QLabel()
        self.feedback.setProperty("role", "muted")
        self.feedback.hide()  # until there is something to say
        self.retry_button = QPushButton(tr(COMMAND_LABEL[Command.RETRY]))
        self.retry_button.setProperty("role", "primary")
        self.retry_button.clicked.connect(commands.sync_now)
        self.close_button = QPushButton(tr("C&lose"))
        self.close_button.setAccessibleName(tr("Close"))
        self.close_button.clicked.connect(self.close)

        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 18)
        layout.addWidget(self.header)
        layout.addSpacing(8)
        layout.addWidget(self.meaning_title)
        layout.addWidget(self.meaning)
        layout.addSpacing(4)
        layout.addWidget(self.steps_title)
        layout.addWidget(self.steps)
        layout.addWidget(self.where)
        layout.addWidget(self.for_it_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.for_it)
        layout.addStretch(1)
        layout.addWidget(self.feedback)
        layout.addLayout(buttons)
        self.retry_button.setFocus()
        enter_means_default(self)
        self.retry_button.setDefault(True)  # Enter retries (or syncs) from anywhere here
        self.resize(DIALOG_SIZE)
        bridge.status_changed.connect(self.show_status)
        if bridge.status is not None:
            self.show_status(bridge.status)

    # -- rendering the Status ----------------------------------------------------------------

    def trouble(self) -> Reason | None:
        """The reason whose steps to show: there is something to fix (red, or orange
        retrying)."""
        status = self.status
        if status is None or status.reason is None:
            return None
        if status.light is Light.RED or status.retrying:
            return status.reason
        return None

    def _toggle_for_it(self, shown: bool) -> None:
        self.for_it_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.for_it.setVisible(shown and bool(self.for_it.text()))

    def show_feedback(self, text: str) -> None:
        """What Retry now / Sync now found, said here; cleared when the light changes."""
        self._say(text)
        self._feedback_light = self.status.light if self.status is not None else None

    def show_status(self, status: Status) -> None:
        if self._feedback_light is not None and status.light is not self._feedback_light:
            self._feedback_light = None  # said under another light: no longer true
            self.feedback.clear()
            self.feedback.hide()
        self.status = status
        self.header.show_status(status)
        trouble = self.trouble()
        red = status.light is Light.RED
        words = words_for(trouble, status.observed) if trouble is not None else None
        if words is None:
            self.meaning.setText(tr(STATE_NOTES.get(status.state, "")))
        elif red:
            self.meaning.setText(tr(words.meaning))
        else:
            self.meaning.setText(tr(RETRYING_NOTE) + " " + tr(words.meaning))
        self.steps.setText(numbered(words.steps_for(FrontEnd.GUI)) if words is not None else "")
        self.steps_title.setVisible(words is not None)
        self.steps.setVisible(words is not None)
        where = [tr("This computer: ") + status.machine] if status.machine else []
        self.where.setText("\n".join(where))
        self.where.setVisible(bool(where))
        it_lines = list(words.for_it) if words is not None else []
        if words is not None:
            it_lines.append(tr("Settings file: ") + str(self.paths.settings_file))
        self.for_it.setText("\n".join(it_lines))
        self.for_it_button.setVisible(bool(it_lines))
        self.for_it.setVisible(bool(it_lines) and self.for_it_button.isChecked())
        self.retry_button.setText(command_label(status))
        self.retry_button.setAccessibleName(self.retry_button.text().replace("&", ""))

    # -- diagnostics -------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self._feedback_light = None
        self.feedback.setText(text)
        self.feedback.show()
        announce(text, self)

    def _secrets(self) -> list[str]:
        """The secret this process holds in memory, to be masked as well."""
        engine = self._commands.engine
        return [engine.config.credentials.client_secret] if engine is not None else []

    def copy_diagnostics(self) -> None:
        """Collect off the GUI thread (it reads files and asks pyodbc), then copy."""
        if self._busy is not None and not self._busy.done():
            return
        self._say(tr("Collecting diagnostics…"))
        self._busy = spawn(self._copy(), "copy diagnostics")

    async def _copy(self) -> None:
        status = self.status.to_json() if self.status is not None else None
        try:
            text = await asyncio.to_thread(diagnostics_text, self.paths, status, self._secrets())
        except Exception:
            log.exception("collecting the diagnostics failed")
            self._say(tr("Could not collect the diagnostics; see the log."))
            return
        QApplication.clipboard().setText(text)
        self._say(tr("Copied. Paste them into an email to support."))

    def choose_diagnostics_file(self) -> None:
        """A non-blocking save dialog; the zip is written once a file is chosen."""
        name = f"contacts-migration-diagnostics-{datetime.now():%Y%m%d-%H%M%S}.zip"
        chooser = QFileDialog(self, tr("Save diagnostics file"), str(Path.home() / name))
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.setNameFilter(tr("Zip files (*.zip)"))
        chooser.setDefaultSuffix("zip")
        # Qt's own dialog: a native one may spin a nested modal loop inside the qasync loop.
        chooser.setOption(QFileDialog.Option.DontUseNativeDialog)
        chooser.fileSelected.connect(self.save_diagnostics)
        self._save_dialog = chooser
        chooser.open()

    def save_diagnostics(self, target: str) -> None:
        if self._busy is not None and not self._busy.done():
            return
        self._say(tr("Writing the diagnostics file…"))
        self._busy = spawn(self._save(Path(target)), "save diagnostics")

    async def _save(self, target: Path) -> None:
        try:
            await asyncio.to_thread(write_diagnostics, target, self.paths)
        except UserFacingError as error:
            self._say(error.problem)
            return
        self._say(tr("Saved ") + str(target))
