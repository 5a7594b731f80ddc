"""Opens every top-level window of the real program on the current X display, one at a
time as a person would, and writes where the window manager put each frame (JSON).

Run by tests/gui/test_window_fit.py under Xvfb + openbox:
``python -m tests.gui.window_probe OUT.json DATABASE [SCREENSHOT_DIR]``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

# isort: off
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QWidget
import qasync  # after PySide6, so qasync binds to it

# isort: on

from engine.local.config import EngineConfig
from engine.local.paths import app_paths
from engine.online.client import Credentials
from engine.status.model import Reason, red_status
from gui.app import application
from gui.controller import AppController

#: How long the window manager may take to frame and place a window on a busy machine.
SETTLE_TIMEOUT: Final = 20.0
POLL_SECONDS: Final = 0.05
#: Polls in a row with the same frame before it counts as placed.
STEADY_POLLS: Final = 6
UNREACHABLE_URL: Final = "https://127.0.0.1:9"


LONG_PROBLEM: Final = (
    "The database server 'MYOBSERVER' is not answering on port 1433.\nWhat to do: Check "
    "that the database server is running and that its firewall lets this computer in on "
    "that port; your IT contact can check both, and the desktop program's database "
    "settings show the server's name and instance."
)


def squashed(window: QWidget) -> list[str]:
    """Fields shorter than they need, and words cut off: what a person could not read."""
    found = []
    for field in window.findChildren(QWidget):
        if not field.isVisible():
            continue
        if isinstance(field, (QLineEdit, QComboBox, QAbstractButton)):
            if field.height() < field.minimumSizeHint().height():
                found.append(
                    f"{type(field).__name__} {field.accessibleName() or field.objectName()}"
                )
        elif isinstance(field, QLabel) and field.wordWrap() and field.text():
            cut = field.height() < field.heightForWidth(field.width())
            found += [f"label cut: {field.text()[:40]!r}"] if cut else []
    return found


def rect(area: QRect) -> list[int]:
    return [area.x(), area.y(), area.width(), area.height()]


def inside(frame: QRect, area: QRect) -> bool:
    return area.contains(frame)


async def settled(window: QWidget) -> QRect:
    """The frame once the window manager has framed it and it stopped moving, inside the
    screen; the last frame seen when the deadline passes (the test then says where)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    last, steady = QRect(), 0
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        frame = window.frameGeometry()
        framed = window.isVisible() and frame != window.geometry()
        steady = steady + 1 if framed and frame == last else 0
        last = frame
        screen = window.screen()
        if steady >= STEADY_POLLS and screen and inside(frame, screen.availableGeometry()):
            return frame
    return last


def screenshot(folder: Path | None, name: str) -> None:
    if folder is not None:
        subprocess.run(
            ["import", "-window", "root", str(folder / f"{name}.png")], check=False, timeout=60
        )


async def probe(out: Path, database: Path, shots: Path | None) -> None:
    config = EngineConfig(
        source=f"sqlite:{database}",
        online_url=UNREACHABLE_URL,
        credentials=Credentials("probe", "probe-secret"),
        state_file=app_paths().state_file,
    )
    controller = AppController(config, paths=app_paths(), accepted_by="probe")
    detail = "ConnectError: [Errno 111] Connect call failed ('127.0.0.1', 9) " * 3
    controller.bridge.publish(
        red_status(Reason.ONLINE_UNREACHABLE, detail=detail, updated_at=time.time())
    )
    controller.set_activated(True)

    def quit_box() -> QWidget:
        controller.request_quit()
        assert controller.quit_box is not None
        return controller.quit_box

    def wizard() -> QWidget:
        controller.set_activated(False)
        controller.open_wizard()
        assert controller.wizard is not None
        return controller.wizard

    def setup() -> QWidget:
        controller.open_setup()
        dialog = controller.setup_dialog
        assert dialog is not None
        # The worst case a person meets: a SQL login's fields and a long problem shown.
        dialog.database.sql_server.sign_in.setCurrentIndex(1)
        dialog.show_problem(LONG_PROBLEM)
        return dialog

    def shown(window: QWidget, show: Callable[[], None]) -> Callable[[], QWidget]:
        def opener() -> QWidget:
            show()
            return window

        return opener

    openers: dict[str, Callable[[], QWidget]] = {
        "launcher": shown(controller.launcher, controller.show_launcher),
        "status": shown(controller.progress_window, controller.show_progress),
        "troubleshooting": shown(controller.troubleshooting, controller.show_troubleshooting),
        "quit": quit_box,
        "wizard": wizard,
        "setup": setup,
    }
    results: dict[str, dict[str, list[Any]]] = {}
    for name, opener in openers.items():
        window = opener()
        frame = await settled(window)
        screen = window.screen()
        assert screen is not None
        results[name] = {"frame": rect(frame), "available": rect(screen.availableGeometry())}
        if name == "setup":
            results[name]["squashed"] = squashed(window)
        screenshot(shots, name)
        window.close()
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    await controller.shutdown()


def main(argv: list[str]) -> int:
    out, database = Path(argv[1]), Path(argv[2])
    shots = Path(argv[3]) if len(argv) > 3 else None
    app = application()
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(probe(out, database, shots))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
