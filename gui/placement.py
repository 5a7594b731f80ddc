"""Every window opens where it can be seen: inside the screen's available area, whole.

At 150 % scaling a 1280x800 screen is 853x533 logical pixels; a window sized for a big
monitor would put its buttons below the taskbar. ``present`` shrinks a window to the
room left once the window manager's frame is counted, centres it, restores it when it
was minimized, and raises it.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QCursor, QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

#: The frame a window manager adds (title bar, borders) before the real one is known.
FRAME_ALLOWANCE: Final = QMargins(8, 36, 8, 8)
#: Once shown, the window is checked again with the frame the window manager really drew.
RECHECK_MS: Final = 300


def screen_for(window: QWidget) -> QScreen:
    """The screen under the mouse (where the person is looking), else the window's own."""
    found = QGuiApplication.screenAt(QCursor.pos())
    if found is None:
        found = window.screen() or QGuiApplication.primaryScreen()
    return found


def frame_margins(window: QWidget) -> QMargins:
    frame, inner = window.frameGeometry(), window.geometry()
    if not window.isVisible() or frame == inner:
        return FRAME_ALLOWANCE
    return QMargins(
        inner.left() - frame.left(),
        inner.top() - frame.top(),
        frame.right() - inner.right(),
        frame.bottom() - inner.bottom(),
    )


def fitted(size: QSize, area: QRect, margins: QMargins) -> QSize:
    """``size`` shrunk so that it and its frame fit ``area``."""
    room = area.marginsRemoved(margins).size()
    return size.boundedTo(room)


def fit_on_screen(window: QWidget, *, centre: bool = True) -> None:
    """Shrink ``window`` to the available area (frame included) and keep it inside."""
    area = screen_for(window).availableGeometry()
    margins = frame_margins(window)
    size = fitted(window.size(), area, margins)
    if size != window.size():
        window.resize(size)
    outer = QSize(
        size.width() + margins.left() + margins.right(),
        size.height() + margins.top() + margins.bottom(),
    )
    frame = window.frameGeometry()
    if centre:
        corner = QPoint(
            area.x() + max(0, (area.width() - outer.width()) // 2),
            area.y() + max(0, (area.height() - outer.height()) // 2),
        )
    else:
        corner = QPoint(
            min(max(frame.x(), area.x()), area.right() + 1 - outer.width()),
            min(max(frame.y(), area.y()), area.bottom() + 1 - outer.height()),
        )
    if corner != frame.topLeft():
        window.move(corner)  # a top-level window's move() places its frame


def present(window: QWidget) -> None:
    """Show ``window`` on screen, whole, restored if minimized, and in front."""
    first_time = not window.isVisible()
    if first_time:
        fit_on_screen(window)
    state = window.windowState()
    if state & Qt.WindowState.WindowMinimized:
        window.setWindowState(state & ~Qt.WindowState.WindowMinimized)
    window.show()
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
    # The real frame is known only once the window manager drew it: check once more.
    QTimer.singleShot(RECHECK_MS, window, lambda: fit_on_screen(window, centre=False))
