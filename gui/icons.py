"""The bundled icons, found with the one resource helper."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Final

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

from engine import resource_path

log = logging.getLogger(__name__)

ICON_FOLDER: Final = "icons"
ICON_SUFFIX: Final = ".svg"


class IconName(StrEnum):
    GREEN = "light-green"  # circle with a tick
    ORANGE = "light-orange"  # circle with two arrows
    RED = "light-red"  # octagon with a cross
    APP = "app"


def icon(name: IconName) -> QIcon:
    """An SVG icon: crisp at any size and on high-DPI screens."""
    path = resource_path(ICON_FOLDER, name.value + ICON_SUFFIX)
    loaded = QIcon(str(path))
    if loaded.isNull():
        log.warning("icon %s could not be loaded from %s", name.value, path)
    return loaded


def pixmap(name: IconName, size: int) -> QPixmap:
    return icon(name).pixmap(QSize(size, size))
