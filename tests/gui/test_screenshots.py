"""Renders every wizard page, the launcher, the progress window, troubleshooting, the tray
menu and the tray icons to PNG, so the pictures in docs/screenshots stay current.

``UPDATE_SCREENSHOTS=1`` writes them to docs/screenshots; otherwise to a temporary folder
(the test still renders each one and checks it is a real picture).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Final

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QWidget

from engine.api import Activation, Engine
from engine.local.config import EngineConfig
from engine.online.client import Credentials
from engine.online.unreachable import UNREACHABLE_TEXT, Unreachable
from engine.status.model import (
    EngineState,
    Fault,
    Light,
    Phase,
    Progress,
    Reason,
    SetAside,
    Status,
    SyncState,
    derive_status,
)
from engine.sync.retry import RetryNotice
from gui.bridge import StatusBridge
from gui.icons import IconName, icon
from gui.lights import LIGHT_LOOK
from gui.wizard import ActivationWizard
from gui.wizard_pages import ActivationServices, PageId
from tests.engine.sync.test_one_shot_retry import closed_port
from tests.gui.conftest import Runner, until
from tests.gui.support import Button, make_controller, press, run_sql

REPO: Final = Path(__file__).resolve().parents[2]
SCREENSHOTS: Final = REPO / "docs" / "screenshots"
MIN_BYTES: Final = 2000
ICON_SIZES: Final = (16, 24, 32, 48)


def output_folder(tmp_path: Path) -> Path:
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


#: Time for Qt to lay out what just changed before the picture is taken.
SETTLE_SECONDS: Final = 0.1


async def save(widget: QWidget, path: Path) -> None:
    await asyncio.sleep(SETTLE_SECONDS)
    widget.grab().save(str(path))
    image = QImage(str(path))
    assert not image.isNull() and path.stat().st_size > MIN_BYTES, path


def migrating(done: int, total: int) -> Status:
    return Status(
        SyncState.MIGRATING,
        Light.ORANGE,
        "Migrating contacts online.",
        progress=Progress(done, total, 1850.0, (total - done) / 1850.0),
        online_count=done,
        set_aside=(
            SetAside(1187, "the email address 'accounts@@example' is not valid"),
            SetAside(3320, "the date of birth 31/02/1978 does not exist"),
        ),
        last_sync_at=None,  # the first migration: nothing confirmed yet
        machine="SERVER1",
    )


def in_sync(count: int) -> Status:
    return Status(
        SyncState.ACTIVE,
        Light.GREEN,
        "Contacts are in sync. Changes made on the desktop are sent online automatically.",
        online_count=count,
        last_sync_at=time.time(),
        machine="SERVER1",
    )


def derived(**facts: object) -> Status:
    """A Status as the engine derives it from its own state (its real words)."""
    state = EngineState(machine="SERVER1", **facts)  # type: ignore[arg-type]
    return derive_status(state, time.time())


def refused(since: float, next_try_at: float | None) -> Status:
    """The service refusing connections since ``since``: orange, then red after a minute."""
    summary, fix = UNREACHABLE_TEXT[Unreachable.REFUSED]
    fault = Fault(
        Reason.ONLINE_UNREACHABLE,
        "The online service at https://online.example.com.au can't be reached "
        "(ConnectError: connection refused).",
        since,
        message=summary,
        fix=fix,
        observed=Unreachable.REFUSED.value,
    )
    return derived(
        phase=Phase.IDLE,
        fault=fault,
        online_count=4000,
        last_sync_at=since - 3,
        next_try_at=next_try_at,
    )


def test_render_every_screen(
    run_gui: Runner[None], gui_config: EngineConfig, practice_db: Path, tmp_path: Path
) -> None:
    folder = output_folder(tmp_path)
    run_sql(practice_db, 'UPDATE "Employee" SET "IsActive" = 0')

    async def scenario() -> None:
        now = time.time()
        controller = make_controller(gui_config)
        await controller.start()
        await save(controller.launcher, folder / "launcher.png")
        engine = controller.engine
        assert engine is not None
        done: asyncio.Future[Activation] = asyncio.get_running_loop().create_future()
        done.set_result(None)  # type: ignore[arg-type]  # the pictures need no activation

        def pretend(_terms: str | None) -> asyncio.Task[Activation]:
            async def finished() -> Activation:
                return await done

            return asyncio.get_running_loop().create_task(finished())

        wizard = ActivationWizard(ActivationServices(engine, controller.bridge, pretend))
        wizard.show()
        await save(wizard, folder / "wizard-1-confirm.png")
        press(wizard, Button.NextButton)
        page = wizard.preflight_page
        await until(lambda: not page.checking and bool(page.rows))
        await save(wizard, folder / "wizard-2-preflight-failed.png")
        run_sql(practice_db, 'UPDATE "Employee" SET "IsActive" = 1')
        page.retry.click()
        await until(lambda: not page.checking and page.isComplete())
        await save(wizard, folder / "wizard-2-preflight-passed.png")
        press(wizard, Button.NextButton)
        terms = wizard.terms_page
        await until(lambda: "Terms of use" in terms.browser.toPlainText())
        terms.agree.setChecked(True)
        await save(wizard, folder / "wizard-3-terms.png")
        press(wizard, Button.CommitButton)
        migration = wizard.migration_page
        await until(lambda: migration.activated)
        controller.bridge.publish(migrating(1240, 4000))
        await save(wizard, folder / "wizard-4-migration.png")
        migration._started -= 4 * 60 + 32  # as if it had taken a few minutes
        controller.bridge.publish(in_sync(4000))
        await until(lambda: wizard.page_id is PageId.FINISH)
        await save(wizard, folder / "wizard-5-finish.png")
        wizard.close()

        controller.set_activated(True)
        controller.bridge.batch_sent.emit(4000, 0)
        controller.bridge.publish(migrating(2480, 4000))
        controller.show_progress()
        window = controller.progress_window
        await save(window, folder / "progress-window.png")
        controller.bridge.publish(derived(phase=Phase.IDLE, online_count=4000, last_sync_at=now))
        await save(window, folder / "status-window-green.png")
        controller.bridge.publish(
            derived(phase=Phase.CATCHING_UP, done=0, total=3, pass_started=now, online_count=4000)
        )
        await save(window, folder / "status-window-sending.png")
        controller.bridge.publish(refused(since=now - 12, next_try_at=time.time() + 4.4))
        await save(window, folder / "status-window-retrying.png")
        # The picture shows a usual settings path rather than the test's temporary one.
        usual = Path("/home/reception/.config/contacts-migration")
        controller.troubleshooting.paths = replace(controller.paths, config_dir=usual)
        controller.bridge.publish(refused(since=now - 95, next_try_at=None))
        window.panel.details_button.setChecked(True)
        await save(window, folder / "status-window-red.png")
        window.troubleshooting_button.click()
        controller.troubleshooting.for_it_button.setChecked(True)
        await save(controller.troubleshooting, folder / "troubleshooting.png")
        controller.troubleshooting.close()
        await save(controller.launcher, folder / "launcher-activated.png")
        menu = controller.tray.menu
        menu.adjustSize()
        await save(menu, folder / "tray-menu.png")
        await controller.shutdown()

    run_gui(scenario)
    icons_sheet(folder / "tray-icons.png")


def test_render_the_checks_riding_out_a_refusing_service(
    run_gui: Runner[None], practice_db: Path, tmp_path: Path
) -> None:
    """The pre-flight page while the online service refuses: the line said at each retry."""
    folder = output_folder(tmp_path)
    config = EngineConfig(
        source=f"sqlite:{practice_db}",
        online_url=f"http://127.0.0.1:{closed_port()}",
        credentials=Credentials("client", "secret"),
        max_backoff=2.0,
    )

    async def scenario() -> None:
        engine = Engine(config)

        def never(_terms: str | None) -> asyncio.Task[Activation]:
            raise AssertionError("the picture is taken before the activation")

        wizard = ActivationWizard(ActivationServices(engine, StatusBridge(), never))
        wizard.show()
        page = wizard.preflight_page
        said: list[RetryNotice] = []
        page.task.retried.connect(said.append)
        press(wizard, Button.NextButton)
        await until(lambda: len(said) >= 3, what="three retries")
        assert "Trying again" in page.task.waiting.text()
        await save(wizard, folder / "wizard-2-preflight-retrying.png")
        wizard.reject()
        await engine.aclose()

    run_gui(scenario)


#: What each light says beside it (orange names what it is doing; three examples).
SHEET_WORDS: Final = {
    Light.GREEN: "Sync is active and running normally",
    Light.ORANGE: (
        "Migrating: 1,240 of 4,000 · Sending 3 changes ·\nTrying to reach the online service"
    ),
    Light.RED: "Sync is inactive",
}


def icons_sheet(path: Path) -> None:
    """The three lights at tray sizes on a light and a dark taskbar, with their words."""
    row_height, label_width, gap = 60, 330, 12
    width = label_width + sum(ICON_SIZES) + gap * (len(ICON_SIZES) + 1)
    sheet = QPixmap(QSize(width * 2, row_height * len(Light)))
    sheet.fill(QColor("#ffffff"))
    painter = QPainter(sheet)
    painter.setFont(QFont("DejaVu Sans", 10))
    for column, (background, ink) in enumerate((("#f3f3f3", "#1f2a30"), ("#202428", "#f0f0f0"))):
        left = column * width
        painter.fillRect(left, 0, width, sheet.height(), QColor(background))
        for row, light in enumerate(Light):
            top = row * row_height
            x = left + gap
            for size in ICON_SIZES:
                painter.drawPixmap(
                    x,
                    top + (row_height - size) // 2,
                    icon(LIGHT_LOOK[light].icon).pixmap(size, size),
                )
                x += size + gap
            painter.setPen(QColor(ink))
            painter.drawText(
                x,
                top,
                label_width,
                row_height,
                Qt.AlignmentFlag.AlignVCenter,
                SHEET_WORDS[light],
            )
    painter.end()
    assert sheet.save(str(path))
    assert icon(IconName.APP).pixmap(48, 48).isNull() is False
