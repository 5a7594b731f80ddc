"""The Maintenance Map window before and after the practice is activated."""

from __future__ import annotations

from pathlib import Path

from engine.api import Engine
from engine.local.config import EngineConfig
from gui.launcher import ACTIVATE_TEXT, ACTIVATED_TEXT
from tests.gui.conftest import Runner, until
from tests.gui.support import make_controller
from tests.sandbox_harness import RunningSandbox


def test_the_menu_item_shows_activated_on_every_workstation(
    run_gui: Runner[None], gui_config: EngineConfig, practice_db: Path, sandbox: RunningSandbox
) -> None:
    async def scenario() -> None:
        controller = make_controller(gui_config)
        await controller.start()
        launcher = controller.launcher
        assert launcher.isVisible()
        assert [a.text() for a in launcher.online_menu.actions()] == [
            ACTIVATE_TEXT,
            "Contacts Migration &status…",
            "Contacts Migration &troubleshooting…",  # reachable without the tray
        ]
        assert launcher.activate_action.isEnabled()
        assert not launcher.activate_action.isCheckable()  # no tick a cancelled wizard leaves
        assert not launcher.status_action.isEnabled()
        assert "not activated" in launcher.light_text.text()

        # Another workstation activates the practice.
        other = Engine(gui_config)
        terms = await other.terms()
        await other.activate(accepted_terms=terms.version, accepted_by="Someone else")
        await other.aclose()

        await controller.refresh()
        assert launcher.activated
        assert launcher.activate_action.text() == ACTIVATED_TEXT
        assert not launcher.activate_action.isCheckable()  # activated is said in words
        assert not launcher.activate_action.isEnabled()
        assert launcher.status_action.isEnabled()
        assert controller.engine is not None
        await until(lambda: controller.engine is not None and controller.engine.running)
        controller.progress_window.hide()
        launcher.status_action.trigger()
        assert controller.progress_window.isVisible()
        await controller.shutdown()

    run_gui(scenario)


def test_without_a_setup_the_launcher_says_how(run_gui: Runner[None]) -> None:
    async def scenario() -> None:
        controller = make_controller(None)
        await controller.start()
        assert "has not been set up" in controller.launcher.light_text.text()
        controller.launcher.activate_action.trigger()
        assert controller.wizard is None  # nothing to activate against yet: a message instead
        await controller.shutdown()

    run_gui(scenario)
