"""A real X desktop for a test: Xvfb on a free display, the openbox window manager, and
optionally Debian's ``trayer`` as an XEmbed system tray. Everything is cleaned up after.

Missing programs skip the test with the reason on a laptop, and fail it when CI=true
(``scripts/setup.sh`` installs them).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

import pytest

#: How long each piece may take to come up on a busy machine.
START_TIMEOUT: Final = 60.0
STOP_TIMEOUT: Final = 10.0
POLL_SECONDS: Final = 0.05
BASE_PROGRAMS: Final = ("Xvfb", "openbox", "xprop", "xwininfo")
TRAY_PROGRAMS: Final = ("trayer", "xdotool", "import")


def need(programs: tuple[str, ...]) -> None:
    missing = [name for name in programs if shutil.which(name) is None]
    if not missing:
        return
    reason = f"a real-desktop test needs {', '.join(missing)} (bash scripts/setup.sh installs them)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_SECONDS)


@dataclass
class Desktop:
    display: str
    width: int
    height: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """The environment a program on this desktop runs with."""
        env = {key: value for key, value in os.environ.items() if key != "WAYLAND_DISPLAY"}
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb")
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # the XEmbed tray, not a D-Bus one
        return env

    def run(self, *command: str, timeout: float = 30.0) -> str:
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return done.stdout

    def start(self, *command: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.processes.append(process)
        return process

    def tree(self) -> str:
        return self.run("xwininfo", "-root", "-tree")


def _start_xvfb(width: int, height: int) -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb picks a free display itself and writes its number to ``-displayfd``."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    text = b""
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while not text.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None:
                process.kill()
                process.wait()
                raise AssertionError("Xvfb did not start (no display number in time)")
            ready, _, _ = select.select([read_end], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(read_end, 64)
                if not chunk:
                    break
                text += chunk
    finally:
        os.close(read_end)
    return process, ":" + text.decode().strip()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def real_desktop(width: int, height: int, *, tray: bool = False) -> Iterator[Desktop]:
    need(BASE_PROGRAMS + (TRAY_PROGRAMS if tray else ()))
    xvfb, display = _start_xvfb(width, height)
    desktop = Desktop(display, width, height, [xvfb])
    try:
        window_manager = [desktop.start("openbox", "--sm-disable")]

        def managed() -> bool:
            if window_manager[0].poll() is not None:  # it gave up early: start it again
                window_manager[0] = desktop.start("openbox", "--sm-disable")
            return "window id" in desktop.run("xprop", "-root", "_NET_SUPPORTING_WM_CHECK")

        wait_for(managed, "the openbox window manager")
        if tray:
            desktop.start(
                "trayer",
                "--edge",
                "bottom",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--SetDockType",
                "true",
                "--SetPartialStrut",
                "true",
            )
            wait_for(lambda: '"panel"' in desktop.tree(), "the trayer system tray")
        yield desktop
    finally:
        for process in reversed(desktop.processes):
            _stop(process)
