"""Builds an EngineConfig from the saved settings and secret, with flags on top."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.config import EngineConfig
from engine.contract import Scope
from engine.errors import SettingsError
from engine.network import NetworkOptions
from engine.online import Credentials
from engine.paths import AppPaths
from engine.secrets import SecretStore
from engine.settings import Settings, load_settings


@dataclass(frozen=True)
class CredentialsFile:
    url: str
    credentials: Credentials


def read_credentials_file(path: Path, scope: Scope = Scope.SYNC) -> CredentialsFile:
    """The online service's ``credentials.json`` (the sandbox writes one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        client = data["clients"][scope.value]
        return CredentialsFile(
            url=str(data["url"]),
            credentials=Credentials(str(client["client_id"]), str(client["client_secret"])),
        )
    except FileNotFoundError as error:
        raise SettingsError(f"There is no credentials file at {path}.") from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SettingsError(
            f"The credentials file {path} is not in the expected form.",
            'It must hold {"url": …, "clients": {"sync": {"client_id": …, "client_secret": …}}}.',
        ) from error


def engine_config(paths: AppPaths, settings: Settings | None = None) -> EngineConfig:
    """The saved setup of this computer; a clear error when a piece is missing."""
    settings = settings or load_settings(paths.settings_file)
    if not settings.source or not settings.online_url or not settings.client_id:
        raise SettingsError(
            "Contacts Migration is not set up on this computer.",
            "Run 'contacts-migration activate' (or start it from Maintenance > Online).",
        )
    secret = SecretStore(paths).get(settings.client_id)
    if not secret:
        raise SettingsError(
            f"The client secret for {settings.client_id} is not stored on this computer.",
            "Run 'contacts-migration activate' again, or set CONTACTS_MIGRATION_CLIENT_SECRET.",
        )
    return EngineConfig(
        source=settings.source,
        online_url=settings.online_url,
        credentials=Credentials(settings.client_id, secret),
        mapping_file=Path(settings.mapping_file) if settings.mapping_file else None,
        poll_interval=settings.poll_interval_seconds,
        reconcile_interval=settings.reconcile_interval_seconds,
        liveness_interval=settings.liveness_interval_seconds,
        batch_bytes=settings.batch_bytes,
        page_size=settings.page_size,
        retry_for=settings.retry_for_seconds,
        max_backoff=settings.max_backoff_seconds,
        network=network_options(settings),
        state_file=paths.state_file,
    )


def network_options(settings: Settings) -> NetworkOptions:
    """The ``[online] proxy`` and ``ca_file`` settings as the online client takes them."""
    return NetworkOptions(
        proxy=settings.proxy,
        ca_file=Path(settings.ca_file).expanduser() if settings.ca_file else None,
    )
