"""One calm look on every platform: Fusion, a light palette (or a dark one when the system
is in dark mode), clear type, and WCAG 2.1 AA contrast in both.

Every colour pair a person reads or must notice is listed in :func:`contrast_pairs` with
the ratio it needs (4.5:1 for text, 3:1 for focus indicators and field borders), and
tests/gui/test_contrast.py checks them all, so a colour change can't quietly fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

STYLE_NAME: Final = "Fusion"
BASE_POINT_SIZE: Final = 10
HEADLINE_POINT_SIZE: Final = 13
#: WCAG 2.1 AA: normal text, and non-text parts a person must see (focus, field borders).
TEXT_RATIO: Final = 4.5
UI_RATIO: Final = 3.0


@dataclass(frozen=True)
class Scheme:
    """The colours of one look; every pair that must contrast is in contrast_pairs."""

    name: str
    accent: str
    accent_dark: str
    #: Text on the accent (primary buttons, selected rows).
    on_accent: str
    window: str
    surface: str
    text: str
    muted: str
    #: Card and progress bar outlines: decoration, not a control's boundary.
    border: str
    #: Text-field and list outlines: a control's boundary, 3:1.
    field_border: str
    error_background: str
    error_border: str
    error_text: str
    disabled_text: str
    disabled_button: str
    button: str
    focus: str
    link: str
    bar_groove: str
    bar_chunk: str
    #: The traffic light's headline colours (green, orange, red) on this scheme.
    light_colours: tuple[str, str, str]


LIGHT: Final = Scheme(
    name="light",
    accent="#2f6f8f",
    accent_dark="#24566f",
    on_accent="#ffffff",
    window="#f5f7f8",
    surface="#ffffff",
    text="#1f2a30",
    muted="#5b6b73",
    border="#d5dde1",
    field_border="#6f7f87",
    error_background="#fbeaea",
    error_border="#e3b5b5",
    error_text="#7a1f1f",
    disabled_text="#9aa6ac",
    disabled_button="#e4e8ea",
    button="#eef2f4",
    focus="#8f5b00",
    link="#2f6f8f",
    bar_groove="#e9eef0",
    bar_chunk="#a9cfe0",
    light_colours=("#1d6b3d", "#8a4f0c", "#a12f2f"),
)
DARK: Final = Scheme(
    name="dark",
    accent="#2f6f8f",
    accent_dark="#24566f",
    on_accent="#ffffff",
    window="#1b2226",
    surface="#232c31",
    text="#e6ecef",
    muted="#a9b7be",
    border="#3a474e",
    field_border="#8a9ba4",
    error_background="#3a1f1f",
    error_border="#7a3b3b",
    error_text="#f3c4c4",
    disabled_text="#7c8a91",
    disabled_button="#2a343a",
    button="#2f3a40",
    focus="#f0b429",
    link="#7cc0e0",
    bar_groove="#2a343a",
    bar_chunk="#1f5a78",
    light_colours=("#7fd49a", "#f0b46a", "#ff9a9a"),
)

# The light scheme's names, as other modules have always imported them.
ACCENT: Final = LIGHT.accent
ACCENT_DARK: Final = LIGHT.accent_dark
WINDOW: Final = LIGHT.window
SURFACE: Final = LIGHT.surface
TEXT: Final = LIGHT.text
MUTED: Final = LIGHT.muted
BORDER: Final = LIGHT.border
ERROR_BACKGROUND: Final = LIGHT.error_background
DISABLED_TEXT: Final = LIGHT.disabled_text
DISABLED_BUTTON: Final = LIGHT.disabled_button
FOCUS: Final = LIGHT.focus


def style_sheet(scheme: Scheme) -> str:
    s = scheme
    return f"""
