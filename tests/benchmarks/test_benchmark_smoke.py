"""The benchmark command keeps working (a small run; no timing is asserted here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.service_batch import main as service_batch_main
from benchmarks.soak import main as soak_main


def test_small_benchmark_run_writes_every_figure(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    argv = ["--contacts", "3000", "--small-contacts", "1000", "--idle-seconds", "2"]
    assert main([*argv, "--edits", "10", "--output", str(output), "--workdir", str(tmp_path)]) == 0
    text = output.read_text(encoding="utf-8")
    for figure in (
        "Initial migration",
        "against the floor",
        "Reconciliation",
        "Change latency",
        "Idle CPU",
        "Idle memory",
        "Memory after",
    ):
        assert figure in text
    assert text.count("\n|") >= 10


def test_small_kill_soak_ends_identical_and_counts_phases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A few kills of the soak (the 1,000-kill run is not in CI): identical at the end,
    the seed printed, and the kills counted per phase."""
    assert soak_main(["--kills", "6", "--contacts", "1500", "--workdir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "soak seed: " in printed
    assert "**identical**" in printed and "within" in printed
    for phase in ("migration", "sync", "reconciliation"):
        assert f" {phase} " in printed


def test_service_batch_benchmark_reports_the_service_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        service_batch_main(["--contacts", "300", "--rounds", "1", "--workdir", str(tmp_path)]) == 0
    )
    printed = capsys.readouterr().out
    assert "300 contacts in one batch (zstd)" in printed
    assert "µs a contact" in printed
