"""The settings file (TOML under the platformdirs config dir) and its defaults.

A file that fails to parse or holds an unknown key is an error naming the line or key:
the program never silently falls back to defaults over a file the user wrote.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

import tomli_w

from engine.errors import SettingsError
from engine.local.private_files import write_private_text
from engine.online.network import PROXY_SYSTEM, check_proxy
from engine.online.service_url import require_secure_service_url

DEFAULT_POLL_SECONDS: Final = 1.0
DEFAULT_RECONCILE_SECONDS: Final = 600.0
DEFAULT_BATCH_BYTES: Final = 1_000_000
DEFAULT_PAGE_SIZE: Final = 1_000
#: How often a running agent confirms both sides (a request to the service and a query
#: to the database) whatever else it is doing: the light leaves green within about this
#: much plus the liveness timeout of a fault, so the default keeps that under 10 s.
DEFAULT_LIVENESS_SECONDS: Final = 5.0
#: How long a one-shot command keeps retrying a failing online call.
DEFAULT_RETRY_FOR_SECONDS: Final = 120.0
#: The longest wait between two tries of a failing call.
DEFAULT_MAX_BACKOFF_SECONDS: Final = 30.0


@dataclass(frozen=True)
class Settings:
    #: ``sqlite:PATH`` or ``odbc:CONNECTION-STRING``.
    source: str | None = None
    #: A mapping file for a schema other than the reference one; None: the reference.
    mapping_file: str | None = None
    online_url: str | None = None
    client_id: str | None = None
    #: None ("system"): the system proxy; "none": direct; or an http(s):// proxy URL.
    proxy: str | None = None
    #: A PEM file of CA certificates trusted on top of the OS certificate store.
    ca_file: str | None = None
    #: How long verify, activate, sync --once... keep retrying a failing online call.
    retry_for_seconds: float = DEFAULT_RETRY_FOR_SECONDS
    #: The longest wait between two tries of a failing online call.
    max_backoff_seconds: float = DEFAULT_MAX_BACKOFF_SECONDS
    poll_interval_seconds: float = DEFAULT_POLL_SECONDS
    reconcile_interval_seconds: float = DEFAULT_RECONCILE_SECONDS
    liveness_interval_seconds: float = DEFAULT_LIVENESS_SECONDS
    batch_bytes: int = DEFAULT_BATCH_BYTES
    page_size: int = DEFAULT_PAGE_SIZE


#: TOML table and key of each setting.
_LAYOUT: Final[dict[str, tuple[str, str]]] = {
    "source": ("source", "url"),
    "mapping_file": ("source", "mapping_file"),
    "online_url": ("online", "url"),
    "client_id": ("online", "client_id"),
    "proxy": ("online", "proxy"),
    "ca_file": ("online", "ca_file"),
    "retry_for_seconds": ("online", "retry_for_seconds"),
    "max_backoff_seconds": ("online", "max_backoff_seconds"),
    "poll_interval_seconds": ("sync", "poll_interval_seconds"),
    "reconcile_interval_seconds": ("sync", "reconcile_interval_seconds"),
    "liveness_interval_seconds": ("sync", "liveness_interval_seconds"),
    "batch_bytes": ("sync", "batch_bytes"),
    "page_size": ("sync", "page_size"),
}
_TYPES: Final[dict[str, type | tuple[type, ...]]] = {
    "source": str,
    "mapping_file": str,
    "online_url": str,
    "client_id": str,
    "proxy": str,
    "ca_file": str,
    "retry_for_seconds": (int, float),
    "max_backoff_seconds": (int, float),
    "poll_interval_seconds": (int, float),
    "reconcile_interval_seconds": (int, float),
    "liveness_interval_seconds": (int, float),
    "batch_bytes": int,
    "page_size": int,
}


def load_settings(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(
            f"The settings file {path} can't be read: {error}.",
            "Correct that line, or delete the file to start again with the defaults.",
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"The settings file {path} can't be opened: {error}.") from error
    known = {(table, key): name for name, (table, key) in _LAYOUT.items()}
    values: dict[str, Any] = {}
    for table, content in data.items():
        if not isinstance(content, dict):
            raise SettingsError(
                f"The settings file {path} has '{table}' where a [section] is expected.",
                "Sections are [source], [online] and [sync].",
            )
        for key, value in content.items():
            name = known.get((table, key))
            if name is None:
                raise SettingsError(
                    f"The settings file {path} has an unknown setting '{table}.{key}'.",
                    "Remove it or correct its spelling (see the README's Settings section).",
                )
            if not isinstance(value, _TYPES[name]) or isinstance(value, bool):
                raise SettingsError(
                    f"The setting '{table}.{key}' in {path} has the wrong type ({value!r}).",
                    "See the README's Settings section for its type.",
                )
            if name.endswith("_seconds") and isinstance(value, int | float):
                value = float(value)
            if name == "proxy":
                problem = check_proxy(value)
                if problem:
                    raise SettingsError(
                        f"The setting '{table}.{key}' in {path} is wrong: {problem}.",
                        "See the README's Settings section.",
                    )
                if value.lower() == PROXY_SYSTEM:
                    value = None
            if name == "online_url":
                require_secure_service_url(value, f"'{table}.{key}' in {path}")
            values[name] = value
    settings = Settings(**values)
    if (
        settings.poll_interval_seconds <= 0
        or settings.batch_bytes < 10_000
        or not 0.5 <= settings.liveness_interval_seconds <= 60
        or settings.retry_for_seconds < 0
        or settings.max_backoff_seconds <= 0
    ):
        raise SettingsError(
            f"The settings in {path} are out of range (poll interval and max_backoff_seconds"
            " must be above 0, batch_bytes at least 10000, liveness interval from 0.5 to 60"
            " seconds, retry_for_seconds 0 or more)."
        )
    return settings


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically (a crash mid-write leaves the old file), owner-only."""
    document: dict[str, dict[str, Any]] = {}
    defaults = Settings()
    for item in fields(Settings):
        value = getattr(settings, item.name)
        if value is None or value == getattr(defaults, item.name):
            continue
        table, key = _LAYOUT[item.name]
        document.setdefault(table, {})[key] = value
    write_private_text(path, tomli_w.dumps(document))  # 0600: it may hold a proxy password


def updated(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)
