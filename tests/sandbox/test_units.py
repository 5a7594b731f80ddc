"""In-process checks of the pieces the HTTP tests can't reach precisely."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from engine.contract.canonical import collection_checksum, contact_hash
from engine.contract.document import typed
from engine.contract.formats import CONTROL_RE
from sandbox import jsonio
from sandbox.batch import contact_row, prepare_batch
from sandbox.errors import ApiError
from sandbox.faults import FAULT_ROUTES, Fault, FaultInjector
from sandbox.storage import Store
from tests.sandbox.factories import contact

any_text = st.text(st.characters(exclude_categories=()), max_size=30).filter(
    lambda text: not CONTROL_RE.search(text)  # a stored document is a valid one
)


@settings(max_examples=200, deadline=None)
@given(
    notes=any_text | st.sampled_from(["\ud800", "a\udfffb", "😀", "\\ud800", '"\\']),
    name=any_text,
)
def test_stored_text_round_trips_and_hashes_like_the_engine(notes: str, name: str) -> None:
    doc = contact(42, notes=notes, main_name=name)
    row = contact_row(typed(doc))
    row.doc.encode("utf-8")  # always storable and sendable as UTF-8
    assert json.loads(row.doc) == doc
    assert row.hash == contact_hash(doc)
    assert json.loads(jsonio.to_bytes({"x": doc})) == {"x": doc}


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "epoch": 1,
        "base_checkpoint": None,
        "checkpoint": "c",
        "upserts": [],
        "deletes": [],
    }
    return {**body, **changes}


def _batch(**changes: Any) -> bytes:
    return json.dumps(_body(**changes)).encode()


def test_fingerprint_tells_bodies_apart_but_not_formatting() -> None:
    one = prepare_batch(_batch(upserts=[contact(1)]))
    same = prepare_batch(json.dumps(_body(upserts=[contact(1)]), indent=3).encode())
    assert one.fingerprint == same.fingerprint
    for changed in (
        _batch(upserts=[contact(2)]),
        _batch(upserts=[contact(1)], checkpoint="d"),
        _batch(upserts=[contact(1)], base_checkpoint="c"),
        _batch(upserts=[contact(1)], epoch=2),
        _batch(upserts=[contact(1)], deletes=["5"]),
        _batch(upserts=[contact(1, notes="x")]),
    ):
        assert prepare_batch(changed).fingerprint != one.fingerprint


def _leased_store(tmp_path: Path) -> tuple[Store, int]:
    """A store with an activated practice and a lease taken: (store, epoch)."""
    store = Store(tmp_path / "sandbox.db")
    store.create_practice("p", "Practice")
    store.activate("v", "v", "me", "pc")
    return store, store.lease("agent", "pc")


def _answer(upserts: int, deletes: int) -> str:
    return json.dumps([upserts, deletes])


def test_a_refused_batch_leaves_the_database_untouched(tmp_path: Path) -> None:
    store, epoch = _leased_store(tmp_path)
    try:

        def answer(upserts: int, deletes: int) -> str:
            return json.dumps([upserts, deletes])

        store.apply_batch(prepare_batch(_batch(epoch=epoch, upserts=[contact(1)])), "a", answer)
        before = store.sync_state()
        stale = prepare_batch(
            _batch(epoch=epoch - 1, base_checkpoint="c", upserts=[contact(2)], deletes=["1"])
        )
        with pytest.raises(ApiError) as refused:
            store.apply_batch(stale, "b", answer)
        assert refused.value.status == 409
        assert store.sync_state() == before

        def failing(upserts: int, deletes: int) -> str:
            raise RuntimeError("failure after the inserts")

        fine = prepare_batch(
            _batch(epoch=epoch, base_checkpoint="c", upserts=[contact(2)], deletes=["1"])
        )
        with pytest.raises(RuntimeError):
            store.apply_batch(fine, "c", failing)
        assert store.sync_state() == before  # rolled back, all of it
        assert store.contact(1) is not None and store.contact(2) is None
        assert before.checksum == collection_checksum([(1, contact_hash(contact(1)))])
    finally:
        store.close()


def test_contacts_sent_again_unchanged_are_counted_not_rewritten(tmp_path: Path) -> None:
    """The batch log's ``unchanged``: how the kill soak counts contacts sent twice."""
    store, epoch = _leased_store(tmp_path)
    try:
        answer = _answer
        first = [contact(1), contact(2), contact(3)]
        store.apply_batch(prepare_batch(_batch(epoch=epoch, upserts=first)), "a", answer)
        again = [contact(1), contact(2, notes="changed"), contact(3), contact(4)]
        body = _batch(epoch=epoch, base_checkpoint="c", checkpoint="d", upserts=again)
        outcome = store.apply_batch(prepare_batch(body), "b", answer)
        assert json.loads(outcome.body) == [4, 0]  # every upsert is applied (up to date)
        assert json.loads(store.contact(2) or "{}")["notes"] == "changed"
        with sqlite3.connect(tmp_path / "sandbox.db") as db:
            log = db.execute("SELECT upserts, unchanged FROM batch_log ORDER BY seq").fetchall()
        assert log == [(3, 0), (4, 2)]
        assert store.sync_state().contact_count == 4
    finally:
        store.close()


def test_a_batch_log_from_before_the_unchanged_count_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE batch_log (seq INTEGER PRIMARY KEY, epoch INTEGER NOT NULL,"
            " upserts INTEGER NOT NULL, deletes INTEGER NOT NULL, applied_at REAL NOT NULL)"
        )
        db.execute("INSERT INTO batch_log VALUES (1, 1, 5, 0, 0)")
    Store(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT upserts, unchanged FROM batch_log").fetchall() == [(5, 0)]


def test_concurrent_batches_with_the_same_key_apply_once(tmp_path: Path) -> None:
    store, epoch = _leased_store(tmp_path)
    try:
        batch = prepare_batch(_batch(epoch=epoch, upserts=[contact(1)]))
        outcomes: list[bool] = []

        def send() -> None:
            outcome = store.apply_batch(batch, "same", lambda u, d: json.dumps([u, d]))
            outcomes.append(outcome.replayed)

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == [False] + [True] * 7
    finally:
        store.close()


def test_fault_injection_is_seeded_and_limited_to_sync_routes() -> None:
    def draws(seed: int) -> list[Fault | None]:
        injector = FaultInjector(0.3, seed)
        return [injector.draw("GET", "/api/v1/sync/state") for _ in range(500)]

    first = draws(11)
    assert first == draws(11)
    assert first != draws(12)
    failures = [fault for fault in first if fault is not None]
    assert 100 <= len(failures) <= 200
    assert set(failures) == set(Fault)
    injector = FaultInjector(1.0, 1)
    assert injector.draw("GET", "/api/v1/practice") is None
    assert injector.draw("GET", "/api/v1/contacts") is None
    assert all(injector.draw(method, path) is not None for method, path in FAULT_ROUTES)
    assert FaultInjector(0.0, 1).draw("GET", "/api/v1/sync/state") is None
