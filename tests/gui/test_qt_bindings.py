"""PySide6-Essentials 6.12.0 drops a reference to None on every void Qt call on Python
3.11, which aborts a long-running tray; pyproject pins below it. This fails if a release
with the leak is ever installed again."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_qt_calls_keep_references_to_none() -> None:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        probe.setObjectName("probe")
    assert sys.getrefcount(None) >= before - 10
