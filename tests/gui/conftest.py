"""GUI tests: offscreen Qt, a qasync loop per test, the real engine, a generated SQLite
practice database and the real sandbox server.

Tests are plain functions that run one coroutine on the qasync loop (``run_gui``): the
GUI's own tasks, Qt events and the engine all share that loop, as in the product. When
Qt can't load (a missing system library) the tests skip with the reason on a laptop and
fail when CI=true.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import pytest

from engine.api import Engine
from engine.local.config import EngineConfig
from engine.local.paths import app_paths
from engine.online.client import Credentials
from tests.sandbox_harness import RunningSandbox, running_sandbox

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

# Read by Qt when the QApplication is made (pytest-qt's qapp fixture), not at import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QT_PROBLEM: str | None = None
try:
    import PySide6.QtWidgets  # noqa: F401  (loads Qt's system libraries)
except ImportError as error:  # a missing system library (libEGL, libxkbcommon, ...)
    QT_PROBLEM = f"Qt can't be loaded: {error}"

if QT_PROBLEM is not None:
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"The GUI tests need Qt on CI. {QT_PROBLEM}")
    print(f"\nSkipping the GUI tests: {QT_PROBLEM}")
    collect_ignore_glob = ["test_*.py"]

T = TypeVar("T")

#: The longest a whole GUI scenario may take before the test fails.
SCENARIO_TIMEOUT: Final = 120.0
POLL_SECONDS: Final = 0.02


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    """The sandbox in a folder of its own, so the sandbox process's home (``online/home``)
    stays apart from the GUI's (``isolated_home``)."""
    with running_sandbox(tmp_path / "online") as running:
        yield running


def config_for(db: Path, sandbox: RunningSandbox, **overrides: Any) -> EngineConfig:
    """A quick-polling engine on ``db`` and the sandbox, writing the usual state file."""
    client_id, secret = sandbox.client_credentials("sync")
    values: dict[str, Any] = {
        "source": f"sqlite:{db}",
        "online_url": sandbox.url,
        "credentials": Credentials(client_id, secret),
        "poll_interval": 0.05,
        "max_backoff": 0.2,
        "batch_bytes": 60_000,
        "page_size": 100,
        "state_file": app_paths().state_file,
    }
    values.update(overrides)
    return EngineConfig(**values)


@pytest.fixture
def gui_config(practice_db: Path, sandbox: RunningSandbox) -> EngineConfig:
    return config_for(practice_db, sandbox)


Runner = Callable[[Callable[[], Coroutine[Any, Any, T]]], T]


@pytest.fixture
def run_gui(qapp: QApplication) -> Iterator[Runner[Any]]:
    """Run a scenario coroutine on a fresh qasync loop bound to the test's QApplication."""
    import qasync  # after PySide6, so qasync binds to it

    from gui import accessibility
    from gui.style import apply_style

    qapp.setQuitOnLastWindowClosed(False)  # as in the product: the tray outlives windows
    accessibility.install()
    apply_style(qapp)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    this_loop = weakref.ref(loop)  # run must not keep the loop alive: see free_on_gui_thread

    def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
        running = this_loop()
        assert running is not None, "the test's event loop is gone"
        return running.run_until_complete(asyncio.wait_for(scenario(), SCENARIO_TIMEOUT))

    try:
        yield run
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        free_on_gui_thread(loop._timer)
        del loop
        gc.collect()  # the rest of the loop, and any other Qt garbage: here, on the GUI thread


def free_on_gui_thread(qasync_timer: QObject) -> None:
    """Destroy the closed loop's timer object now, on the GUI thread.

    qasync's ``close()`` only flags its timer object, so the Qt timers of calls still
    pending (an ``asyncio.sleep``, a ``wait_for`` timeout) stay registered. Left to
    Python, the loop (it sits in reference cycles) is freed by the cyclic garbage
    collector in whichever thread next crosses its threshold, typically the engine's
    database worker thread in a later test's migration. Qt can't stop timers from another
    thread ("QObject::~QObject: Timers cannot be stopped from another thread"), so they
    stayed registered for a freed object and the next loop crashed delivering them
    (SIGSEGV in QCoreApplication::notifyInternal2, from QTimerInfoList::activateTimers).
    Deleting it explicitly also covers a loop that a test's leftovers keep alive.
    """
    import shiboken6

    shiboken6.delete(qasync_timer)


async def until(
    condition: Callable[[], bool], timeout: float = 60.0, what: str = "the condition"
) -> None:
    """Let the loop run (Qt events, engine tasks) until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


async def closed(engine: Engine | None, *more: Awaitable[None]) -> None:
    for waitable in more:
        await waitable
    if engine is not None:
        await engine.aclose()
