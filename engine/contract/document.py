"""The contact document: the one JSON shape that goes online, and its validation.

The online service validates every upload with :func:`document_problems`; the engine
runs the same check before sending so that a contact the service would refuse is set
aside with the same reason, and the rest of its batch still goes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from engine.contract.formats import CONTROL_RE, DATE_OR_TIMESTAMP_RE, TIMESTAMP_RE, is_id


class ContactType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class Kind(StrEnum):
    """The JSON type a key holds; every nullable kind also accepts JSON null."""

    ID = "id"  # a string of ASCII digits without a leading zero, never null
    TEXT = "text"  # text without control characters (engine.contract.formats)
    DATE = "date"  # text: a date (YYYY-MM-DD), possibly with a time
    TIMESTAMP = "timestamp"  # text: a date and time (YYYY-MM-DDTHH:MM:SS...)
    FLAG = "flag"
    CONTACT_TYPE = "contact_type"
    EMPLOYEE = "employee"
    ADDRESSES = "addresses"
    EXTRA_FIELDS = "extra_fields"
    RELATIONSHIPS = "relationships"


CONTACT_FIELDS: Final[dict[str, Kind]] = {
    "id": Kind.ID,
    "code": Kind.TEXT,
    "type": Kind.CONTACT_TYPE,
    "is_contact": Kind.FLAG,
    "title": Kind.TEXT,
    "first_name": Kind.TEXT,
    "middle_name": Kind.TEXT,
    "last_name": Kind.TEXT,
    "suffix": Kind.TEXT,
    "main_name": Kind.TEXT,
    "organisation_type": Kind.TEXT,
    "gender": Kind.TEXT,
    "date_of_birth": Kind.DATE,
    "tax_file_number": Kind.TEXT,
    "salutation": Kind.TEXT,
    "addressee": Kind.TEXT,
    "partner": Kind.EMPLOYEE,
    "manager": Kind.EMPLOYEE,
    "office": Kind.TEXT,
    "department": Kind.TEXT,
    "family_group": Kind.TEXT,
    "phone": Kind.TEXT,
    "fax": Kind.TEXT,
    "mobile": Kind.TEXT,
    "email": Kind.TEXT,
    "website": Kind.TEXT,
    "notes": Kind.TEXT,
    "archived": Kind.FLAG,
    "created_at": Kind.TIMESTAMP,
    "modified_at": Kind.TIMESTAMP,
    "addresses": Kind.ADDRESSES,
    "extra_fields": Kind.EXTRA_FIELDS,
    "relationships": Kind.RELATIONSHIPS,
}

EMPLOYEE_FIELDS: Final[dict[str, Kind]] = {"code": Kind.TEXT, "name": Kind.TEXT}

ADDRESS_FIELDS: Final[dict[str, Kind]] = {
    "type": Kind.TEXT,
    "line1": Kind.TEXT,
    "line2": Kind.TEXT,
    "line3": Kind.TEXT,
    "suburb": Kind.TEXT,
    "state": Kind.TEXT,
    "postcode": Kind.TEXT,
    "country": Kind.TEXT,
    "primary": Kind.FLAG,
}

EXTRA_FIELD_FIELDS: Final[dict[str, Kind]] = {
    "name": Kind.TEXT,
    "type": Kind.TEXT,
    "value": Kind.TEXT,
}

RELATIONSHIP_FIELDS: Final[dict[str, Kind]] = {
    "kind": Kind.TEXT,
    "related_id": Kind.ID,
    "start": Kind.DATE,
    "end": Kind.DATE,
}

Document = dict[str, Any]


#: Unknown keys named in one problem; a document with thousands gets a count instead,
#: so a refusal stays small whatever was sent.
MAX_LISTED_KEYS: Final = 20


def _listed(keys: list[str]) -> str:
    shown = ", ".join(str(key)[:100] for key in keys[:MAX_LISTED_KEYS])
    more = len(keys) - MAX_LISTED_KEYS
    return shown + (f" and {more} more" if more > 0 else "")


def _object_problems(value: object, fields: Mapping[str, Kind], where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} must be an object"]
    problems: list[str] = []
    missing = [key for key in fields if key not in value]
    unknown = sorted(key for key in value if key not in fields)
    label = where or "contact"
    if missing:
        problems.append(f"{label} is missing {', '.join(missing)}")
    if unknown:
        problems.append(f"{label} has unknown keys {_listed(unknown)}")
    for key, kind in fields.items():
        if key in value:
            problems.extend(_value_problems(value[key], kind, f"{where}.{key}" if where else key))
    return problems


def _list_problems(value: object, fields: Mapping[str, Kind], where: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{where} must be a list"]
    problems: list[str] = []
    for index, item in enumerate(value):
        problems.extend(_object_problems(item, fields, f"{where}[{index}]"))
    return problems


def _value_problems(value: object, kind: Kind, where: str) -> list[str]:
    match kind:
        case Kind.ID:
            if not is_id(value):
                shown = repr(value)[:40]
                return [
                    f"{where} {shown} is not a contact id: a string of 1 to 18 digits "
                    "without leading zeros (1 or more)"
                ]
        case Kind.TEXT:
            if value is not None and not isinstance(value, str):
                return [f"{where} must be text or null"]
            if value is not None and (bad := CONTROL_RE.search(value)) is not None:
                return [f"{where} holds a control character (U+{ord(bad.group()):04X})"]
        case Kind.DATE:
            if value is not None and not (
                isinstance(value, str) and DATE_OR_TIMESTAMP_RE.fullmatch(value)
            ):
                return [f"{where} must be a date (YYYY-MM-DD, optionally with a time) or null"]
        case Kind.TIMESTAMP:
            if value is not None and not (isinstance(value, str) and TIMESTAMP_RE.fullmatch(value)):
                return [f"{where} must be a timestamp (YYYY-MM-DDTHH:MM:SS) or null"]
        case Kind.FLAG:
            if value is not None and not isinstance(value, bool):
                return [f"{where} must be true, false or null"]
        case Kind.CONTACT_TYPE:
            if value not in (ContactType.PERSON.value, ContactType.ORGANISATION.value):
                return [f"{where} must be 'person' or 'organisation'"]
        case Kind.EMPLOYEE:
            if value is not None:
                return _object_problems(value, EMPLOYEE_FIELDS, where)
        case Kind.ADDRESSES:
            return _list_problems(value, ADDRESS_FIELDS, where)
        case Kind.EXTRA_FIELDS:
            return _list_problems(value, EXTRA_FIELD_FIELDS, where)
        case Kind.RELATIONSHIPS:
            return _list_problems(value, RELATIONSHIP_FIELDS, where)
    return []


def _keys_of(fields: Mapping[str, Kind], kind: Kind) -> tuple[str, ...]:
    return tuple(key for key, field_kind in fields.items() if field_kind is kind)


_SHAPES: Final = {
    id(fields): (
        frozenset(fields),
        _keys_of(fields, Kind.TEXT),
        _keys_of(fields, Kind.FLAG),
        _keys_of(fields, Kind.DATE),
        _keys_of(fields, Kind.TIMESTAMP),
    )
    for fields in (
        CONTACT_FIELDS,
        EMPLOYEE_FIELDS,
        ADDRESS_FIELDS,
        EXTRA_FIELD_FIELDS,
        RELATIONSHIP_FIELDS,
    )
}


_control: Final = CONTROL_RE.search
_date: Final = DATE_OR_TIMESTAMP_RE.fullmatch
_timestamp: Final = TIMESTAMP_RE.fullmatch


def _plainly_valid(value: object, fields: Mapping[str, Kind]) -> bool:
    """The common case, checked fast: exact keys, and every text/flag/date value of its
    type and form."""
    if type(value) is not dict:
        return False
    keys, texts, flags, dates, timestamps = _SHAPES[id(fields)]
    if value.keys() != keys:
        return False
    for key in texts:
        item = value[key]
        if item is not None and (type(item) is not str or _control(item)):
            return False
    for key in dates:
        item = value[key]
        if item is not None and (type(item) is not str or not _date(item)):
            return False
    for key in timestamps:
        item = value[key]
        if item is not None and (type(item) is not str or not _timestamp(item)):
            return False
    for key in flags:
        item = value[key]
        if item is not None and type(item) is not bool:
            return False
    return True


def _is_valid(doc: object) -> bool:
    """True only when :func:`_object_problems` would find nothing (same rules, ~10x
    faster); False means "look closer", never "invalid" on its own."""
    if not _plainly_valid(doc, CONTACT_FIELDS):
        return False
    assert isinstance(doc, dict)
    if not is_id(doc["id"]):
        return False
    if doc["type"] not in (ContactType.PERSON.value, ContactType.ORGANISATION.value):
        return False
    for key in ("partner", "manager"):
        if doc[key] is not None and not _plainly_valid(doc[key], EMPLOYEE_FIELDS):
            return False
    for key, fields in (
        ("addresses", ADDRESS_FIELDS),
        ("extra_fields", EXTRA_FIELD_FIELDS),
        ("relationships", RELATIONSHIP_FIELDS),
    ):
        items = doc[key]
        if type(items) is not list:
            return False
        for item in items:
            if not _plainly_valid(item, fields):
                return False
    return all(is_id(relationship["related_id"]) for relationship in doc["relationships"])


def document_problems(doc: object) -> list[str]:
    """Every reason the service would refuse this document; empty when it is valid."""
    if _is_valid(doc):
        return []
    return _object_problems(doc, CONTACT_FIELDS, "")


def contact_id(doc: Mapping[str, Any]) -> int:
    """The numeric id of a (valid) document, for ordering and checksums."""
    return int(doc["id"])
