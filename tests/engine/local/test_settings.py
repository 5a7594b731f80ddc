from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from engine.errors import SettingsError
from engine.local.paths import AppPaths
from engine.local.secrets import SecretStore
from engine.local.settings import Settings, load_settings, save_settings
from engine.local.source_url import SourceKind, parse_source_url


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.toml") == Settings()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    settings = Settings(source="sqlite:/x.db", online_url="https://h", client_id="c", page_size=7)
    save_settings(tmp_path / "s.toml", settings)
    assert load_settings(tmp_path / "s.toml") == settings


def test_parse_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[source]\nurl = "sqlite:x"\n[sync\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="line 3"):
        load_settings(path)


def test_unknown_key_and_wrong_type_are_named(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[sync]\npoll_intervall = 2\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"sync\.poll_intervall"):
        load_settings(path)
    path.write_text('[sync]\nbatch_bytes = "big"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="wrong type"):
        load_settings(path)


def test_portable_secrets_go_to_a_private_file(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "c", tmp_path / "s", tmp_path / "l", tmp_path / "d", tmp_path)
    store = SecretStore(paths)
    store.set("client", "s3cret")
    assert store.get("client") == "s3cret"
    assert stat.S_IMODE(os.stat(paths.secrets_file).st_mode) == 0o600


def test_source_urls() -> None:
    assert parse_source_url("sqlite:/tmp/a.db").kind is SourceKind.SQLITE
    odbc = parse_source_url("odbc:Driver={X};Server=s;UID=u;PWD=secret")
    assert "secret" not in odbc.redacted()
    with pytest.raises(SettingsError, match="sqlite:PATH"):
        parse_source_url("mysql://x")


def test_liveness_interval_is_read_and_bounded(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[sync]\nliveness_interval_seconds = 8\n", encoding="utf-8")
    assert load_settings(path).liveness_interval_seconds == 8.0
    path.write_text("[sync]\nliveness_interval_seconds = 600\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="liveness interval"):
        load_settings(path)
