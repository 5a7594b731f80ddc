"""Attack (issue #22, 7): a symlink planted at the log file's name.

A symlink at ``logs/contacts-migration.log`` was followed: log lines went to its target
and the target's mode was changed to 0600. Now every open of the log (the first and each
rotation's, which reopen through the same call) refuses to follow a link: the link is
replaced by a fresh 0600 file, as the state file's rename replaces one, and its target
is never written or chmod-ed. Anything else that is not a regular file is refused."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from engine.local.logs import LOG_FILE_NAME, PrivateRotatingFileHandler
from tests.security.support import run_cli

ORIGINAL = "the target's own content\n"


def _target(tmp_path: Path) -> Path:
    target = tmp_path / "elsewhere.txt"
    target.write_text(ORIGINAL)
    target.chmod(0o644)
    return target


def _untouched(target: Path) -> None:
    assert target.read_text() == ORIGINAL
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_the_program_never_writes_through_a_planted_log_link(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)
    target = _target(tmp_path)
    log = home / "logs" / LOG_FILE_NAME
    log.symlink_to(target)
    result = run_cli("verify", home=home)  # not set up: it logs that, then says so
    assert "Traceback" not in result.stderr, result.stderr
    _untouched(target)
    assert not log.is_symlink() and log.is_file()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_each_rotation_reopens_without_following_a_link(tmp_path: Path) -> None:
    target = _target(tmp_path)
    base = tmp_path / LOG_FILE_NAME
    handler = PrivateRotatingFileHandler(base, maxBytes=200, backupCount=2, delay=True)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "x" * 150, None, None)
    try:
        for _ in range(4):
            if handler.stream is not None:
                handler.stream.close()
                handler.stream = None  # type: ignore[assignment]
            base.unlink(missing_ok=True)
            base.symlink_to(target)  # planted before the next open
            handler.emit(record)
            handler.doRollover()  # renames, then opens the base name again
    finally:
        handler.close()
    _untouched(target)
    assert not base.is_symlink()


def test_a_fifo_at_the_log_name_is_refused_not_waited_on(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    base = tmp_path / LOG_FILE_NAME
    os.mkfifo(base)
    reader = os.open(base, os.O_RDONLY | os.O_NONBLOCK)  # so an open for writing can't block
    try:
        with pytest.raises(OSError):
            PrivateRotatingFileHandler(base, maxBytes=200, backupCount=2)
    finally:
        os.close(reader)
