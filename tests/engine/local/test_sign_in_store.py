"""Where a browser sign-in is kept: the secret store (here the 0600 file, as under
CONTACTS_MIGRATION_HOME), one entry per service, and one refresh at a time across
processes (the GUI and the agent share one sign-in)."""

from __future__ import annotations

import stat

from engine.local.paths import app_paths
from engine.local.sign_in_store import HeldSignIn, SavedSignIn
from engine.online.sign_in import SignInTokens

TOKENS = SignInTokens("access-1", 123.0, "refresh-1", "login@practice.example")


def test_a_sign_in_is_kept_privately_per_service_and_read_back() -> None:
    paths = app_paths()
    paths.ensure()
    kept = SavedSignIn(paths, "https://one.example/")
    assert kept.load() is None
    kept.save(TOKENS)
    assert SavedSignIn(paths, "https://one.example").load() == TOKENS  # same service
    assert SavedSignIn(paths, "https://two.example").load() is None
    assert stat.S_IMODE(paths.secrets_file.stat().st_mode) == 0o600
    assert "refresh-1" not in repr(TOKENS) and "access-1" not in repr(TOKENS)
    assert not paths.settings_file.exists() or "refresh-1" not in paths.settings_file.read_text()


def test_one_refresh_at_a_time_across_holders() -> None:
    paths = app_paths()
    paths.ensure()
    gui, agent = (
        SavedSignIn(paths, "https://one.example"),
        SavedSignIn(paths, "https://one.example"),
    )
    assert gui.try_lock()
    assert not agent.try_lock()  # a second open of the lock file: as another process would
    gui.unlock()
    assert agent.try_lock()
    agent.unlock()


def test_a_held_sign_in_stays_in_memory() -> None:
    held = HeldSignIn(TOKENS)
    assert held.try_lock() and held.load() == TOKENS
    newer = SignInTokens("access-2", 456.0, "refresh-2", TOKENS.email)
    held.save(newer)
    assert held.load() == newer
    assert not app_paths().secrets_file.exists()
