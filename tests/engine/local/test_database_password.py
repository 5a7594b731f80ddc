"""A SQL login's password: kept in the secret store at activation, never in the settings
file or a configuration's repr, and back in the configuration when the agent starts."""

from __future__ import annotations

from pathlib import Path

from engine.local.config import EngineConfig
from engine.local.paths import app_paths
from engine.local.profile import engine_config
from engine.local.setup_store import save_setup
from engine.online.client import Credentials
from engine.sources.practice_database import with_password

SOURCE = "odbc:Driver=FreeTDS;Server=MYOBSERVER;Port=1433;Database=MYOBAE;UID=reader"
PASSWORD = "correct horse;battery}"


def test_the_password_is_kept_apart_and_merged_only_to_connect(isolated_home: Path) -> None:
    paths = app_paths()
    config = EngineConfig(
        SOURCE, "https://online.example", Credentials("client", "secret"), source_password=PASSWORD
    )
    assert PASSWORD not in repr(config)
    save_setup(paths, config)
    assert PASSWORD not in paths.settings_file.read_text(encoding="utf-8")
    again = engine_config(paths)
    assert again.source == SOURCE
    assert again.source_password == PASSWORD
    merged = with_password(again.source, again.source_password).target
    assert merged.endswith(";PWD={correct horse;battery}}}")


def test_no_password_for_a_sqlite_file_or_windows_sign_in(isolated_home: Path) -> None:
    paths = app_paths()
    save_setup(paths, EngineConfig("sqlite:/srv/p.db", "https://o.example", Credentials("c", "s")))
    assert engine_config(paths).source_password is None
    trusted = SOURCE.replace("UID=reader", "Trusted_Connection=yes")
    save_setup(paths, EngineConfig(trusted, "https://o.example", Credentials("c", "s")))
    assert engine_config(paths).source_password is None
