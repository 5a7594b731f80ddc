"""The README's first command, as a newcomer runs it on a desktop.

``bash scripts/demo.sh`` runs exactly as the README writes it (it sets up first, then
starts the demo) on a real X display (Xvfb + openbox + trayer's system tray), with a real
chromium as the system browser (``BROWSER``: it signs in as the practice login the demo
prints). The test then does what a person does, with real mouse events: waits for the
set-up the demo opened to come back signed in, presses Continue, says No to the wizard,
opens it again from Maintenance > Online > Activate Contacts Migration (Continue in the
set-up again: nothing was activated), says Yes, waits for the checks, ticks the Terms and
presses Agree and activate, waits for the migration, and waits for the light in the tray
to be green *by its colour on the screen*. Then ``contacts-migration verify`` must say
identical, and Quit in the tray menu must end the demo cleanly, with no traceback
anywhere in what it printed or logged.

Each step is one small function, so a new step goes in one place: ``drive_the_wizard``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest

from gui.wizard_pages import AGREE_TEXT
from tests.gui.demo_screen import STEP_SECONDS, Screen, accessibility_bus
from tests.gui.desktop import Desktop, real_desktop, wait_for
from tests.gui.test_real_tray import DOMINANCE, embedded_icon, icon_colour

REPO: Final = Path(__file__).resolve().parents[2]
#: The README's Quick start command, word for word.
DEMO_COMMAND: Final = ("bash", "scripts/demo.sh")
MAP_WINDOW: Final = "Maintenance Map"
WIZARD: Final = "Activate Contacts Migration"
SET_UP: Final = "Set up Contacts Migration"
#: setup.sh may install packages, and the demo builds its practice first.
START_SECONDS: Final = 600.0
QUIT_SECONDS: Final = 120.0


@contextmanager
def demo_running(env: dict[str, str], output: Path) -> Iterator[subprocess.Popen[bytes]]:
    with output.open("wb") as sink:
        process = subprocess.Popen(
            DEMO_COMMAND,
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its sandbox child goes with it if the test fails
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 15)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait()


def newcomer_env(desktop: Desktop, home: Path) -> dict[str, str]:
    """A fresh user account: its own HOME and XDG folders, no portable home set; its
    "system browser" a real chromium that signs in as the demo's printed login."""
    env = desktop.env
    login = home / ".local/share/contacts-migration/demo/online/credentials.json"
    env["BROWSER"] = f"{sys.executable} -m tests.browser_sign_in --login-from {login} %s"
    env.pop("CONTACTS_MIGRATION_HOME", None)
    env.pop("CONTACTS_MIGRATION_CLIENT_SECRET", None)
    env["HOME"] = str(home)
    for name, folder in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        (home / folder).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / folder)
    return env


# -- the wizard, one step at a time -------------------------------------------------------


def sign_in_and_continue(screen: Screen) -> None:
    """The set-up (filled in by the demo) signs in in "the browser" (BROWSER: a real
    chromium signing in as the demo's practice login, as a person would), then Continue."""
    screen.wait(
        "label",
        lambda name: name.startswith("Signed in as "),
        window=SET_UP,
        what="the browser sign-in to come back",
    )
    go_on = screen.wait("push button", "Continue", window=SET_UP, what="Continue enabled")
    screen.click_until(go_on, lambda: screen.shows("push button", "Yes", WIZARD), "the wizard")


def say_no_to_the_first_wizard(screen: Screen) -> None:
    """The demo opens the wizard by itself; a person may close it and come back later."""
    no = screen.wait("push button", "No", window=WIZARD, what="the wizard's No")
    screen.click_until(no, lambda: not screen.shows("push button", "No", WIZARD), "closing it")


