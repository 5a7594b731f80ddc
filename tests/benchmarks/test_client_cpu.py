"""``python -m benchmarks.client_cpu`` keeps working (a small run; no timing asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.client_cpu import main
from engine.local.paths import HOME_ENV


def test_the_client_cpu_benchmark_reports_stages_and_sync_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    assert main(["--contacts", "1500", "--runs", "1", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "SQLite fetch" in out and "validation" in out and "JSON" in out
    assert "sync_once, 1,500 contacts" in out
    assert "µs per contact" in out
