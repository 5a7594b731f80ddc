"""Where a browser sign-in's tokens live: the OS keyring (a 0600 file where there is
none, see :mod:`engine.local.secrets`), one entry per online service address; never the
settings, logs, state or diagnostics.

The GUI and the agent are two processes using one sign-in, and the service revokes the
whole sign-in when a refresh token is spent twice; so a refresh happens only under a
lock file, after re-reading what the other process may have just stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Final

from engine.local.file_lock import try_lock
from engine.local.paths import AppPaths
from engine.local.secrets import SecretStore
from engine.online.sign_in import SignInTokens

LOCK_FILE_NAME: Final = "sign-in.lock"


def _key(online_url: str) -> str:
    return f"sign-in {online_url.rstrip('/')}"


class HeldSignIn:
    """A sign-in held in memory only: the set-up's, until activation succeeds."""

    def __init__(self, tokens: SignInTokens) -> None:
        self.tokens = tokens

    def load(self) -> SignInTokens | None:
        return self.tokens

    def save(self, tokens: SignInTokens) -> None:
        self.tokens = tokens

    def try_lock(self) -> bool:
        return True

    def unlock(self) -> None:
        return None


class SavedSignIn:
    """The sign-in of this computer for one online service, kept in the secret store."""

    def __init__(self, paths: AppPaths, online_url: str) -> None:
        self._secrets = SecretStore(paths)
        self._key = _key(online_url)
        self._lock_path: Path = paths.config_dir / LOCK_FILE_NAME
        self._lock_file: IO[bytes] | None = None

    def load(self) -> SignInTokens | None:
        stored = self._secrets.stored(self._key)
        if not stored:
            return None
        try:
            return SignInTokens.from_json(json.loads(stored))
        except ValueError:
            return None

    def save(self, tokens: SignInTokens) -> None:
        self._secrets.set(self._key, json.dumps(tokens.as_json()))

    def try_lock(self) -> bool:
        """Take the refresh lock without waiting (False: another process holds it)."""
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._lock_path.open("a+b")
        if not try_lock(handle):
            handle.close()
            return False
        self._lock_file = handle
        return True

    def unlock(self) -> None:
        handle, self._lock_file = self._lock_file, None
        if handle is not None:
            handle.close()  # closing releases the lock (flock and msvcrt alike)
