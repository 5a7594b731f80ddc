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

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.paths import HOME_ENV
from sampledata.sqlite_file import generate_reference_database
from tests.sandbox_harness import RunningSandbox, running_sandbox, start_sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox_options(**options): serve options for the sandbox_server fixture "
        "(token_lifetime, max_body, fault_rate, fault_seed, latency_ms, practice_name)",
    )


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
