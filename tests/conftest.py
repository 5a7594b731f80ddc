"""Shared fixtures. ``sandbox_server``: a real sandbox server on a free loopback port.

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
from typing import Any

import pytest

from tests.sandbox_harness import RunningSandbox, running_sandbox, start_sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox_options(**options): serve options for the sandbox_server fixture "
        "(token_lifetime, max_body, fault_rate, fault_seed, latency_ms, practice_name)",
    )


#: The handlers ``engine.logs.setup_logging`` adds (pytest's own are subclasses).
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
