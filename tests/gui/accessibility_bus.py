"""The real Linux accessibility bus for a test: a private D-Bus session
(``dbus-launch``), the AT-SPI bus on it (``at-spi-bus-launcher``), accessibility switched
on, and a reader of the bus (tests/gui/atspi_probe.py, run by the system ``python3``
that has ``pyatspi``). Everything is stopped afterwards.

Missing pieces skip the test with the reason on a laptop and fail it under CI=true
(``scripts/setup.sh`` installs ``at-spi2-core``, ``python3-pyatspi`` and ``dbus-x11``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from tests.components import require_component
from tests.gui.desktop import Desktop

BUS_LAUNCHER_PATHS: Final = (
    "/usr/libexec/at-spi-bus-launcher",
    "/usr/lib/at-spi2-core/at-spi-bus-launcher",
)
SYSTEM_PYTHON: Final = "/usr/bin/python3"
PROBE: Final = Path(__file__).with_name("atspi_probe.py")
#: A busy machine may take this long to start a bus or to answer one tree walk.
START_TIMEOUT: Final = 60.0
PROBE_TIMEOUT: Final = 60.0
POLL_SECONDS: Final = 0.2
#: Qt's switches: accessibility on, and on even when no screen reader says it is there.
QT_ACCESSIBILITY_ENV: Final = {"QT_ACCESSIBILITY": "1", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1"}


def bus_launcher() -> str:
    for path in BUS_LAUNCHER_PATHS:
        if os.access(path, os.X_OK):
            return path
    require_component("at-spi-bus-launcher", "install at-spi2-core (bash scripts/setup.sh)")


def require_bus_programs() -> str:
    """The bus launcher's path; skips (laptop) or fails (CI) when a piece is missing."""
    if shutil.which("dbus-launch") is None:
        require_component("dbus-launch", "install dbus-x11 (bash scripts/setup.sh)")
    launcher = bus_launcher()
    found = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        require_component("pyatspi", "install python3-pyatspi (bash scripts/setup.sh)")
    return launcher


@dataclass
class AccessibilityBus:
    app_name: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    daemon_pid: int | None = None
    #: The last tree read, kept here for a failing test's report.
    last_tree_file: Path | None = None

    def tree(self) -> list[dict[str, Any]]:
        """The showing accessible objects of the program, as a screen reader sees them."""
        done = subprocess.run(
            [SYSTEM_PYTHON, str(PROBE), "tree", self.app_name],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            return []  # an object vanished mid-walk (a window closing): look again
        try:
            found: list[dict[str, Any]] = json.loads(done.stdout or "[]")
        except json.JSONDecodeError:
            return []
        if self.last_tree_file is not None:
            self.last_tree_file.write_text(json.dumps(found, indent=1))
        return found

    def wait_for_tree(
        self,
        condition: Callable[[list[dict[str, Any]]], bool],
        what: str,
        timeout: float = START_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Walk the tree until ``condition`` holds on it; the tree that satisfied it."""
        deadline = time.monotonic() + timeout
        last: list[dict[str, Any]] = []
        while True:
            last = self.tree()
            if condition(last):
                return last
            if time.monotonic() > deadline:
                marks = ("focused", "active", "sensitive")
                names = [
                    (item["role"], item["name"], [s for s in item["states"] if s in marks])
                    for item in last
                ][:80]
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}: {names}")
            time.sleep(POLL_SECONDS)

    @contextmanager
    def listening(self, log: Path) -> Iterator[Callable[[], list[dict[str, Any]]]]:
        """Record announcements while the block runs; yields a reader of those so far."""
        with log.open("wb") as out:
            listener = subprocess.Popen(
                [SYSTEM_PYTHON, str(PROBE), "listen", self.app_name],
                env=self.env,
                stdout=out,
                stderr=subprocess.DEVNULL,
            )

        def events() -> list[dict[str, Any]]:
            lines = log.read_text(errors="replace").splitlines()
            return [json.loads(line) for line in lines if line.strip().startswith("{")]

        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not any(event["type"] == "listening" for event in events()):
                if listener.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the AT-SPI listener did not start")
                time.sleep(POLL_SECONDS)
            yield events
        finally:
            _stop(listener)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def accessibility_bus(desktop: Desktop, app_name: str) -> Iterator[AccessibilityBus]:
    """A D-Bus session with the AT-SPI bus on ``desktop``; ``env`` runs a program on both
    with Qt's accessibility on."""
    launcher = require_bus_programs()
    env = desktop.env
    launched = subprocess.run(
        ["dbus-launch", "--sh-syntax"],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=True,
    )
    variables: dict[str, str] = {}
    for line in launched.stdout.splitlines():
        if "=" in line and line.startswith("DBUS_"):
            key, _, value = line.partition("=")
            variables[key] = value.rstrip(";").strip("'\"")
    env.update(variables)
    env.update(QT_ACCESSIBILITY_ENV)
    env["NO_AT_BRIDGE"] = "0"
    daemon_pid = (
        int(variables["DBUS_SESSION_BUS_PID"]) if "DBUS_SESSION_BUS_PID" in variables else None
    )
    bus = AccessibilityBus(app_name, env, daemon_pid=daemon_pid)
    try:
        bus.processes.append(
            subprocess.Popen(
                [launcher, "--launch-immediately"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

        def enabled() -> bool:
            done = subprocess.run(
                [
                    "dbus-send",
                    "--session",
                    "--print-reply",
                    "--dest=org.a11y.Bus",
                    "/org/a11y/bus",
                    "org.freedesktop.DBus.Properties.Set",
                    "string:org.a11y.Status",
                    "string:IsEnabled",
                    "variant:boolean:true",
                ],
                env=env,
                capture_output=True,
                timeout=START_TIMEOUT,
                check=False,
            )
            return done.returncode == 0

        deadline = time.monotonic() + START_TIMEOUT
        while not enabled():
            if time.monotonic() > deadline:
                raise AssertionError("the AT-SPI bus did not come up")
            time.sleep(POLL_SECONDS)
        yield bus
    finally:
        for process in reversed(bus.processes):
            _stop(process)
        if bus.daemon_pid is not None:
            with suppress(ProcessLookupError):  # the session's dbus-daemon, started above
                os.kill(bus.daemon_pid, signal.SIGTERM)
