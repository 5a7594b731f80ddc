"""A small turning arc that shows work is under way (and that the GUI is not frozen)."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from gui.style import ACCENT

FRAME_MS: Final = 33
DEGREES_PER_FRAME: Final = 12
FULL_TURN: Final = 360
ARC_DEGREES: Final = 270
#: QPainter angles are in sixteenths of a degree.
QT_ANGLE_UNITS: Final = 16
SIZE: Final = 22
PEN_WIDTH: Final = 3.0


class Spinner(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._turn)
        self.setFixedSize(QSize(SIZE, SIZE))
        self.setAccessibleName("Working")
        self.hide()

    @property
    def spinning(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self.show()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.hide()

    def _turn(self) -> None:
        self._angle = (self._angle + DEGREES_PER_FRAME) % FULL_TURN
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(ACCENT), PEN_WIDTH)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        margin = PEN_WIDTH
        area = QRectF(self.rect()).adjusted(margin, margin, -margin, -margin)
        painter.drawArc(area, -self._angle * QT_ANGLE_UNITS, ARC_DEGREES * QT_ANGLE_UNITS)
        painter.end()
