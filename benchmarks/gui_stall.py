"""The longest stall of a real Qt event loop (qasync) while the engine migrates on it.

A 10 ms QTimer records how late each tick fires; the engine runs on the same loop, as in
the wizard and the tray, with its database work in its own thread.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from contacts_migration.demo import running_sandbox
from engine.api import Engine
from engine.local.config import EngineConfig

TICK_MS = 10


def longest_stall(db: Path, workdir: Path) -> tuple[float, int]:
    """(longest lateness in seconds, ticks observed) over one migration of ``db``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    lateness: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(now - last[0] - TICK_MS / 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    online_dir = workdir / "gui-online"
    online_dir.mkdir(exist_ok=True)
    with running_sandbox(online_dir, 0) as online:

        async def migrate() -> None:
            engine = Engine(
                EngineConfig(
                    source=f"sqlite:{db}", online_url=online.url, credentials=online.credentials
                )
            )
            try:
                terms = await engine.terms()
                await engine.activate(accepted_terms=terms.version, accepted_by="Benchmark")
                last[0] = time.perf_counter()
                timer.start()
                await engine.sync_once()
                timer.stop()
            finally:
                await engine.aclose()

        with loop:
            loop.run_until_complete(migrate())
    del app
    return (max(lateness) if lateness else 0.0), len(lateness)


def run_in_child(db: Path, workdir: Path) -> tuple[float, int]:
    """In a fresh process: Qt and its loop never mix with the rest of the benchmark."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; from pathlib import Path; "
        "from benchmarks.gui_stall import longest_stall; "
        "print(json.dumps(longest_stall(Path(sys.argv[1]), Path(sys.argv[2]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), str(workdir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    stall, ticks = json.loads(done.stdout.strip().splitlines()[-1])
    return float(stall), int(ticks)
