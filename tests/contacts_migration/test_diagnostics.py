"""``contacts-migration diagnostics``: a useful zip that never holds a secret.

The home is set up the way a careless implementation would leak from: the secrets file
sits in the config folder, the secret is in the environment, the settings hold an ODBC
password and a proxy password, and a log line carries a tax file number.
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path

import pytest

from contacts_migration.cli import main
from engine.diagnostics.scrub import Scrubber, looks_like_tfn
from engine.local.logs import LOG_FILE_NAME
from engine.local.paths import app_paths
from engine.local.secrets import SECRET_ENV, SecretStore
from engine.local.settings import Settings, save_settings
from engine.status.model import Light, Status, SyncState
from engine.status.state_file import write_status

SECRET = "s3cr3t-Value-9f8e7d6c5b4a"
ODBC_PASSWORD = "hunter2-Odbc"
PROXY_PASSWORD = "proxy-Pass-77"
TFN = "123 456 782"  # passes the ATO check digit
CLIENT_ID = "practice-client-42"


@pytest.fixture
def leaky_home(monkeypatch: pytest.MonkeyPatch) -> Path:
    paths = app_paths()
    paths.ensure()
    SecretStore(paths).set(CLIENT_ID, SECRET)
    assert SECRET in paths.secrets_file.read_text()
    monkeypatch.setenv(SECRET_ENV, SECRET)
    save_settings(
        paths.settings_file,
        Settings(
            source=f"odbc:Driver={{ODBC Driver 18 for SQL Server}};Server=MYOB;UID=sa;"
            f"PWD={ODBC_PASSWORD}",
            online_url="https://online.example",
            client_id=CLIENT_ID,
            proxy=f"http://it:{PROXY_PASSWORD}@proxy.corp:3128",
        ),
    )
    write_status(
        paths.state_file,
        Status(
            SyncState.ACTIVE,
            Light.GREEN,
            "In sync.",
            online_count=5,
            machine="FRONT-DESK",
            updated_at=time.time(),
        ),
    )
    (paths.log_dir / LOG_FILE_NAME).write_text(
        "2024-05-01 10:00:00,123 INFO engine.sync.agent [MainThread] batch of 1000 contacts\n"
        f"2024-05-01 10:00:01,456 WARNING engine.mapping [worker] contact 7 note: TFN {TFN}\n",
        encoding="utf-8",
    )
    (paths.log_dir / f"{LOG_FILE_NAME}.1").write_bytes(b"older line \xff\xfe raw bytes\n")
    return paths.config_dir.parent


def _members(zip_path: Path) -> dict[str, str]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_zip_is_useful_and_holds_no_secret(
    leaky_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "diag.zip"
    target.parent.mkdir()
    assert main(["diagnostics", "--output", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    members = _members(target)

    everything = "\n".join(members.values())
    for forbidden in (SECRET, ODBC_PASSWORD, PROXY_PASSWORD, TFN, TFN.replace(" ", "")):
        assert forbidden not in everything, f"{forbidden!r} leaked into the zip"
    assert not any("secrets" in name for name in members)

    assert {"report.json", "settings.json", "state.json"} <= set(members)
    assert f"logs/{LOG_FILE_NAME}" in members and f"logs/{LOG_FILE_NAME}.1" in members
    assert "batch of 1000 contacts" in members[f"logs/{LOG_FILE_NAME}"]
    assert "TFN-like number removed" in members[f"logs/{LOG_FILE_NAME}"]
    settings = json.loads(members["settings.json"])["settings"]
    assert settings["online"]["client_id"] == CLIENT_ID
    assert settings["source"]["url"].endswith("PWD=***")
    assert "UID=sa" in settings["source"]["url"]
    report = json.loads(members["report.json"])
    versions = report["versions"]
    for key in ("contacts-migration", "python", "platform", "qt", "pyodbc", "truststore"):
        assert versions[key], key
    assert isinstance(versions["odbc_drivers"], list)
    assert report["status"]["light"] == "green"
    assert SECRET_ENV in report["environment_variables_set"]
    assert report["network"]["proxy_setting"] == "http://it:***@proxy.corp:3128"
    assert json.loads(members["state.json"])["machine"] == "FRONT-DESK"


def test_default_name_has_a_timestamp_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["diagnostics"]) == 0  # nothing set up yet: still a zip
    made = list(tmp_path.glob("contacts-migration-diagnostics-*.zip"))
    assert len(made) == 1
    assert re.fullmatch(r"contacts-migration-diagnostics-\d{8}-\d{6}\.zip", made[0].name)
    members = _members(made[0])
    assert json.loads(members["settings.json"])["present"] is False
    assert json.loads(members["report.json"])["status"]["reason"] == "stopped"


def test_an_unparseable_settings_file_is_reported_without_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = app_paths()
    paths.ensure()
    paths.settings_file.write_text(
        f'[source]\nurl = "odbc:Server=x;PWD={ODBC_PASSWORD}"\n[online\n', encoding="utf-8"
    )
    target = tmp_path / "d.zip"
    assert main(["diagnostics", "--output", str(target)]) == 0
    members = _members(target)
    assert ODBC_PASSWORD not in "\n".join(members.values())
    assert "line 3" in json.loads(members["settings.json"])["unreadable"]


def test_an_output_folder_that_does_not_exist_is_a_plain_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnostics", "--output", str(tmp_path / "nope" / "d.zip")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


def test_tfn_check_and_scrubbing_leave_ordinary_numbers_alone() -> None:
    assert looks_like_tfn("123456782") and not looks_like_tfn("123456789")
    scrub = Scrubber(["abcd1234"])
    text = "updated_at 1717000000.123, 100000 contacts, 2024-05-01 10:00:00 key abcd1234"
    assert scrub.text(text) == text.replace("abcd1234", "***")
    assert scrub.data({"client_secret": "x", "nested": {"Password": "y"}, "n": 5}) == {
        "client_secret": "***",
        "nested": {"Password": "***"},
        "n": 5,
    }
