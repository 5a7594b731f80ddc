"""Every word beside the light is true now: a real engine and the real sandbox process,
green -> outage (orange, retrying) -> red -> recovery -> green, and at each step every
visible text of the status window, the tray tooltip and troubleshooting is read and
checked against the light, including what "Sync now" / "Retry now" said a state before.

The engine's own settings make it quick (a 3 s grace before red, a 0.5 s liveness
round); the test only waits for states, with generous deadlines, never for a time.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QProgressBar, QWidget

from engine.status.model import Light, Phase, SyncState
from gui import controller as controller_module
from gui.controller import AppController
from tests.gui.conftest import Runner, config_for, until
from tests.gui.support import make_controller, set_live_activated
from tests.sandbox_harness import RunningSandbox, start_sandbox

#: Words that claim all is well: never under red or orange.
WELL: Final = ("in sync", "nothing to send", "running normally", "matches the desktop")
#: Words that claim something is wrong: never under green.
WRONG: Final = ("not working", "can't be reached", "inactive", "trying to reach", "retry")
#: Orange that is retrying must not say it is migrating.
MIGRATING: Final = ("migrating",)
TAGS: Final = re.compile(r"<[^>]+>")


def visible_texts(window: QWidget) -> list[str]:
    """What a person can read in ``window`` now: every shown label, button and bar."""
    texts = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(TAGS.sub(" ", widget.text()).replace("&", ""))
        elif isinstance(widget, QProgressBar):
            texts.append(widget.text())
    return [text for text in texts if text.strip()]


def contradictions(light: Light, state: SyncState, texts: Iterable[str]) -> list[str]:
    banned = WELL if light is not Light.GREEN else WRONG
    if state is SyncState.RETRYING:
        banned = banned + MIGRATING
    return [text for text in texts for word in banned if word in text.lower()]


def check(controller: AppController, expected: Light) -> SyncState:
    """Read everything shown now (no await in between: one moment) against the light."""
    status = controller.bridge.status
    assert status is not None and status.light is expected, status
    assert controller.tray.icon_name.value == f"light-{expected.value}"
    texts = {
        "status window": visible_texts(controller.progress_window),
        "tooltip": controller.tray.tooltip().splitlines(),
        "troubleshooting": visible_texts(controller.troubleshooting),
    }
    for where, shown in texts.items():
        wrong = contradictions(expected, status.state, shown)
        assert not wrong, f"{where} under {expected.value} says {wrong} (all: {shown})"
    return status.state


def test_every_visible_word_follows_the_light_through_an_outage(
    run_gui: Runner[None], practice_db: Path, tmp_path: Path
) -> None:
    online = start_sandbox(tmp_path / "online")
    set_live_activated(practice_db)
    config = config_for(
        practice_db, online, fault_grace=3.0, liveness_interval=0.5, liveness_timeout=0.4
    )
    restarted: list[RunningSandbox] = []

    async def scenario() -> None:
        controller = make_controller(config, tray_available=lambda: True)
        await controller.start(show_launcher=False)
        await controller.activate(None)
        engine = controller.require_engine()
        window, dialog = controller.progress_window, controller.troubleshooting
        controller.show_progress()
        controller.show_troubleshooting()

        def light_is(light: Light) -> bool:
            status = controller.bridge.status
            return status is not None and status.light is light

        def settled_green() -> bool:
            status = engine.status()
            return status.phase is Phase.IDLE and not status.retrying and light_is(Light.GREEN)

        await until(settled_green, what="the first migration to finish")
        check(controller, Light.GREEN)
        window.sync_button.click()
        await until(lambda: window.feedback.text().startswith("Checked"), what="Sync now")
        assert dialog.feedback.text().startswith("Checked")  # said where it was pressed too
        check(controller, Light.GREEN)

        port = int(online.url.rsplit(":", 1)[1])
        online.stop()
        await until(lambda: light_is(Light.ORANGE), what="orange while it retries")
        state = check(controller, Light.ORANGE)  # "Checked: nothing to send" is gone
        assert state is SyncState.RETRYING
        assert window.panel.headline.text().startswith("Trying to reach the online service")
        assert not window.feedback.isVisibleTo(window)

        await until(lambda: light_is(Light.RED), what="red once the grace ran out")
        check(controller, Light.RED)
        assert "not accepting connections" in window.panel.message.text()
        steps = dialog.steps.text()
        assert "restart" in dialog.meaning.text() and "15 minutes" in steps  # fits "refused"
        dialog.retry_button.click()  # Retry now, in troubleshooting: its answer shows there
        await until(
            lambda: (
                dialog.feedback.isVisibleTo(dialog)
                and dialog.feedback.text().startswith("Still not working")
            ),
            what="Retry now's answer in the troubleshooting dialog",
        )
        check(controller, Light.RED)

        restarted.append(start_sandbox(tmp_path / "online", data_dir=online.data_dir, port=port))
        await until(settled_green, what="the recovery")
        check(controller, Light.GREEN)  # "Still not working" is gone with the red
        assert not dialog.feedback.isVisibleTo(dialog)
        window.sync_button.click()
        await until(lambda: window.feedback.text().startswith("Checked"), what="Sync now again")
        check(controller, Light.GREEN)
        await controller.shutdown()

    try:
        run_gui(scenario)
    finally:
        for running in (online, *restarted):
            if running.process.poll() is None:
                running.stop()


def test_retry_while_the_service_hangs_answers_from_a_liveness_round(
    run_gui: Runner[None],
    practice_db: Path,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service process frozen (SIGSTOP: connections open, nothing answers). Retry now
    answers from one round trip bounded by the liveness timeout, before the agent's own
    request (30 s read timeout) has even failed, and in the window where it was pressed."""
    # No fallback deadline to answer from: only the liveness round can answer in time.
    monkeypatch.setattr(controller_module, "SYNC_REPORT_SECONDS", 3600.0)
    set_live_activated(practice_db)
    config = config_for(
        practice_db, sandbox, fault_grace=600.0, liveness_interval=0.5, liveness_timeout=0.4
    )

    async def scenario() -> None:
        controller = make_controller(config, tray_available=lambda: True)
        await controller.start(show_launcher=False)
        await controller.activate(None)
        engine = controller.require_engine()
        window = controller.progress_window
        controller.show_progress()
        await until(
            lambda: engine.status().phase is Phase.IDLE and not engine.status().retrying,
            what="the first migration to finish",
        )
        sandbox.process.send_signal(signal.SIGSTOP)
        try:
            retries = engine.counters().retries
            window.sync_button.click()
            await until(
                lambda: window.feedback.text().startswith("Still not working"),
                what="Retry now's answer",
            )
            assert "not answering" in window.feedback.text()
            # The agent's own hung request has not failed yet: the answer came from the
            # liveness round trip, bounded by its timeout.
            assert engine.counters().retries == retries
            check(controller, Light.ORANGE)
        finally:
            sandbox.process.send_signal(signal.SIGCONT)
        await controller.shutdown()

    run_gui(scenario)
