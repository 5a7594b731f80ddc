"""Turning a ``POST /sync/batches`` body into rows ready to write, or a precise refusal.

All checking and hashing happens here, before the write lock is taken, so a bad batch
never touches the database and a good one holds the lock only for the inserts. A valid
batch is decoded and checked in one typed call (``engine.contract.batch.BatchRequest``,
in C); only one that call refuses is taken apart, to name each refused contact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Final, NamedTuple, cast

import msgspec

from engine.contract.batch import BatchRequest
from engine.contract.document import (
    Contact,
    InvalidDocument,
    canonical_bytes,
    may_hold_control_characters,
    relaxed_struct,
    typed,
)
from engine.contract.problems import problem_words
from engine.contract.wire import ErrorCode
from sandbox import jsonio
from sandbox.bodies import invalid, is_plain_unicode, require_object
from sandbox.errors import ApiError
from sandbox.search import SEARCH_KEYS, search_text

#: The most contacts one batch may upsert; more is a 413, which the agent answers by
#: splitting the batch (its 1 MB batches hold under 2,000).
MAX_UPSERTS_PER_BATCH: Final = 10_000
#: Refused contacts listed in a 422; the rest are only counted (``problems_not_listed``),
#: so a batch of junk can't make an answer hundreds of megabytes long.
MAX_LISTED_PROBLEMS: Final = 100
#: The typed decoding of a whole batch, in C: the fast path, for a batch that is valid
#: (``_QUICK`` when its text can hold no control character: engine.contract.document).
_FULL: Final = msgspec.json.Decoder(BatchRequest)
_QUICK: Final = msgspec.json.Decoder(relaxed_struct(BatchRequest))


class ContactRow(NamedTuple):
    """One contact as stored: canonical JSON text, its hash and the columns the page shows.

    A tuple of the contacts table's columns in order, so the store writes it as it is
    (built for every contact: a tuple costs a fraction of a frozen dataclass)."""

    id: int
    doc: str
    hash: str
    name: str | None
    code: str | None
    type: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class PreparedBatch:
    epoch: int
    base_checkpoint: str | None
    checkpoint: str
    rows: list[ContactRow]
    #: (id, search text) of each row: what the page's search looks in (sandbox.search).
    searches: list[tuple[int, str]]
    deletes: list[int]
    #: Identifies the request's meaning, to tell a replay from a reused Idempotency-Key.
    fingerprint: str


def stored_text(raw: bytes) -> str:
    """Canonical JSON bytes as storable text: lone surrogates become JSON escapes."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogatepass").encode("utf-8", "backslashreplace").decode()


def _display(value: object) -> str | None:
    """A text value for the page's columns; anything odd is made safe, never refused."""
    if not isinstance(value, str):
        return None
    if value.isascii() or is_plain_unicode(value):  # isascii: constant time, most values
        return value
    return value.encode("utf-8", "replace").decode()


def display_name(contact: Contact) -> str | None:
    main = contact.main_name
    if main and not main.isspace():  # == main.strip(): the same whitespace
        return _display(main)
    parts = (contact.first_name, contact.last_name)
    joined = " ".join(part for part in parts if part and not part.isspace())
    return _display(joined) if joined else None


#: The search text's fields of a contact, in one C call (sandbox.search.SEARCH_KEYS).
_SEARCH_VALUES: Final = attrgetter(*SEARCH_KEYS)


def contact_row(contact: Contact) -> ContactRow:
    """Row for a valid contact: its canonical JSON, encoded once, is stored and hashed.

    Runs for every contact stored: ASCII text (most values) is taken as it is without a
    call, anything else goes through :func:`_display`."""
    raw = canonical_bytes(contact)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = stored_text(raw)
    code, email = contact.code, contact.email
    phone = contact.phone or contact.mobile
    return ContactRow._make(
        (
            int(contact.id),
            text,
            hashlib.sha256(raw).hexdigest(),  # == engine.contract.canonical.contact_hash
            display_name(contact),
            code if code is None or code.isascii() else _display(code),
            contact.type,  # "person" or "organisation": nothing to make safe
            email if email is None or email.isascii() else _display(email),
            phone if phone is None or phone.isascii() else _display(phone),
        )
    )


def contact_search(contact: Contact) -> str:
    """The page's search text of a valid contact (sandbox.search)."""
    return search_text(_SEARCH_VALUES(contact))


