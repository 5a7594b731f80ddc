"""The people who sign in online, their one-minute authorization codes and their
rotating refresh tokens (the authorization-code + PKCE side of the service).

Kept apart from :mod:`sandbox.storage` (contacts, clients, client-credentials tokens)
in its own 0600 SQLite file, so the sign-in can change without touching the sync store.

* Passwords are kept only as ``hashlib.scrypt`` hashes (salted, memory-hard).
* Authorization codes live in memory only, at most :data:`CODE_LIFETIME_SECONDS`, and
  are taken (deleted) by the first exchange, whatever its outcome: single-use.
* Refresh tokens are kept as SHA-256 digests. Each use rotates: the old one is marked
  used and a new one of the same *family* is issued. Presenting a used one again means
  it was copied: the whole family is revoked (RFC 6819 5.2.2.3, OAuth 2.1 4.3.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from engine.local.private_files import make_private

ACCOUNTS_FILE_NAME: Final = "accounts.db"
CODE_LIFETIME_SECONDS: Final = 60.0
#: A refresh token (and its family) is good for this long after the sign-in at most.
REFRESH_LIFETIME_SECONDS: Final = 30 * 24 * 3600
#: Codes waiting to be exchanged, at most (the oldest are dropped first).
MAX_PENDING_CODES: Final = 1000
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS users (
    email TEXT PRIMARY KEY COLLATE NOCASE,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS families (
    family TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    email TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_sha256 TEXT PRIMARY KEY,
    family TEXT NOT NULL REFERENCES families(family),
    used INTEGER NOT NULL DEFAULT 0
);
"""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P
    )
    encoded = base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded}"


