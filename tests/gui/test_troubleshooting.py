"""Troubleshooting: each red reason's diagnosis and steps, Retry now, and diagnostics on
the clipboard and in a file without the client secret."""

from __future__ import annotations

import html
import re
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication

from contacts_migration import __version__
from contacts_migration.cli import main as cli_main
from engine import Light, Reason, Status, red_status
from engine.api import Engine
from engine.local.config import EngineConfig
from engine.local.logs import LOG_FILE_NAME
from engine.local.paths import app_paths
from engine.local.secrets import SECRET_ENV, SecretStore
from engine.local.setup_store import save_setup
from engine.status.model import EngineState, Fault, Phase, derive_status
from engine.status.state_file import write_status
from engine.texts import REASON_WORDS, FrontEnd
from gui.bridge import StatusBridge
from gui.troubleshooting import RETRYING_NOTE, STATE_NOTES, TroubleshootingDialog
from tests.gui.conftest import Runner, until
from tests.gui.support import make_controller

ENV_SECRET = "env-secret-4b1d9e7c"
STORED_SECRET = "stored-secret-9f3a6c21"


@dataclass
class Commands:
    engine: Engine | None = None
    calls: list[str] = field(default_factory=list)

    def sync_now(self) -> None:
        self.calls.append("sync_now")


def red(reason: Reason, detail: str = "") -> Status:
    """A red Status as the engine derives it for a fault of ``reason``."""
    if reason is Reason.STOPPED:
        state = EngineState(phase=Phase.STOPPED, machine="FRONT-DESK")
    else:
        fault = Fault(reason, detail, since=time.time(), immediate=True)
        state = EngineState(phase=Phase.IDLE, fault=fault, machine="FRONT-DESK")
    return derive_status(state, time.time())


def shown_steps(dialog: TroubleshootingDialog) -> str:
    return dialog.steps.text()


def dialog_steps(dialog: TroubleshootingDialog) -> list[str]:
    """The numbered steps as a person reads them in the dialog."""
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", shown_steps(dialog))]


def gui_steps(reason: Reason) -> tuple[str, ...]:
    return REASON_WORDS[reason].steps_for(FrontEnd.GUI)


@pytest.mark.parametrize("reason", list(Reason))
def test_a_red_status_shows_its_reasons_diagnosis_and_steps(
    qapp: QApplication, reason: Reason
) -> None:
    bridge = StatusBridge()
    commands = Commands()
    dialog = TroubleshootingDialog(bridge, commands, app_paths())
    assert not dialog.isModal()
    bridge.publish(red(reason, "(the detail)"))

    assert dialog.headline.text() == "Sync is inactive"
    assert dialog.message.text().startswith(red(reason).message)
    assert dialog.meaning.text() == REASON_WORDS[reason].meaning
    assert not dialog.steps.isHidden()
    for step in gui_steps(reason):
        assert html.escape(step, quote=False) in shown_steps(dialog), step
    assert shown_steps(dialog).count("<li>") == len(gui_steps(reason))
    assert "FRONT-DESK" in dialog.where.text()
    # Settings-file details are folded under For IT, not among the steps.
    assert dialog.for_it_button.isVisibleTo(dialog) and dialog.for_it.isHidden()
    assert str(app_paths().settings_file) in dialog.for_it.text()
    for line in REASON_WORDS[reason].for_it:
        assert line in dialog.for_it.text()
    dialog.for_it_button.click()
    assert dialog.for_it.isVisibleTo(dialog)
    expected = (
        "&Activate…" if reason in (Reason.NOT_ACTIVATED, Reason.NOT_CONFIGURED) else "&Retry now"
    )
    if reason is Reason.SIGN_IN_AGAIN:
        expected = "Sign &in again…"  # the button runs the browser sign-in
    assert dialog.retry_button.text() == expected
    dialog.retry_button.click()
    assert commands.calls == ["sync_now"]


def test_the_words_name_what_the_issue_asks_for(qapp: QApplication) -> None:
    steps = " ".join(" ".join(gui_steps(reason)) for reason in Reason)
    assert "MYOBSERVER\\MYOBACCT" in " ".join(REASON_WORDS[Reason.DATABASE_UNREACHABLE].for_it)
    assert "Practice my.MYOB settings" in " ".join(gui_steps(Reason.LOGIN_NOT_ACTIVE_EMPLOYEE))
    online = " ".join(REASON_WORDS[Reason.ONLINE_UNREACHABLE].for_it)
    assert "proxy" in online and "ca_file" in online
    assert "mapping_file" in " ".join(REASON_WORDS[Reason.DATABASE_SCHEMA].for_it)
    assert "Retry now" in steps
    assert "[online]" not in steps and "[source]" not in steps  # for IT, not the steps


