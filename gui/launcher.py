"""The "Maintenance Map" window: where the desktop program's menu leads.

Maintenance > Online > Activate Contacts Migration starts the wizard. Once the practice
is activated (a fact the engine reads from the practice database, so every workstation
agrees) that item shows as activated and disabled, and Online > Contacts Migration
status… opens the progress window instead.
"""

from __future__ import annotations

import html
from typing import Final, Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAccessible, QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine import Status
from gui.accessibility import enter_presses, plain, set_role
from gui.icons import IconName, icon, pixmap
from gui.lights import LIGHT_LOOK, headline
from gui.text import tr

WINDOW_SIZE: Final = QSize(760, 480)
LIGHT_SIZE: Final = 28
GRID_COLUMNS: Final = 2
ACTIVATE_TEXT: Final = "&Activate Contacts Migration…"
ACTIVATED_TEXT: Final = "Contacts Migration activated"
STATUS_TEXT: Final = "Contacts Migration &status…"
TROUBLESHOOTING_TEXT: Final = "Contacts Migration &troubleshooting…"
#: From anywhere in the Maintenance Map: the status window (the tray's status, by keyboard).
STATUS_SHORTCUT: Final = "Ctrl+Shift+S"
TROUBLESHOOTING_SHORTCUT: Final = "Ctrl+Shift+T"

#: The desktop program's other maintenance areas, shown for context only.
OTHER_AREAS: Final = (
    ("Practice", "Practice details, offices and departments, my.MYOB login."),
    ("Staff", "Employees, partners and managers, their access."),
    ("Contacts", "Client codes, extra fields, relationship types."),
)


class LauncherCommands(Protocol):
    def open_wizard(self) -> None: ...

    def show_progress(self) -> None: ...

    def show_troubleshooting(self) -> None: ...

    def request_quit(self) -> None: ...


def _card(title: str, text: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setProperty("role", "card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(16, 14, 16, 14)
    heading = QLabel(title)
    heading.setProperty("role", "headline")
    body = QLabel(text)
    body.setWordWrap(True)
    body.setProperty("role", "muted")
    layout.addWidget(heading)
    layout.addWidget(body)
    return card, layout


class LauncherWindow(QMainWindow):
    def __init__(self, commands: LauncherCommands) -> None:
        super().__init__()
        self._activated = False
        self.setWindowTitle(tr("Maintenance Map"))
        self.setWindowIcon(icon(IconName.APP))
        self.resize(WINDOW_SIZE)

        file_menu = self.menuBar().addMenu(tr("&File"))
        file_menu.addAction(tr("E&xit"), commands.request_quit)
        self.maintenance_menu = self.menuBar().addMenu(tr("&Maintenance"))
        self.online_menu = self.maintenance_menu.addMenu(tr("&Online"))
        # Not checkable: a tick would claim an activation a cancelled wizard never made;
        # the activated state is said in words (the item's text) instead.
        self.activate_action = QAction(tr(ACTIVATE_TEXT), self)
        self.activate_action.triggered.connect(lambda _checked: commands.open_wizard())
        self.status_action = QAction(tr(STATUS_TEXT), self)
        self.status_action.setShortcut(QKeySequence(STATUS_SHORTCUT))
        self.status_action.triggered.connect(lambda _checked: commands.show_progress())
        self.troubleshooting_action = QAction(tr(TROUBLESHOOTING_TEXT), self)
        self.troubleshooting_action.setShortcut(QKeySequence(TROUBLESHOOTING_SHORTCUT))
        self.troubleshooting_action.triggered.connect(
            lambda _checked: commands.show_troubleshooting()
        )
        self.online_menu.addAction(self.activate_action)
        self.online_menu.addAction(self.status_action)
        self.online_menu.addAction(self.troubleshooting_action)
        for menu in (file_menu, self.maintenance_menu, self.online_menu):
            menu.setAccessibleName(plain(menu.title()))  # not the program's name

        title = QLabel(tr("Maintenance Map"))
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        set_role(title, QAccessible.Role.Heading)
        subtitle = QLabel(
            tr("Set up the practice, its staff, its contacts and its online services.")
        )
        subtitle.setProperty("role", "muted")

        online_card, online_layout = _card(
            tr("Online"),
            tr(
                "Contacts Migration copies the practice's contacts online and keeps them in sync "
                "with the desktop."
            ),
        )
        self.light = QLabel()
        self.light.setFixedSize(LIGHT_SIZE, LIGHT_SIZE)
        self.light_text = QLabel(tr("Checking…"))
        self.light_text.setWordWrap(True)
        light_row = QHBoxLayout()
        light_row.addWidget(self.light)
        light_row.addWidget(self.light_text, 1)
        self.activate_button = QPushButton(tr(ACTIVATE_TEXT))
        self.activate_button.setProperty("role", "primary")
        self.activate_button.clicked.connect(commands.open_wizard)
        self.status_button = QPushButton(tr(STATUS_TEXT))
        self.status_button.clicked.connect(commands.show_progress)
        enter_presses(self.activate_button, self.status_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.activate_button)
        buttons.addWidget(self.status_button)
        buttons.addStretch(1)
        online_layout.addLayout(light_row)
        online_layout.addLayout(buttons)

        grid = QGridLayout()
        grid.setSpacing(12)
        cards = []
        for name, text in OTHER_AREAS:
            card, card_layout = _card(tr(name), tr(text))
            card_layout.addStretch(1)
            cards.append(card)
        for index, card in enumerate([online_card, *cards]):
            card.setEnabled(card is online_card)
            grid.addWidget(card, index // GRID_COLUMNS, index % GRID_COLUMNS)
        grid.setAlignment(Qt.AlignmentFlag.AlignTop)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(12)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.setCentralWidget(central)
        self.set_activated(False)
        self.activate_button.setFocus()  # where a keyboard starts

    @property
    def activated(self) -> bool:
        return self._activated

    def set_activated(self, activated: bool) -> None:
        self._activated = activated
        self.activate_action.setEnabled(not activated)
        self.activate_action.setText(tr(ACTIVATED_TEXT) if activated else tr(ACTIVATE_TEXT))
        self.activate_button.setText(tr(ACTIVATED_TEXT) if activated else tr(ACTIVATE_TEXT))
        self.activate_button.setEnabled(not activated)
        self.status_action.setEnabled(activated)
        self.status_button.setEnabled(activated)
        if activated and self.activate_button.hasFocus():
            self.status_button.setFocus()  # never left on a disabled button

    def show_status(self, status: Status) -> None:
        look = LIGHT_LOOK[status.light]
        self.light.setPixmap(pixmap(look.icon, LIGHT_SIZE))
        self.light.setAccessibleName(headline(status))
        self.light_text.setText(
            f"<b>{html.escape(headline(status))}</b><br>{html.escape(status.message)}"
        )
