"""``activate`` and ``sign-in`` with the browser sign-in, end to end: the real CLI process
opens "the system browser" (``BROWSER``: a real headless chromium that signs in, see
tests/browser_sign_in.py), the browser lands on the program's loopback address, the
program holds the tokens and the activation completes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.contract.wire import DESKTOP_CLIENT_ID
from tests import browser_sign_in
from tests.browser_harness import require_browser
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.sign_in_support import follow_as_person, login

ROOT = Path(__file__).resolve().parents[2]


def practice_login(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT Value FROM PracticeSetting WHERE Name = 'Practice.MyobEmail'"
        ).fetchone()
    return str(row[0])


@pytest.fixture
def online(tmp_path: Path, practice_db: Path) -> Iterator[RunningSandbox]:
    """A sandbox whose first sign-in user is the practice database's online login."""
    with running_sandbox(tmp_path, login_email=practice_login(practice_db)) as sandbox:
        yield sandbox


def cli(home: Path, *args: str, browser: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTACTS_MIGRATION_HOME": str(home)}
    env.pop("BROWSER", None)
    if browser is not None:
        env["BROWSER"] = browser
    env.pop("DISPLAY", None)  # only BROWSER may open anything
    return subprocess.run(
        [sys.executable, "-m", "contacts_migration", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,  # under pytest's 300 s, so a hang shows its output
        check=False,
    )


def activate(
    home: Path, sandbox: RunningSandbox, database: Path, browser: str | None
) -> subprocess.CompletedProcess[str]:
    return cli(
        home,
        "activate",
        "--source",
        f"sqlite:{database}",
        "--online",
        sandbox.url,
        "--accept-terms",
        "--yes",
        "--no-migrate",
        browser=browser,
    )


def _kept(home: Path) -> dict[str, Any]:
    secrets = json.loads((home / "config" / "secrets.json").read_text())
    (key,) = [k for k in secrets if k.startswith("sign-in ")]
    kept: dict[str, Any] = json.loads(secrets[key])
    return kept


def test_activate_signs_in_in_the_browser_and_keeps_only_the_tokens(
    online: RunningSandbox, practice_db: Path, isolated_home: Path
) -> None:
    require_browser()
    email, password = login(online.credentials)
    started = time.perf_counter()
    done = activate(isolated_home, online, practice_db, browser_sign_in.command(email, password))
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Your browser opened the online practice's sign-in page" in done.stdout
    assert f"Signed in as {email}" in done.stdout
    assert "activated for" in done.stdout
    print(f"activate with the browser sign-in: {elapsed:.1f} s")  # for the closing note

    settings = (isolated_home / "config" / "settings.toml").read_text()
    assert DESKTOP_CLIENT_ID in settings
    kept = _kept(isolated_home)
    assert kept["email"] == email and kept["refresh_token"]
    for secret in (kept["refresh_token"], kept["access_token"], password):
        assert secret not in settings
        assert secret not in done.stdout + done.stderr
        for log in (isolated_home / "logs").glob("*"):
            assert secret not in log.read_text(errors="replace")

    # the saved setup works on its own: the refresh token is spent (and rotated) by sync
    synced = cli(isolated_home, "sync", "--once", browser=None)
    assert synced.returncode == 0, synced.stderr
    assert _kept(isolated_home)["refresh_token"] != kept["refresh_token"] or (
        _kept(isolated_home)["access_token"] == kept["access_token"]
    )


def test_signing_in_as_the_second_person_is_refused_in_plain_words(
    online: RunningSandbox, practice_db: Path, isolated_home: Path
) -> None:
    require_browser()
    email, password = login(online.credentials, 1)
    done = activate(isolated_home, online, practice_db, browser_sign_in.command(email, password))
    assert done.returncode == 2
    expected = f"You signed in as {email}; this practice's online login is "
    assert expected in done.stdout
    assert "Sign in as " in done.stdout and "or change the practice's online login." in done.stdout
    assert "Traceback" not in done.stderr
    assert not (isolated_home / "config" / "secrets.json").exists()  # nothing kept


def test_without_a_browser_the_address_is_printed(
    online: RunningSandbox, practice_db: Path, isolated_home: Path, tmp_path: Path
) -> None:
    """No browser can start: the address to open is printed; here a person (httpx, the
    same endpoints) opens it and signs in, and the activation goes on."""
    email, password = login(online.credentials)
    no_browser = f"{sys.executable} -c raise(SystemExit(1)) %s"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "contacts_migration",
            "activate",
            "--source",
            f"sqlite:{practice_db}",
            "--online",
            online.url,
            "--accept-terms",
            "--yes",
            "--no-migrate",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DISPLAY"},
            "CONTACTS_MIGRATION_HOME": str(isolated_home),
            "BROWSER": no_browser,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.strip().startswith(online.url + "/oauth/authorize?"):
                break
        assert "No browser could be started" in "".join(lines)
        follow_as_person(lines[-1].strip(), email, password)
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(lines) + out + err
    assert "activated for" in out
