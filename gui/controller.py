"""The application's wiring: one engine, one status bridge, and the windows around them.

The GUI process hosts the sync agent once the practice is activated, unless an agent
already runs on this computer in another process (a service, another login): then it
shows that agent's state file and takes over only if that agent stops.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon, QWidget

from engine.api import Activation, Engine
from engine.config import EngineConfig
from engine.errors import UserFacingError
from engine.paths import AppPaths
from engine.setup_store import save_setup
from engine.state_file import current_status
from engine.status import REASON_TEXT, Light, Reason, Status, SyncState
from gui.bridge import StateFileWatcher, StatusBridge
from gui.history import History
from gui.launcher import LauncherWindow
from gui.progress_window import ProgressWindow
from gui.tasks import spawn
from gui.text import tr
from gui.tray import Tray, TrayAvailability
from gui.troubleshooting import TroubleshootingDialog
from gui.wizard import ActivationWizard
from gui.wizard_pages import ActivationServices

log = logging.getLogger(__name__)

#: How long quitting waits for an activation that is under way (it is a commit).
ACTIVATION_QUIT_WAIT_SECONDS: Final = 30.0
ONLINE_PAGE_PATH: Final = "/"

SaveSetup = Callable[[AppPaths, EngineConfig], None]


def red_status(reason: Reason, detail: str = "") -> Status:
    """The engine's own words for a reason the GUI learns before any agent runs."""
    problem, fix = REASON_TEXT[reason]
    message = f"{problem} {detail}".strip()
    return Status(SyncState.INACTIVE, Light.RED, message, reason, fix, updated_at=time.time())