def open_the_wizard_from_the_menu(screen: Screen) -> None:
    """Maintenance > Online > Activate Contacts Migration…, as in the desktop program."""
    maintenance = screen.wait("menu item", "Maintenance", window=MAP_WINDOW)
    screen.click_until(
        maintenance, lambda: screen.shows("menu item", "Online"), "opening the Maintenance menu"
    )
    online = screen.wait("menu item", "Online")
    activate = "Activate Contacts Migration…"
    screen.click_until(online, lambda: screen.shows("menu item", activate), "opening Online")
    item = screen.wait("menu item", activate)
    screen.click_until(
        item,
        lambda: (
            screen.shows("push button", "Yes", WIZARD)
            or screen.shows("push button", "Continue", SET_UP)
        ),
        "the wizard or the set-up",
    )


def sign_in_if_asked(screen: Screen) -> None:
    """Nothing was activated, so Activate goes back to the set-up (its answers and the
    sign-in kept): Continue again."""
    if screen.shows("push button", "Yes", WIZARD):
        return
    sign_in_and_continue(screen)


def confirm(screen: Screen) -> None:
    yes = screen.wait("push button", "Yes", window=WIZARD)
    screen.click_until(yes, lambda: not screen.shows("push button", "Yes", WIZARD), "Yes")


def pass_the_checks(screen: Screen) -> None:
    screen.wait("label", "Everything is ready.", window=WIZARD, what="the checks to pass")
    next_button = screen.wait(
        "push button", lambda name: name.startswith("Next"), window=WIZARD, what="Next"
    )
    agree = "I agree with the above terms of use"
    screen.click_until(next_button, lambda: screen.shows("check box", agree, WIZARD), "Terms")


def accept_the_terms(screen: Screen) -> None:
    agree = "I agree with the above terms of use"
    box = screen.wait("check box", agree, window=WIZARD, what="the Terms' tick box")
    # The box works before the Terms are loaded; the button only once they are: wait for
    # its hint ("Tick ... to continue"), which shows when the Terms are on the screen.
    screen.wait("label", lambda name: name.startswith("Tick '"), window=WIZARD, what="the Terms")

    def ticked() -> bool:
        found = screen.find("check box", lambda name: name == agree, WIZARD)
        return found is not None and found.checked

    screen.click_until(box, ticked, "ticking the Terms")
    # The button's name is its visible words, without the mnemonic's ampersand.
    agree_button = AGREE_TEXT.replace("&", "")
    ok = screen.wait("push button", agree_button, window=WIZARD, what="Agree and activate")
    screen.click_until(
        ok, lambda: not screen.shows("push button", agree_button, WIZARD), agree_button
    )


def wait_for_the_migration(screen: Screen) -> None:
    """The wizard moves on to its last page by itself; Close it, as a person would."""
    screen.wait(
        "label",
        lambda name: "contacts are online" in name,
        window=WIZARD,
        what="the wizard's last page",
    )
    close = screen.wait("push button", "Close", window=WIZARD)
    screen.click_until(close, lambda: not screen.shows("push button", "Close", WIZARD), "Close")


def drive_the_wizard(screen: Screen) -> None:
    sign_in_and_continue(screen)
    say_no_to_the_first_wizard(screen)
    open_the_wizard_from_the_menu(screen)
    sign_in_if_asked(screen)
    confirm(screen)
    pass_the_checks(screen)
    accept_the_terms(screen)
    wait_for_the_migration(screen)


# -- the tray -------------------------------------------------------------------------------


def wait_for_green_in_the_tray(desktop: Desktop, folder: Path) -> None:
    """Green by the icon's colour on the screen (a screenshot's pixels), not by asking."""
    wait_for(lambda: embedded_icon(desktop) is not None, "the light in the tray", STEP_SECONDS)

    def green() -> bool:
        window = embedded_icon(desktop)
        if window is None:
            return False
        red, green_part, _blue = icon_colour(desktop, window, folder)
        return green_part > red + DOMINANCE

    wait_for(green, "the tray light to be green", STEP_SECONDS)


def visible_windows(desktop: Desktop) -> set[str]:
    found = desktop.run("xdotool", "search", "--onlyvisible", "--class", "contacts-migration")
    return set(found.split())


