"""Opens the right source and single-agent lock for a ``--source`` address."""

from __future__ import annotations

from pathlib import Path

from engine.local.source_url import SourceKind, SourceUrl
from engine.sources.base import AgentLock, Source
from engine.sources.mapping.mapping_file import load_mapping


def open_source(url: SourceUrl, mapping_file: Path | None = None) -> Source:
    """Called in the source's worker thread, which then owns the connection."""
    if url.kind is SourceKind.SQLITE:
        from engine.sources.sqlite import SqliteSource

        return SqliteSource(url.sqlite_path, load_mapping(mapping_file))
    from engine.sources.odbc import OdbcSource

    return OdbcSource(url.target, load_mapping(mapping_file))


def open_lock(url: SourceUrl) -> AgentLock:
    """Connects nothing yet: an ODBC lock connects on its first try_acquire."""
    if url.kind is SourceKind.SQLITE:
        from engine.sources.sqlite import SqliteAgentLock

        return SqliteAgentLock(url.sqlite_path)
    from engine.sources.odbc import OdbcAgentLock

    return OdbcAgentLock(url.target)
