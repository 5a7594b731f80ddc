"""Can a window be shown here? Asked before the GUI starts, without importing Qt into
this process (Qt aborts the process when it can't reach a display)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Final

DISPLAY_VARIABLES: Final = ("DISPLAY", "WAYLAND_DISPLAY")
PLATFORM_VARIABLE: Final = "QT_QPA_PLATFORM"
PROBE_TIMEOUT_SECONDS: Final = 20.0
PROBE: Final = (
    "from PySide6.QtWidgets import QApplication; import sys; "
    "app = QApplication(sys.argv[:1]); print(app.platformName())"
)


def display_problem() -> str | None:
    """None when the GUI can start; otherwise why not, in plain words."""
    needs_display = sys.platform.startswith("linux") or sys.platform.startswith("freebsd")
    if (
        needs_display
        and not os.environ.get(PLATFORM_VARIABLE)
        and not any(os.environ.get(name) for name in DISPLAY_VARIABLES)
    ):
        return "there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    try:
        probe = subprocess.run(
            [sys.executable, "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the window system did not answer ({error})"
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return f"Qt could not open a window ({last})"
    return None
