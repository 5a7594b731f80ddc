"""Troubleshooting: what the current Status means, the steps to fix it, Retry now, and the
diagnostics for support (on the clipboard or as a zip).

Rendered from the engine's Status alone (its light and reason), never from events or
logs. The per-reason words live in the one GUIDE table below.
"""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass
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
    QVBoxLayout,
    QWidget,
)

from engine import (
    AppPaths,
    Engine,
    Light,
    Reason,
    Status,
    SyncState,
    UserFacingError,
    diagnostics_text,
    write_diagnostics,
)
from gui.bridge import StatusBridge
from gui.icons import IconName, icon, pixmap
from gui.lights import LIGHT_LOOK
from gui.tasks import spawn
from gui.text import tr

log = logging.getLogger(__name__)

DIALOG_SIZE: Final = QSize(660, 500)
LIGHT_SIZE: Final = 40


@dataclass(frozen=True)
class Guide:
    #: What the reason means, in plain words.
    meaning: str
    #: What to do, in order.
    steps: tuple[str, ...]


RETRY_STEP: Final = "Press Retry now."
SUPPORT_STEP: Final = (
    "If it still does not work, press Copy diagnostics and paste them into an email to support."
)

#: For each reason the engine can give: what it means and the steps to fix it.
GUIDE: Final[dict[Reason, Guide]] = {
    Reason.STOPPED: Guide(
        "The sync agent is not running on this computer, so changes made on the desktop "
        "are not sent online. Nothing is lost: it resumes where it stopped.",
        (
            "Press Retry now to start it here.",
            "Or start Contacts Migration from the Start menu, or run "
            "'contacts-migration run' on the computer that should keep the contacts in sync.",
            SUPPORT_STEP,
        ),
    ),
    Reason.NOT_CONFIGURED: Guide(
        "This computer has no Contacts Migration settings yet: it does not know which "
        "practice database and which online practice to use.",
        (
            "In the Maintenance Map window open Maintenance > Online > Activate Contacts "
            "Migration: it asks for the practice database, the online service address and "
            "the practice's client id and secret, then activates.",
            "If the settings file exists but is wrong, the message above names the problem; "
            "correct the file (its location is shown below) or activate again.",
            SUPPORT_STEP,
        ),
    ),
    Reason.NOT_ACTIVATED: Guide(
        "The practice's contacts have not been moved online yet, so there is nothing to "
        "keep in sync.",
        (
            "Press Activate… here, or open Maintenance > Online > Activate Contacts Migration "
            "in the desktop program.",
            "Follow the wizard: the checks, the Terms of use, then the migration.",
        ),
    ),
    Reason.DATABASE_UNREACHABLE: Guide(
        "This computer can't connect to the practice database, so changes made on the "
        "desktop can't be read. The online copy stays as it was until the connection is back.",
        (
            "Check that the database server (the computer that holds the practice database) "
            "is switched on and its SQL Server service is running.",
            "Check the connection settings name the right server and instance, for example "
            "MYOBSERVER\\MYOBACCT (the [source] url in the settings file shown below).",
            "Check this computer is on the practice network (or its VPN) and that no "
            "firewall blocks the database server.",
            "Open the practice in the desktop program on this computer: if that fails too, "
            "the problem is the server or the network, not Contacts Migration.",
            RETRY_STEP,
        ),
    ),
    Reason.DATABASE_SCHEMA: Guide(
        "The database reached does not have the tables and columns the mapping file "
        "expects: the connection may point at another database, or the desktop program was "
        "upgraded and its database changed.",
        (
            "Check the connection settings point at the practice database, not a copy or "
            "another program's database.",
            "If the desktop program was upgraded, install the matching Contacts Migration "
            "update or mapping file (the [source] mapping_file setting).",
            RETRY_STEP,
            SUPPORT_STEP,
        ),
    ),
    Reason.ONLINE_UNREACHABLE: Guide(
        "This computer can't reach the online service. Nothing is lost: changes wait in "
        "the desktop database and are sent as soon as the connection is back.",
        (
            "Check this computer can open web sites.",
            "If the practice uses a proxy, set it in the settings file: under [online], "
            'proxy = "http://proxy.example:3128" ("system" uses the system\'s proxy, '
            '"none" connects directly).',
            "If a firewall or security product inspects secure connections, add its "
            "certificate authority: under [online], ca_file = the path of its PEM file.",
            "Ask IT to allow this computer to reach the online service's address "
            "(the [online] url setting).",
            RETRY_STEP,
        ),
    ),
    Reason.ONLINE_ERROR: Guide(
        "The online service is reached but answers with errors: it may be busy or under "
        "maintenance. Contacts Migration keeps retrying on its own.",
        (
            "Wait a few minutes: it retries by itself.",
            RETRY_STEP,
            "If it lasts more than an hour, press Copy diagnostics and send them to support.",
        ),
    ),
    Reason.CREDENTIALS_REJECTED: Guide(
        "The online service did not accept this practice's client id and secret: they may "
        "have been reset or revoked online, or this computer's settings are for another "
        "practice.",
        (
            "Get the practice's current client id and secret from the online service's "
            "practice administration.",
            "Run the activation again with them ('contacts-migration activate'): it keeps "
            "the secret in this computer's keyring, never in the settings file.",
            RETRY_STEP,
        ),
    ),
    Reason.LOGIN_NOT_ACTIVE_EMPLOYEE: Guide(
        "The practice signs in online with its practice login email, and that email must "
        "belong to an active employee in the desktop program. Right now it does not: the "
        "employee was made inactive, or the email changed.",
        (
            "In the desktop program open the employee with that email (named above) and "
            "make them active again.",
            "Or change the login email in Practice my.MYOB settings to the email of a "
            "dedicated active employee, one nobody deactivates when staff leave.",
            RETRY_STEP,
        ),
    ),
    Reason.LEASE_LOST: Guide(
        "Another computer took over keeping this practice's contacts in sync. Only one "
        "computer does it at a time, so this one stopped sending.",
        (
            "Find which computer should keep the contacts in sync (usually the server).",
            "If it is the other one, quit Contacts Migration here (Quit in the tray menu).",
            "If it is this one, quit Contacts Migration on the other computer, then press "
            "Retry now here.",
        ),
    ),
}

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
        "Contacts are being sent online (the first migration, or recent changes). It "
        "carries on in the background; there is nothing to do but wait."
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

        self.light = QLabel()
        self.light.setFixedSize(LIGHT_SIZE, LIGHT_SIZE)
        self.headline = QLabel()
        self.headline.setProperty("role", "headline")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meaning_title = QLabel(tr("What this means"))
        self.meaning_title.setProperty("role", "headline")
        self.meaning = QLabel()
        self.meaning.setWordWrap(True)
        self.meaning.setAccessibleName(tr("What this means"))
        self.steps_title = QLabel(tr("How to fix it"))
        self.steps_title.setProperty("role", "headline")
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.steps.setAccessibleName(tr("How to fix it"))
        self.steps.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setProperty("role", "muted")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.copy_button = QPushButton(tr("&Copy diagnostics"))
        self.copy_button.setAccessibleName(tr("Copy diagnostics to the clipboard"))
        self.copy_button.clicked.connect(self.copy_diagnostics)
        self.save_button = QPushButton(tr("Save diagnostics &file…"))
        self.save_button.setAccessibleName(tr("Save a diagnostics file"))
        self.save_button.clicked.connect(self.choose_diagnostics_file)
        self.feedback = QLabel()
        self.feedback.setProperty("role", "muted")
        self.feedback.setAccessibleName(tr("Diagnostics"))
        self.feedback.hide()  # until there is something to say
        self.retry_button = QPushButton(tr("&Retry now"))
        self.retry_button.setProperty("role", "primary")
        self.retry_button.clicked.connect(commands.sync_now)
        self.close_button = QPushButton(tr("C&lose"))
        self.close_button.setAccessibleName(tr("Close"))
        self.close_button.clicked.connect(self.close)

        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.headline)
        words.addWidget(self.message)
        top = QHBoxLayout()
        top.addWidget(self.light, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(words, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 18)
        layout.addLayout(top)
        layout.addSpacing(8)
        layout.addWidget(self.meaning_title)
        layout.addWidget(self.meaning)
        layout.addSpacing(4)
        layout.addWidget(self.steps_title)
        layout.addWidget(self.steps)
        layout.addWidget(self.where)
        layout.addStretch(1)
        layout.addWidget(self.feedback)
        layout.addLayout(buttons)
        self.retry_button.setFocus()
        self.resize(DIALOG_SIZE)
        bridge.status_changed.connect(self.show_status)
        if bridge.status is not None:
            self.show_status(bridge.status)

    # -- rendering the Status ----------------------------------------------------------------

    def guide(self) -> Guide | None:
        """The reason's guide when there is something to fix (red, or orange retrying)."""
        status = self.status
        if status is None or status.reason is None:
            return None
        if status.light is Light.RED or status.retrying:
            return GUIDE[status.reason]
        return None

    def show_status(self, status: Status) -> None:
        self.status = status
        look = LIGHT_LOOK[status.light]
        self.light.setPixmap(pixmap(look.icon, LIGHT_SIZE))
        self.light.setAccessibleName(tr(look.headline))
        self.headline.setText(tr(look.headline))
        self.headline.setStyleSheet(f"color: {look.colour};")
        self.message.setText(status.message)
        guide = self.guide()
        red = status.light is Light.RED
        if guide is None:
            self.meaning.setText(tr(STATE_NOTES.get(status.state, "")))
        elif red:
            self.meaning.setText(tr(guide.meaning))
        else:
            self.meaning.setText(tr(RETRYING_NOTE) + " " + tr(guide.meaning))
        self.steps.setText(numbered(guide.steps) if guide is not None else "")
        self.steps_title.setVisible(guide is not None)
        self.steps.setVisible(guide is not None)
        where = []
        if status.machine:
            where.append(tr("This computer: ") + status.machine)
        if red:
            where.append(tr("Settings file: ") + str(self.paths.settings_file))
        self.where.setText("\n".join(where))
        self.where.setVisible(bool(where))
        if status.reason is Reason.NOT_ACTIVATED:
            self.retry_button.setText(tr("&Activate…"))
        else:
            self.retry_button.setText(tr("&Retry now") if red else tr("&Sync now"))
        self.retry_button.setAccessibleName(self.retry_button.text().replace("&", ""))

    # -- diagnostics -------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.feedback.setText(text)
        self.feedback.show()

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
