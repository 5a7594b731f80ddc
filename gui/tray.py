"""The traffic light in the system tray: the sync's state at a glance.

Icon, tooltip and menu come from the latest Status through the one LIGHT_LOOK table.
Without a system tray (offscreen, some Linux desktops) the status window stays open
instead, and the icon appears once a tray does.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from engine import Command, Light, Status, last_confirmed_line
from gui.bridge import StatusBridge
from gui.icons import IconName, icon
from gui.lights import COMMAND_LABEL, LIGHT_LOOK, command_label, headline
from gui.notifications import Notice, Notifier
from gui.text import tr

log = logging.getLogger(__name__)

#: How often a missing system tray is looked for again.
TRAY_RETRY_MS: Final = 5000
#: How often the tooltip's "… ago" and "next try in …" are brought up to date.
TOOLTIP_REFRESH_MS: Final = 1000
NOTIFICATION_MS: Final = 8000
APP_TITLE: Final = "Contacts Migration"


class TrayCommands(Protocol):
    def show_progress(self) -> None: ...

    def sync_now(self) -> None: ...

    def show_troubleshooting(self) -> None: ...

    def open_online_page(self) -> None: ...

    def request_quit(self) -> None: ...


class TrayAvailability(Protocol):
    def __call__(self) -> bool: ...


class Tray(QObject):
    def __init__(
        self,
        bridge: StatusBridge,
        commands: TrayCommands,
        available: TrayAvailability = QSystemTrayIcon.isSystemTrayAvailable,
        parent: QObject | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier or Notifier()
        #: Every balloon shown, oldest first (what a person saw pop up).
        self.notices: list[Notice] = []
        self._commands = commands
        self._available = available
        self._status: Status | None = None
        self.icon_name = IconName.RED
        self.icon = QSystemTrayIcon(icon(IconName.RED), self)
        self.menu = QMenu()
        self.menu.setAccessibleName(tr("Traffic light menu"))  # not the program's name
        self.status_action = QAction(tr("Starting…"), self.menu)
        # The status itself, not a disabled action: readable (greyed text failed contrast)
        # and it opens the status window.
        self.status_action.triggered.connect(lambda _checked: commands.show_progress())
        self.menu.addAction(self.status_action)
        self.menu.addSeparator()
        self.show_action = self.menu.addAction(tr("Show &progress…"), commands.show_progress)
        self.sync_action = self.menu.addAction(tr(COMMAND_LABEL[Command.SYNC]), commands.sync_now)
        self.troubleshooting_action = self.menu.addAction(
            tr("&Troubleshooting…"), commands.show_troubleshooting
        )
        self.online_action = self.menu.addAction(
            tr("Open the &online contacts page"), commands.open_online_page
        )
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction(tr("&Quit"), commands.request_quit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self._retry = QTimer(self)
        self._retry.setInterval(TRAY_RETRY_MS)
        self._retry.timeout.connect(self._look_for_tray)
        self._tooltip_timer = QTimer(self)
        self._tooltip_timer.setInterval(TOOLTIP_REFRESH_MS)
        self._tooltip_timer.timeout.connect(self._tick)
        self._tooltip_timer.start()
        bridge.status_changed.connect(self.show_status)
        if bridge.status is not None:
            self.show_status(bridge.status)

    @property
    def shown(self) -> bool:
        return self.icon.isVisible()

    def start(self) -> bool:
        """Show the icon; False when there is no tray (the caller keeps the status window
        open instead) — the icon then appears as soon as a tray does."""
        if self._available():
            self.icon.show()
            return True
        log.warning(
            "This desktop has no system tray; the status window stays open instead, "
            "and the traffic light appears once a tray does."
        )
        self._retry.start()
        return False

    def stop(self) -> None:
        self._retry.stop()
        self._tooltip_timer.stop()
        self.icon.hide()

    def _look_for_tray(self) -> None:
        if self._available():
            self._retry.stop()
            log.info("a system tray appeared; showing the traffic light")
            self.icon.show()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self._commands.show_progress()

    def tooltip(self) -> str:
        return self.icon.toolTip()

    def show_status(self, status: Status) -> None:
        self._status = status
        look = LIGHT_LOOK[status.light]
        self.icon_name = look.icon
        self.icon.setIcon(icon(look.icon))
        self.status_action.setText(headline(status))
        self.status_action.setIcon(icon(look.icon))
        self.sync_action.setText(command_label(status))
        self._render_tooltip()
        self._show_notice(self.notifier.consider(status))

    def _show_notice(self, notice: Notice | None) -> None:
        if notice is None:
            return
        self.notices.append(notice)
        kind = QSystemTrayIcon.MessageIcon
        self.icon.showMessage(
            notice.title,
            notice.text,
            kind.Warning if notice.warning else kind.Information,
            NOTIFICATION_MS,
        )

    def _tick(self) -> None:
        """Every second: the tooltip's times move on, and a balloon held back by the
        once-a-minute limit is shown once the minute is over."""
        self._render_tooltip()
        self._show_notice(self.notifier.due())

    def _render_tooltip(self) -> None:
        status = self._status
        if status is None:
            return
        line = headline(status)  # made now: "next try in 4 s" moves on
        self.status_action.setText(line)
        lines = [f"{APP_TITLE}: {line}", status.message]
        if status.light is Light.RED and status.fix:
            lines.append(tr("What to do: ") + status.fix)
        lines.append(last_confirmed_line(status))
        self.icon.setToolTip("\n".join(lines))
