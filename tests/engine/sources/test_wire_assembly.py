"""A contact built straight into wire bytes (``mapping/wire_assembly.py``) is sent exactly
as the general path would send it: its document (``assemble_documents``) checked and
encoded by ``wire_document`` gives the same bytes, never a refusal. Every contact the
shortcut can't build valid keeps its general document, so the Structs and their words
decide it as before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import event, given, settings, strategies as st

from engine.contract.document import InvalidDocument, wire_document
from engine.sources.base import Employee
from engine.sources.mapping.assembly import (
    Lookups,
    assemble_documents,
    group_addresses,
    group_extra_fields,
    group_relationships,
)
from engine.sources.mapping.schema import CONTACT_COLUMNS, ValueKind
from engine.sources.mapping.wire_assembly import _ODD, _moment, _moments, _Odd, encode_contacts
from tests.engine.sources.test_assembly_fast_path import contact_rows, dates, flags

#: Text the shortcut builds: no control characters (JSON escapes some of it all the same).
plain_text = (
    st.none()
    | st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=5)
    | st.sampled_from(["", "Smith", "é", '"q"', "\u2028", "\x7f", "\t\r\n", "/"])
)
#: Text the shortcut must leave to the general path (control characters, lone
#: surrogates) or that only looks so to the byte scan (a backslash before u00).
odd_text = st.sampled_from(["\x00", "a\x1fb", "\x0c", "\ud800", "\\u0000", "\\b", "\\"])
#: Any value a driver may hand over in a text column.
texts = odd_text | st.binary(max_size=3) | st.integers(-2, 2) | st.floats(allow_nan=False)
ids = st.sampled_from([1, 2, 3, 0, 10**18 - 1, 10**18, -4, "5", True, 5.0, None])
moments = (
    st.none()
    | st.datetimes().map(lambda value: value.isoformat(sep=" "))
    | st.datetimes().map(lambda value: value.replace(microsecond=0).isoformat(sep=" "))
    | st.datetimes()
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(seconds=61))]))
    | st.datetimes(timezones=st.just(timezone(timedelta(hours=-3)))).map(str)
    | st.dates()
    | st.sampled_from(
        [
            "2024-02-30 00:00:00",
            "2024-05-01T09:30",
            "2024-05-01",
            "",
            "x",
            "2024-01-01 24:00:00",
            "2024-W01-1 12:00:00",
            "2024-01-01X12:00:00",
            "２024-01-01 12:00:00",
            "20240101T120000",
        ]
    )
)
days = dates | st.datetimes(timezones=st.just(UTC)) | st.just(date(1, 1, 1))
plain_moments = st.datetimes().map(lambda value: value.replace(microsecond=0).isoformat(sep=" "))


def _plain_value(kind: ValueKind) -> st.SearchStrategy[Any]:
    """A value of the kind the shortcut builds (mostly), for the column ``kind``."""
    return {
        ValueKind.ID: st.just(1),
        ValueKind.TEXT: plain_text,
        ValueKind.FLAG: st.sampled_from([0, 1, None, True]),
        ValueKind.DATE: st.none() | st.dates().map(str) | st.dates(),
        ValueKind.DATETIME: st.none() | plain_moments | st.datetimes(),
        ValueKind.CONTACT_TYPE: st.sampled_from(["P", "O"]),
        ValueKind.EMPLOYEE: st.sampled_from([None, 1, 2, 3]),
    }[kind]


def _some_odd(draw: st.DrawFn, values: list[Any], odd: st.SearchStrategy[Any]) -> tuple[Any, ...]:
    """``values`` with, now and then, one of them (not the first) replaced by ``odd``."""
    if len(values) > 1 and draw(st.integers(0, 3)) == 0:
        values[draw(st.integers(1, len(values) - 1))] = draw(odd)
    return tuple(values)


@st.composite
def pages(
    draw: st.DrawFn,
) -> tuple[list[tuple[Any, ...]], Lookups, list[Any], list[Any], list[Any]]:
    """Contact rows with distinct ascending ids (odd ones too), their child rows and
    the page's lookups: mostly values the shortcut builds, with odd ones among them."""
    count = draw(st.integers(1, 4))
    contact_ids = sorted(draw(st.sets(st.integers(1, 10**18 + 5), min_size=count, max_size=count)))
    if draw(st.integers(0, 3)) == 0:
        contact_ids[0] = draw(st.sampled_from([0, 10**18, 10**18 - 1, "9", -1]))
    rows = []
    for contact in contact_ids:
        row = [draw(_plain_value(kind)) for _, _, kind in CONTACT_COLUMNS]
        row[0] = contact
        if draw(st.booleans()):
            row[-1] = row[-2]  # modified_at: the very text of created_at
        hostile = draw(contact_rows())  # every kind of value, column by column
        for index in draw(st.sets(st.integers(1, len(row) - 1), max_size=2)):
            row[index] = hostile[index]
        if draw(st.integers(0, 3)) == 0:
            row[-2 - draw(st.integers(0, 1))] = draw(moments)
        rows.append(tuple(row))
    owners = st.sampled_from(contact_ids)
    addresses = [
        _some_odd(draw, [draw(owners), *(draw(plain_text) for _ in range(8)), draw(flags)], texts)
        for _ in range(draw(st.integers(0, 4)))
    ]
    field_ids = st.sampled_from([1, 2, 3, 4, 99])
    extra = [
        _some_odd(draw, [draw(owners), draw(field_ids), draw(plain_text)], texts)
        for _ in range(draw(st.integers(0, 4)))
    ]
    relationships = [
        _some_odd(draw, [draw(owners), draw(plain_text), 7, draw(days), draw(days)], ids)
        for _ in range(draw(st.integers(0, 3)))
    ]
    definitions = {
        1: ("ABN", "text"),
        2: ("BALMTH", None),
        3: draw(st.sampled_from([(None, "text"), ("A\x00", "x"), ("\ud800", "y"), ("Z", "z")])),
        4: ("ABN", "date"),  # the same name twice: the sort keeps row order
    }
    employees = [
        Employee(1, "JS", "Jo", "Smith", None, True),
        Employee(2, draw(plain_text), None, "Ng", None, False),
    ]
    return rows, Lookups(employees, definitions), addresses, extra, relationships


