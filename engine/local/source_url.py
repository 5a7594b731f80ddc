"""``--source`` values: ``sqlite:PATH`` or ``odbc:CONNECTION-STRING``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engine.errors import SettingsError


class SourceKind(StrEnum):
    SQLITE = "sqlite"
    ODBC = "odbc"


@dataclass(frozen=True)
class SourceUrl:
    kind: SourceKind
    target: str

    @property
    def sqlite_path(self) -> Path:
        return Path(self.target).expanduser().resolve()

    def redacted(self) -> str:
        """For logs and diagnostics: an ODBC string may carry a password."""
        if self.kind is SourceKind.SQLITE:
            return f"sqlite:{self.target}"
        parts = []
        for part in self.target.split(";"):
            key, _, _ = part.partition("=")
            parts.append(f"{key}=***" if key.strip().lower() in ("pwd", "password") else part)
        return "odbc:" + ";".join(parts)


def parse_source_url(url: str) -> SourceUrl:
    scheme, separator, target = url.partition(":")
    try:
        kind = SourceKind(scheme.lower())
    except ValueError:
        kind = None
    if not separator or kind is None or not target.strip():
        raise SettingsError(
            f"'{url}' is not a database address this program understands.",
            "Use sqlite:PATH for a SQLite file or odbc:CONNECTION-STRING "
            "(e.g. odbc:Driver={ODBC Driver 18 for SQL Server};Server=MYOBSERVER\\MYOBACCT;...).",
        )
    return SourceUrl(kind, target.strip())
