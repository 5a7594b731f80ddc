"""Attack 9: reading a practice's data out of a diagnostics file sent to support. TFNs
written ``123.456.782`` or ``12 345 678`` used to stay visible, and a proxy password
holding ``@`` (``http://bob:p@ss@proxy``) kept its tail. The real ``diagnostics``
command now masks them, and writes the zip owner-only."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from tests.security.support import run_cli

TFNS = ("123.456.782", "12 345 678", "123-456-782", "123 456 782", "123456782", "876 543 21")
PROXY = "http://bob:p@ss@proxy.corp:3128"


def test_the_diagnostics_zip_holds_no_tfn_and_no_proxy_password(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "logs").mkdir()
    (home / "config" / "settings.toml").write_text(
        f'[online]\nurl = "https://online.example"\nproxy = "{PROXY}"\n'
    )
    log_lines = [f"set aside contact 7: tax file number {tfn} looks wrong" for tfn in TFNS]
    log_lines.append(f"connecting through {PROXY} failed")
    (home / "logs" / "contacts-migration.log").write_text("\n".join(log_lines) + "\n")
    target = tmp_path / "out.zip"
    result = run_cli("diagnostics", "--output", str(target), home=home)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # even with umask 0
    with zipfile.ZipFile(target) as archive:
        text = "\n".join(archive.read(name).decode() for name in archive.namelist())
    for tfn in TFNS:
        assert tfn not in text, tfn
    assert "p@ss" not in text and "ss@proxy" not in text
    assert "http://bob:***@proxy.corp:3128" in text
    assert text.count("[TFN-like number removed]") >= len(TFNS)
