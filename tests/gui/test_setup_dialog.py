"""Not set up leads into a set-up step and then the wizard, never back to the command line;
and the set-up never leads into a dead end.

The database is asked as a practice names it (tests/engine/sources/test_practice_database.py
pins what each answer becomes); here the dialog's own code path runs against real
databases: the generated SQLite practice, a missing file, and a live PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import DatabaseKind
from engine.local.paths import app_paths
from engine.local.settings import load_settings
from gui.setup_dialog import SetupDialog
from tests.components import require_component, require_odbc_driver
from tests.gui.conftest import Runner, until
from tests.gui.support import make_controller
from tests.postgres_harness import (
    ODBC_DRIVER,
    POSTGRES_USER,
    PostgresServer,
    PostgresUnavailable,
    running_postgres,
)
from tests.sandbox_harness import RunningSandbox


def fill_online(dialog: SetupDialog, sandbox: RunningSandbox) -> None:
    client_id, secret = sandbox.client_credentials("sync")
    dialog.online.use_secret.setChecked(True)  # IT's unattended installs: no browser
    dialog.online_url.setText(sandbox.url)
    dialog.client_id.setText(client_id)
    dialog.client_secret.setText(secret)


def nothing_saved() -> bool:
    """No settings, no client secret and no database password kept."""
    paths = app_paths()
    secrets = paths.secrets_file.read_text() if paths.secrets_file.exists() else ""
    return load_settings(paths.settings_file).source is None and not secrets.strip("{} \n")


def test_not_set_up_asks_for_the_setup_then_opens_the_wizard(
    run_gui: Runner[None], practice_db: Path, sandbox: RunningSandbox
) -> None:
    async def scenario() -> None:
        controller = make_controller(None)
        await controller.start(show_launcher=False)
        status = controller.bridge.status
        assert status is not None and "contacts-migration" not in status.fix
        controller.launcher.activate_button.click()  # Maintenance > Online > Activate
        dialog = controller.setup_dialog
        assert dialog is not None and dialog.isVisible()
        assert controller.wizard is None
        assert dialog.database.current_kind is DatabaseKind.SQL_SERVER  # the default
        assert not dialog.continue_button.isEnabled()  # nothing filled in yet

        dialog.database.choose(DatabaseKind.SQLITE)
        dialog.database.sqlite.path.setText(str(practice_db))  # a plain path: a SQLite file
        fill_online(dialog, sandbox)
        address = sandbox.url.removeprefix("http://")  # half-typed: "127.0.0.1:37700"
        dialog.online_url.setText(address)
        dialog.continue_button.click()
        await until(dialog.problem.isVisible, what="the words for a half-typed address")
        assert "add https:// at the start" in dialog.problem.text()
        assert dialog.isVisible() and controller.engine is None

        dialog.online_url.setText(sandbox.url)
        dialog.continue_button.click()
        await until(lambda: controller.wizard is not None, what="the wizard")
        assert controller.wizard is not None and controller.wizard.isVisible()
        assert not dialog.isVisible()
        assert controller.engine is not None
        assert controller.engine.config.online_url == sandbox.url
        assert controller.engine.config.source == f"sqlite:{practice_db}"
        assert nothing_saved()  # nothing before the activation succeeds
        await controller.shutdown()

    run_gui(scenario)


def test_a_failed_check_leads_back_to_the_setup_with_what_was_entered(
    run_gui: Runner[None], tmp_path: Path, sandbox: RunningSandbox
) -> None:
    missing = tmp_path / "Practice" / "practice.db"

    async def scenario() -> None:
        controller = make_controller(None)
        await controller.start(show_launcher=False)
        controller.open_wizard()
        dialog = controller.setup_dialog
        assert dialog is not None
        dialog.database.choose(DatabaseKind.SQLITE)
        dialog.database.sqlite.path.setText(str(missing))
        fill_online(dialog, sandbox)
        dialog.continue_button.click()
        await until(lambda: controller.wizard is not None, what="the wizard")
        wizard = controller.wizard
        assert wizard is not None
        wizard.next()  # Yes: the checks run and the database one fails
        page = wizard.preflight_page
        await until(page.change_setup.isVisible, what="the offer to change the set-up")
        page.change_setup.click()
        await until(dialog.isVisible, what="the set-up again")
        assert not wizard.isVisible() and controller.engine is None
        assert dialog.database.sqlite.path.text() == str(missing)  # kept, to correct
        assert nothing_saved()

        # Cancel, then Activate: the set-up again, not the wizard with the same path.
        dialog.reject()
        controller.launcher.activate_button.click()
        assert dialog.isVisible()
        assert controller.wizard is None or not controller.wizard.isVisible()
        assert nothing_saved()
        await controller.shutdown()

    run_gui(scenario)


def test_test_connection_answers_in_plain_words(
    run_gui: Runner[None], practice_db: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        controller = make_controller(None)
        await controller.start(show_launcher=False)
        controller.open_setup()
        form = controller.setup_dialog.database if controller.setup_dialog else None
        assert form is not None
        form.choose(DatabaseKind.SQLITE)
        form.sqlite.path.setText(str(tmp_path / "nowhere.db"))
        form.test_button.click()
        await until(lambda: "There is no database file" in form.result.text(), what="words")
        assert form.result.property("role") == "problem"

        form.sqlite.path.setText(str(practice_db))
        await until(form.test_button.isEnabled, what="Test connection ready again")
        form.test_button.click()
        await until(lambda: form.result.text().startswith("Connected"), what="connected")
        assert form.result.property("role") == "muted"
        await controller.shutdown()

    run_gui(scenario)


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """A live PostgreSQL for this module (the name marks its tests slow)."""
    require_odbc_driver(ODBC_DRIVER)
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as error:
        require_component("PostgreSQL", str(error))


def test_test_connection_against_a_live_postgresql(
    run_gui: Runner[None], postgres_server: PostgresServer
) -> None:
    from sampledata.database_init import init_odbc_database

    name = postgres_server.create_database("setup_practice")
    init_odbc_database(postgres_server.connection_string(name), contacts=20, seed=5)

    async def scenario() -> None:
        controller = make_controller(None)
        await controller.start(show_launcher=False)
        controller.open_setup()
        form = controller.setup_dialog.database if controller.setup_dialog else None
        assert form is not None
        form.choose(DatabaseKind.POSTGRESQL)
        form.postgres.host.setText("127.0.0.1")
        form.postgres.port.setValue(postgres_server.port)
        form.postgres.database.setText("no_such_database")
        form.postgres.user.setText(POSTGRES_USER)
        form.test_button.click()
        await until(lambda: "has no database called" in form.result.text(), what="missing")

        form.postgres.database.setText(name)
        await until(form.test_button.isEnabled, what="Test connection ready again")
        form.test_button.click()
        await until(lambda: form.result.text().startswith("Connected"), what="connected")
        await controller.shutdown()

    run_gui(scenario)


def test_test_connection_to_a_sql_server_that_is_not_answering(run_gui: Runner[None]) -> None:
    """The default kind, through the installed SQL Server driver (FreeTDS here)."""
    require_odbc_driver("FreeTDS")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> None:
        controller = make_controller(None)
        await controller.start(show_launcher=False)
        controller.open_setup()
        form = controller.setup_dialog.database if controller.setup_dialog else None
        assert form is not None
        form.sql_server.server.setText(f"127.0.0.1,{port}")
        form.sql_server.database.setText("MYOBAE")
        form.sql_server.sign_in.setCurrentIndex(1)  # a SQL Server login
        form.sql_server.user.setText("reader")
        form.sql_server.password.setText("never-shown")
        form.test_button.click()
        await until(lambda: "is not answering" in form.result.text(), what="the words")
        assert f"port {port}" in form.result.text()
        assert "never-shown" not in form.result.text()
        await controller.shutdown()

    run_gui(scenario)
