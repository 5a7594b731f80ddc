"""Shared fixtures. ``isolated_home`` (every test): settings, state, logs and secrets in
the test's own folder, never the real profile. ``practice_db``: a generated SQLite
practice. ``sandbox_server``/``sandbox``: a real sandbox server on a free loopback port.

Options go in a marker or indirect parametrisation, e.g.::

    @pytest.mark.sandbox_options(token_lifetime=1, fault_rate=0.2, fault_seed=3)
    def test_x(sandbox_server): ...

``sandbox_factory`` starts several (or restarts one on the same ``data_dir``).
See tests/sandbox_harness.py for the object they return.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from engine.local.paths import HOME_ENV
from sampledata.sqlite_file import generate_reference_database
from tests.sandbox_harness import RunningSandbox, running_sandbox, start_sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox_options(**options): serve options for the sandbox_server fixture "
        "(token_lifetime, max_body, fault_rate, fault_seed, latency_ms, practice_name)",
    )


#: Fixtures that start another process or server; a test using one, even through another
#: fixture, is marked ``slow``.
SLOW_FIXTURES: Final = frozenset(
    {
        "sandbox",  # a sandbox process (also tests/sandbox/test_auth.py's own)
        "sandbox_server",
        "sandbox_factory",
        "shared_agent",  # tests/sandbox/test_batches.py: a sandbox per module
        "loaded",  # tests/sandbox/test_contacts.py: likewise
        "postgres_server",  # a PostgreSQL server (the postgresql parameter of practices)
        "bundle",  # the PyInstaller bundle (built when the sources changed)
    }
)
#: Test modules that start processes themselves or run for many seconds.
SLOW_MODULES: Final = frozenset(
    {
        "tests/benchmarks/test_benchmark_smoke.py",
        "tests/benchmarks/test_scale_smoke.py",
        "tests/engine/sync/test_concurrent_writers.py",
        "tests/engine/sync/test_crash_harness.py",
        "tests/engine/sync/test_crash_safety.py",
        "tests/engine/sources/test_hostile_data.py",
        "tests/engine/online/test_network_faults.py",
        "tests/gui/test_demo_desktop.py",
        "tests/engine/sync/test_racing_agents.py",
        "tests/gui/test_accessibility_bus.py",
        "tests/packaging/test_frozen_bundle.py",
        "tests/sandbox/test_server.py",
        # each rides out a failing service for many seconds, or waits for a heartbeat
        "tests/engine/sync/test_one_shot_retry.py",
        "tests/contacts_migration/test_flaky_service.py",
        "tests/contacts_migration/test_status_heartbeat.py",
        "tests/gui/test_wizard_retries.py",
        "tests/benchmarks/test_wan_shaper.py",
        "tests/sandbox/test_schemathesis.py",
        "tests/sandbox/test_page_browser.py",
    }
)
#: A module that imports one of these harnesses starts a real desktop (Xvfb, a window
#: manager, a tray) or a real browser: slow, whatever its name.
SLOW_HARNESSES: Final = ("tests.gui.desktop", "tests.browser_harness")
#: Single tests that run for seconds (many Hypothesis examples, waiting for expiry).
SLOW_TESTS: Final = frozenset(
    {
        "tests/engine/contract/test_canonical.py::test_fast_canonical_equals_reference",
        "tests/sandbox/test_openapi.py::test_every_documented_status_happens",
        "tests/sandbox/test_auth.py::test_tokens_expire",
        "tests/gui/test_notifications.py::test_real_edits_make_no_balloon_and_an_outage_and_recovery_one_each",
        "tests/engine/status/test_faults_and_status.py::test_oversized_batches_are_split_and_huge_contacts_set_aside",
    }
)


def _uses_a_slow_harness(path: Path, seen: dict[Path, bool]) -> bool:
    if path not in seen:
        text = path.read_text(encoding="utf-8") if path.suffix == ".py" else ""
        seen[path] = any(harness in text for harness in SLOW_HARNESSES)
    return seen[path]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests, so ``pytest -m "not slow"`` is the quick inner loop."""
    slow = pytest.mark.slow
    harnessed: dict[Path, bool] = {}
    for item in items:
        module, _, name = item.nodeid.partition("::")
        if (
            module in SLOW_MODULES
            or _uses_a_slow_harness(Path(str(item.fspath)), harnessed)
            or f"{module}::{name.partition('[')[0]}" in SLOW_TESTS
            or not SLOW_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(slow)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CONTACTS_MIGRATION_HOME in the test's folder; no client secret from the outside."""
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    monkeypatch.delenv("CONTACTS_MIGRATION_CLIENT_SECRET", raising=False)
    return home


@pytest.fixture
def practice_db(tmp_path: Path) -> Path:
    """A SQLite practice database with 300 generated contacts (seed 7)."""
    path = tmp_path / "practice.db"
    generate_reference_database(path, contacts=300, seed=7)
    return path


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    """A started sandbox without options (see ``sandbox_server`` for options)."""
    with running_sandbox(tmp_path) as running:
        yield running


#: The handlers ``engine.local.logs.setup_logging`` adds (pytest's own are subclasses).
_PROGRAM_HANDLERS = (logging.StreamHandler, logging.handlers.RotatingFileHandler)


@pytest.fixture(autouse=True)
def fresh_logging() -> Iterator[None]:
    """Every test that runs the CLI sets logging up anew. The program sets it up once
    per process, so without this a later test's warnings go to an earlier test's closed
    capture stream ("--- Logging error ---" and a traceback in that test's stderr) and
    to its deleted log folder."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) in _PROGRAM_HANDLERS:
            root.removeHandler(handler)
            handler.close()
    if hasattr(root, "_contacts_migration"):
        delattr(root, "_contacts_migration")


@pytest.fixture
def sandbox_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningSandbox]:
    """A started sandbox (subprocess); stopped with SIGTERM after the test."""
    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker("sandbox_options")
    if marker is not None:
        options.update(marker.kwargs)
    options.update(getattr(request, "param", None) or {})
    with running_sandbox(tmp_path, **options) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., RunningSandbox]]:
    """``start(data_dir=None, **options)`` -> a started sandbox; all stopped afterwards."""
    started: list[RunningSandbox] = []

    def start(data_dir: Path | None = None, **options: Any) -> RunningSandbox:
        sandbox = start_sandbox(tmp_path, data_dir=data_dir, **options)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        if sandbox.process.poll() is None:
            sandbox.stop()
