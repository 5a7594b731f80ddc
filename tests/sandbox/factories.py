"""Valid contact documents for sandbox tests, built from engine.contract.document's types."""

from __future__ import annotations

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
