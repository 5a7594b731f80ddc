"""Files that hold a secret, a proxy password or contact data: owner-only (0600), always.

Whatever was on disk before (a stale ``.tmp`` left at 0644, a file another user
created, a symlink planted where the temporary file goes) must not make the new
content readable by anyone else. So every write goes to a fresh, unpredictable name
opened with ``O_CREAT | O_EXCL | O_NOFOLLOW`` at mode 0600 (then ``fchmod`` in case a
umask or an ACL got in the way) and is renamed over the target; a file opened for
appending (logs, databases) is ``fchmod``-ed right after it is opened.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Final

PRIVATE_MODE: Final = 0o600
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_BINARY: Final = getattr(os, "O_BINARY", 0)


def write_private(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` atomically with ``data``, readable by its owner only.

    The temporary file is a fresh name next to the target (never reused, so a stale
    world-readable one can't be picked up) and is removed if anything fails. ``durable``
    fsyncs before the rename (secrets, settings); a file rewritten every few seconds from
    the event loop (the state file) skips it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    descriptor = os.open(temporary, flags, PRIVATE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            fchmod_private(handle.fileno())
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_private_text(path: Path, text: str, *, durable: bool = True) -> None:
    write_private(path, text.encode("utf-8"), durable=durable)


def make_private(path: Path) -> None:
    """Set an existing regular file (not a symlink's target) to 0600; missing is fine."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != PRIVATE_MODE:
        os.chmod(path, PRIVATE_MODE)


def fchmod_private(descriptor: int) -> None:
    """0600 on an already open file (logs, databases opened for appending)."""
    fchmod = getattr(os, "fchmod", None)  # not on Windows, where the folder's ACLs apply
    if fchmod is not None:
        fchmod(descriptor, PRIVATE_MODE)


def open_private_append(path: Path) -> int:
    """A descriptor appending to ``path``, a regular file only its owner can read.

    Never through a symlink: one planted at ``path`` (to send the lines elsewhere and
    turn the target to 0600) is removed and a fresh file made in its place, as the state
    file's rename does; anything else that is not a regular file (a FIFO, a device) is
    refused with ``OSError``.
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _BINARY
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    for _ in range(3):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISLNK(os.lstat(path).st_mode):
                os.unlink(path)  # the link only; its target is never touched
        try:
            descriptor = os.open(path, flags, PRIVATE_MODE)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.EMLINK):
                continue  # a link planted again between the check and the open
            raise
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise OSError(errno.EINVAL, f"{path.name} is not a regular file; not written to")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        fchmod_private(descriptor)
        return descriptor
    raise OSError(errno.ELOOP, f"{path.name} keeps being replaced by a link; not written to")
