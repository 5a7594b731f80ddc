"""The contact document: the one JSON shape that goes online, defined once as typed Structs.

The Structs below (msgspec, validation and JSON in C) are the whole definition: the engine
checks and encodes each document with them before sending, the online service decodes
every upload into them, and the OpenAPI schema is generated from them
(``msgspec.json.schema``), so the client, the service and the published schema can't
disagree. A contact the service would refuse is set aside by the engine with the same
words (:mod:`engine.contract.problems`), and the rest of its batch still goes through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from types import UnionType
from typing import Annotated, Any, Final, Literal, TypeVar, Union, cast, get_args, get_origin

import msgspec
from msgspec import Meta, Struct

from engine.contract.canonical import CANONICAL_ENCODER, canonical_json_reference
from engine.contract.formats import DATE_OR_TIMESTAMP, ID, TEXT, TIMESTAMP, schema_pattern
from engine.contract.problems import problem_words


class ContactType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


#: A contact id: a string of ASCII digits without a leading zero, never null.
Id = Annotated[
    str,
    Meta(
        pattern=schema_pattern(ID),
        description="A contact id: 1 to 18 digits without a leading zero.",
    ),
]
#: Text without control characters other than tab and line breaks (engine.contract.formats).
Text = Annotated[str, Meta(pattern=schema_pattern(TEXT))] | None
#: A date (YYYY-MM-DD), possibly with a time.
Date = (
    Annotated[
        str,
        Meta(
            pattern=schema_pattern(DATE_OR_TIMESTAMP),
            description="A date, YYYY-MM-DD, optionally with a time as in a timestamp.",
        ),
    ]
    | None
)
#: A date and time (YYYY-MM-DDTHH:MM:SS...), as the agent writes it.
Timestamp = (
    Annotated[
        str,
        Meta(
            pattern=schema_pattern(TIMESTAMP),
            description="YYYY-MM-DDTHH:MM:SS with optional fraction and UTC offset.",
        ),
    ]
    | None
)
Flag = bool | None
ContactTypeName = Literal["person", "organisation"]
assert set(get_args(ContactTypeName)) == {kind.value for kind in ContactType}


class Employee(Struct, forbid_unknown_fields=True, gc=False):
    """The practice's partner or manager of a contact."""

    code: Text
    name: Text


class Address(Struct, forbid_unknown_fields=True, gc=False):
    type: Text
    line1: Text
    line2: Text
    line3: Text
    suburb: Text
    state: Text
    postcode: Text
    country: Text
    primary: Flag


class ExtraField(Struct, forbid_unknown_fields=True, gc=False):
    name: Text
    type: Text
    value: Text


class Relationship(Struct, forbid_unknown_fields=True, gc=False):
    kind: Text
    related_id: Id
    start: Date
    end: Date


class Contact(Struct, forbid_unknown_fields=True, gc=False):
    """One contact of the practice, every key present (null when empty)."""

    id: Id
    code: Text
    type: ContactTypeName
    is_contact: Flag
    title: Text
    first_name: Text
    middle_name: Text
    last_name: Text
    suffix: Text
    main_name: Text
    organisation_type: Text
    gender: Text
    date_of_birth: Date
    tax_file_number: Text
    salutation: Text
    addressee: Text
    partner: Employee | None
    manager: Employee | None
    office: Text
    department: Text
    family_group: Text
    phone: Text
    fax: Text
    mobile: Text
    email: Text
    website: Text
    notes: Text
    archived: Flag
    created_at: Timestamp
    modified_at: Timestamp
    addresses: list[Address]
    extra_fields: list[ExtraField]
    relationships: list[Relationship]


#: A document as the engine assembles it (and as JSON decodes it): keys as in :class:`Contact`.
Document = dict[str, Any]

#: Every key of a contact document, in the documented order.
CONTACT_KEYS: Final = Contact.__struct_fields__


class InvalidDocument(ValueError):
    """A document the service would refuse; ``problem`` says which key and what it must be."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def typed(doc: object) -> Contact:
    """The document as a :class:`Contact`, or :class:`InvalidDocument` naming its problem.

    ``strict`` conversion: nothing is coerced (``"1"`` is no flag, ``1`` no text), exactly
    as when the service decodes the same document from JSON."""
    try:
        return msgspec.convert(doc, Contact)
    except msgspec.ValidationError as error:
        raise InvalidDocument(problem_words(error, doc, Contact)) from None
    except UnicodeEncodeError:
        pass  # a lone surrogate where no text belongs (a flag, the type, a key): see below
    try:
        msgspec.convert(_escaped(doc), Contact)
    except msgspec.ValidationError as error:
        raise InvalidDocument(problem_words(error, doc, Contact)) from None
    raise InvalidDocument("contact holds text that is not Unicode where no text belongs")


def _escaped(value: object) -> object:
    """The document with each lone surrogate written as its ``\\u`` escape: the same
    verdict (text stays text, any other value stays wrong), which msgspec can then say."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    if isinstance(value, dict):
        return {_escaped(key): _escaped(item) for key, item in value.items()}
    return value


