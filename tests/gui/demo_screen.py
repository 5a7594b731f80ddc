"""The demo's windows as a person meets them: seen through the accessibility tree (AT-SPI,
what a screen reader reads) and touched with real X input events (``xdotool``).

A private D-Bus session bus and the AT-SPI bus run for the program under test only, and
are stopped with it. Reading the tree never changes the program; every click is a real
mouse event at the middle of what the tree says is on the screen.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.components import require_component
from tests.gui.desktop import Desktop

SYSTEM_PYTHON: Final = "/usr/bin/python3"
PROBE: Final = Path(__file__).with_name("demo_atspi_probe.py")
BUS_LAUNCHER: Final = "/usr/libexec/at-spi-bus-launcher"
APP_NAME: Final = "contacts-migration"
#: Generous: a busy 2-core machine may take long over any one step.
STEP_SECONDS: Final = 240.0
POLL_SECONDS: Final = 0.3
PROBE_SECONDS: Final = 30.0
#: How long a click may take to show its effect before it counts as lost.
SETTLE_SECONDS: Final = 20.0


@dataclass(frozen=True)
class Node:
    window: str
    role: str
    name: str
    states: tuple[str, ...]
    box: tuple[int, int, int, int]

    @property
    def enabled(self) -> bool:
        return "enabled" in self.states

    @property
    def checked(self) -> bool:
        return "checked" in self.states

    @property
    def middle(self) -> tuple[int, int]:
        x, y, width, height = self.box
        return x + width // 2, y + height // 2


def need_accessibility() -> None:
    """The system pieces the AT-SPI tree needs (scripts/setup.sh installs them)."""
    for program in (SYSTEM_PYTHON, BUS_LAUNCHER, shutil.which("dbus-daemon") or "dbus-daemon"):
        if not Path(program).exists():
            require_component(program, "a real-desktop demo test reads the windows through it")
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        require_component("python3-pyatspi", probe.stderr.strip()[-300:])


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, with whatever it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def accessibility_bus(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A session bus of its own with the AT-SPI bus on it; yields the environment to use."""
    need_accessibility()
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started: list[subprocess.Popen[bytes]] = [daemon]
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().decode().strip()
        assert address, "dbus-daemon gave no address"
        bus_env = dict(env, DBUS_SESSION_BUS_ADDRESS=address, QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1")
        launcher = subprocess.Popen(
            [BUS_LAUNCHER, "--launch-immediately"],
            env=bus_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(launcher)
        get_address = [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.a11y.Bus",
            "/org/a11y/bus",
            "org.a11y.Bus.GetAddress",
        ]
        deadline = time.monotonic() + STEP_SECONDS
        while subprocess.run(get_address, env=bus_env, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "the AT-SPI bus did not start"
            time.sleep(POLL_SECONDS)
        yield bus_env
    finally:
        for process in reversed(started):
            _stop_group(process)


class Screen:
    """The program's windows on one desktop: read through AT-SPI, touched through X."""

    def __init__(self, desktop: Desktop, env: dict[str, str]) -> None:
        self.desktop = desktop
        self.env = env

    def nodes(self) -> list[Node]:
        try:
            done = subprocess.run(
                [SYSTEM_PYTHON, str(PROBE), APP_NAME],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=PROBE_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return []  # a starved machine: look again
        if done.returncode != 0:
            return []
        return [
            Node(
                item["window"],
                item["role"],
                item["name"],
                tuple(item["states"]),
                tuple(item["box"]),
            )
            for item in json.loads(done.stdout or "[]")
        ]

    def find(self, role: str, name: Callable[[str], bool], window: str = "") -> Node | None:
        for node in self.nodes():
            if node.role == role and name(node.name) and window in node.window:
                return node
        return None

    def wait(
        self,
        role: str,
        name: str | Callable[[str], bool],
        *,
        window: str = "",
        enabled: bool = True,
        what: str = "",
    ) -> Node:
        """The node once it shows (and is enabled, unless told otherwise)."""
        matches = name if callable(name) else (lambda text: text == name)
        deadline = time.monotonic() + STEP_SECONDS
        while True:
            node = self.find(role, matches, window)
            if node is not None and (node.enabled or not enabled):
                return node
            if time.monotonic() > deadline:
                seen = sorted({f"{n.role} {n.name!r}" for n in self.nodes()})[:80]
                raise AssertionError(
                    f"timed out after {STEP_SECONDS:.0f} s waiting for {what or name}; "
                    f"on screen: {seen}"
                )
            time.sleep(POLL_SECONDS)

    def shows(self, role: str, name: str, window: str = "") -> bool:
        return self.find(role, lambda text: text == name, window) is not None

    def click(self, node: Node, button: int = 1) -> None:
        x, y = node.middle
        self.click_at(x, y, button)

    def click_at(self, x: int, y: int, button: int = 1) -> None:
        self.desktop.run("xdotool", "mousemove", "--sync", str(x), str(y))
        self.desktop.run("xdotool", "click", str(button))

    def click_until(self, node: Node, done: Callable[[], bool], what: str) -> None:
        """Click, then wait for the effect; click again only if a busy machine lost it
        (a window that was not yet mapped, a menu still opening)."""
        deadline = time.monotonic() + STEP_SECONDS
        target: Node | None = node
        while True:
            if target is not None:
                self.click(target)
            settle = time.monotonic() + SETTLE_SECONDS
            while time.monotonic() < settle:
                if done():
                    return
                time.sleep(POLL_SECONDS)
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {STEP_SECONDS:.0f} s: {what}")
            # Still there and enabled: the click was lost; gone: it worked, keep waiting.
            target = self.find(node.role, lambda text: text == node.name, node.window)
            if target is not None and not target.enabled:
                target = None
