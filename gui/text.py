"""Every visible text goes through Qt's translation, so the product can be translated."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QCoreApplication

#: One translation context for the whole GUI: texts are shared between windows.
CONTEXT: Final = "ContactsMigration"


def tr(text: str) -> str:
    """The translated text (the text itself until a translation is installed)."""
    return QCoreApplication.translate(CONTEXT, text)
