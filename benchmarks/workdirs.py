"""Where a benchmark keeps its practice databases and service data while it runs."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path


def workdir(given: Path | None, prefix: str) -> Path:
    """``given`` (``--workdir``: kept afterwards, to look at), else a new temporary
    directory removed when the process exits, failed runs included: a 100,000-contact run
    leaves 200 MB-2.5 GB, and dozens of them left behind once filled this machine's disk.
    A failed run is replayed with ``--workdir`` (and the seed it printed) to keep it."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        return given
    made = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made
