"""Builds an EngineConfig from the saved settings and secret, with flags on top."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from engine.contract.wire import DESKTOP_CLIENT_ID, Scope
from engine.errors import SettingsError, UserFacingError
from engine.local.config import EngineConfig
from engine.local.paths import AppPaths
from engine.local.secrets import SecretStore
from engine.local.settings import Settings, load_settings, updated
from engine.local.sign_in_store import HeldSignIn, SavedSignIn
from engine.local.source_url import parse_source_url
from engine.online.client import Credentials
from engine.online.network import NetworkOptions
from engine.online.service_url import require_secure_service_url
from engine.online.sign_in import SignInTokens


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


def stored_source_password(paths: AppPaths, source: str) -> str | None:
    """A SQL login's password for this source, kept in the keyring at activation."""
    if not source.lower().startswith("odbc:"):
        return None
    from engine.sources.practice_database import password_key

    return SecretStore(paths).stored(password_key(source))


def engine_config(paths: AppPaths, settings: Settings | None = None) -> EngineConfig:
    """The saved setup of this computer; a clear error when a piece is missing."""
    settings = settings or load_settings(paths.settings_file)
    if not settings.source or not settings.online_url or not settings.client_id:
        raise SettingsError(
            "Contacts Migration is not set up on this computer.",
            "Run 'contacts-migration activate' (or start it from Maintenance > Online).",
        )
    if settings.client_id == DESKTOP_CLIENT_ID:  # a person's browser sign-in, no secret
        credentials = Credentials(DESKTOP_CLIENT_ID, "", SavedSignIn(paths, settings.online_url))
        return _config(paths, settings, credentials)
    secret = SecretStore(paths).get(settings.client_id)
    if not secret:
        raise SettingsError(
            f"The client secret for {settings.client_id} is not stored on this computer.",
            "Run 'contacts-migration activate' again, or set CONTACTS_MIGRATION_CLIENT_SECRET.",
        )
    return _config(paths, settings, Credentials(settings.client_id, secret))


def _config(paths: AppPaths, settings: Settings, credentials: Credentials) -> EngineConfig:
    assert settings.source and settings.online_url
    return EngineConfig(
        source=settings.source,
        online_url=settings.online_url,
        credentials=credentials,
        source_password=stored_source_password(paths, settings.source),
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


def config_from_flags(
    paths: AppPaths,
    source: str,
    *,
    online_url: str | None = None,
    credentials_file: Path | None = None,
    client_id: str | None = None,
    mapping_file: Path | None = None,
    ask_secret: Callable[[str], str | None] | None = None,
) -> EngineConfig:
    """An EngineConfig from a front end's flags (``--source``, ``--credentials`` or
    ``--online`` with ``--client-id``, ``--mapping``), the rest from the saved settings.

    Checked before anything is asked or sent: the source URL's form and an https service
    address. ``ask_secret`` (a terminal prompt) is tried when no secret is stored for
    ``client_id``; without it the person is told to pass a credentials file instead.
    """
    parse_source_url(source)
    if credentials_file is not None:
        found = read_credentials_file(credentials_file)
        url, credentials = online_url or found.url, found.credentials
    elif client_id:
        if not online_url:
            raise UserFacingError("--online is needed with --client-id.")
        secret = SecretStore(paths).get(client_id)
        if not secret and ask_secret is not None:
            secret = ask_secret(client_id)
        if not secret:
            raise SettingsError(
                f"No client secret for {client_id}.",
                "Set CONTACTS_MIGRATION_CLIENT_SECRET or run this on a terminal to type it."
                if ask_secret is not None
                else "Set CONTACTS_MIGRATION_CLIENT_SECRET, or pass --credentials.",
            )
        url, credentials = online_url, Credentials(client_id, secret)
    else:
        raise UserFacingError(
            "--source needs --credentials, or --online with --client-id.",
            "Say where the online service is and which client the practice uses.",
        )
    require_secure_service_url(url)
    settings = load_settings(paths.settings_file)
    return EngineConfig(
        source=source,
        online_url=url,
        credentials=credentials,
        mapping_file=mapping_file,
        state_file=paths.state_file,
        network=network_options(settings),
        retry_for=settings.retry_for_seconds,
        max_backoff=settings.max_backoff_seconds,
    )


def config_from_answers(
    paths: AppPaths,
    *,
    source: str,
    online_url: str,
    client_id: str = "",
    client_secret: str = "",
    sign_in: SignInTokens | None = None,
) -> EngineConfig:
    """An EngineConfig from the GUI's set-up answers, through the same checks as the
    saved setup (the source URL's form, the settings). Online: a browser ``sign_in``
    (held in memory), or IT's client id and secret (in the configuration only): nothing
    is saved until the activation succeeds (``save_setup`` keeps them then). Raises
    UserFacingError with the engine's words when an answer is not usable."""
    parse_source_url(source)
    settings = updated(
        load_settings(paths.settings_file),
        source=source,
        online_url=online_url,
        client_id=DESKTOP_CLIENT_ID if sign_in is not None else client_id,
    )
    if sign_in is not None:
        require_secure_service_url(online_url)
        return _config(paths, settings, Credentials(DESKTOP_CLIENT_ID, "", HeldSignIn(sign_in)))
    if not online_url or not client_id or not client_secret:
        raise SettingsError(
            "The online practice's address, client id and client secret are all needed.",
            "Fill them in, or sign in in the browser instead.",
        )
    require_secure_service_url(online_url)
    return _config(paths, settings, Credentials(client_id, client_secret))


def config_for_sign_in(
    paths: AppPaths, source: str, online_url: str, tokens: SignInTokens, mapping_file: Path | None
) -> EngineConfig:
    """The CLI's ``activate``/``sign-in``: like :func:`config_from_flags`, signed in."""
    config = config_from_answers(paths, source=source, online_url=online_url, sign_in=tokens)
    return replace(config, mapping_file=mapping_file)
