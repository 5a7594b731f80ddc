"""The set-up's "Sign in to your online practice" with a real browser: the GUI starts the
sign-in without blocking its loop, Python's ``webbrowser`` runs ``BROWSER`` (a real
headless chromium that signs in, tests/browser_sign_in.py), the browser lands on the
program's loopback address, the form says who signed in, and the wizard opens with an
engine that holds the sign-in; nothing is saved before the activation.
``UPDATE_SCREENSHOTS=1`` also keeps pictures of the dialog in docs/screenshots."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import pytest

from engine.contract.wire import DESKTOP_CLIENT_ID
from engine.local.paths import app_paths
from engine.local.settings import load_settings
from tests import browser_sign_in
from tests.browser_harness import require_browser
from tests.gui.conftest import Runner, until
from tests.gui.support import make_controller
from tests.gui.test_screenshots import output_folder, save
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.sign_in_support import login


def _practice_login(database: Path) -> str:
    import sqlite3

    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT Value FROM PracticeSetting WHERE Name = 'Practice.MyobEmail'"
        ).fetchone()
    return str(row[0])


def test_set_up_signs_in_in_the_browser_then_opens_the_wizard(
    run_gui: Runner[None],
    practice_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_browser()
    with running_sandbox(tmp_path, login_email=_practice_login(practice_db)) as sandbox:
        email, password = login(sandbox.credentials)
        monkeypatch.setenv("BROWSER", browser_sign_in.command(email, password))
        monkeypatch.setattr(webbrowser, "_tryorder", None)  # read BROWSER afresh
        run_gui(lambda: _scenario(sandbox, practice_db, email, tmp_path))


async def _scenario(sandbox: RunningSandbox, practice_db: Path, email: str, tmp: Path) -> None:
    shots = output_folder(tmp)
    controller = make_controller(None)
    await controller.start(show_launcher=False)
    controller.launcher.activate_button.click()
    dialog = controller.setup_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.database.prefill(f"sqlite:{practice_db}")
    dialog.online_url.setText(sandbox.url)
    assert not dialog.continue_button.isEnabled()  # not signed in yet
    await save(dialog, shots / "setup-sign-in.png")
    dialog.online.sign_in_button.click()
    # ``until`` runs the Qt loop meanwhile: the sign-in never blocks it
    await until(
        lambda: "Signed in as" in dialog.online.state.text(), timeout=180, what="the sign-in"
    )
    assert email in dialog.online.state.text()
    assert dialog.continue_button.isEnabled()
    assert dialog.focusWidget() is dialog.continue_button  # back from the browser: go on
    await save(dialog, shots / "setup-signed-in.png")
    dialog.continue_button.click()
    await until(lambda: controller.wizard is not None, what="the wizard")
    engine = controller.engine
    assert engine is not None and engine.config.credentials.client_id == DESKTOP_CLIENT_ID
    assert load_settings(app_paths().settings_file).source is None  # nothing saved yet
    assert not app_paths().secrets_file.exists()
    await controller.shutdown()


def test_filled_in_by_flags_the_set_up_signs_in_at_once(
    run_gui: Runner[None],
    practice_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``gui --activate --source S --online URL`` (the demo on a display): the set-up opens
    filled in and the browser opens the sign-in page by itself."""
    require_browser()
    with running_sandbox(tmp_path, login_email=_practice_login(practice_db)) as sandbox:
        email, password = login(sandbox.credentials)
        monkeypatch.setenv("BROWSER", browser_sign_in.command(email, password))
        monkeypatch.setattr(webbrowser, "_tryorder", None)

        async def scenario() -> None:
            controller = make_controller(None)
            controller.setup_prefill = (f"sqlite:{practice_db}", sandbox.url)
            await controller.start(open_wizard=True, show_launcher=False)
            dialog = controller.setup_dialog
            assert dialog is not None and dialog.isVisible()
            assert dialog.online_url.text() == sandbox.url
            await until(
                lambda: "Signed in as" in dialog.online.state.text(),
                timeout=180,
                what="the sign-in",
            )
            assert dialog.continue_button.isEnabled()
            await controller.shutdown()

        run_gui(scenario)


def test_sign_in_again_keeps_only_the_practice_login(
    run_gui: Runner[None], practice_db: Path, tmp_path: Path
) -> None:
    """The button's work (gui/sign_in_again.py): a new sign-in by the practice's login is
    kept (the agent picks it up from the keyring); the second person's is refused in
    plain words and nothing is kept."""
    from contacts_migration.scripted_sign_in import sign_in_as
    from engine.local.profile import config_from_answers
    from engine.local.sign_in_store import SavedSignIn
    from gui.sign_in_again import sign_in_again

    with running_sandbox(tmp_path, login_email=_practice_login(practice_db)) as sandbox:
        paths = app_paths()
        paths.ensure()
        said: list[str] = []

        async def scenario() -> None:
            config = config_from_answers(
                paths,
                source=f"sqlite:{practice_db}",
                online_url=sandbox.url,
                client_id="x",
                client_secret="y",
            )
            other = sign_in_as(*login(sandbox.credentials, 1))
            assert not await sign_in_again(paths, config, said.append, other)
            assert "You signed in as other.person@" in said[-1]
            assert SavedSignIn(paths, sandbox.url).load() is None
            mine = sign_in_as(*login(sandbox.credentials, 0))
            assert await sign_in_again(paths, config, said.append, mine)
            assert said[-1].startswith("Signed in as ")
            kept = SavedSignIn(paths, sandbox.url).load()
            assert kept is not None and kept.email == login(sandbox.credentials)[0]
            assert load_settings(paths.settings_file).client_id == DESKTOP_CLIENT_ID

        run_gui(scenario)


def test_troubleshooting_offers_sign_in_again(run_gui: Runner[None], tmp_path: Path) -> None:
    from engine.status.model import Reason, red_status
    from gui.bridge import StatusBridge
    from gui.troubleshooting import TroubleshootingDialog
    from tests.gui.test_troubleshooting import Commands

    async def scenario() -> None:
        bridge, commands = StatusBridge(), Commands()
        dialog = TroubleshootingDialog(bridge, commands, app_paths())
        bridge.publish(red_status(Reason.SIGN_IN_AGAIN))
        dialog.resize(640, 560)
        dialog.show()
        assert dialog.retry_button.text() == "Sign &in again…"
        assert "Sign in again here" in dialog.steps.text()
        await save(dialog, output_folder(tmp_path) / "troubleshooting-sign-in-again.png")
        dialog.retry_button.click()
        assert commands.calls == ["sync_now"]  # the controller runs the browser sign-in
        dialog.close()

    run_gui(scenario)
