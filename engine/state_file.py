"""The latest status, written where other processes (a tray on another login,
``contacts-migration status``) can read it without talking to the agent."""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.errors import SettingsError
from engine.status import Status


def write_status(path: Path, status: Status) -> None:
    """Atomic replace: a reader sees the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(status.to_json(), indent=1), encoding="utf-8")
    os.replace(temporary, path)


def read_status(path: Path) -> Status | None:
    if not path.exists():
        return None
    try:
        return Status.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SettingsError(
            f"The state file {path} is damaged.",
            "It is rewritten by the running agent; delete it if it stays this way.",
        ) from error
