"""The one table from the traffic light to how it looks and reads, used by every view,
and the label of the one button beside it (which button is the engine's decision)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine import Command, Light, Phase, Status
from gui.icons import IconName
from gui.text import tr


@dataclass(frozen=True)
class LightLook:
    icon: IconName
    #: The state in words (translated where shown).
    headline: str
    #: Text colour for the headline: dark enough to read on white.
    colour: str


LIGHT_LOOK: Final[dict[Light, LightLook]] = {
    Light.GREEN: LightLook(IconName.GREEN, "Sync is active and running normally", "#1d6b3d"),
    Light.ORANGE: LightLook(IconName.ORANGE, "Contacts are migrating (syncing)", "#8a4f0c"),
    Light.RED: LightLook(IconName.RED, "Sync is inactive", "#a12f2f"),
}

#: The button's label for each command (``Status.command`` chooses the command).
COMMAND_LABEL: Final[dict[Command, str]] = {
    Command.SYNC: "&Sync now",
    Command.RETRY: "&Retry now",
    Command.ACTIVATE: "&Activate…",
    Command.SIGN_IN: "Sign &in again…",
}

#: A catch-up this large reads as a migration; smaller ones as "Sending N changes".
LARGE_CATCH_UP: Final = 1000


def small_catch_up(status: Status) -> bool:
    """A few desktop edits being sent: not the migration restarting."""
    progress = status.progress
    return (
        status.light is Light.ORANGE
        and status.phase is Phase.CATCHING_UP
        and not status.retrying
        and (progress is None or progress.total < LARGE_CATCH_UP)
    )


def headline(status: Status) -> str:
    """The state in words: "migrating" only for the first upload and large catch-ups."""
    if small_catch_up(status):
        total = status.progress.total if status.progress is not None else 0
        if total <= 0:
            return tr("Sending changes")
        if total == 1:
            return tr("Sending 1 change")
        return tr("Sending ") + f"{total:,}" + tr(" changes")
    if status.light is Light.ORANGE and status.phase is Phase.STARTING:
        return tr("Starting")
    return tr(LIGHT_LOOK[status.light].headline)


def command_label(status: Status) -> str:
    """The label of the button beside ``status`` (translated; with its access key)."""
    return tr(COMMAND_LABEL[status.command])
