"""The ONLINE part of the set-up: "Sign in to your online practice" in the browser.

A person types the online practice's address and presses Sign in; the system browser
opens the service's sign-in page and comes back to the program (the engine's loopback
sign-in runs as a task on the Qt loop, never blocking it). When no browser can be
started the address to open is shown, selectable. IT's unattended installs can still
give a client id and secret instead. Nothing is kept until the activation succeeds: the
sign-in is held by the form and handed to the engine with the answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine import (
    SignInStarted,
    SignInTokens,
    UserFacingError,
    sign_in_with_browser,
)
from gui.tasks import spawn
from gui.text import tr
from gui.wizard_task import problem_text

ONLINE_HINT: Final = "https://…"
HEADING: Final = "Sign in to your online practice"


@dataclass(frozen=True)
class OnlineAnswers:
    """The online side of the set-up: a browser sign-in, or IT's client credentials."""

    online_url: str
    sign_in: SignInTokens | None = None
    client_id: str = ""
    client_secret: str = ""


class SignInForm(QWidget):
    """The online practice's address, the Sign in button and what the sign-in is doing."""

    #: Emitted whenever :meth:`ready` may have changed.
    changed = Signal()
    #: Emitted when a browser sign-in came back (focus can move on to what is next).
    signed_in = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        open_browser: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_browser = open_browser
        self._tokens: SignInTokens | None = None
        self._signed_in_url = ""
        self._task: asyncio.Task[None] | None = None
        heading = QLabel(tr(HEADING))
        heading.setProperty("role", "heading")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        explain = QLabel(
            tr(
                "Your browser opens the online practice's sign-in page. Sign in there with "
                "the practice's online login (the email in the practice's online settings); "
                "this program never sees the password."
            )
        )
        explain.setWordWrap(True)
        self.online_url = QLineEdit()
        self.online_url.setPlaceholderText(ONLINE_HINT)
        self.online_url.setAccessibleName(tr("Online practice address"))
        self.sign_in_button = QPushButton(tr("Sign &in in the browser…"))
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state.hide()
        # The sign-in page's address, to open by hand: a field, so a long address
        # scrolls (a label would widen the dialog past the screen) and copies whole.
        self.page_address = QLineEdit()
        self.page_address.setReadOnly(True)
        self.page_address.setAccessibleName(tr("Sign-in page address"))
        self.page_address.hide()
        self.use_secret = QCheckBox(tr("Use a client id and secret instead (IT's installs)"))
        self.client_id = QLineEdit()
        self.client_secret = QLineEdit()
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        secret_form = QFormLayout()
        secret_form.addRow(tr("Client &id:"), self.client_id)
        secret_form.addRow(tr("Client s&ecret:"), self.client_secret)
        self._secret_box = QWidget()
        self._secret_box.setLayout(secret_form)
        self._secret_box.hide()
        address = QFormLayout()
        address.addRow(tr("Online &practice address:"), self.online_url)
        row = QHBoxLayout()
        row.addWidget(self.sign_in_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(explain)
        layout.addLayout(address)
        layout.addLayout(row)
        layout.addWidget(self.state)
        layout.addWidget(self.page_address)
        layout.addWidget(self.use_secret)
        layout.addWidget(self._secret_box)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.use_secret.toggled.connect(self._use_secret)
        for field in (self.online_url, self.client_id, self.client_secret):
            field.textChanged.connect(self._edited)
        self._edited()

    # -- answers ------------------------------------------------------------------------

    def answers(self) -> OnlineAnswers:
        url = self.online_url.text().strip()
        if self.use_secret.isChecked():
            return OnlineAnswers(
                url, None, self.client_id.text().strip(), self.client_secret.text()
            )
        tokens = self._tokens if self._signed_in_url == url else None
        return OnlineAnswers(url, tokens)

    def ready(self) -> bool:
        answers = self.answers()
        if self.use_secret.isChecked():
            return bool(answers.online_url and answers.client_id and answers.client_secret)
        return answers.sign_in is not None

    def _use_secret(self, checked: bool) -> None:
        self._secret_box.setVisible(checked)
        self.sign_in_button.setEnabled(not checked and bool(self.online_url.text().strip()))
        self.changed.emit()

    def _edited(self) -> None:
        url = self.online_url.text().strip()
        busy = self._task is not None and not self._task.done()
        self.sign_in_button.setEnabled(bool(url) and not busy and not self.use_secret.isChecked())
        if self._tokens is not None and url != self._signed_in_url:
            self._say(tr("The address changed: sign in again."))
        self.changed.emit()

    # -- the sign-in --------------------------------------------------------------------

    def sign_in(self) -> None:
        if self._task is None or self._task.done():
            self._task = spawn(self._sign_in(self.online_url.text().strip()), "sign in")

    async def _sign_in(self, url: str) -> None:
        self.sign_in_button.setEnabled(False)
        self._say(tr("Opening the sign-in page in your browser…"))
        try:
            tokens = await sign_in_with_browser(
                url, started=self._started, open_browser=self._open_browser
            )
        except UserFacingError as error:
            self.page_address.hide()  # that sign-in is over: its address no longer works
            self._say(problem_text(error.problem, error.fix), problem=True)
            return
        finally:
            self.sign_in_button.setEnabled(not self.use_secret.isChecked())
        self._tokens, self._signed_in_url = tokens, url
        self.page_address.hide()
        self._say(tr("Signed in as {email}.").format(email=tokens.email))
        self.changed.emit()
        self.signed_in.emit()

    def _started(self, started: SignInStarted) -> None:
        if started.browser_opened:
            # "opened" means a browser program was started, not that it showed the page
            # (one that fails at once is not seen here): the address is always given.
            self._say(
                tr(
                    "Your browser should now show the sign-in page. Sign in there with the "
                    "practice's online login, then come back here. If no browser opened, open "
                    "this address in a browser on this computer:"
                )
            )
        else:
            self._say(
                tr(
                    "No browser could be started. Open this address in a browser on this "
                    "computer and sign in there:"
                )
            )
        self.page_address.setText(started.url)
        self.page_address.setCursorPosition(0)
        self.page_address.show()

    def _say(self, text: str, problem: bool = False) -> None:
        self.state.setProperty("role", "problem" if problem else "")
        self.state.setText(text)
        self.state.show()