def quit_from_the_tray(screen: Screen, desktop: Desktop) -> None:
    window = embedded_icon(desktop)
    assert window is not None, "the light left the tray"
    geometry = desktop.run("xdotool", "getwindowgeometry", "--shell", window)
    found = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
    x = int(found["X"]) + int(found["WIDTH"]) // 2
    y = int(found["Y"]) + int(found["HEIGHT"]) // 2
    question = "Quit Contacts Migration?"
    deadline = time.monotonic() + STEP_SECONDS
    while not screen.shows("push button", "Quit", question):
        assert time.monotonic() < deadline, "Quit in the tray menu did not ask"
        desktop.run("xdotool", "key", "Escape")  # a menu left open by a lost try
        before = visible_windows(desktop)
        screen.click_at(x, y, button=3)  # the tray menu (a new window: it is not in the
        settle = time.monotonic() + 20.0  # AT-SPI tree, so it is found by X)...
        while time.monotonic() < settle and not visible_windows(desktop) - before:
            time.sleep(0.3)
        desktop.run("xdotool", "key", "q")  # ...and its &Quit
        settle = time.monotonic() + 20.0
        while time.monotonic() < settle and not screen.shows("push button", "Quit", question):
            time.sleep(0.3)
    button = screen.wait("push button", "Quit", window="Quit Contacts Migration?")
    screen.click(button)


def demo_home(home: Path) -> Path:
    """Where the demo keeps its own setup (README: "The demo keeps its own setup...")."""
    return home / ".local/share/contacts-migration/demo/home"


def verify(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    verify_env = dict(env, CONTACTS_MIGRATION_HOME=str(demo_home(home)))
    command = [sys.executable, "-m", "contacts_migration", "verify"]
    return subprocess.run(
        command, cwd=REPO, env=verify_env, capture_output=True, text=True, timeout=300, check=False
    )


def shown_status(output: Path, env: dict[str, str]) -> str:
    """What the status line the demo printed says, run as printed in another shell."""
    prefix = "Its status from another terminal: "
    printed = output.read_text(errors="replace").splitlines()
    line = next((text for text in printed if text.startswith(prefix)), None)
    assert line is not None, "\n".join(printed)
    shown = subprocess.run(
        ["bash", "-c", line.removeprefix(prefix)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    return shown.stdout


@pytest.mark.timeout(1800)
def test_the_readme_demo_reaches_green_on_a_desktop(tmp_path: Path) -> None:
    home = tmp_path / "newcomer"
    output = tmp_path / "demo-output.txt"
    with (
        real_desktop(1280, 800, tray=True) as desktop,
        accessibility_bus(newcomer_env(desktop, home)) as env,
    ):
        screen = Screen(desktop, env)
        started = time.monotonic()
        with demo_running(env, output) as demo:
            wait_for(
                lambda: demo.poll() is not None or screen.shows("push button", "Continue", SET_UP),
                "the demo's set-up",
                START_SECONDS,
            )
            assert demo.poll() is None, output.read_text(errors="replace")[-3000:]
            drive_the_wizard(screen)
            wait_for_green_in_the_tray(desktop, tmp_path)
            to_green = time.monotonic() - started
            print(f"demo.sh start to a green light on the screen: {to_green:.1f} s")

            checked = verify(home, env)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert "Identical" in checked.stdout, checked.stdout

            said = shown_status(output, env)
            assert said.startswith("● ACTIVE:"), said

            quit_from_the_tray(screen, desktop)
            demo.wait(timeout=QUIT_SECONDS)
            assert demo.returncode == 0, output.read_text(errors="replace")[-3000:]
        printed = output.read_text(errors="replace")
        logs = "".join(
            log.read_text(errors="replace") for log in demo_home(home).glob("logs/*.log*")
        )
        assert "Traceback" not in printed, printed[-3000:]
        assert "Traceback" not in logs, logs[-3000:]
