"""The ``gui`` subcommand is there without loading Qt into the rest of the CLI, and the
PySide6 reference guard does its job."""

from __future__ import annotations

import subprocess
import sys

import pytest

from contacts_migration.cli import build_parser
from gui.availability import display_problem

NO_QT_IN_CLI = (
    "import sys; from contacts_migration.cli import build_parser; build_parser(); "
    "loaded = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'gui.app'))]; "
    "print(loaded); raise SystemExit(1 if loaded else 0)"
)


def test_the_cli_registers_gui_without_importing_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", NO_QT_IN_CLI], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    args = build_parser().parse_args(["gui", "--activate", "--source", "sqlite:x.db"])
    assert args.activate and args.source == "sqlite:x.db"


def test_no_display_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    if sys.platform.startswith("linux"):
        assert "no display" in (display_problem() or "")


def test_void_qt_calls_no_longer_threaten_none() -> None:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        probe.setObjectName("x")
    assert sys.getrefcount(None) > 1000  # guarded (or never lost): far from zero
    assert sys.getrefcount(None) >= before - 1000
