"""The progress bar's count reads on its fill and on its trough (WCAG contrast at least
4.5:1), in the product's light palette and under a dark desktop palette: measured on the
rendered pixels, not on the style sheet's numbers."""

from __future__ import annotations

from collections import Counter
from typing import Final

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QProgressBar

from gui.style import apply_style, palette

MIN_CONTRAST: Final = 4.5
LABEL: Final = "50,043 of 100,000 contacts online"


def luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red())
        + 0.7152 * channel(colour.green())
        + 0.0722 * channel(colour.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_contrast(image: QImage) -> float:
    """The strongest contrast between the bar's background (its most common colour) and
    any pixel of the text drawn on it (the middle band, where the count is)."""
    top, bottom = image.height() // 3, 2 * image.height() // 3
    left, right = image.width() // 6, 5 * image.width() // 6
    pixels = [image.pixelColor(x, y) for y in range(top, bottom) for x in range(left, right)]
    background = Counter(p.rgb() for p in pixels).most_common(1)[0][0]
    return max(contrast(QColor.fromRgb(background), p) for p in pixels)


def dark_palette() -> QPalette:
    colours = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#2b2c2f"),
        (QPalette.ColorRole.Text, "#e8eaed"),
        (QPalette.ColorRole.Button, "#303134"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"),
        (QPalette.ColorRole.Highlight, "#8ab4f8"),
        (QPalette.ColorRole.HighlightedText, "#202124"),
    ):
        colours.setColor(role, QColor(colour))
    return colours


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("value", [0, 100])  # the count on the trough, then on the fill
def test_the_progress_count_reads_on_fill_and_trough(
    qapp: QApplication, scheme: str, value: int
) -> None:
    apply_style(qapp)
    qapp.setPalette(dark_palette() if scheme == "dark" else palette())
    try:
        bar = QProgressBar()
        bar.resize(420, 24)
        bar.setRange(0, 100)
        bar.setValue(value)
        bar.setFormat(LABEL)
        bar.show()
        QApplication.processEvents()
        image = bar.grab().toImage()
        measured = text_contrast(image)
        assert measured >= MIN_CONTRAST, f"{scheme}, {value}%: contrast {measured:.2f}"
        bar.close()
    finally:
        qapp.setPalette(palette())
