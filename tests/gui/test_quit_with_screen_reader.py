"""Quitting with a screen reader listening ends the program cleanly.

Seen: with the accessibility bus on, every Quit ended in a segmentation fault (exit -11):
PySide's exit handler deleted Qt's accessibility objects after the Python objects behind
them (this program's own accessible interfaces, gui/accessibility.py). The demo test on a
desktop caught it at its Quit; this test is the short form: start the program, let a
screen reader's bus see its window, ask it to quit (Ctrl+C, as in a terminal), and
expect exit 0 and no fatal error.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Final

from tests.gui.accessibility_bus import accessibility_bus
from tests.gui.desktop import real_desktop

REPO: Final = Path(__file__).resolve().parents[2]
QUIT_SECONDS: Final = 120.0


def test_quitting_with_a_screen_reader_listening_exits_cleanly(tmp_path: Path) -> None:
    with (
        real_desktop(1280, 800, tray=True) as desktop,
        accessibility_bus(desktop, "contacts-migration") as bus,
    ):
        env = dict(bus.env, CONTACTS_MIGRATION_HOME=str(tmp_path / "home"))
        errors = tmp_path / "stderr.txt"
        with errors.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "contacts_migration", "gui"],
                env=env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        try:
            bus.wait_for_tree(
                lambda tree: any("Maintenance Map" in item["name"] for item in tree),
                "the Maintenance Map on the accessibility bus",
            )
            process.send_signal(signal.SIGINT)  # Ctrl+C: the program's own clean quit
            code = process.wait(timeout=QUIT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        said = errors.read_text(errors="replace")
        assert code == 0, said[-3000:]
        assert "Fatal Python error" not in said and "Traceback" not in said, said[-3000:]
