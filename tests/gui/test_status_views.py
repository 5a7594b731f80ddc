"""What the status window, the activity list and the words say, as a person reads them."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from engine.local.config import EngineConfig
from engine.status.model import EngineState, Fault, Phase, Reason, Status, derive_status
from gui import formatting
from gui.bridge import StatusBridge
from gui.history import History
from gui.lights import headline
from gui.progress_window import ProgressWindow
from gui.status_panel import StatusPanel
from tests.gui.conftest import Runner, config_for, until
from tests.gui.support import make_controller, set_live_activated
from tests.sandbox_harness import RunningSandbox

NOW = 1_700_000_000.0


def derived(**facts: object) -> Status:
    state = EngineState(machine="SERVER1", **facts)  # type: ignore[arg-type]
    return derive_status(state, time.time())


def green(online: int = 2000) -> Status:
    return derived(phase=Phase.IDLE, online_count=online, last_sync_at=time.time())


def test_durations_and_times_read_sensibly() -> None:
    assert formatting.duration(0.04) == "under a second"
    assert formatting.duration(0.4) == "0.4 s"
    assert formatting.duration(3.25) == "3.2 s"
    assert formatting.duration(42) == "42 s"
    assert formatting.duration(125) == "2 min 05 s"
    assert formatting.ago(None, NOW) == "never"
    assert formatting.ago(NOW - 0.2, NOW) == "just now"
    assert formatting.ago(NOW - 5, NOW) == "5 s ago"
    assert formatting.ago(NOW - 180, NOW) == "3 min ago"
    assert formatting.ago(NOW - 7300, NOW) == "2 h ago"


def test_a_few_edits_are_sending_not_migrating(qapp: QApplication) -> None:
    started = time.time()
    one = derived(phase=Phase.CATCHING_UP, done=0, total=1, pass_started=started)
    assert headline(one) == "Sending 1 change"
    assert headline(derived(phase=Phase.CATCHING_UP, total=12, pass_started=started)) == (
        "Sending 12 changes"
    )
    big = derived(phase=Phase.CATCHING_UP, done=10, total=50_000, pass_started=started)
    assert headline(big) == "Sending 50,000 changes"
    first = derived(phase=Phase.MIGRATING, done=1, total=3, pass_started=started)
    assert headline(first) == "Migrating: 1 of 3"
    panel = StatusPanel()
    panel.show()
    panel.show_status(one)
    assert panel.headline.text() == "Sending 1 change"
    assert panel.bar.isHidden()  # no "0 / 1" bar as if the migration restarted
    panel.show_status(first)
    assert not panel.bar.isHidden()
    assert panel.bar.format() == "1 of 3 contacts online"  # a labelled count, never "1 / 3"
    panel.show_status(big)
    assert not panel.bar.isHidden() and panel.bar.format() == "10 of 50,000 changes sent"


def test_red_says_one_sentence_with_the_detail_behind_details(qapp: QApplication) -> None:
    fault = Fault(Reason.ONLINE_UNREACHABLE, "http://127.0.0.1:1 (ConnectError)", time.time() - 99)
    panel = StatusPanel()
    panel.show()
    panel.show_status(derived(phase=Phase.IDLE, fault=fault, last_sync_at=time.time() - 61))
    assert panel.message.text() == "The online service can't be reached."
    assert "ConnectError" not in panel.message.text()
    assert panel.details_button.isVisible() and not panel.details.isVisible()
    panel.details_button.click()
    assert panel.details.isVisible() and "ConnectError" in panel.details.text()
    assert "Online copy last confirmed up to date: 1 min ago" in panel.online.text()


def test_one_line_per_edit_and_one_per_migration(qapp: QApplication) -> None:
    bridge = StatusBridge()
    history = History(bridge)
    started = time.time()
    bridge.publish(derived(phase=Phase.STARTING))
    for done in (0, 800, 1600):
        bridge.publish(derived(phase=Phase.MIGRATING, done=done, total=2000, pass_started=started))
        bridge.batch_sent.emit(800 if done < 1600 else 400, 0)
    bridge.publish(green())
    lines = [entry.text for entry in history.entries]
    assert len(lines) == 3, lines  # migrating; 2,000 sent; in sync
    assert "2,000 contacts sent" in lines[1]
    for _edit in range(20):
        bridge.publish(derived(phase=Phase.CATCHING_UP, total=1, pass_started=started))
        bridge.batch_sent.emit(1, 0)
        bridge.publish(green())
    lines = [entry.text for entry in history.entries]
    assert len(lines) == 3 + 20, lines
    assert lines[0] == "Online copy updated: 1 contact sent"


def test_escape_closes_the_status_window(run_gui: Runner[None], gui_config: EngineConfig) -> None:
    async def scenario() -> None:
        controller = make_controller(gui_config)
        controller.show_progress()
        window: ProgressWindow = controller.progress_window
        await until(window.isVisible, what="the status window")
        QApplication.sendEvent(
            window, QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier(0))
        )
        assert not window.isVisible()
        await controller.shutdown()

    run_gui(scenario)


def test_nothing_online_is_not_offered_and_quit_says_what_stops(
    run_gui: Runner[None], gui_config: EngineConfig
) -> None:
    async def scenario() -> None:
        controller = make_controller(gui_config)
        await controller.start(show_launcher=False)
        assert not controller.activated
        assert not controller.tray.online_action.isEnabled()
        assert not controller.progress_window.online_button.isEnabled()
        controller.set_activated(True)
        assert controller.tray.online_action.isEnabled()
        controller.request_quit()
        box = controller.quit_box
        assert box is not None and box.isVisible()
        assert "stop syncing from this computer" in box.text()
        box.reject()  # Keep running
        await until(lambda: not box.isVisible(), what="the question to close")
        assert not controller._quit.is_set()
        await controller.shutdown()

    run_gui(scenario)


def test_sync_now_says_what_it_found(
    run_gui: Runner[None], practice_db: Path, sandbox: RunningSandbox
) -> None:
    set_live_activated(practice_db)
    config = config_for(practice_db, sandbox, fault_grace=0.5)

    async def scenario() -> None:
        controller = make_controller(config)
        await controller.start(show_launcher=False)
        await controller.activate(None)
        engine = controller.require_engine()
        await until(
            lambda: engine.status().phase is Phase.IDLE and not engine.status().retrying,
            what="the first migration to finish",
        )
        window = controller.progress_window
        controller.show_progress()
        window.sync_button.click()
        await until(lambda: window.feedback.text().startswith("Checked"), what="the check")
        assert window.feedback.text() == (
            "Checked: nothing to send; the online copy matches the desktop."
        )
        sandbox.stop()
        window.sync_button.click()
        await until(lambda: window.feedback.text().startswith("Still"), what="the retry")
        assert window.feedback.text().startswith(
            "Still not working: The online service is not accepting connections."
        )  # the words that fit what was seen
        assert "It keeps trying by itself." in window.feedback.text()
        await controller.shutdown()

    run_gui(scenario)