def document_problems(doc: object) -> list[str]:
    """Why the service would refuse this document (one problem, named precisely); empty
    when it is valid."""
    try:
        typed(doc)
    except InvalidDocument as error:
        return [error.problem]
    return []


# -- the quick check ---------------------------------------------------------------------
#
# Asking ``re`` whether each text is free of control characters costs more than all the
# rest of the check (some 25 calls per contact). In JSON text, though, a string can hold
# a control character only as an escape starting ``\\u00`` (or ``\\b``, ``\\f``): bytes
# without those hold none. So a document whose JSON has none of them is checked against
# the same types with that one rule dropped (``relaxed_struct``, derived from
# :class:`Contact`, never written by hand); any other is checked in full. Either way the
# verdict is the Structs' (a property test holds the two paths to the same one).

S = TypeVar("S", bound=Struct)

_CONTROL_ESCAPE: Final = re.compile(rb"\\(?:u00|[bf])")
#: Writes a relaxed Struct's fields in their (sorted) order: its canonical JSON, unsorted.
_PLAIN_ENCODER: Final = msgspec.json.Encoder()


def may_hold_control_characters(json_text: bytes | bytearray) -> bool:
    """False only when no string in this JSON text holds a control character."""
    return b"\\" in json_text and _CONTROL_ESCAPE.search(json_text) is not None


def _relaxed(annotation: Any) -> Any:
    """The type with :data:`Text` as plain text (Structs rebuilt, everything else kept)."""
    if annotation == Text:
        return str | None
    if isinstance(annotation, type) and issubclass(annotation, Struct):
        return relaxed_struct(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list:
        return list[_relaxed(args[0])]  # type: ignore[misc]
    if origin in (Union, UnionType):
        return Union[tuple(_relaxed(arg) for arg in args)]  # noqa: UP007
    return annotation


@cache
def relaxed_struct(struct: type[S]) -> type[S]:
    """``struct`` with the control-character rule of :data:`Text` left out, for JSON text
    that :func:`may_hold_control_characters` clears; its fields in sorted order, so that
    its plain JSON is the canonical form. Its instances have the same fields, values and
    canonical JSON (typed as ``struct``'s, though they are not its instances)."""
    fields = sorted((f.name, _relaxed(f.type)) for f in msgspec.structs.fields(struct))
    relaxed = msgspec.defstruct(
        f"Relaxed{struct.__name__}", fields, forbid_unknown_fields=True, gc=False
    )
    return cast(type[S], relaxed)


_RELAXED_CONTACT: Final = relaxed_struct(Contact)


def canonical_bytes(contact: Contact) -> bytes:
    """The canonical JSON of a typed contact (``engine.contract.canonical``), encoded once;
    its SHA-256 is the contact's hash."""
    sorted_fields = type(contact) is _RELAXED_CONTACT
    try:
        return (_PLAIN_ENCODER if sorted_fields else CANONICAL_ENCODER).encode(contact)
    except UnicodeEncodeError:  # a lone surrogate: the reference decides
        return canonical_json_reference(msgspec.to_builtins(contact))


def wire_document(doc: Mapping[str, Any]) -> bytes:
    """A valid document's JSON for the batch body, or :class:`InvalidDocument`.

    These are its canonical bytes (so their SHA-256 is its hash) except for text holding a
    lone surrogate, which UTF-8 can't carry: then JSON's ``\\u`` escapes carry it exactly.
    """
    try:
        contact = msgspec.convert(doc, _RELAXED_CONTACT)
        raw = _PLAIN_ENCODER.encode(contact)
    except (msgspec.ValidationError, UnicodeEncodeError):
        typed(doc)  # the full check: says what is wrong, or passes a lone surrogate in text
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("ascii")
    if may_hold_control_characters(raw):
        typed(doc)
    return raw


def blank_document(contact_id: int, contact_type: ContactTypeName = "person") -> Document:
    """A valid document with every key empty (null, or an empty list), for tests and
    benchmarks to fill in: a key added to :class:`Contact` appears here by itself."""
    doc: Document = {}
    for field in msgspec.structs.fields(Contact):
        if field.type == Id:
            doc[field.name] = str(contact_id)
        elif field.type == ContactTypeName:
            doc[field.name] = contact_type
        elif get_origin(field.type) is list:
            doc[field.name] = []
        else:  # every other key is nullable
            doc[field.name] = None
    return doc


def contact_id(doc: Mapping[str, Any]) -> int:
    """The numeric id of a (valid) document, for ordering and checksums."""
    return int(doc["id"])
