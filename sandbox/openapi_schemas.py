"""The OpenAPI component schemas of the service (the shapes of its bodies).

The contact and batch schemas are generated from ``engine.contract``'s typed Structs, the
ones the service decodes with, so they can't drift from the validation it applies.
:mod:`sandbox.openapi` puts them in the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from engine.contract.batch import MAX_CHECKPOINT_LENGTH, BatchRequest
from engine.contract.formats import CURSOR, ID, schema_pattern
from engine.contract.wire import ErrorCode, Scope
from sandbox.auth import GRANT_TYPE
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


def _object(properties: Mapping[str, Any], *, closed: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(properties),
        "additionalProperties": not closed,
    }


def typed_schemas() -> dict[str, Any]:
    """The schemas of the contact document (Contact, Employee, Address, ExtraField,
    Relationship) and of the batch body, generated from the very types the service decodes
    with, so a pattern here is the pattern enforced."""
    _, components = msgspec.json.schema_components(
        [BatchRequest], ref_template="#/components/schemas/{name}"
    )
    return components


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
        **typed_schemas(),
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
