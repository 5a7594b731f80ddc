"""Contact rows straight to the bytes a first migration uploads, for the common contact.

Built as a document (a dict per contact and per child row) and then converted to the
contract's Structs by ``wire_document``, each contact is walked twice and made of ~60
Python objects it doesn't need. Here the common contact is built directly as the
contract's relaxed Structs (``relaxed_struct``: fields in sorted order, so their plain
JSON is the canonical form) from values whose validity follows from how they were made,
and encoded once:

- text: ``str`` or NULL as stored; the one rule on its contents (no control character)
  is decided on the bytes, as ``wire_document`` decides it
  (``may_hold_control_characters``);
- an id: ``str()`` of an ``int`` in 1..10**18-1: 1 to 18 digits, no leading zero;
- a date or a timestamp: written by ``date.isoformat()`` or by a naive
  ``datetime.isoformat()`` (a real day of years 1-9999, ``HH:MM:SS``, 6 fraction digits
  or none, no offset: inside the patterns by construction);
- a flag: ``int != 0`` or a bool; the type: ``CONTACT_TYPES``' words; an employee: the
  page's lookups (text, as above).

Any other value (of another type, text that is no date, an aware timestamp, an extra
field without its definition, a lone surrogate, an escape that may be a control
character) sends that one contact down the general path: its document as
:mod:`engine.sources.mapping.assembly` builds it, which the uploader checks in full with
the Structs and their words. A property test holds the bytes of the two paths equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from operator import attrgetter, itemgetter
from typing import Any, Final

import msgspec

from engine.contract.document import (
    Address,
    Contact,
    Document,
    Employee,
    ExtraField,
    Relationship,
    may_hold_control_characters,
    relaxed_struct,
)
from engine.sources.mapping.assembly import (
    _ADDRESS_TEXT,
    _CONTACT_KEYS,
    _I_ARCHIVED,
    _I_CREATED_AT,
    _I_DATE_OF_BIRTH,
    _I_ID,
    _I_IS_CONTACT,
    _I_MANAGER,
    _I_MODIFIED_AT,
    _I_PARTNER,
    _I_TYPE,
    _TEXT_GETTER,
    _TEXT_POSITIONS,
    _TEXT_TYPES,
    Lookups,
    _check_width,
    assemble_documents,
    group_addresses,
    group_extra_fields,
    group_relationships,
)
from engine.sources.mapping.schema import ADDRESS_COLUMNS
from engine.sources.mapping.values import CONTACT_TYPES

#: The relaxed Structs, built positionally (their fields are in sorted order).
_CONTACT: Final[type[msgspec.Struct]] = relaxed_struct(Contact)
_ADDRESS: Final[type[msgspec.Struct]] = relaxed_struct(Address)
_EXTRA_FIELD: Final[type[msgspec.Struct]] = relaxed_struct(ExtraField)
_RELATIONSHIP: Final[type[msgspec.Struct]] = relaxed_struct(Relationship)
_EMPLOYEE: Final[type[msgspec.Struct]] = relaxed_struct(Employee)
assert _ADDRESS.__struct_fields__ == (
    "country", "line1", "line2", "line3", "postcode", "primary", "state", "suburb", "type"
)  # fmt: skip
assert tuple(key for _, key, _ in ADDRESS_COLUMNS) == (
    "type", "line1", "line2", "line3", "suburb", "state", "postcode", "country", "primary"
)  # fmt: skip
assert _EXTRA_FIELD.__struct_fields__ == ("name", "type", "value")
assert _RELATIONSHIP.__struct_fields__ == ("end", "kind", "related_id", "start")
assert _EMPLOYEE.__struct_fields__ == ("code", "name")

#: The contact columns made into other values (every one that is not text).
_MADE_INDEXES: Final = (
    _I_ID, _I_TYPE, _I_IS_CONTACT, _I_ARCHIVED, _I_DATE_OF_BIRTH, _I_CREATED_AT, _I_MODIFIED_AT,
    _I_PARTNER, _I_MANAGER,
)  # fmt: skip
_TEXT_INDEXES: Final = tuple(index for index, _ in _TEXT_POSITIONS)
#: A contact's text values (``_TEXT_GETTER``: taken as they are), then the values made
#: of its other columns and its three lists → the relaxed Contact's (sorted) field order.
_BUILT_KEYS: Final = (
    *(_CONTACT_KEYS[index] for index in _TEXT_INDEXES),
    *(_CONTACT_KEYS[index] for index in _MADE_INDEXES),
    "addresses",
    "extra_fields",
    "relationships",
)
assert sorted(_BUILT_KEYS) == list(_CONTACT.__struct_fields__)
_IN_FIELD_ORDER: Final = itemgetter(
    *(_BUILT_KEYS.index(name) for name in _CONTACT.__struct_fields__)
)

#: Ids are 1 to 18 digits.
_ID_LIMIT: Final = 10**18
_NAME: Final = attrgetter("name")
_ENCODER: Final = msgspec.json.Encoder()


class _Odd(Exception):
    """A value outside the forms above: its contact takes the general path."""


def _day(value: Any) -> str | None:
    """A DATE value's text as the general path makes it (``as_date``), when it is a date
    by construction; :class:`_Odd` otherwise."""
    if value is None:
        return None
    kind = value.__class__
    if kind is str:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise _Odd from None  # carried as stored: the Structs decide
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            # read as a day at that shape, a text is the day's own spelling
            # (``date.fromisoformat`` takes only ASCII digits there), which the general
            # path keeps as stored
            return value  # type: ignore[no-any-return]
        return day.isoformat()
    if kind is date:
        return value.isoformat()  # type: ignore[no-any-return]
    if kind is datetime and value.tzinfo is None:
        if value.time() == datetime.min.time():
            return value.date().isoformat()  # type: ignore[no-any-return]
        return value.isoformat()  # type: ignore[no-any-return]
    raise _Odd


def _moment(value: Any) -> str | None:
    """A DATETIME value's text as the general path makes it (``as_datetime``), when it is
    a naive date-time by construction; :class:`_Odd` otherwise."""
    if value is None:
        return None
    kind = value.__class__
    if kind is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _Odd from None
        if moment.tzinfo is not None:  # an offset may hold seconds: the Structs decide
            raise _Odd
        if (
            len(value) == 19
            and value[10] in " T"
            and value[4] == "-"
            and value[7] == "-"
            and value[13] == ":"
            and value[16] == ":"
            and value.isascii()
        ):
            # ``YYYY-MM-DD HH:MM:SS`` read as a date-time: its isoformat() is the same
            # digits with a T (writing it costs more than reading it)
            return f"{value[:10]}T{value[11:]}"
        return moment.isoformat()
    if kind is datetime and value.tzinfo is None:
        return value.isoformat()  # type: ignore[no-any-return]
    raise _Odd


_ODD: Final = object()
_CREATED_AT: Final = itemgetter(_I_CREATED_AT)
_MODIFIED_AT: Final = itemgetter(_I_MODIFIED_AT)
_PLAIN_MOMENT: Final = len("YYYY-MM-DD HH:MM:SS")
_ONLY_STR: Final = frozenset((str,))
_TZINFO: Final = attrgetter("tzinfo")
_PARSE_MOMENT: Final = datetime.fromisoformat


def _moments(values: list[Any]) -> list[Any]:
    """:func:`_moment` of each value, :data:`_ODD` where it raises. A page's values in
    the usual form (``YYYY-MM-DD HH:MM:SS`` text) are checked and rewritten all at once,
    a few C calls instead of ~10 a value (~650 ns a value one by one): the same tests as
    :func:`_moment`'s shortcut on every value, so the same texts."""
    count = len(values)
    width = _PLAIN_MOMENT + 1  # each value and a newline
    if count and _ONLY_STR.issuperset(map(type, values)):
        joined = "\n".join(values)
        # exactly count - 1 newlines, all between values: no value holds one, so each
        # value is 19 characters and its n-th character is at n, n + 20, n + 40, ...
        separators = joined[10::width]
        spaces = separators.count(" ")
        if (
            len(joined) == width * count - 1
            and joined.count("\n") == count - 1
            and joined[_PLAIN_MOMENT::width].count("\n") == count - 1
            and joined[4::width].count("-") == count
            and joined[7::width].count("-") == count
            and joined[13::width].count(":") == count
            and joined[16::width].count(":") == count
            and spaces + separators.count("T") == count
            and joined.count(" ") == spaces  # every space is a separator: replaced below
            and joined.isascii()
        ):
            try:
                aware = any(map(_TZINFO, map(_PARSE_MOMENT, values)))
            except ValueError:
                aware = True  # one is no date-time: one by one below
            if not aware:
                return joined.replace(" ", "T").split("\n")
    return [_moment_or_odd(value) for value in values]


