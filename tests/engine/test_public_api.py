"""The engine's public surface is what ``engine/__init__.py`` exports (as httpx pins its
own): adding or removing a name is a decision, so this list changes with it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

import engine

EXPECTED: Final = frozenset(
    {
        "DatabaseCheck",
        "DatabaseProblem",
        "check_practice_database",
        "DatabaseKind",
        "PostgresAnswers",
        "PracticeDatabase",
        "SqliteAnswers",
        "SqlServerAnswers",
        "practice_database",
        # the engine and what it answers
        "Engine",
        "DESKTOP_CLIENT_ID",
        "SignInFailed",
        "SignInNeeded",
        "config_for_sign_in",
        "SignInStarted",
        "SignInTokens",
        "sign_in_with_browser",
        "EngineConfig",
        "Activation",
        "Check",
        "CheckId",
        "Status",
        "SyncState",
        "Command",
        "red_status",
        "Light",
        "Phase",
        "Reason",
        "REASON_WORDS",
        "FrontEnd",
        "words_for",
        # the words beside the light, made from a Status when shown
        "state_headline",
        "progress_label",
        "last_confirmed_line",
        "LAST_CONFIRMED_LABEL",
        "time_ago",
        "EngineEvent",
        "EventKind",
        "GaveUp",
        "RetryNotice",
        # errors
        "UserFacingError",
        "SettingsError",
        "SourceError",
        "SchemaError",
        "OnlineError",
        "PreflightFailed",
        "TermsNotAccepted",
        "visible",
        # settings, setup and where things live
        "AppPaths",
        "app_paths",
        "APP_NAME",
        "HOME_ENV",
        "engine_config",
        "config_from_flags",
        "config_from_answers",
        "read_credentials_file",
        "CredentialsFile",
        "Credentials",
        "save_setup",
        "parse_source_url",
        "DB_PASSWORD_ENV",
        "command_line_source",
        "DatabaseSource",
        "resource_path",
        "setup_logging",
        "LOG_FILE_NAME",
        # the state file other processes read
        "current_status",
        "HEARTBEAT_SECONDS",
        # words and the wire
        "CONFIRMATION",
        "AGREEMENT",
        "Terms",
        "API_PREFIX",
        "Scope",
        # support
        "diagnostics_text",
        "write_diagnostics",
    }
)
ROOT: Final = Path(__file__).resolve().parents[2]


def test_the_exports_are_the_pinned_list() -> None:
    assert len(engine.__all__) == len(set(engine.__all__)), "a name exported twice"
    added = set(engine.__all__) - EXPECTED
    removed = EXPECTED - set(engine.__all__)
    assert not added and not removed, f"added {sorted(added)}, removed {sorted(removed)}"


def test_every_export_resolves_and_is_listed_for_type_checkers() -> None:
    """The type-checking imports and the lazy map name the same modules (the two halves
    of the one list; ``__all__`` is derived from the map)."""
    for name in engine.__all__:
        assert getattr(engine, name) is not None, name
    tree = ast.parse((ROOT / "engine" / "__init__.py").read_text(encoding="utf-8"))
    typed = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine.")
        for alias in node.names
    }
    assert typed == dict(engine._EXPORTS)  # mypy sees each name's real type, from its home
    assert engine.__all__ == sorted(engine._EXPORTS)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NotAThing"):
        getattr(engine, "NotAThing")  # noqa: B009


def test_importing_the_wire_contract_loads_no_client() -> None:
    """The sandbox imports ``engine.contract.wire``: that must not drag in the engine."""
    code = (
        "import sys, engine.contract.wire; "
        "print(sorted(m for m in sys.modules"
        " if m in ('engine.api', 'engine.online.client', 'httpx')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"
