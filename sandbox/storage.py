"""The sandbox's SQLite database: the practice, OAuth clients and tokens, contacts.

One writer connection behind a lock (SQLite allows one writer anyway) and one reader
connection per worker thread; WAL mode lets readers see a consistent snapshot while a
batch is being written. Every method is blocking: call it from a worker thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from engine.contract.canonical import collection_checksum
from engine.contract.wire import ErrorCode
from engine.local.private_files import make_private
from sandbox.batch import ContactRow, PreparedBatch
from sandbox.errors import ApiError
from sandbox.name_index import CREATE_NAME_INDEX, defer_for_bulk_load, has_name_index
from sandbox.search import (
    PageResult,
    SearchQuery,
    document_search_text,
    read_page,
)
from sandbox.storage_schema import SCHEMA

DB_FILE_NAME: Final = "sandbox.db"
#: Pages of a new database. Each contact adds a row of ~1.5 kB and an entry at a random
#: place of the page's name index; with 4 kB pages a batch dirtied (and wrote to the WAL,
#: and later checkpointed) nearly one index page per contact. 16 kB pages: a third less
#: service CPU per contact stored (100,000 contacts, sandbox/storage.py's apply_batch).
PAGE_BYTES: Final = 16_384
#: The writer's page cache: the name index of 100,000 contacts stays in memory (the
#: default 2 MB re-read it from the file for every batch).
WRITER_CACHE_KIB: Final = 65_536
IDEMPOTENCY_RETENTION_SECONDS: Final = 7 * 24 * 3600


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Practice:
    practice_id: str
    name: str
    live_activated: bool
    activated_at: str | None
    activated_by: str | None
    machine: str | None
    terms_version: str | None
    epoch: int
    checkpoint: str | None
    last_batch_at: str | None

    @property
    def activated(self) -> bool:
        return self.activated_at is not None

    def activation_record(self) -> dict[str, Any]:
        return {
            "activated": self.activated,
            "activated_at": self.activated_at,
            "activated_by": self.activated_by,
            "machine": self.machine,
            "terms_version": self.terms_version,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "practice_id": self.practice_id,
            "name": self.name,
            "live_activated": self.live_activated,
            "contacts_migration": self.activation_record(),
        }


_PRACTICE_COLUMNS: Final = (
    "practice_id, name, live_activated, activated_at, activated_by, machine, terms_version,"
    " epoch, checkpoint, last_batch_at"
)


def _practice(row: tuple[Any, ...]) -> Practice:
    return Practice(
        practice_id=row[0],
        name=row[1],
        live_activated=bool(row[2]),
        activated_at=row[3],
        activated_by=row[4],
        machine=row[5],
        terms_version=row[6],
        epoch=row[7],
        checkpoint=row[8],
        last_batch_at=row[9],
    )


@dataclass(frozen=True)
class ServiceSyncState:
    """A practice's sync state as stored (answered by ``GET /sync/state``)."""

    epoch: int
    checkpoint: str | None
    contact_count: int
    checksum: str
    last_batch_at: str | None
    #: The machine that took the current lease, so a fenced-off agent can name it.
    lease_machine: str | None = None


@dataclass(frozen=True)
class BatchOutcome:
    status: int
    body: str
    replayed: bool


_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)

#: The stored contact's columns, once: ContactRow's fields, in order.
_CONTACT_COLUMNS: Final = ContactRow._fields
_UPSERT_CONTACT: Final = (
    f"INSERT INTO contacts ({', '.join(_CONTACT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_CONTACT_COLUMNS))}) ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _CONTACT_COLUMNS if column != "id")
    # a contact sent again exactly as stored is not rewritten (no WAL pages, no index
    # update); SQLite then counts no change for it, which is how such resends are counted
    + " WHERE contacts.hash IS NOT excluded.hash"
)
#: A contact's search text: written when new or changed (as its contact is).
_UPSERT_SEARCH: Final = (
    "INSERT INTO contact_search (id, search) VALUES (?, ?) ON CONFLICT(id) DO UPDATE"
    " SET search = excluded.search WHERE contact_search.search IS NOT excluded.search"
)


