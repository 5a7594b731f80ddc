"""The canonical form of a contact document, its hash and the collection checksum.

The engine and the online service both import this module, so that a hash computed
on the desktop always equals the one computed online for the same document.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec

#: Writes :func:`canonical_json_reference`'s bytes for every JSON value it can encode as
#: UTF-8: keys (and a Struct's fields) sorted, compact, non-ASCII kept, the same escapes
#: (a property test over generated and hostile documents holds it to that).
CANONICAL_ENCODER: Final = msgspec.json.Encoder(order="sorted")


def canonical_json_reference(doc: Mapping[str, Any]) -> bytes:
    """The definition: UTF-8, keys sorted, no insignificant whitespace, non-ASCII kept.

    ``surrogatepass`` keeps a lone surrogate (which some databases store) hashable
    instead of crashing: both sides apply the same rule, so hashes still agree.
    """
    text = json.dumps(
        doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8", "surrogatepass")


def canonical_json(doc: Mapping[str, Any]) -> bytes:
    """Byte-for-byte :func:`canonical_json_reference` for a contact document, in C.

    What the encoder refuses (a lone surrogate, which UTF-8 can't carry) takes the
    reference. Documents hold only text, true/false, null, lists and objects; the encoder
    also writes what JSON has no word for (a float's exponent differs, a date becomes
    text), where the reference would differ or refuse.
    """
    try:
        return CANONICAL_ENCODER.encode(doc)
    except UnicodeEncodeError:
        return canonical_json_reference(doc)


def contact_hash(doc: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of one contact document."""
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def collection_checksum(pairs: Iterable[tuple[int, str]]) -> str:
    """SHA-256 hex over ``id:hash\\n`` lines in ascending numeric id order.

    ``pairs`` may come in any order; they are sorted here so callers can't get it wrong.
    """
    digest = hashlib.sha256()
    for contact_id, doc_hash in sorted(pairs):
        digest.update(f"{contact_id}:{doc_hash}\n".encode("ascii"))
    return digest.hexdigest()
