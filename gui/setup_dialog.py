"""Set-up: which practice database and which online practice, asked in the GUI.

"Not set up" must lead somewhere a person can act on, not back to the command line.
The dialog is a composition of sections (the database, the online practice), each its
own widget, in a scroll area: showing a problem grows the content or scrolls it, never
squashes a field or cuts the words, on a small screen or at 150 % too.

The answers are turned into the engine's configuration by the engine's own set-up code
(``engine.practice_database``, ``engine.config_from_answers``, then an ``Engine``), so
every check the engine makes applies here too. Nothing is saved here: the settings, the
client secret and a SQL login's password are kept only once the activation succeeds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine import (
    AppPaths,
    Engine,
    EngineConfig,
    PracticeDatabase,
    UserFacingError,
    config_from_answers,
)
from gui.accessibility import enter_means_default
from gui.database_form import DatabaseForm
from gui.sign_in_form import OnlineAnswers, SignInForm
from gui.tasks import spawn
from gui.text import tr
from gui.wizard_task import problem_label, problem_text

log = logging.getLogger(__name__)

DIALOG_WIDTH: Final = 600
#: Room left around the dialog on the screen (its frame, the window manager's title).
SCREEN_MARGIN: Final = 80


def build_config(
    paths: AppPaths, database: PracticeDatabase, online: OnlineAnswers
) -> EngineConfig:
    """The configuration these answers describe, through the engine's own set-up code;
    raises UserFacingError with the engine's words when an answer is not usable. The
    database password rides in the configuration only (saved when activation succeeds)."""
    config = config_from_answers(
        paths,
        source=database.source,
        online_url=online.online_url,
        client_id=online.client_id,
        client_secret=online.client_secret,
        sign_in=online.sign_in,
    )
    return dataclasses.replace(config, source_password=database.password or None)


def _section(title: str, content: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.addWidget(content)
    return box


class SetupDialog(QDialog):
    """Asks for the database, then signs in to the online practice (or takes IT's client
    credentials); Continue makes an engine."""

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
                "desktop program's database settings have these details."
            )
        )
        intro.setWordWrap(True)
        self.database = DatabaseForm()
        self.online = SignInForm(self, open_browser)  # the ONLINE part: gui/sign_in_form.py
        self.problem = problem_label()
        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(intro)
        column.addWidget(_section(tr("Practice database"), self.database))
        column.addWidget(_section(tr("Online practice"), self.online))
        column.addWidget(self.problem)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(content)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.buttons = QDialogButtonBox()
        self.continue_button = self.buttons.addButton(
            tr("&Continue"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.continue_button.setProperty("role", "primary")
        self.continue_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.check)
        self.buttons.rejected.connect(self.reject)
        self.database.changed.connect(self._update_button)
        self.online.changed.connect(self._update_button)
        self.online.signed_in.connect(self._after_sign_in)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.buttons)
        self._update_button()
        self._fit(content)
        enter_means_default(self)  # Enter continues, never cancels (even after Tab)

    # Today's online fields by their old names (the tests and the controller use them).
    @property
    def online_url(self) -> QLineEdit:
        return self.online.online_url

    @property
    def client_id(self) -> QLineEdit:
        return self.online.client_id

    @property
    def client_secret(self) -> QLineEdit:
        return self.online.client_secret

    def _after_sign_in(self) -> None:
        """Back from the browser: focus on what comes next (Continue, when it can)."""
        if self.continue_button.isEnabled():
            self.continue_button.setFocus()

    def prefill(self, source: str, online_url: str) -> None:
        """Filled in by flags (the demo): the browser sign-in starts at once."""
        self.database.prefill(source)
        self.online_url.setText(online_url)
        self.online.sign_in()

    def _fit(self, content: QWidget) -> None:
        """As tall as its content, but never taller than the screen: the rest scrolls."""
        wanted = content.sizeHint().height() + self.buttons.sizeHint().height() + 40
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry().height() - SCREEN_MARGIN if screen else wanted
        self.resize(DIALOG_WIDTH, max(200, min(wanted, room)))

    def _update_button(self) -> None:
        busy = self._task is not None and not self._task.done()
        self.continue_button.setEnabled(self.database.filled() and self.online.ready() and not busy)

    def check(self) -> None:
        if self._task is None or self._task.done():
            self._task = spawn(self._check(), "set up")

    async def _check(self) -> None:
        self.problem.hide()
        self.continue_button.setEnabled(False)
        online = self.online.answers()
        try:
            database = await asyncio.to_thread(self.database.database)
            config = await asyncio.to_thread(build_config, self._paths, database, online)
            engine = Engine(config)  # on the loop's thread: it owns loop-bound clients
        except UserFacingError as error:
            self.show_problem(problem_text(error.problem, error.fix))
            return
        finally:
            self._task = None
            self._update_button()
        self.accept()
        self._on_ready(engine)

    def show_problem(self, text: str) -> None:
        """The words in full, scrolled into view; the fields keep their size."""
        self.problem.setText(text)
        self.problem.show()
        QTimer.singleShot(0, lambda: self.scroll_area.ensureWidgetVisible(self.problem))