@settings(max_examples=300, deadline=None)
@given(pages())
def test_built_bytes_are_the_general_documents_bytes(
    page: tuple[list[tuple[Any, ...]], Lookups, list[Any], list[Any], list[Any]],
) -> None:
    rows, lookups, addresses, extra, relationships = page
    general = assemble_documents(
        rows,
        lookups,
        group_addresses(addresses),
        group_extra_fields(extra, lookups.extra_fields),
        group_relationships(relationships),
    )
    by_id = {row[0]: doc for row, doc in zip(rows, general, strict=True)}
    encoded, documents = encode_contacts(rows, lookups, addresses, extra, relationships)
    # every contact once: built, or its general document (in row order)
    built = [contact for contact, _ in encoded]
    rest = [row[0] for row in rows if row[0] not in set(built)]
    assert built == [row[0] for row in rows if row[0] in set(built)]
    assert [repr(doc) for doc in documents] == [repr(by_id[contact]) for contact in rest]
    for contact, raw in encoded:
        assert wire_document(by_id[contact]) == raw  # valid, and the very same bytes
    event(f"built {len(encoded)} of {len(rows)}")


def _valid_rows() -> tuple[list[tuple[Any, ...]], Lookups, list[Any], list[Any], list[Any]]:
    row = [None] * 30
    row[0], row[2], row[3], row[27] = 7, "P", 0, 1
    row[1], row[5], row[7] = "C1", "Jo", "Smith"
    row[12], row[28], row[29] = "1980-05-17", "2020-01-02 03:04:05", "2021-01-02 03:04:05.5"
    row[16] = 1
    lookups = Lookups([Employee(1, "JS", "Jo", "Smith", None, True)], {1: ("ABN", "text")})
    addresses = [(7, "Home", "1 Main St", None, None, "Town", "NSW", "2000", "Australia", 1)]
    extra = [(7, 1, "12 345")]
    relationships = [(7, "spouse", 8, "2001-02-03", None), (7, None, 9, datetime(2001, 2, 3), None)]
    return [tuple(row)], lookups, addresses, extra, relationships


def test_the_usual_contact_is_built_and_an_odd_one_is_not() -> None:
    """The shortcut is taken for an ordinary contact (else it saves nothing), and a
    contact the Structs refuse keeps its document, refused in their words."""
    rows, lookups, addresses, extra, relationships = _valid_rows()
    encoded, documents = encode_contacts(rows, lookups, addresses, extra, relationships)
    assert [contact for contact, _ in encoded] == [7] and documents == []
    bad = [(7, 1, "12 345"), (7, 1, "\x00")]
    encoded, documents = encode_contacts(rows, lookups, addresses, bad, relationships)
    assert encoded == [] and len(documents) == 1
    try:
        wire_document(documents[0])
    except InvalidDocument as error:
        assert error.problem == "extra_fields[1].value holds a control character (U+0000)"
    else:
        raise AssertionError("a control character went through")


#: Texts that look like the usual timestamps to some of the page-wide checks, not all.
near_moments = st.sampled_from(
    [
        "2021-08-15T13:48:09",
        "2021-08-15 13:48: 9",
        "2021-08-15 13:48:0\n",
        "2021-08-15 25:00:00",
        "2021-02-29 00:00:00",
        "2021-08-15 13:48:09Z",
        "２021-08-15 12:00:00",
        "2021 08-15 13:48:09",
    ]
)


def _one_by_one(value: Any) -> Any:
    try:
        return _moment(value)
    except _Odd:
        return _ODD


@settings(max_examples=400, deadline=None)
@given(
    st.lists(plain_moments | plain_moments.map(lambda text: text.replace(" ", "T")), min_size=1),
    st.lists(st.tuples(st.integers(0, 20), moments | near_moments), max_size=2),
    st.booleans(),
)
def test_a_pages_timestamps_at_once_are_each_ones(
    values: list[Any], odd: list[tuple[int, Any]], lengths_that_add_up: bool
) -> None:
    """The page-wide shortcut gives each value's own text, or sends it one by one."""
    for index, value in odd:
        values[index % len(values)] = value
    if lengths_that_add_up and len(values) > 1:  # 18 + 20 characters: the same total
        values[0], values[1] = "2021-08-15 13:48:0", "2021-08-15 13:48:099"
    assert _moments(values) == [_one_by_one(value) for value in values]