class AppController(QObject):
    def __init__(
        self,
        config: EngineConfig | None,
        *,
        paths: AppPaths,
        accepted_by: str,
        setup_problem: UserFacingError | None = None,
        tray_available: TrayAvailability = QSystemTrayIcon.isSystemTrayAvailable,
        save: SaveSetup = save_setup,
    ) -> None:
        super().__init__()
        self.paths = paths
        self._accepted_by = accepted_by
        self._setup_problem = setup_problem
        self._save = save
        self.activated = False
        self.bridge = StatusBridge(self)
        self.history = History(self.bridge, self)
        self.engine: Engine | None = Engine(config) if config is not None else None
        self._watcher = StateFileWatcher(self.bridge, paths.state_file, self)
        self.launcher = LauncherWindow(self)
        self.progress_window = ProgressWindow(self.bridge, self.history, self)
        self.tray = Tray(self.bridge, self, tray_available, self)
        self.troubleshooting = TroubleshootingDialog(self.bridge, self, paths)
        self.wizard: ActivationWizard | None = None
        self._activation: asyncio.Task[Activation] | None = None
        self._notice: QMessageBox | None = None
        self._quit = asyncio.Event()
        self.bridge.status_changed.connect(self.launcher.show_status)
        self.bridge.status_changed.connect(self._on_status)

    # -- starting ---------------------------------------------------------------------------

    async def start(self, *, open_wizard: bool = False, show_launcher: bool = True) -> None:
        if show_launcher:
            self.launcher.show()
        has_tray = self.tray.start()
        await self.refresh()
        if not has_tray and self.activated and not open_wizard:
            self.show_progress()  # no tray to watch the sync in: the status window instead
        if open_wizard:
            if self.activated:
                self.show_progress()
            else:
                self.open_wizard()

    async def refresh(self) -> None:
        """Ask the engine whether the practice is activated, and act on it."""
        engine = self.engine
        if engine is None:
            problem = self._setup_problem
            self.bridge.publish(red_status(Reason.NOT_CONFIGURED, problem.fix if problem else ""))
            self.set_activated(False)
            return
        try:
            activated = await engine.is_activated()
        except UserFacingError as error:
            log.warning("could not tell whether the practice is activated: %s", error)
            self.bridge.publish(red_status(Reason.DATABASE_UNREACHABLE, error.problem))
            return
        self.set_activated(activated)
        if not activated:
            self.bridge.publish(red_status(Reason.NOT_ACTIVATED))
        elif not engine.running and not self._watcher.active:
            self._run_or_watch()

    def _run_or_watch(self) -> None:
        elsewhere = current_status(self.paths.state_file, time.time())
        if elsewhere.state is not SyncState.INACTIVE:
            log.info("an agent already runs on this computer; showing its state file")
            if self.engine is not None:
                self.bridge.detach()
            self._watcher.start()
            return
        spawn(self.start_engine(), "start engine")

    async def start_engine(self) -> None:
        engine = self.engine
        if engine is None or engine.running:
            return
        self._watcher.stop()
        self.bridge.attach(engine)
        await engine.start()

    def _on_status(self, status: Status) -> None:
        """A watched agent in another process stopped: this process takes over."""
        if self._watcher.active and status.reason is Reason.STOPPED:
            log.info("the agent in the other process stopped; running it here")
            spawn(self.start_engine(), "take over")

    def set_activated(self, activated: bool) -> None:
        self.activated = activated
        self.launcher.set_activated(activated)

    # -- activation (the wizard's commit) ---------------------------------------------------

    def activate(self, accepted_terms: str | None) -> asyncio.Task[Activation]:
        if self._activation is None or self._activation.done():
            self._activation = spawn(self._activate(accepted_terms), "activate")
        return self._activation

    async def _activate(self, accepted_terms: str | None) -> Activation:
        engine = self.require_engine()
        activation = await engine.activate(
            accepted_terms=accepted_terms, accepted_by=self._accepted_by
        )
        await asyncio.to_thread(self._save, self.paths, engine.config)
        self.set_activated(True)
        await self.start_engine()
        return activation

    def require_engine(self) -> Engine:
        if self.engine is None:
            raise self._setup_problem or UserFacingError(*REASON_TEXT[Reason.NOT_CONFIGURED])
        return self.engine

    # -- commands from the launcher, tray and windows ----------------------------------------

    def open_wizard(self) -> None:
        if self.engine is None:
            problem = self._setup_problem or UserFacingError(*REASON_TEXT[Reason.NOT_CONFIGURED])
            self._tell(tr("Contacts Migration is not set up"), problem)
            return
        if self.wizard is not None and self.wizard.isVisible():
            self._to_front(self.wizard)
            return
        services = ActivationServices(self.engine, self.bridge, self.activate)
        self.wizard = ActivationWizard(services)
        self.wizard.finished.connect(self._wizard_closed)
        self.wizard.show()
        self._to_front(self.wizard)

    def _wizard_closed(self, _result: int) -> None:
        if self.activated and not self.tray.shown:
            self.show_progress()  # no tray: the status window carries on instead

    def show_progress(self) -> None:
        self.progress_window.show()
        self._to_front(self.progress_window)

    def show_troubleshooting(self) -> None:
        self.troubleshooting.show()
        self._to_front(self.troubleshooting)

    def bring_to_front(self) -> None:
        """A second start of the program: show what this one has."""
        if self.wizard is not None and self.wizard.isVisible():
            self._to_front(self.wizard)
        elif self.activated:
            self.show_progress()
        else:
            self.launcher.show()
            self._to_front(self.launcher)

    def sync_now(self) -> None:
        engine = self.engine
        if engine is None or not self.activated:
            self.open_wizard()
        elif engine.running:
            engine.request_reconcile()
        else:
            spawn(self.start_engine(), "sync now")

    def open_online_page(self) -> None:
        if self.engine is not None:
            url = self.engine.config.online_url.rstrip("/") + ONLINE_PAGE_PATH
            QDesktopServices.openUrl(QUrl(url))

    def request_quit(self) -> None:
        self._quit.set()

    async def wait_for_quit(self) -> None:
        await self._quit.wait()

    async def shutdown(self) -> None:
        """Close the windows and stop the agent; its checkpoint lives online, so nothing
        is lost and the next start resumes where it stopped."""
        for window in (self.wizard, self.troubleshooting, self.progress_window, self.launcher):
            if window is not None:
                window.close()
        self.tray.stop()
        self._watcher.stop()
        if self._activation is not None and not self._activation.done():
            await asyncio.wait({self._activation}, timeout=ACTIVATION_QUIT_WAIT_SECONDS)
        if self.engine is not None:
            await self.engine.aclose()

    def _tell(self, title: str, problem: UserFacingError) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, problem.problem, parent=None)
        box.setInformativeText(problem.fix)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self._notice = box
        box.open()

    @staticmethod
    def _to_front(window: QWidget) -> None:
        window.raise_()
        window.activateWindow()