class Store:
    """All persistent state of one sandbox practice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        # Contacts are personal data: 0600 from the first byte, and for the WAL and SHM
        # files too (SQLite gives new ones the database's mode; stale ones are fixed).
        new = not path.exists()
        if new:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
        make_private(path)
        self._writer = self._connect()
        if new:  # only a database not yet written takes a page size
            self._writer.execute(f"PRAGMA page_size={PAGE_BYTES}")
        self._writer.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        self._writer.execute("PRAGMA journal_mode=WAL")
        for suffix in ("-wal", "-shm"):
            make_private(path.with_name(path.name + suffix))
        fill_search = not self._tables() & {"contact_search"}
        self._writer.executescript(SCHEMA)
        self._migrate(fill_search)

    def _migrate(self, fill_search: bool) -> None:
        """Bring an older database up to :data:`SCHEMA`, in one transaction: the search
        text moves out of ``contacts`` (its column and the wide name index holding it go)
        into ``contact_search``, filled from the stored documents when the table is new
        (``fill_search``); the batch log gets its ``unchanged`` count. The page's name
        index is not built here: :meth:`page_rows` builds it when it is missing
        (sandbox.name_index)."""
        with self._write() as conn:
            if fill_search:
                rows = conn.execute("SELECT id, doc FROM contacts").fetchall()
                texts = [(doc_id, document_search_text(json.loads(doc))) for doc_id, doc in rows]
                conn.executemany(_UPSERT_SEARCH, texts)
            if "search" in self._columns("contacts"):
                conn.execute("DROP INDEX IF EXISTS contacts_by_name")
                conn.execute("ALTER TABLE contacts DROP COLUMN search")
            if "unchanged" not in self._columns("batch_log"):
                conn.execute(
                    "ALTER TABLE batch_log ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0"
                )

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._writer.execute(f"PRAGMA table_info({table})")}

    def _tables(self) -> set[str]:
        found = self._writer.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        return {row[0] for row in found}

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def close(self) -> None:
        with self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction on the writer: all of it commits, or none of it."""
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on this thread's reader: one consistent snapshot."""
        conn: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=1")
            self._local.reader = conn
            with self._readers_lock:
                self._readers.append(conn)
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    # -- practice and clients -----------------------------------------------------------

    def practice(self) -> Practice | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {_PRACTICE_COLUMNS} FROM practice").fetchone()
        return None if row is None else _practice(row)

    def create_practice(self, practice_id: str, name: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO practice (singleton, practice_id, name) VALUES (1, ?, ?)"
                " ON CONFLICT(singleton) DO NOTHING",
                (practice_id, name),
            )

    def rename_practice(self, name: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE practice SET name = ?", (name,))

    def replace_clients(self, clients: list[tuple[str, str, str]]) -> None:
        """Make the clients table hold exactly these (client_id, secret_sha256, scope)."""
        with self._write() as conn:
            conn.execute("DELETE FROM clients")
            conn.executemany(
                "INSERT INTO clients (client_id, secret_sha256, scope) VALUES (?, ?, ?)", clients
            )
            known = [c[0] for c in clients]
            marks = ",".join("?" * len(known))
            conn.execute(f"DELETE FROM tokens WHERE client_id NOT IN ({marks})", known)

    def revoke_tokens(self, client_id: str) -> None:
        """Forget every token issued to this client (its secret was rotated)."""
        with self._write() as conn:
            conn.execute("DELETE FROM tokens WHERE client_id = ?", (client_id,))

    def clients(self) -> list[tuple[str, str, str]]:
        with self._read() as conn:
            return conn.execute("SELECT client_id, secret_sha256, scope FROM clients").fetchall()

    # -- tokens -------------------------------------------------------------------------

    def save_token(self, token_sha256: str, client_id: str, scope: str, expires_at: float) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM tokens WHERE expires_at < ?", (time.time(),))
            conn.execute(
                "INSERT INTO tokens (token_sha256, client_id, scope, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_sha256, client_id, scope, expires_at),
            )

    def evict_tokens_beyond(self, client_id: str, keep: int) -> list[str]:
        """Forget all but the ``keep`` latest tokens of this client; their digests."""
        with self._write() as conn:
            evicted = [
                str(row[0])
                for row in conn.execute(
                    "SELECT token_sha256 FROM tokens WHERE client_id = ?"
                    " ORDER BY expires_at DESC LIMIT -1 OFFSET ?",
                    (client_id, keep),
                )
            ]
            conn.executemany("DELETE FROM tokens WHERE token_sha256 = ?", [(d,) for d in evicted])
        return evicted

    def live_tokens(self) -> list[tuple[str, str, float]]:
        with self._read() as conn:
            return conn.execute(
                "SELECT token_sha256, scope, expires_at FROM tokens WHERE expires_at >= ?",
                (time.time(),),
            ).fetchall()

    # -- activation and lease -----------------------------------------------------------

    def activate(
        self, terms_version: str, current_terms: str, accepted_by: str, machine: str
    ) -> tuple[Practice, bool]:
        """Activate once; later calls return the first record. True when newly activated."""
        with self._write() as conn:
            current = _practice(
                conn.execute(f"SELECT {_PRACTICE_COLUMNS} FROM practice").fetchone()
            )
            if current.activated:
                return current, False
            if terms_version != current_terms:
                raise ApiError(
                    409,
                    ErrorCode.TERMS_OUTDATED,
                    f"The Terms of use were updated (current version {current_terms}); "
                    "show the current terms and ask again.",
                    extra={"current_version": current_terms},
                )
            conn.execute(
                "UPDATE practice SET live_activated = 1, activated_at = ?, activated_by = ?,"
                " machine = ?, terms_version = ?",
                (utc_now(), accepted_by, machine, terms_version),
            )
            row = conn.execute(f"SELECT {_PRACTICE_COLUMNS} FROM practice").fetchone()
            return _practice(row), True

    def lease(self, agent_id: str, machine: str) -> int:
        """Fence off every earlier holder by raising the epoch."""
        with self._write() as conn:
            conn.execute(
                "UPDATE practice SET epoch = epoch + 1, lease_agent = ?, lease_machine = ?",
                (agent_id, machine),
            )
            conn.execute(
                "DELETE FROM idempotency WHERE created_at < ?",
                (time.time() - IDEMPOTENCY_RETENTION_SECONDS,),
            )
            epoch: int = conn.execute("SELECT epoch FROM practice").fetchone()[0]
            return epoch

    # -- batches ------------------------------------------------------------------------

    def apply_batch(self, batch: PreparedBatch, key: str, response_body: Any) -> BatchOutcome:
        """Apply a validated batch atomically, or replay the answer stored for ``key``.

        ``response_body`` builds the answer from (applied_upserts, applied_deletes).
        """
        with self._write() as conn:
            stored = conn.execute(
                "SELECT fingerprint, status, body FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
            if stored is not None:
                if stored[0] != batch.fingerprint:
                    raise ApiError(
                        422,
                        ErrorCode.IDEMPOTENCY_KEY_REUSED,
                        "This Idempotency-Key was already used for a different batch; "
                        "use a new key for new content.",
                    )
                return BatchOutcome(stored[1], stored[2], replayed=True)
            practice = _practice(
                conn.execute(f"SELECT {_PRACTICE_COLUMNS} FROM practice").fetchone()
            )
            if not practice.activated:
                raise ApiError(
                    409,
                    ErrorCode.NOT_ACTIVATED,
                    "Contacts migration is not activated for this practice yet; "
                    "accept the Terms of use first.",
                )
            if practice.epoch == 0 or batch.epoch != practice.epoch:
                raise ApiError(
                    409,
                    ErrorCode.STALE_EPOCH,
                    f"Epoch {batch.epoch} is not the current lease (epoch {practice.epoch}); "
                    "another agent took over. Take a new lease before sending.",
                    extra={"current_epoch": practice.epoch},
                )
            if batch.base_checkpoint != practice.checkpoint:
                raise ApiError(
                    409,
                    ErrorCode.CHECKPOINT_CONFLICT,
                    "The batch was built on a checkpoint that is no longer the current one; "
                    "read the sync state and continue from there.",
                    extra={"current_checkpoint": practice.checkpoint},
                )
            defer_for_bulk_load(conn)
            written = conn.executemany(_UPSERT_CONTACT, batch.rows)
            unchanged = len(batch.rows) - written.rowcount
            conn.executemany(_UPSERT_SEARCH, batch.searches)
            deleted = 0
            if batch.deletes:
                ids = [(d,) for d in batch.deletes]
                deleted = conn.executemany("DELETE FROM contacts WHERE id = ?", ids).rowcount
                conn.executemany("DELETE FROM contact_search WHERE id = ?", ids)
            conn.execute(
                "UPDATE practice SET checkpoint = ?, last_batch_at = ?",
                (batch.checkpoint, utc_now()),
            )
            body: str = response_body(len(batch.rows), deleted)
            conn.execute(
                "INSERT INTO batch_log (epoch, upserts, deletes, applied_at, unchanged)"
                " VALUES (?, ?, ?, ?, ?)",
                (batch.epoch, len(batch.rows), deleted, time.time(), unchanged),
            )
            conn.execute(
                "INSERT INTO idempotency (key, fingerprint, status, body, created_at)"
                " VALUES (?, ?, 200, ?, ?)",
                (key, batch.fingerprint, body, time.time()),
            )
            return BatchOutcome(200, body, replayed=False)

    # -- reads --------------------------------------------------------------------------

    def sync_state(self) -> ServiceSyncState:
        with self._read() as conn:
            epoch, checkpoint, last_batch_at, lease_machine = conn.execute(
                "SELECT epoch, checkpoint, last_batch_at, lease_machine FROM practice"
            ).fetchone()
            count: int = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
            checksum = collection_checksum(conn.execute("SELECT id, hash FROM contacts"))
        return ServiceSyncState(epoch, checkpoint, count, checksum, last_batch_at, lease_machine)

    def batch_position(self, key: str) -> tuple[int, str | None, bool]:
        """(epoch, checkpoint, whether ``key`` was already applied): cheap, for a
        pipelined batch waiting for its base checkpoint."""
        with self._read() as conn:
            epoch, checkpoint = conn.execute("SELECT epoch, checkpoint FROM practice").fetchone()
            replay = conn.execute("SELECT 1 FROM idempotency WHERE key = ?", (key,)).fetchone()
        return int(epoch), checkpoint, replay is not None

    def contacts_after(self, after: int, limit: int) -> tuple[list[tuple[int, str]], bool]:
        """(id, doc) of up to ``limit`` contacts after ``after``, and whether more follow."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, doc FROM contacts WHERE id > ? ORDER BY id LIMIT ?",
                (after, limit + 1),
            ).fetchall()
        return rows[:limit], len(rows) > limit

    def contact(self, contact_id: int) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT doc FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        return None if row is None else str(row[0])

    def hashes_after(self, after: int, limit: int) -> list[tuple[int, str]]:
        with self._read() as conn:
            return conn.execute(
                "SELECT id, hash FROM contacts WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
            ).fetchall()

    def page_rows(self, query: SearchQuery, page: int, size: int) -> PageResult:
        """One page of the HTML page's list, by name (sandbox.search.read_page).

        Without the name index (deferred, sandbox.name_index) it is built first, in one
        sort under the write lock, and the page read in a snapshot taken under that lock:
        no batch (one arriving at an emptied table drops it again) comes in between.
        """
        with self._read() as conn:
            if has_name_index(conn):
                return read_page(conn, query, page, size)
        with self._write_lock:
            self._writer.execute(CREATE_NAME_INDEX)  # autocommit: its own transaction
            with self._read() as conn:
                return read_page(conn, query, page, size)
