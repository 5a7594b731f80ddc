"""The latest status, written where other processes (a tray on another login,
``contacts-migration status``) can read it without talking to the agent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from engine.errors import SettingsError
from engine.local.private_files import write_private_text
from engine.status.model import Reason, Status, red_status
from engine.texts import NOT_RESPONDING

#: A running agent rewrites the file at least this often, so a reader can tell a
#: live status from the last words of an agent that is gone.
HEARTBEAT_SECONDS: Final = 5.0
#: Three missed heartbeats: the agent is gone or its loop is stuck.
STALE_AFTER_SECONDS: Final = 3 * HEARTBEAT_SECONDS


def write_status(path: Path, status: Status) -> None:
    """Atomic replace (a reader sees the old or the new file, never half of one), 0600:
    the reasons for contacts set aside can name them."""
    write_private_text(path, json.dumps(status.to_json(), indent=1), durable=False)


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


def current_status(path: Path, now: float) -> Status:
    """What a view on this computer should show: the agent's status, or red "not
    running or not responding" when there is none or it stopped writing (killed, hung,
    machine asleep) - never the last state a gone agent wrote."""
    status = read_status(path)
    if status is None:
        return red_status(Reason.STOPPED, updated_at=now)
    silent = now - status.updated_at
    if status.reason is not Reason.STOPPED and silent > STALE_AFTER_SECONDS:
        return red_status(  # what the gone agent knew stays; its progress does not
            Reason.STOPPED,
            message=NOT_RESPONDING.problem,
            fix=NOT_RESPONDING.fix,
            detail=f"Its last sign of life was {silent:.0f} s ago (it writes one every "
            f"{HEARTBEAT_SECONDS:g} s while running).",
            **status.facts(),
        )
    return status
