"""Valid contact documents for sandbox tests, built from engine.contract.document's types,
and batches of them applied to a store."""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec

from engine.contract.document import (
    Address,
    ExtraField,
    Flag,
    Relationship,
    Text,
    blank_document,
)
from sandbox.batch import prepare_batch
from sandbox.storage import Store


def _fill(struct: type[msgspec.Struct], label: str) -> dict[str, Any]:
    """Every text of a nested object filled in, every flag false, the rest null."""
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(struct):
        if field.type == Text:
            values[field.name] = f"{label} {field.name}"
        elif field.type == Flag:
            values[field.name] = False
        else:
            values[field.name] = None
    return values


def contact(contact_id: int, *, padding: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid document; ``padding`` adds that many characters of notes (to size batches)."""
    doc = blank_document(contact_id)
    doc.update(
        is_contact=False,
        archived=False,
        partner={"code": "JS", "name": "Jo Smith"},
        manager={"code": "JS", "name": "Jo Smith"},
        addresses=[{**_fill(Address, "Street"), "primary": True}],
        extra_fields=[_fill(ExtraField, "Extra")],
        relationships=[{**_fill(Relationship, "Rel"), "related_id": str(contact_id + 1)}],
        code=f"C{contact_id:05d}",
        first_name="Alex",
        last_name=f"Person{contact_id}",
        email=f"alex{contact_id}@example.com",
        phone="+61 2 5550 0000",
        notes="n" * padding if padding else None,
    )
    doc.update(overrides)
    return doc


FIRST = ("Ethan", "Ava", "Zoë", "Mia", "Noah", "Ἀχιλλεύς", "Olivia")
LAST = ("Green", "Greenwood", "Brown", "Adams", "ÖZTÜRK", "Nguyen", "Smith")


def person(contact_id: int, rng: random.Random) -> dict[str, Any]:
    """A contact with a name, middle name and phone drawn from a few (some non-ASCII)."""
    return contact(
        contact_id,
        first_name=rng.choice(FIRST),
        middle_name=rng.choice([None, "James", " , "]),
        last_name=rng.choice(LAST) + rng.choice(["", str(contact_id % 7)]),
        main_name=rng.choice([None, None, "Green & Co"]),
        phone=rng.choice([None, "0477 442 836", f"(02) 9999 {contact_id:04d}"]),
    )


def send_batch(
    store: Store, epoch: int, number: int, upserts: list[Any], deletes: list[int]
) -> None:
    """Apply batch ``number`` of a chain (checkpoints "0", "1", ...) as the service does."""
    body = {
        "epoch": epoch,
        "base_checkpoint": str(number - 1) if number else None,
        "checkpoint": str(number),
        "upserts": upserts,
        "deletes": [str(d) for d in deletes],
    }
    batch = prepare_batch(json.dumps(body).encode())
    store.apply_batch(batch, f"key-{number}", lambda u, d: json.dumps([u, d]))
