"""The GUI's entry: QApplication, the qasync event loop, and the controller until Quit.

PySide6 is imported before qasync so qasync binds to it. Python 3.11 has no
``asyncio.run(loop_factory=…)``; ``asyncio.Runner`` takes the qasync loop instead.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Final

# isort: off
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import qasync  # after PySide6, so qasync binds to it

# isort: on

from engine import APP_NAME, AppPaths, EngineConfig, UserFacingError
from gui import accessibility
from gui.controller import AppController
from gui.exception_hook import ExceptionHook
from gui.icons import IconName, icon
from gui.single_instance import InstanceMessage, SingleInstance, instance_key
from gui.style import apply_style

log = logging.getLogger(__name__)

DISPLAY_NAME: Final = "Contacts Migration"
#: Lets Python run its Ctrl+C handler while Qt waits for events.
SIGNAL_WAKE_MS: Final = 250


@dataclass(frozen=True)
class GuiOptions:
    #: None when this computer is not set up and no flags said how.
    config: EngineConfig | None
    setup_problem: UserFacingError | None
    accepted_by: str
    #: Straight to the wizard (``gui --activate``).
    activate: bool = False
    #: Started at sign-in: only the tray, no window (``gui --autostart``).
    autostart: bool = False
    #: (source, online address) for the set-up, which then signs in in the browser at
    #: once (``gui --activate --source S --online URL``, the demo on a display).
    setup_prefill: tuple[str, str] | None = None


def application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(DISPLAY_NAME)
    app.setWindowIcon(icon(IconName.APP))
    app.setQuitOnLastWindowClosed(False)  # the tray stays when windows close
    accessibility.install()
    apply_style(app)
    return app


def run_gui(options: GuiOptions, paths: AppPaths) -> int:
    app = application()
    instance = SingleInstance(instance_key(paths))
    message = InstanceMessage.ACTIVATE if options.activate else InstanceMessage.SHOW
    if not instance.claim(message):
        print("Contacts Migration is already running; its window was brought to the front.")
        return 0
    hook = ExceptionHook(paths)
    hook.install()
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(_main(options, paths, instance, hook))


async def _main(
    options: GuiOptions, paths: AppPaths, instance: SingleInstance, hook: ExceptionHook
) -> int:
    asyncio.get_running_loop().set_exception_handler(hook.on_loop_exception)
    controller = AppController(
        options.config,
        paths=paths,
        accepted_by=options.accepted_by,
        setup_problem=options.setup_problem,
    )
    controller.setup_prefill = options.setup_prefill

    def on_message(text: str) -> None:
        if text == InstanceMessage.ACTIVATE and not controller.activated:
            controller.open_wizard()
        else:
            controller.bring_to_front()

    instance.message_received.connect(on_message)
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: controller.quit_now())
    waker = QTimer()
    waker.timeout.connect(lambda: None)
    waker.start(SIGNAL_WAKE_MS)
    try:
        await controller.start(open_wizard=options.activate, show_launcher=not options.autostart)
        await controller.wait_for_quit()
    finally:
        waker.stop()
        signal.signal(signal.SIGINT, previous)
        await controller.shutdown()
    log.info("the GUI stopped")
    return 0
