"""One calm look on every platform: Fusion, a light palette, clear type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

STYLE_NAME: Final = "Fusion"
ACCENT: Final = "#2f6f8f"
ACCENT_DARK: Final = "#24566f"
WINDOW: Final = "#f5f7f8"
SURFACE: Final = "#ffffff"
TEXT: Final = "#1f2a30"
MUTED: Final = "#5b6b73"
BORDER: Final = "#d5dde1"
ERROR_BACKGROUND: Final = "#fbeaea"
DISABLED_TEXT: Final = "#9aa6ac"
DISABLED_BUTTON: Final = "#e4e8ea"
FOCUS: Final = "#e0a400"
#: The progress bar's fill and trough: both light, so its dark count reads on either
#: (at least 4.5:1), whatever palette the desktop has (the colours are set, not inherited).
PROGRESS_FILL: Final = "#b9d9e8"
PROGRESS_TROUGH: Final = "#eef2f4"
BASE_POINT_SIZE: Final = 10
HEADLINE_POINT_SIZE: Final = 13

STYLE_SHEET: Final = f"""
QLabel[role="headline"] {{ font-size: {HEADLINE_POINT_SIZE}pt; font-weight: 600; }}
QLabel[role="muted"] {{ color: {MUTED}; }}
QLabel[role="problem"] {{
    background: {ERROR_BACKGROUND}; border: 1px solid #e3b5b5; border-radius: 6px;
    padding: 8px; color: #7a1f1f;
}}
QFrame[role="card"] {{
    background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 8px;
}}
QProgressBar {{
    border: 1px solid {BORDER}; border-radius: 6px; background: {PROGRESS_TROUGH};
    color: {TEXT}; text-align: center; min-height: 20px;
}}
QProgressBar::chunk {{ background: {PROGRESS_FILL}; border-radius: 5px; }}
QPushButton {{ padding: 5px 14px; }}
QPushButton[role="primary"] {{
    background: {ACCENT}; color: white; border: 1px solid {ACCENT_DARK}; border-radius: 4px;
}}
QPushButton[role="primary"]:hover {{ background: {ACCENT_DARK}; }}
QPushButton[role="primary"]:disabled {{
    background: {DISABLED_BUTTON}; color: {DISABLED_TEXT}; border-color: {BORDER};
}}
QPushButton:disabled {{ color: {DISABLED_TEXT}; }}
QPushButton[role="primary"]:focus {{ border: 2px solid {FOCUS}; padding: 4px 13px; }}
QPlainTextEdit:focus, QTextEdit:focus, QTextBrowser:focus, QListWidget:focus {{
    border: 2px solid {ACCENT};
}}
"""


def palette() -> QPalette:
    colours = QPalette()
    colours.setColor(QPalette.ColorRole.Window, QColor(WINDOW))
    colours.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    colours.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    colours.setColor(QPalette.ColorRole.AlternateBase, QColor(WINDOW))
    colours.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    colours.setColor(QPalette.ColorRole.Button, QColor("#eef2f4"))
    colours.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    colours.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    colours.setColor(QPalette.ColorRole.HighlightedText, QColor(SURFACE))
    colours.setColor(QPalette.ColorRole.ToolTipBase, QColor(SURFACE))
    colours.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    colours.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    colours.setColor(QPalette.ColorRole.PlaceholderText, QColor(MUTED))
    # setColor(role, …) above set every group alike, so a disabled control looked enabled.
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        colours.setColor(disabled, role, QColor(DISABLED_TEXT))
    colours.setColor(disabled, QPalette.ColorRole.Button, QColor(DISABLED_BUTTON))
    return colours


def apply_style(app: QApplication) -> None:
    if app.styleSheet() == STYLE_SHEET:
        return  # already styled: restyling re-polishes every widget, for nothing
    app.setStyle(STYLE_NAME)
    app.setPalette(palette())
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


def beside_icon(
    owner: QWidget, icon: QWidget, lines: Sequence[QWidget], *, spacing: int, margin: int = 0
) -> None:
    """Lay ``owner`` out as an icon at the top left with ``lines`` stacked beside it (a
    status's light and words, a check's mark and words)."""
    words = QVBoxLayout()
    words.setSpacing(spacing)
    for line in lines:
        words.addWidget(line)
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(0, margin, 0, margin)
    layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
    layout.addLayout(words, 1)
