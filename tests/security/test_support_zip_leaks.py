"""Attack (issue #22, 6): reading secrets and TFNs out of the support zip, round two.

(a) An ODBC password in braces holding ``;`` and ``}}`` was cut at the ``;`` (the zip
held ``Pwd=***;ss=w0rd}}x};Encrypt=yes``); (b) a proxy password with ``/`` or ``#``
(``http://alice:s/ecr#et@...``) stayed; (c) TFNs written with ``/``, ``_``, a no-break
space, two spaces or an en dash stayed; (d) a symlink in the log folder pulled any file
the user can read into the zip. Now ODBC strings are masked by ODBC's brace rules, proxy
URLs by taking the user info to the last ``@``, separators are any a person types, and
only the regular log files the program writes are included."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.security.support import run_cli

ODBC_PASSWORD = "p;ss}w0rd}x"  # written {p;ss}}w0rd}}x} in a connection string
ODBC_SOURCE = "odbc:Driver={SQLite3};Database=/srv/p.db;Uid=sync;Pwd={p;ss}}w0rd}}x};Encrypt=yes"
PROXY = "http://alice:s/ecr#et@proxy.corp:3128"
TFNS = (
    "123/456/782",
    "123_456_782",
    "123\u00a0456\u00a0782",
    "123  456  782",
    "123\u2013456\u2013782",
    "123 / 456 / 782",
)
OUTSIDE_SECRET = "the neighbour's private words"


def _zip_text(tmp_path: Path) -> tuple[str, list[str]]:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "logs").mkdir()
    (home / "config" / "settings.toml").write_text(
        f'[source]\nurl = "{ODBC_SOURCE}"\n'
        f'[online]\nurl = "https://online.example"\nproxy = "{PROXY}"\n'
    )
    lines = [f"contact 7: tax file number {tfn} looks wrong" for tfn in TFNS]
    lines.append(f"opening {ODBC_SOURCE.removeprefix('odbc:')} failed")
    lines.append(f"HTTPS_PROXY={PROXY} refused")
    (home / "logs" / "contacts-migration.log").write_text("\n".join(lines) + "\n")
    outside = tmp_path / "outside.txt"
    outside.write_text(OUTSIDE_SECRET)
    (home / "logs" / "contacts-migration.log.1").symlink_to(outside)
    (home / "logs" / "planted.log").symlink_to(outside)
    (home / "logs" / "notes.txt").write_text(OUTSIDE_SECRET)  # not a file the program wrote
    target = tmp_path / "out.zip"
    result = run_cli("diagnostics", "--output", str(target), home=home, env={"HTTPS_PROXY": PROXY})
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        return "\n".join(archive.read(name).decode() for name in names), names


def test_the_zip_holds_no_password_no_tfn_and_no_outside_file(tmp_path: Path) -> None:
    text, names = _zip_text(tmp_path)
    for piece in ("w0rd", "ss}}", "}}x", "s/ecr", "ecr#et", "et@proxy"):
        assert piece not in text, piece
    for tfn in TFNS:
        assert tfn not in text, repr(tfn)
    # no middle group left behind either; only the planted lines are read, as the zip's
    # own lines carry timestamps that may hold "456" by chance
    planted = [line for line in text.splitlines() if "tax file number" in line]
    assert len(planted) >= len(TFNS), planted
    assert not any("456" in line for line in planted), planted
    assert OUTSIDE_SECRET not in text
    assert names.count("logs/contacts-migration.log") == 1
    assert not any(n.endswith((".log.1", "planted.log", "notes.txt")) for n in names), names
    assert "Encrypt=yes" in text and "Pwd=***" in text  # the rest is still there to help
    assert "http://alice:***@proxy.corp:3128" in text
