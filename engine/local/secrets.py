"""The client secret: in the OS keyring, or a 0600 file when there is no keyring.

With CONTACTS_MIGRATION_HOME set (tests, portable installs) the file in that folder is
used so nothing reaches the user's real keyring.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Final

from engine.errors import SettingsError
from engine.local.paths import AppPaths
from engine.local.private_files import write_private_text

log = logging.getLogger(__name__)

KEYRING_SERVICE: Final = "contacts-migration"
SECRET_ENV: Final = "CONTACTS_MIGRATION_CLIENT_SECRET"


class SecretStore:
    def __init__(self, paths: AppPaths) -> None:
        self._file = paths.secrets_file
        self._use_keyring = paths.portable_home is None

    def get(self, client_id: str) -> str | None:
        from_env = os.environ.get(SECRET_ENV)
        if from_env:
            return from_env
        return self.stored(client_id)

    def stored(self, client_id: str) -> str | None:
        """The keyring's or the file's secret, even when the environment overrides it."""
        if self._use_keyring:
            try:
                import keyring

                value = keyring.get_password(KEYRING_SERVICE, client_id)
                if value:
                    return str(value)
            except Exception:  # no usable keyring backend: the file is the fallback
                log.debug("keyring unavailable", exc_info=True)
        return self._read_file().get(client_id)

    def set(self, client_id: str, secret: str) -> None:
        if self._use_keyring:
            try:
                import keyring

                keyring.set_password(KEYRING_SERVICE, client_id, secret)
                return
            except Exception:
                log.info("No OS keyring available; keeping the secret in %s (0600).", self._file)
        data = self._read_file()
        data[client_id] = secret
        # A fresh 0600 temporary file (never a stale secrets.tmp) renamed over the file.
        write_private_text(self._file, json.dumps(data))

    def _read_file(self) -> dict[str, str]:
        if not self._file.exists():
            return {}
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise SettingsError(
                f"The secrets file {self._file} is unreadable.",
                "Delete it and run 'contacts-migration activate' again.",
            ) from error
        if not isinstance(data, dict):
            raise SettingsError(f"The secrets file {self._file} is not in the expected form.")
        return {str(k): str(v) for k, v in data.items()}
