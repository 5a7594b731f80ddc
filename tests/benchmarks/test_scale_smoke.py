"""``python -m benchmarks.scale`` keeps working (a small run; no memory or time is asserted:
the figures live in benchmarks/RESULTS.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.scale import main
from engine.local.paths import HOME_ENV


def test_a_small_scale_run_reports_every_tenth_and_the_peak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    assert main(["--contacts", "1500", "--workdir", str(tmp_path)]) == 0
    report = capsys.readouterr().out
    tenths = re.findall(r"(\d+) %: \d+ MB", report)
    assert tenths == [str(10 * tenth) for tenth in range(1, 11)], report
    assert re.search(r"spread \d+ MB\); peak \d+ MB during the migration", report), report
