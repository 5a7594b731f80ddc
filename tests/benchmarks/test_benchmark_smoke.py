"""The benchmark command keeps working (a small run; no timing is asserted here)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.__main__ import main


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
