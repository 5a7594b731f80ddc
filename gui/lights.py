"""The one table from the traffic light to how it looks and reads, used by every view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine.status import Light
from gui.icons import IconName


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
