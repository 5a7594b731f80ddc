"""Set-up: which practice database and which online practice, asked in the GUI.

"Not set up" must lead somewhere a person can act on, not back to the command line.
The answers are turned into the engine's configuration by the engine's own set-up code
(``engine.config_from_answers``, then an ``Engine``), so every check the engine makes
applies here too. Nothing is saved until the activation succeeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from engine import AppPaths, Engine, EngineConfig, UserFacingError, config_from_answers
from gui.sign_in_form import OnlineAnswers, SignInForm
from gui.tasks import spawn
from gui.text import tr
from gui.wizard_task import problem_text

log = logging.getLogger(__name__)

SOURCE_HINT: Final = "sqlite:C:\\Practice\\practice.db  or  odbc:DSN=MYOBACCT"
DIALOG_WIDTH: Final = 560


@dataclass(frozen=True)
class SetupAnswers:
    source: str
    online: OnlineAnswers


def build_config(paths: AppPaths, answers: SetupAnswers) -> EngineConfig:
    """The configuration these answers describe, through the engine's own set-up code;
    raises UserFacingError with the engine's words when an answer is not usable."""
    return config_from_answers(
        paths,
        source=answers.source,
        online_url=answers.online.online_url,
        client_id=answers.online.client_id,
        client_secret=answers.online.client_secret,
        sign_in=answers.online.sign_in,
    )


class SetupDialog(QDialog):
    """Asks for the database, then signs in to the online practice (or takes IT's client
    credentials)."""

    def __init__(
        self,
        paths: AppPaths,
        on_ready: Callable[[Engine], None],
        parent: QWidget | None = None,
        open_browser: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self._paths = paths
        self._on_ready = on_ready
        self._task: asyncio.Task[None] | None = None
        self.setWindowTitle(tr("Set up Contacts Migration"))
        intro = QLabel(
            tr(
                "This computer does not know the practice yet. Say where the practice "
                "database is and which online practice to use; your IT contact or the "
                "practice's online settings have these details."
            )
        )
        intro.setWordWrap(True)
        self.source = QLineEdit()
        self.source.setPlaceholderText(SOURCE_HINT)
        self.online = SignInForm(self, open_browser)  # the ONLINE part: gui/sign_in_form.py
        self.online_url = self.online.online_url
        self.client_id = self.online.client_id
        self.client_secret = self.online.client_secret
        form = QFormLayout()
        form.addRow(tr("Practice &database:"), self.source)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setProperty("role", "problem")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self.buttons = QDialogButtonBox()
        self.continue_button = self.buttons.addButton(
            tr("&Continue"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.continue_button.setProperty("role", "primary")
        self.continue_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.check)
        self.buttons.rejected.connect(self.reject)
        self.source.textChanged.connect(self._update_button)
        self.online.changed.connect(self._update_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.online)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._update_button()
        self.resize(DIALOG_WIDTH, self.sizeHint().height())

    def prefill(self, source: str, online_url: str) -> None:
        """Filled in by flags (the demo): the browser sign-in starts at once."""
        self.source.setText(source)
        self.online_url.setText(online_url)
        self.online.sign_in()

    def answers(self) -> SetupAnswers:
        return SetupAnswers(self.source.text().strip(), self.online.answers())

    def _update_button(self) -> None:
        self.continue_button.setEnabled(bool(self.answers().source) and self.online.ready())

    def check(self) -> None:
        if self._task is None or self._task.done():
            self._task = spawn(self._check(self.answers()), "set up")

    async def _check(self, answers: SetupAnswers) -> None:
        self.problem.hide()
        self.continue_button.setEnabled(False)
        try:
            config = await asyncio.to_thread(build_config, self._paths, answers)
            engine = Engine(config)  # on the loop's thread: it owns loop-bound clients
        except UserFacingError as error:
            self.problem.setText(problem_text(error.problem, error.fix))
            self.problem.show()
            return
        finally:
            self._update_button()
        self.accept()
        self._on_ready(engine)