@pytest.mark.parametrize("reason", list(Reason))
def test_the_cli_and_the_dialog_show_the_same_steps(
    qapp: QApplication, reason: Reason, capsys: pytest.CaptureFixture[str]
) -> None:
    """``contacts-migration status`` for a red status prints the dialog's steps, in the
    same order, each worded for the terminal where it names something to press."""
    status = red(reason, "(the detail)")
    paths = app_paths()
    paths.ensure()
    write_status(paths.state_file, status)
    assert cli_main(["status"]) == 0
    printed = capsys.readouterr().out
    cli = [text for _, text in re.findall(r"^    (\d+)\. (.*)$", printed, re.MULTILINE)]
    dialog = TroubleshootingDialog(StatusBridge(), Commands(), paths)
    dialog.show_status(status)
    shown = dialog_steps(dialog)

    assert cli == list(REASON_WORDS[reason].steps_for(FrontEnd.CLI))
    assert shown == list(gui_steps(reason))
    assert len(cli) == len(shown) >= 2
    for template, in_cli, in_dialog in zip(REASON_WORDS[reason].steps, cli, shown, strict=True):
        if "{" not in template:  # nothing to press or run: word for word the same
            assert in_cli == in_dialog == template
        else:  # the same step, in each front end's words for what to do
            assert in_cli != in_dialog
    assert f"Settings file: {paths.settings_file}" in printed
    assert str(paths.settings_file) in dialog.for_it.text()
    for line in REASON_WORDS[reason].for_it:  # the same For IT details in both
        assert line in printed and line in dialog.for_it.text()


def test_green_and_orange_are_explained_briefly(qapp: QApplication) -> None:
    bridge = StatusBridge()
    dialog = TroubleshootingDialog(bridge, Commands(), app_paths())
    now = time.time()
    bridge.publish(derive_status(EngineState(phase=Phase.IDLE, last_sync_at=now), now))
    assert dialog.status is not None and dialog.status.light is Light.GREEN
    assert dialog.meaning.text() == STATE_NOTES[dialog.status.state]
    assert dialog.steps.isHidden()
    assert dialog.retry_button.text() == "&Sync now"

    bridge.publish(derive_status(EngineState(phase=Phase.MIGRATING, done=5, total=9), now))
    assert dialog.meaning.text() == STATE_NOTES[dialog.status.state]
    assert dialog.steps.isHidden()

    retrying = Fault(Reason.ONLINE_UNREACHABLE, "", since=now)
    bridge.publish(derive_status(EngineState(phase=Phase.CATCHING_UP, fault=retrying), now))
    assert dialog.status.light is Light.ORANGE
    assert dialog.meaning.text().startswith(RETRYING_NOTE)
    assert not dialog.steps.isHidden()


def test_copy_diagnostics_has_versions_and_status_but_no_secret(
    run_gui: Runner[None],
    gui_config: EngineConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = app_paths()
    save_setup(paths, gui_config)  # the settings file, with the client id
    memory_secret = gui_config.credentials.client_secret
    SecretStore(paths).set(gui_config.credentials.client_id, STORED_SECRET)
    monkeypatch.setenv(SECRET_ENV, ENV_SECRET)
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    with (paths.log_dir / LOG_FILE_NAME).open("a", encoding="utf-8") as log_file:
        for secret in (ENV_SECRET, STORED_SECRET, memory_secret):
            log_file.write(
                f"2024-05-01 10:00:00,000 WARNING engine.online.client planted {secret}\n"
            )

    async def scenario() -> None:
        controller = make_controller(gui_config)
        await controller.start(show_launcher=False)
        controller.bridge.publish(
            red_status(
                Reason.CREDENTIALS_REJECTED,
                detail=f"(401 for secret {STORED_SECRET})",
                updated_at=time.time(),
            )
        )
        controller.show_progress()
        window = controller.progress_window
        assert window.troubleshooting_button.isVisible()  # red: the way to the fix
        window.troubleshooting_button.click()
        dialog = controller.troubleshooting
        assert dialog.isVisible() and not dialog.isModal()
        assert dialog.meaning.text() == REASON_WORDS[Reason.CREDENTIALS_REJECTED].meaning

        QApplication.clipboard().clear()
        dialog.copy_button.click()
        await until(lambda: dialog.feedback.text().startswith("Copied"), what="Copied")
        text = QApplication.clipboard().text()
        for version in (__version__, sys.version.split()[0], PySide6.__version__, qVersion()):
            assert version in text, version
        assert '"pyodbc": ' in text  # its version, or why it is unavailable
        assert "credentials_rejected" in text
        assert "The online service rejected this practice's credentials." in text
        assert gui_config.credentials.client_id in text  # the settings, masked, are there
        assert "planted ***" in text  # the log lines are there, scrubbed
        for secret in (ENV_SECRET, STORED_SECRET, memory_secret):
            assert secret not in text, f"{secret!r} leaked onto the clipboard"

        target = tmp_path / "diagnostics.zip"
        dialog.save_diagnostics(str(target))
        await until(lambda: dialog.feedback.text().startswith("Saved"), what="Saved")
        with zipfile.ZipFile(target) as archive:
            everything = "".join(archive.read(name).decode() for name in archive.namelist())
        assert ENV_SECRET not in everything and STORED_SECRET not in everything

        dialog.choose_diagnostics_file()  # non-blocking: returns with the chooser open
        chooser = dialog._save_dialog
        assert chooser is not None and chooser.isVisible()
        chooser.reject()

        controller.bridge.publish(red_status(Reason.STOPPED, updated_at=time.time()))
        assert window.troubleshooting_button.isVisible()
        controller.tray.troubleshooting_action.trigger()
        assert dialog.isVisible()
        await controller.shutdown()
        assert not dialog.isVisible()

    run_gui(scenario)
