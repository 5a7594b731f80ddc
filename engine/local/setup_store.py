"""Saving this computer's setup after an activation, the same way from the CLI and the GUI.

The settings file gets the source, online address, client id and mapping file; the
client secret, a browser sign-in's tokens and a SQL login's database password go to
the secret store (OS keyring, or a 0600 file), never the settings.
"""

from __future__ import annotations

from engine.local.config import EngineConfig
from engine.local.paths import AppPaths
from engine.local.secrets import SecretStore
from engine.local.settings import load_settings, save_settings, updated
from engine.local.sign_in_store import SavedSignIn
from engine.sources.practice_database import password_key


def save_setup(paths: AppPaths, config: EngineConfig) -> None:
    """Remember what was activated so ``run``, ``status`` and the tray find it again."""
    settings = updated(
        load_settings(paths.settings_file),
        source=config.source,
        online_url=config.online_url,
        client_id=config.credentials.client_id,
        mapping_file=str(config.mapping_file) if config.mapping_file else None,
    )
    save_settings(paths.settings_file, settings)
    secrets = SecretStore(paths)
    if config.source_password:
        secrets.set(password_key(config.source), config.source_password)
    keeper = config.credentials.sign_in
    if keeper is not None:  # the sign-in held since the browser came back, kept now
        tokens = keeper.load()
        if tokens is not None:
            SavedSignIn(paths, config.online_url).save(tokens)
        return
    secrets.set(config.credentials.client_id, config.credentials.client_secret)