def _envelope(raw: bytes) -> tuple[BatchRequest, list[object]]:
    """The slow path, for a batch the typed decoding refused: the envelope checked alone
    (its first problem is a 422), and the upserts left to be checked one by one."""
    obj = require_object(jsonio.parse(raw))
    upserts = obj.get("upserts")
    try:
        # the same type, with the upserts checked apart: a bad contact is not a bad batch
        batch = msgspec.convert(
            {**obj, "upserts": []} if isinstance(upserts, list) else obj, BatchRequest
        )
    except msgspec.ValidationError as error:
        raise invalid([problem_words(error, obj, BatchRequest, "the batch")]) from None
    texts = (
        [batch.checkpoint]
        if batch.base_checkpoint is None
        else [batch.checkpoint, batch.base_checkpoint]
    )
    if not all(is_plain_unicode(text) for text in texts):  # JSON's escapes can say one
        raise invalid(["a checkpoint must not hold lone surrogates"])
    assert isinstance(upserts, list)
    return batch, upserts


def _label(doc: object) -> str | None:
    """The id a refused document claims, when it claims one as text."""
    if isinstance(doc, dict):
        value = doc.get("id")
        if isinstance(value, str):
            return value
    return None


def _checked(doc: object) -> Contact | str:
    try:
        return typed(doc)
    except InvalidDocument as error:
        return error.problem


def _rows(
    upserts: Sequence[object], checked: bool, bad: list[dict[str, Any]]
) -> tuple[list[ContactRow], list[tuple[int, str]], dict[int, int]]:
    """The rows and search texts of the valid upserts, and the index of each id's first
    one; each refused upsert, and each id again after its first, is added to ``bad``."""
    if checked:  # every upsert valid: one row each, in C-driven loops, unless an id repeats
        contacts = cast(Sequence[Contact], upserts)
        rows = [contact_row(contact) for contact in contacts]
        first_index = {row.id: index for index, row in enumerate(rows)}
        if len(first_index) == len(rows):
            searches = [(row.id, contact_search(c)) for row, c in zip(rows, contacts, strict=True)]
            return rows, searches, first_index
    rows, searches, first_index = [], [], {}
    for index, doc in enumerate(upserts):
        contact = cast(Contact, doc) if checked else _checked(doc)
        if isinstance(contact, str):
            bad.append({"id": _label(doc), "index": index, "problems": [contact]})
            continue
        row = contact_row(contact)
        if row.id in first_index:
            bad.append(
                {
                    "id": contact.id,
                    "index": index,
                    "problems": [f"id {row.id} appears more than once in upserts"],
                }
            )
            continue
        first_index[row.id] = index
        rows.append(row)
        searches.append((row.id, contact_search(contact)))
    return rows, searches, first_index


def prepare_batch(raw: bytes) -> PreparedBatch:
    """Decode and validate a batch body completely; raise ApiError (422) naming every
    refused contact (one problem each) and nothing applied."""
    decoder = _FULL if may_hold_control_characters(raw) else _QUICK
    try:
        batch = decoder.decode(raw)
        upserts: Sequence[object] = batch.upserts
        checked = True
    except (msgspec.MsgspecError, RecursionError):  # not valid whole: find what, one by one
        batch, upserts = _envelope(raw)
        checked = False
    if len(upserts) > MAX_UPSERTS_PER_BATCH:
        raise ApiError(
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"A batch upserts at most {MAX_UPSERTS_PER_BATCH} contacts "
            f"(this one has {len(upserts)}); send smaller batches.",
        )
    deletes = sorted({int(d) for d in batch.deletes})

    bad: list[dict[str, Any]] = []
    rows, searches, first_index = _rows(upserts, checked, bad)
    deleted = set(deletes)
    for row in rows if deleted else ():
        if row.id in deleted:
            bad.append(
                {
                    "id": str(row.id),
                    "index": first_index[row.id],
                    "problems": [f"id {row.id} is both upserted and deleted in this batch"],
                }
            )
    if bad:
        bad.sort(key=lambda item: item["index"])
        count = len(bad)
        extra: dict[str, Any] = {"problems": bad[:MAX_LISTED_PROBLEMS]}
        listed = ""
        if count > MAX_LISTED_PROBLEMS:
            extra["problems_not_listed"] = count - MAX_LISTED_PROBLEMS
            listed = f" The first {MAX_LISTED_PROBLEMS} are listed."
        raise ApiError(
            422,
            ErrorCode.INVALID_DOCUMENTS,
            f"{count} contact{'s' if count != 1 else ''} in the batch "
            f"{'are' if count != 1 else 'is'} not valid; nothing was applied.{listed}",
            extra=extra,
        )

    epoch = int(batch.epoch)
    base, checkpoint, deletes_text = batch.base_checkpoint, batch.checkpoint, batch.deletes
    digest = hashlib.sha256(json.dumps([epoch, base, checkpoint, deletes_text]).encode())
    digest.update("".join([row.hash for row in rows]).encode("ascii"))  # one call: the same
    return PreparedBatch(epoch, base, checkpoint, rows, searches, deletes, digest.hexdigest())
