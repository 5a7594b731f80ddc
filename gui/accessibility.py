"""What a screen reader needs beyond Qt's defaults, in one place.

- Roles Qt can't guess: a label styled as a headline is a *heading*; a window can say what
  it is (the status window a frame); Qt's own tray balloon is a *notification*. Qt picks
  an object's accessible interface through factories: :func:`install` adds one.
- Announcements: :func:`announce` sends a ``QAccessibleAnnouncementEvent`` (Qt 6.8+; on
  Linux an AT-SPI ``object:announcement``) so a screen reader says a change once,
  without moving focus.
- Fields with errors: :func:`show_field_error` relates the error text to its field
  (the error label becomes one of the field's labels, the field's description is the
  error), marks the field invalid (a red border) and puts focus on it.
- Keyboard: :func:`enter_means_default` makes Enter press a dialog's default button
  whichever button has focus (never Cancel); :func:`focus_first` finds a page's first
  visible, enabled control.
"""

from __future__ import annotations

import html
import re
from typing import Final

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import (
    QAccessible,
    QAccessibleAnnouncementEvent,
    QAccessibleEvent,
    QAccessibleInterface,
    Qt as GuiQt,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAccessibleWidget,
    QApplication,
    QDialog,
    QLabel,
    QPushButton,
    QWidget,
)

#: The style's property for a headline label (gui/style.py); headlines are headings.
STYLE_ROLE: Final = "role"
HEADLINE: Final = "headline"
#: A widget property holding the ``QAccessible.Role`` a screen reader should be told.
ACCESSIBLE_ROLE: Final = "accessibleRole"
#: The style's property for a field whose value was refused (a red border).
INVALID: Final = "invalid"
#: Qt's own tray balloon (drawn when no notification service is running).
BALLOON_CLASS: Final = "QBalloonTip"
TAGS: Final = re.compile(r"<[^>]+>")

_installed = False


def plain(text: str) -> str:
    """A label's text as a screen reader should hear it: no markup, no access-key &."""
    if GuiQt.mightBeRichText(text):
        text = html.unescape(TAGS.sub(" ", text.replace("<br>", "\n").replace("</li>", "\n")))
        text = re.sub(r"[ \t]+", " ", text)
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return re.sub(r"&(?!&)", "", text).replace("&&", "&")


class _Label(QAccessibleWidget):
    """Every QLabel: a heading when styled as a headline (or told so), else static text
    or an image; its visible words as its name unless it was given one.

    The role is decided when asked, not when the interface is made: with a screen reader
    listening, Qt makes a label's interface in its constructor (setText announces a name
    change), before the code that made it sets its style."""

    def __init__(self, label: QLabel) -> None:
        super().__init__(label, QAccessible.Role.StaticText)
        self._label = label

    def role(self) -> QAccessible.Role:
        label = self._label
        if (
            label.property(STYLE_ROLE) == HEADLINE
            or label.property(ACCESSIBLE_ROLE) == QAccessible.Role.Heading
        ):
            return QAccessible.Role.Heading
        if not label.text() and label.pixmap() is not None and not label.pixmap().isNull():
            return QAccessible.Role.Graphic
        return QAccessible.Role.StaticText

    def text(self, kind: QAccessible.Text) -> str:
        if kind == QAccessible.Text.Name:
            return self._label.accessibleName() or plain(self._label.text())
        return super().text(kind)

    def relations(
        self, match: QAccessible.RelationFlag = QAccessible.RelationFlag.AllRelations
    ) -> list[tuple[QAccessibleInterface, QAccessible.RelationFlag]]:
        """As Qt's own label: it labels its buddy (a field, or the field it is the error of)."""
        found = list(super().relations(match))
        buddy = self._label.buddy()
        if buddy is not None and match & QAccessible.RelationFlag.Labelled:
            interface = QAccessible.queryAccessibleInterface(buddy)
            if interface is not None:
                found.append((interface, QAccessible.RelationFlag.Labelled))
        return found


