"""Not set up leads into a set-up step and then the wizard, never back to the command line."""

from __future__ import annotations

from pathlib import Path

from engine.local.paths import app_paths
from engine.local.settings import load_settings
from tests.gui.conftest import Runner, until
from tests.gui.support import make_controller
from tests.sandbox_harness import RunningSandbox


def test_not_set_up_asks_for_the_setup_then_opens_the_wizard(
    run_gui: Runner[None], practice_db: Path, sandbox: RunningSandbox
) -> None:
    client_id, secret = sandbox.client_credentials("sync")

    async def scenario() -> None:
        controller = make_controller(None)
        await controller.start(show_launcher=False)
        status = controller.bridge.status
        assert status is not None and "contacts-migration" not in status.fix
        controller.launcher.activate_button.click()  # Maintenance > Online > Activate
        dialog = controller.setup_dialog
        assert dialog is not None and dialog.isVisible()
        assert controller.wizard is None
        assert not dialog.continue_button.isEnabled()  # nothing filled in yet

        dialog.source.setText("nonsense:somewhere")
        dialog.online.use_secret.setChecked(True)  # IT's unattended installs
        dialog.online_url.setText(sandbox.url)
        dialog.client_id.setText(client_id)
        dialog.client_secret.setText(secret)
        dialog.continue_button.click()
        await until(dialog.problem.isVisible, what="the engine's words for a bad database")
        assert dialog.isVisible() and controller.engine is None

        dialog.source.setText(f"sqlite:{practice_db}")
        dialog.continue_button.click()
        await until(lambda: controller.wizard is not None, what="the wizard")
        assert controller.wizard is not None and controller.wizard.isVisible()
        assert not dialog.isVisible()
        assert controller.engine is not None
        assert controller.engine.config.online_url == sandbox.url
        # Nothing is saved before the activation succeeds.
        assert load_settings(app_paths().settings_file).source is None
        await controller.shutdown()

    run_gui(scenario)
