"""The activation wizard: the flow people know from the desktop program's Maintenance menu.

ModernStyle on every platform so it looks the same everywhere; pages by named id.
"""

from __future__ import annotations

import itertools
from typing import Final

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QAccessible, QShowEvent
from PySide6.QtWidgets import QLabel, QWidget, QWizard, QWizardPage

from gui.accessibility import enter_means_default, focus_first, set_role, usable
from gui.icons import IconName, pixmap
from gui.text import tr
from gui.wizard_migration import FinishPage, MigrationPage
from gui.wizard_pages import (
    ActivationServices,
    ConfirmPage,
    PageId,
    PreflightPage,
    TermsPage,
    WizardState,
)

WIZARD_SIZE: Final = QSize(680, 520)
Button = QWizard.WizardButton
#: Before the commit a person may go back; after it there is nothing to go back to.
BUTTONS: Final = [
    Button.Stretch,
    Button.BackButton,
    Button.NextButton,
    Button.CommitButton,
    Button.FinishButton,
    Button.CancelButton,
]
BUTTONS_AFTER_COMMIT: Final = [
    Button.Stretch,
    Button.NextButton,
    Button.FinishButton,
    Button.CancelButton,
]
AFTER_COMMIT: Final = frozenset({PageId.MIGRATION, PageId.FINISH})
LOGO_SIZE: Final = 48


class ActivationWizard(QWizard):
    def __init__(self, services: ActivationServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = WizardState()
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setWindowTitle(tr("Activate Contacts Migration"))
        self.setPixmap(QWizard.WizardPixmap.LogoPixmap, pixmap(IconName.APP, LOGO_SIZE))
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.confirm_page = ConfirmPage()
        self.preflight_page = PreflightPage(services, self.state)
        self.terms_page = TermsPage(services, self.state)
        self.migration_page = MigrationPage(services, self.state)
        self.finish_page = FinishPage(self.state)
        pages: dict[PageId, QWizardPage] = {
            PageId.CONFIRM: self.confirm_page,
            PageId.PREFLIGHT: self.preflight_page,
            PageId.TERMS: self.terms_page,
            PageId.MIGRATION: self.migration_page,
            PageId.FINISH: self.finish_page,
        }
        for page_id, page in pages.items():
            self.setPage(page_id, page)
        self.setStartId(PageId.CONFIRM)
        self.resize(WIZARD_SIZE)
        self.finished.connect(self._stop_checks)
        self.currentIdChanged.connect(self._arrange_buttons)
        self.setButtonLayout(BUTTONS)
        self._keyboard_and_screen_reader()

    def _keyboard_and_screen_reader(self) -> None:
        """Enter presses the default button (never Cancel), Tab follows the screen (a
        page's controls, then Back, Next, Cancel), the page title is a heading, and focus
        sits on each page's first useful control, on an error when one appears, and back
        on the page when its work ends."""
        enter_means_default(self)
        order = [self.button(which) for which in BUTTONS if which is not Button.Stretch]
        # as on screen: the checks' problem, Check again, then Back, Next, Cancel (set
        # here, once the pages are in the wizard: Qt orders only widgets of one window)
        QWidget.setTabOrder(self.preflight_page.problem, self.preflight_page.retry)
        QWidget.setTabOrder(self.preflight_page.retry, order[0])
        for before, after in itertools.pairwise(order):
            QWidget.setTabOrder(before, after)
        self.currentIdChanged.connect(lambda _id: self.focus_later(move=True))
        for page in (self.preflight_page, self.terms_page, self.migration_page):
            page.task.started.connect(self.focus_later)
            page.task.settled.connect(lambda _ok: self.focus_later(move=True))
            page.completeChanged.connect(self.focus_later)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.focus_later(move=True)

    def _title_is_a_heading(self) -> None:
        """The header Qt draws above each page shows the page's title: a heading."""
        page = self.currentPage()
        if page is None:
            return
        for label in self.findChildren(QLabel):
            if label.text() == page.title() and not page.isAncestorOf(label):
                set_role(label, QAccessible.Role.Heading)

    def focus_later(self, *, move: bool = False) -> None:
        """After Qt has shown the page and its buttons (a zero timer): see focus_now."""
        QTimer.singleShot(0, lambda: self.focus_now(move=move))

    def focus_now(self, *, move: bool = False) -> None:
        """Focus the page's first usable control, else the way on, else Cancel/Close.
        Unless ``move``, focus a person put on a usable control stays there."""
        self._title_is_a_heading()
        page = self.currentPage()
        if page is None or not self.isVisible():
            return
        focused = self.focusWidget()
        if not move and usable(focused):
            return
        candidates: list[QWidget | None] = list(getattr(page, "focus_order", list)())
        forward = [
            self.button(which)
            for which in (Button.CommitButton, Button.NextButton, Button.FinishButton)
        ]
        chosen = focus_first(*candidates, *forward, self.button(Button.CancelButton))
        if chosen is None and focused is not None:
            focused.clearFocus()

    @property
    def page_id(self) -> PageId | None:
        current = self.currentId()
        return PageId(current) if current in PageId._value2member_map_ else None

    def _arrange_buttons(self, page_id: int) -> None:
        self.setButtonLayout(BUTTONS_AFTER_COMMIT if page_id in AFTER_COMMIT else BUTTONS)

    def _stop_checks(self) -> None:
        """Closing the wizard ends its checks; an activation under way carries on."""
        self.preflight_page.stop()
        self.terms_page.stop()
