"""Attack (issue #22, 5): the database password read from the process list.

``activate --source 'odbc:...;Pwd=...'`` (then the documented way) left the password in
``/proc/PID/cmdline``, which every local account can read. Now the password comes from
``CONTACTS_MIGRATION_DB_PASSWORD`` (an environment is readable by its own account only)
or a prompt (``--ask-db-password``), the docs lead with that, and a password that still
arrives in ``--source`` gets a warning naming the better way."""

from __future__ import annotations

from pathlib import Path

from engine import DB_PASSWORD_ENV, command_line_source
from engine.sources.odbc_connect import ConnectionString
from tests.security.support import ROOT, run_cli

PASSWORD = "p;ss}w0rd"
BASE = "odbc:Driver={SQLite3};Database=/nonexistent/practice.db;Uid=sync"


def _activate(source: str, home: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    result = run_cli(
        "activate",
        "--source",
        source,
        "--online",
        "https://online.example",
        "--client-id",
        "sync-1",
        *extra,
        home=home,
        env={"CONTACTS_MIGRATION_CLIENT_SECRET": "s", **(env or {})},
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout + result.stderr


def test_a_password_in_the_arguments_is_warned_about(tmp_path: Path) -> None:
    shown = _activate(BASE + ";Pwd={p;ss}}w0rd}", tmp_path / "home")
    assert "process list" in shown and DB_PASSWORD_ENV in shown, shown
    assert "w0rd" not in shown


def test_the_environment_carries_it_instead(tmp_path: Path) -> None:
    shown = _activate(BASE, tmp_path / "home", env={DB_PASSWORD_ENV: PASSWORD})
    assert "process list" not in shown and "w0rd" not in shown, shown
    found = command_line_source(BASE, environ={DB_PASSWORD_ENV: PASSWORD})
    assert found.warning is None and found.password == PASSWORD  # braces and ; survive
    assert found.source == BASE  # no password given in it: the source is left as written
    typed = command_line_source(BASE + ";PWD=old", typed_password="new", environ={})
    assert typed.password == "new"
    assert dict(ConnectionString.parse(typed.source.removeprefix("odbc:")).pairs) == dict(
        ConnectionString.parse(BASE.removeprefix("odbc:")).pairs
    )


def test_a_password_in_the_arguments_is_kept_apart_from_the_source() -> None:
    """Even the warned-about way never lands in the settings: the password is split off
    (by ODBC's brace rules) and goes where the set-up dialog's goes (the keyring)."""
    found = command_line_source(BASE + ";Pwd={p;ss}}w0rd}", environ={})
    assert found.password == PASSWORD and found.warning is not None
    assert "w0rd" not in found.source
    assert dict(ConnectionString.parse(found.source.removeprefix("odbc:")).pairs) == dict(
        ConnectionString.parse(BASE.removeprefix("odbc:")).pairs
    )


def test_asking_without_a_terminal_says_what_to_do(tmp_path: Path) -> None:
    shown = _activate(BASE, tmp_path / "home", "--ask-db-password")
    assert "needs a terminal" in shown and DB_PASSWORD_ENV in shown, shown


def test_the_docs_lead_with_the_way_that_keeps_it_out() -> None:
    for doc in ("README.md", "docs/databases.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert DB_PASSWORD_ENV in text, doc
        for line in text.splitlines():
            if "--source" in line and "odbc:" in line:
                assert "Pwd=" not in line and "Password=" not in line, (doc, line)
