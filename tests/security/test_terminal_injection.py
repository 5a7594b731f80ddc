"""Attack (issue #22, 4): the service's text drives the person's terminal.

An error message from the service reached the terminal with raw ESC/BEL and newlines:
escape sequences (retitle the window, clear the screen) and fake lines ("DONE: all
contacts in sync"). Text from outside is now shown with control characters made visible,
by one engine helper (``engine.status.untrusted``) that every error, status, the CLI and the GUI's
problem text go through."""

from __future__ import annotations

import json
from pathlib import Path

from engine import Status, visible
from engine.errors import RequestRefused
from engine.status.model import Light, SetAside, SyncState
from gui.wizard_task import problem_text
from tests.security.hostile_server import hostile_server
from tests.security.support import run_cli

HOSTILE = "\x1b]0;owned\x07\x1b[2J\nDONE: all contacts in sync\r\u202eevil\u0085x"
RAW = ("\x1b", "\x07", "\n", "\r", "\u202e", "\u0085")


def _shown_raw(text: str) -> list[str]:
    return [ch for ch in RAW if ch in text]


def _answer(_: bytes) -> bytes:
    body = json.dumps({"error": "conflict", "message": HOSTILE}).encode()
    head = (
        "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def test_a_service_message_reaches_the_terminal_made_visible(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    made = run_cli(
        "init-db", "--source", f"sqlite:{tmp_path / 'x.db'}", "--contacts", "3", home=home
    )
    assert made.returncode == 0, made.stderr
    with hostile_server(_answer) as url:
        (home / "config" / "settings.toml").write_text(
            f'[source]\nurl = "sqlite:{tmp_path / "x.db"}"\n'
            f'[online]\nurl = "{url}"\nclient_id = "sync-1"\n'
        )
        result = run_cli("verify", home=home, env={"CONTACTS_MIGRATION_CLIENT_SECRET": "s"})
    shown = result.stdout + result.stderr
    assert "owned" in shown, shown  # the message is shown ...
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown, repr(shown)
    assert "\nDONE: all contacts in sync" not in shown, repr(shown)  # ... never a fake line
    assert "\\x1b]0;owned\\x07" in shown, repr(shown)  # ... with its controls visible


def test_errors_and_statuses_carry_only_visible_text() -> None:
    error = RequestRefused(409, "conflict", HOSTILE)
    status = Status(
        SyncState.INACTIVE,
        Light.RED,
        HOSTILE,
        fix=HOSTILE,
        detail=HOSTILE,
        set_aside=(SetAside(1, HOSTILE),),
    )
    for text in (error.problem, str(error), status.message, status.fix, status.detail):
        assert _shown_raw(text) == [], repr(text)
    assert _shown_raw(status.set_aside[0].reason) == []


def test_the_gui_problem_text_is_visible_too() -> None:
    shown = problem_text(HOSTILE, HOSTILE)
    assert shown.count("\n") == 1  # only its own line break, between problem and fix
    assert _shown_raw(shown.replace("\n", "", 1)) == []


def test_ordinary_text_is_left_alone() -> None:
    for text in ("Café Smith & Sons — 123 Main St", "C:\\Users\\me", "a\u00a0b", "日本語 ok"):
        assert visible(text) == text
