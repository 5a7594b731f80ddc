"""The live figures of one Status: light, words, progress, rate, ETA, what was set aside.

Shared by the wizard's migration page and the progress window so both say the same;
its header (light, state in words, the sentence) tops the troubleshooting dialog too.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import Light, Status, last_confirmed_line, progress_label
from gui import formatting
from gui.icons import pixmap
from gui.lights import LIGHT_LOOK, headline, small_catch_up
from gui.style import beside_icon, light_colour
from gui.text import tr

LIGHT_SIZE: Final = 40
#: Rows of set-aside contacts shown before the list scrolls.
SET_ASIDE_ROWS: Final = 4
SET_ASIDE_ROW_HEIGHT: Final = 22
#: How often "checked 5 s ago" moves on while nothing else changes.
CLOCK_REFRESH_MS: Final = 1000


class StatusHeader(QWidget):
    """The light, the state in words and the status's own sentence: the top of every
    window that shows a Status."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.light = QLabel()
        self.light.setFixedSize(LIGHT_SIZE, LIGHT_SIZE)
        self.headline = QLabel()
        self.headline.setProperty("role", "headline")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        beside_icon(self, self.light, (self.headline, self.message), spacing=2)

    def show_status(self, status: Status) -> None:
        look = LIGHT_LOOK[status.light]
        self.light.setPixmap(pixmap(look.icon, LIGHT_SIZE))
        self.light.setAccessibleName(headline(status))
        self.headline.setText(headline(status))
        self.headline.setStyleSheet(f"color: {light_colour(look.colour)};")
        self.message.setText(status.message)


class StatusPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = StatusHeader()
        self.headline, self.message = self.header.headline, self.header.message
        self.fix = QLabel()
        self.fix.setWordWrap(True)
        self.fix.setProperty("role", "problem")
        self.details_button = QToolButton()
        self.details_button.setText(tr("&Details"))
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAccessibleName(tr("Technical details"))
        self.details_button.toggled.connect(self._toggle_details)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setProperty("role", "muted")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        self.bar = QProgressBar()
        self.bar.setAccessibleName(tr("Contacts migrated"))
        self.figures = QLabel()
        self.figures.setProperty("role", "muted")
        self.online = QLabel()
        self.online.setWordWrap(True)  # never cut off in a narrow window (the wizard's)
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.set_aside_title = QLabel()
        self.set_aside = QListWidget()
        self.set_aside.setAccessibleName(tr("Contacts set aside"))
        self.set_aside.setMaximumHeight(SET_ASIDE_ROWS * SET_ASIDE_ROW_HEIGHT + 6)

        # As tall as its content: spare room goes to whatever sits below it.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.fix)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details)
        layout.addWidget(self.bar)
        layout.addWidget(self.figures)
        layout.addWidget(self.online)
        layout.addWidget(self.missing)
        layout.addWidget(self.set_aside_title)
        layout.addWidget(self.set_aside)
        self._status: Status | None = None
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_REFRESH_MS)
        self._clock.timeout.connect(self._render_online)
        self._clock.start()
        self.clear()

    def clear(self) -> None:
        for widget in (
            self.fix,
            self.details_button,
            self.details,
            self.bar,
            self.figures,
            self.missing,
            self.set_aside_title,
            self.set_aside,
        ):
            widget.hide()

    def _toggle_details(self, shown: bool) -> None:
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.details.setVisible(shown and bool(self.details.text()))

    def show_status(self, status: Status) -> None:
        self._status = status
        self.header.show_status(status)
        red = status.light is Light.RED
        self.fix.setText(tr("What to do: ") + status.fix if status.fix else "")
        self.fix.setVisible(red and bool(status.fix))
        self.details.setText(status.detail)
        self.details_button.setVisible(bool(status.detail))
        self.details.setVisible(bool(status.detail) and self.details_button.isChecked())
        self.missing.setText(status.missing_note)
        self.missing.setVisible(bool(status.missing_note))
        progress = status.progress
        if progress is not None and progress.total > 0 and not small_catch_up(status):
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
            self.bar.setFormat(progress_label(status))
            parts = [formatting.rate(progress.rate_per_second)] if progress.done else []
            if progress.eta_seconds is not None:
                parts.append(tr("about ") + formatting.duration(progress.eta_seconds) + tr(" left"))
            self.figures.setText("  ·  ".join(parts))
            self.bar.show()
            self.figures.setVisible(bool(parts))
        else:
            self.bar.hide()
            self.figures.hide()
        self._render_online()
        self._render_set_aside(status)

    def _render_online(self) -> None:
        """Every second too: "5 s ago" and "next try in 4 s" keep moving while the agent
        says nothing new; both are made from the status now, never kept from before."""
        status = self._status
        if status is None:
            return
        self.header.headline.setText(headline(status))
        online = []
        if status.online_count is not None:
            online.append(tr("Contacts online: ") + formatting.count(status.online_count))
        # A screen reader gets the clock time, which changes only with the status: the
        # "N s ago" that moves every second would re-announce the line each time.
        spoken = [*online, last_confirmed_line(status, spoken=True)]
        online.append(last_confirmed_line(status))
        self.online.setAccessibleName("  ·  ".join(spoken))
        self.online.setText("  ·  ".join(online))

    def _render_set_aside(self, status: Status) -> None:
        items = status.set_aside
        self.set_aside_title.setVisible(bool(items))
        self.set_aside.setVisible(bool(items))
        if not items:
            return
        self.set_aside_title.setText(
            f"{len(items):,} "
            + tr("contacts were set aside (not sent online) until they are corrected:")
        )
        lines = [tr("Contact ") + f"{item.contact_id}: {item.reason}" for item in items]
        current = [self.set_aside.item(row).text() for row in range(self.set_aside.count())]
        if current != lines:
            self.set_aside.clear()
            self.set_aside.addItems(lines)
