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
        DB_PASSWORD_ENV as DB_PASSWORD_ENV,
        DatabaseSource as DatabaseSource,
        command_line_source as command_line_source,
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
    from engine.sources.database_check import (
        DatabaseCheck as DatabaseCheck,
        DatabaseProblem as DatabaseProblem,
        check_practice_database as check_practice_database,
    )
    from engine.sources.practice_database import (
        DatabaseKind as DatabaseKind,
        PostgresAnswers as PostgresAnswers,
        PracticeDatabase as PracticeDatabase,
        SqliteAnswers as SqliteAnswers,
        SqlServerAnswers as SqlServerAnswers,
        practice_database as practice_database,
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
    from engine.status.untrusted import (
        visible as visible,
    )
    from engine.status.wording import (
        LAST_CONFIRMED_LABEL as LAST_CONFIRMED_LABEL,
        last_confirmed_line as last_confirmed_line,
        progress_label as progress_label,
        state_headline as state_headline,
        time_ago as time_ago,
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
        words_for as words_for,
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
    "visible": "engine.status.untrusted",
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
    "DatabaseCheck": "engine.sources.database_check",
    "DatabaseProblem": "engine.sources.database_check",
    "check_practice_database": "engine.sources.database_check",
    "DatabaseKind": "engine.sources.practice_database",
    "PostgresAnswers": "engine.sources.practice_database",
    "PracticeDatabase": "engine.sources.practice_database",
    "SqliteAnswers": "engine.sources.practice_database",
    "SqlServerAnswers": "engine.sources.practice_database",
    "practice_database": "engine.sources.practice_database",
    "DB_PASSWORD_ENV": "engine.local.source_url",
    "DatabaseSource": "engine.local.source_url",
    "command_line_source": "engine.local.source_url",
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
    "words_for": "engine.texts",
    "LAST_CONFIRMED_LABEL": "engine.status.wording",
    "last_confirmed_line": "engine.status.wording",
    "progress_label": "engine.status.wording",
    "state_headline": "engine.status.wording",
    "time_ago": "engine.status.wording",
    "DESKTOP_CLIENT_ID": "engine.contract.wire",
    "SignInFailed": "engine.errors",
    "SignInNeeded": "engine.errors",
    "config_for_sign_in": "engine.local.profile",
    "SignInStarted": "engine.online.sign_in",
    "SignInTokens": "engine.online.sign_in",
    "sign_in_with_browser": "engine.online.sign_in",
}

#: The public surface: every name of the map above (pinned by tests/engine/test_public_api.py,
#: which also checks the type-checking imports name the same modules).
__all__ = sorted(_EXPORTS)


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
