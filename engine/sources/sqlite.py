"""The practice database as a SQLite file (the reference schema, tests and the demo).

Every method runs one short transaction on an autocommit connection (``BEGIN`` …
``COMMIT``), so the snapshot is consistent within a call and nothing is held between
calls. The journal mode is the database owner's choice and is never changed here.
"""

from __future__ import annotations

import itertools
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Final, TypeVar

from engine.contract.document import Document
from engine.errors import SchemaError, SourceError
from engine.local.file_lock import try_lock, unlock
from engine.sources.base import Page, UploadPage
from engine.sources.cursor_source import CursorSource
from engine.sources.dialects.sqlite import TRIGGERS_SQL, SqliteDialect, check_triggers
from engine.sources.mapping.mapping_file import load_mapping
from engine.sources.mapping.reads import (
    fetch_changed_ids,
    fetch_documents,
    fetch_few_changed_ids,
    fetch_page,
    fetch_upload_page,
)
from engine.sources.mapping.schema import LogicalTable, SchemaMapping
from engine.sources.mapping.schema_check import schema_error, schema_gaps
from engine.sources.sqlite_rows import HandedRows, HandingQueries, Unproven

#: How long a statement waits for another program's write lock before giving up.
DEFAULT_BUSY_TIMEOUT_SECONDS: Final = 5.0
LOCK_SUFFIX: Final = ".contacts-migration.lock"
#: A change scan reads up to this many changed rows through the RowVer indexes before it
#: falls back to the scan in contact order (few changes: the usual poll after an edit).
FEW_CHANGES: Final = 2000

T = TypeVar("T")
_CONNECTION_SERIALS: Final = itertools.count(1)


def _lossless_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def connect(
    path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS
) -> sqlite3.Connection:
    """Open an existing database read-write in autocommit mode, foreign keys on.

    ``mode=rw`` makes a missing file an error instead of a new empty database.
    """
    if not path.exists():
        raise SourceError(
            f"There is no database at {path}.",
            "Check the path in the settings, or create a database first.",
        )
    if path.is_dir():
        raise SourceError(f"{path} is a folder, not a database file.", "Choose the database file.")
    uri = f"{path.resolve().as_uri()}?mode=rw"
    try:
        connection = sqlite3.connect(
            uri,
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,  # used by one worker thread, not always its creator
        )
    except sqlite3.Error as error:
        raise _translate(error, path) from error
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        connection.close()
        raise _translate(error, path) from error
    return connection


