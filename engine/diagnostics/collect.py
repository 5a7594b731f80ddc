"""What a diagnostics file holds, collected for support: the logs, the settings, the state
file, the last status, and the versions of everything that matters (Python, Qt, pyodbc and
the ODBC drivers, the platform, the network set-up). It never holds a secret: the secrets
file and the keyring are never read into it, ODBC passwords and anything under a
secret-looking key are masked, and every text that goes in is scrubbed
(:mod:`engine.diagnostics.scrub`).

Used by the ``diagnostics`` command and the GUI's troubleshooting dialog. Qt is never
imported here: its version is read from the loaded module or the installed package.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import re
import stat
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

from engine.diagnostics.scrub import Scrubber, url_without_password
from engine.errors import UserFacingError
from engine.local.logs import LOG_FILE_NAME
from engine.local.paths import AppPaths
from engine.local.private_files import write_private

#: The installed distribution whose version names this program.
APP_DISTRIBUTION: Final = "contacts-migration"
#: Qt for Python ships as one of these distributions.
QT_DISTRIBUTIONS: Final = ("PySide6", "PySide6_Essentials")
#: The files in the log folder that are copied: the program's log and its rotations.
_OWN_LOG: Final = re.compile(re.escape(LOG_FILE_NAME) + r"(?:\.[1-9][0-9]?)?")
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
#: How many of the latest log lines the clipboard summary carries.
LOG_LINES_IN_TEXT: Final = 20


def _known_secrets(paths: AppPaths, client_id: str | None) -> list[str]:
    """The values to search for and mask: never written anywhere, only looked for. Both
    the environment's and the stored secret, as either may be in a log."""
    from engine.local.secrets import SECRET_ENV, SecretStore

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
        from engine.local.source_url import parse_source_url

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


def _module_version(*names: str) -> str:
    """The installed version of the first of these distributions found."""
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            return version(name)
    return "not installed"


def _qt_versions() -> dict[str, str]:
    """PySide6's and Qt's versions without importing Qt: from the loaded module when a
    GUI runs (the Qt actually in use), else from the installed package."""
    pyside = sys.modules.get("PySide6")
    core = sys.modules.get("PySide6.QtCore")
    if pyside is not None and core is not None:
        return {"pyside6": str(pyside.__version__), "qt": str(core.qVersion())}
    installed = _module_version(*QT_DISTRIBUTIONS)
    return {"pyside6": installed, "qt": f"{installed} (the PySide6 package; not loaded)"}


def _versions() -> dict[str, Any]:
    found: dict[str, Any] = {
        "contacts-migration": _module_version(APP_DISTRIBUTION),
        "python": sys.version,
        "python_executable": sys.executable,
        "frozen": bool(getattr(sys, "frozen", False)),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    for package in ("httpx", "truststore", "keyring", "uvicorn", "starlette", "qasync"):
        found[package] = _module_version(package)
    found.update(_qt_versions())
    try:
        import pyodbc

        found["pyodbc"] = str(pyodbc.version)
        found["odbc_drivers"] = list(pyodbc.drivers())
        found["odbc_data_sources"] = dict(pyodbc.dataSources())
    except Exception as error:
        found["pyodbc"] = f"unavailable: {error}"
    return found


def _network(settings: dict[str, Any]) -> dict[str, Any]:
    from engine.online.network import system_proxies

    online = settings.get("settings", {}).get("online")
    online = online if isinstance(online, dict) else {}
    proxy = online.get("proxy", "system")
    return {  # proxy URLs parsed, their passwords masked (the scrubber's patterns follow)
        "system_proxies": {k: url_without_password(v) for k, v in system_proxies().items()},
        "proxy_setting": url_without_password(proxy) if isinstance(proxy, str) else proxy,
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
    from engine.status.state_file import current_status

    try:
        status: dict[str, Any] = current_status(paths.state_file, time.time()).to_json()
        return status
    except UserFacingError as error:
        return {"unreadable": str(error)}


def _log_files(paths: AppPaths) -> list[Path]:
    """Only the log files the program writes (its name and its rotations), and only as
    regular files: a symlink or anything else planted in the folder is never followed."""
    if not paths.log_dir.is_dir():
        return []
    return sorted(
        path
        for path in paths.log_dir.iterdir()
        if _OWN_LOG.fullmatch(path.name) and path.is_file() and not path.is_symlink()
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
    """Logs may hold undecodable bytes (they record what a database sent): kept visible.
    Opened without following a symlink, and only a regular file is read (a link or a
    FIFO swapped in after the folder was listed is refused, not followed)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        return f"(could not read {path.name}: {error.strerror or error})"
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return f"(not read: {path.name} is not a regular file)"
        return handle.read().decode("utf-8", errors="backslashreplace")


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
