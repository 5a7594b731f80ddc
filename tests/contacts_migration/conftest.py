from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.paths import HOME_ENV
from tests.sandbox_harness import RunningSandbox, running_sandbox


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    monkeypatch.delenv("CONTACTS_MIGRATION_CLIENT_SECRET", raising=False)
    return home


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path) as running:
        yield running
