"""Turning a ``POST /sync/batches`` body into rows ready to write, or a precise refusal.

All checking and hashing happens here, before the write lock is taken, so a bad batch
never touches the database and a good one holds the lock only for the inserts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from engine.contract.canonical import canonical_json
from engine.contract.document import document_problems
from engine.contract.formats import is_id
from engine.contract.wire import ErrorCode
from sandbox.bodies import invalid, is_plain_unicode, require_object, unknown_and_missing
from sandbox.errors import ApiError
from sandbox.search import search_text

BATCH_FIELDS: Final = ("epoch", "base_checkpoint", "checkpoint", "upserts", "deletes")
MAX_CHECKPOINT_LENGTH: Final = 4096
#: The most contacts one batch may upsert; more is a 413, which the agent answers by
#: splitting the batch (its 1 MB batches hold under 2,000).
MAX_UPSERTS_PER_BATCH: Final = 10_000
#: Refused contacts listed in a 422; the rest are only counted (``problems_not_listed``),
#: so a batch of junk can't make an answer hundreds of megabytes long.
MAX_LISTED_PROBLEMS: Final = 100
#: Problems listed per refused contact.
MAX_PROBLEMS_PER_CONTACT: Final = 20
#: The largest epoch: JSON numbers are exact integers up to here in every client (2**53-1).
MAX_EPOCH: Final = 9_007_199_254_740_991


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
    #: What the page's search looks in (sandbox.search).
    search: str


@dataclass(frozen=True)
class PreparedBatch:
    epoch: int
    base_checkpoint: str | None
    checkpoint: str
    rows: list[ContactRow]
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


def display_name(doc: dict[str, Any]) -> str | None:
    main = doc.get("main_name")
    if isinstance(main, str) and main.strip():
        return _display(main)
    parts = [doc.get(key) for key in ("first_name", "last_name")]
    joined = " ".join(part for part in parts if isinstance(part, str) and part.strip())
    return _display(joined) if joined else None


def contact_row(doc: dict[str, Any]) -> ContactRow:
    """Row for a document that passed :func:`document_problems`."""
    raw = canonical_json(doc)
    return ContactRow(
        id=int(doc["id"]),
        doc=stored_text(raw),
        hash=hashlib.sha256(raw).hexdigest(),  # == engine.contract.canonical.contact_hash(doc)
        name=display_name(doc),
        code=_display(doc.get("code")),
        type=_display(doc.get("type")),
        email=_display(doc.get("email")),
        phone=_display(doc.get("phone") or doc.get("mobile")),
        search=search_text(doc),
    )


def _header_problems(obj: dict[str, object]) -> list[str]:
    problems = unknown_and_missing(obj, BATCH_FIELDS)
    if "epoch" in obj and _whole(obj["epoch"]) is None:
        problems.append(f"epoch must be a whole number from 0 to {MAX_EPOCH}")
    base = obj.get("base_checkpoint")
    if "base_checkpoint" in obj and base is not None and not _valid_checkpoint(base):
        problems.append(
            f"base_checkpoint must be null or text of at most {MAX_CHECKPOINT_LENGTH} characters"
        )
    if "checkpoint" in obj and not _valid_checkpoint(obj["checkpoint"]):
        problems.append(f"checkpoint must be text of at most {MAX_CHECKPOINT_LENGTH} characters")
    if "upserts" in obj and not isinstance(obj["upserts"], list):
        problems.append("upserts must be a list of contact documents")
    deletes = obj.get("deletes")
    if "deletes" in obj:
        if not isinstance(deletes, list):
            problems.append("deletes must be a list of ids")
        else:
            bad = [i for i, d in enumerate(deletes) if not is_id(d)]
            if bad:
                where = ", ".join(f"deletes[{i}] {str(deletes[i])[:40]!r}" for i in bad[:10])
                problems.append(
                    f"{where}: a contact id is a string of 1 to 18 digits without leading zeros"
                )
    return problems


def _whole(value: object) -> int | None:
    """A JSON whole number in range; ``4827.0`` is one (JSON Schema's ``integer`` admits it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if 0 <= value <= MAX_EPOCH else None


def _valid_checkpoint(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) <= MAX_CHECKPOINT_LENGTH and is_plain_unicode(value)
    )


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS_PER_CONTACT:
        return problems
    more = len(problems) - MAX_PROBLEMS_PER_CONTACT
    return [*problems[:MAX_PROBLEMS_PER_CONTACT], f"and {more} more problems"]


def _label(doc: object) -> str | None:
    """The id a refused document claims, when it claims one as text."""
    if isinstance(doc, dict):
        value = doc.get("id")
        if isinstance(value, str):
            return value
    return None


def prepare_batch(body: object) -> PreparedBatch:
    """Validate a batch body completely; raise ApiError (422) naming every problem."""
    obj = require_object(body)
    problems = _header_problems(obj)
    if problems:
        raise invalid(problems)
    upserts: list[object] = obj["upserts"]  # type: ignore[assignment]
    deletes_text: list[str] = obj["deletes"]  # type: ignore[assignment]
    if len(upserts) > MAX_UPSERTS_PER_BATCH:
        raise ApiError(
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"A batch upserts at most {MAX_UPSERTS_PER_BATCH} contacts "
            f"(this one has {len(upserts)}); send smaller batches.",
        )
    deletes = sorted({int(d) for d in deletes_text})

    bad: list[dict[str, Any]] = []
    rows: list[ContactRow] = []
    first_index: dict[int, int] = {}
    for index, doc in enumerate(upserts):
        doc_problems = document_problems(doc)
        if doc_problems:
            bad.append({"id": _label(doc), "index": index, "problems": _capped(doc_problems)})
            continue
        assert isinstance(doc, dict)
        row = contact_row(doc)
        if row.id in first_index:
            bad.append(
                {
                    "id": doc["id"],
                    "index": index,
                    "problems": [f"id {row.id} appears more than once in upserts"],
                }
            )
            continue
        first_index[row.id] = index
        rows.append(row)
    deleted = set(deletes)
    for row in rows:
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

    epoch = _whole(obj["epoch"])
    assert epoch is not None
    base: str | None = obj["base_checkpoint"]  # type: ignore[assignment]
    checkpoint: str = obj["checkpoint"]  # type: ignore[assignment]
    digest = hashlib.sha256(json.dumps([epoch, base, checkpoint, deletes_text]).encode())
    for row in rows:
        digest.update(row.hash.encode("ascii"))
    return PreparedBatch(epoch, base, checkpoint, rows, deletes, digest.hexdigest())
