"""``tr()``: the GUI's own fixed texts (labels, buttons, menus, window titles) are looked
up through Qt's translation, so they can be translated one day.

Not every visible text does: the words made from a Status (the headline, the sentence,
the fix, the steps, "last confirmed …") come from the engine in English, as do texts with
figures in them, and no translation files ship. Translating the product would first mean
a catalogue for the engine's words; until then this module claims no more than that.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QCoreApplication

#: One translation context for the whole GUI: texts are shared between windows.
CONTEXT: Final = "ContactsMigration"


def tr(text: str) -> str:
    """The translated text (the text itself: no translation is installed)."""
    return QCoreApplication.translate(CONTEXT, text)
