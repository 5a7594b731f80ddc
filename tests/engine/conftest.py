"""Fixtures for engine tests: a generated practice database and the real sandbox."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.api import Engine
from engine.config import EngineConfig
from engine.generator import generate_reference_database
from engine.online import Credentials
from engine.paths import HOME_ENV
from tests.sandbox_harness import RunningSandbox, running_sandbox


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    monkeypatch.delenv("CONTACTS_MIGRATION_CLIENT_SECRET", raising=False)
    return home


@pytest.fixture
def practice_db(tmp_path: Path) -> Path:
    path = tmp_path / "practice.db"
    generate_reference_database(path, contacts=300, seed=7)
    return path


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path) as running:
        yield running


def config_for(db: Path, sandbox: RunningSandbox, **overrides: Any) -> EngineConfig:
    client_id, secret = sandbox.client_credentials("sync")
    values: dict[str, Any] = {
        "source": f"sqlite:{db}",
        "online_url": sandbox.url,
        "credentials": Credentials(client_id, secret),
        "poll_interval": 0.05,
        "standby_poll": 0.1,
        "max_backoff": 0.2,
        "batch_bytes": 60_000,
        "page_size": 100,
    }
    values.update(overrides)
    return EngineConfig(**values)


EngineFactory = Callable[..., Engine]


@pytest.fixture
async def make_engine(practice_db: Path, sandbox: RunningSandbox) -> AsyncIterator[EngineFactory]:
    engines: list[Engine] = []

    def make(db: Path | None = None, **overrides: Any) -> Engine:
        engine = Engine(config_for(db or practice_db, sandbox, **overrides))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.aclose()


async def activate(engine: Engine) -> None:
    terms = await engine.terms()
    await engine.activate(accepted_terms=terms.version, accepted_by="Test Administrator")


def desktop(db: Path) -> sqlite3.Connection:
    """A connection as the desktop program would have one (autocommit, FKs on)."""
    connection = sqlite3.connect(db, isolation_level=None, timeout=10)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection
