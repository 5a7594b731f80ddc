"""The activation wizard: the flow people know from the desktop program's Maintenance menu.

ModernStyle on every platform so it looks the same everywhere; pages by named id.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget, QWizard, QWizardPage

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
