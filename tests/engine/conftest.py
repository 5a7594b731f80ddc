"""Fixtures for engine tests: a generated practice database and the real sandbox.

``practice_db`` is a SQLite file, as before. ``practice`` is the same generated practice
on each kind of source the engine reads, one test run per kind: ``sqlite:`` (stdlib),
``odbc:`` through the SQLite3 ODBC driver, and ``odbc:`` PostgreSQL through psqlODBC (on
a throwaway cluster, ``postgres_server``). ``make_engine`` uses ``practice`` when the
test asks for it, else ``practice_db``. ``PracticeDb.desktop()`` writes as the desktop
program would (stdlib sqlite3 on a SQLite file, an autocommit ODBC connection on
PostgreSQL); write portable SQL there (double-quoted names, TRUE/FALSE).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Protocol

import pytest

from engine.api import Engine
from engine.local.config import EngineConfig
from engine.online.client import Credentials
from engine.sources.base import Source
from sampledata.sqlite_file import generate_reference_database
from tests.components import require_component, require_odbc_driver
from tests.postgres_harness import (
    ODBC_DRIVER as POSTGRES_ODBC_DRIVER,
    PostgresServer,
    PostgresUnavailable,
    running_postgres,
)
from tests.sandbox_harness import RunningSandbox

SQLITE_ODBC_DRIVER = "SQLite3"


class DbKind(StrEnum):
    SQLITE = "sqlite"
    SQLITE_ODBC = "sqlite-odbc"
    POSTGRESQL = "postgresql"


class Desktop(Protocol):
    """The DB-API connection a test writes through (sqlite3 or pyodbc, autocommit)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PracticeDb:
    """One generated practice database on one kind of source."""

    kind: DbKind
    #: The --source value.
    source: str
    #: The SQLite file (both SQLite kinds), else None.
    path: Path | None = None
    #: The ODBC connection string (both ODBC kinds), else None.
    connection_string: str | None = None

    def desktop(self) -> Desktop:
        """A connection as the desktop program would have one (autocommit)."""
        if self.path is not None:
            return desktop(self.path)
        import pyodbc

        assert self.connection_string is not None
        return pyodbc.connect(self.connection_string, autocommit=True, timeout=10)

    def open_source(self) -> Source:
        if self.kind is DbKind.SQLITE:
            from engine.sources.sqlite import SqliteSource

            assert self.path is not None
            return SqliteSource(self.path)
        from engine.sources.odbc import OdbcSource

        assert self.connection_string is not None
        return OdbcSource(self.connection_string)

    @property
    def allows_nul_in_text(self) -> bool:
        """PostgreSQL text can't hold U+0000; the SQLite3 ODBC driver ends text at the
        first U+0000 it reads (a driver limit: the stdlib source keeps it)."""
        return self.kind is DbKind.SQLITE

    @property
    def enforces_lengths(self) -> bool:
        """varchar(n) is checked (SQLite's TEXT has no length)."""
        return self.kind is DbKind.POSTGRESQL

    @property
    def keeps_invalid_dates(self) -> bool:
        """SQLite stores dates as text, so "31/02/1980" stays as typed."""
        return self.kind is not DbKind.POSTGRESQL


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: long end-to-end runs (run by default and in CI; -m 'not slow' skips)"
    )


class PostgresPractices:
    """Generated practices on the session's server: each (contacts, seed) is generated
    once into a template database, and every test gets a fresh copy of it."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._templates: dict[tuple[int, int], str] = {}
        self._numbers = itertools.count(1)

    def create(self, contacts: int, seed: int) -> PracticeDb:
        from sampledata.database_init import init_odbc_database

        key = (contacts, seed)
        template = self._templates.get(key)
        if template is None:
            template = self.server.create_database(f"template_{contacts}_{seed}")
            init_odbc_database(
                self.server.connection_string(template), contacts=contacts, seed=seed
            )
            self._templates[key] = template
        name = self.server.create_database(f"practice_{next(self._numbers)}", template)
        connection_string = self.server.connection_string(name)
        return PracticeDb(
            DbKind.POSTGRESQL, f"odbc:{connection_string}", connection_string=connection_string
        )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for the whole session (skipped on a laptop without one,
    a failure under CI=true)."""
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as error:
        require_component("PostgreSQL", str(error))


@pytest.fixture(scope="session")
def postgres_practices(postgres_server: PostgresServer) -> PostgresPractices:
    return PostgresPractices(postgres_server)


PracticeFactory = Callable[[int, int], PracticeDb]


#: Every kind of source; PostgreSQL starts a server, so its runs are ``slow``.
SOURCE_KINDS: Final = [
    pytest.param(kind, id=kind.value, marks=[pytest.mark.slow] if kind is DbKind.POSTGRESQL else [])
    for kind in DbKind
]


@pytest.fixture(params=SOURCE_KINDS)
def make_practice(request: pytest.FixtureRequest, tmp_path: Path) -> PracticeFactory:
    """``make(contacts, seed)`` → a generated practice on this run's kind of source."""
    kind = DbKind(request.param)
    if kind is DbKind.SQLITE_ODBC:
        require_odbc_driver(SQLITE_ODBC_DRIVER)
    postgres: PostgresPractices | None = (
        request.getfixturevalue("postgres_practices") if kind is DbKind.POSTGRESQL else None
    )
    numbers = itertools.count(1)

    def make(contacts: int, seed: int) -> PracticeDb:
        if postgres is not None:
            return postgres.create(contacts, seed)
        path = tmp_path / f"practice-{next(numbers)}.db"
        generate_reference_database(path, contacts=contacts, seed=seed)
        if kind is DbKind.SQLITE:
            return PracticeDb(kind, f"sqlite:{path}", path=path)
        connection_string = f"Driver={{{SQLITE_ODBC_DRIVER}}};Database={path}"
        return PracticeDb(
            kind, f"odbc:{connection_string}", path=path, connection_string=connection_string
        )

    return make


@pytest.fixture
def practice(make_practice: PracticeFactory) -> PracticeDb:
    """The 300-contact practice (seed 7) on each kind of source."""
    return make_practice(300, 7)


def config_for(db: Path | PracticeDb, sandbox: RunningSandbox, **overrides: Any) -> EngineConfig:
    client_id, secret = sandbox.client_credentials("sync")
    values: dict[str, Any] = {
        "source": db.source if isinstance(db, PracticeDb) else f"sqlite:{db}",
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
async def make_engine(
    request: pytest.FixtureRequest, sandbox: RunningSandbox
) -> AsyncIterator[EngineFactory]:
    engines: list[Engine] = []
    default: Path | PracticeDb = (
        request.getfixturevalue("practice")
        if "practice" in request.fixturenames
        else request.getfixturevalue("practice_db")
    )

    def make(db: Path | PracticeDb | None = None, **overrides: Any) -> Engine:
        engine = Engine(config_for(db or default, sandbox, **overrides))
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
