"""The unrolled assembly (``mapping/assembly.py``) builds exactly what the general
converters (``mapping/values.py``) make of each column: its shortcuts (a date already
shaped ``????-??-??`` kept as stored, ``modified_at`` equal to ``created_at`` not parsed
twice, the address display) may only save time, never change a document."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings, strategies as st

from engine.sources.base import Employee
from engine.sources.mapping.assembly import (
    Lookups,
    assemble_documents,
    group_addresses,
    group_relationships,
)
from engine.sources.mapping.schema import ADDRESS_COLUMNS, CONTACT_COLUMNS, ValueKind
from engine.sources.mapping.values import (
    as_contact_type,
    as_date,
    as_datetime,
    as_flag,
    as_id,
    as_text,
)

LOOKUPS = Lookups(employees=[Employee(1, "JS", "Jo", "Smith", None, True)], extra_fields={})
EMPLOYEES = LOOKUPS.employee_refs()

day_shaped = st.from_regex(r"\A.{4}-.{2}-.{2}\Z") | st.from_regex(r"\A[0-9０-９]{4}-\d\d-\d\d\Z")
dates = (
    st.none()
    | st.dates().map(str)
    | st.dates()
    | st.datetimes()
    | day_shaped
    | st.sampled_from(["20240501", "2024-W01-1", "2023-02-29", "0001-01-01", "", "1980-1-01"])
    | st.text(max_size=12)
)
date_times = (
    st.none()
    | st.datetimes().map(lambda value: value.isoformat(sep=" "))
    | st.datetimes().map(str)
    | st.datetimes(timezones=st.just(timezone(timedelta(hours=10))))
    | st.dates()
    | st.sampled_from(["2024-02-30 00:00:00", "2024-05-01T09:30", "last Tuesday", ""])
    | st.text(max_size=20)
)
texts = st.none() | st.text(max_size=8) | st.binary(max_size=4) | st.integers() | st.floats()
flags = st.sampled_from([0, 1, 2, True, False, None, "Y", 1.0])


def _expected_document(row: tuple[Any, ...]) -> dict[str, Any]:
    """Each column through its general converter, in CONTACT_COLUMNS order."""
    doc: dict[str, Any] = {}
    for value, (_, key, kind) in zip(row, CONTACT_COLUMNS, strict=True):
        if kind is ValueKind.ID:
            doc[key] = as_id(value)
        elif kind is ValueKind.TEXT:
            doc[key] = as_text(value)
        elif kind is ValueKind.FLAG:
            doc[key] = as_flag(value)
        elif kind is ValueKind.DATE:
            doc[key] = as_date(value)
        elif kind is ValueKind.DATETIME:
            doc[key] = as_datetime(value)
        elif kind is ValueKind.CONTACT_TYPE:
            doc[key] = as_contact_type(value)
        else:
            ref = None if value is None else EMPLOYEES.get(value)
            doc[key] = None if ref is None else {"code": ref[0], "name": ref[1]}
    return {**doc, "addresses": [], "extra_fields": [], "relationships": []}


@st.composite
def contact_rows(draw: st.DrawFn) -> tuple[Any, ...]:
    values: list[Any] = []
    created = draw(date_times)
    for column, _, kind in CONTACT_COLUMNS:
        if kind is ValueKind.ID:
            values.append(draw(st.integers(1, 10**12)))
        elif kind is ValueKind.TEXT:
            values.append(draw(texts))
        elif kind is ValueKind.FLAG:
            values.append(draw(flags))
        elif kind is ValueKind.DATE:
            values.append(draw(dates))
        elif kind is ValueKind.DATETIME:
            # modified_at is often the very text of created_at
            same = column == "ModifiedAt" and draw(st.booleans())
            values.append(created if same or column == "CreatedAt" else draw(date_times))
        elif kind is ValueKind.CONTACT_TYPE:
            values.append(draw(st.sampled_from(["P", "O", "X", None, 1])))
        else:
            values.append(draw(st.sampled_from([None, 1, 2])))
    return tuple(values)


@settings(max_examples=150, deadline=None)
@given(st.lists(contact_rows(), max_size=4))
def test_contact_documents_are_the_general_conversion(rows: list[tuple[Any, ...]]) -> None:
    documents = assemble_documents(rows, LOOKUPS, {}, {}, {})
    # repr: keys in order, True is not 1, "1" is not 1
    assert [repr(doc) for doc in documents] == [repr(_expected_document(row)) for row in rows]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2]), *[texts] * 8, flags), max_size=6))
def test_addresses_are_the_general_conversion(rows: list[tuple[Any, ...]]) -> None:
    expected: dict[Any, list[dict[str, Any]]] = {}
    for contact, *values, flag in rows:
        item = {
            key: as_text(value) for (_, key, _), value in zip(ADDRESS_COLUMNS, values, strict=False)
        }
        item[ADDRESS_COLUMNS[-1][1]] = as_flag(flag)
        expected.setdefault(contact, []).append(item)
    assert repr(group_addresses(rows)) == repr(expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.just(1), texts, st.integers() | texts, dates, dates), max_size=4))
def test_relationships_are_the_general_conversion(rows: list[tuple[Any, ...]]) -> None:
    expected = [
        {
            "kind": as_text(kind),
            "related_id": as_id(related),
            "start": as_date(s),
            "end": as_date(e),
        }
        for _, kind, related, s, e in rows
    ]
    assert repr(group_relationships(rows).get(1, [])) == repr(expected)


def test_a_day_shaped_text_is_kept_as_stored_whatever_it_holds() -> None:
    """Why the shortcut holds: such a text either parses to itself or is no date."""
    for stored in ("2024-05-01", "2023-02-29", "２０２４-05-01", "abcd-ef-gh", "0001-01-01"):
        assert as_date(stored) == stored
    assert as_date("20240501") == "2024-05-01"  # not day-shaped: parsed, as before
    assert as_date(date(2024, 5, 1)) == as_date(datetime(2024, 5, 1)) == "2024-05-01"