def password_matches(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(actual, expected)


#: Checked against when the email is unknown, so a wrong email costs the same time as a
#: wrong password and the answer's timing doesn't say which emails exist.
_DUMMY_HASH: Final = hash_password(secrets.token_urlsafe(16))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CodeGrant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    email: str
    scope: str
    expires_at: float

    def verifier_matches(self, verifier: str) -> bool:
        return hmac.compare_digest(create_s256_code_challenge(verifier), self.code_challenge)


@dataclass(frozen=True)
class RefreshGrant:
    family: str
    client_id: str
    email: str
    scope: str


class RefreshRefusal(Enum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REPLAYED = "replayed"
    OTHER_CLIENT = "other client"


class Accounts:
    """Users, codes and refresh-token families; thread-safe (handlers use worker threads)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, CodeGrant] = {}
        # password hashes and token digests: 0600 from the first byte, like the store,
        # and its WAL and SHM files too (stale world-readable ones are fixed)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
        make_private(path)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        for suffix in ("-wal", "-shm"):
            make_private(path.with_name(path.name + suffix))
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- people ---------------------------------------------------------------------------

    def replace_users(self, users: Iterable[tuple[str, str]]) -> None:
        """Exactly these (email, password) may sign in; a changed password revokes that
        person's refresh tokens (as a service does on a password change)."""
        wanted = {email.lower(): password for email, password in users}
        with self._write() as conn:
            stored = dict(conn.execute("SELECT lower(email), password_hash FROM users"))
            for email in set(stored) - set(wanted):
                conn.execute("DELETE FROM users WHERE email = ?", (email,))
                conn.execute("UPDATE families SET revoked = 1 WHERE lower(email) = ?", (email,))
            for email, password in wanted.items():
                if email in stored and password_matches(password, stored[email]):
                    continue
                conn.execute(
                    "INSERT INTO users (email, password_hash) VALUES (?, ?)"
                    " ON CONFLICT(email) DO UPDATE SET password_hash = excluded.password_hash",
                    (email, hash_password(password)),
                )
                conn.execute("UPDATE families SET revoked = 1 WHERE lower(email) = ?", (email,))

    def verify(self, email: str, password: str) -> str | None:
        """The stored email when the password is right (slow on purpose: a worker thread)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT email, password_hash FROM users WHERE email = ?", (email.strip(),)
            ).fetchone()
        if row is None:
            password_matches(password, _DUMMY_HASH)
            return None
        return str(row[0]) if password_matches(password, str(row[1])) else None

    # -- authorization codes --------------------------------------------------------------

    def new_code(
        self, client_id: str, redirect_uri: str, code_challenge: str, email: str, scope: str
    ) -> str:
        code = secrets.token_urlsafe(32)
        now = self._clock()
        grant = CodeGrant(
            client_id, redirect_uri, code_challenge, email, scope, now + CODE_LIFETIME_SECONDS
        )
        with self._lock:
            for digest in [d for d, g in self._codes.items() if g.expires_at <= now]:
                del self._codes[digest]
            while len(self._codes) >= MAX_PENDING_CODES:
                del self._codes[next(iter(self._codes))]
            self._codes[_sha256(code)] = grant
        return code

    def take_code(self, code: str) -> CodeGrant | None:
        """The code's grant if it is live; the code is gone afterwards either way."""
        with self._lock:
            grant = self._codes.pop(_sha256(code), None)
        if grant is None or grant.expires_at <= self._clock():
            return None
        return grant

    # -- refresh tokens -------------------------------------------------------------------

    def new_family(self, client_id: str, email: str, scope: str) -> tuple[str, str]:
        """A first refresh token and its family's id."""
        family = secrets.token_hex(16)
        token = secrets.token_urlsafe(32)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO families (family, client_id, email, scope, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (family, client_id, email, scope, self._clock() + REFRESH_LIFETIME_SECONDS),
            )
            conn.execute(
                "INSERT INTO refresh_tokens (token_sha256, family) VALUES (?, ?)",
                (_sha256(token), family),
            )
        return token, family

    def family_of(self, token: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT family FROM refresh_tokens WHERE token_sha256 = ?", (_sha256(token),)
            ).fetchone()
        return None if row is None else str(row[0])

    def rotate(self, token: str, client_id: str) -> tuple[RefreshGrant, str] | RefreshRefusal:
        """Spend ``token`` for a new one of its family, or say why not. A replayed
        (already used) token revokes its whole family."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT r.family, r.used, f.client_id, f.email, f.scope, f.expires_at,"
                " f.revoked FROM refresh_tokens r JOIN families f USING (family)"
                " WHERE r.token_sha256 = ?",
                (_sha256(token),),
            ).fetchone()
            if row is None:
                return RefreshRefusal.UNKNOWN
            family, used, owner, email, scope, expires_at, revoked = row
            if owner != client_id:
                return RefreshRefusal.OTHER_CLIENT
            if revoked:
                return RefreshRefusal.REVOKED
            if used:
                conn.execute("UPDATE families SET revoked = 1 WHERE family = ?", (family,))
                return RefreshRefusal.REPLAYED
            if expires_at <= self._clock():
                return RefreshRefusal.EXPIRED
            new = secrets.token_urlsafe(32)
            conn.execute(
                "UPDATE refresh_tokens SET used = 1 WHERE token_sha256 = ?", (_sha256(token),)
            )
            conn.execute(
                "INSERT INTO refresh_tokens (token_sha256, family) VALUES (?, ?)",
                (_sha256(new), family),
            )
        return RefreshGrant(family, owner, email, scope), new

    def revoke(self, token: str, client_id: str) -> bool:
        """RFC 7009: revoke the family of this refresh token (when it is this client's)."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE families SET revoked = 1 WHERE client_id = ? AND family ="
                " (SELECT family FROM refresh_tokens WHERE token_sha256 = ?)",
                (client_id, _sha256(token)),
            )
            return cursor.rowcount > 0

    def family_revoked(self, family: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT revoked FROM families WHERE family = ?", (family,)
            ).fetchone()
        return row is None or bool(row[0])
