"""Every document's hash is what it always was: the typed encoder (msgspec) writes the
reference canonical form byte for byte, on the engine's way and the service's, for the
hostile data (read back from a practice database) and for generated documents full of
escapes: control characters, U+2028, DEL, quotes, backslashes, lone surrogates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.contract.batch import BatchRequest
from engine.contract.canonical import canonical_json, canonical_json_reference, contact_hash
from engine.contract.document import (
    Address,
    Contact,
    Employee,
    ExtraField,
    Relationship,
    canonical_bytes,
    document_problems,
    typed,
    wire_document,
)
from engine.online.client import encode_batch
from engine.sources.base import UploadPage
from engine.sources.sqlite import SqliteSource
from sampledata.sqlite_file import generate_reference_database
from sandbox.batch import prepare_batch
from tests.engine.sources.test_hostile_data import _insert, address_rows, contact_rows
from tests.sandbox.factories import contact


def _orjson_path(doc: Mapping[str, Any]) -> bytes:
    """The canonical form as it was written before the typed encoder (orjson)."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return canonical_json_reference(doc)


def assert_hash_unchanged(doc: dict[str, Any]) -> None:
    """The reference's bytes from every path: the generic one (reconciliation), the old
    one, and for a valid document the engine's wire bytes and the hash the service stores
    after decoding them."""
    reference = canonical_json_reference(doc)
    assert canonical_json(doc) == reference
    assert _orjson_path(doc) == reference
    if document_problems(doc):
        return
    assert canonical_bytes(typed(doc)) == reference
    wire = wire_document(doc)
    assert json.loads(wire) == doc
    try:
        reference.decode("utf-8")
        assert wire == reference  # one encoding: the bytes sent are the bytes hashed
    except UnicodeDecodeError:  # a lone surrogate travels as JSON's \u escape
        assert wire.isascii()
    [row] = prepare_batch(encode_batch(1, None, "c", [wire], [])).rows
    assert row.hash == hashlib.sha256(reference).hexdigest() == contact_hash(doc)


# -- the hostile-data set, as a practice database hands it over ----------------------------


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    db = tmp_path_factory.mktemp("hostile-hashes") / "practice.db"
    generate_reference_database(db, contacts=50, seed=3)
    yield db


def test_the_generated_practice_hashes_unchanged(practice: Path) -> None:
    source = SqliteSource(practice)
    try:
        documents = source.read_page(0, 1000).documents
        upload = source.read_upload_page(0, 1000)
    finally:
        source.close()
    assert len(documents) == 50
    for doc in documents:
        assert_hash_unchanged(doc)
    assert_upload_page_unchanged(upload, documents)


def assert_upload_page_unchanged(upload: UploadPage, documents: list[dict[str, Any]]) -> None:
    """The bytes a first migration sends straight from the rows are the canonical bytes
    of the same documents; the rest come as those documents."""
    by_id = {int(doc["id"]): doc for doc in documents}
    for contact_id, raw in upload.encoded:
        assert raw == canonical_json_reference(by_id.pop(contact_id))
    assert upload.documents == list(by_id.values())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(contact_rows, address_rows), min_size=1, max_size=4))
def test_hostile_data_hashes_unchanged(
    practice: Path, contacts: list[tuple[dict[str, Any], list[dict[str, Any]]]]
) -> None:
    ids = _insert(practice, contacts)
    source = SqliteSource(practice)
    try:
        documents = source.read_documents(ids)
        upload = source.read_upload_page(ids[0] - 1, len(ids))
    finally:
        source.close()
    for doc in documents:
        assert_hash_unchanged(doc)
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # one key range
    assert_upload_page_unchanged(upload, documents)


# -- generated documents, every escape -------------------------------------------------

_ESCAPES = st.sampled_from(
    ["\x00", "\x1f", "\x7f", "\u2028", "\u2029", '"', "\\", "/", "\b\f\n\r\t", "\ud800",
     "\udcff", "\U0001f600", "é", "\ufeff", "\uffff"]
)  # fmt: skip
_TEXT = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=()), max_size=6), _ESCAPES), max_size=4
).map("".join)
_VALUE = st.one_of(st.none(), _TEXT, st.booleans())


def _object(struct: type[Any], **fixed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    names = struct.__struct_fields__
    return st.fixed_dictionaries({name: fixed.get(name, _VALUE) for name in names})


_DOCUMENTS = _object(
    Contact,
    id=st.integers(1, 10**18 - 1).map(str),
    type=st.sampled_from(["person", "organisation"]),
    partner=st.none() | _object(Employee),
    manager=st.none() | _object(Employee),
    date_of_birth=st.none() | st.sampled_from(["2024-02-29", "1990-05-17T10:30:00"]),
    created_at=st.none() | st.just("2020-01-01T09:15:30.123456+10:00"),
    modified_at=st.none(),
    addresses=st.lists(_object(Address), max_size=2),
    extra_fields=st.lists(_object(ExtraField), max_size=2),
    relationships=st.lists(
        _object(Relationship, related_id=st.just("7"), start=st.none(), end=st.none()),
        max_size=2,
    ),
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_generated_documents_hash_unchanged(doc: dict[str, Any]) -> None:
    assert_hash_unchanged(doc)


def test_lone_surrogates_and_every_escape_hash_unchanged() -> None:
    text = 'a\ud800b\udcff\x00\x1f\x7f\u2028\u2029"\\/\b\f\n\r\t\U0001f600'
    for doc in (contact(1, notes=text), contact(2, notes="\ud800"), contact(3, notes="\u2028")):
        assert_hash_unchanged(doc)
    assert not document_problems(contact(2, notes="\ud800"))  # carried, and hashed alike


def test_the_engines_batch_body_decodes_as_the_typed_batch() -> None:
    """engine.contract.batch.BatchRequest is what the client sends, not only what the
    service takes: its body decodes in the one typed call, documents and all."""
    docs = [contact(1), contact(2, notes="line\nbreak\t\u2028")]
    body = encode_batch(7, None, "c1", [wire_document(doc) for doc in docs], [3, 4])
    batch = msgspec.json.decode(body, type=BatchRequest)
    assert (batch.epoch, batch.base_checkpoint, batch.checkpoint) == (7, None, "c1")
    assert batch.deletes == ["3", "4"]
    assert [msgspec.to_builtins(upsert) for upsert in batch.upserts] == docs
