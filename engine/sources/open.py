"""Opens the right source and single-agent lock for a ``--source`` address."""

from __future__ import annotations

from pathlib import Path

from engine.errors import SourceError
from engine.mapping import load_mapping
from engine.source_url import SourceKind, SourceUrl
from engine.sources.base import AgentLock, Source


def _odbc_unsupported() -> SourceError:
    return SourceError(
        "ODBC databases (SQL Server, PostgreSQL) are not supported by this version yet.",
        "Use a sqlite:PATH source for now.",
    )


def open_source(url: SourceUrl, mapping_file: Path | None = None) -> Source:
    if url.kind is SourceKind.SQLITE:
        from engine.sources.sqlite import SqliteSource

        return SqliteSource(url.sqlite_path, load_mapping(mapping_file))
    raise _odbc_unsupported()


def open_lock(url: SourceUrl) -> AgentLock:
    if url.kind is SourceKind.SQLITE:
        from engine.sources.sqlite import SqliteAgentLock

        return SqliteAgentLock(url.sqlite_path)
    raise _odbc_unsupported()