def _file_identity(path: Path) -> tuple[int, int] | None:
    """The file's device and inode, or None when it is not there."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _translate(error: sqlite3.Error, path: Path) -> SourceError:
    """A sqlite3 error as a message a person can act on."""
    message = str(error)
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        return SourceError(
            f"The database {path} is busy: another program has held it locked for too long.",
            "Try again in a moment; if it keeps happening, close the program that is writing "
            "to it.",
        )
    if "not a database" in lowered or "malformed" in lowered or "encrypted" in lowered:
        return SourceError(
            f"{path} is not a readable SQLite database ({message}).",
            "Check that the path points at the practice database.",
        )
    if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
        return SourceError(
            f"The database {path} can't be opened for reading and writing ({message}).",
            "Check that the file exists and that you may read and write it and its folder.",
        )
    if "no such table" in lowered or "no such column" in lowered:
        return SchemaError(
            f"The database {path} does not have the tables the mapping describes ({message}).",
            "Check the mapping file, or choose the practice's database.",
        )
    return SourceError(f"Reading the database {path} failed: {message}.", "Try again.")


class SqliteSource(CursorSource):
    """:class:`engine.sources.base.Source` over a SQLite file."""

    def __init__(
        self,
        path: Path,
        mapping: SchemaMapping | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.path = path
        self.mapping = load_mapping() if mapping is None else mapping
        self.queries = HandingQueries(self.mapping, SqliteDialect())
        self._connection: sqlite3.Connection | None = connect(path, busy_timeout=busy_timeout)
        self._handed = HandedRows(self._connection)
        self._serial = next(_CONNECTION_SERIALS)
        self._identity = _file_identity(path)
        #: The ``since`` of the last change scan that found more than FEW_CHANGES rows.
        self._many_changes_since: int | None = None
        #: Write transactions committed on this connection (data_version counts only the
        #: other connections' commits).
        self._writes = 0

    def _check_file(self) -> None:
        """An open connection keeps reading a deleted or replaced file: say so instead,
        so the light turns and the next connection opens what is there now."""
        if _file_identity(self.path) != self._identity:
            raise SourceError(
                f"The database file {self.path} was deleted, moved or replaced.",
                "Put the practice database back, or correct the path in the settings.",
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> SqliteSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[sqlite3.Cursor]:
        """One short transaction; a write one takes the write lock at once so it can't
        fail half-way with a lock upgrade."""
        if self._connection is None:
            raise SourceError(f"The connection to {self.path} was closed.", "Open it again.")
        cursor = self._connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield cursor
            cursor.execute("COMMIT")
            if write:
                self._writes += 1
        except sqlite3.Error as error:
            self._rollback()
            raise _translate(error, self.path) from error
        except BaseException:
            self._rollback()
            raise
        finally:
            cursor.close()

    def _rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            with suppress(sqlite3.Error):  # the original error matters more
                self._connection.execute("ROLLBACK")

    # --- schema ------------------------------------------------------------------------

    def check_schema(self) -> tuple[str, ...]:
        self._check_file()
        with self._transaction() as cursor:

            def describe(table: LogicalTable) -> list[str] | None:
                try:
                    cursor.execute(self.queries.probe(table))
                except sqlite3.OperationalError as error:
                    if "no such table" in str(error).lower():
                        return None
                    raise
                return [column[0] for column in cursor.description]

            gaps = schema_gaps(describe, self.mapping, self.queries.sql)
            if gaps.required:
                raise schema_error(gaps.required, self.mapping, str(self.path))
            cursor.execute(TRIGGERS_SQL)
            triggers = cursor.fetchall()
        check_triggers(triggers, self.mapping, str(self.path))
        mapping = gaps.applied_to(self.mapping)
        if mapping is not self.mapping:
            self.mapping, self.queries = mapping, HandingQueries(mapping, SqliteDialect())
        return gaps.absent_labels

    # --- reading -----------------------------------------------------------------------

    def change_token(self) -> int | None:
        if self._connection is None:
            raise SourceError(f"The connection to {self.path} was closed.", "Open it again.")
        self._check_file()
        try:
            row = self._connection.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as error:
            raise _translate(error, self.path) from error
        # data_version only compares within one connection: a reconnect must not look
        # like "nothing changed", so the connection's own serial is part of the token, and
        # it counts other connections' commits only, so this one's writes are too.
        return self._serial << 128 | self._writes << 64 | int(row[0])

    def watermark(self) -> int:
        with self._transaction() as cursor:
            cursor.execute(self.queries.watermark)
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _lossless(self, read: Callable[[], T]) -> T:
        """Text that is not valid UTF-8 (another program wrote raw bytes) would stop the
        whole page; it is re-read decoded with ``surrogateescape`` instead, so the exact
        bytes travel online (as lone surrogates) and nothing blocks the sync. The fast
        built-in decoder is kept for the usual case."""
        try:
            return read()
        except SourceError as error:
            cause = error.__cause__
            if not (isinstance(cause, sqlite3.OperationalError) and "decode" in str(cause)):
                raise
            assert self._connection is not None
            self._connection.text_factory = _lossless_text
            try:
                return read()
            finally:
                if self._connection is not None:
                    self._connection.text_factory = str

    def read_page(self, after_id: int, limit: int) -> Page:
        def read() -> Page:
            with self._transaction() as cursor:
                return fetch_page(cursor, self.queries, after_id, limit)

        return self._lossless(read)

    def read_upload_page(self, after_id: int, limit: int) -> UploadPage:
        """Rows handed over (``sqlite_rows``, half the fetch's CPU) where they prove to be
        the statements' rows in order; else, and when re-reading text that isn't UTF-8,
        as the cursor returns them."""

        def read() -> UploadPage:
            with self._transaction() as cursor:
                if cursor.connection.text_factory is str and self._handed.trusted:
                    try:
                        return fetch_upload_page(
                            cursor, self.queries, after_id, limit, self._handed
                        )
                    except Unproven:
                        pass
                return fetch_upload_page(cursor, self.queries, after_id, limit)

        return self._lossless(read)

    def changed_ids(
        self, since: int, after_id: int, limit: int, upper: int | None = None
    ) -> list[int]:
        """The few changes of a poll through the RowVer indexes; once that found many
        for this ``since`` (a bulk change: the rest of its pass), the ordered scan."""
        with self._transaction() as cursor:
            if self._many_changes_since != since:
                found = fetch_few_changed_ids(
                    cursor, self.queries, since, after_id, limit, FEW_CHANGES, upper
                )
                if found is not None:
                    return found
                self._many_changes_since = since
            return fetch_changed_ids(cursor, self.queries, since, after_id, limit, upper)

    def read_documents(self, ids: Sequence[int]) -> list[Document]:
        def read() -> list[Document]:
            with self._transaction() as cursor:
                return fetch_documents(cursor, self.queries, ids)

        return self._lossless(read)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + LOCK_SUFFIX)


class SqliteAgentLock:
    """:class:`engine.sources.base.AgentLock`: an OS lock on a file beside the database.

    The OS drops the lock when the process ends, however it ends, so a crashed agent
    never leaves a stale lock. The file itself is left in place (deleting it would let
    two agents lock two different files).
    """

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._handle: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        try:
            handle = self.path.open("a+b")
        except OSError as error:
            raise SourceError(
                f"Can't create the lock file {self.path} ({error.strerror or error}).",
                "Check that you may write to the folder holding the database.",
            ) from error
        if not try_lock(handle):
            handle.close()
            return False
        # Who holds it, for a person wondering why a second agent won't start; the lock is
        # what matters, the note is a courtesy.
        with suppress(OSError):
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
            handle.flush()
        self._handle = handle
        return True

    def is_held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            unlock(handle)
        finally:
            handle.close()
