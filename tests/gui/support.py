"""Helpers for driving the GUI the way a person would: buttons, pages, the database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QSystemTrayIcon, QWizard

from engine.local.config import EngineConfig
from engine.local.paths import app_paths
from engine.practice.setting_rows import PracticeSetting
from gui.controller import AppController
from gui.wizard import ActivationWizard

Button = QWizard.WizardButton
ACCEPTED_BY = "Test Administrator"


def make_controller(
    config: EngineConfig | None, tray_available: Callable[[], bool] | None = None
) -> AppController:
    available = tray_available or QSystemTrayIcon.isSystemTrayAvailable
    return AppController(
        config, paths=app_paths(), accepted_by=ACCEPTED_BY, tray_available=available
    )


def press(wizard: ActivationWizard, which: QWizard.WizardButton) -> None:
    """Click a wizard button, as long as a person could."""
    button = wizard.button(which)
    assert button.isVisible(), f"{which} is not shown"
    assert button.isEnabled(), f"{which} is disabled"
    button.click()


def forward_button(wizard: ActivationWizard) -> QWizard.WizardButton:
    """The button that moves on from this page: Next, the commit button, or Finish."""
    for which in (Button.CommitButton, Button.NextButton, Button.FinishButton):
        if wizard.button(which).isVisible():
            return which
    raise AssertionError("no button moves this page on")


def can_go_forward(wizard: ActivationWizard) -> bool:
    return wizard.button(forward_button(wizard)).isEnabled()


def practice_settings(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute('SELECT "Name", "Value" FROM "PracticeSetting"'))


def run_sql(db: Path, sql: str, *params: object) -> None:
    """As the desktop program would change its database meanwhile."""
    connection = sqlite3.connect(db, isolation_level=None, timeout=10)
    try:
        connection.execute(sql, params)
    finally:
        connection.close()


def set_live_activated(db: Path) -> None:
    run_sql(
        db,
        'INSERT INTO "PracticeSetting" ("Name", "Value") VALUES (?, ?) '
        'ON CONFLICT ("Name") DO UPDATE SET "Value" = excluded."Value"',
        PracticeSetting.LIVE_ACTIVATED.value,
        "1",
    )
