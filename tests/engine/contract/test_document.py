"""The shared contact validator: one spelling per id, real dates and timestamps, no control
characters in text; and its fast path agrees with the full check on every document."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.contract import document
from engine.contract.document import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    EMPLOYEE_FIELDS,
    EXTRA_FIELD_FIELDS,
    RELATIONSHIP_FIELDS,
    Kind,
    document_problems,
)
from engine.contract.formats import DATE_RE, TIMESTAMP_RE, is_id
from tests.sandbox.factories import contact


def test_a_valid_document_has_no_problems() -> None:
    assert document_problems(contact(1)) == []


@pytest.mark.parametrize("spelling", ["0", "01", "000000000000000001", " 1", "1 ", "+1", "١"])
def test_an_id_has_one_spelling(spelling: str) -> None:
    problems = document_problems(contact(1, id=spelling))
    assert len(problems) == 1 and problems[0].startswith(f"id {spelling!r} is not a contact id")
    assert not is_id(spelling)


def test_related_ids_have_one_spelling_too() -> None:
    doc = contact(1)
    doc["relationships"][0]["related_id"] = "02"
    assert document_problems(doc) == [
        "relationships[0].related_id '02' is not a contact id: a string of 1 to 18 digits "
        "without leading zeros (1 or more)"
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("date_of_birth", ")", "date_of_birth must be a date"),
        ("date_of_birth", "2023-02-29", "date_of_birth must be a date"),
        ("date_of_birth", "1990-13-01", "date_of_birth must be a date"),
        ("created_at", "x", "created_at must be a timestamp"),
        ("created_at", "2020-01-01", "created_at must be a timestamp"),
        ("modified_at", "2020-01-01T24:00:00", "modified_at must be a timestamp"),
        ("notes", "a\x00b", "notes holds a control character (U+0000)"),
        ("first_name", "Al\x1bex", "first_name holds a control character (U+001B)"),
    ],
)
def test_field_contents_are_checked(key: str, value: str, expected: str) -> None:
    problems = document_problems(contact(1, **{key: value}))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("date_of_birth", "2024-02-29"),
        ("date_of_birth", "1990-05-17T10:30:00"),  # a desktop date column holding a time
        ("created_at", "2020-01-01T00:00:00"),
        ("created_at", "2020-01-01T09:15:30.123456+10:00"),
        ("modified_at", "2020-01-01T09:15:30Z"),
        ("notes", "line one\r\nline two\tand a tab"),
    ],
)
def test_what_the_agent_writes_is_accepted(key: str, value: str) -> None:
    assert document_problems(contact(1, **{key: value})) == []


def test_the_date_expression_is_the_calendar() -> None:
    """Every day of four centuries is a date, and nothing else of the same shape is."""
    day, end = date(1896, 1, 1), date(2305, 1, 1)
    while day < end:
        assert DATE_RE.fullmatch(day.isoformat()), day
        day += timedelta(days=1)
    for year in (1900, 2000, 2023, 2024, 2100, 1, 9999):
        for month in range(0, 14):
            for day_number in range(0, 33):
                text = f"{year:04d}-{month:02d}-{day_number:02d}"
                try:
                    date.fromisoformat(text)
                    real = True
                except ValueError:
                    real = False
                assert bool(DATE_RE.fullmatch(text)) == real, text
    assert not DATE_RE.fullmatch("0000-01-01")


@given(st.datetimes(timezones=st.none() | st.just(UTC) | st.timezones()))
def test_python_timestamps_are_timestamps(moment: datetime) -> None:
    text = moment.isoformat()
    offset = moment.utcoffset()
    if offset is not None and offset.seconds % 60:  # second-precise offsets: not ISO 8601
        return
    assert TIMESTAMP_RE.fullmatch(text), text


# -- the fast path and the full check agree ------------------------------------------------

_TEXTS = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["2024-02-29", "2023-02-29", "2020-01-01T10:00:00", "x", "\x00", "\t"]),
    st.integers(),
)


def _value(kind: Kind) -> st.SearchStrategy[Any]:
    match kind:
        case Kind.ID:
            return st.one_of(
                st.from_regex(r"\A[0-9]{1,3}\Z"), st.sampled_from(["1", "0", "01"]), st.integers()
            )
        case Kind.TEXT | Kind.DATE | Kind.TIMESTAMP:
            return _TEXTS
        case Kind.FLAG:
            return st.one_of(st.none(), st.booleans(), st.just(0))
        case Kind.CONTACT_TYPE:
            return st.sampled_from(["person", "organisation", "robot", None])
        case Kind.EMPLOYEE:
            return st.one_of(st.none(), _object(EMPLOYEE_FIELDS), st.just("x"))
        case Kind.ADDRESSES:
            return st.lists(_object(ADDRESS_FIELDS), max_size=2)
        case Kind.EXTRA_FIELDS:
            return st.lists(_object(EXTRA_FIELD_FIELDS), max_size=2)
        case Kind.RELATIONSHIPS:
            return st.lists(_object(RELATIONSHIP_FIELDS), max_size=2)
    raise AssertionError(kind)


def _object(fields: dict[str, Kind]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={key: _value(kind) for key, kind in fields.items()}
    ) | st.fixed_dictionaries({key: _value(kind) for key, kind in fields.items()})


def _mutated(doc: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed[key] = value
    return changed


_DOCUMENTS = st.one_of(
    _object(CONTACT_FIELDS),
    st.builds(
        _mutated,
        st.integers(1, 10**6).map(contact),
        st.sampled_from(sorted(CONTACT_FIELDS)),
        st.deferred(lambda: st.one_of(*(_value(kind) for kind in set(CONTACT_FIELDS.values())))),
    ),
    st.integers(1, 10**6).map(contact),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_the_fast_path_agrees_with_the_full_check(doc: dict[str, Any]) -> None:
    full = document._object_problems(doc, CONTACT_FIELDS, "")
    assert document._is_valid(doc) == (not full), full
    assert document_problems(doc) == full
