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

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon

from engine import (
    REASON_WORDS,
    Activation,
    AppPaths,
    Command,
    Engine,
    EngineConfig,
    Light,
    Reason,
    Status,
    SyncState,
    UserFacingError,
    current_status,
    red_status,
    save_setup,
)
from gui.announcer import StatusAnnouncer
from gui.bridge import StateFileWatcher, StatusBridge
from gui.history import History
from gui.launcher import LauncherWindow
from gui.placement import present
from gui.progress_window import ProgressWindow
from gui.setup_dialog import SetupDialog
from gui.sign_in_again import sign_in_again
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
#: How long "Sync now" waits for its check before saying what the status shows then.
SYNC_REPORT_SECONDS: Final = 20.0
SYNC_REPORT_POLL_SECONDS: Final = 0.1

SaveSetup = Callable[[AppPaths, EngineConfig], None]


def sync_outcome(engine: Engine, sent_before: int) -> str:
    """The outcome of "Sync now" in words, from the engine's status and counters."""
    status = engine.status()
    if status.retrying or status.light is Light.RED:
        return tr("Still not working: ") + status.message + " " + tr("It keeps trying by itself.")
    sent = engine.counters().contacts_sent - sent_before
    if sent > 0:
        return tr("Checked: ") + (
            tr("1 change sent.") if sent == 1 else f"{sent:,}" + tr(" changes sent.")
        )
    if status.light is Light.GREEN:
        return tr("Checked: nothing to send; the online copy matches the desktop.")
    return tr("Still checking; the status above shows what is being sent.")


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
        self._sign_in: asyncio.Task[bool] | None = None
        #: (source, online address): the set-up opens filled in and signs in at once.
        self.setup_prefill: tuple[str, str] | None = None
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
        self.announcer = StatusAnnouncer(self.bridge, self)
        self.troubleshooting = TroubleshootingDialog(self.bridge, self, paths)
        self.wizard: ActivationWizard | None = None
        self.setup_dialog: SetupDialog | None = None
        #: The engine came from the set-up dialog's answers, not from saved settings.
        self._from_setup = False
        #: Engines being closed (a set-up's, abandoned); shutdown waits for them.
        self._closing: set[asyncio.Task[None]] = set()
        self._activation: asyncio.Task[Activation] | None = None
        self._notice: QMessageBox | None = None
        self.quit_box: QMessageBox | None = None
        self._sync_report: asyncio.Task[None] | None = None
        self._quit = asyncio.Event()
        self.bridge.status_changed.connect(self.launcher.show_status)
        self.bridge.status_changed.connect(self._on_status)

    # -- starting ---------------------------------------------------------------------------

    async def start(self, *, open_wizard: bool = False, show_launcher: bool = True) -> None:
        if show_launcher:
            self.show_launcher()
        has_tray = self.tray.start()
        await self.refresh()
        if not has_tray and self.activated and not open_wizard:
            self.show_progress()  # no tray to watch the sync in: the status window instead
        elif not has_tray and not show_launcher and not open_wizard:
            self.show_launcher()  # started quietly, but there is no tray to be quiet in
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
            self.bridge.publish(
                red_status(
                    Reason.NOT_CONFIGURED,
                    detail=problem.problem if problem else "",
                    updated_at=time.time(),
                )
            )
            self.set_activated(False)
            return
        try:
            activated = await engine.is_activated()
        except UserFacingError as error:
            log.warning("could not tell whether the practice is activated: %s", error)
            self.bridge.publish(
                red_status(
                    Reason.DATABASE_UNREACHABLE, detail=error.problem, updated_at=time.time()
                )
            )
            return
        self.set_activated(activated)
        if not activated:
            self.bridge.publish(red_status(Reason.NOT_ACTIVATED, updated_at=time.time()))
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
        # Follow it from its own first word ("Starting"), not the "not running" it says
        # before it starts: that is no fault, and must not show red for a normal start.
        self.bridge.attach(engine, publish_now=False)
        await engine.start()
        self.bridge.publish(engine.status())

    def _on_status(self, status: Status) -> None:
        """A watched agent in another process stopped: this process takes over."""
        if self._watcher.active and status.reason is Reason.STOPPED:
            log.info("the agent in the other process stopped; running it here")
            spawn(self.start_engine(), "take over")

    def set_activated(self, activated: bool) -> None:
        self.activated = activated
        self.launcher.set_activated(activated)
        # Nothing is online before activation: don't offer to open it.
        self.tray.online_action.setEnabled(activated)
        self.progress_window.online_button.setEnabled(activated)

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
            words = REASON_WORDS[Reason.NOT_CONFIGURED]
            raise self._setup_problem or UserFacingError(words.problem, words.fix)
        return self.engine

    # -- commands from the launcher, tray and windows ----------------------------------------

    def open_wizard(self) -> None:
        if self.engine is None:
            self.open_setup()  # not set up: ask for the set-up, then the wizard follows
            return
        if self.wizard is not None and self.wizard.isVisible():
            present(self.wizard)
            return
        change = self.change_setup if self._from_setup else None
        services = ActivationServices(self.engine, self.bridge, self.activate, change)
        self.wizard = ActivationWizard(services)
        self.wizard.finished.connect(self._wizard_closed)
        present(self.wizard)

    def open_setup(self) -> None:
        if self.setup_dialog is None:
            self.setup_dialog = SetupDialog(self.paths, self._set_up)
            if self.setup_prefill is not None:
                self.setup_dialog.prefill(*self.setup_prefill)
        present(self.setup_dialog)

    def change_setup(self) -> None:
        """From the wizard's failed checks: back to the set-up, with what was entered."""
        if self.wizard is not None:
            self.wizard.reject()  # _wizard_closed forgets the unsaved engine
        self.open_setup()

    def _set_up(self, engine: Engine) -> None:
        """The set-up answers made a usable engine: carry on into the activation wizard."""
        self.engine = engine
        self._from_setup = True
        self._setup_problem = None
        spawn(self._after_setup(), "after set-up")

    async def _after_setup(self) -> None:
        await self.refresh()
        if not self.activated:
            self.open_wizard()
        else:
            self.show_progress()

    def _wizard_closed(self, _result: int) -> None:
        settled = self._activation is None or self._activation.done()
        if self._from_setup and not self.activated and settled:
            # Nothing was saved: the next Activate asks for the set-up again (its
            # answers kept), rather than retrying what may have been mistyped.
            engine, self.engine = self.engine, None
            self._from_setup = False
            if engine is not None:
                self._closing.add(spawn(engine.aclose(), "close the set-up's engine"))
            return
        if self.activated and not self.tray.shown:
            self.show_progress()  # no tray: the status window carries on instead

    def show_progress(self) -> None:
        present(self.progress_window)

    def show_troubleshooting(self) -> None:
        present(self.troubleshooting)

    def show_launcher(self) -> None:
        present(self.launcher)

    def bring_to_front(self) -> None:
        """A second start of the program: show what this one has; a window the person
        minimized comes back first (the one they were using), whichever it is."""
        windows = (
            self.wizard,
            self.setup_dialog,
            self.troubleshooting,
            self.progress_window,
            self.launcher,
        )
        for window in windows:
            if window is not None and window.isVisible() and window.isMinimized():
                present(window)
                return
        if self.wizard is not None and self.wizard.isVisible():
            present(self.wizard)
        elif self.activated:
            self.show_progress()
        else:
            self.show_launcher()

    def sync_now(self) -> None:
        """Sync now / Retry now / Sign in again: the one button, whichever view has it."""
        engine = self.engine
        if engine is None or not self.activated:
            self.open_wizard()
        elif self.bridge.status is not None and self.bridge.status.command is Command.SIGN_IN:
            if self._sign_in is None or self._sign_in.done():
                self._sign_in = spawn(
                    sign_in_again(self.paths, engine.config, self._say), "sign in"
                )
        elif self._watcher.active:
            self._say(tr("The sync runs in another process on this computer; it checks by itself."))
        elif engine.running:
            if self._sync_report is None or self._sync_report.done():
                self._sync_report = spawn(self._report_sync(engine), "sync now")
        else:
            spawn(self.start_engine(), "sync now")
            self._say(tr("Starting the sync on this computer."))

    async def _report_sync(self, engine: Engine) -> None:
        """Wait (with a deadline) for the requested check, then put its outcome in words."""
        before = engine.counters()
        asked_at = time.time()
        self._say(tr("Checking with the online service…"))
        engine.request_reconcile()
        # A round trip bounded by the liveness timeout: a hung service is reported in
        # about that long, not after the full check's deadline.
        check = spawn(engine.check_now(), "check now")
        deadline = time.monotonic() + SYNC_REPORT_SECONDS
        while engine.running and time.monotonic() < deadline:
            status = engine.status()
            if check.done() and (status.retrying or status.light is Light.RED):
                break  # the round trip just made found the fault still there
            now = engine.counters()
            confirmed = engine.status().last_sync_at or 0.0
            if now.reconciliations > before.reconciliations and confirmed >= asked_at:
                break  # the check started after the click and the cycle finished
            if now.retries > before.retries:
                break  # the attempt it woke failed again
            await asyncio.sleep(SYNC_REPORT_POLL_SECONDS)
        self._say(sync_outcome(engine, before.contacts_sent))

    def _say(self, text: str) -> None:
        """What Sync now / Retry now did, in the window where it was pressed (and in the
        other one if it is open); each clears it when the light changes."""
        self.progress_window.show_feedback(text)
        if self.troubleshooting.isVisible():
            self.troubleshooting.show_feedback(text)

    def online_page_url(self) -> str | None:
        if self.engine is None or not self.activated:
            return None
        return self.engine.config.online_url.rstrip("/") + ONLINE_PAGE_PATH

    def open_online_page(self) -> None:
        url = self.online_page_url()
        if url is None:
            self._tell_text(
                tr("Nothing online yet"),
                tr(
                    "The online contacts page shows the practice's contacts once they are migrated."
                ),
                tr("Activate Contacts Migration first."),
            )
            return
        if QDesktopServices.openUrl(QUrl(url)):
            return
        box = QMessageBox(
            QMessageBox.Icon.Information,
            tr("No web browser opened"),
            tr("This computer could not open a web browser for the online contacts page."),
            parent=None,
        )
        box.setInformativeText(tr("Open this address in a browser: ") + url)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        copy = box.addButton(tr("&Copy the address"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(url))
        self._notice = box
        box.open()

    def quit_words(self) -> str:
        """What quitting does to the sync, in this situation."""
        status = self.bridge.status
        if self._watcher.active:
            return tr(
                "Only this window and tray light close: the sync runs in another process on "
                "this computer and carries on."
            )
        if status is not None and status.state is SyncState.STANDBY:
            return tr("Another computer is keeping the contacts in sync; it carries on.")
        return tr(
            "Contacts stop syncing from this computer. If Contacts Migration runs on another "
            "computer of the practice, that one takes over; otherwise desktop changes wait "
            "until it starts again."
        )

    def request_quit(self) -> None:
        """Quit from the tray or File > Exit: say what stops, then quit if confirmed."""
        if self.engine is None or not self.activated:
            self.quit_now()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question, tr("Quit Contacts Migration?"), self.quit_words()
        )
        quit_button = box.addButton(tr("&Quit"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(tr("&Keep running"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(
            lambda _result: self.quit_now() if box.clickedButton() is quit_button else None
        )
        self.quit_box = box
        box.open()

    def quit_now(self) -> None:
        self._quit.set()

    async def wait_for_quit(self) -> None:
        await self._quit.wait()

    async def shutdown(self) -> None:
        """Close the windows and stop the agent; its checkpoint lives online, so nothing
        is lost and the next start resumes where it stopped."""
        windows = (
            self.wizard,
            self.setup_dialog,
            self.troubleshooting,
            self.progress_window,
            self.launcher,
        )
        for window in windows:
            if window is not None:
                window.close()
        self.tray.stop()
        self._watcher.stop()
        if self._activation is not None and not self._activation.done():
            await asyncio.wait({self._activation}, timeout=ACTIVATION_QUIT_WAIT_SECONDS)
        if self.engine is not None:
            await self.engine.aclose()
        if self._closing:
            await asyncio.wait(self._closing)

    def _tell_text(self, title: str, text: str, fix: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=None)
        box.setInformativeText(fix)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self._notice = box
        box.open()