def _moment_or_odd(value: Any) -> Any:
    try:
        return _moment(value)
    except _Odd:
        return _ODD


def _flag(value: Any) -> bool | None:
    """A FLAG value as ``as_flag`` makes it, for a bit as SQLite (int) or an ODBC driver
    (bool) hands it over."""
    kind = value.__class__
    if kind is int or kind is bool:
        return value != 0  # type: ignore[no-any-return]
    if value is None:
        return None
    raise _Odd


def _addresses(rows: Sequence[Sequence[Any]], odd: set[Any]) -> dict[Any, list[msgspec.Struct]]:
    grouped: defaultdict[Any, list[msgspec.Struct]] = defaultdict(list)
    all_text = _TEXT_TYPES.issuperset
    text_of = _ADDRESS_TEXT
    make = _ADDRESS
    for row in rows:
        contact, kind, line1, line2, line3, suburb, state, postcode, country, flag = row
        if flag.__class__ is int:
            primary: bool | None = flag != 0
        elif flag is None or flag.__class__ is bool:
            primary = flag
        else:
            odd.add(contact)
            continue
        if not all_text(map(type, text_of(row))):
            odd.add(contact)
            continue
        grouped[contact].append(
            make(country, line1, line2, line3, postcode, primary, state, suburb, kind)
        )
    return grouped


