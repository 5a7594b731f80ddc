"""Valid contact documents for sandbox tests, built from engine.contract.document's field tables."""

from __future__ import annotations

from typing import Any, assert_never

from engine.contract.document import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    EXTRA_FIELD_FIELDS,
    RELATIONSHIP_FIELDS,
    Kind,
)


def _fill(fields: dict[str, Kind], label: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, kind in fields.items():
        if kind is Kind.TEXT:
            values[key] = f"{label} {key}"
        elif kind is Kind.FLAG:
            values[key] = False
        else:
            values[key] = None
    return values


def contact(contact_id: int, *, padding: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid document; ``padding`` adds that many characters of notes (to size batches)."""
    doc: dict[str, Any] = {}
    for key, kind in CONTACT_FIELDS.items():
        match kind:
            case Kind.ID:
                doc[key] = str(contact_id)
            case Kind.TEXT | Kind.DATE | Kind.TIMESTAMP:
                doc[key] = None
            case Kind.FLAG:
                doc[key] = False
            case Kind.CONTACT_TYPE:
                doc[key] = "person"
            case Kind.EMPLOYEE:
                doc[key] = {"code": "JS", "name": "Jo Smith"}
            case Kind.ADDRESSES:
                doc[key] = [{**_fill(ADDRESS_FIELDS, "Street"), "primary": True}]
            case Kind.EXTRA_FIELDS:
                doc[key] = [_fill(EXTRA_FIELD_FIELDS, "Extra")]
            case Kind.RELATIONSHIPS:
                doc[key] = [
                    {**_fill(RELATIONSHIP_FIELDS, "Rel"), "related_id": str(contact_id + 1)}
                ]
            case _:  # a new kind needs its valid value here
                assert_never(kind)
    doc.update(
        code=f"C{contact_id:05d}",
        first_name="Alex",
        last_name=f"Person{contact_id}",
        email=f"alex{contact_id}@example.com",
        phone="+61 2 5550 0000",
        notes="n" * padding if padding else None,
    )
    doc.update(overrides)
    return doc
