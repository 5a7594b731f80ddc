"""The document CPU benchmark keeps working on a small set (no timing is asserted here),
and on it no document's hash or wire bytes differ from the reference canonical form."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.document_cpu import main


def test_small_document_cpu_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--contacts", "300", "--workdir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "documents whose hash or bytes differ from the reference: 0" in lines
    assert sum("µs per contact" in line for line in lines) == 3
