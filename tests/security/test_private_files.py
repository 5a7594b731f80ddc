"""Attack 6: a colleague's login reading the agent's secrets. A stale ``secrets.tmp``
left at 0644 used to be reused and renamed over ``secrets.json``. Now every file that
holds a secret, a proxy password or contact data is 0600 whatever was there before,
even when the program runs with umask 0: fresh temporary names (O_EXCL|O_NOFOLLOW),
fchmod after open for logs and databases."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.sandbox_harness import start_sandbox
from tests.security.support import run_cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _plant(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o644)


def test_activation_leaves_every_private_file_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # the sandbox process inherits it: nothing saves it then
    try:
        sandbox = start_sandbox(tmp_path / "online")
    finally:
        os.umask(old_umask)
    try:
        home = tmp_path / "home"
        config = home / "config"
        # What an earlier version, a crash or a colleague left behind, world-readable:
        _plant(config / "secrets.tmp", '{"stale": "secret"}')
        _plant(config / "settings.tmp", "")
        _plant(config / "settings.toml", "[sync]\npage_size = 500\n")
        _plant(home / "logs" / "contacts-migration.log", "old line\n")
        decoy = tmp_path / "decoy"  # a symlink where the old temporary file went
        (config / "secrets.tmp").unlink()
        (config / "secrets.tmp").symlink_to(decoy)

        db = tmp_path / "p.db"
        made = run_cli("init-db", "--source", f"sqlite:{db}", "--contacts", "5", home=home)
        assert made.returncode == 0, made.stderr
        result = run_cli(
            "activate",
            "--source",
            f"sqlite:{db}",
            "--credentials",
            str(sandbox.data_dir / "credentials.json"),
            "--yes",
            "--accept-terms",
            "--no-migrate",
            home=home,
        )
        assert result.returncode == 0, result.stderr
        secret = sandbox.client_credentials("sync")[1]
        secrets_file = config / "secrets.json"
        assert secret in secrets_file.read_text()
        for path in (secrets_file, config / "settings.toml", home / "logs/contacts-migration.log"):
            assert _mode(path) == 0o600, path
        assert not decoy.exists()  # nothing was written through the planted link
        assert "stale" not in secrets_file.read_text()
        for left in config.iterdir():  # no temporary file of ours is left behind
            assert not left.name.startswith("."), left

        data = sandbox.data_dir
        for name in ("credentials.json", "sandbox.db", "sandbox.db-wal", "sandbox.db-shm"):
            if (data / name).exists():
                assert _mode(data / name) == 0o600, name
        assert _mode(data / "credentials.json") == 0o600
    finally:
        sandbox.stop()


def test_a_stale_world_readable_wal_file_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_sandbox(tmp_path, data_dir=data)
    first.stop()
    db_files = [p for p in data.iterdir() if p.suffix in (".db", ".sqlite", ".sqlite3")]
    assert db_files, list(data.iterdir())
    wal = db_files[0].with_name(db_files[0].name + "-wal")
    for path in (db_files[0], wal, data / "credentials.json"):
        if not path.exists():
            path.write_bytes(b"")
        path.chmod(0o644)
    again = start_sandbox(tmp_path, data_dir=data)
    try:
        for path in (db_files[0], wal, data / "credentials.json"):
            assert _mode(path) == 0o600, path
    finally:
        again.stop()