def _extra_fields(
    rows: Sequence[Sequence[Any]],
    definitions: dict[Any, tuple[Any, Any]],
    odd: set[Any],
) -> dict[Any, list[msgspec.Struct]]:
    made = {
        field_id: (name, kind)
        for field_id, (name, kind) in definitions.items()
        if name.__class__ is str and kind.__class__ in _TEXT_TYPES
    }
    grouped: defaultdict[Any, list[msgspec.Struct]] = defaultdict(list)
    make = _EXTRA_FIELD
    for contact, field_id, value in rows:
        definition = made.get(field_id)
        if definition is None or value.__class__ not in _TEXT_TYPES:
            odd.add(contact)  # the general path names or converts it
            continue
        grouped[contact].append(make(definition[0], definition[1], value))
    for items in grouped.values():
        if len(items) > 1:
            items.sort(key=_NAME)  # code-point order of the names, as the general path
    return grouped


def _relationships(rows: Sequence[Sequence[Any]], odd: set[Any]) -> dict[Any, list[msgspec.Struct]]:
    grouped: defaultdict[Any, list[msgspec.Struct]] = defaultdict(list)
    make = _RELATIONSHIP
    for contact, kind, related, start, end in rows:
        if (
            kind.__class__ not in _TEXT_TYPES
            or related.__class__ is not int
            or not 0 < related < _ID_LIMIT
        ):
            odd.add(contact)
            continue
        try:
            grouped[contact].append(make(_day(end), kind, str(related), _day(start)))
        except _Odd:
            odd.add(contact)
    return grouped


