"""Rotating log files under the platformdirs log dir; never contact bodies or secrets."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Any, Final

from engine.local.paths import AppPaths
from engine.local.private_files import open_private_append

LOG_FILE_NAME: Final = "contacts-migration.log"
LOG_FILE_BYTES: Final = 5 * 1024 * 1024
LOG_FILE_COUNT: Final = 5


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are 0600 however they were found: a log line can name
    a contact (why it was set aside) and a colleague's login must not read it. Every
    open (the first and each rotation's) goes through :func:`open_private_append`, so a
    symlink planted at the log's name is never followed."""

    def _open(self) -> Any:
        descriptor = open_private_append(Path(self.baseFilename))
        return os.fdopen(descriptor, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(paths: AppPaths, verbose: bool = False, console: bool = True) -> None:
    root = logging.getLogger()
    if getattr(root, "_contacts_migration", False):
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        handler = PrivateRotatingFileHandler(
            paths.log_dir / LOG_FILE_NAME,
            maxBytes=LOG_FILE_BYTES,
            backupCount=LOG_FILE_COUNT,
            encoding="utf-8",
        )
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        )
        root.addHandler(handler)
    except OSError as error:  # an unwritable log folder must not stop the program
        print(f"contacts-migration: can't write logs to {paths.log_dir}: {error}", file=sys.stderr)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(logging.DEBUG if verbose else logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(stream)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._contacts_migration = True  # type: ignore[attr-defined]
