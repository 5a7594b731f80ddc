"""``--source`` values: ``sqlite:PATH`` or ``odbc:CONNECTION-STRING``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from engine.errors import ConnectionStringError, SettingsError


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
        """For logs and diagnostics: an ODBC string may carry a password, in braces with
        ``;`` and ``}}`` inside, so it is parsed by ODBC's rules, never split on ``;``."""
        if self.kind is SourceKind.SQLITE:
            return f"sqlite:{self.target}"
        return "odbc:" + redacted_connection_string(self.target)


def redacted_connection_string(text: str) -> str:
    """``text`` with every password value hidden, by ODBC's brace rules; a string that
    does not parse is hidden from its first password keyword to its end."""
    from engine.sources.odbc_connect import ConnectionString

    try:
        return ConnectionString.parse(text).redacted()
    except ConnectionStringError:
        match = _PASSWORD_KEY.search(text)
        return text if match is None else text[: match.end()] + "***"


#: Where a password value starts in a connection string that does not parse.
_PASSWORD_KEY: Final = re.compile(r"(?i)(?:^|;)\s*(?:pwd|password)\s*=")
#: The database password, kept out of the command line: another account on this computer
#: can read every process's arguments, never its environment.
DB_PASSWORD_ENV: Final = "CONTACTS_MIGRATION_DB_PASSWORD"


def source_has_password(url: str) -> bool:
    """Whether an ``odbc:`` source carries a ``Pwd``/``Password`` (for the warning)."""
    parsed = parse_source_url(url)
    return parsed.kind is SourceKind.ODBC and bool(_PASSWORD_KEY.search(parsed.target))


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


#: Said when ``--source`` itself carries a password.
PASSWORD_ON_COMMAND_LINE: Final = (
    "Warning: the database password was given in --source, on the command line, where "
    "every account on this computer can read it (the process list). Leave Pwd out of "
    f"--source and set {DB_PASSWORD_ENV}, or pass --ask-db-password to type it."
)


@dataclass(frozen=True)
class DatabaseSource:
    """What a front end's ``--source`` means: the source without its password (what the
    settings keep), the password apart (the keyring at activation, merged into the
    connection only when connecting), and the warning to show (or None)."""

    source: str
    password: str | None
    warning: str | None


def split_database_password(url: str) -> tuple[str, str | None]:
    """``url`` without its ``Pwd``/``Password`` (parsed by ODBC's brace rules), and that
    password; a ``sqlite:`` source has none."""
    from engine.sources.odbc_connect import ConnectionString

    parsed = parse_source_url(url)
    if parsed.kind is not SourceKind.ODBC:
        return url, None
    pairs = ConnectionString.parse(parsed.target).pairs
    passwords = [v for k, v in pairs if k.casefold() in ("pwd", "password")]
    if not passwords:
        return url, None
    kept = tuple((k, v) for k, v in pairs if k.casefold() not in ("pwd", "password"))
    return "odbc:" + ConnectionString(kept).text(), passwords[-1]


def command_line_source(
    url: str, typed_password: str | None = None, environ: Mapping[str, str] | None = None
) -> DatabaseSource:
    """The source a front end's ``--source`` means, its password kept apart.

    The password comes from ``typed_password`` (a prompt), else :data:`DB_PASSWORD_ENV`,
    else whatever ``url`` holds (with the warning): never needed in the arguments, and
    never written into the settings file."""
    environment = os.environ if environ is None else environ
    warning = PASSWORD_ON_COMMAND_LINE if source_has_password(url) else None
    bare, inline = split_database_password(url)
    password = typed_password or environment.get(DB_PASSWORD_ENV) or inline
    if password and parse_source_url(bare).kind is not SourceKind.ODBC:
        raise SettingsError(
            "A database password applies to an odbc: source only.",
            f"Unset {DB_PASSWORD_ENV} for a sqlite: file.",
        )
    return DatabaseSource(bare, password or None, warning)