def encode_contacts(
    contact_rows: Sequence[Sequence[Any]],
    lookups: Lookups,
    address_rows: Sequence[Sequence[Any]],
    extra_field_rows: Sequence[Sequence[Any]],
    relationship_rows: Sequence[Sequence[Any]],
) -> tuple[list[tuple[int, bytes]], list[Document]]:
    """(id, wire bytes) of each contact built valid, in row order, and the documents of
    the rest (the general path's, to be checked in full). Rows as for
    ``assemble_documents``; child rows need not be grouped. The bytes are exact-size
    objects of their own (kept until their batch is answered)."""
    _check_width(contact_rows, len(_CONTACT_KEYS), "contact")
    _check_width(address_rows, len(ADDRESS_COLUMNS) + 1, "address")
    odd: set[Any] = set()
    addresses = _addresses(address_rows, odd)
    extra_fields = _extra_fields(extra_field_rows, lookups.extra_fields, odd)
    relationships = _relationships(relationship_rows, odd)
    employees = {
        key: _EMPLOYEE(code, name) for key, (code, name) in lookups.employee_refs().items()
    }
    encoded: list[tuple[int, bytes]] = []
    general: list[Sequence[Any]] = []
    all_text = _TEXT_TYPES.issuperset
    text_of = _TEXT_GETTER
    contact_types = CONTACT_TYPES
    in_field_order = _IN_FIELD_ORDER
    make = _CONTACT
    encode_into = _ENCODER.encode_into
    buffer = bytearray()  # one buffer for the page: each contact's bytes copied out exactly
    no_items: list[msgspec.Struct] = []
    created_at = _moments(list(map(_CREATED_AT, contact_rows)))
    modified_at = _moments(list(map(_MODIFIED_AT, contact_rows)))
    for row, created, modified in zip(contact_rows, created_at, modified_at, strict=True):
        contact = row[0]
        kind = row[_I_TYPE]
        mapped = contact_types.get(kind) if kind.__class__ is str else None
        texts = text_of(row)
        if (
            contact.__class__ is not int
            or not 0 < contact < _ID_LIMIT
            or mapped is None
            or contact in odd
            or created is _ODD
            or modified is _ODD
            or not all_text(map(type, texts))
        ):
            general.append(row)
            continue
        try:
            made = (
                str(contact),
                mapped,
                _flag(row[_I_IS_CONTACT]),
                _flag(row[_I_ARCHIVED]),
                _day(row[_I_DATE_OF_BIRTH]),
                created,
                modified,
            )
        except _Odd:
            general.append(row)
            continue
        partner = row[_I_PARTNER]
        manager = row[_I_MANAGER]
        values = (
            texts
            + made
            + (
                None if partner is None else employees.get(partner),
                None if manager is None else employees.get(manager),
                addresses.get(contact, no_items),
                extra_fields.get(contact, no_items),
                relationships.get(contact, no_items),
            )
        )
        try:
            encode_into(make(*in_field_order(values)), buffer)
        except UnicodeEncodeError:  # a lone surrogate: the general path carries it
            general.append(row)
            continue
        if may_hold_control_characters(buffer):
            general.append(row)
            continue
        encoded.append((contact, bytes(buffer)))
    return encoded, _documents(general, lookups, address_rows, extra_field_rows, relationship_rows)


def _documents(
    contact_rows: list[Sequence[Any]],
    lookups: Lookups,
    address_rows: Sequence[Sequence[Any]],
    extra_field_rows: Sequence[Sequence[Any]],
    relationship_rows: Sequence[Sequence[Any]],
) -> list[Document]:
    """The general path's documents of these contacts (their child rows picked out)."""
    if not contact_rows:
        return []
    wanted = {row[0] for row in contact_rows}

    def rows_of(rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        return [row for row in rows if row[0] in wanted]

    return assemble_documents(
        contact_rows,
        lookups,
        group_addresses(rows_of(address_rows)),
        group_extra_fields(rows_of(extra_field_rows), lookups.extra_fields),
        group_relationships(rows_of(relationship_rows)),
    )
