"""Balloons only for what a person should know: never one per desktop edit.

The rules on their own with a hand-moved clock, then the real thing: the real engine and
sandbox, 100 desktop edits with no balloon, and a service outage (red) and its recovery
(green) each with one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from engine.status.model import EngineState, Fault, Phase, Reason, Status, derive_status
from gui.icons import IconName
from gui.notifications import MIN_INTERVAL_SECONDS, Notice, NoticeKind, Notifier
from tests.gui.conftest import Runner, config_for, until
from tests.gui.support import make_controller, run_sql, set_live_activated
from tests.sandbox_harness import RunningSandbox, start_sandbox

EDITS = 100


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def derived(**facts: object) -> Status:
    state = EngineState(machine="SERVER1", **facts)  # type: ignore[arg-type]
    return derive_status(state, time.time())


def green() -> Status:
    return derived(phase=Phase.IDLE, online_count=300, last_sync_at=time.time())


def sending(done: int, total: int) -> Status:
    return derived(phase=Phase.CATCHING_UP, done=done, total=total, pass_started=time.time())


def red() -> Status:
    fault = Fault(Reason.ONLINE_UNREACHABLE, "ConnectError", since=time.time() - 120)
    return derived(phase=Phase.IDLE, fault=fault)


def kinds(notices: list[Notice | None]) -> list[NoticeKind]:
    return [notice.kind for notice in notices if notice is not None]


def test_edits_are_quiet_and_transitions_speak_once_a_minute_at_most() -> None:
    clock = Clock()
    notifier = Notifier(clock)
    seen: list[Notice | None] = [notifier.consider(green())]
    for _ in range(EDITS):  # each edit: orange "sending 1 change", then green again
        seen += [notifier.consider(sending(0, 1)), notifier.consider(green())]
    assert kinds(seen) == []

    seen = [notifier.consider(red())]
    assert kinds(seen) == [NoticeKind.TURNED_RED]
    assert "can't be reached" in seen[0].text if seen[0] else False
    clock.now += MIN_INTERVAL_SECONDS - 1
    assert notifier.consider(green()) is None  # within the minute: not a second balloon
    assert notifier.consider(red()) is None
    clock.now += 1
    assert kinds([notifier.consider(green())]) == [NoticeKind.RECOVERED]


def test_a_balloon_within_the_minute_waits_and_the_last_one_matches_the_light() -> None:
    clock = Clock()
    notifier = Notifier(clock)
    notifier.consider(green())
    assert kinds([notifier.consider(red())]) == [NoticeKind.TURNED_RED]
    clock.now += 34  # recovered 34 s later (seen: 02:21:52 red, 02:22:26 green)
    assert notifier.consider(green()) is None  # held back, not dropped
    assert notifier.pending is not None and notifier.pending.kind is NoticeKind.RECOVERED
    assert notifier.due() is None  # the minute is not over
    clock.now += MIN_INTERVAL_SECONDS - 34
    shown = notifier.due()
    assert shown is not None and shown.kind is NoticeKind.RECOVERED
    assert notifier.due() is None  # shown once

    # Red again within the minute, then recovered before it could be shown: the
    # recovery replaces the waiting red one, so the person never sees a stale red last.
    clock.now += 5
    assert notifier.consider(red()) is None
    assert notifier.pending is not None and notifier.pending.kind is NoticeKind.TURNED_RED
    clock.now += 5
    assert notifier.consider(green()) is None
    assert notifier.pending is not None and notifier.pending.kind is NoticeKind.RECOVERED
    clock.now += MIN_INTERVAL_SECONDS
    last = notifier.due()
    assert last is not None and last.kind is NoticeKind.RECOVERED

    # A waiting red balloon that stops being true (orange while it retries) is dropped.
    notifier.consider(red())
    clock.now += 1
    notifier.consider(sending(0, 1))
    clock.now += MIN_INTERVAL_SECONDS
    assert notifier.due() is None


def test_the_first_migration_finishing_is_told_once() -> None:
    notifier = Notifier(Clock())
    started = time.time()
    notifier.consider(derived(phase=Phase.STARTING))
    migrating = derived(phase=Phase.MIGRATING, done=150, total=300, pass_started=started)
    assert notifier.consider(migrating) is None
    notice = notifier.consider(green())
    assert notice is not None and notice.kind is NoticeKind.MIGRATED
    assert notice.text == "300 contacts are online."


def test_a_normal_start_and_quit_are_not_news() -> None:
    notifier = Notifier(Clock())
    stopped = derived(phase=Phase.STOPPED)
    assert notifier.consider(stopped) is None
    assert notifier.consider(derived(phase=Phase.STARTING)) is None
    assert notifier.consider(green()) is None  # red "not running" -> green: a start
    assert notifier.consider(stopped) is None  # quitting


def test_real_edits_make_no_balloon_and_an_outage_and_recovery_one_each(
    run_gui: Runner[None], practice_db: Path, tmp_path: Path
) -> None:
    online = start_sandbox(tmp_path / "online")
    set_live_activated(practice_db)
    config = config_for(practice_db, online, fault_grace=0.5)
    clock = Clock()
    restarted: list[RunningSandbox] = []

    async def scenario() -> None:
        controller = make_controller(config, tray_available=lambda: True)
        controller.tray.notifier = Notifier(clock)
        notices = controller.tray.notices
        await controller.start(show_launcher=False)
        await controller.activate(None)
        engine = controller.require_engine()

        def in_sync() -> bool:
            status = engine.status()
            return status.phase is Phase.IDLE and not status.retrying

        await until(in_sync, what="the first migration to finish")
        first = [notice.kind for notice in notices]
        assert first in ([], [NoticeKind.MIGRATED]), first
        clock.now += MIN_INTERVAL_SECONDS  # the migration's balloon is a minute old
        notices.clear()

        for edit in range(EDITS):
            sent = engine.counters().contacts_sent
            run_sql(
                practice_db,
                'UPDATE "Contact" SET "Notes" = ? WHERE "ContactID" = ?',
                f"edit {edit}",
                1 + edit % 50,
            )
            await until(lambda s=sent: engine.counters().contacts_sent > s, what=f"edit {edit}")
            await until(in_sync, what=f"edit {edit} to settle")
        clock.now += MIN_INTERVAL_SECONDS  # even with the minute long past: no balloon
        assert notices == []

        port = int(online.url.rsplit(":", 1)[1])
        online.stop()
        # An edit to send while the service is down (an idle agent may not notice before).
        run_sql(practice_db, 'UPDATE "Contact" SET "Notes" = ? WHERE "ContactID" = 1', "down")
        await until(lambda: controller.tray.icon_name is IconName.RED, what="the light to turn red")
        assert [notice.kind for notice in notices] == [NoticeKind.TURNED_RED]
        clock.now += MIN_INTERVAL_SECONDS
        restarted.append(start_sandbox(tmp_path / "online", data_dir=online.data_dir, port=port))
        engine.request_reconcile()
        await until(lambda: controller.tray.icon_name is IconName.GREEN, what="the recovery")
        assert [notice.kind for notice in notices] == [
            NoticeKind.TURNED_RED,
            NoticeKind.RECOVERED,
        ]
        await controller.shutdown()

    try:
        run_gui(scenario)
    finally:
        for running in (online, *restarted):
            if running.process.poll() is None:
                running.stop()


def test_the_tray_shows_the_held_back_balloon_once_the_minute_is_over(qapp: object) -> None:
    """Red, then recovered 34 s later: the tray's every-second tick shows the recovery once
    the minute is over, so the last balloon the person saw matches the green light."""
    from gui.bridge import StatusBridge
    from gui.tray import Tray
    from tests.gui.test_tray import Commands

    clock = Clock()
    bridge = StatusBridge()
    tray = Tray(bridge, Commands(), available=lambda: True, notifier=Notifier(clock))
    bridge.publish(green())
    bridge.publish(red())
    clock.now += 34
    bridge.publish(green())
    assert kinds(list(tray.notices)) == [NoticeKind.TURNED_RED]
    tray._tick()  # what its timer does every second
    assert kinds(list(tray.notices)) == [NoticeKind.TURNED_RED]
    clock.now += MIN_INTERVAL_SECONDS
    tray._tick()
    assert kinds(list(tray.notices)) == [NoticeKind.TURNED_RED, NoticeKind.RECOVERED]
    tray.stop()
