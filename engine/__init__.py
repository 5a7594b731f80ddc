"""The sync engine: reads the practice database, uploads contacts, keeps them in sync.

Imports no Qt. Front ends (the CLI, the GUI) use what this package exports: ``from engine
import Engine, Status``. ``__all__`` is the public surface, pinned by
``tests/engine/test_public_api.py``; anything else is the engine's own business.

The names load lazily (PEP 562), so importing one part (the sandbox takes only
``engine.contract.wire``) never loads the rest, and no import goes round in a circle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from engine.api import (
        Activation as Activation,
        Check as Check,
        CheckId as CheckId,
        Engine as Engine,
    )
    from engine.contract.wire import (
        API_PREFIX as API_PREFIX,
        DESKTOP_CLIENT_ID as DESKTOP_CLIENT_ID,
        Scope as Scope,
    )
    from engine.diagnostics.collect import (
        diagnostics_text as diagnostics_text,
        write_diagnostics as write_diagnostics,
    )
    from engine.errors import (
        GaveUp as GaveUp,
        OnlineError as OnlineError,
        PreflightFailed as PreflightFailed,
        SchemaError as SchemaError,
        SettingsError as SettingsError,
        SignInFailed as SignInFailed,
        SignInNeeded as SignInNeeded,
        SourceError as SourceError,
        TermsNotAccepted as TermsNotAccepted,
        UserFacingError as UserFacingError,
    )
    from engine.local.config import (
        EngineConfig as EngineConfig,
    )
    from engine.local.logs import (
        LOG_FILE_NAME as LOG_FILE_NAME,
        setup_logging as setup_logging,
    )
    from engine.local.paths import (
        APP_NAME as APP_NAME,
        HOME_ENV as HOME_ENV,
        AppPaths as AppPaths,
        app_paths as app_paths,
    )
    from engine.local.profile import (
        CredentialsFile as CredentialsFile,
        config_for_sign_in as config_for_sign_in,
        config_from_answers as config_from_answers,
        config_from_flags as config_from_flags,
        engine_config as engine_config,
        read_credentials_file as read_credentials_file,
    )
    from engine.local.resources import (
        resource_path as resource_path,
    )
    from engine.local.setup_store import (
        save_setup as save_setup,
    )
    from engine.local.source_url import (
        parse_source_url as parse_source_url,
    )
    from engine.online.client import (
        Credentials as Credentials,
        Terms as Terms,
    )
    from engine.online.sign_in import (
        SignInStarted as SignInStarted,
        SignInTokens as SignInTokens,
        sign_in_with_browser as sign_in_with_browser,
    )
    from engine.status.events import (
        EngineEvent as EngineEvent,
        EventKind as EventKind,
    )
    from engine.status.model import (
        Command as Command,
        Light as Light,
        Phase as Phase,
        Status as Status,
        SyncState as SyncState,
        red_status as red_status,
    )
    from engine.status.state_file import (
        HEARTBEAT_SECONDS as HEARTBEAT_SECONDS,
        current_status as current_status,
    )
    from engine.sync.retry import (
        RetryNotice as RetryNotice,
    )
    from engine.texts import (
        AGREEMENT as AGREEMENT,
        CONFIRMATION as CONFIRMATION,
        REASON_WORDS as REASON_WORDS,
        FrontEnd as FrontEnd,
        Reason as Reason,
    )

#: Each exported name → the module that defines it.
_EXPORTS: Final[dict[str, str]] = {
    "Activation": "engine.api",
    "Check": "engine.api",
    "CheckId": "engine.api",
    "Engine": "engine.api",
    "PreflightFailed": "engine.errors",
    "TermsNotAccepted": "engine.errors",
    "EngineConfig": "engine.local.config",
    "API_PREFIX": "engine.contract.wire",
    "Scope": "engine.contract.wire",
    "diagnostics_text": "engine.diagnostics.collect",
    "write_diagnostics": "engine.diagnostics.collect",
    "OnlineError": "engine.errors",
    "SchemaError": "engine.errors",
    "SettingsError": "engine.errors",
    "SourceError": "engine.errors",
    "UserFacingError": "engine.errors",
    "EngineEvent": "engine.status.events",
    "EventKind": "engine.status.events",
    "LOG_FILE_NAME": "engine.local.logs",
    "setup_logging": "engine.local.logs",
    "Credentials": "engine.online.client",
    "Terms": "engine.online.client",
    "APP_NAME": "engine.local.paths",
    "HOME_ENV": "engine.local.paths",
    "AppPaths": "engine.local.paths",
    "app_paths": "engine.local.paths",
    "CredentialsFile": "engine.local.profile",
    "config_from_answers": "engine.local.profile",
    "config_from_flags": "engine.local.profile",
    "engine_config": "engine.local.profile",
    "read_credentials_file": "engine.local.profile",
    "resource_path": "engine.local.resources",
    "GaveUp": "engine.errors",
    "RetryNotice": "engine.sync.retry",
    "save_setup": "engine.local.setup_store",
    "parse_source_url": "engine.local.source_url",
    "HEARTBEAT_SECONDS": "engine.status.state_file",
    "current_status": "engine.status.state_file",
    "Command": "engine.status.model",
    "Light": "engine.status.model",
    "Phase": "engine.status.model",
    "Status": "engine.status.model",
    "SyncState": "engine.status.model",
    "red_status": "engine.status.model",
    "AGREEMENT": "engine.texts",
    "CONFIRMATION": "engine.texts",
    "REASON_WORDS": "engine.texts",
    "FrontEnd": "engine.texts",
    "Reason": "engine.texts",
    "DESKTOP_CLIENT_ID": "engine.contract.wire",
    "SignInFailed": "engine.errors",
    "SignInNeeded": "engine.errors",
    "config_for_sign_in": "engine.local.profile",
    "SignInStarted": "engine.online.sign_in",
    "SignInTokens": "engine.online.sign_in",
    "sign_in_with_browser": "engine.online.sign_in",
}

__all__ = [
    "AGREEMENT",
    "API_PREFIX",
    "APP_NAME",
    "CONFIRMATION",
    "DESKTOP_CLIENT_ID",
    "HEARTBEAT_SECONDS",
    "HOME_ENV",
    "LOG_FILE_NAME",
    "REASON_WORDS",
    "Activation",
    "AppPaths",
    "Check",
    "CheckId",
    "Command",
    "Credentials",
    "CredentialsFile",
    "Engine",
    "EngineConfig",
    "EngineEvent",
    "EventKind",
    "FrontEnd",
    "GaveUp",
    "Light",
    "OnlineError",
    "Phase",
    "PreflightFailed",
    "Reason",
    "RetryNotice",
    "SchemaError",
    "Scope",
    "SettingsError",
    "SignInFailed",
    "SignInNeeded",
    "SignInStarted",
    "SignInTokens",
    "SourceError",
    "Status",
    "SyncState",
    "Terms",
    "TermsNotAccepted",
    "UserFacingError",
    "app_paths",
    "config_for_sign_in",
    "config_from_answers",
    "config_from_flags",
    "current_status",
    "diagnostics_text",
    "engine_config",
    "parse_source_url",
    "read_credentials_file",
    "red_status",
    "resource_path",
    "save_setup",
    "setup_logging",
    "sign_in_with_browser",
    "write_diagnostics",
]


def __getattr__(name: str) -> Any:
    """Load an exported name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
