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
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from functools import cache, partial
from itertools import chain
from operator import attrgetter, is_not
from types import UnionType
from typing import Annotated, Any, Final, Literal, TypeVar, Union, cast, get_args, get_origin

import msgspec
from msgspec import Meta, Struct

from engine.contract.canonical import CANONICAL_ENCODER, canonical_json_reference
from engine.contract.formats import (
    DATE_OR_TIMESTAMP,
    DATE_OR_TIMESTAMP_LINES,
    ID,
    TEXT,
    TIMESTAMP,
    TIMESTAMP_LINES,
    all_ids,
    all_match,
    schema_pattern,
)
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


# A batch holds hundreds of contacts, and msgspec asks ``re`` about each id, date and
# timestamp in a call of its own (some 5 a contact: more than decoding the JSON costs).
# The Struct of a batch, relaxed, decodes those as plain text and checks them after
# decoding, all of a kind at once (``engine.contract.formats.all_ids`` and ``all_match``:
# the same verdict on every value as its pattern, a property test holds them to it).

#: The patterned texts a batch checks after decoding, and how, each list all at once.
_DEFERRED: Final[tuple[tuple[Any, Callable[[list[str]], bool]], ...]] = (
    (Id, all_ids),
    (Date, partial(all_match, DATE_OR_TIMESTAMP_LINES)),
    (Timestamp, partial(all_match, TIMESTAMP_LINES)),
)
#: Collects values of one type into the lists of the checks (indexes of ``_DEFERRED``).
_Gather = Callable[[Sequence[Any], list[list[str]]], None]
_NOT_NONE: Final = partial(is_not, None)


def _relaxed(annotation: Any, deferred: bool) -> Any:
    """The type with :data:`Text` as plain text (Structs rebuilt, everything else kept);
    ``deferred``: ids, dates and timestamps too (their checks left to the batch)."""
    if annotation == Text:
        return str | None
    if deferred and annotation == Id:
        return str
    if deferred and any(annotation == rule for rule, _ in _DEFERRED):
        return str | None
    if isinstance(annotation, type) and issubclass(annotation, Struct):
        return _relaxed_struct(annotation, deferred)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list:
        return list[_relaxed(args[0], deferred)]  # type: ignore[misc]
    if origin in (Union, UnionType):
        return Union[tuple(_relaxed(arg, deferred) for arg in args)]  # noqa: UP007
    return annotation


def _texts(index: int, nullable: bool) -> _Gather:
    """Collects a column of texts (or nulls) into the list of check ``index``."""
    if not nullable:  # decoding saw to it that each is text
        return lambda column, into: into[index].extend(column)

    def gather(column: Sequence[Any], into: list[list[str]]) -> None:
        texts = into[index]
        before = len(texts)
        texts.extend(filter(None, column))  # in C: leaves out the nulls, and ""...
        if len(texts) - before + column.count(None) < len(column):
            texts.append("")  # ... which no rule takes: one is kept, to be refused

    return gather


def _gatherer(annotation: Any) -> _Gather | None:
    """Collects the deferred texts in a column of values of this type (a list: a field
    of many Structs, the items of many lists); None when they hold none."""
    for index, (rule, _) in enumerate(_DEFERRED):
        if annotation == rule:
            return _texts(index, nullable=type(None) in get_args(rule))
    if isinstance(annotation, type) and issubclass(annotation, Struct):
        parts = [
            (attrgetter(field.name), gather)
            for field in msgspec.structs.fields(annotation)
            if (gather := _gatherer(field.type)) is not None
        ]
        if not parts:
            return None

        def gather_fields(column: Sequence[Any], into: list[list[str]]) -> None:
            for get, gather in parts:  # each field's column in one C call
                gather(list(map(get, column)), into)

        return gather_fields
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and (item := _gatherer(args[0])) is not None:
        return lambda column, into: item(list(chain.from_iterable(column)), into)
    if origin in (Union, UnionType):
        members = [arg for arg in args if arg is not type(None)]
        gathers = [gather for arg in members if (gather := _gatherer(arg)) is not None]
        if gathers and len(members) > 1:
            raise TypeError(f"no deferred check for {annotation}")  # say how to tell them
        if gathers:
            return lambda column, into: gathers[0](list(filter(_NOT_NONE, column)), into)
    return None


def _formats_hold(gather: _Gather, values: list[Any]) -> bool:
    """Whether every deferred text in ``values`` is what its pattern says it must be."""
    into: list[list[str]] = [[] for _ in _DEFERRED]
    gather(values, into)
    return all(check(texts) for (_, check), texts in zip(_DEFERRED, into, strict=True))


def _checked_after_decoding(gather: _Gather) -> Callable[[Any], None]:
    def __post_init__(self: Any) -> None:
        if not _formats_hold(gather, [self]):
            raise ValueError("an id, date or timestamp is not written as it must be")

    return __post_init__


def _structs_in(annotation: Any) -> set[type[Struct]]:
    """Every Struct a value of this type can hold (itself included)."""
    if isinstance(annotation, type) and issubclass(annotation, Struct):
        inside = (_structs_in(field.type) for field in msgspec.structs.fields(annotation))
        return {annotation}.union(*inside)
    return set().union(*(_structs_in(arg) for arg in get_args(annotation)))


#: The contact document's own Structs: relaxed, they check nothing after decoding (the
#: engine builds them directly from values valid by how they were made).
_DOCUMENT_PARTS: Final = frozenset(_structs_in(Contact))


@cache
def _relaxed_struct(struct: type[S], deferred: bool) -> type[S]:
    fields = sorted((f.name, _relaxed(f.type, deferred)) for f in msgspec.structs.fields(struct))
    gather = _gatherer(struct) if deferred and struct not in _DOCUMENT_PARTS else None
    relaxed = msgspec.defstruct(
        f"Relaxed{struct.__name__}",
        fields,
        forbid_unknown_fields=True,
        gc=False,
        namespace={} if gather is None else {"__post_init__": _checked_after_decoding(gather)},
    )
    return cast(type[S], relaxed)


def relaxed_struct(struct: type[S]) -> type[S]:
    """``struct`` with the control-character rule of :data:`Text` left out, for JSON text
    that :func:`may_hold_control_characters` clears; its fields in sorted order, so that
    its plain JSON is the canonical form. Its instances have the same fields, values and
    canonical JSON (typed as ``struct``'s, though they are not its instances).

    A Struct that is not part of the document (a batch) decodes the ids, dates and
    timestamps inside as plain text and then checks them all at once: the same verdict."""
    return _relaxed_struct(struct, struct not in _DOCUMENT_PARTS)


_RELAXED_CONTACT: Final = relaxed_struct(Contact)
#: Contacts with their fields in sorted order: as the engine builds them, as a batch holds them.
_RELAXED_CONTACTS: Final = frozenset({_RELAXED_CONTACT, _relaxed_struct(Contact, True)})


def canonical_bytes(contact: Contact) -> bytes:
    """The canonical JSON of a typed contact (``engine.contract.canonical``), encoded once;
    its SHA-256 is the contact's hash."""
    sorted_fields = type(contact) in _RELAXED_CONTACTS
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
