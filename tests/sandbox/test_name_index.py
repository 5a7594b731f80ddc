"""The page's name index kept off a first migration (sandbox.name_index): dropped when a
batch arrives at an empty contacts table, not built by opening the database, built by the
first page view; the pages list the same contacts either way."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from sandbox.batch import prepare_batch
from sandbox.search import NAME_INDEX, PageResult, SearchQuery
from sandbox.storage import Store
from tests.sandbox.factories import person, send_batch

#: SQLite's NOCASE: ASCII letters folded, nothing else.
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
QUERIES = ("", "green", "Green, Ethan", "0477442836", "zoë", "x")


def _has_index(path: Path) -> bool:
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT name FROM sqlite_schema WHERE type = 'index'")
        return NAME_INDEX in {row[0] for row in found}


def _walk_plan(path: Path) -> str:
    """How SQLite lists contacts by name (no INDEXED BY): the index when it is there."""
    with sqlite3.connect(path) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM contacts ORDER BY name COLLATE NOCASE, id LIMIT 9"
        )
        return " ".join(str(row[-1]) for row in plan)


def _leased(path: Path) -> tuple[Store, int]:
    store = Store(path)
    store.create_practice("p", "Practice")
    store.activate("v", "v", "me", "pc")
    return store, store.lease("agent", "pc")


def _batches(seed: int) -> list[tuple[list[dict[str, Any]], list[int]]]:
    """A first migration of 240 contacts in three batches, then changes and deletes."""
    rng = random.Random(seed)
    batches: list[tuple[list[dict[str, Any]], list[int]]] = [
        ([person(i, rng) for i in range(start, start + 80)], []) for start in (1, 81, 161)
    ]
    changed = rng.sample(range(1, 241), 50)
    gone = rng.sample(sorted(set(range(1, 241)) - set(changed)), 30)
    batches.append(([person(i, rng) for i in changed], gone))
    return batches


def _pages(store: Store) -> list[PageResult]:
    return [
        store.page_rows(SearchQuery.parse(text), page, 40)
        for text in QUERIES
        for page in range(1, 8)
    ]


def test_a_first_migration_drops_the_index_and_the_page_builds_it(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    store, epoch = _leased(path)
    batches = _batches(1)
    try:
        assert not _has_index(path)  # opening a database does not build it
        assert store.page_rows(SearchQuery.parse(""), 1, 40).total == 0
        assert _has_index(path)  # built by the page view, even of no contacts
        for number, (upserts, deletes) in enumerate(batches[:2]):
            send_batch(store, epoch, number, upserts, deletes)
            assert not _has_index(path), number  # dropped at the first, not rebuilt after
        assert "SCAN contacts" in _walk_plan(path) and NAME_INDEX not in _walk_plan(path)
        assert store.page_rows(SearchQuery.parse(""), 1, 40).total == 160
        assert _has_index(path) and NAME_INDEX in _walk_plan(path)
        for number, (upserts, deletes) in enumerate(batches[2:], 2):
            send_batch(store, epoch, number, upserts, deletes)
            assert _has_index(path), number  # viewed mid-migration: kept up to date from then
    finally:
        store.close()


def test_the_pages_are_the_same_with_and_without_the_deferral(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that keeps its index through every batch (as before the deferral) and one
    whose index is built at the end list the same rows and counts for every query."""
    listed: dict[bool, list[PageResult]] = {}
    for deferred in (False, True):
        path = tmp_path / f"{deferred}.db"
        store, epoch = _leased(path)
        try:
            with monkeypatch.context() as patch:
                if not deferred:
                    patch.setattr("sandbox.storage.defer_for_bulk_load", lambda conn: None)
                    store.page_rows(SearchQuery.parse(""), 1, 40)  # built before the batches
                for number, (upserts, deletes) in enumerate(_batches(2)):
                    send_batch(store, epoch, number, upserts, deletes)
                assert _has_index(path) is not deferred
            listed[deferred] = _pages(store)
            assert _has_index(path)
        finally:
            store.close()
    assert listed[True] == listed[False]
    assert sum(len(result.rows) for result in listed[True]) > 240  # pages with rows compared


def test_a_restart_mid_migration_keeps_the_index_off_until_the_page_is_viewed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sandbox.db"
    batches = _batches(3)
    store, epoch = _leased(path)
    send_batch(store, epoch, 0, *batches[0])
    store.close()
    store = Store(path)  # a database left without the index (also as a crash leaves it)
    try:
        assert not _has_index(path)
        send_batch(store, epoch, 1, *batches[1])
        assert not _has_index(path) and store.sync_state().contact_count == 160
    finally:
        store.close()
    store = Store(path)
    try:
        assert not _has_index(path)
        assert [row.id for row in store.page_rows(SearchQuery.parse("green"), 1, 40).rows]
        assert _has_index(path)
    finally:
        store.close()
    store = Store(path)
    try:
        assert _has_index(path)  # a viewed page's index stays
        send_batch(store, epoch, 2, *batches[2])
        assert _has_index(path) and store.page_rows(SearchQuery.parse(""), 1, 40).total == 240
    finally:
        store.close()


def test_a_rolled_back_batch_keeps_the_index_and_an_emptied_table_drops_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sandbox.db"
    store, epoch = _leased(path)
    try:
        store.page_rows(SearchQuery.parse(""), 1, 40)
        upserts, _ = _batches(4)[0]
        body = {
            "epoch": epoch,
            "base_checkpoint": None,
            "checkpoint": "0",
            "upserts": upserts,
            "deletes": [],
        }
        batch = prepare_batch(json.dumps(body).encode())

        def failing(applied: int, deleted: int) -> str:
            raise RuntimeError("failure after the inserts")

        with pytest.raises(RuntimeError):
            store.apply_batch(batch, "key-0", failing)
        assert _has_index(path) and store.sync_state().contact_count == 0  # all rolled back
        send_batch(store, epoch, 0, upserts, [])
        assert not _has_index(path)
        store.page_rows(SearchQuery.parse(""), 1, 40)
        send_batch(store, epoch, 1, [], [int(doc["id"]) for doc in upserts])
        assert _has_index(path)  # only a batch that finds no contacts drops it
        send_batch(store, epoch, 2, upserts[:3], [])
        assert not _has_index(path)  # a new first migration
    finally:
        store.close()


def test_pages_viewed_during_a_first_migration_are_read_whole(tmp_path: Path) -> None:
    """Page views racing the batches (each building the index the batches dropped) never
    fail and list each snapshot's contacts in name order."""
    path = tmp_path / "sandbox.db"
    store, epoch = _leased(path)
    rng = random.Random(5)
    docs = [person(i, rng) for i in range(1, 601)]
    done = threading.Event()

    def migrate() -> None:
        try:
            for number in range(30):
                send_batch(store, epoch, number, docs[number * 20 : (number + 1) * 20], [])
        finally:
            done.set()

    sender = threading.Thread(target=migrate)
    sender.start()
    try:
        totals = []
        while not done.is_set() or not totals:
            result = store.page_rows(SearchQuery.parse(""), 1, 600)
            order = [((row.name or "").translate(_FOLD), row.id) for row in result.rows]
            assert len(result.rows) == result.total and order == sorted(order)
            totals.append(result.total)
        sender.join()
        assert totals == sorted(totals)
        assert store.page_rows(SearchQuery.parse(""), 1, 600).total == 600
    finally:
        sender.join()
        store.close()
