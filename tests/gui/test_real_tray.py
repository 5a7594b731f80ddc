"""The real program in a real system tray: Debian's ``trayer`` on Xvfb embeds the
traffic light (XEmbed), and the light's colour follows the sync's status.

The program runs as it does at sign-in (``gui --autostart``: no window, only the tray).
Its practice is activated and an agent "runs elsewhere" on this computer: the test
writes that agent's state file, which the program watches, so the status changes when
the test says, without waiting out a fault's grace period.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from engine.api import Engine
from engine.local.config import EngineConfig
from engine.local.paths import app_paths
from engine.status.model import Light, Reason, Status, SyncState
from engine.status.state_file import write_status
from engine.texts import REASON_WORDS
from tests.gui.desktop import Desktop, real_desktop, wait_for
from tests.gui.support import ACCEPTED_BY, set_live_activated
from tests.sandbox_harness import RunningSandbox

REPO: Final = Path(__file__).resolve().parents[2]
APP_WINDOW: Final = '"Contacts Migration"'
#: How much one colour channel must outweigh the other in the icon's mean colour.
DOMINANCE: Final = 40


def in_sync() -> Status:
    return Status(
        SyncState.ACTIVE,
        Light.GREEN,
        "Contacts are in sync. Changes made on the desktop are sent online automatically.",
        online_count=300,
        last_sync_at=time.time(),
        updated_at=time.time(),
        machine="SERVER1",
    )


def unreachable() -> Status:
    words = REASON_WORDS[Reason.ONLINE_UNREACHABLE]
    return Status(
        SyncState.INACTIVE,
        Light.RED,
        words.problem,
        Reason.ONLINE_UNREACHABLE,
        words.fix,
        retrying=True,
        updated_at=time.time(),
        machine="SERVER1",
    )


def embedded_icon(desktop: Desktop) -> str | None:
    """The program's window inside trayer's panel, if it is embedded there."""
    lines = desktop.tree().splitlines()
    for index, line in enumerate(lines):
        if '"panel"' not in line:
            continue
        depth = len(line) - len(line.lstrip())
        for child in lines[index + 1 :]:
            if len(child) - len(child.lstrip()) <= depth:
                break
            if APP_WINDOW in child:
                return child.split()[0]
    return None


def icon_colour(desktop: Desktop, window: str, folder: Path) -> tuple[int, int, int]:
    picture = folder / "icon.png"
    desktop.run("import", "-window", window, str(picture))
    text = desktop.run(
        "convert",
        str(picture),
        "-alpha",
        "off",
        "-scale",
        "1x1!",
        "-format",
        "%[fx:int(255*r)] %[fx:int(255*g)] %[fx:int(255*b)]",
        "info:",
    )
    red, green, blue = (int(part) for part in text.split())
    return red, green, blue


def gui_command(db: Path, sandbox: RunningSandbox, *flags: str) -> list[str]:
    credentials = sandbox.data_dir / "credentials.json"
    command = [sys.executable, "-m", "contacts_migration", "gui", *flags]
    return [*command, "--source", f"sqlite:{db}", "--credentials", str(credentials)]


@contextmanager
def program(
    desktop: Desktop, db: Path, sandbox: RunningSandbox, home: Path, *flags: str
) -> Iterator[None]:
    env = desktop.env
    env["CONTACTS_MIGRATION_HOME"] = str(home)
    command = gui_command(db, sandbox, *flags)
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_light_is_embedded_in_a_real_tray_and_follows_the_status(
    practice_db: Path,
    sandbox: RunningSandbox,
    gui_config: EngineConfig,
    isolated_home: Path,
    tmp_path: Path,
) -> None:
    set_live_activated(practice_db)

    async def activate() -> None:
        engine = Engine(gui_config)
        try:
            await engine.activate(accepted_terms=None, accepted_by=ACCEPTED_BY)
        finally:
            await engine.aclose()

    asyncio.run(activate())
    state_file = app_paths().state_file
    state_file.parent.mkdir(parents=True, exist_ok=True)
    write_status(state_file, in_sync())

    with (
        real_desktop(1024, 600, tray=True) as desktop,
        program(desktop, practice_db, sandbox, isolated_home, "--autostart"),
    ):
        wait_for(lambda: embedded_icon(desktop) is not None, "the light in the tray")
        window = embedded_icon(desktop)
        assert window is not None
        assert not [line for line in desktop.tree().splitlines() if '"Maintenance Map"' in line], (
            "--autostart opened a window"
        )

        def shows(status: Status, dominant: int, other: int) -> bool:
            write_status(state_file, status)  # the other agent's heartbeat
            colour = icon_colour(desktop, window, tmp_path)
            return colour[dominant] > colour[other] + DOMINANCE

        wait_for(lambda: shows(in_sync(), 1, 0), "the light to be green")
        wait_for(lambda: shows(unreachable(), 0, 1), "the light to turn red")
        wait_for(lambda: shows(in_sync(), 1, 0), "the light to be green again")


def map_state(desktop: Desktop, window: str) -> str:
    for line in desktop.run("xwininfo", "-id", window).splitlines():
        if "Map State:" in line:
            return line.split(":", 1)[1].strip()
    return ""


def test_a_second_start_restores_a_minimized_window(
    practice_db: Path, sandbox: RunningSandbox, isolated_home: Path
) -> None:
    with (
        real_desktop(1024, 600, tray=True) as desktop,
        program(desktop, practice_db, sandbox, isolated_home),
    ):
        found: list[str] = []

        def launcher_shown() -> bool:
            found[:] = desktop.run("xdotool", "search", "--name", "Maintenance Map").split()
            return bool(found) and map_state(desktop, found[0]) == "IsViewable"

        wait_for(launcher_shown, "the Maintenance Map window")
        window = found[0]
        desktop.run("xdotool", "windowminimize", window)
        wait_for(lambda: map_state(desktop, window) != "IsViewable", "the window to minimize")
        env = desktop.env
        env["CONTACTS_MIGRATION_HOME"] = str(isolated_home)
        second = subprocess.run(
            gui_command(practice_db, sandbox),
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == 0, second.stderr[-2000:]
        assert "already running" in second.stdout
        wait_for(lambda: map_state(desktop, window) == "IsViewable", "the window to be restored")


def test_a_second_start_restores_the_minimized_map_of_an_activated_practice(
    practice_db: Path,
    sandbox: RunningSandbox,
    gui_config: EngineConfig,
    isolated_home: Path,
) -> None:
    """Activated, the second start used to open the status window and leave the minimized
    Maintenance Map minimized: the window the person minimized comes back."""
    set_live_activated(practice_db)

    async def activate() -> None:
        engine = Engine(gui_config)
        try:
            await engine.activate(accepted_terms=None, accepted_by=ACCEPTED_BY)
        finally:
            await engine.aclose()

    asyncio.run(activate())
    with (
        real_desktop(1024, 600, tray=True) as desktop,
        program(desktop, practice_db, sandbox, isolated_home),
    ):
        found: list[str] = []

        def launcher_shown() -> bool:
            found[:] = desktop.run("xdotool", "search", "--name", "Maintenance Map").split()
            return bool(found) and map_state(desktop, found[0]) == "IsViewable"

        wait_for(launcher_shown, "the Maintenance Map window")
        window = found[0]
        desktop.run("xdotool", "windowminimize", window)
        wait_for(lambda: map_state(desktop, window) != "IsViewable", "the window to minimize")
        env = desktop.env
        env["CONTACTS_MIGRATION_HOME"] = str(isolated_home)
        second = subprocess.run(
            gui_command(practice_db, sandbox),
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == 0, second.stderr[-2000:]
        assert "already running" in second.stdout
        wait_for(lambda: map_state(desktop, window) == "IsViewable", "the window to be restored")
