"""Where settings, machine state, logs and secrets live.

Kept apart under platformdirs; ``CONTACTS_MIGRATION_HOME`` moves all of them into one
folder (tests, portable installs) so nothing leaks into the user's real profile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import platformdirs

APP_NAME: Final = "contacts-migration"
APP_AUTHOR: Final = "ContactsMigration"
HOME_ENV: Final = "CONTACTS_MIGRATION_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    state_dir: Path
    log_dir: Path
    data_dir: Path
    #: Set when CONTACTS_MIGRATION_HOME is in force; secrets then go to a 0600 file in it.
    portable_home: Path | None

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def secrets_file(self) -> Path:
        return self.config_dir / "secrets.json"

    def ensure(self) -> None:
        for folder in (self.config_dir, self.state_dir, self.log_dir, self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)


def app_paths() -> AppPaths:
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(
            config_dir=root / "config",
            state_dir=root / "state",
            log_dir=root / "logs",
            data_dir=root / "data",
            portable_home=root,
        )
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        state_dir=Path(platformdirs.user_state_dir(APP_NAME, APP_AUTHOR)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        portable_home=None,
    )
