"""A benchmark's temporary working directory is gone when it ends, even when it fails;
one given with ``--workdir`` is kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.workdirs import workdir

_RUN = """
import sys
from pathlib import Path
from benchmarks.workdirs import workdir
made = workdir(None, "cm-test-")
(made / "practice.db").write_bytes(b"x" * 1000)
print(made, flush=True)
if sys.argv[1] == "fail":
    raise RuntimeError("the benchmark failed")
"""


@pytest.mark.parametrize("outcome", ["pass", "fail"])
def test_a_temporary_workdir_is_removed_when_the_process_ends(outcome: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, outcome],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == (0 if outcome == "pass" else 1), done.stderr
    made = Path(done.stdout.strip())
    assert made.name.startswith("cm-test-")
    assert not made.exists()


def test_a_given_workdir_is_made_and_kept(tmp_path: Path) -> None:
    given = tmp_path / "kept" / "here"
    assert workdir(given, "cm-test-") == given
    assert given.is_dir()
