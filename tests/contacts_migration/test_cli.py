"""The command line as a person uses it: clear messages, honest exit codes, no tracebacks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from contacts_migration.cli import main
from engine.practice.setting_rows import PracticeSetting
from tests.sandbox_harness import RunningSandbox


def init_db(path: Path, contacts: int = 200) -> str:
    source = f"sqlite:{path}"
    assert main(["init-db", "--source", source, "--contacts", str(contacts)]) == 0
    return source


def activate_args(source: str, sandbox: RunningSandbox, *extra: str) -> list[str]:
    credentials = str(sandbox.data_dir / "credentials.json")
    return ["activate", "--source", source, "--credentials", credentials, "--yes", *extra]


def settings_of(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute('SELECT "Name", "Value" FROM "PracticeSetting"'))


def test_activate_migrates_then_status_and_verify_agree(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "p.db"
    source = init_db(db)
    assert main(activate_args(source, sandbox, "--accept-terms", "--accepted-by", "Kim")) == 0
    out = capsys.readouterr().out
    assert "200 contacts are online" in out
    settings = settings_of(db)
    assert settings[PracticeSetting.CONTACTS_MIGRATION_ACTIVATED] == "1"
    assert settings[PracticeSetting.LIVE_ACTIVATED] == "1"
    assert settings[PracticeSetting.CONTACTS_MIGRATION_ACTIVATED_BY] == "Kim"
    assert main(["verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["identical"] is True
    with sqlite3.connect(db) as connection:
        connection.execute('DELETE FROM "Contact" WHERE "ContactID" = 3')
    assert main(["verify"]) == 1
    assert "Online but deleted on the desktop: 3" in capsys.readouterr().out
    assert main(["sync", "--once"]) == 0
    assert main(["verify"]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["state"], status["online_count"]) == ("inactive", 199)


def test_terms_are_required_until_live_is_activated(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    source = init_db(tmp_path / "p.db")
    # No terminal to agree on, and no --accept-terms: refused, nothing changed.
    assert main(activate_args(source, sandbox)) == 2
    assert "no terminal" in capsys.readouterr().err
    with sandbox.client("read") as api:
        assert api.get("/practice").json()["contacts_migration"]["activated"] is False
    assert PracticeSetting.CONTACTS_MIGRATION_ACTIVATED not in settings_of(tmp_path / "p.db")


def test_preflight_names_an_inactive_login_employee(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "p.db"
    source = init_db(db)
    with sqlite3.connect(db) as connection:
        connection.execute('UPDATE "Employee" SET "IsActive" = 0')
    assert main(activate_args(source, sandbox, "--accept-terms")) == 2
    out = capsys.readouterr().out
    assert "✗ The practice login email belongs to an active employee" in out
    assert "inactive" in out
    assert "Nothing was changed" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["verify"], "not set up on this computer"),
        (["sync", "--once"], "not set up on this computer"),
        (["init-db", "--source", "mysql:x"], "sqlite:PATH"),
    ],
)
def test_mistakes_get_one_clear_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_missing_database_and_wrong_schema_are_named(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(activate_args(f"sqlite:{tmp_path / 'nowhere.db'}", sandbox)) == 2
    out = capsys.readouterr().out
    assert "✗ The practice database can be read" in out
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE Invoice (id INTEGER)")
    assert main(activate_args(f"sqlite:{other}", sandbox)) == 2
    assert "Contact" in capsys.readouterr().out


def test_unreachable_online_service_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = init_db(tmp_path / "p.db")
    monkeypatch.setenv("CONTACTS_MIGRATION_CLIENT_SECRET", "x")
    argv = ["activate", "--source", source, "--online", "http://127.0.0.1:9", "--client-id", "c"]
    assert main([*argv, "--yes", "--retry-for", "0.5"]) == 2
    out = capsys.readouterr().out
    assert "✗ The online service can be reached" in out
    assert "can't be reached" in out
    assert "Gave up" in out and "internet connection" in out


def test_corrupt_state_file_and_settings_file_are_named(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (isolated_home / "state").mkdir(parents=True)
    (isolated_home / "state" / "state.json").write_text("{half", encoding="utf-8")
    assert main(["status"]) == 2
    assert "state file" in capsys.readouterr().err
    (isolated_home / "config").mkdir(parents=True)
    (isolated_home / "config" / "settings.toml").write_text("[sync\n", encoding="utf-8")
    assert main(["verify"]) == 2
    assert "line 1" in capsys.readouterr().err


def test_status_without_an_agent_is_red_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "INACTIVE" in out and "not running" in out
