"""The fast canonical form is byte-for-byte the reference one: hashes agree everywhere."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given, settings, strategies as st

from engine.contract.canonical import (
    canonical_json,
    canonical_json_reference,
    collection_checksum,
    contact_hash,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=500)
@given(st.dictionaries(st.text(max_size=12), json_values, max_size=8))
def test_fast_canonical_equals_reference(doc: dict[str, Any]) -> None:
    assert canonical_json(doc) == canonical_json_reference(doc)


def test_lone_surrogates_and_big_integers_take_the_reference() -> None:
    for doc in ({"notes": "a\udcffb"}, {"n": 2**70}):
        assert canonical_json(doc) == canonical_json_reference(doc)


def test_known_hash_and_checksum() -> None:
    doc = {"b": "é", "a": [1, None, True]}
    expected = '{"a":[1,null,true],"b":"é"}'.encode()
    assert canonical_json(doc) == expected
    assert contact_hash(doc) == hashlib.sha256(expected).hexdigest()
    lines = b"2:b\n10:a\n"  # numeric order, not text order
    assert collection_checksum([(10, "a"), (2, "b")]) == hashlib.sha256(lines).hexdigest()
