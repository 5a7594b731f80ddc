"""The OpenAPI component schemas of the service (the shapes of its bodies).

The contact schemas come from ``engine.contract.document``'s field tables, so they can't drift
from the validation the service applies. :mod:`sandbox.openapi` puts them in the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from engine.contract.document import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    EMPLOYEE_FIELDS,
    EXTRA_FIELD_FIELDS,
    RELATIONSHIP_FIELDS,
    ContactType,
    Kind,
)
from engine.contract.formats import CURSOR, DATE_OR_TIMESTAMP, ID, TEXT, TIMESTAMP, schema_pattern
from engine.contract.wire import ErrorCode, Scope
from sandbox.auth import GRANT_TYPE
from sandbox.batch import MAX_CHECKPOINT_LENGTH, MAX_EPOCH
from sandbox.bodies import MAX_TEXT_LENGTH

JSON: Final = "application/json"
HTML: Final = "text/html"
#: A contact id in its one spelling; an ``after`` cursor (an id, or 0 for the start).
ID_PATTERN: Final = schema_pattern(ID)
CURSOR_PATTERN: Final = schema_pattern(CURSOR)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _text(nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"]} if nullable else {"type": "string"}


_KIND_SCHEMAS: Final[Mapping[Kind, dict[str, Any]]] = {
    Kind.ID: {"type": "string", "pattern": ID_PATTERN},
    Kind.TEXT: {"type": ["string", "null"], "pattern": schema_pattern(TEXT)},
    Kind.DATE: {
        "type": ["string", "null"],
        "pattern": schema_pattern(DATE_OR_TIMESTAMP),
        "description": "A date, YYYY-MM-DD, optionally with a time as in a timestamp.",
    },
    Kind.TIMESTAMP: {
        "type": ["string", "null"],
        "pattern": schema_pattern(TIMESTAMP),
        "description": "YYYY-MM-DDTHH:MM:SS with optional fraction and UTC offset.",
    },
    Kind.FLAG: {"type": ["boolean", "null"]},
    Kind.CONTACT_TYPE: {"type": "string", "enum": [t.value for t in ContactType]},
    Kind.EMPLOYEE: _nullable(ref("Employee")),
    Kind.ADDRESSES: {"type": "array", "items": ref("Address")},
    Kind.EXTRA_FIELDS: {"type": "array", "items": ref("ExtraField")},
    Kind.RELATIONSHIPS: {"type": "array", "items": ref("Relationship")},
}


def _object(properties: Mapping[str, Any], *, closed: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(properties),
        "additionalProperties": not closed,
    }


def document_schema(fields: Mapping[str, Kind]) -> dict[str, Any]:
    """A closed object schema with every key required, from a document field table."""
    return _object({key: _KIND_SCHEMAS[kind] for key, kind in fields.items()})


_ACTIVATION_PROPERTIES: Final = {
    "activated": {"type": "boolean"},
    "activated_at": {"type": ["string", "null"], "format": "date-time"},
    "activated_by": _text(nullable=True),
    "machine": _text(nullable=True),
    "terms_version": _text(nullable=True),
}


def component_schemas() -> dict[str, Any]:
    request_text = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_LENGTH}
    checkpoint = {"type": "string", "maxLength": MAX_CHECKPOINT_LENGTH}
    return {
        "Contact": document_schema(CONTACT_FIELDS),
        "Employee": document_schema(EMPLOYEE_FIELDS),
        "Address": document_schema(ADDRESS_FIELDS),
        "ExtraField": document_schema(EXTRA_FIELD_FIELDS),
        "Relationship": document_schema(RELATIONSHIP_FIELDS),
        "Error": {
            "type": "object",
            "properties": {
                "error": {"type": "string", "enum": [code.value for code in ErrorCode]},
                "message": {"type": "string"},
                "problems": {"type": "array", "items": ref("DocumentProblems")},
                "problems_not_listed": {"type": "integer", "minimum": 1},
                "current_epoch": {"type": "integer"},
                "current_checkpoint": _text(nullable=True),
                "current_version": {"type": "string"},
            },
            "required": ["error", "message"],
            "additionalProperties": False,
        },
        "DocumentProblems": _object(
            {
                "id": _text(nullable=True),
                "index": {"type": "integer", "minimum": 0},
                "problems": {"type": "array", "items": {"type": "string"}},
            }
        ),
        "TokenRequest": {
            "type": "object",
            "properties": {
                "grant_type": {"type": "string", "const": GRANT_TYPE},
                "client_id": {"type": "string"},
                "client_secret": {"type": "string"},
                "scope": {"type": "string", "enum": [s.value for s in Scope]},
            },
            "required": ["grant_type"],
        },
        "Token": _object(
            {
                "access_token": {"type": "string"},
                "token_type": {"type": "string", "const": "Bearer"},
                "expires_in": {"type": "integer", "minimum": 1},
                "scope": {"type": "string", "enum": [s.value for s in Scope]},
            }
        ),
        "Activation": _object(_ACTIVATION_PROPERTIES),
        "ActivationRecord": _object(
            {**_ACTIVATION_PROPERTIES, "live_activated": {"type": "boolean"}}
        ),
        "Practice": _object(
            {
                "practice_id": {"type": "string"},
                "name": {"type": "string"},
                "live_activated": {"type": "boolean"},
                "contacts_migration": ref("Activation"),
            }
        ),
        "Terms": _object(
            {"version": {"type": "string"}, "title": {"type": "string"}, "html": {"type": "string"}}
        ),
        "ActivationRequest": _object(
            {"terms_version": request_text, "accepted_by": request_text, "machine": request_text}
        ),
        "LeaseRequest": _object({"agent_id": request_text, "machine": request_text}),
        "Lease": _object({"epoch": {"type": "integer", "minimum": 1}}),
        "SyncState": _object(
            {
                "epoch": {"type": "integer", "minimum": 0},
                "checkpoint": _nullable(checkpoint),
                "contact_count": {"type": "integer", "minimum": 0},
                "checksum": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
                "last_batch_at": {"type": ["string", "null"], "format": "date-time"},
                "lease_machine": {"type": ["string", "null"]},
            }
        ),
        "BatchRequest": _object(
            {
                "epoch": {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH},
                "base_checkpoint": _nullable(checkpoint),
                "checkpoint": checkpoint,
                "upserts": {"type": "array", "items": ref("Contact")},
                "deletes": {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}},
            }
        ),
        "BatchResult": _object(
            {
                "applied_upserts": {"type": "integer", "minimum": 0},
                "applied_deletes": {"type": "integer", "minimum": 0},
                "checkpoint": {"type": "string"},
            }
        ),
        "ContactPage": _object(
            {
                "items": {"type": "array", "items": ref("Contact")},
                "next": {"type": ["string", "null"], "pattern": CURSOR_PATTERN},
            }
        ),
        "ContactHash": _object(
            {
                "id": {"type": "string", "pattern": ID_PATTERN},
                "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            }
        ),
    }
