"""The tray's light, tooltip and menu follow the engine's Status for each state."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtWidgets import QApplication

from engine.status.model import EngineState, Fault, Light, Phase, Reason, Status, derive_status
from gui.bridge import StatusBridge
from gui.icons import IconName
from gui.tray import Tray


@dataclass
class Commands:
    calls: list[str] = field(default_factory=list)

    def show_progress(self) -> None:
        self.calls.append("show_progress")

    def sync_now(self) -> None:
        self.calls.append("sync_now")

    def show_troubleshooting(self) -> None:
        self.calls.append("show_troubleshooting")

    def open_online_page(self) -> None:
        self.calls.append("open_online_page")

    def request_quit(self) -> None:
        self.calls.append("quit")


def derived(**facts: object) -> Status:
    """A Status as the engine derives it from its own state."""
    state = EngineState(machine="SERVER1", **facts)  # type: ignore[arg-type]
    return derive_status(state, time.time())


def test_light_tooltip_and_menu_follow_each_state(qapp: QApplication) -> None:
    bridge = StatusBridge()
    commands = Commands()
    tray = Tray(bridge, commands, available=lambda: True)
    now = time.time()

    bridge.publish(derived(phase=Phase.MIGRATING, done=120, total=300, pass_started=now - 2))
    assert tray.icon_name is IconName.ORANGE
    assert tray.status_action.text() == "Migrating: 120 of 300"
    assert "Migrating contacts online." in tray.tooltip()
    assert "last confirmed up to date: not yet (120 of 300 migrated)" in (tray.tooltip())
    assert tray.sync_action.text() == "&Sync now"

    bridge.publish(derived(phase=Phase.IDLE, online_count=300, last_sync_at=now - 125))
    assert tray.icon_name is IconName.GREEN
    tooltip = tray.tooltip()
    assert tooltip.startswith("Contacts Migration: Sync is active and running normally")
    assert "Online copy last confirmed up to date: 2 min ago" in tooltip

    fault = Fault(Reason.ONLINE_UNREACHABLE, "(ConnectError)", since=now - 120)
    bridge.publish(derived(phase=Phase.IDLE, fault=fault, last_sync_at=now - 130))
    assert tray.icon_name is IconName.RED
    tooltip = tray.tooltip()
    assert "Sync is inactive" in tooltip
    assert "The online service can't be reached." in tooltip
    assert "ConnectError" not in tooltip  # the technical detail sits behind "Details"
    assert "What to do: Check this computer can open web sites" in tooltip
    assert tray.sync_action.text() == "&Retry now"

    texts = [action.text() for action in tray.menu.actions() if not action.isSeparator()]
    assert texts[1:] == [
        "Show &progress…",
        "&Retry now",
        "&Troubleshooting…",
        "Open the &online contacts page",
        "&Quit",
    ]
    # The status line reads as normal text (greyed, it failed contrast) and opens the
    # status window.
    assert tray.status_action.isEnabled()
    tray.sync_action.trigger()
    tray.show_action.trigger()
    tray.troubleshooting_action.trigger()
    tray.quit_action.trigger()
    assert commands.calls == ["sync_now", "show_progress", "show_troubleshooting", "quit"]


def test_a_retried_fault_stays_orange_until_the_grace_runs_out(qapp: QApplication) -> None:
    bridge = StatusBridge()
    tray = Tray(bridge, Commands(), available=lambda: True)
    fault = Fault(Reason.ONLINE_UNREACHABLE, "", since=time.time())
    bridge.publish(derived(phase=Phase.CATCHING_UP, fault=fault))
    assert tray.icon_name is IconName.ORANGE
    assert tray.tooltip().startswith("Contacts Migration: Trying to reach the online service")
    assert "The online service can't be reached." in tray.tooltip()
    assert "migrating" not in tray.tooltip().lower()  # retrying is not migrating
    immediate = Fault(Reason.LOGIN_NOT_ACTIVE_EMPLOYEE, "", since=time.time(), immediate=True)
    bridge.publish(derived(phase=Phase.IDLE, fault=immediate))
    assert tray.icon_name is IconName.RED


def test_without_a_tray_the_status_window_shows_until_a_tray_appears(
    qapp: QApplication,
) -> None:
    available = [False]
    commands = Commands()
    tray = Tray(StatusBridge(), commands, available=lambda: available[0])
    assert tray.start() is False  # the controller keeps the status window open instead
    assert not tray.shown
    available[0] = True
    tray._look_for_tray()  # what the retry timer does every few seconds
    assert tray.shown
    tray.stop()


def test_every_light_has_its_own_icon() -> None:
    from gui.lights import LIGHT_LOOK

    assert set(LIGHT_LOOK) == set(Light)
    assert len({look.icon for look in LIGHT_LOOK.values()}) == len(Light)
