"""Contrast, keyboard and screen-reader rules that need no accessibility bus: WCAG 2.1 AA
over every colour pair of both palettes, Enter never cancelling, errors related to their
fields, announcements once per change. (The real bus: test_accessibility_bus.py.)"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.status.model import Light, Reason, Status, SyncState
from engine.texts import REASON_WORDS
from gui import accessibility
from gui.announcer import StatusAnnouncer
from gui.bridge import StatusBridge
from gui.style import DARK, LIGHT, Scheme, apply_style, contrast, contrast_pairs


@pytest.mark.parametrize("scheme", [LIGHT, DARK], ids=lambda scheme: scheme.name)
def test_every_colour_pair_meets_wcag_aa(scheme: Scheme) -> None:
    failing = [
        f"{what}: {fg} on {bg} is {contrast(fg, bg):.2f}:1, needs {needed}:1"
        for what, fg, bg, needed in contrast_pairs(scheme)
        if contrast(fg, bg) < needed
    ]
    assert not failing, "\n".join(failing)


def test_the_contrast_formula_matches_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    # The audit's failures, measured the same way.
    assert contrast("#1f2a30", "#2f6f8f") == pytest.approx(2.65, abs=0.01)
    assert contrast("#9aa6ac", "#ffffff") == pytest.approx(2.49, abs=0.01)


def test_headlines_are_headings_and_name_their_words(qapp: QApplication) -> None:
    accessibility.install()
    label = QLabel("What this means")
    label.setProperty("role", "headline")
    interface = QAccessible.queryAccessibleInterface(label)
    assert interface.role() == QAccessible.Role.Heading
    assert interface.text(QAccessible.Text.Name) == "What this means"
    body = QLabel("<ol><li>Open the settings.</li><li>Save.</li></ol>")
    body_interface = QAccessible.queryAccessibleInterface(body)
    assert body_interface.role() == QAccessible.Role.StaticText
    assert body_interface.text(QAccessible.Text.Name) == "Open the settings.\nSave."


def test_enter_in_a_field_never_cancels_even_after_tab_passed_cancel(
    qapp: QApplication,
) -> None:
    dialog = QDialog()
    field = QLineEdit(dialog)
    buttons = QDialogButtonBox(dialog)
    go = buttons.addButton("&Continue", QDialogButtonBox.ButtonRole.AcceptRole)
    cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    go.setDefault(True)
    go.setEnabled(False)  # not filled in yet
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    accessibility.enter_means_default(dialog)
    dialog.show()
    dialog.activateWindow()
    assert QTest.qWaitForWindowActive(dialog)
    cancel.setFocus()  # Tab passed Cancel…
    field.setFocus()  # …and came back to the field
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.result() == 0, "Enter cancelled the dialog"
    cancel.setFocus()
    QTest.keyClick(cancel, Qt.Key.Key_Return)  # Enter on Cancel: the default, disabled
    assert dialog.isVisible()
    dialog.close()


def test_a_field_error_is_related_marked_and_focused(qapp: QApplication) -> None:
    accessibility.install()
    dialog = QDialog()
    label = QLabel("Practice &database:", dialog)
    field = QLineEdit(dialog)
    label.setBuddy(field)
    error = QLabel(dialog)
    dialog.show()
    dialog.activateWindow()
    assert QTest.qWaitForWindowActive(dialog)
    accessibility.show_field_error(field, error, "The file does not exist.")
    assert field.property("invalid") is True
    assert field.accessibleDescription() == "The file does not exist."
    assert error.buddy() is field and error.isVisible()
    relations = QAccessible.queryAccessibleInterface(field).relations(
        QAccessible.RelationFlag.Label
    )
    labels = {interface.text(QAccessible.Text.Name) for interface, _flag in relations}
    assert {"Practice database:", "The file does not exist."} <= labels
    labelled = QAccessible.queryAccessibleInterface(error).relations(
        QAccessible.RelationFlag.Labelled
    )
    assert [interface.object() for interface, _flag in labelled] == [field]
    assert field.hasFocus()
    accessibility.clear_field_error(field, error)
    assert field.property("invalid") is False and not field.accessibleDescription()
    dialog.close()


def _status(light: Light, reason: Reason | None = None, online: int = 300) -> Status:
    if light is Light.RED and reason is not None:
        words = REASON_WORDS[reason]
        return Status(
            SyncState.INACTIVE, light, words.problem, reason, words.fix, updated_at=time.time()
        )
    state = SyncState.ACTIVE if light is Light.GREEN else SyncState.MIGRATING
    return Status(state, light, "Contacts are in sync.", online_count=online)


def test_red_and_back_to_green_are_announced_once_each_even_within_a_minute(
    qapp: QApplication,
) -> None:
    bridge = StatusBridge()
    announcer = StatusAnnouncer(bridge)
    green = _status(Light.GREEN)
    bridge.publish(green)
    bridge.publish(green)
    red = _status(Light.RED, Reason.ONLINE_UNREACHABLE)
    bridge.publish(red)
    bridge.publish(red)  # still red: nothing new
    bridge.publish(green)
    bridge.publish(red)  # again, within the minute the balloon would stay quiet
    assert [line.split(".")[0] for line in announcer.said] == [
        "Sync is inactive",
        "Sync is running again",
        "Sync is inactive",
    ]


def _edge_colours(image: QImage, widget: QWidget) -> set[str]:
    """The colours of a widget's outermost two rows of pixels, top and bottom."""
    area = widget.geometry()
    rows = (area.top(), area.top() + 1, area.bottom(), area.bottom() - 1)
    return {
        image.pixelColor(x, y).name()
        for x in range(area.left() + 6, area.right() - 6)
        for y in rows
    }


def test_what_is_drawn_uses_the_checked_colours(qapp: QApplication) -> None:
    """The pairs above are what Qt really draws: a focused button's ring, a field's border,
    the progress bar's fill (sampled from a rendering, as the audit sampled screenshots)."""
    apply_style(qapp, LIGHT)
    window = QWidget()
    layout = QVBoxLayout(window)
    button = QPushButton("Sync now")
    button.setProperty("role", "primary")
    field = QLineEdit("practice.db")
    bar = QProgressBar()
    bar.setRange(0, 100)
    bar.setValue(60)
    for widget in (button, field, bar):
        layout.addWidget(widget)
    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)
    button.setFocus()
    qapp.processEvents()
    image = window.grab().toImage()
    assert LIGHT.focus in _edge_colours(image, button)
    assert LIGHT.field_border in _edge_colours(image, field)
    middle = bar.geometry().center()
    filled = image.pixelColor(bar.geometry().left() + 8, middle.y()).name()
    assert filled == LIGHT.bar_chunk
    window.close()
