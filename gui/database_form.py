"""The set-up's database part: the practice database as the practice knows it.

SQL Server (the default: the server's name as the desktop program shows it, the
database's name, Windows sign-in or a SQL login), PostgreSQL, or a SQLite file with a
file picker. Nobody types a connection string here: the engine turns these answers into
one (``engine.practice_database``) and picks the installed ODBC driver. "Test connection"
runs the engine's real checks in a worker thread and shows its plain words.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import (
    DatabaseKind,
    PostgresAnswers,
    PracticeDatabase,
    SqliteAnswers,
    SqlServerAnswers,
    UserFacingError,
    check_practice_database,
    practice_database,
)
from gui.tasks import spawn
from gui.text import tr
from gui.wizard_task import problem_text

log = logging.getLogger(__name__)

DatabaseAnswers = SqlServerAnswers | PostgresAnswers | SqliteAnswers

KIND_NAMES: Final = (
    (DatabaseKind.SQL_SERVER, "Microsoft SQL Server (MYOB AE/AO)"),
    (DatabaseKind.POSTGRESQL, "PostgreSQL"),
    (DatabaseKind.SQLITE, "SQLite file"),
)
POSTGRES_PORT: Final = 5432
ENCRYPTION_NOTE: Final = (
    "The connection is always encrypted, and the server's certificate is always checked."
)


def _field(placeholder: str = "", *, secret: bool = False) -> QLineEdit:
    field = QLineEdit()
    field.setPlaceholderText(placeholder)
    if secret:
        field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def _form() -> QFormLayout:
    form = QFormLayout()
    # Labels above fields when narrow: a long label never squashes its field.
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    return form


class SqlServerPart(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.server = _field("MYOBSERVER\\MYOBACCT")
        self.server.setAccessibleName(tr("Server and instance"))
        self.database = _field("MYOBAE")
        self.database.setAccessibleName(tr("Database name"))
        self.sign_in = QComboBox()
        self.sign_in.addItems(
            [tr("Windows sign-in (this computer's account)"), tr("SQL Server login")]
        )
        self.sign_in.setAccessibleName(tr("Sign in with"))
        self.user = _field()
        self.user.setAccessibleName(tr("Login name"))
        self.password = _field(secret=True)
        self.password.setAccessibleName(tr("Password"))
        note = QLabel(tr(ENCRYPTION_NOTE))
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        form = _form()
        form.addRow(tr("&Server\\instance:"), self.server)
        form.addRow(tr("Data&base name:"), self.database)
        form.addRow(tr("Sign &in with:"), self.sign_in)
        form.addRow(tr("&Login name:"), self.user)
        form.addRow(tr("Pass&word:"), self.password)
        form.addRow(note)
        form.setContentsMargins(0, 0, 0, 0)
        self.setLayout(form)
        self.sign_in.currentIndexChanged.connect(self._show_login)
        self._show_login()

    @property
    def windows_sign_in(self) -> bool:
        return self.sign_in.currentIndex() == 0

    def _show_login(self) -> None:
        self.user.setEnabled(not self.windows_sign_in)
        self.password.setEnabled(not self.windows_sign_in)

    def answers(self) -> SqlServerAnswers:
        return SqlServerAnswers(
            self.server.text().strip(),
            self.database.text().strip(),
            windows_sign_in=self.windows_sign_in,
            user="" if self.windows_sign_in else self.user.text().strip(),
            password="" if self.windows_sign_in else self.password.text(),
        )

    def filled(self) -> bool:
        answers = self.answers()
        login = answers.windows_sign_in or answers.user
        return bool(answers.server and answers.database and login)


class PostgresPart(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.host = _field("db.practice.local")
        self.host.setAccessibleName(tr("Server"))
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(POSTGRES_PORT)
        self.port.setAccessibleName(tr("Port"))
        self.database = _field("practice")
        self.database.setAccessibleName(tr("Database name"))
        self.user = _field()
        self.user.setAccessibleName(tr("User name"))
        self.password = _field(secret=True)
        self.password.setAccessibleName(tr("Password"))
        form = _form()
        form.addRow(tr("&Server:"), self.host)
        form.addRow(tr("&Port:"), self.port)
        form.addRow(tr("Data&base name:"), self.database)
        form.addRow(tr("&User name:"), self.user)
        form.addRow(tr("Pass&word:"), self.password)
        form.setContentsMargins(0, 0, 0, 0)
        self.setLayout(form)

    def answers(self) -> PostgresAnswers:
        return PostgresAnswers(
            self.host.text().strip(),
            self.database.text().strip(),
            self.user.text().strip(),
            self.password.text(),
            port=self.port.value(),
        )

    def filled(self) -> bool:
        answers = self.answers()
        return bool(answers.host and answers.database and answers.user)


class SqlitePart(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.path = _field("C:\\Practice\\practice.db")
        self.path.setAccessibleName(tr("Database file"))
        self.browse = QPushButton(tr("B&rowse…"))
        self.browse.clicked.connect(self._pick)
        self.picker: QFileDialog | None = None
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        label = QLabel(tr("Database &file:"))
        label.setBuddy(self.path)  # a row of two widgets: the label needs its buddy set
        form = _form()
        form.addRow(label, row)
        form.setContentsMargins(0, 0, 0, 0)
        self.setLayout(form)

    def _pick(self) -> None:
        """A non-blocking file dialog (open(), never exec())."""
        picker = QFileDialog(self, tr("Choose the practice database file"))
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.setNameFilters([tr("Database files (*.db *.sqlite *.sqlite3)"), tr("All files (*)")])
        picker.fileSelected.connect(self.path.setText)
        self.picker = picker
        picker.open()

    def answers(self) -> SqliteAnswers:
        return SqliteAnswers(self.path.text().strip())

    def filled(self) -> bool:
        return bool(self.answers().path)


class DatabaseForm(QWidget):
    """Which database, asked in the practice's words; ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task: asyncio.Task[None] | None = None
        self.kind = QComboBox()
        for kind, name in KIND_NAMES:
            self.kind.addItem(tr(name), kind)
        self.kind.setAccessibleName(tr("Kind of database"))
        self.sql_server = SqlServerPart()
        self.postgres = PostgresPart()
        self.sqlite = SqlitePart()
        self.test_button = QPushButton(tr("&Test connection"))
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.hide()
        kind_form = _form()
        kind_form.addRow(tr("&Kind of database:"), self.kind)
        kind_form.setContentsMargins(0, 0, 0, 0)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(kind_form)
        for part in (self.sql_server, self.postgres, self.sqlite):
            layout.addWidget(part)
        layout.addLayout(test_row)
        layout.addWidget(self.result)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.test_button.clicked.connect(self.test_connection)
        for field in self.findChildren(QLineEdit):
            field.textChanged.connect(self._edited)
        self.sql_server.sign_in.currentIndexChanged.connect(self._edited)
        self.postgres.port.valueChanged.connect(self._edited)
        self._kind_changed()

    @property
    def current_kind(self) -> DatabaseKind:
        return DatabaseKind(self.kind.currentData())

    def choose(self, kind: DatabaseKind) -> None:
        self.kind.setCurrentIndex(self.kind.findData(kind))

    def prefill(self, source: str) -> None:
        """Filled in from a ``--source`` flag (the demo's ``sqlite:PATH``); any other
        form is left for the person to enter, in the practice's words."""
        if source.startswith("sqlite:"):
            self.choose(DatabaseKind.SQLITE)
            self.sqlite.path.setText(source.removeprefix("sqlite:"))

    def _part(self) -> SqlServerPart | PostgresPart | SqlitePart:
        parts: dict[DatabaseKind, SqlServerPart | PostgresPart | SqlitePart] = {
            DatabaseKind.SQL_SERVER: self.sql_server,
            DatabaseKind.POSTGRESQL: self.postgres,
            DatabaseKind.SQLITE: self.sqlite,
        }
        return parts[self.current_kind]

    def _kind_changed(self) -> None:
        # Only the chosen kind's fields show (the form is as tall as they are).
        current = self._part()
        for part in (self.sql_server, self.postgres, self.sqlite):
            part.setVisible(part is current)
        self._edited()

    def _edited(self) -> None:
        self.result.hide()
        self.test_button.setEnabled(self.filled() and not self.testing)
        self.changed.emit()

    @property
    def testing(self) -> bool:
        return self._task is not None and not self._task.done()

    def answers(self) -> DatabaseAnswers:
        return self._part().answers()

    def filled(self) -> bool:
        return self._part().filled()

    def database(self) -> PracticeDatabase:
        """What was entered, as the engine's source; UserFacingError with its words."""
        return practice_database(self.answers())

    def test_connection(self) -> None:
        if not self.testing:
            self._task = spawn(self._test(), "test connection")

    async def _test(self) -> None:
        self.test_button.setEnabled(False)
        self.result.setProperty("role", "muted")
        self.result.setText(tr("Testing the connection…"))
        self.result.show()
        try:
            database = await asyncio.to_thread(self.database)
            check = await asyncio.to_thread(check_practice_database, database)
        except UserFacingError as error:
            self.show_result(problem_text(error.problem, error.fix), ok=False)
        else:
            if check.ok:
                self.show_result(tr("Connected: ") + check.words, ok=True)
            else:
                self.show_result(problem_text(check.words, check.fix), ok=False)
        finally:
            self.test_button.setEnabled(self.filled())

    def show_result(self, text: str, *, ok: bool) -> None:
        self.result.setProperty("role", "muted" if ok else "problem")
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        self.result.setText(text)
        self.result.show()