class _Window(QAccessibleWidget):
    """A plain QWidget: the role it was told (set_role), else what Qt gives it."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget, QAccessible.Role.Client)
        self._widget = widget

    def role(self) -> QAccessible.Role:
        role = self._widget.property(ACCESSIBLE_ROLE)
        return role if isinstance(role, QAccessible.Role) else QAccessible.Role.Client


class _Balloon(QAccessibleWidget):
    """Qt's tray balloon: a notification named by its title and message."""

    def __init__(self, balloon: QWidget) -> None:
        super().__init__(balloon, QAccessible.Role.Notification)
        self._balloon = balloon

    def text(self, kind: QAccessible.Text) -> str:
        if kind == QAccessible.Text.Name:
            name_balloon(self._balloon)
            words = [label.text() for label in self._balloon.findChildren(QLabel) if label.text()]
            return " ".join(plain(word) for word in words)
        return super().text(kind)


def _nearest_qt_class(target: QObject) -> type:
    for cls in type(target).__mro__:
        if cls.__module__.startswith("PySide6."):
            return cls
    return type(target)


def _factory(_key: str, target: QObject) -> QAccessibleInterface | None:
    if isinstance(target, QLabel):
        return _Label(target)
    if isinstance(target, QWidget):
        if target.metaObject().className() == BALLOON_CLASS:
            return _Balloon(target)
        if _nearest_qt_class(target) is QWidget and type(target) is not QWidget:
            return _Window(target)  # this program's own QWidget classes
    return None


def install() -> None:
    """Add the factory once per process (before the first window is shown)."""
    global _installed
    if not _installed:
        QAccessible.installFactory(_factory)
        _installed = True


def set_role(widget: QWidget, role: QAccessible.Role) -> None:
    """Tell screen readers what ``widget`` is (a QLabel or a plain QWidget)."""
    if widget.property(ACCESSIBLE_ROLE) == role:
        return
    widget.setProperty(ACCESSIBLE_ROLE, role)
    # Screen readers cache roles: say it changed.
    QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.RoleChanged))


def name_balloon(balloon: QWidget) -> None:
    """Name the balloon's close button and icon, which Qt leaves without names."""
    for button in balloon.findChildren(QAbstractButton):
        if not button.text() and not button.accessibleName():
            button.setAccessibleName("Close notification")
    for label in balloon.findChildren(QLabel):
        if not label.text() and label.pixmap() is not None and not label.accessibleName():
            label.setAccessibleName("Notification")


def announce(text: str, source: QObject | None = None, *, assertive: bool = False) -> None:
    """Have a screen reader say ``text`` once (focus stays where it is). The source is
    the active window when there is one, so the reader ties it to what is in front."""
    if not text:
        return
    origin = source or QApplication.activeWindow() or QApplication.instance()
    if origin is None:
        return
    event = QAccessibleAnnouncementEvent(origin, text)
    if assertive:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)


def show_field_error(field: QWidget, error: QLabel, text: str) -> None:
    """Show ``text`` under ``field``, relate it to the field, mark the field invalid,
    focus the field and announce the error."""
    error.setText(text)
    error.setBuddy(field)  # the field is labelled by its label and by its error
    error.show()
    field.setProperty(INVALID, True)
    field.setAccessibleDescription(plain(text))
    _restyle(field)
    field.setFocus(Qt.FocusReason.OtherFocusReason)
    announce(plain(text), field, assertive=True)


def clear_field_error(field: QWidget, error: QLabel) -> None:
    error.hide()
    error.clear()
    field.setProperty(INVALID, False)
    field.setAccessibleDescription("")
    _restyle(field)


def _restyle(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def enter_means_default(dialog: QDialog) -> None:
    """Enter presses the dialog's default button, whichever button has focus: no button
    becomes the default by being focused (Qt's auto-default), so Enter never cancels.
    Space still presses the focused button."""
    for button in dialog.findChildren(QPushButton):
        button.setAutoDefault(False)


def enter_presses(*buttons: QPushButton) -> None:
    """Outside a dialog Qt ignores Enter on a button; make Enter press it, like Space."""
    for button in buttons:
        button.setAutoDefault(True)


def usable(widget: QWidget | None) -> bool:
    """Showing, enabled and able to take keyboard focus."""
    return (
        widget is not None
        and widget.isVisible()
        and widget.isEnabled()
        and widget.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
    )


def focus_first(*candidates: QWidget | None) -> QWidget | None:
    """Focus the first usable widget of ``candidates``; returns it (None if none was)."""
    for widget in candidates:
        if widget is not None and usable(widget):
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            return widget
    return None


def focusable_label(label: QLabel) -> QLabel:
    """A label the keyboard can reach (Tab stops on it), for an error to take focus."""
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return label