QLabel[role="headline"] {{ font-size: {HEADLINE_POINT_SIZE}pt; font-weight: 600; }}
QLabel[role="muted"] {{ color: {s.muted}; }}
QLabel[role="problem"] {{
    background: {s.error_background}; border: 1px solid {s.error_border}; border-radius: 6px;
    padding: 8px; color: {s.error_text};
}}
QLabel[role="problem"]:focus {{ border: 2px solid {s.focus}; padding: 7px; }}
QFrame[role="card"] {{
    background: {s.surface}; border: 1px solid {s.border}; border-radius: 8px;
}}
QProgressBar {{
    border: 1px solid {s.field_border}; border-radius: 6px; background: {s.bar_groove};
    color: {s.text}; text-align: center; min-height: 20px;
}}
QProgressBar::chunk {{ background: {s.bar_chunk}; border-radius: 5px; }}
QLineEdit {{
    border: 1px solid {s.field_border}; border-radius: 3px; padding: 3px;
    background: {s.surface}; color: {s.text};
}}
QLineEdit[invalid="true"] {{ border: 2px solid {s.light_colours[2]}; padding: 2px; }}
QPushButton {{ padding: 5px 14px; }}
QPushButton[role="primary"] {{
    background: {s.accent}; color: {s.on_accent}; border: 1px solid {s.accent_dark};
    border-radius: 4px;
}}
QPushButton[role="primary"]:hover {{ background: {s.accent_dark}; }}
QPushButton[role="primary"]:disabled {{
    background: {s.disabled_button}; color: {s.disabled_text}; border-color: {s.border};
}}
QPushButton:disabled {{ color: {s.disabled_text}; }}
QPushButton:focus, QToolButton:focus {{
    border: 2px solid {s.focus}; border-radius: 4px; padding: 4px 13px;
}}
QLineEdit:focus {{ border: 2px solid {s.focus}; padding: 2px; }}
QPlainTextEdit:focus, QTextEdit:focus, QTextBrowser:focus, QListWidget:focus {{
    border: 2px solid {s.focus};
}}
QCheckBox:focus {{ border: 2px solid {s.focus}; border-radius: 3px; }}
"""


#: The light scheme's sheet, as other modules have always imported it.
STYLE_SHEET: Final = style_sheet(LIGHT)


def palette(scheme: Scheme = LIGHT) -> QPalette:
    colours = QPalette()
    s = scheme
    for role, colour in (
        (QPalette.ColorRole.Window, s.window),
        (QPalette.ColorRole.WindowText, s.text),
        (QPalette.ColorRole.Base, s.surface),
        (QPalette.ColorRole.AlternateBase, s.window),
        (QPalette.ColorRole.Text, s.text),
        (QPalette.ColorRole.Button, s.button),
        (QPalette.ColorRole.ButtonText, s.text),
        (QPalette.ColorRole.Highlight, s.accent),
        (QPalette.ColorRole.HighlightedText, s.on_accent),
        (QPalette.ColorRole.ToolTipBase, s.surface),
        (QPalette.ColorRole.ToolTipText, s.text),
        (QPalette.ColorRole.Link, s.link),
        (QPalette.ColorRole.PlaceholderText, s.muted),
    ):
        colours.setColor(role, QColor(colour))
    # setColor(role, …) above set every group alike, so a disabled control looked enabled.
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        colours.setColor(disabled, role, QColor(s.disabled_text))
    colours.setColor(disabled, QPalette.ColorRole.Button, QColor(s.disabled_button))
    return colours


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours (1 to 21)."""

    def luminance(colour: str) -> float:
        qcolor = QColor(colour)
        channels = [qcolor.redF(), qcolor.greenF(), qcolor.blueF()]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def contrast_pairs(scheme: Scheme) -> list[tuple[str, str, str, float]]:
    """(what, foreground, background, ratio needed) for every pair in ``scheme``."""
    s = scheme
    pairs = [
        ("text on window", s.text, s.window, TEXT_RATIO),
        ("text on cards and fields", s.text, s.surface, TEXT_RATIO),
        ("text on buttons", s.text, s.button, TEXT_RATIO),
        ("muted text on window", s.muted, s.window, TEXT_RATIO),
        ("muted text on cards", s.muted, s.surface, TEXT_RATIO),
        ("placeholder text in fields", s.muted, s.surface, TEXT_RATIO),
        ("primary button text", s.on_accent, s.accent, TEXT_RATIO),
        ("primary button text (hover)", s.on_accent, s.accent_dark, TEXT_RATIO),
        ("selected row text", s.on_accent, s.accent, TEXT_RATIO),
        ("problem text", s.error_text, s.error_background, TEXT_RATIO),
        ("link text", s.link, s.surface, TEXT_RATIO),
        ("progress text over the filled bar", s.text, s.bar_chunk, TEXT_RATIO),
        ("progress text over the empty bar", s.text, s.bar_groove, TEXT_RATIO),
        ("tooltip and menu text", s.text, s.surface, TEXT_RATIO),
        ("focus ring on window", s.focus, s.window, UI_RATIO),
        ("focus ring on cards", s.focus, s.surface, UI_RATIO),
        ("focus ring on the problem box", s.focus, s.error_background, UI_RATIO),
        ("field border on cards and fields", s.field_border, s.surface, UI_RATIO),
        ("field border on window", s.field_border, s.window, UI_RATIO),
        ("progress bar outline on window", s.field_border, s.window, UI_RATIO),
    ]
    for light, colour in zip(("green", "orange", "red"), s.light_colours, strict=True):
        pairs.append((f"{light} headline on window", colour, s.window, TEXT_RATIO))
        pairs.append((f"{light} headline on cards", colour, s.surface, TEXT_RATIO))
    return pairs


def current_scheme() -> Scheme:
    """The dark scheme when the system is in dark mode, else the light one."""
    if QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark:
        return DARK
    return LIGHT


def light_colour(colour: str) -> str:
    """A traffic-light headline colour (from gui.lights, made for light backgrounds) as it
    reads on the current scheme."""
    scheme = current_scheme()
    if colour in LIGHT.light_colours:
        return scheme.light_colours[LIGHT.light_colours.index(colour)]
    return colour


def apply_style(app: QApplication, scheme: Scheme | None = None) -> None:
    chosen = scheme or current_scheme()
    sheet = style_sheet(chosen)
    if app.styleSheet() == sheet:
        return  # already styled: restyling re-polishes every widget, for nothing
    app.setStyle(STYLE_NAME)
    app.setPalette(palette(chosen))
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(sheet)


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
