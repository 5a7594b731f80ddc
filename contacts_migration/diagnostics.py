"""``contacts-migration diagnostics [--output FILE]``: one zip for support.

A practice's IT person sends it when something goes wrong: the logs, the settings, the
state file, the last status, and the versions of everything that matters (Python, Qt,
pyodbc and the ODBC drivers, the platform, the network set-up). It never holds a secret:
the secrets file and the keyring are never read into it, ODBC passwords and anything
under a secret-looking key are masked, and every text that goes in is scrubbed of the
stored client secret and of numbers shaped like tax file numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from engine.errors import UserFacingError
from engine.logs import LOG_FILE_NAME
from engine.paths import AppPaths, app_paths
from engine.private_files import write_private

MASK: Final = "***"
#: Keys whose values are never copied, whatever they hold.
SECRET_KEY = re.compile(r"secret|passw|pwd|token|credential|api[_-]?key|private", re.IGNORECASE)
#: Nine (or eight) digits, maybe grouped 3-3-3 (or 3-3-2, 2-3-3) with spaces, dashes or
#: dots: a TFN's shape. Written in groups it is masked whatever its check digit (someone
#: typed it as a TFN, maybe wrongly); a bare run of digits only when the check passes.
TFN_LIKE = re.compile(
    r"(?<!\d)(?<!\d\.)"
    r"(?:\d{3}[ .-]?\d{3}[ .-]?\d{2,3}|\d{2}[ .-]?\d{3}[ .-]?\d{3})"
    r"(?!\d)(?!\.\d)"
)
#: ``scheme://user:password@host``: the password part of a URL (proxies, ODBC).
#: The password runs to the *last* ``@`` of the authority, so ``bob:p@ss@proxy`` masks
#: all of ``p@ss``.
URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s\"'<>]*:)[^\s/?#\"'<>]*(?=@)", re.IGNORECASE
)
#: ``PWD=...;`` / ``Password=...`` inside ODBC connection strings anywhere in a text.
ODBC_PASSWORD = re.compile(r"(?P<key>\b(?:pwd|password)\s*=\s*)(?:\{[^}]*\}|[^;\s\"']*)", re.I)
#: Secrets shorter than this are not searched for (they would mask ordinary words).
MIN_SECRET_LENGTH: Final = 4
TFN_WEIGHTS: Final = (1, 4, 3, 7, 5, 8, 6, 9, 10)
#: Text files in the log folder that are never copied: only logs belong there.
SKIPPED_NAMES: Final = ("secrets.json",)
#: How many of the latest log lines the clipboard summary carries.
LOG_LINES_IN_TEXT: Final = 20


def register_diagnostics(subparsers: Any) -> None:
    diagnostics = subparsers.add_parser(
        "diagnostics", help="write a zip of logs, settings and versions for support (no secrets)"
    )
    diagnostics.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="the zip to write (default: contacts-migration-diagnostics-DATE-TIME.zip here)",
    )
    diagnostics.set_defaults(handler=cmd_diagnostics)


def cmd_diagnostics(args: argparse.Namespace) -> int:
    target = args.output or Path(
        f"contacts-migration-diagnostics-{datetime.now():%Y%m%d-%H%M%S}.zip"
    )
    members = write_diagnostics(target, app_paths())
    print(f"Wrote {target.resolve()} ({members} files). It holds no secrets; send it to support.")
    return 0


# -- scrubbing ---------------------------------------------------------------------------


def looks_like_tfn(digits: str) -> bool:
    """The ATO check: weighted digit sum divisible by 11 (9 digits; 8-digit TFNs too)."""
    if len(digits) == 8:
        weights: tuple[int, ...] = (10, 7, 8, 4, 6, 3, 5, 1)
    elif len(digits) == 9:
        weights = TFN_WEIGHTS
    else:
        return False
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


class Scrubber:
    """Removes the known secrets, passwords in URLs and ODBC strings, and TFN-like numbers."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted(
            {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        value = URL_PASSWORD.sub(lambda m: m.group("head") + MASK, value)
        value = ODBC_PASSWORD.sub(lambda m: m.group("key") + MASK, value)
        return TFN_LIKE.sub(_mask_tfn, value)

    def data(self, value: Any, key: str = "") -> Any:
        """JSON-like data: secret-looking keys masked, every string scrubbed."""
        if key and SECRET_KEY.search(key) and value not in (None, "", False):
            return MASK
        if isinstance(value, dict):
            return {str(k): self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _mask_tfn(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    grouped = len(digits) != len(match.group(0))
    return "[TFN-like number removed]" if grouped or looks_like_tfn(digits) else match.group(0)


def _known_secrets(paths: AppPaths, client_id: str | None) -> list[str]:
    """The values to search for and mask: never written anywhere, only looked for. Both
    the environment's and the stored secret, as either may be in a log."""
    from engine.secrets import SECRET_ENV, SecretStore

    found = [os.environ.get(SECRET_ENV, "")]
    if client_id:
        with contextlib.suppress(UserFacingError):  # unreadable secrets file: none to find
            found.append(SecretStore(paths).stored(client_id) or "")
    return [secret for secret in found if secret]


# -- what goes in ------------------------------------------------------------------------


def _settings(paths: AppPaths) -> tuple[dict[str, Any], str | None]:
    """The settings file as data with the ODBC password masked, and the client id."""
    path = paths.settings_file
    if not path.exists():
        return {"file": str(path), "present": False}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        # Only the parser's message (it names the line), never the text: it may hold a PWD.
        return {"file": str(path), "present": True, "unreadable": str(error)}, None
    source = data.get("source")
    if isinstance(source, dict) and isinstance(source.get("url"), str):
        from engine.errors import SettingsError
        from engine.source_url import parse_source_url

        try:
            source["url"] = parse_source_url(source["url"]).redacted()
        except SettingsError:
            source["url"] = "(not a valid source address)"
    online = data.get("online")
    client_id = online.get("client_id") if isinstance(online, dict) else None
    return (
        {"file": str(path), "present": True, "settings": data},
        client_id if isinstance(client_id, str) else None,
    )


def _module_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _versions() -> dict[str, Any]:
    from contacts_migration import __version__

    found: dict[str, Any] = {
        "contacts-migration": __version__,
        "python": sys.version,
        "python_executable": sys.executable,
        "frozen": bool(getattr(sys, "frozen", False)),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    for package in ("httpx", "truststore", "keyring", "uvicorn", "starlette", "qasync"):
        found[package] = _module_version(package)
    try:  # QtCore only: no QApplication, no display needed
        import PySide6
        from PySide6 import QtCore

        found["pyside6"] = PySide6.__version__
        found["qt"] = QtCore.qVersion()
    except Exception as error:  # a broken Qt install is itself worth reporting
        found["qt"] = f"unavailable: {error}"
    try:
        import pyodbc

        found["pyodbc"] = str(pyodbc.version)
        found["odbc_drivers"] = list(pyodbc.drivers())
        found["odbc_data_sources"] = dict(pyodbc.dataSources())
    except Exception as error:
        found["pyodbc"] = f"unavailable: {error}"
    return found


def _network(settings: dict[str, Any]) -> dict[str, Any]:
    from engine.network import system_proxies

    online = settings.get("settings", {}).get("online")
    online = online if isinstance(online, dict) else {}
    return {
        "system_proxies": system_proxies(),
        "proxy_setting": online.get("proxy", "system"),
        "ca_file_setting": online.get("ca_file"),
    }


def _environment_names() -> list[str]:
    """Which of the program's and the proxy variables are set: names, never values."""
    return sorted(
        name
        for name in os.environ
        if name.upper().startswith("CONTACTS_MIGRATION_")
        or name.upper().endswith("_PROXY")
        or name.upper() in ("SSL_CERT_FILE", "SSL_CERT_DIR", "ODBCINI", "ODBCSYSINI")
    )


def _status(paths: AppPaths) -> dict[str, Any]:
    from engine.state_file import current_status

    try:
        status: dict[str, Any] = current_status(paths.state_file, time.time()).to_json()
        return status
    except UserFacingError as error:
        return {"unreadable": str(error)}


def _log_files(paths: AppPaths) -> list[Path]:
    if not paths.log_dir.is_dir():
        return []
    return sorted(
        path
        for path in paths.log_dir.iterdir()
        if path.is_file() and path.name not in SKIPPED_NAMES
    )


def _collect(
    paths: AppPaths, status: dict[str, Any] | None = None, secrets: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, Any], Scrubber]:
    """The report and the settings, unscrubbed, and the scrubber that makes them safe.

    ``status``: the status a caller already holds (the GUI's live one); default: the
    state file's. ``secrets``: more values to mask (a secret held only in memory).
    """
    settings, client_id = _settings(paths)
    scrub = Scrubber([*_known_secrets(paths, client_id), *secrets])
    report = {
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "versions": _versions(),
        "paths": {
            "config": str(paths.config_dir),
            "state": str(paths.state_dir),
            "logs": str(paths.log_dir),
            "portable_home": str(paths.portable_home) if paths.portable_home else None,
        },
        "environment_variables_set": _environment_names(),
        "network": _network(settings),
        "status": status if status is not None else _status(paths),
    }
    return report, settings, scrub


def write_diagnostics(target: Path, paths: AppPaths) -> int:
    """Write the zip atomically; returns how many files it holds."""
    if not target.parent.resolve().is_dir():
        raise UserFacingError(
            f"The folder {target.parent} does not exist.", "Choose another --output."
        )
    report, settings, scrub = _collect(paths)
    members: dict[str, str] = {
        "report.json": json.dumps(scrub.data(report), indent=2, ensure_ascii=False),
        "settings.json": json.dumps(scrub.data(settings), indent=2, ensure_ascii=False),
    }
    if paths.state_file.is_file():
        members["state.json"] = scrub.text(_read_text(paths.state_file))
    for log_file in _log_files(paths):
        members[f"logs/{log_file.name}"] = scrub.text(_read_text(log_file))
    members["README.txt"] = (
        "Contacts Migration diagnostics: report.json (versions, network, last status),\n"
        "settings.json (passwords and secrets masked), state.json, logs/.\n"
        "It holds no client secret and no tax file numbers.\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("utf-8"))
    try:
        write_private(target, buffer.getvalue())  # 0600: logs and settings are inside
    except OSError as error:
        raise UserFacingError(
            f"Could not write {target}: {error.strerror or error}.", "Choose another --output."
        ) from error
    return len(members)


def _read_text(path: Path) -> str:
    """Logs may hold undecodable bytes (they record what a database sent): kept visible."""
    try:
        return path.read_bytes().decode("utf-8", errors="backslashreplace")
    except OSError as error:
        return f"(could not read {path}: {error})"


def _last_log_lines(paths: AppPaths, count: int) -> list[str]:
    """The last ``count`` lines of the current log file (unscrubbed)."""
    current = paths.log_dir / LOG_FILE_NAME
    if not current.is_file():
        return []
    return _read_text(current).splitlines()[-count:]


def diagnostics_text(
    paths: AppPaths,
    status: dict[str, Any] | None = None,
    secrets: Iterable[str] = (),
    log_lines: int = LOG_LINES_IN_TEXT,
) -> str:
    """A short plain-text summary for the clipboard: versions, settings (masked), the
    last status and the last log lines, scrubbed like the zip. Reads files and asks
    pyodbc for its drivers: call it off the GUI thread."""
    raw_report, raw_settings, scrub = _collect(paths, status, secrets)
    report, settings = scrub.data(raw_report), scrub.data(raw_settings)
    sections = [
        f"Contacts Migration diagnostics, {report['created']}",
        "== Versions ==",
        json.dumps(report["versions"], indent=2, ensure_ascii=False),
        "== Status ==",
        json.dumps(report["status"], indent=2, ensure_ascii=False),
        "== Settings (passwords and secrets masked) ==",
        json.dumps(settings, indent=2, ensure_ascii=False),
        "== Network ==",
        json.dumps(report["network"], indent=2, ensure_ascii=False),
        "== Paths ==",
        json.dumps(report["paths"], indent=2, ensure_ascii=False),
        f"== Last {log_lines} log lines ==",
        *(_last_log_lines(paths, log_lines) or ["(no log file)"]),
    ]
    return scrub.text("\n".join(sections)) + "\n"
