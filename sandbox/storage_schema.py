"""The sandbox's SQLite schema: the practice, OAuth clients and tokens, contacts, batches.

Kept apart from ``storage.py`` (which reads and writes it) so the tables can be read in
one place; ``Store._migrate`` brings older databases up to it.
"""

from __future__ import annotations

from typing import Final

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS practice (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    practice_id TEXT NOT NULL,
    name TEXT NOT NULL,
    live_activated INTEGER NOT NULL DEFAULT 0,
    activated_at TEXT,
    activated_by TEXT,
    machine TEXT,
    terms_version TEXT,
    epoch INTEGER NOT NULL DEFAULT 0,
    lease_agent TEXT,
    lease_machine TEXT,
    checkpoint TEXT,
    last_batch_at TEXT
);
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    scope TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256 TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY,
    doc TEXT NOT NULL,
    hash TEXT NOT NULL,
    name TEXT,
    code TEXT,
    type TEXT,
    email TEXT,
    phone TEXT
);
-- What the contacts page's search looks in (sandbox.search), a row per contact: kept out
-- of the page's name index, which is written at a random place for every new contact
-- (with the search text in it, that index was ~6x as wide and most of a batch's writing).
CREATE TABLE IF NOT EXISTS contact_search (
    id INTEGER PRIMARY KEY,
    search TEXT NOT NULL
);
-- Every applied batch in order, with the epoch that wrote it: lets an audit prove that
-- no agent ever wrote after a newer lease was taken (epochs never go backwards).
CREATE TABLE IF NOT EXISTS batch_log (
    seq INTEGER PRIMARY KEY,
    epoch INTEGER NOT NULL,
    upserts INTEGER NOT NULL,
    deletes INTEGER NOT NULL,
    applied_at REAL NOT NULL,
    -- of the upserts, those already stored exactly so (same hash: not rewritten); the
    -- kill soak counts contacts sent twice with it
    unchanged INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""
