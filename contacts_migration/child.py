"""The command line that runs this program again as a child process.

From source or an installed wheel that is ``python -m contacts_migration``; from a
PyInstaller bundle ``sys.executable`` is the program itself and takes no ``-m``. On
Windows the bundle also has a windowed ``contacts-migration-gui.exe``, which only runs
the GUI, so children always go to the console ``contacts-migration.exe`` beside it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

CLI_NAME: Final = "contacts-migration"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def cli_executable() -> Path:
    """The console program of a frozen bundle (the one next to ``sys.executable``)."""
    suffix = ".exe" if sys.platform == "win32" else ""
    beside = Path(sys.executable).with_name(CLI_NAME + suffix)
    return beside if beside.exists() else Path(sys.executable)


def self_command(*args: str) -> list[str]:
    """``[program, *args]`` that runs ``contacts-migration ARGS`` as a child process."""
    if is_frozen():
        return [str(cli_executable()), *args]
    return [sys.executable, "-m", "contacts_migration", *args]
