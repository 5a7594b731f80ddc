"""The one table from the traffic light to how it looks and reads, used by every view,
and the label of the one button beside it (which button is the engine's decision)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine import Command, Light, Status, SyncState, state_headline
from gui.icons import IconName
from gui.text import tr


@dataclass(frozen=True)
class LightLook:
    icon: IconName
    #: The light in words: its accessible name, and the title of a balloon about it.
    headline: str
    #: Text colour for the headline: dark enough to read on white.
    colour: str


LIGHT_LOOK: Final[dict[Light, LightLook]] = {
    Light.GREEN: LightLook(IconName.GREEN, "Sync is active and running normally", "#1d6b3d"),
    Light.ORANGE: LightLook(IconName.ORANGE, "Sync is busy", "#8a4f0c"),
    Light.RED: LightLook(IconName.RED, "Sync is inactive", "#a12f2f"),
}

#: The button's label for each command (``Status.command`` chooses the command).
COMMAND_LABEL: Final[dict[Command, str]] = {
    Command.SYNC: "&Sync now",
    Command.RETRY: "&Retry now",
    Command.ACTIVATE: "&Activate…",
    Command.SIGN_IN: "Sign &in again…",
}

#: A catch-up this large gets a progress bar (labelled); smaller ones only "Sending N changes".
LARGE_CATCH_UP: Final = 1000


def small_catch_up(status: Status) -> bool:
    """A few desktop edits being sent: no progress bar, as if the migration restarted."""
    progress = status.progress
    return status.state is SyncState.SENDING and (
        progress is None or progress.total < LARGE_CATCH_UP
    )


def headline(status: Status) -> str:
    """The state in words, made from ``status`` now (the engine's one wording)."""
    return state_headline(status)


def command_label(status: Status) -> str:
    """The label of the button beside ``status`` (with its access key)."""
    return tr(COMMAND_LABEL[status.command])
